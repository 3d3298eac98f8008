"""Records waiting in memory for the spool: bounded, and every drop counted.

The service queues each record here and writes the queue to the spool every few
seconds in one transaction. When the spool cannot take them (its disk is full even
after it gave back its reserve), the records wait here again, but only up to
``max_bytes``: past it the lowest priority goes first, oldest first within a
priority (the spool's own rule, ``agent.records.PRIORITY``), and each drop is
counted by kind. The counts go to the spool with the next write it accepts, as a
drop report (an AgentEvent SPOOL_OVERFLOW), so every record the kit made is either
spooled or counted in a report that reaches the collector.

Pure: no I/O, no clock, no locking (the service calls it from its event loop).
"""

from __future__ import annotations

from dataclasses import dataclass, field

Row = tuple[str, int, bytes]
"""A record as the spool takes it: (kind, priority, payload)."""


@dataclass(slots=True)
class Drops:
    """Records dropped from memory and not yet reported."""

    by_kind: dict[str, int] = field(default_factory=dict)
    records: int = 0
    bytes: int = 0

    def count(self, row: Row) -> None:
        self.by_kind[row[0]] = self.by_kind.get(row[0], 0) + 1
        self.records += 1
        self.bytes += len(row[2])

    def merge(self, other: Drops) -> None:
        for kind, n in other.by_kind.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + n
        self.records += other.records
        self.bytes += other.bytes


class Pending:
    """The bounded queue in front of the spool (payload bytes at most ``max_bytes``)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._rows: list[Row] = []
        self._bytes = 0
        self._drops = Drops()

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def bytes(self) -> int:
        return self._bytes

    @property
    def drops(self) -> Drops:
        """What was dropped and is not reported yet (read only)."""
        return self._drops

    def add(self, row: Row) -> None:
        """Queue one record; over the bound, drop by priority (this one may be it)."""
        self._rows.append(row)
        self._bytes += len(row[2])
        self._trim()

    def take(self) -> tuple[list[Row], Drops]:
        """Everything queued, and the drops to report with it; the queue is then empty."""
        rows, drops = self._rows, self._drops
        self._rows, self._bytes, self._drops = [], 0, Drops()
        return rows, drops

    def restore(self, rows: list[Row], drops: Drops) -> None:
        """The spool refused what :meth:`take` gave: it waits again, ahead of what
        came since, and the unreported drops with it (still bounded)."""
        self._rows = [*rows, *self._rows]
        self._bytes += sum(len(r[2]) for r in rows)
        drops.merge(self._drops)
        self._drops = drops
        self._trim()

    def _trim(self) -> None:
        while self._bytes > self.max_bytes and self._rows:
            lowest = min(range(len(self._rows)), key=lambda i: (self._rows[i][1], i))
            row = self._rows.pop(lowest)
            self._bytes -= len(row[2])
            self._drops.count(row)
