"""Probe outcomes -> ``pantau.v1`` records. ``None`` leaves an optional field unset."""

from __future__ import annotations

import functools

from agent.probes.base import Common, ProbeStatus
from agent.probes.icmp import PingOutcome
from agent.probes.tcp import TcpOutcome
from pantau.v1 import records_pb2

__all__ = [
    "STATUS_TO_PROTO",
    "common_to_proto",
    "outcome_to_proto",
    "ping_to_proto",
    "tcp_to_proto",
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
) -> records_pb2.PingResult | records_pb2.TcpConnectResult:
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
