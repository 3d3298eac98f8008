"""Outcomes -> pantau.v1 records: None leaves a field unset, statuses map one to one."""

import pytest

from agent.probes import PROBERS
from agent.probes.base import Common, ProbeStatus
from agent.probes.convert import STATUS_TO_PROTO, outcome_to_proto
from agent.probes.icmp import PingOutcome, PingPacket
from agent.probes.tcp import TcpOutcome
from pantau.v1 import records_pb2


def common(**changes: object) -> Common:
    values: dict[str, object] = {
        "probe_name": "ping-collector",
        "target": "collector.example",
        "target_address": "203.0.113.7",
        "status": ProbeStatus.OK,
        "reason": "",
        "resolve_ms": 12.5,
        "source": "wwan0",
        "bytes_used": 840,
    }
    values.update(changes)
    return Common(**values)  # type: ignore[arg-type]


PARTIAL_LOSS = PingOutcome(
    common=common(),
    method="icmp-raw",
    tcp_port=None,
    sent=3,
    received=2,
    duplicates=1,
    packets=(PingPacket(1, 40.0, 1), PingPacket(2, None, 0), PingPacket(3, 44.0, 0)),
    min_ms=40.0,
    median_ms=42.0,
    avg_ms=42.0,
    max_ms=44.0,
    stddev_ms=2.0,
    jitter_ms=4.0,
    loss_ratio=1 / 3,
    payload_bytes=56,
    interval_ms=200.0,
)

ALL_LOST = PingOutcome(
    common=common(
        target="10.0.0.2",
        target_address="10.0.0.2",
        status=ProbeStatus.TIMEOUT,
        reason="100% packet loss (2/2)",
        resolve_ms=None,
        source=None,
        bytes_used=168,
    ),
    method="tcp-connect",
    tcp_port=443,
    sent=2,
    received=0,
    duplicates=0,
    packets=(PingPacket(1, None), PingPacket(2, None)),
    min_ms=None,
    median_ms=None,
    avg_ms=None,
    max_ms=None,
    stddev_ms=None,
    jitter_ms=None,
    loss_ratio=1.0,
    payload_bytes=56,
    interval_ms=200.0,
)


def round_trip(message: records_pb2.PingResult) -> records_pb2.PingResult:
    return records_pb2.PingResult.FromString(message.SerializeToString())


def test_ping_round_trip() -> None:
    message = outcome_to_proto(PARTIAL_LOSS)
    assert isinstance(message, records_pb2.PingResult)
    back = round_trip(message)
    assert back.common.probe_name == "ping-collector"
    assert back.common.target_address == "203.0.113.7"
    assert back.common.status == records_pb2.PROBE_STATUS_OK
    assert back.common.resolve_ms == 12.5
    assert back.common.source == "wwan0"
    assert back.common.bytes_used == 840
    assert back.method == "icmp-raw"
    assert not back.HasField("tcp_port")
    assert (back.sent, back.received, back.duplicates) == (3, 2, 1)
    assert [(p.icmp_seq, p.duplicates) for p in back.packets] == [(1, 1), (2, 0), (3, 0)]
    assert back.packets[0].rtt_ms == 40.0
    assert not back.packets[1].HasField("rtt_ms")  # lost: absent, not 0
    assert (back.min_ms, back.median_ms, back.avg_ms, back.max_ms) == (40.0, 42.0, 42.0, 44.0)
    assert (back.stddev_ms, back.jitter_ms) == (2.0, 4.0)
    assert back.loss_ratio == pytest.approx(1 / 3)
    assert (back.payload_bytes, back.interval_ms) == (56, 200.0)


def test_absent_values_stay_unset() -> None:
    back = round_trip(outcome_to_proto(ALL_LOST))  # type: ignore[arg-type]
    for name in ("min_ms", "median_ms", "avg_ms", "max_ms", "stddev_ms", "jitter_ms"):
        assert not back.HasField(name), name
    assert not back.common.HasField("resolve_ms")
    assert not back.common.HasField("source")
    assert back.common.target_address == "10.0.0.2"
    assert back.common.status == records_pb2.PROBE_STATUS_TIMEOUT
    assert back.common.reason == "100% packet loss (2/2)"
    assert back.tcp_port == 443
    assert back.loss_ratio == 1.0
    assert all(not p.HasField("rtt_ms") for p in back.packets)


def test_tcp_outcomes() -> None:
    ok = TcpOutcome(common(target="collector.example:443"), 443, 87.25)
    refused = TcpOutcome(
        common(
            status=ProbeStatus.REFUSED,
            reason="connection to 203.0.113.7:443 refused",
            target_address=None,
        ),
        443,
        None,
    )
    message = outcome_to_proto(ok)
    assert isinstance(message, records_pb2.TcpConnectResult)
    assert (message.port, message.connect_ms) == (443, 87.25)
    assert message.common.target == "collector.example:443"
    back = records_pb2.TcpConnectResult.FromString(outcome_to_proto(refused).SerializeToString())
    assert not back.HasField("connect_ms")
    assert not back.common.HasField("target_address")
    assert back.common.status == records_pb2.PROBE_STATUS_REFUSED


def test_every_status_maps_to_its_proto_value() -> None:
    proto_values = set(records_pb2.ProbeStatus.values()) - {records_pb2.PROBE_STATUS_UNSPECIFIED}
    assert set(STATUS_TO_PROTO) == set(ProbeStatus)
    assert set(STATUS_TO_PROTO.values()) == proto_values
    for status, value in STATUS_TO_PROTO.items():
        name = records_pb2.ProbeStatus.Name(value)
        assert name == "PROBE_STATUS_" + status.value.upper().replace("-", "_")


def test_registry_converters_fill_their_record_field() -> None:
    samples = {"icmp": PARTIAL_LOSS, "tcp": TcpOutcome(common(), 443, 1.0)}
    assert set(samples) == set(PROBERS)
    for kind, outcome in samples.items():
        spec = PROBERS[kind]
        record = records_pb2.Record(seq=1)
        getattr(record, spec.record_field).CopyFrom(spec.to_proto(outcome))
        assert record.WhichOneof("body") == spec.record_field


def test_unknown_outcome_type() -> None:
    with pytest.raises(TypeError, match="no protobuf converter for str"):
        outcome_to_proto("not an outcome")
