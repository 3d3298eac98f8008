"""The embedded store: one SQLite file in WAL mode.

Exactly-once storage rests on the primary key (agent_id, seq) and ``INSERT OR
IGNORE``: a record the collector already has is counted as a duplicate and the
agent is acked all the same. A batch's rows, its agent's ack position and the
site's live state are written in one transaction, and the collector acks only
after that transaction commits.

Tickets, the outbox, retention, accounts, agents, enrollment codes and anchors come
from the portable implementation (:mod:`collector.store.tickets`,
:mod:`~collector.store.outbox`, :mod:`~collector.store.accounts`,
:mod:`~collector.store.identity`);
here :meth:`SqliteStore._transact` runs them with ``BEGIN IMMEDIATE``, so writers
(even in other processes on the same file) are serialised by SQLite's write lock.
One connection serves the whole process, guarded by a lock.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

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
from collector.store.queries import QueryMethods
from collector.store.rollup_sql import UPSERT_ROLLUP, RollupMethods, rollup_params
from collector.store.rollups import deltas
from collector.store.sms import SmsMethods
from collector.store.sql import (
    SIGNAL_COLUMNS,
    Conflict,
    Tx,
    live_state_updates,
    site_view_from_row,
    stored_record,
)
from collector.store.sqlite_group import commit_group
from collector.store.sqlite_schema import MIGRATIONS, SCHEMA_VERSION
from collector.store.tickets import TicketMethods

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SqliteStore", "StoreError"]

T = TypeVar("T")

#: Records of one multi-row INSERT of a single batch (9 bound parameters each).
_ROWS_PER_INSERT = 500
_INSERT_RECORDS = (
    "INSERT OR IGNORE INTO records (agent_id, seq, site_code, kind, event_ns, agent_wall_ns, "
    "time_quality, received_ns, payload) VALUES"
)


class SqliteStore(
    TicketMethods,
    OutboxMethods,
    AccountMethods,
    IdentityMethods,
    QueryMethods,
    RollupMethods,
    SmsMethods,
):
    """The store in one SQLite file (WAL, ``synchronous=FULL``); see the module doc."""

    backend = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA busy_timeout=10000")
            self._enable_wal()
            # FULL: an ack promises the records survive a power cut, not just a crash.
            self._db.execute("PRAGMA synchronous=FULL")
            # A 64 MiB page cache and fewer, larger checkpoints: about 20% less CPU per
            # record at ingest rates (measured with interleaved agents).
            self._db.execute("PRAGMA cache_size=-65536")
            self._db.execute("PRAGMA wal_autocheckpoint=10000")
            self._migrate()
            # Reads get a connection of their own: in WAL mode they see every committed
            # write without waiting for the writer (the ingest's group commits).
            self._reader = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._reader.execute("PRAGMA busy_timeout=10000")
            self._reader.execute("PRAGMA query_only=1")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite store {path}: {exc}") from exc
        self._read_lock = threading.Lock()

    def _enable_wal(self) -> None:
        """Switch the file to WAL (a no-op once it is).

        Two connections converting a new file at the same moment deadlock inside SQLite,
        which answers one of them "database is locked" at once, without the busy
        timeout; that one tries again (bounded) once the other has converted the file.
        """
        deadline = time.monotonic() + 10
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)

    def _migrate(self) -> None:
        """Apply the missing migrations in one write transaction.

        The version is read after taking the write lock, so two processes opening
        one file at once migrate it once.
        """
        with self._tx():
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {version}, newer than this collector's "
                    f"({SCHEMA_VERSION}): upgrade the collector"
                )
            for number in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
            if version != SCHEMA_VERSION:
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self._db.close()
        with self._read_lock:
            self._reader.close()

    # -- ingest -------------------------------------------------------------------

    def commit(self, batches: Sequence[IngestBatch]) -> list[BatchOutcome]:
        """Store several agents' batches in one transaction (group commit), in a few
        multi-row statements (:mod:`collector.store.sqlite_group`)."""
        with self._lock, self._tx():
            if len(batches) == 1:
                return [self._store_batch(batches[0])]
            return commit_group(self._db, batches, self._store_batch)

    def _store_batch(self, batch: IngestBatch) -> BatchOutcome:
        """One batch's rows, its agent's ack position and its site's live state: four
        statements a batch (a group commit runs this for every batch it holds)."""
        db = self._db
        if batch.anchor is not None:
            db.execute(UPSERT_ANCHOR, (batch.agent_id, *batch.anchor))
        stored = 0
        if batch.rows:
            agent_id, site_code, received_ns = batch.agent_id, batch.site_code, batch.received_ns
            values = [
                (agent_id, r.seq, site_code, r.kind, r.event_ns, r.agent_wall_ns,
                 r.time_quality, received_ns, r.payload)
                for r in batch.rows
            ]  # fmt: skip
            stored_seqs: set[int] = set()
            for first in range(0, len(values), _ROWS_PER_INSERT):
                chunk = values[first : first + _ROWS_PER_INSERT]
                marks = ", ".join(["(?,?,?,?,?,?,?,?,?)"] * len(chunk))
                insert = f"{_INSERT_RECORDS} {marks} RETURNING seq"
                stored_seqs.update(
                    int(r[0]) for r in db.execute(insert, [v for row in chunk for v in row])
                )
            stored = len(stored_seqs)
            if batch.samples and stored:
                found = deltas(batch.stored_samples(stored_seqs.__contains__))
                db.executemany(UPSERT_ROLLUP, [rollup_params(r) for r in found])
        db.execute(
            "INSERT INTO site_state (site_code, last_seen_ns, records) VALUES (?, ?, ?) "
            "ON CONFLICT (site_code) DO UPDATE SET records = records + excluded.records, "
            "last_seen_ns = MAX(last_seen_ns, excluded.last_seen_ns)",
            (batch.site_code, batch.received_ns, stored),
        )
        for statement, params in live_state_updates(batch):
            db.execute(statement, params)
        if not batch.rows:  # a Snapshot: live state only
            row = db.execute(
                "SELECT acked_through FROM agents WHERE agent_id = ?", (batch.agent_id,)
            ).fetchone()
            return BatchOutcome(stored=0, duplicates=0, acked_through=int(row[0]) if row else 0)
        top = max(r.seq for r in batch.rows)
        acked = db.execute(
            "UPDATE agents SET acked_through = MAX(acked_through, ?), last_seen_ns = ? "
            "WHERE agent_id = ? RETURNING acked_through",
            (top, batch.received_ns, batch.agent_id),
        ).fetchall()
        return BatchOutcome(
            stored=stored,
            duplicates=len(batch.rows) - stored,
            acked_through=int(acked[0][0]) if acked else top,
        )

    # -- reading ------------------------------------------------------------------

    #: Records older than the window read past before an agent's scan stops (a kit's
    #: seqs follow its production order, which event times follow but for a few
    #: out-of-order corrections, e.g. across a reboot).
    WINDOW_SLACK_RECORDS = 256

    def site_window(self, site_code: str, since_ns: int) -> list[StoredRecord]:
        """A site's records with ``event_ns >= since_ns``, in event-time order.

        Read through the primary key, newest seq first per agent of the site, stopping
        after :attr:`WINDOW_SLACK_RECORDS` older records in a row: cheap for the recent
        window a rules rebuild asks for, with no secondary index to slow every insert.
        """
        found: list[StoredRecord] = []
        with self._read_lock:
            agents = [
                str(r[0])
                for r in self._reader.execute(
                    "SELECT agent_id FROM agents WHERE site_code = ?", (site_code,)
                ).fetchall()
            ]
            for agent_id in agents:
                older = 0
                cursor = self._reader.execute(
                    "SELECT agent_id, site_code, seq, kind, event_ns, agent_wall_ns, "
                    "time_quality, received_ns, payload FROM records WHERE agent_id = ? "
                    "ORDER BY seq DESC",
                    (agent_id,),
                )
                for r in cursor:
                    if int(r[4]) < since_ns:
                        older += 1
                        if older >= self.WINDOW_SLACK_RECORDS:
                            break
                        continue
                    older = 0
                    if r[1] == site_code:
                        found.append(stored_record(r))
                cursor.close()
        found.sort(key=lambda rec: (rec.event_ns, rec.agent_id, rec.seq))
        return found

    def site_windows(
        self, site_codes: Sequence[str], since_ns: int
    ) -> dict[str, list[StoredRecord]]:
        """:meth:`site_window` of each of ``site_codes`` (every one a key): this file's
        reads are local, so one site after another costs no more than one read."""
        return {code: self.site_window(code, since_ns) for code in sorted(set(site_codes))}

    def sites(self, site_codes: Sequence[str] | None = None) -> list[SiteView]:
        """Every site, or only those of ``site_codes``, in code order."""
        query = (
            "SELECT s.site_code, st.last_seen_ns, st.signal_ns, "  # noqa: S608 - constants
            + ", ".join(f"st.{c}" for c in SIGNAL_COLUMNS)
            + ", st.ping_ns, st.ping_target, st.ping_method, st.ping_median_ms, "
            "st.ping_loss_ratio, "
            "(SELECT group_concat(agent_id, ' ') FROM agents a "
            "WHERE a.site_code = s.site_code), "
            "COALESCE(st.records, 0) "
            "FROM sites s LEFT JOIN site_state st ON st.site_code = s.site_code "
        )
        rows: list[Any] = []
        with self._read_lock:
            if site_codes is None:
                rows = self._reader.execute(query + "ORDER BY s.site_code").fetchall()
            else:
                codes = sorted(set(site_codes))
                for start in range(0, len(codes), 500):
                    chunk = codes[start : start + 500]
                    marks = ", ".join("?" * len(chunk))
                    rows += self._reader.execute(
                        f"{query}WHERE s.site_code IN ({marks}) ORDER BY s.site_code", chunk
                    ).fetchall()
        return [site_view_from_row(row) for row in rows]

    def records(
        self, *, agent_id: str | None = None, kind: str | None = None
    ) -> Iterator[StoredRecord]:
        query = (
            "SELECT agent_id, site_code, seq, kind, event_ns, agent_wall_ns, time_quality, "
            "received_ns, payload FROM records WHERE (? IS NULL OR agent_id = ?) "
            "AND (? IS NULL OR kind = ?) ORDER BY agent_id, seq"
        )
        with self._read_lock:
            rows = self._reader.execute(query, (agent_id, agent_id, kind, kind)).fetchall()
        for r in rows:
            yield stored_record(r)

    def _tx(self) -> _Transaction:
        return _Transaction(self._db)

    # -- the transactions of collector.store.tickets and collector.store.outbox ------

    def _transact(self, body: Callable[[Tx], T]) -> T:
        try:
            with self._lock, self._tx():
                return body(_SqliteTx(self._db))
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                raise Conflict from exc
            raise

    def _read(self, body: Callable[[Tx], T]) -> T:
        with self._read_lock:
            self._reader.execute("BEGIN")
            try:
                return body(_SqliteTx(self._reader))
            finally:
                self._reader.execute("COMMIT")


class _SqliteTx:
    lock_rows = ""  # BEGIN IMMEDIATE holds the database's write lock already
    skip_locked = ""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self._db.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None:
        # fetchall: a RETURNING statement is complete only once its rows are read.
        rows = self._db.execute(sql, params).fetchall()
        return tuple(rows[0]) if rows else None

    def run(self, sql: str, params: Sequence[object] = ()) -> int:
        return self._db.execute(sql, params).rowcount


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self._db.execute("COMMIT")
        else:
            self._db.execute("ROLLBACK")
