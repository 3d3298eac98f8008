"""The kit's disk spool: records wait here until the collector acknowledges them.

SQLite in WAL mode, one row per record, keyed by ``seq`` (AUTOINCREMENT, so a seq
is never reused, even after the rows are deleted). Nothing is deleted before the
collector acks it, except at the byte bound, where the spool drops the oldest
records of the lowest priority first (see ``agent.records.PRIORITY``) and, in the
same transaction, appends an AgentEvent SPOOL_OVERFLOW with the counts, so loss is
never silent.

Writes come in batches (the service flushes every few seconds) to spare SD cards;
every batch is one transaction, so an abrupt stop leaves either all of it or none.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from agent.errors import AgentError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT    NOT NULL,
    priority INTEGER NOT NULL,
    payload  BLOB    NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_priority ON records (priority, seq);
CREATE INDEX IF NOT EXISTS records_by_kind ON records (kind, seq);
"""
#: Bytes counted per row on top of the payload (SQLite row and index overhead).
ROW_OVERHEAD = 32
#: When the bound is hit, drop down to this fraction of it, so that not every
#: append afterwards has to drop again.
LOW_WATER = 0.95

OverflowRecord = Callable[[Mapping[str, int], int, int], tuple[str, int, bytes]]
"""Builds the overflow report: (dropped_by_kind, records, bytes) -> (kind, priority, payload)."""


class SpoolError(AgentError):
    """The spool cannot be opened or written (disk full, permissions, corruption)."""


@dataclass(frozen=True, slots=True)
class Backlog:
    records: int
    bytes: int
    first_seq: int | None
    head_seq: int


class Spool:
    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int,
        overflow_record: OverflowRecord,
        synchronous: str = "NORMAL",
    ) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._overflow_record = overflow_record
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._db.executescript(_SCHEMA)
            row = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM records"
            ).fetchone()
        except (sqlite3.Error, OSError) as exc:
            raise SpoolError(f"cannot open the spool {path}: {exc}") from exc
        self._records = int(row[0])
        self._bytes = int(row[1]) + ROW_OVERHEAD * self._records

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def append(self, items: Iterable[tuple[str, int, bytes]]) -> list[int]:
        """Store records (kind, priority, payload) in one transaction; returns their seqs."""
        rows = list(items)
        if not rows:
            return []
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                seqs = [
                    int(
                        self._db.execute(
                            "INSERT INTO records (kind, priority, payload) VALUES (?, ?, ?)", row
                        ).lastrowid
                        or 0
                    )
                    for row in rows
                ]
                added = sum(len(p) + ROW_OVERHEAD for _, _, p in rows)
                dropped = self._enforce_bound(self._bytes + added)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise SpoolError(f"cannot write to the spool {self.path}: {exc}") from exc
            self._records += len(rows) - dropped[0]
            self._bytes += added - dropped[1]
            return seqs

    def _enforce_bound(self, total: int) -> tuple[int, int]:
        """Drop lowest-priority, oldest rows until under the bound. In the caller's tx.

        Returns the net (records, bytes) removed, the overflow report included.
        """
        if total <= self.max_bytes:
            return (0, 0)
        target = int(self.max_bytes * LOW_WATER)
        cursor = self._db.execute(
            "SELECT seq, kind, LENGTH(payload) FROM records ORDER BY priority, seq"
        )
        victims: list[int] = []
        by_kind: dict[str, int] = {}
        freed = 0
        for seq, kind, size in cursor:
            if total - freed <= target:
                break
            victims.append(seq)
            by_kind[kind] = by_kind.get(kind, 0) + 1
            freed += size + ROW_OVERHEAD
        cursor.close()
        self._db.executemany("DELETE FROM records WHERE seq = ?", ((s,) for s in victims))
        report = self._overflow_record(by_kind, len(victims), freed)
        self._db.execute("INSERT INTO records (kind, priority, payload) VALUES (?, ?, ?)", report)
        report_bytes = len(report[2]) + ROW_OVERHEAD
        return (len(victims) - 1, freed - report_bytes)

    def read_after(
        self, after_seq: int, *, max_bytes: int, max_records: int
    ) -> list[tuple[int, bytes]]:
        """Records with seq > after_seq, oldest first, within the limits (at least one)."""
        with self._lock:
            cursor = self._db.execute(
                "SELECT seq, payload FROM records WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, max_records),
            )
            out: list[tuple[int, bytes]] = []
            size = 0
            for seq, payload in cursor:
                if out and size + len(payload) > max_bytes:
                    break
                out.append((int(seq), bytes(payload)))
                size += len(payload)
            cursor.close()
            return out

    def latest_of_kinds(self, kinds: tuple[str, ...]) -> list[tuple[int, bytes]]:
        """The newest record of each kind (seq order), for a live snapshot."""
        with self._lock:
            rows = [
                self._db.execute(
                    "SELECT seq, payload FROM records WHERE kind = ? ORDER BY seq DESC LIMIT 1",
                    (kind,),
                ).fetchone()
                for kind in kinds
            ]
        return sorted((int(r[0]), bytes(r[1])) for r in rows if r is not None)

    def ack_through(self, seq: int) -> int:
        """Delete every record with seq <= ``seq`` (the collector has them); returns the count."""
        with self._lock:
            try:
                row = self._db.execute(
                    "SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) "
                    "FROM records WHERE seq <= ?",
                    (seq,),
                ).fetchone()
                self._db.execute("DELETE FROM records WHERE seq <= ?", (seq,))
            except sqlite3.Error as exc:
                raise SpoolError(
                    f"cannot remove acked records from the spool {self.path}: {exc}"
                ) from exc
            count = int(row[0])
            self._records -= count
            self._bytes -= int(row[1]) + ROW_OVERHEAD * count
            return count

    def rebase_above(self, seq: int) -> int:
        """Renumber every row above ``seq`` and continue the sequence from there.

        For a spool that was wiped or replaced (a new SD card) while the collector
        still remembers the agent: without this, new records would reuse seqs the
        collector already has and be dropped as duplicates. Returns the offset.
        """
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                head = self._db.execute(
                    "SELECT seq FROM sqlite_sequence WHERE name = 'records'"
                ).fetchone()
                head_seq = 0 if head is None else int(head[0])
                if head_seq >= seq:
                    self._db.execute("COMMIT")
                    return 0
                offset = seq  # every current seq <= head_seq < seq: no collisions
                self._db.execute("UPDATE records SET seq = seq + ?", (offset,))
                if head is None:
                    self._db.execute(
                        "INSERT INTO sqlite_sequence (name, seq) VALUES ('records', ?)", (seq,)
                    )
                self._db.execute(
                    "UPDATE sqlite_sequence SET seq = ? WHERE name = 'records'",
                    (head_seq + offset,),
                )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise SpoolError(f"cannot renumber the spool {self.path}: {exc}") from exc
            return offset

    def backlog(self) -> Backlog:
        with self._lock:
            first = self._db.execute("SELECT MIN(seq) FROM records").fetchone()[0]
            head = self._db.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = 'records'"
            ).fetchone()
            return Backlog(
                records=self._records,
                bytes=self._bytes,
                first_seq=None if first is None else int(first),
                head_seq=0 if head is None else int(head[0]),
            )

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("ROLLBACK")
