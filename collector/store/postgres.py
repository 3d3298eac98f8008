"""The scale-out store: PostgreSQL, shared by any number of collector replicas.

Same contract and semantics as :class:`collector.store.sqlite.SqliteStore` (one
test suite runs against both). PostgreSQL specifics:

- a small :class:`psycopg_pool.ConnectionPool` (1-8 connections by default), every
  connection in autocommit mode with explicit transactions;
- migrations under an advisory lock (:mod:`collector.store.postgres_schema`);
- ingest: a group's records are COPYed (binary) into a per-connection temporary
  table; then, in one pipeline, the group's agents are locked (id order), the
  records moved with one ``INSERT ... SELECT ... RETURNING agent_id, seq`` that
  keeps those above their agent's ack position and those at or below it that no
  partition holds (the returned keys are the stored ones; the rest are
  duplicates; see :mod:`collector.store.partitions`), followed by the agents' ack
  positions (``GREATEST``) and the sites' live state: two network round trips and
  one commit per group. COPY measured fastest of unnest(arrays), executemany
  (pipelined) and COPY from 100 to 10,000 rows per commit (see
  docs/architecture.md). Row locks are taken in agent / site order, so two
  replicas' groups cannot deadlock on each other; a deadlock or serialization
  failure anyway is retried;
- records partitioned by day, retention dropping whole days
  (:mod:`collector.store.partitions`);
- tickets, the outbox, accounts, agents, enrollment and anchors: the portable code
  (:mod:`collector.store.tickets`, :mod:`~collector.store.outbox`,
  :mod:`~collector.store.accounts`, :mod:`~collector.store.identity`) with ``FOR
  UPDATE`` row locks, and ``FOR UPDATE SKIP LOCKED`` for outbox claims;
- replicas' leases on sites and their wake-ups: :mod:`collector.store.postgres_leases`.

Psycopg is imported only here (and only when a PostgreSQL store is opened).
"""

# ruff: noqa: S608 - SQL is built from constants and placeholders; values are bound.

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg import errors, sql
from psycopg_pool import ConnectionPool, PoolTimeout

from collector.store import partitions
from collector.store.accounts import AccountMethods
from collector.store.base import StoreError
from collector.store.identity import UPSERT_ANCHOR, IdentityMethods
from collector.store.model import (
    BatchOutcome,
    IngestBatch,
    SiteView,
    StoredRecord,
)
from collector.store.outbox import OutboxMethods
from collector.store.postgres_leases import LeaseMethods
from collector.store.postgres_schema import (
    ADVISORY_LOCK_CLASS,
    MIGRATIONS,
    SCHEMA_VERSION,
    SCHEMA_VERSION_TABLE,
)
from collector.store.queries import QueryMethods
from collector.store.rollup_sql import UPSERT_ROLLUP, RollupMethods, rollup_params
from collector.store.rollups import Sample, deltas
from collector.store.sms import SmsMethods
from collector.store.sql import (
    MAX_ATTEMPTS,
    RECORD_COLUMNS,
    SIGNAL_COLUMNS,
    Conflict,
    Tx,
    live_state_updates,
    site_view_from_row,
    stored_record,
)
from collector.store.tickets import TicketMethods

T = TypeVar("T")
Connection = psycopg.Connection[tuple[Any, ...]]

#: Per connection, made when the pool opens it: a group's records are COPYed here, then
#: moved with ON CONFLICT DO NOTHING (ON COMMIT DELETE ROWS empties it every commit).
_CREATE_INCOMING = (
    "CREATE TEMP TABLE IF NOT EXISTS incoming_records (LIKE records) ON COMMIT DELETE ROWS"
)
_COPY_INCOMING = f"COPY incoming_records ({RECORD_COLUMNS}) FROM STDIN (FORMAT BINARY)"
_COPY_TYPES = ("text", "text", "int8", "text", "int8", "int8", "text", "int8", "bytea")
#: The group's agents, locked in id order before their records are judged new: the
#: move below then sees every record another replica stored for them before.
_LOCK_AGENTS = "SELECT 1 FROM agents WHERE agent_id = ANY(%s) ORDER BY agent_id FOR UPDATE"
_I_COLUMNS = ", ".join(f"i.{c.strip()}" for c in RECORD_COLUMNS.split(","))
#: Exactly-once across partitions (see collector.store.partitions): a record above its
#: agent's ack position is new; one at or below it is new only if no partition has it.
_MOVE_INCOMING = (
    f"INSERT INTO records ({RECORD_COLUMNS}) SELECT DISTINCT ON (i.agent_id, i.seq) "
    f"{_I_COLUMNS} FROM incoming_records i LEFT JOIN agents a ON a.agent_id = i.agent_id "
    "WHERE i.seq > a.acked_through OR NOT EXISTS (SELECT 1 FROM records r "
    "WHERE r.agent_id = i.agent_id AND r.seq = i.seq) "
    "ORDER BY i.agent_id, i.seq RETURNING agent_id, seq"
)
_RACES = (errors.UniqueViolation, errors.DeadlockDetected, errors.SerializationFailure)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


class PostgresStore(
    TicketMethods,
    OutboxMethods,
    AccountMethods,
    IdentityMethods,
    QueryMethods,
    RollupMethods,
    LeaseMethods,
    SmsMethods,
):
    """The store in a PostgreSQL database (libpq URL), optionally in one ``schema``."""

    backend = "postgres"

    def __init__(
        self,
        dsn: str,
        *,
        schema: str | None = None,
        min_connections: int = 1,
        max_connections: int = 8,
        connect_timeout_s: float = 10.0,
    ) -> None:
        if schema is not None and not _IDENTIFIER.fullmatch(schema):
            raise StoreError(f"schema {schema!r} is not a plain SQL identifier")
        self.dsn = dsn
        self.schema = schema
        try:
            # One plain connection first: it fails fast with libpq's own reason, and
            # migrates before the pool serves anyone.
            with psycopg.connect(
                dsn, autocommit=True, connect_timeout=max(2, round(connect_timeout_s))
            ) as conn:
                self._configure(conn)
                self._migrate(conn)
                with conn.transaction():
                    partitions.ensure_days(_PgTx(conn), time.time_ns())
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot open the PostgreSQL store {_redacted(dsn)}: {str(exc).strip()}; check "
                "that the server is running and the URL's host, port, user and database are right"
            ) from exc
        self._pool: ConnectionPool[Connection] = ConnectionPool(
            dsn,
            min_size=min_connections,
            max_size=max_connections,
            kwargs={"autocommit": True},
            configure=self._configure_pooled,
            open=False,
            name="pantau-store",
        )
        try:
            self._pool.open(wait=True, timeout=connect_timeout_s)
        except PoolTimeout as exc:
            self._pool.close()
            raise StoreError(
                f"cannot open {min_connections} connection(s) to {_redacted(dsn)} within "
                f"{connect_timeout_s:g} s: {exc}"
            ) from exc

    def _configure(self, conn: Connection) -> None:
        if self.schema is not None:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))

    def _configure_pooled(self, conn: Connection) -> None:
        """A new pool connection (the schema is migrated by now)."""
        self._configure(conn)
        conn.execute(_CREATE_INCOMING)

    def _migrate(self, conn: Connection) -> None:
        with conn.transaction():
            conn.execute(
                "SELECT pg_advisory_xact_lock("
                "%s, hashtext(COALESCE(%s::text, current_schema(), '')))",
                (ADVISORY_LOCK_CLASS, self.schema),
            )
            if self.schema is not None:
                conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema))
                )
            conn.execute(SCHEMA_VERSION_TABLE)
            row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{_redacted(self.dsn)} has schema version {version}, newer than this "
                    f"collector's ({SCHEMA_VERSION}): upgrade the collector"
                )
            for number in range(version, SCHEMA_VERSION):
                conn.execute(MIGRATIONS[number])
                conn.execute(
                    "INSERT INTO schema_version (version, applied_ns) VALUES (%s, %s)",
                    (number + 1, time.time_ns()),
                )

    def close(self) -> None:
        self._pool.close()

    # -- ingest -------------------------------------------------------------------

    def commit(self, batches: Sequence[IngestBatch]) -> list[BatchOutcome]:
        """Store several agents' batches in one transaction (group commit)."""
        for _ in range(MAX_ATTEMPTS):
            try:
                with self._pool.connection() as conn, conn.transaction():
                    return _commit(conn, batches)
            except (errors.DeadlockDetected, errors.SerializationFailure):
                continue
        raise StoreError(f"a group commit deadlocked {MAX_ATTEMPTS} times in a row")

    # -- reading ------------------------------------------------------------------

    def sites(self, site_codes: Sequence[str] | None = None) -> list[SiteView]:
        """Every site, or only those of ``site_codes``, in code order."""
        where = "" if site_codes is None else "WHERE s.site_code = ANY(%s) "
        params: list[Any] = [] if site_codes is None else [sorted(set(site_codes))]
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT s.site_code, st.last_seen_ns, st.signal_ns, "
                + ", ".join(f"st.{c}" for c in SIGNAL_COLUMNS)
                + ", st.ping_ns, st.ping_target, st.ping_method, st.ping_median_ms, "
                "st.ping_loss_ratio, "
                "(SELECT string_agg(agent_id, ' ' ORDER BY agent_id) FROM agents a "
                "WHERE a.site_code = s.site_code), "
                "COALESCE(st.records, 0) "
                "FROM sites s LEFT JOIN site_state st ON st.site_code = s.site_code "
                + where
                + "ORDER BY s.site_code",
                params,
            ).fetchall()
        return [site_view_from_row(row) for row in rows]

    def records(
        self, *, agent_id: str | None = None, kind: str | None = None
    ) -> Iterator[StoredRecord]:
        where = []
        params: list[str] = []
        if agent_id is not None:
            where.append("agent_id = %s")
            params.append(agent_id)
        if kind is not None:
            where.append("kind = %s")
            params.append(kind)
        query = (
            f"SELECT {RECORD_COLUMNS} FROM records WHERE "
            + (" AND ".join(where) or "TRUE")
            + " ORDER BY agent_id, seq"
        )
        with self._pool.connection() as conn:
            rows = conn.execute(query, params).fetchall()
        for r in rows:
            yield stored_record(r)

    # -- retention: whole days (collector.store.partitions) -------------------------

    def _prune_records(self, tx: Tx, older_than_ns: int) -> int:
        """Make the days ahead, drop the days wholly before the cut, prune the default
        partition (see :mod:`collector.store.partitions`)."""
        partitions.ensure_days(tx, time.time_ns())
        return partitions.prune_days(tx, older_than_ns)

    # -- the transactions of collector.store.tickets and collector.store.outbox ------

    def _transact(self, body: Callable[[Tx], T]) -> T:
        try:
            with self._pool.connection() as conn, conn.transaction():
                return body(_PgTx(conn))
        except _RACES as exc:
            raise Conflict from exc

    def _read(self, body: Callable[[Tx], T]) -> T:
        with self._pool.connection() as conn, conn.transaction():
            return body(_PgTx(conn))


class _PgTx:
    lock_rows = " FOR UPDATE"
    skip_locked = " FOR UPDATE OF o SKIP LOCKED"

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def rows(self, query: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(_pg(query), params).fetchall()

    def one(self, query: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None:
        return self._conn.execute(_pg(query), params).fetchone()

    def run(self, query: str, params: Sequence[object] = ()) -> int:
        return self._conn.execute(_pg(query), params).rowcount


def _pg(query: str) -> str:
    """Portable ``?`` placeholders to psycopg's ``%s`` (the portable SQL has no ``%``)."""
    return query.replace("?", "%s")


def _commit(conn: Connection, batches: Sequence[IngestBatch]) -> list[BatchOutcome]:
    agent_order = sorted(range(len(batches)), key=lambda i: (batches[i].agent_id, i))
    site_order = sorted(range(len(batches)), key=lambda i: (batches[i].site_code, i))
    acked_cursors: dict[int, psycopg.Cursor[tuple[Any, ...]]] = {}
    has_rows = any(b.rows for b in batches)
    if has_rows:
        with conn.cursor() as cur, cur.copy(_COPY_INCOMING) as copy:
            copy.set_types(_COPY_TYPES)
            for b in batches:
                for r in b.rows:
                    copy.write_row(
                        (
                            b.agent_id,
                            b.site_code,
                            r.seq,
                            r.kind,
                            r.event_ns,
                            r.agent_wall_ns,
                            r.time_quality,
                            b.received_ns,
                            r.payload,
                        )
                    )
    with conn.pipeline():
        inserted_cursor = conn.cursor()
        if has_rows:
            conn.execute(_LOCK_AGENTS, (sorted({b.agent_id for b in batches if b.rows}),))
            inserted_cursor.execute(_MOVE_INCOMING)
        for i in agent_order:
            batch = batches[i]
            if batch.anchor is not None:
                conn.execute(_pg(UPSERT_ANCHOR), (batch.agent_id, *batch.anchor))
            cur = acked_cursors[i] = conn.cursor()
            if batch.rows:
                cur.execute(
                    "UPDATE agents SET acked_through = GREATEST(acked_through, %s), "
                    "last_seen_ns = %s WHERE agent_id = %s RETURNING acked_through",
                    (max(r.seq for r in batch.rows), batch.received_ns, batch.agent_id),
                )
            else:
                cur.execute(
                    "SELECT acked_through FROM agents WHERE agent_id = %s", (batch.agent_id,)
                )
        for i in site_order:
            _update_site_state(conn, batches[i])
    inserted = set(inserted_cursor.fetchall()) if has_rows else set()
    outcomes = []
    per_site: dict[str, int] = {}
    samples: list[tuple[str, Sample]] = []
    for i, batch in enumerate(batches):
        stored = 0
        stored_seqs: set[int] = set()
        for r in batch.rows:
            key = (batch.agent_id, r.seq)
            if key in inserted:  # the first batch of the group holding a key stores it
                inserted.discard(key)
                stored += 1
                stored_seqs.add(r.seq)
        if stored and batch.samples:
            samples += batch.stored_samples(stored_seqs.__contains__)
        if stored:
            per_site[batch.site_code] = per_site.get(batch.site_code, 0) + stored
        acked = acked_cursors[i].fetchone()
        top = max((r.seq for r in batch.rows), default=0)
        outcomes.append(
            BatchOutcome(
                stored=stored,
                duplicates=len(batch.rows) - stored,
                acked_through=int(acked[0]) if acked else top,
            )
        )
    if per_site:  # rows this transaction already holds (site order), one round trip
        with conn.cursor() as cur:
            cur.executemany(
                "UPDATE site_state SET records = records + %s WHERE site_code = %s",
                [(n, code) for code, n in sorted(per_site.items())],
            )
            if samples:  # the sites' rollups, written in key order (site first)
                cur.executemany(_pg(UPSERT_ROLLUP), [rollup_params(r) for r in deltas(samples)])
    return outcomes


def _update_site_state(conn: Connection, batch: IngestBatch) -> None:
    conn.execute(
        "INSERT INTO site_state (site_code, last_seen_ns) VALUES (%s, %s) "
        "ON CONFLICT (site_code) DO UPDATE SET "
        "last_seen_ns = GREATEST(site_state.last_seen_ns, excluded.last_seen_ns)",
        (batch.site_code, batch.received_ns),
    )
    for statement, params in live_state_updates(batch):
        conn.execute(_pg(statement), params)


def _redacted(dsn: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", dsn)
