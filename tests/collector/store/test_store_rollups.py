"""The sites' rollups (collector.store.rollups): the figures a window reads from them
equal a brute-force computation over its readings, within the documented tolerance
(the property tests), whatever the commits that carried them; both stores keep them
at ingest, once per stored record; coverage over a long window reads them."""

from __future__ import annotations

import itertools
import statistics
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from storebackends import Backend
from storekit import SECOND, SITE, T0

from collector.coverage_rows import coverage_entry
from collector.query import SiteQueries, SiteRow, site_row
from collector.store.base import Store
from collector.store.model import IngestBatch
from collector.store.rollup_sql import rollup_of_row, rollup_params
from collector.store.rollups import (
    BUCKET_NS,
    MAX_VALUES,
    Figure,
    Rollup,
    Sample,
    bucket_of,
    deltas,
    merge,
    records_of,
)
from collector.store.sqlite import SqliteStore
from collector.web.seed import batch_of, ping_record, signal_record

#: An RSRP reading with one decimal, as modems give them.
rsrp = st.integers(-1400, -440).map(lambda t: t / 10)
#: (bucket index, value): readings spread over a few buckets.
reading = st.tuples(st.integers(0, 5), rsrp)


def _samples(readings: list[tuple[int, float]]) -> list[tuple[str, Sample]]:
    return [
        (SITE, Sample("signal", "510-10", T0 + b * BUCKET_NS + i, (("rsrp_dbm", v),)))
        for i, (b, v) in enumerate(readings)
    ]


def _as_stored(rows: dict[tuple[str, int, str, str], Rollup], delta: Rollup) -> None:
    """Add ``delta`` to ``rows`` as the store's upsert does, through the stored text."""
    delta = rollup_of_row(rollup_params(delta))
    row = rows.setdefault(
        delta.key, Rollup(*delta.key[:1], delta.network, delta.kind, delta.bucket_ns)
    )
    row.records += delta.records
    for name, fig in delta.figures.items():
        row.figures.setdefault(name, Figure()).absorb(fig)


def _commits(readings: list[tuple[int, float]], cuts: list[int]) -> list[Rollup]:
    samples = _samples(readings)
    rows: dict[tuple[str, int, str, str], Rollup] = {}
    edges = sorted({0, len(samples), *(c % (len(samples) + 1) for c in cuts)})
    for lo, hi in itertools.pairwise(edges):
        for delta in deltas(samples[lo:hi]):
            _as_stored(rows, delta)
    return [rows[k] for k in sorted(rows)]


@settings(max_examples=200, deadline=None)
@given(st.lists(reading, min_size=1, max_size=200), st.lists(st.integers(0, 400), max_size=6))
def test_a_windows_figures_equal_the_brute_force_ones(
    readings: list[tuple[int, float]], cuts: list[int]
) -> None:
    """However the readings were split into commits: count, minimum, maximum and mean
    exact; the median exact when no bucket holds more than MAX_VALUES, else the median
    of the kept values (the first ones of each bucket by arrival)."""
    rows = _commits(readings, cuts)
    fig = merge(rows)["rsrp_dbm"]
    values = [v for _, v in readings]
    assert records_of(rows, "signal") == fig.n == len(values)
    assert (fig.min, fig.max) == (min(values), max(values))
    assert fig.mean is not None and abs(fig.mean - statistics.fmean(values)) < 1e-9
    per_bucket: dict[int, list[float]] = {}
    for b, v in readings:
        per_bucket.setdefault(b, []).append(v)
    assert fig.median is not None
    if all(len(vs) <= MAX_VALUES for vs in per_bucket.values()):
        assert fig.median == statistics.median(values)
    for row in rows:  # each bucket keeps its first values by arrival, at least MAX_VALUES
        arrived = per_bucket[(row.bucket_ns - bucket_of(T0)) // BUCKET_NS]
        kept = row.figures["rsrp_dbm"].values
        assert kept == arrived[: len(kept)]
        assert len(kept) >= min(len(arrived), MAX_VALUES)
    assert fig.median == statistics.median(v for r in rows for v in r.figures["rsrp_dbm"].values)


def test_buckets_are_five_minutes_of_event_time() -> None:
    assert bucket_of(0) == 0 and bucket_of(BUCKET_NS - 1) == 0 and bucket_of(BUCKET_NS) == BUCKET_NS
    one = deltas(_samples([(0, -90.0), (0, -100.0), (1, -80.0)]))
    assert [(r.bucket_ns - one[0].bucket_ns, r.records) for r in one] == [(0, 2), (BUCKET_NS, 1)]
    assert one[0].figures["rsrp_dbm"].median == -95.0


def _signal_batch(seqs: range, *, rsrp_of: int = 0, received_ns: int = T0) -> IngestBatch:
    records = [
        signal_record(
            s, T0 + s * 60 * SECOND, mcc="510", mnc="10", name="Telkomsel",
            rsrp=-70.0 - (s * 7 + rsrp_of) % 40, cell_id=1,
        )
        for s in seqs
    ]  # fmt: skip
    return batch_of("kit-1", SITE, records, received_ns)


def _figures(store: Store) -> tuple[int, Figure]:
    rows = store.rollups_of_sites([SITE], 0)[SITE]
    return records_of(rows, "signal"), merge(rows)["rsrp_dbm"]


def test_the_store_keeps_them_once_per_stored_record(store: Store) -> None:
    store.add_agent("kit-1", SITE, "h")
    store.commit([_signal_batch(range(1, 11))])
    store.commit([_signal_batch(range(5, 16))])  # 5..10 resent: not counted again
    # A group with the same agent twice and a resend inside it.
    store.commit([_signal_batch(range(16, 19)), _signal_batch(range(17, 21))])
    expected = [-70.0 - (s * 7) % 40 for s in range(1, 21)]
    count, fig = _figures(store)
    assert count == fig.n == 20
    assert fig.median == statistics.median(expected)
    assert (fig.min, fig.max) == (min(expected), max(expected))
    rows = store.rollups_of_sites([SITE, "3171011009999"], T0 + 10 * 60 * SECOND)
    assert rows["3171011009999"] == []
    assert {r.bucket_ns for r in rows[SITE]} == {
        bucket_of(T0 + s * 60 * SECOND) for s in range(10, 21)
    }
    assert {(r.network, r.kind) for r in rows[SITE]} == {("510-10", "signal")}
    # Retention takes the old buckets with the records.
    store.prune(T0 + 30 * 60 * SECOND, 0)
    assert store.rollups_of_sites([SITE], 0)[SITE] == []


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 60), st.integers(0, 20)), min_size=1, max_size=12),
)
def test_sqlite_rollups_equal_the_stored_records_brute_force(
    commits: list[tuple[int, int]],
) -> None:
    """Random overlapping runs of seqs (resends), through a real SQLite store: the
    rollups' figures are those of the records it stored."""
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "c.sqlite")
        try:
            store.add_agent("kit-1", SITE, "h")
            for top, back in commits:
                store.commit([_signal_batch(range(max(1, top - back), top + 1))])
            stored = sorted({r.seq for r in store.records()})
            expected = [-70.0 - (s * 7) % 40 for s in stored]
            count, fig = _figures(store)
            assert count == fig.n == len(stored)
            assert fig.median == statistics.median(expected)
            assert (fig.min, fig.max) == (min(expected), max(expected))
        finally:
            store.close()


def _row(store: Store) -> SiteRow:
    (view,) = store.sites([SITE])
    return site_row(view, [], now_ns=T0, silent_after_ns=300 * SECOND, seen_on=())


def test_coverage_over_a_long_window_reads_the_rollups(backend: Backend, store: Store) -> None:
    store.add_agent("kit-1", SITE, "h")
    records = []
    for s in range(1, 121):  # two hours, a signal reading and a ping round a minute
        at = T0 + s * 60 * SECOND
        records.append(
            signal_record(
                2 * s - 1, at, mcc="510", mnc="10", name="T", rsrp=-60.0 - s % 50, cell_id=1
            )
        )
        records.append(ping_record(2 * s, at, rtts=[20.0 + s % 7, None if s % 5 == 0 else 30.0]))
    store.commit([batch_of("kit-1", SITE, records, T0)])
    raw = backend.raw()
    try:
        raw.execute("UPDATE rollups_start SET since_ns = 0")  # as if kept all along
        raw.commit()
    finally:
        raw.close()
    now = T0 + 121 * 60 * SECOND
    queries = SiteQueries(store, clock=lambda: now)
    (from_rollups,) = queries.coverage([_row(store)], hours=3)
    stored = list(store.site_window(SITE, 0))
    assert from_rollups == coverage_entry(_row(store), stored)
    assert from_rollups.samples == 120
