"""Values from kits (issue 13, items 1-3), the pure parts: the table of valid ranges,
the live state, the rules' observations, raw readings, batch refusals and future times."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from google.protobuf.descriptor import Descriptor

from collector import measurements, observe, ranges
from collector.batches import MAX_SEQ, BatchRejected, prepare
from collector.clocks import FUTURE, FUTURE_TOLERANCE_NS, Anchor
from collector.rules import observations as obs
from collector.store.model import IngestBatch
from pantau.v1 import records_pb2, telemetry_pb2

S = 1_000_000_000
NOW = 1_800_000_000 * S  # the collector's clock when the batch arrives
DOCS = Path(__file__).resolve().parents[2] / "docs" / "proto.md"


def signal(**values: object) -> records_pb2.SignalReading:
    reading = records_pb2.SignalReading(rat=records_pb2.RAT_LTE)
    for name, value in values.items():
        setattr(reading, name, value)
    return reading


# -- the table -------------------------------------------------------------------------------


def _bodies() -> list[Descriptor]:
    """Every message reachable from a Record's body."""
    seen: dict[str, Descriptor] = {}
    todo = [f.message_type for f in records_pb2.Record.DESCRIPTOR.oneofs_by_name["body"].fields]
    while todo:
        d = todo.pop()
        if d.name in seen or d.GetOptions().map_entry:
            continue
        seen[d.name] = d
        todo += [f.message_type for f in d.fields if f.message_type is not None]
    return list(seen.values())


def test_every_numeric_field_of_a_record_body_has_a_range() -> None:
    missing = [
        f"{d.name}.{f.name}"
        for d in _bodies()
        for f in ranges.numeric_fields(d)
        if f.name not in ranges.FIELDS.get(d.name, {})
    ]
    assert missing == []
    listed = {f"{m}.{n}" for m, fields in ranges.FIELDS.items() for n in fields}
    real = {f"{d.name}.{f.name}" for d in _bodies() for f in ranges.numeric_fields(d)}
    assert listed <= real  # no range for a field that does not exist


def test_a_plain_field_at_its_zero_default_is_valid() -> None:
    """The walk reads only the fields a message has set: a proto3 field without presence
    at 0 is skipped, so 0 must be valid for it (for every RAT)."""
    for d in _bodies():
        for f in ranges.numeric_fields(d):
            bound = ranges.FIELDS.get(d.name, {}).get(f.name)
            if bound is None or f.has_presence or f.is_repeated:
                continue
            limits = bound.by_rat.values() if isinstance(bound, ranges.PerRat) else [bound]
            assert all(r.holds(0) for r in limits), f"{d.name}.{f.name}"


def test_docs_print_the_table() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert [row for row in ranges.doc_rows() if row not in text] == []


@pytest.mark.parametrize(
    ("values", "invalid"),
    [
        ({"rsrp_dbm": -95.0, "rsrq_db": -11.0, "sinr_db": 13.0}, []),
        ({"rsrp_dbm": math.inf}, ["rsrp_dbm"]),
        ({"rsrp_dbm": -math.inf}, ["rsrp_dbm"]),
        ({"rsrp_dbm": math.nan}, ["rsrp_dbm"]),
        ({"rsrp_dbm": 50.0}, ["rsrp_dbm"]),
        ({"rsrp_dbm": -156.0, "sinr_db": 40.0}, []),  # the bounds are valid
        ({"rsrq_db": -40.0}, ["rsrq_db"]),  # LTE: -34 .. 2.5
        ({"rsrq_db": -40.0, "rat": records_pb2.RAT_NR5G_SA}, []),  # NR: -43 .. 20
        ({"cell_id": 2**63}, ["cell_id"]),
        ({"cell_id": 2**30}, ["cell_id"]),  # LTE ECI: 28 bits
        ({"cell_id": 2**30, "rat": records_pb2.RAT_NR5G_SA}, []),  # NR NCI: 36 bits
        ({"lat_deg": 95.0, "lon_deg": 400.0}, ["lat_deg", "lon_deg"]),
        ({"csq": 99}, ["csq"]),  # "not known" is sent as absent
    ],
)
def test_signal_fields_outside_their_range_per_rat(
    values: dict[str, object], invalid: list[str]
) -> None:
    assert ranges.invalid_fields(signal(**values)) == invalid


def test_nested_repeated_and_map_fields_are_named_by_path() -> None:
    ping = records_pb2.PingResult(loss_ratio=100.0, median_ms=-3.0)
    ping.packets.add(rtt_ms=12.0)
    ping.packets.add(rtt_ms=-1.0)
    ping.common.resolve_ms = math.nan
    assert ranges.invalid_fields(ping) == [  # in field-number order
        "common.resolve_ms", "packets[1].rtt_ms", "median_ms", "loss_ratio",
    ]  # fmt: skip
    event = records_pb2.AgentEvent(dropped_by_kind={"ping": 2**63, "signal": 3})
    assert ranges.invalid_fields(event) == ["dropped_by_kind[ping]"]
    hop = records_pb2.TraceResult()
    hop.hops.add(ttl=1, rtts_ms=[1.0, math.inf])
    assert ranges.invalid_fields(hop) == ["hops[0].rtts_ms[1]"]


# -- item 1: invalid values stay out of the live state, the rules and the readings -----------


def _batch(*records: records_pb2.Record) -> telemetry_pb2.Batch:
    return telemetry_pb2.Batch(records=records)


def _record(seq: int, *, wall: int = NOW - S, mono: int | None = None) -> records_pb2.Record:
    time = records_pb2.RecordTime(wall_unix_ns=wall, boot_id="b1", clock_synced=True)
    if mono is not None:
        time.monotonic_ns = mono
        time.boot_id = "anchored"
    return records_pb2.Record(seq=seq, time=time)


def _prepare(*records: records_pb2.Record, anchors: dict[str, Anchor] | None = None) -> IngestBatch:
    return prepare(
        _batch(*records), agent_id="a", site_code="s", anchors=anchors or {}, received_ns=NOW
    )


def test_impossible_values_are_stored_as_received_but_left_out_of_the_live_state() -> None:
    r = _record(1)
    r.signal.CopyFrom(signal(rsrp_dbm=math.inf, rsrq_db=-11.0, lat_deg=95.0, lon_deg=106.8))
    p = _record(2)
    p.ping.CopyFrom(records_pb2.PingResult(loss_ratio=100.0, median_ms=-5.0))
    out = prepare(_batch(r, p), agent_id="a", site_code="s", anchors={}, received_ns=NOW)
    assert [records_pb2.Record.FromString(row.payload) for row in out.rows] == [r, p]
    assert out.signal is not None
    assert (out.signal.rsrp_dbm, out.signal.rsrq_db) == (None, -11.0)
    assert (out.signal.lat, out.signal.lon) == (None, None)  # half a position is none
    assert out.ping is not None and (out.ping.loss_ratio, out.ping.median_ms) == (None, None)


def test_live_state_text_has_no_nul_and_is_bounded() -> None:
    r = _record(1)
    r.signal.operator_name = "Tel\x00kom" + "x" * 1000
    out = prepare(_batch(r), agent_id="a", site_code="s", anchors={}, received_ns=NOW)
    assert out.signal is not None and out.signal.operator_name is not None
    assert "\x00" not in out.signal.operator_name and len(out.signal.operator_name) == 64


def test_invalid_figures_never_become_observation_values() -> None:
    r = _record(1)
    r.signal.CopyFrom(signal(rsrp_dbm=50.0, sinr_db=math.nan, rsrq_db=-10.0, cell_id=2**63))
    (seen,) = observe.observations_from_record(r, NOW)
    assert isinstance(seen, obs.Signal)
    assert (seen.rsrp_dbm, seen.sinr_db, seen.rsrq_db, seen.cell_id) == (None, None, -10.0, None)
    p = _record(2)
    p.ping.loss_ratio = 100.0
    assert observe.observations_from_record(p, NOW) == []  # no loss figure: no observation
    p.ping.loss_ratio = 0.5
    p.ping.median_ms = -1.0
    (ping,) = observe.observations_from_record(p, NOW)
    assert isinstance(ping, obs.Ping) and ping.median_ms is None and ping.loss_ratio == 0.5
    t = _record(3)
    t.throughput.goodput_bps = math.inf
    (through,) = observe.observations_from_record(t, NOW)
    assert isinstance(through, obs.Throughput) and through.goodput_bps is None


def test_raw_readings_show_invalid_fields_as_null_and_name_them() -> None:
    r = _record(1)
    r.signal.CopyFrom(signal(rsrp_dbm=math.inf, rsrq_db=-11.0, lat_deg=95.0))
    item = measurements.item("signal", NOW, r)
    assert item is not None
    assert (item["rsrp_dbm"], item["rsrq_db"], item["lat"]) == (None, -11.0, None)
    assert item["invalid"] == ["rsrp_dbm", "lat_deg"]
    p = _record(2)
    p.ping.loss_ratio = -0.5
    p.ping.packets.add(rtt_ms=10.0)
    p.ping.packets.add(rtt_ms=math.nan)
    item = measurements.item("ping", NOW, p, future=True)
    assert item is not None
    assert (item["loss_ratio"], item["rtts_ms"]) == (None, [10.0, None])
    assert item["invalid"] == ["time", "packets[1].rtt_ms", "loss_ratio"]


# -- item 2: integers beyond int64 -------------------------------------------------------------


def test_a_seq_beyond_int64_is_refused_naming_the_record_and_field() -> None:
    r = _record(MAX_SEQ + 1)
    r.signal.rsrp_dbm = -90.0
    with pytest.raises(BatchRejected, match=r"record #0: seq 9223372036854775808 does not fit"):
        _prepare(r)
    r.seq = MAX_SEQ
    assert _prepare(r).rows[0].seq == MAX_SEQ


def test_a_monotonic_time_putting_the_event_time_outside_int64_is_refused() -> None:
    anchors = {"anchored": Anchor(monotonic_ns=2**62, collector_ns=NOW)}
    r = _record(7, mono=-(2**63))
    r.signal.rsrp_dbm = -90.0
    with pytest.raises(BatchRejected, match=r"record #0 \(seq 7\): time.monotonic_ns -922"):
        _prepare(r, anchors=anchors)


# -- item 3: time from the future ---------------------------------------------------------------


def test_a_reading_from_the_future_is_stored_judged_future_and_never_the_latest() -> None:
    year_2100 = 4_102_444_800 * S
    future = _record(1, wall=year_2100)
    future.signal.rsrp_dbm = -60.0
    now = _record(2, wall=NOW - S)
    now.signal.rsrp_dbm = -100.0
    out = _prepare(future, now)
    assert out.signal is not None and out.signal.rsrp_dbm == -100.0
    rows = out.rows
    assert [(row.seq, row.event_ns, row.time_quality) for row in rows] == [
        (1, year_2100, FUTURE), (2, NOW - S, "synced-wall"),
    ]  # fmt: skip
    just_ahead = _record(3, wall=NOW + FUTURE_TOLERANCE_NS)  # within the tolerance
    just_ahead.signal.rsrp_dbm = -80.0
    assert _prepare(just_ahead).rows[0].time_quality == "synced-wall"


def test_neighbours_and_carriers_are_judged_by_path() -> None:
    s = records_pb2.SignalReading(rat=records_pb2.RAT_LTE, neighbours_reported=True, nr_band=78)
    s.neighbours.add(rat=records_pb2.CELL_RAT_LTE, pci=124, earfcn=1850, rsrp_dbm=-98.0)
    s.neighbours.add(rat=records_pb2.CELL_RAT_LTE, pci=301, rsrp_dbm=20.0, rsrq_db=-9.0)
    s.carriers.add(primary=True, rat=records_pb2.CELL_RAT_LTE, band=3, bandwidth_mhz=20.0)
    s.carriers.add(primary=False, rat=records_pb2.CELL_RAT_NR, band=78, bandwidth_mhz=800.0)
    assert ranges.invalid_fields(s) == ["neighbours[1].rsrp_dbm", "carriers[1].bandwidth_mhz"]


def test_a_measurement_item_counts_the_neighbours_only_when_the_modem_said() -> None:
    heard = records_pb2.Record(signal=records_pb2.SignalReading(neighbours_reported=True))
    heard.signal.neighbours.add(rat=records_pb2.CELL_RAT_LTE, pci=1, rsrp_dbm=-90.0)
    silent = records_pb2.Record(signal=records_pb2.SignalReading(rat=records_pb2.RAT_LTE))
    none = records_pb2.Record(signal=records_pb2.SignalReading(neighbours_reported=True))
    counts = [measurements.item("signal", 0, r)["neighbours"] for r in (heard, silent, none)]  # type: ignore[index]
    assert counts == [1, None, 0]
