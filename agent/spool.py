"""The kit's disk spool: records wait here until the collector acknowledges them.

SQLite in WAL mode, one row per record, keyed by ``seq`` (AUTOINCREMENT, so a seq
is never reused, even after the rows are deleted). Nothing is deleted before the
collector acks it, except at the byte bound, where the spool drops the oldest
records of the lowest priority first (see ``agent.records.PRIORITY``) and, in the
same transaction, appends an AgentEvent SPOOL_OVERFLOW with the counts, so loss is
never silent.

Writes come in batches (the service flushes every few seconds) to spare SD cards;
every batch is one transaction, so an abrupt stop leaves either all of it or none.

Rows sent on a stream and not yet acked ("in flight", :meth:`Spool.mark_sent`) are
never dropped at the bound: the collector may have stored them already, and a
drop report that counts a stored row would over-report the loss. They become
droppable again when a Welcome says the collector does not have them
(:meth:`Spool.settle`). In flight is at most a few batches, so the bound is
exceeded by at most that.

A full disk is a state to live through, not an error. The write-ahead log is kept
small (checkpoints every :data:`WAL_CHECKPOINT_PAGES` pages, truncated back to
:data:`WAL_LIMIT_BYTES`), and a reserve file of ``reserve_bytes`` is kept next to the
spool. When a write fails because the filesystem is full (something else filled it
before the spool reached ``max_bytes``), the spool deletes the reserve, retries, and
from then on holds itself to what it had plus a quarter of the reserve (the rest is
room for SQLite's pages and log): new records push out old ones by the same
priority rule, reported the same way, and acks free pages that new rows reuse.
While the disk stays full :attr:`Spool.disk_full` is true; once the filesystem has
room for the reserve again (checked on every write) the spool re-creates it and
returns to ``max_bytes``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

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
#: Checkpoint the write-ahead log every this many pages (SQLite's default, 1000
#: pages, lets it grow to about 4 MB: a small filesystem fills in normal operation).
WAL_CHECKPOINT_PAGES = 128
#: After a checkpoint the log file is truncated back to this size.
WAL_LIMIT_BYTES = 512 * 1024
#: Room kept for the spool on its filesystem, as a file released when the disk fills.
RESERVE_BYTES = 2 * 1024 * 1024
#: Part of the reserve the spool may fill with rows on a full disk (the rest is for
#: SQLite's pages, indexes and log, which the byte count does not see).
FULL_SHARE = 4

OverflowRecord = Callable[[Mapping[str, int], int, int], tuple[str, int, bytes]]
"""Builds the overflow report: (dropped_by_kind, records, bytes) -> (kind, priority, payload)."""

_T = TypeVar("_T")


class SpoolError(AgentError):
    """The spool cannot be opened or written (disk full, permissions, corruption)."""


@dataclass(frozen=True, slots=True)
class Backlog:
    records: int
    bytes: int
    first_seq: int | None
    head_seq: int
    disk_full: bool = False


def _disk_full(exc: BaseException) -> bool:
    """True for SQLite's "database or disk is full" (and an I/O error that is ENOSPC)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code & 0xFF == sqlite3.SQLITE_FULL:
        return True
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC


class Spool:
    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int,
        overflow_record: OverflowRecord,
        synchronous: str = "NORMAL",
        reserve_bytes: int = RESERVE_BYTES,
    ) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.reserve_bytes = reserve_bytes
        self.reserve_path = path.with_name(path.name + ".reserve")
        self._overflow_record = overflow_record
        self._synchronous = synchronous
        self._lock = threading.Lock()
        #: The bound while the disk is full (None: it is not).
        self._full_bound: int | None = None
        #: Rows up to this seq went out on a stream and may be stored (see mark_sent).
        self._sent_through = 0
        #: The drop reports this spool made that the collector has not acked: seq ->
        #: what each counts (by kind, records, bytes). A report dropped at the bound in
        #: turn hands its counts on to the next one, so no drop goes uncounted (kept in
        #: memory: a report made before a restart counts only as itself).
        self._reports: dict[int, tuple[dict[str, int], int, int]] = {}
        self._staged: tuple[list[int], int, tuple[dict[str, int], int, int]] | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            row = self._open()
        except (sqlite3.Error, OSError) as exc:
            # A full disk shows as "disk is full" or as an I/O error making the log
            # files: with a reserve to give back, try once more in its room.
            if not self._released_reserve():
                raise SpoolError(f"cannot open the spool {path}: {exc}") from exc
            try:
                row = self._open()
            except (sqlite3.Error, OSError) as again:
                raise SpoolError(f"cannot open the spool {path}: {again}") from again
        self._records = int(row[0])
        self._bytes = int(row[1]) + ROW_OVERHEAD * self._records
        if not self._make_reserve():
            self._enter_full()

    def _open(self) -> tuple[int, int]:
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={self._synchronous}")
            self._db.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
            self._db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
            self._db.executescript(_SCHEMA)
            row = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM records"
            ).fetchone()
        except sqlite3.Error:
            self._db.close()
            raise
        return (int(row[0]), int(row[1]))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @property
    def disk_full(self) -> bool:
        """The filesystem filled before ``max_bytes``: the spool lives on its reserve."""
        return self._full_bound is not None

    # -- the reserve ------------------------------------------------------------

    def _make_reserve(self) -> bool:
        """Keep ``reserve_bytes`` allocated next to the spool; False when there is no room."""
        if self.reserve_bytes <= 0:
            return True
        try:
            if self.reserve_path.stat().st_size >= self.reserve_bytes:
                return True
        except OSError:
            pass
        try:
            stat = os.statvfs(self.path.parent)
            if stat.f_bavail * stat.f_frsize < 2 * self.reserve_bytes:
                return False  # keep the room for the spool itself
            fd = os.open(self.reserve_path, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.posix_fallocate(fd, 0, self.reserve_bytes)
            finally:
                os.close(fd)
        except OSError:
            with contextlib.suppress(OSError):
                self.reserve_path.unlink()
            return False
        return True

    def _released_reserve(self) -> bool:
        """Delete the reserve file; True if there was one to give back."""
        try:
            self.reserve_path.unlink()
        except OSError:
            return False
        return True

    def _enter_full(self) -> None:
        """Hold the spool to what it has plus its share of the reserve's room."""
        if self._full_bound is None:
            share = self.reserve_bytes // FULL_SHARE
            self._full_bound = min(self.max_bytes, self._bytes + share)

    def _recover(self) -> None:
        """Leave the full-disk state once the filesystem has room for the reserve again."""
        if self._full_bound is not None and self._make_reserve():
            self._full_bound = None

    def _write(self, what: str, transaction: Callable[[], _T]) -> _T:
        """Run a write transaction. On a full disk: release the reserve, enter the
        full-disk bound, and try once more. Raises SpoolError."""
        self._recover()
        try:
            return transaction()
        except sqlite3.Error as exc:
            self._rollback()
            if not _disk_full(exc):
                raise SpoolError(f"cannot {what} the spool {self.path}: {exc}") from exc
            first = exc
        self._enter_full()
        if not self._released_reserve():
            raise SpoolError(f"cannot {what} the spool {self.path}: {first}") from first
        try:
            return transaction()
        except sqlite3.Error as exc:
            self._rollback()
            raise SpoolError(f"cannot {what} the spool {self.path}: {exc}") from exc

    # -- records ----------------------------------------------------------------

    def append(self, items: Iterable[tuple[str, int, bytes]]) -> list[int]:
        """Store records (kind, priority, payload) in one transaction; returns their seqs."""
        rows = list(items)
        if not rows:
            return []

        def transaction() -> tuple[list[int], tuple[int, int]]:
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
            dropped = self._enforce_bound(self._bytes + added)
            self._db.execute("COMMIT")
            return seqs, dropped

        added = sum(len(p) + ROW_OVERHEAD for _, _, p in rows)
        with self._lock:
            self._staged = None
            seqs, dropped = self._write("write to", transaction)
            if self._staged is not None:  # committed: the reports dropped and made
                gone, seq, counts = self._staged
                for old in gone:
                    del self._reports[old]
                self._reports[seq] = counts
                self._staged = None
            self._records += len(rows) - dropped[0]
            self._bytes += added - dropped[1]
            return seqs

    def _enforce_bound(self, total: int) -> tuple[int, int]:
        """Drop lowest-priority, oldest rows until under the bound. In the caller's tx.

        Rows in flight (seq <= the sent mark) are never dropped. Returns the net
        (records, bytes) removed, the overflow report included.
        """
        bound = self.max_bytes if self._full_bound is None else self._full_bound
        if total <= bound:
            return (0, 0)
        target = int(bound * LOW_WATER)
        cursor = self._db.execute(
            "SELECT seq, kind, LENGTH(payload) FROM records WHERE seq > ? ORDER BY priority, seq",
            (self._sent_through,),
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
        if not victims:
            return (0, 0)
        self._db.executemany("DELETE FROM records WHERE seq = ?", ((s,) for s in victims))
        # Earlier reports among the victims: what they counted is counted again here.
        gone = [seq for seq in victims if seq in self._reports]
        counted = dict(by_kind)
        records, dropped_bytes = len(victims), freed
        for seq in gone:
            kinds, n, size = self._reports[seq]
            for kind, count in kinds.items():
                counted[kind] = counted.get(kind, 0) + count
            records += n
            dropped_bytes += size
        report = self._overflow_record(counted, records, dropped_bytes)
        made = self._db.execute(
            "INSERT INTO records (kind, priority, payload) VALUES (?, ?, ?)", report
        ).lastrowid
        self._staged = (gone, int(made or 0), (counted, records, dropped_bytes))
        report_bytes = len(report[2]) + ROW_OVERHEAD
        return (len(victims) - 1, freed - report_bytes)

    def mark_sent(self, through_seq: int) -> None:
        """Rows up to ``through_seq`` went out on a stream: the collector may store them
        whether or not its ack arrives, so the bound does not drop them until
        :meth:`settle` says what the collector has."""
        self._sent_through = max(self._sent_through, through_seq)

    def settle(self, acked_through: int) -> None:
        """The collector has exactly through ``acked_through`` (its Welcome): rows above
        that were not stored, and the bound may drop them again."""
        self._sent_through = acked_through

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
        """Delete every record with seq <= ``seq`` (the collector has them); returns the count.

        Raises SpoolError when even the reserve's room cannot take the deletion: the
        rows then stay (they are not sent again) until a later ack deletes them too.
        """

        def transaction() -> tuple[int, int]:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM records WHERE seq <= ?",
                (seq,),
            ).fetchone()
            self._db.execute("DELETE FROM records WHERE seq <= ?", (seq,))
            self._db.execute("COMMIT")
            return int(row[0]), int(row[1])

        with self._lock:
            count, size = self._write("remove acked records from", transaction)
            self._records -= count
            self._bytes -= size + ROW_OVERHEAD * count
            for report in [r for r in self._reports if r <= seq]:  # delivered
                del self._reports[report]
            return count

    def rebase_above(self, seq: int) -> int:
        """Renumber every row above ``seq`` and continue the sequence from there.

        For a spool that was wiped or replaced (a new SD card) while the collector
        still remembers the agent: without this, new records would reuse seqs the
        collector already has and be dropped as duplicates. Returns the offset.
        """

        def transaction() -> int:
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
            return offset

        with self._lock:
            offset = self._write("renumber", transaction)
            if offset:  # the reports it remembers were renumbered too
                self._reports = {seq + offset: c for seq, c in self._reports.items()}
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
                disk_full=self.disk_full,
            )

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("ROLLBACK")
