"""Probe outcomes -> ``pantau.v1`` records. ``None`` leaves an optional field unset."""

from __future__ import annotations

import functools

from agent.probes.base import Common, ProbeStatus
from agent.probes.dns import DnsOutcome
from agent.probes.http import HttpOutcome
from agent.probes.icmp import PingOutcome
from agent.probes.tcp import TcpOutcome
from agent.probes.throughput import ThroughputOutcome
from agent.probes.trace import TraceOutcome
from pantau.v1 import records_pb2

__all__ = [
    "STATUS_TO_PROTO",
    "common_to_proto",
    "dns_to_proto",
    "http_to_proto",
    "outcome_to_proto",
    "ping_to_proto",
    "tcp_to_proto",
    "throughput_to_proto",
    "trace_to_proto",
]

STATUS_TO_PROTO: dict[ProbeStatus, records_pb2.ProbeStatus] = {
    ProbeStatus.OK: records_pb2.PROBE_STATUS_OK,
    ProbeStatus.TIMEOUT: records_pb2.PROBE_STATUS_TIMEOUT,
    ProbeStatus.UNRESOLVABLE: records_pb2.PROBE_STATUS_UNRESOLVABLE,
    ProbeStatus.REFUSED: records_pb2.PROBE_STATUS_REFUSED,
    ProbeStatus.UNREACHABLE: records_pb2.PROBE_STATUS_UNREACHABLE,
    ProbeStatus.NOT_PERMITTED: records_pb2.PROBE_STATUS_NOT_PERMITTED,
    ProbeStatus.SKIPPED_BUDGET: records_pb2.PROBE_STATUS_SKIPPED_BUDGET,
    ProbeStatus.ERROR: records_pb2.PROBE_STATUS_ERROR,
    ProbeStatus.TLS_ERROR: records_pb2.PROBE_STATUS_TLS_ERROR,
}


def common_to_proto(common: Common) -> records_pb2.ProbeCommon:
    return records_pb2.ProbeCommon(
        probe_name=common.probe_name,
        target=common.target,
        target_address=common.target_address,
        status=STATUS_TO_PROTO[common.status],
        reason=common.reason,
        resolve_ms=common.resolve_ms,
        source=common.source,
        bytes_used=common.bytes_used,
    )


@functools.singledispatch
def outcome_to_proto(
    outcome: object,
) -> (
    records_pb2.PingResult
    | records_pb2.TcpConnectResult
    | records_pb2.DnsResult
    | records_pb2.HttpResult
    | records_pb2.ThroughputResult
    | records_pb2.TraceResult
):
    """The record body for any prober's outcome."""
    raise TypeError(f"no protobuf converter for {type(outcome).__name__}")


@outcome_to_proto.register
def ping_to_proto(outcome: PingOutcome) -> records_pb2.PingResult:
    return records_pb2.PingResult(
        common=common_to_proto(outcome.common),
        method=outcome.method,
        tcp_port=outcome.tcp_port,
        sent=outcome.sent,
        received=outcome.received,
        duplicates=outcome.duplicates,
        packets=[
            records_pb2.PingPacket(icmp_seq=p.icmp_seq, rtt_ms=p.rtt_ms, duplicates=p.duplicates)
            for p in outcome.packets
        ],
        min_ms=outcome.min_ms,
        median_ms=outcome.median_ms,
        avg_ms=outcome.avg_ms,
        max_ms=outcome.max_ms,
        stddev_ms=outcome.stddev_ms,
        jitter_ms=outcome.jitter_ms,
        loss_ratio=outcome.loss_ratio,
        payload_bytes=outcome.payload_bytes,
        interval_ms=outcome.interval_ms,
    )


@outcome_to_proto.register
def tcp_to_proto(outcome: TcpOutcome) -> records_pb2.TcpConnectResult:
    return records_pb2.TcpConnectResult(
        common=common_to_proto(outcome.common),
        port=outcome.port,
        connect_ms=outcome.connect_ms,
    )


@outcome_to_proto.register
def dns_to_proto(outcome: DnsOutcome) -> records_pb2.DnsResult:
    return records_pb2.DnsResult(
        common=common_to_proto(outcome.common),
        query_name=outcome.query_name,
        query_type=outcome.query_type,
        resolver=outcome.resolver,
        query_ms=outcome.query_ms,
        rcode=outcome.rcode,
        answers=[
            records_pb2.DnsAnswer(name=a.name, type=a.type, data=a.data, ttl_s=a.ttl_s)
            for a in outcome.answers
        ],
    )


@outcome_to_proto.register
def http_to_proto(outcome: HttpOutcome) -> records_pb2.HttpResult:
    return records_pb2.HttpResult(
        common=common_to_proto(outcome.common),
        url=outcome.url,
        method=outcome.method,
        status_code=outcome.status_code,
        connect_ms=outcome.connect_ms,
        tls_ms=outcome.tls_ms,
        first_byte_ms=outcome.first_byte_ms,
        transfer_ms=outcome.transfer_ms,
        total_ms=outcome.total_ms,
        body_bytes=outcome.body_bytes,
        tls_version=outcome.tls_version,
    )


DIRECTION_TO_PROTO: dict[str, records_pb2.Direction] = {
    "download": records_pb2.DIRECTION_DOWNLOAD,
    "upload": records_pb2.DIRECTION_UPLOAD,
}


@outcome_to_proto.register
def throughput_to_proto(outcome: ThroughputOutcome) -> records_pb2.ThroughputResult:
    return records_pb2.ThroughputResult(
        common=common_to_proto(outcome.common),
        direction=DIRECTION_TO_PROTO[outcome.direction],
        payload_bytes=outcome.payload_bytes,
        duration_ms=outcome.duration_ms,
        goodput_bps=outcome.goodput_bps,
        grace_ms=outcome.grace_ms,
        stop_reason=outcome.stop_reason,
        tcp_min_rtt_ms=outcome.tcp_min_rtt_ms,
        tcp_rtt_ms=outcome.tcp_rtt_ms,
        tcp_rttvar_ms=outcome.tcp_rttvar_ms,
        tcp_retransmits=outcome.tcp_retransmits,
        tcp_snd_cwnd=outcome.tcp_snd_cwnd,
        transfer_sizes_bytes=list(outcome.transfer_sizes_bytes),
    )


@outcome_to_proto.register
def trace_to_proto(outcome: TraceOutcome) -> records_pb2.TraceResult:
    return records_pb2.TraceResult(
        common=common_to_proto(outcome.common),
        method=outcome.method,
        port=outcome.port,
        hops=[
            records_pb2.TraceHop(
                ttl=h.ttl,
                address=h.address,
                rtts_ms=list(h.rtts_ms),
                probes_sent=h.probes_sent,
                reached_target=h.reached_target,
            )
            for h in outcome.hops
        ],
        reached=outcome.reached,
    )
