"""The kit's spool: nothing deleted before an ack; at the bound, lowest priority goes first."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from machine import unavailable

from agent.spool import ROW_OVERHEAD, Spool, SpoolError

Reports = list[tuple[dict[str, int], int, int]]


def make_spool(path: Path, max_bytes: int, reports: Reports | None = None) -> Spool:
    def overflow(by_kind: Mapping[str, int], records: int, dropped: int) -> tuple[str, int, bytes]:
        if reports is not None:
            reports.append((dict(by_kind), records, dropped))
        return ("event", 3, b"overflow-report")

    return Spool(path, max_bytes=max_bytes, overflow_record=overflow)


def test_append_read_ack_and_seqs_never_reused(tmp_path: Path) -> None:
    spool = make_spool(tmp_path / "s.sqlite", 1 << 20)
    assert spool.append([("signal", 2, b"a"), ("ping", 1, b"b"), ("ping", 1, b"c")]) == [1, 2, 3]
    assert spool.read_after(0, max_bytes=1 << 20, max_records=10) == [
        (1, b"a"),
        (2, b"b"),
        (3, b"c"),
    ]
    assert spool.read_after(1, max_bytes=1 << 20, max_records=1) == [(2, b"b")]
    assert spool.ack_through(2) == 2
    assert spool.read_after(0, max_bytes=1 << 20, max_records=10) == [(3, b"c")]
    assert spool.ack_through(3) == 1
    assert spool.append([("ping", 1, b"d")]) == [4]  # AUTOINCREMENT: 3 is never reused
    spool.close()
    reopened = make_spool(tmp_path / "s.sqlite", 1 << 20)
    assert reopened.append([("ping", 1, b"e")]) == [5]
    backlog = reopened.backlog()
    assert (backlog.records, backlog.first_seq, backlog.head_seq) == (2, 4, 5)
    assert backlog.bytes == 2 * (1 + ROW_OVERHEAD)
    reopened.close()


def test_read_after_respects_the_byte_limit_but_returns_at_least_one(tmp_path: Path) -> None:
    spool = make_spool(tmp_path / "s.sqlite", 1 << 20)
    spool.append([("ping", 1, b"x" * 100) for _ in range(5)])
    assert [s for s, _ in spool.read_after(0, max_bytes=250, max_records=10)] == [1, 2]
    assert [s for s, _ in spool.read_after(0, max_bytes=10, max_records=10)] == [1]
    spool.close()


def test_overflow_drops_lowest_priority_oldest_first_and_reports_counts(tmp_path: Path) -> None:
    reports: Reports = []
    row = 100 + ROW_OVERHEAD
    spool = make_spool(tmp_path / "s.sqlite", max_bytes=10 * row, reports=reports)
    spool.append([("signal", 2, b"s" * 100) for _ in range(4)])  # seqs 1-4
    spool.append([("dns", 0, b"d" * 100) for _ in range(3)])  # seqs 5-7
    spool.append([("ping", 1, b"p" * 100) for _ in range(3)])  # seqs 8-10: exactly at the bound
    assert reports == []
    spool.append([("ping", 1, b"p" * 100)])  # seq 11: over the bound
    assert len(reports) == 1
    by_kind, records, dropped = reports[0]
    assert by_kind == {"dns": 2} and records == 2 and dropped == 2 * row
    kept = [s for s, _ in spool.read_after(0, max_bytes=1 << 20, max_records=100)]
    assert kept == [1, 2, 3, 4, 7, 8, 9, 10, 11, 12]  # 5, 6 (oldest dns) dropped; 12 = report
    assert spool.backlog().bytes <= 10 * row
    spool.close()


def test_signal_is_dropped_only_when_nothing_lower_is_left(tmp_path: Path) -> None:
    reports: Reports = []
    row = 100 + ROW_OVERHEAD
    spool = make_spool(tmp_path / "s.sqlite", max_bytes=5 * row, reports=reports)
    for _ in range(20):
        spool.append([("signal", 2, b"s" * 100)])
    assert sum(r[1] for r in reports) > 0
    assert all(set(r[0]) <= {"signal", "event"} for r in reports)
    assert spool.backlog().bytes <= 5 * row
    spool.close()


def test_a_dropped_report_hands_its_counts_on_so_every_drop_is_counted(tmp_path: Path) -> None:
    """Rows in flight are never dropped, so a spool at its bound with most of its room
    in flight (a kit draining slowly) drops its unsent rows, its own earlier reports
    among them: what a dropped report counted is counted by the next one, and the
    reports left count exactly the seqs that are gone."""
    reports: Reports = []
    row = 100 + ROW_OVERHEAD
    spool = make_spool(tmp_path / "s.sqlite", max_bytes=12 * row, reports=reports)
    spool.append([("signal", 2, b"s" * 100) for _ in range(9)])  # seqs 1-9
    spool.mark_sent(9)  # in flight: never dropped
    made: dict[int, int] = {}  # report seq -> what it counts
    for _ in range(30):
        (seq,) = spool.append([("signal", 2, b"s" * 100)])
        if len(reports) > len(made):  # this round made a report, right after its row
            made[seq + 1] = reports[-1][1]
    kept = {s for s, _ in spool.read_after(0, max_bytes=1 << 20, max_records=1000)}
    head = spool.backlog().head_seq
    gone = set(range(1, head + 1)) - kept
    assert any(seq in gone for seq in made)  # reports were dropped too ...
    assert sum(n for seq, n in made.items() if seq in kept) == len(gone)  # ... and counted
    assert all(r[0].get("signal", 0) + r[0].get("event", 0) == r[1] for r in reports)
    spool.close()


def test_an_abrupt_stop_keeps_every_committed_batch(tmp_path: Path) -> None:
    """A writer killed with SIGKILL mid-stream leaves a readable spool with whole batches."""
    path = tmp_path / "s.sqlite"
    script = f"""
import sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
from pathlib import Path
from agent.spool import Spool
spool = Spool(Path({str(path)!r}), max_bytes=1 << 30, overflow_record=lambda *a: ("event", 3, b""))
i = 0
while True:
    spool.append([("ping", 1, b"%06d" % (i * 10 + k)) for k in range(10)])
    i += 1
    if i == 50:
        print("ready", flush=True)
"""
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline() == b"ready\n"
        finally:
            os.kill(proc.pid, 9)
    spool = make_spool(path, 1 << 30)
    rows = spool.read_after(0, max_bytes=1 << 30, max_records=10**7)
    assert len(rows) >= 500 and len(rows) % 10 == 0  # whole batches only
    assert [int(p) for _, p in rows] == list(range(len(rows)))
    spool.close()


def test_an_unwritable_spool_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(SpoolError, match="cannot open the spool"):
        make_spool(blocker / "s.sqlite", 1 << 20)


def test_a_wiped_spool_is_renumbered_above_what_the_collector_has(tmp_path: Path) -> None:
    spool = make_spool(tmp_path / "s.sqlite", 1 << 20)
    spool.append([("ping", 1, b"a"), ("ping", 1, b"b")])  # seqs 1, 2 after a wipe
    assert spool.rebase_above(500) == 500
    assert spool.read_after(500, max_bytes=1 << 20, max_records=10) == [(501, b"a"), (502, b"b")]
    assert spool.append([("ping", 1, b"c")]) == [503]
    assert spool.rebase_above(100) == 0  # already above: nothing to do
    empty = make_spool(tmp_path / "e.sqlite", 1 << 20)
    assert empty.rebase_above(7) == 7
    assert empty.append([("ping", 1, b"x")]) == [8]
    spool.close()
    empty.close()


def test_a_full_disk_is_a_clear_error_and_the_spool_keeps_working_after(tmp_path: Path) -> None:
    """On a real full disk (a 2 MiB tmpfs; needs root) an append fails whole with a
    SpoolError naming the spool, and succeeds once there is room again."""
    if os.geteuid() != 0:
        unavailable("needs root to mount a small tmpfs (a real full disk)")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], check=True)
    try:
        spool = make_spool(disk / "s.sqlite", 1 << 30)
        assert spool.append([("signal", 2, b"before")]) == [1]
        filler = disk / "filler"
        with contextlib.suppress(OSError), filler.open("wb") as f:  # close() too
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        with pytest.raises(SpoolError, match=r"cannot write to the spool .*s\.sqlite: .*full"):
            spool.append([("signal", 2, b"x" * 1000) for _ in range(500)])
        filler.unlink()
        assert spool.append([("signal", 2, b"after")]) == [2]
        assert [p for _, p in spool.read_after(0, max_bytes=1 << 20, max_records=10)] == [
            b"before",
            b"after",
        ]
        spool.close()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
