"""Building the contract's Record messages from the agent's domain results.

This is the boundary where domain dataclasses (modem samples, probe outcomes,
events) become ``pantau.v1`` messages; nothing past the spool sees dataclasses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from agent.clock import Stamp
from pantau.v1 import records_pb2

#: Spool priority of each record kind: at the spool's bound, the lowest priority
#: goes first (oldest first within a priority). Signal and outage evidence
#: (events, ping/tcp reachability) are kept longest.
PRIORITY: Final[Mapping[str, int]] = {
    "event": 3,
    "signal": 2,
    "ping": 1,
    "tcp": 1,
    "dns": 0,
    "http": 0,
    "throughput": 0,
    "trace": 0,
}

Body = (
    records_pb2.SignalReading
    | records_pb2.PingResult
    | records_pb2.TcpConnectResult
    | records_pb2.DnsResult
    | records_pb2.HttpResult
    | records_pb2.ThroughputResult
    | records_pb2.TraceResult
    | records_pb2.AgentEvent
)

_FIELD_OF: Final[Mapping[type, str]] = {
    records_pb2.SignalReading: "signal",
    records_pb2.PingResult: "ping",
    records_pb2.TcpConnectResult: "tcp",
    records_pb2.DnsResult: "dns",
    records_pb2.HttpResult: "http",
    records_pb2.ThroughputResult: "throughput",
    records_pb2.TraceResult: "trace",
    records_pb2.AgentEvent: "event",
}


def kind_of(body: Body) -> str:
    """The Record oneof field name for a body message (also the spool's kind)."""
    return _FIELD_OF[type(body)]


def make_record(
    stamp: Stamp, body: Body, modem: records_pb2.RecordModem | None = None
) -> records_pb2.Record:
    """A Record without seq (the spool assigns it); ``modem``: which of the kit's modems
    it came from (a kit with several)."""
    record = records_pb2.Record(
        time=records_pb2.RecordTime(
            wall_unix_ns=stamp.wall_unix_ns,
            monotonic_ns=stamp.monotonic_ns,
            boot_id=stamp.boot_id,
            clock_synced=stamp.clock_synced,
        )
    )
    getattr(record, kind_of(body)).CopyFrom(body)
    if modem is not None:
        record.modem.CopyFrom(modem)
    return record


def event(
    kind: records_pb2.AgentEvent.Kind,
    message: str,
    **details: str,
) -> records_pb2.AgentEvent:
    return records_pb2.AgentEvent(kind=kind, message=message, details=details)
