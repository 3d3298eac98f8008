"""PostgreSQL's side of replicas sharing the work: leases, heartbeats and wake-ups.

Executes what :mod:`collector.leases` decides (:mod:`collector.replicas` runs it):

- :meth:`LeaseMethods.lease_table`: this replica's heartbeat (its ``replicas`` row,
  alive until the database's now plus the lease), the live replicas and every
  bucket's lease, with the database's now: all times are the database's, so the
  replicas' clocks never have to agree;
- :meth:`LeaseMethods.settle_leases`: releases, renewals (only while still ours and
  not expired) and claims (only of a bucket free or expired when the update runs:
  compare-and-set), in one transaction; returns the buckets held;
- :meth:`LeaseMethods.notify_sites` / :meth:`LeaseMethods.listen_sites`: a replica
  that stored data of a site another replica judges says so on the ``pantau_sites``
  channel (LISTEN/NOTIFY), so the owner reads it at once;
- :meth:`LeaseMethods.sites_records_after`: sites' records after the seqs the owner
  has already fed its rules, per kit, and when each site was last heard.
"""

# ruff: noqa: S608 - SQL is built from constants and placeholders; values are bound.

from __future__ import annotations

import functools
import logging
import threading
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from collector.store.model import StoredRecord
from collector.store.sql import RECORD_COLUMNS, stored_record

log = logging.getLogger(__name__)

#: The LISTEN/NOTIFY channel, per schema (channels are database-wide): payloads are site
#: codes separated by spaces.
CHANNEL = "pantau_sites_{:08x}"
#: A NOTIFY payload stays well under PostgreSQL's 8000 bytes (a site code and its
#: backhaul are under 30).
_PAYLOAD_SITES = 200
_NOW = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1e9)::bigint"

LeaseRow = tuple[int, str | None, int]


class LeaseMethods:
    """Mixed into :class:`collector.store.postgres.PostgresStore`."""

    _pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]]
    dsn: str
    schema: str | None

    def lease_table(self, replica_id: str, lease_s: float) -> tuple[int, list[LeaseRow], list[str]]:
        """Heartbeat, then (database now, every bucket's lease, live replicas)."""
        lease_ns = int(lease_s * 1e9)
        with self._pool.connection() as conn, conn.transaction():
            row = conn.execute(f"SELECT {_NOW}").fetchone()
            now = int(row[0]) if row else 0
            conn.execute(
                "INSERT INTO replicas (replica_id, started_ns, expires_ns) VALUES (%s, %s, %s) "
                "ON CONFLICT (replica_id) DO UPDATE SET expires_ns = excluded.expires_ns",
                (replica_id, now, now + lease_ns),
            )
            # Replicas gone for ten leases are forgotten (their buckets expired long ago).
            conn.execute("DELETE FROM replicas WHERE expires_ns < %s", (now - 10 * lease_ns,))
            live = [
                str(r[0])
                for r in conn.execute(
                    "SELECT replica_id FROM replicas WHERE expires_ns > %s", (now,)
                ).fetchall()
            ]
            leases = [
                (int(r[0]), r[1], int(r[2]))
                for r in conn.execute(
                    "SELECT bucket, owner, expires_ns FROM site_leases ORDER BY bucket"
                ).fetchall()
            ]
        return now, leases, live

    def settle_leases(
        self,
        replica_id: str,
        lease_s: float,
        *,
        renew: Sequence[int] = (),
        claim: Sequence[int] = (),
        release: Sequence[int] = (),
    ) -> list[int]:
        """Execute a plan; the buckets this replica holds afterwards (renewed or claimed)."""
        lease_ns = int(lease_s * 1e9)
        with self._pool.connection() as conn, conn.transaction():
            if release:
                conn.execute(
                    "UPDATE site_leases SET owner = NULL, expires_ns = 0 "
                    "WHERE bucket = ANY(%s) AND owner = %s",
                    (sorted(release), replica_id),
                )
            held: list[int] = []
            if renew:
                held += [
                    int(r[0])
                    for r in conn.execute(
                        f"UPDATE site_leases SET expires_ns = {_NOW} + %s "
                        f"WHERE bucket = ANY(%s) AND owner = %s AND expires_ns > {_NOW} "
                        "RETURNING bucket",
                        (lease_ns, sorted(renew), replica_id),
                    ).fetchall()
                ]
            if claim:
                held += [
                    int(r[0])
                    for r in conn.execute(
                        "INSERT INTO site_leases AS l (bucket, owner, expires_ns, acquired_ns) "
                        f"SELECT b, %s, {_NOW} + %s, {_NOW} FROM unnest(%s::int[]) AS b "
                        "ON CONFLICT (bucket) DO UPDATE SET owner = excluded.owner, "
                        "expires_ns = excluded.expires_ns, acquired_ns = excluded.acquired_ns "
                        f"WHERE l.owner IS NULL OR l.expires_ns <= {_NOW} RETURNING bucket",
                        (replica_id, lease_ns, sorted(claim)),
                    ).fetchall()
                ]
        return sorted(held)

    def leave(self, replica_id: str) -> None:
        """A replica stopping: its buckets are free at once, it is no longer live."""
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(
                "UPDATE site_leases SET owner = NULL, expires_ns = 0 WHERE owner = %s",
                (replica_id,),
            )
            conn.execute("DELETE FROM replicas WHERE replica_id = %s", (replica_id,))

    @functools.cached_property
    def _channel(self) -> str:
        with self._pool.connection() as conn:
            row = conn.execute("SELECT current_schema()").fetchone()
        return CHANNEL.format(zlib.crc32(str(row[0] if row else "").encode()))

    def notify_sites(self, site_codes: Sequence[str]) -> None:
        """Tell every replica of these sites' new data (each a code, or ``code=backhaul``)."""
        codes = sorted(set(site_codes))
        channel = self._channel
        with self._pool.connection() as conn, conn.transaction():
            for start in range(0, len(codes), _PAYLOAD_SITES):
                payload = " ".join(codes[start : start + _PAYLOAD_SITES])
                conn.execute("SELECT pg_notify(%s, %s)", (channel, payload))

    def listen_sites(
        self, on_sites: Callable[[list[str] | None], None], stop: threading.Event
    ) -> None:
        """Until ``stop`` is set (checked every second): each notification's site codes
        to ``on_sites``, in this thread. After (re)connecting, ``on_sites(None)``: what was
        notified meanwhile is lost, the caller reads every site it judges."""
        while not stop.is_set():
            try:
                channel = self._channel
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {channel}")
                    on_sites(None)
                    while not stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            on_sites(note.payload.split())
            except psycopg.Error as exc:
                log.warning("listening for other replicas' data failed (%s); again in 1 s", exc)
                stop.wait(1.0)

    def sites_records_after(
        self, site_codes: Sequence[str], since_ns: int, fed: Mapping[str, int]
    ) -> tuple[list[StoredRecord], dict[str, int]]:
        """The sites' records with ``event_ns >= since_ns`` and, per kit, a seq above
        ``fed`` (0 for a kit not in it), in event-time order; and when each site was last
        heard (a kit's empty batch is heard too, and stores no record)."""
        agents = sorted(fed)
        codes = sorted(set(site_codes))
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {', '.join('r.' + c.strip() for c in RECORD_COLUMNS.split(','))} "
                "FROM agents a JOIN records r ON r.agent_id = a.agent_id "
                "LEFT JOIN unnest(%s::text[], %s::bigint[]) AS f(agent_id, seq) "
                "ON f.agent_id = a.agent_id "
                "WHERE a.site_code = ANY(%s) AND r.seq > COALESCE(f.seq, 0) AND r.event_ns >= %s "
                "ORDER BY r.event_ns, r.agent_id, r.seq",
                (agents, [fed[a] for a in agents], codes, since_ns),
            ).fetchall()
            heard = conn.execute(
                "SELECT site_code, last_seen_ns FROM site_state WHERE site_code = ANY(%s) "
                "AND last_seen_ns IS NOT NULL",
                (codes,),
            ).fetchall()
        records = [stored_record(r) for r in rows]
        return records, {str(code): int(ns) for code, ns in heard}
