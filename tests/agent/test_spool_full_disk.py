"""The spool on a full data disk (items 8, 9 and 15 of issue 13): it lives through
it on its reserve, its write-ahead log stays small, and the bound never drops a row
that is in flight (the collector may store it), so drop reports count exactly."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from chaos.procs import fill
from machine import tmpfs

from agent.spool import RESERVE_BYTES, ROW_OVERHEAD, WAL_LIMIT_BYTES, Spool

Reports = list[tuple[dict[str, int], int, int]]


def make_spool(path: Path, max_bytes: int, reports: Reports, **kwargs: int) -> Spool:
    def overflow(by_kind: Mapping[str, int], records: int, dropped: int) -> tuple[str, int, bytes]:
        reports.append((dict(by_kind), records, dropped))
        return ("event", 3, b"overflow-report")

    return Spool(path, max_bytes=max_bytes, overflow_record=overflow, **kwargs)


def test_a_full_disk_is_lived_through_on_the_reserve_and_left_when_room_returns(
    tmp_path: Path,
) -> None:
    """A real 8 MiB tmpfs filled by something else (and not by the spool): appends and acks go on, the spool
    holds itself to a quarter of its reserve above what it had (dropping by priority,
    reported), and returns to its bound with a new reserve once the filler is gone."""
    with tmpfs(tmp_path / "disk", "8m") as disk:
        reports: Reports = []
        spool = make_spool(disk / "spool.sqlite", 1 << 30, reports)
        assert spool.reserve_path.stat().st_size == RESERVE_BYTES
        assert spool.append([("signal", 2, b"s" * 100) for _ in range(10)]) == list(range(1, 11))
        filler = fill(disk)
        appended = 10
        for _ in range(100):  # 100 x 10 KB: more than the reserve's share
            spool.append([("ping", 1, b"p" * 1000) for _ in range(10)])
            appended += 10
        assert spool.disk_full and spool.backlog().disk_full
        assert not spool.reserve_path.exists()
        # The disk-full bound: what it had (and what fitted in room SQLite had already)
        # plus a quarter of the reserve.
        had = 10 * (100 + ROW_OVERHEAD) + 64 * 1024
        assert spool.backlog().bytes <= had + RESERVE_BYTES // 4
        kept = spool.read_after(0, max_bytes=1 << 30, max_records=10**6)
        dropped = sum(r[1] for r in reports)
        assert dropped > 0 and all(set(r[0]) == {"ping"} for r in reports)
        assert len(kept) == appended - dropped + len(reports)  # exactly: kept or reported
        assert spool.ack_through(kept[-1][0]) == len(kept)  # an ack on a full disk
        assert spool.backlog().records == 0
        filler.unlink()
        assert spool.append([("signal", 2, b"after")])
        assert not spool.disk_full and spool.reserve_path.stat().st_size == RESERVE_BYTES
        spool.close()
        # A restart on a full disk opens and writes in the reserve's room.
        fill(disk)
        reopened = make_spool(disk / "spool.sqlite", 1 << 30, reports)
        assert reopened.append([("signal", 2, b"again")])
        assert reopened.disk_full
        reopened.close()


def test_the_write_ahead_log_stays_small(tmp_path: Path) -> None:
    """SQLite's default lets the log reach ~4 MB before its first checkpoint: on a small
    filesystem that alone fills the disk. The spool checkpoints early and truncates."""
    reports: Reports = []
    spool = make_spool(tmp_path / "spool.sqlite", 1 << 30, reports)
    wal = tmp_path / "spool.sqlite-wal"
    biggest = 0
    for i in range(200):  # 200 transactions of 20 KB, acked as they go
        seqs = spool.append([("ping", 1, b"p" * 1000) for _ in range(20)])
        if i % 2:
            spool.ack_through(seqs[-1])
        biggest = max(biggest, wal.stat().st_size)
    assert biggest <= 2 * WAL_LIMIT_BYTES, biggest
    spool.close()


def test_rows_in_flight_are_never_dropped_so_the_report_counts_exactly(tmp_path: Path) -> None:
    """Rows sent and not yet acked may be stored by the collector: the bound skips them
    until a Welcome says what the collector has, then they may go again."""
    reports: Reports = []
    row = 100 + ROW_OVERHEAD
    spool = make_spool(tmp_path / "s.sqlite", 10 * row, reports)
    spool.append([("ping", 1, b"p" * 100) for _ in range(10)])  # seqs 1-10, at the bound
    spool.mark_sent(6)  # 1-6 went out on a stream that then broke, ack unknown
    spool.append([("ping", 1, b"q" * 100) for _ in range(3)])  # seqs 11-13: over
    assert reports == [({"ping": 4}, 4, 4 * row)]
    kept = [s for s, _ in spool.read_after(0, max_bytes=1 << 20, max_records=100)]
    assert kept == [1, 2, 3, 4, 5, 6, 11, 12, 13, 14]  # 7-10 dropped, 14 = the report
    # The next Welcome: the collector had stored 1-6 after all. Nothing reported was.
    spool.ack_through(6)
    spool.settle(6)
    # 11-13 go out and the stream breaks; the next Welcome says the collector has
    # only through 6, so they were not stored and the bound may drop them again.
    spool.mark_sent(13)
    spool.settle(6)
    spool.append([("ping", 1, b"r" * 100) for _ in range(8)])  # seqs 15-22: over
    assert reports[-1] == ({"ping": 2}, 2, 2 * row)
    kept = [s for s, _ in spool.read_after(0, max_bytes=1 << 20, max_records=100)]
    assert kept == [13, 14, *range(15, 23), 23]  # 11, 12 dropped (oldest), 23 = the report
    spool.close()
