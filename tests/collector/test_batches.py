"""Batch checks and event-time correction: pure functions, no server."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector import ranges
from collector.batches import (
    BatchRejected,
    live_ping,
    live_signal,
    ping_state,
    prepare,
    rollup_sample,
    signal_state,
)
from collector.clocks import Anchor, clock_offset_ns, event_time
from pantau.v1 import records_pb2, telemetry_pb2


def stamp(
    *, wall: int = 7, mono: int = 0, boot: str = "b1", synced: bool = False
) -> records_pb2.RecordTime:
    return records_pb2.RecordTime(
        wall_unix_ns=wall, monotonic_ns=mono, boot_id=boot, clock_synced=synced
    )


def test_event_time_prefers_the_anchor_then_a_synced_wall_clock() -> None:
    anchors = {"b1": Anchor(monotonic_ns=5_000, collector_ns=1_000_000)}
    assert event_time(stamp(mono=4_000), anchors) == (999_000, "monotonic")
    assert event_time(stamp(boot="b0", wall=42, synced=True), anchors) == (42, "synced-wall")
    assert event_time(stamp(boot="b0", wall=42), anchors) == (42, "unsynced-wall")


def test_clock_offset_is_computed_ntp_style() -> None:
    # Kit 10 s behind the collector, 2 ms each way.
    t1 = 1_000_000_000
    t2 = t1 + 10_000_000_000 + 2_000_000
    assert clock_offset_ns(t1, t2, t2 + 1_000_000, t1 + 5_000_000) == 10_000_000_000


def test_latest_signal_and_ping_by_event_time_become_the_live_state() -> None:
    batch = telemetry_pb2.Batch()
    for seq, mono, rsrp in [(1, 3_000, -90.0), (2, 1_000, -120.0)]:  # seq 2 is older
        r = batch.records.add(seq=seq, time=stamp(mono=mono))
        r.signal.rsrp_dbm = rsrp
        r.signal.rat = records_pb2.RAT_LTE
    r = batch.records.add(seq=3, time=stamp(mono=2_000))
    r.ping.common.target = "127.0.0.1"
    r.ping.loss_ratio = 0.25
    out = prepare(
        batch,
        agent_id="a",
        site_code="s",
        anchors={"b1": Anchor(10_000, 10**12)},
        received_ns=10**12,  # the anchor's clock: event times ahead of it are from the future
    )
    assert [row.seq for row in out.rows] == [1, 2, 3]
    assert out.signal is not None and out.signal.rsrp_dbm == -90.0 and out.signal.rat == "lte"
    assert out.signal.sinr_db is None  # absent stays absent
    assert out.ping is not None and out.ping.loss_ratio == 0.25 and out.ping.median_ms is None


def test_an_enum_value_from_a_newer_kit_is_kept_not_an_error() -> None:
    batch = telemetry_pb2.Batch()
    r = batch.records.add(seq=1, time=stamp())
    r.signal.rat = 42  # type: ignore[assignment]
    out = prepare(batch, agent_id="a", site_code="s", anchors={}, received_ns=1)
    assert out.signal is not None and out.signal.rat == "value-42"


def test_too_many_records_is_refused() -> None:
    batch = telemetry_pb2.Batch()
    for seq in range(1, 10_002):
        batch.records.add(seq=seq, time=stamp()).signal.csq = 1
    with pytest.raises(BatchRejected, match="batch of 10001 records exceeds the limit of 10000"):
        prepare(batch, agent_id="a", site_code="s", anchors={}, received_ns=1)


_FIGURE = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([-140.0, -95.0, -44.0, -19.5, -3.0, 0.0, 30.0, 91.0, 181.0]),
)


@settings(max_examples=300, deadline=None)
@given(
    rat=st.sampled_from([*records_pb2.Rat.values(), 99]),
    cell_id=st.one_of(st.none(), st.integers(0, 2**40)),
    figures=st.fixed_dictionaries(
        {n: _FIGURE for n in ("rsrp_dbm", "rsrq_db", "sinr_db", "rssi_dbm", "lat_deg", "lon_deg")}
    ),
    mcc=st.one_of(st.none(), st.text(max_size=80)),
)
def test_the_live_signal_equals_the_reading_judged_whole(
    rat: int, cell_id: int | None, figures: dict[str, float | None], mcc: str | None
) -> None:
    """The ingest's cheaper live state asks only the fields it keeps: the same answer as
    judging every field of the reading (invalid ones absent, a half-valid position none)."""
    s = records_pb2.SignalReading(rat=rat, cell_id=cell_id, mcc=mcc)  # type: ignore[arg-type]
    for name, value in figures.items():
        if value is not None:
            setattr(s, name, value)
    whole = signal_state(5, s, ranges.invalid_fields(s))
    assert _same(live_signal(5, s), whole)


@settings(max_examples=200, deadline=None)
@given(
    rat=st.sampled_from([*records_pb2.Rat.values(), 99, -3]),
    figures=st.fixed_dictionaries({n: _FIGURE for n in ("rsrp_dbm", "rsrq_db", "sinr_db")}),
)
def test_many_values_at_once_and_a_rollup_sample_agree_with_one_value_at_a_time(
    rat: int, figures: dict[str, float | None]
) -> None:
    """``ranges.values`` (one look-up for several fields, the RAT read once) answers as
    ``ranges.value`` asked field by field; a rollup sample keeps exactly those in range."""
    s = records_pb2.SignalReading(rat=rat)  # type: ignore[arg-type]
    for name, value in figures.items():
        if value is not None:
            setattr(s, name, value)
    names = ("sinr_db", "cell_id", "rsrp_dbm", "lat_deg", "rsrq_db", "rssi_dbm")
    assert repr(ranges.values(s, names)) == repr([ranges.value(s, n) for n in names])
    sample = rollup_sample("signal", s, 7, "510-10")
    expected = [(n, float(ranges.value(s, n))) for n in ("rsrp_dbm", "rsrq_db", "sinr_db")
                if ranges.value(s, n) is not None]  # fmt: skip
    assert (sample.kind, sample.network, sample.event_ns) == ("signal", "510-10", 7)
    assert list(sample.values) == expected


@settings(max_examples=200, deadline=None)
@given(
    median=_FIGURE,
    loss=st.floats(allow_nan=True, allow_infinity=True),
    rtts=st.lists(st.floats(allow_nan=True), max_size=3),
)
def test_the_live_ping_equals_the_round_judged_whole(
    median: float | None, loss: float, rtts: list[float]
) -> None:
    p = records_pb2.PingResult(method="icmp", loss_ratio=loss, median_ms=median)
    p.common.target = "8.8.8.8\x00"
    for rtt in rtts:
        p.packets.add(rtt_ms=rtt)
    assert _same(live_ping(5, p), ping_state(5, p, ranges.invalid_fields(p)))


def _same(a: object, b: object) -> bool:
    """Equal field by field, NaN equal to NaN (a valid figure is never NaN, but equal
    dataclasses holding the same NaN object compare unequal only by identity)."""
    return repr(a) == repr(b)
