"""A site's figures per operator, and the KPU-style coverage class (pure: no I/O, no clock).

A kit with a modem per operator measures several networks at one TPS; this module
puts its recent stored records side by side by operator (MCC-MNC): the latest
reading (RAT, registration, RSRP, RSRQ, SINR), the latest ping round (median RTT,
loss), the latest throughput per direction, the medians over all the readings given,
and the coverage class those medians give (:mod:`pantau.core.coverage`). A record is
filed under the operator its reading names, else its modem's SIM operator
(``Record.modem.network``, :func:`collector.observe.modem_network`); a probe of a
one-modem kit (no modem named) goes to the site's only operator when there is just
one, and is left out when there are several (it cannot be told whose it is).

The coverage class (KPU's strong / medium / weak / none) is
:func:`pantau.core.coverage.coverage_class` of the medians, the same the kit's
``check`` uses to recommend one of its modems.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from collector import measurements, ranges
from collector.batches import enum_label
from collector.clocks import FUTURE
from collector.observe import modem_network
from collector.rules.observations import operator_key
from collector.store.model import StoredRecord
from pantau.core.coverage import CoverageClass, coverage_class
from pantau.core.operators import operator_name
from pantau.v1 import records_pb2

_REGISTERED = frozenset({records_pb2.REG_STATE_HOME, records_pb2.REG_STATE_ROAMING})


@dataclass(slots=True)
class OperatorFigures:
    operator: str  # MCC-MNC
    operator_name: str | None = None
    modem: str | None = None  # the kit-local name of the modem that measured it
    signal_ns: int | None = None  # event time of the latest reading
    rat: str | None = None
    reg_state: str | None = None
    rsrp_dbm: float | None = None
    rsrq_db: float | None = None
    sinr_db: float | None = None
    ping_ns: int | None = None
    ping_median_ms: float | None = None
    loss_ratio: float | None = None
    download_bps: float | None = None
    upload_bps: float | None = None
    readings: int = 0
    registered: int = 0
    rsrp_median_dbm: float | None = None
    sinr_median_db: float | None = None
    coverage: CoverageClass = "unknown"
    _rsrp: list[float] = field(default_factory=list)
    _sinr: list[float] = field(default_factory=list)


def _reading_operator(record: records_pb2.Record) -> str | None:
    s = record.signal
    own = operator_key(s.mcc, s.mnc) if s.HasField("mcc") and s.HasField("mnc") else None
    return own or modem_network(record)


def per_operator(records: Sequence[StoredRecord]) -> list[OperatorFigures]:
    """The site's figures per operator from its stored records (any order), in the
    order of MCC-MNC; records from the future and undecodable ones are left out."""
    decoded = []
    for stored in sorted(records, key=lambda r: r.event_ns):
        if stored.time_quality == FUTURE:
            continue
        record = measurements.decode(stored)
        if record is not None:
            decoded.append((stored.event_ns, record))
    found: dict[str, OperatorFigures] = {}
    for event_ns, record in decoded:
        if record.WhichOneof("body") != "signal":
            continue
        operator = _reading_operator(record)
        if operator is None:
            continue
        f = found.setdefault(operator, OperatorFigures(operator))
        _read_signal(f, event_ns, record)
    only = next(iter(found)) if len(found) == 1 else None
    for event_ns, record in decoded:
        kind = record.WhichOneof("body")
        if kind not in ("ping", "throughput"):
            continue
        operator = modem_network(record) or only
        if operator is None:
            continue
        f = found.setdefault(operator, OperatorFigures(operator))
        if kind == "ping":
            f.ping_ns = event_ns
            f.ping_median_ms = ranges.value(record.ping, "median_ms")
            f.loss_ratio = ranges.value(record.ping, "loss_ratio")
        else:
            t = record.throughput
            goodput = ranges.value(t, "goodput_bps")
            if goodput is not None and t.direction == records_pb2.DIRECTION_UPLOAD:
                f.upload_bps = goodput
            elif goodput is not None:
                f.download_bps = goodput
    for f in found.values():
        f.rsrp_median_dbm = measurements.median(f._rsrp)
        f.sinr_median_db = measurements.median(f._sinr)
        f.coverage = coverage_class(f.rsrp_median_dbm, f.sinr_median_db, f.readings, f.registered)
        if f.operator_name is None:
            mcc, _, mnc = f.operator.partition("-")
            f.operator_name = operator_name(mcc, mnc)
    return [found[k] for k in sorted(found)]


def _read_signal(f: OperatorFigures, event_ns: int, record: records_pb2.Record) -> None:
    s = record.signal
    f.readings += 1
    f.registered += s.reg_state in _REGISTERED
    rsrp, sinr = ranges.value(s, "rsrp_dbm"), ranges.value(s, "sinr_db")
    if rsrp is not None:
        f._rsrp.append(rsrp)
    if sinr is not None:
        f._sinr.append(sinr)
    f.signal_ns = event_ns
    f.rat = enum_label(records_pb2.Rat, s.rat, "RAT_")
    f.reg_state = enum_label(records_pb2.RegState, s.reg_state, "REG_STATE_")
    f.rsrp_dbm, f.sinr_db = rsrp, sinr
    f.rsrq_db = ranges.value(s, "rsrq_db")
    if s.HasField("operator_name") and s.operator_name:
        f.operator_name = s.operator_name[:64]
    if record.HasField("modem"):
        f.modem = record.modem.name[:64]
