"""Outcomes -> pantau.v1 records: None leaves a field unset, statuses map one to one."""

import pytest

from agent.probes import PROBERS
from agent.probes.base import Common, ProbeStatus
from agent.probes.convert import STATUS_TO_PROTO, outcome_to_proto
from agent.probes.dns import DnsAnswer, DnsOutcome
from agent.probes.http import HttpOutcome
from agent.probes.icmp import PingOutcome, PingPacket
from agent.probes.tcp import TcpOutcome
from agent.probes.throughput import ThroughputOutcome
from agent.probes.trace import TraceHop, TraceOutcome
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
    samples = {
        "icmp": PARTIAL_LOSS,
        "tcp": TcpOutcome(common(), 443, 1.0),
        "dns": DNS,
        "http": HTTP,
        "throughput": THROUGHPUT,
        "trace": TRACE,
    }
    assert set(samples) == set(PROBERS)
    for kind, outcome in samples.items():
        spec = PROBERS[kind]
        record = records_pb2.Record(seq=1)
        getattr(record, spec.record_field).CopyFrom(spec.to_proto(outcome))
        assert record.WhichOneof("body") == spec.record_field


def test_unknown_outcome_type() -> None:
    with pytest.raises(TypeError, match="no protobuf converter for str"):
        outcome_to_proto("not an outcome")


DNS = DnsOutcome(
    common(),
    "example.com",
    "A",
    None,
    3.5,
    "NOERROR",
    (DnsAnswer("example.com.", "A", "192.0.2.1", 300),),
)
HTTP = HttpOutcome(
    common(status=ProbeStatus.TLS_ERROR, reason="TLS certificate not accepted: expired"),
    "https://collector.example/health",
    "GET",
    connect_ms=30.0,
)
THROUGHPUT = ThroughputOutcome(
    common(bytes_used=2_100_000),
    "upload",
    2_000_000,
    4000.0,
    4.2e6,
    500.0,
    "byte-cap",
    (262_144, 524_288),
    tcp_min_rtt_ms=31.0,
    tcp_retransmits=0,
)
TRACE = TraceOutcome(
    common(),
    "tcp-syn",
    443,
    (TraceHop(1, "10.0.0.1", (1.0, 1.2), 2, False), TraceHop(2, None, (), 2, False)),
    False,
)


def test_dns_http_throughput_trace_fields() -> None:
    dns = outcome_to_proto(DNS)
    assert isinstance(dns, records_pb2.DnsResult)
    assert not dns.HasField("resolver")  # the system's resolver
    assert dns.answers[0].ttl_s == 300 and dns.rcode == "NOERROR"
    http = outcome_to_proto(HTTP)
    assert isinstance(http, records_pb2.HttpResult)
    assert http.common.status == records_pb2.PROBE_STATUS_TLS_ERROR
    assert http.HasField("connect_ms") and not http.HasField("tls_ms")
    assert not http.HasField("status_code") and not http.HasField("tls_version")
    tp = outcome_to_proto(THROUGHPUT)
    assert isinstance(tp, records_pb2.ThroughputResult)
    assert tp.direction == records_pb2.DIRECTION_UPLOAD
    assert list(tp.transfer_sizes_bytes) == [262_144, 524_288]
    assert tp.tcp_retransmits == 0 and tp.HasField("tcp_retransmits")
    assert not tp.HasField("tcp_rtt_ms")
    trace = outcome_to_proto(TRACE)
    assert isinstance(trace, records_pb2.TraceResult)
    assert trace.port == 443 and not trace.hops[1].HasField("address")
    assert list(trace.hops[0].rtts_ms) == [1.0, 1.2]
