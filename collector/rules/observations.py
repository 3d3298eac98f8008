"""Observations: the typed facts the rules reason about, built from pantau.v1 Records.

Each observation carries its *event time* (``event_ns``, ns since the Unix epoch,
as corrected by the collector: :mod:`collector.clocks`) and, where known, the
operator it concerns as ``"MCC-MNC"`` (``"510-10"``). A signal reading names its
serving operator itself; a ping or a throughput result does not, so its
``operator`` is None and the rules attribute it, by event time, to the site's
serving operator at that moment (the nearest earlier reading that named one:
see :meth:`collector.rules.window.OperatorTimeline.at`). Doing that at
evaluation rather than at conversion keeps the attribution right when readings
arrive out of order.

:class:`Heard` is different: it is "the collector heard from the agent at t", and
its time is the *arrival* time (``received_ns``): AGENT_SILENT is about what the
collector heard, like Zabbix ``nodata()``.

Records that no rule reads (tcp, dns, http, trace, and agent events other than the
modem/SIM ones) give no observation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from collector.batches import enum_label
from collector.store.model import StoredRecord
from pantau.core.operators import operator_name as _known_operator_name
from pantau.v1 import records_pb2


@dataclass(frozen=True, slots=True)
class Signal:
    event_ns: int
    operator: str | None  # "510-10"; None when the modem named no operator
    operator_name: str | None
    rat: str | None  # "lte", "umts", "gsm", "none", ... (RAT_ labels); None: not reported
    reg_state: str | None  # "home", "roaming", "searching", "denied", ...
    sim_state: str | None  # "ready", "absent", "pin-required", ...
    cell_id: int | None = None
    rsrp_dbm: float | None = None
    rsrq_db: float | None = None
    sinr_db: float | None = None
    rssi_dbm: float | None = None
    rscp_dbm: float | None = None
    ecio_db: float | None = None


@dataclass(frozen=True, slots=True)
class Ping:
    event_ns: int
    operator: str | None
    target: str
    status: str  # "ok", "timeout", "unreachable", ... (PROBE_STATUS_ labels)
    loss_ratio: float
    median_ms: float | None = None
    avg_ms: float | None = None
    sent: int = 0
    received: int = 0


@dataclass(frozen=True, slots=True)
class Throughput:
    event_ns: int
    operator: str | None
    direction: str | None  # "download" | "upload"
    status: str  # "skipped-budget" is not a measurement: the rules ignore it
    goodput_bps: float | None


@dataclass(frozen=True, slots=True)
class KitEvent:
    event_ns: int
    kind: str  # "modem-lost", "modem-back", "sim-problem", "reboot", "agent-started"
    message: str = ""


@dataclass(frozen=True, slots=True)
class Heard:
    """The collector received something from the agent at ``event_ns`` (arrival time)."""

    event_ns: int


Observation = Signal | Ping | Throughput | KitEvent | Heard

#: Agent events the rules read (the others describe the spool or the clock).
KIT_EVENT_KINDS = frozenset({"modem-lost", "modem-back", "sim-problem", "reboot", "agent-started"})


def operator_key(mcc: str | None, mnc: str | None) -> str | None:
    """``("510", "010")`` -> ``"510-10"`` (a three-digit MNC with a leading zero is its
    two-digit form, as modems print both); None unless both are digits."""
    if mcc is None or mnc is None:
        return None
    mcc, mnc = mcc.strip(), mnc.strip()
    if not (mcc.isdigit() and mnc.isdigit()):
        return None
    if len(mnc) == 3 and mnc.startswith("0"):
        mnc = mnc[1:]
    return f"{mcc}-{mnc}"


def _opt(message: object, name: str) -> float | None:
    if message.HasField(name):  # type: ignore[attr-defined]
        return float(getattr(message, name))
    return None


def _signal(event_ns: int, s: records_pb2.SignalReading) -> Signal:
    mcc = s.mcc if s.HasField("mcc") else None
    mnc = s.mnc if s.HasField("mnc") else None
    name = s.operator_name if s.HasField("operator_name") else None
    return Signal(
        event_ns=event_ns,
        operator=operator_key(mcc, mnc),
        operator_name=name or _known_operator_name(mcc, mnc),
        rat=enum_label(records_pb2.Rat, s.rat, "RAT_"),
        reg_state=enum_label(records_pb2.RegState, s.reg_state, "REG_STATE_"),
        sim_state=enum_label(records_pb2.SimState, s.sim_state, "SIM_STATE_"),
        cell_id=s.cell_id if s.HasField("cell_id") else None,
        rsrp_dbm=_opt(s, "rsrp_dbm"),
        rsrq_db=_opt(s, "rsrq_db"),
        sinr_db=_opt(s, "sinr_db"),
        rssi_dbm=_opt(s, "rssi_dbm"),
        rscp_dbm=_opt(s, "rscp_dbm"),
        ecio_db=_opt(s, "ecio_db"),
    )


def _status(common: records_pb2.ProbeCommon) -> str:
    label = enum_label(records_pb2.ProbeStatus, common.status, "PROBE_STATUS_")
    return label or "unspecified"


def observations_from_record(record: records_pb2.Record, event_ns: int) -> list[Observation]:
    """The observations in one record (zero or one today), at corrected ``event_ns``."""
    kind = record.WhichOneof("body")
    if kind == "signal":
        return [_signal(event_ns, record.signal)]
    if kind == "ping":
        p = record.ping
        return [
            Ping(
                event_ns=event_ns,
                operator=None,
                target=p.common.target,
                status=_status(p.common),
                loss_ratio=p.loss_ratio,
                median_ms=_opt(p, "median_ms"),
                avg_ms=_opt(p, "avg_ms"),
                sent=p.sent,
                received=p.received,
            )
        ]
    if kind == "throughput":
        t = record.throughput
        return [
            Throughput(
                event_ns=event_ns,
                operator=None,
                direction=enum_label(records_pb2.Direction, t.direction, "DIRECTION_"),
                status=_status(t.common),
                goodput_bps=_opt(t, "goodput_bps"),
            )
        ]
    if kind == "event":
        e = record.event
        label = enum_label(records_pb2.AgentEvent.Kind, e.kind, "KIND_")
        if label in KIT_EVENT_KINDS:
            return [KitEvent(event_ns=event_ns, kind=label, message=e.message)]
    return []


#: Event times the rules trust. "unsynced-wall" is a kit clock that may say 1970 or
#: 2099: feeding it would put readings anywhere in the window (and evict the rest).
TRUSTED_TIME = frozenset({"monotonic", "synced-wall"})


def observations_from_stored(rows: Iterable[StoredRecord]) -> list[Observation]:
    """Observations from stored records (for :meth:`RuleEngine.rebuild`): each record's
    observations at its stored event time (skipping untrusted times), plus one
    :class:`Heard` per distinct arrival time."""
    out: list[Observation] = []
    heard: set[int] = set()
    for row in rows:
        heard.add(row.received_ns)
        if row.time_quality not in TRUSTED_TIME:
            continue
        record = records_pb2.Record()
        record.ParseFromString(row.payload)
        out.extend(observations_from_record(record, row.event_ns))
    out.extend(Heard(t) for t in sorted(heard))
    return out
