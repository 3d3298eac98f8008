"""PostgreSQL's records by day (collector.store.partitions): the migration of a store
holding records, exactly-once across partitions, days made ahead, retention dropping
whole days; and the pure helpers."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest
from storebackends import Backend
from storekit import SECOND, SITE, T0, batch

from collector.store import partitions
from collector.store.base import Store
from collector.store.model import BatchOutcome, IngestBatch
from collector.store.partitions import DAY_NS, day_of, day_of_name, days_to_drop, partition_name
from collector.store.postgres_schema import MIGRATIONS, PARTITIONED_RECORDS, SCHEMA_VERSION

TODAY = day_of(time.time_ns())


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    """TODAY as each test starts (a run that crosses midnight UTC would otherwise hold
    the day it was collected on, while the store makes its days from the clock)."""
    monkeypatch.setitem(globals(), "TODAY", day_of(time.time_ns()))


def test_days_and_their_names() -> None:
    assert partition_name(0) == "records_19700101"
    assert partition_name(day_of(T0)) == "records_20231114"
    assert day_of_name("records_20231114") == day_of(T0)
    assert day_of_name("records_default") is None
    assert day_of_name("records_2023111") is None
    assert day_of(-1) == -1  # before 1970: the day before, not day 0
    # A day goes when it ends at or before the cut: never a record newer than the cut.
    assert days_to_drop([10, 11, 12], 12 * DAY_NS) == [10, 11]
    assert days_to_drop([10, 11, 12], 12 * DAY_NS - 1) == [10]
    assert days_to_drop([], 12 * DAY_NS) == []


def _rows_of(backend: Backend, sql: str) -> list[tuple[object, ...]]:
    raw = backend.raw()
    try:
        return raw.execute(sql)
    finally:
        raw.close()


def _children(backend: Backend) -> set[str]:
    return {
        str(r[0])
        for r in _rows_of(
            backend,
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'records'::regclass",
        )
    }


def _at(day: int, seconds: int = 3600) -> int:
    return day * DAY_NS + seconds * SECOND


@pytest.mark.postgres
def test_a_store_from_before_is_partitioned_with_its_records_and_counts(
    postgres_backend: Backend,
) -> None:
    """A database at the version before: records of today, of three days ago, of 1970
    and from the future. The migration moves them all (in one transaction), each into
    its day or the default partition, and exactly-once still holds across them."""
    before = MIGRATIONS.index(PARTITIONED_RECORDS)
    raw = postgres_backend.raw()
    try:
        raw.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_ns BIGINT)")
        for number, migration in enumerate(MIGRATIONS[:before]):
            raw.conn.execute(migration)
            raw.execute("INSERT INTO schema_version VALUES (?, 0)", (number + 1,))
        raw.execute("INSERT INTO sites VALUES (?, 1)", (SITE,))
        raw.execute(
            "INSERT INTO agents (agent_id, site_code, secret_hash, created_ns, acked_through) "
            "VALUES ('kit-1', ?, 'h', 1, 9)",
            (SITE,),
        )
        times = {1: _at(TODAY), 2: _at(TODAY - 3), 3: 5, 4: _at(TODAY + 4000), 6: _at(TODAY, 7)}
        for seq, event_ns in times.items():
            raw.execute(
                "INSERT INTO records VALUES ('kit-1', ?, ?, 'signal', ?, ?, 'monotonic', ?, ?)",
                (seq, SITE, event_ns, event_ns, event_ns, b"\x00"),
            )
        raw.execute(
            "INSERT INTO site_state (site_code, last_seen_ns, records) VALUES (?, 1, 5)", (SITE,)
        )
        raw.commit()
    finally:
        raw.close()

    store = postgres_backend.open()
    try:
        assert _rows_of(postgres_backend, "SELECT MAX(version) FROM schema_version") == [
            (SCHEMA_VERSION,)
        ]
        assert sorted((r.seq, r.event_ns) for r in store.records()) == sorted(times.items())
        children = _children(postgres_backend)
        made = {partition_name(d) for d in (TODAY - 3, TODAY, TODAY + 1, TODAY + 2)}
        assert children == made | {"records_default"}
        by_partition = _rows_of(
            postgres_backend,
            "SELECT tableoid::regclass::text, seq FROM records ORDER BY seq",
        )
        assert [(str(p).split(".")[-1], s) for p, s in by_partition] == [
            (partition_name(TODAY), 1),
            (partition_name(TODAY - 3), 2),
            ("records_default", 3),
            ("records_default", 4),
            (partition_name(TODAY), 6),
        ]
        # Resent, in other partitions than the stored ones (a corrected clock moves
        # them): duplicates all the same. Seq 5, never stored, below the ack: stored.
        resent = [replace(r, event_ns=_at(TODAY + 1)) for r in batch("kit-1", 2, 3, 5).rows]
        again = IngestBatch("kit-1", SITE, resent, _at(TODAY))
        assert store.commit([again]) == [BatchOutcome(1, 2, 9)]
        assert store.commit([batch("kit-1", 10)]) == [BatchOutcome(1, 0, 10)]
        assert store.commit([batch("kit-1", 10)]) == [BatchOutcome(0, 1, 10)]
        (site,) = store.sites()
        assert site.records == 7
    finally:
        store.close()


@pytest.mark.postgres
def test_retention_drops_whole_days_and_keeps_the_counts(postgres_backend: Backend) -> None:
    store = postgres_backend.open()
    try:
        store.add_agent("kit-1", SITE, "h")
        late = [
            replace(r, event_ns=_at(TODAY - 5 + i))
            for i, r in enumerate(batch("kit-1", 1, 2, 3).rows)
        ]
        # Old days made by hand (the migration makes the days a store holds records of).
        raw = postgres_backend.raw()
        try:
            for day in (TODAY - 5, TODAY - 4):
                raw.execute("SELECT pantau_add_day('records', 'event_ns', ?)", (day,))
            raw.commit()
        finally:
            raw.close()
        store.commit([IngestBatch("kit-1", SITE, late, _at(TODAY))])  # days -5, -4, -3
        store.commit([batch("kit-1", 4, 5)])  # T0 (2023): the default partition
        assert (store.sites()[0].records, len(list(store.records()))) == (5, 5)

        # The cut inside day -4: day -5 goes whole, day -4 stays whole, and so does
        # the (unpartitioned) day -3 record, which sits in the default partition.
        counts = store.prune(_at(TODAY - 4, 7200), 0)
        assert counts.records == 1 + 2  # day -5, and both 2023 records (row by row)
        assert sorted(r.seq for r in store.records()) == [2, 3]
        assert store.sites()[0].records == 2
        children = _children(postgres_backend)
        assert partition_name(TODAY - 5) not in children
        assert {partition_name(TODAY - 4), partition_name(TODAY + 2)} <= children
        assert store.prune(_at(TODAY - 4, 7200), 0).records == 0
        # A record of a dropped day that comes late lands in the default partition.
        gone = replace(batch("kit-1", 6).rows[0], event_ns=_at(TODAY - 5))
        assert store.commit([IngestBatch("kit-1", SITE, [gone], _at(TODAY))]) == [
            BatchOutcome(1, 0, 6)
        ]
    finally:
        store.close()


@pytest.mark.postgres
def test_days_are_made_ahead_once(postgres_backend: Backend) -> None:
    store = postgres_backend.open()
    try:
        ahead = {partition_name(TODAY + i) for i in range(partitions.AHEAD_DAYS + 1)}
        assert ahead <= _children(postgres_backend)
        before = _children(postgres_backend)
        store.prune(0, 0)  # a retention pass makes what is missing: nothing here
        assert _children(postgres_backend) == before
    finally:
        store.close()


@pytest.mark.postgres
def test_two_replicas_storing_the_same_records_at_once_store_each_once(
    postgres_backend: Backend,
) -> None:
    """Two replicas take the same kit's resends at the same moment, each copy with
    another event time (another day's partition): every seq is stored once, and the
    site's record count counts it once."""
    first, second = postgres_backend.open(), postgres_backend.open()
    try:
        first.add_agent("kit-1", SITE, "h")
        barrier = threading.Barrier(2)
        outcomes: list[list[BatchOutcome]] = []

        def send(store: Store, day: int) -> None:
            barrier.wait(timeout=20)
            for top in range(10, 201, 10):
                rows = [
                    replace(r, event_ns=_at(day, r.seq))
                    for r in batch("kit-1", *range(top - 14, top + 1)).rows
                    if r.seq > 0
                ]
                outcomes.append(store.commit([IngestBatch("kit-1", SITE, rows, _at(TODAY))]))

        threads = [
            threading.Thread(target=send, args=(store, day))
            for store, day in ((first, TODAY), (second, TODAY + 1))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        seqs = [r.seq for r in first.records()]
        assert sorted(seqs) == list(range(1, 201))
        assert sum(o.stored for out in outcomes for o in out) == 200
        assert first.sites()[0].records == 200
    finally:
        first.close()
        second.close()


@pytest.mark.postgres
def test_a_day_made_later_takes_its_records_out_of_the_default_partition(
    postgres_backend: Backend,
) -> None:
    """A record from beyond the days made ahead waits in the default partition; when
    its day comes to be made (the collector's clock reaching it), the record moves
    into it, and is still known: resent, it is a duplicate."""
    store = postgres_backend.open()
    try:
        store.add_agent("kit-1", SITE, "h")
        later = TODAY + partitions.AHEAD_DAYS + 3
        row = replace(batch("kit-1", 1).rows[0], event_ns=_at(later))
        store.commit([IngestBatch("kit-1", SITE, [row], _at(TODAY))])
        assert partition_name(later) not in _children(postgres_backend)
        raw = postgres_backend.raw()
        try:
            made = partitions.ensure_days(_RawTx(raw), _at(later - partitions.AHEAD_DAYS))
            raw.commit()
        finally:
            raw.close()
        assert made == 2 * (partitions.AHEAD_DAYS + 1)  # three new days: records', rollups'
        where = _rows_of(postgres_backend, "SELECT tableoid::regclass::text FROM records")
        assert [str(p).split(".")[-1] for (p,) in where] == [partition_name(later)]
        assert store.commit([IngestBatch("kit-1", SITE, [row], _at(TODAY))]) == [
            BatchOutcome(0, 1, 1)
        ]
        assert store.sites()[0].records == 1
    finally:
        store.close()


class _RawTx:
    """The store's transaction interface over a raw connection of the test."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self.raw.execute(sql, params)

    def one(self, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None:
        found = self.raw.execute(sql, params)
        return found[0] if found else None

    def run(self, sql: str, params: Sequence[object] = ()) -> int:
        self.raw.execute(sql, params)
        return 0
