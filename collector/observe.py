"""From what the collector holds to what the rules read: pantau.v1 Records and stored
rows in, :mod:`collector.rules` observations out (pure: no I/O, no clock).

The rules see only observations; this module is the one place that decodes records
for them, so ``collector/rules`` imports neither the store nor the generated code.
Only records whose event time is trusted (:data:`collector.clocks.TRUSTED_TIME`)
become observations of a stored window; the caller of
:func:`observations_from_record` has already applied that rule (the stream session
hands on only trusted records). A figure outside its valid range
(:mod:`collector.ranges`) is never an observation value: it is absent, as if the
modem had not reported it; a ping round whose loss ratio is invalid is no
observation at all (the rules cannot read it without one).
"""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf.message import Message

from collector import ranges
from collector.batches import enum_label
from collector.clocks import TRUSTED_TIME
from collector.rules import observations as obs
from collector.rules.observations import Observation
from collector.store.model import StoredRecord
from pantau.core.operators import operator_name as _known_operator_name
from pantau.v1 import records_pb2


def _opt(message: Message, name: str) -> float | None:
    """The figure if the kit reported it within its range (:mod:`collector.ranges`)."""
    found = ranges.value(message, name)
    return None if found is None else float(found)


def modem_network(record: records_pb2.Record) -> str | None:
    """The operator (MCC-MNC) of the kit's modem a record came from, by its SIM
    (``Record.modem.network``); None for a record of no named modem or an unknown SIM.
    A kit with a modem per operator files each reading and each probe bound to a
    modem under that modem's operator, even when the record names none itself."""
    if not record.HasField("modem"):
        return None
    mcc, _, mnc = record.modem.network.partition("-")
    return obs.operator_key(mcc, mnc)


def _signal(
    event_ns: int, s: records_pb2.SignalReading, network: str | None, modem: str = ""
) -> obs.Signal:
    mcc = s.mcc if s.HasField("mcc") else None
    mnc = s.mnc if s.HasField("mnc") else None
    name = s.operator_name if s.HasField("operator_name") else None
    operator = obs.operator_key(mcc, mnc)
    if operator is None and network is not None:  # no service: its SIM's operator's
        mcc, _, mnc = network.partition("-")
    return obs.Signal(
        event_ns=event_ns,
        operator=operator or network,
        operator_name=name or _known_operator_name(mcc, mnc),
        rat=enum_label(records_pb2.Rat, s.rat, "RAT_"),
        reg_state=enum_label(records_pb2.RegState, s.reg_state, "REG_STATE_"),
        sim_state=enum_label(records_pb2.SimState, s.sim_state, "SIM_STATE_"),
        cell_id=ranges.value(s, "cell_id"),
        rsrp_dbm=_opt(s, "rsrp_dbm"),
        rsrq_db=_opt(s, "rsrq_db"),
        sinr_db=_opt(s, "sinr_db"),
        rssi_dbm=_opt(s, "rssi_dbm"),
        rscp_dbm=_opt(s, "rscp_dbm"),
        ecio_db=_opt(s, "ecio_db"),
        modem=modem,
    )


def _status(common: records_pb2.ProbeCommon) -> str:
    label = enum_label(records_pb2.ProbeStatus, common.status, "PROBE_STATUS_")
    return label or "unspecified"


def _ping(event_ns: int, p: records_pb2.PingResult, network: str | None) -> list[Observation]:
    loss_ratio = _opt(p, "loss_ratio")
    if loss_ratio is None:
        return []
    ping = obs.Ping(
        event_ns=event_ns,
        operator=network,  # None: attributed by the rules, at event time
        target=p.common.target,
        status=_status(p.common),
        loss_ratio=loss_ratio,
        median_ms=_opt(p, "median_ms"),
        avg_ms=_opt(p, "avg_ms"),
        sent=p.sent,
        received=p.received,
    )
    return [ping]


def _throughput(
    event_ns: int, t: records_pb2.ThroughputResult, network: str | None
) -> obs.Throughput:
    return obs.Throughput(
        event_ns=event_ns,
        operator=network,  # None: attributed by the rules, at event time
        direction=enum_label(records_pb2.Direction, t.direction, "DIRECTION_"),
        status=_status(t.common),
        goodput_bps=_opt(t, "goodput_bps"),
    )


def _kit_events(event_ns: int, e: records_pb2.AgentEvent, modem: str = "") -> list[Observation]:
    label = enum_label(records_pb2.AgentEvent.Kind, e.kind, "KIND_")
    if label in obs.KIT_EVENT_KINDS:
        return [obs.KitEvent(event_ns=event_ns, kind=label, message=e.message, modem=modem)]
    return []


def observations_from_record(record: records_pb2.Record, event_ns: int) -> list[Observation]:
    """The observations in one record (zero or one today), at corrected ``event_ns``."""
    kind = record.WhichOneof("body")
    if kind == "signal":
        return [_signal(event_ns, record.signal, modem_network(record), record.modem.name)]
    if kind == "ping":
        return _ping(event_ns, record.ping, modem_network(record))
    if kind == "throughput":
        return [_throughput(event_ns, record.throughput, modem_network(record))]
    if kind == "event":
        return _kit_events(event_ns, record.event, record.modem.name)
    return []


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
    out.extend(obs.Heard(t) for t in sorted(heard))
    return out
