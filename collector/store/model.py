"""What the store keeps and returns: plain typed rows, no protobuf."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Agent:
    agent_id: str
    site_code: str
    secret_hash: str
    revoked: bool
    acked_through: int


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One record ready to store: the collector has authenticated and time-corrected it."""

    seq: int
    kind: str
    event_ns: int  # corrected event time, ns since the Unix epoch (collector clock)
    agent_wall_ns: int  # the kit's own wall clock, as sent
    time_quality: str  # "monotonic" | "synced-wall" | "unsynced-wall"
    payload: bytes  # the serialized pantau.v1.Record


@dataclass(frozen=True, slots=True)
class SignalState:
    event_ns: int
    rat: str | None
    reg_state: str | None
    mcc: str | None
    mnc: str | None
    operator_name: str | None
    cell_id: int | None
    rsrp_dbm: float | None
    rsrq_db: float | None
    sinr_db: float | None
    rssi_dbm: float | None


@dataclass(frozen=True, slots=True)
class PingState:
    event_ns: int
    target: str
    method: str
    median_ms: float | None
    loss_ratio: float


@dataclass(slots=True)
class IngestBatch:
    """One agent's batch to commit, with the latest live state it carries."""

    agent_id: str
    site_code: str
    rows: list[RecordRow]
    received_ns: int
    signal: SignalState | None = None
    ping: PingState | None = None


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    stored: int
    duplicates: int
    acked_through: int


@dataclass(frozen=True, slots=True)
class SiteView:
    site_code: str
    agent_ids: tuple[str, ...]
    last_seen_ns: int | None
    signal: SignalState | None
    ping: PingState | None
    records: int = 0
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredRecord:
    agent_id: str
    site_code: str
    seq: int
    kind: str
    event_ns: int
    agent_wall_ns: int
    time_quality: str
    received_ns: int
    payload: bytes
