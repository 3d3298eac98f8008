"""Small builders for the shared storage suite."""

from __future__ import annotations

from collector.store.model import IngestBatch, PingState, RecordRow, SignalState

SITE = "3171011001005"
OTHER_SITE = "3171011001006"
SECOND = 10**9
MINUTE = 60 * SECOND
T0 = 1_700_000_000 * SECOND  # an arbitrary event-time origin


def rows(*seqs: int, event_ns: int = T0, kind: str = "signal") -> list[RecordRow]:
    return [
        RecordRow(
            seq=s,
            kind=kind,
            event_ns=event_ns + s * SECOND,
            agent_wall_ns=event_ns + s * SECOND + 7,
            time_quality="monotonic",
            payload=b"\x00record-" + str(s).encode() + b"\xff",
        )
        for s in seqs
    ]


def batch(
    agent_id: str,
    *seqs: int,
    site: str = SITE,
    received_ns: int = T0,
    signal: SignalState | None = None,
    ping: PingState | None = None,
) -> IngestBatch:
    return IngestBatch(agent_id, site, rows(*seqs), received_ns, signal, ping)


def signal(event_ns: int, rsrp_dbm: float) -> SignalState:
    return SignalState(
        event_ns, "LTE", "registered", "510", "10", "Telkomsel", 123456, rsrp_dbm, -11.0, 8.5, None
    )


def ping(event_ns: int, median_ms: float) -> PingState:
    return PingState(event_ns, "8.8.8.8", "icmp", median_ms, 0.0)
