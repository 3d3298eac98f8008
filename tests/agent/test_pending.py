"""The memory queue in front of the spool is bounded and counts every drop (item 9
of issue 13): nothing it is given vanishes without being counted."""

from __future__ import annotations

from agent.pending import Drops, Pending


def test_past_its_bound_the_queue_drops_lowest_priority_oldest_first_and_counts() -> None:
    queue = Pending(max_bytes=500)
    for i in range(2):
        queue.add(("signal", 2, b"s%03d" % i + b"." * 96))  # 100 bytes each
    for i in range(3):
        queue.add(("dns", 0, b"d%03d" % i + b"." * 96))
    assert queue.bytes == 500 and queue.drops.records == 0  # exactly at the bound
    queue.add(("ping", 1, b"p000" + b"." * 96))  # one over: the oldest dns goes
    queue.add(("ping", 1, b"p001" + b"." * 96))
    assert queue.bytes == 500
    rows, drops = queue.take()
    assert [r[2][:4] for r in rows] == [b"s000", b"s001", b"d002", b"p000", b"p001"]
    assert (drops.by_kind, drops.records, drops.bytes) == ({"dns": 2}, 2, 200)
    assert len(queue) == 0 and queue.bytes == 0 and queue.drops.records == 0


def test_a_refused_write_waits_again_ahead_of_newer_records_with_its_drops() -> None:
    queue = Pending(max_bytes=300)
    queue.add(("ping", 1, b"a" * 100))
    queue.add(("ping", 1, b"b" * 100))
    rows, drops = queue.take()
    queue.add(("ping", 1, b"c" * 100))
    queue.add(("signal", 2, b"d" * 100))
    queue.restore(rows, drops)  # the spool refused: 400 bytes now, one ping must go
    rows, drops = queue.take()
    assert [r[2][:1] for r in rows] == [b"b", b"c", b"d"]
    assert (drops.by_kind, drops.records, drops.bytes) == ({"ping": 1}, 1, 100)
    earlier = Drops({"dns": 4}, 4, 40)
    queue.restore([], earlier)  # a report that did not reach the spool is not forgotten
    queue.add(("tcp", 1, b"e" * 400))  # bigger than the bound: dropped itself, counted
    rows, drops = queue.take()
    assert rows == []
    assert (drops.by_kind, drops.records, drops.bytes) == ({"dns": 4, "tcp": 1}, 5, 440)


def test_every_record_given_is_either_taken_or_counted() -> None:
    queue = Pending(max_bytes=1000)
    given = taken = 0
    counted = 0
    for i in range(500):
        queue.add(("ping" if i % 3 else "dns", i % 3, b"x" * (i % 37 + 1)))
        given += 1
        if i % 50 == 49:
            rows, drops = queue.take()
            if i % 100 == 49:  # every other write is refused
                queue.restore(rows, drops)
            else:
                taken += len(rows)
                counted += drops.records
        assert queue.bytes <= 1000
    rows, drops = queue.take()
    assert given == taken + len(rows) + counted + drops.records
