"""Checking an agent's Batch and turning it into rows to store (pure, no I/O).

A batch is refused whole (and nothing of it stored) when it breaks the contract:
when it is empty, when its seqs are not strictly increasing from 1 up or do not
fit int64, when a record has no time or no body, or when a record's monotonic time
puts its event time outside int64. Refusals are :class:`BatchRejected` (the kit's
fault: a :class:`~collector.refusals.KitRefused`, answered INVALID_ARGUMENT, never
UNAVAILABLE: resending cannot help) with a message that names the record and field.

A value a modem can produce is never refused: the record is stored as received.
Its fields outside their range (:mod:`collector.ranges`) are left out of the site's
live state, and a record whose event time is from the future
(:func:`collector.clocks.judge`) is stored judged ``"future"`` and never becomes the
site's latest reading. Text that goes into the live state's columns is cut to
:data:`MAX_TEXT` characters without NULs (which PostgreSQL's text refuses).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from collector import ranges
from collector.clocks import (
    EVENT_NS_RANGE,
    FUTURE,
    FUTURE_TOLERANCE_NS,
    Anchor,
    event_time,
    judge,
)
from collector.refusals import KitRefused, Status
from collector.store.model import IngestBatch, PingState, RecordRow, SignalState
from collector.store.rollups import KIND_FIGURES, Sample
from pantau.core.operators import network_of
from pantau.v1 import records_pb2, telemetry_pb2

MAX_RECORDS_PER_BATCH = 10_000
#: The largest seq the contract allows: seqs are uint64 on the wire but int64 in storage.
MAX_SEQ = 2**63 - 1
#: Characters of a kit's text kept in a live-state column.
MAX_TEXT = 64
_LIVE_KINDS = frozenset({"signal", "ping"})


class BatchRejected(KitRefused):
    """The agent sent a batch that breaks the contract; nothing of it is stored."""

    status = Status.INVALID_ARGUMENT


@functools.lru_cache(maxsize=4096)  # bounded: a kit may send any number as an enum
def enum_label(enum: object, value: int, prefix: str) -> str | None:
    """``RAT_LTE`` -> ``"lte"``; UNSPECIFIED -> None; a value newer than this
    collector (a kit on a later v1) -> ``"value-<n>"``, never an error."""
    try:
        name: str = enum.Name(value)  # type: ignore[attr-defined]
    except ValueError:
        return f"value-{value}"
    label = name.removeprefix(prefix).lower().replace("_", "-")
    return None if label == "unspecified" else label


def _text(message: object, name: str) -> str | None:
    if not message.HasField(name):  # type: ignore[attr-defined]
        return None
    return str(getattr(message, name)).replace("\x00", "")[:MAX_TEXT]


def _value(message: object, name: str, invalid: Collection[str]) -> Any:
    if name in invalid or not message.HasField(name):  # type: ignore[attr-defined]
        return None
    return getattr(message, name)


def signal_state(
    event_ns: int, s: records_pb2.SignalReading, invalid: Collection[str] = ()
) -> SignalState:
    """The live state of a reading; its ``invalid`` fields (:mod:`collector.ranges`)
    are absent, and so is a position with either coordinate invalid."""
    located = "lat_deg" not in invalid and "lon_deg" not in invalid
    return SignalState(
        event_ns=event_ns,
        rat=enum_label(records_pb2.Rat, s.rat, "RAT_"),
        reg_state=enum_label(records_pb2.RegState, s.reg_state, "REG_STATE_"),
        mcc=_text(s, "mcc"),
        mnc=_text(s, "mnc"),
        operator_name=_text(s, "operator_name"),
        cell_id=_value(s, "cell_id", invalid),
        rsrp_dbm=_value(s, "rsrp_dbm", invalid),
        rsrq_db=_value(s, "rsrq_db", invalid),
        sinr_db=_value(s, "sinr_db", invalid),
        rssi_dbm=_value(s, "rssi_dbm", invalid),
        lat=_value(s, "lat_deg", invalid) if located else None,
        lon=_value(s, "lon_deg", invalid) if located else None,
    )


def live_signal(event_ns: int, s: records_pb2.SignalReading) -> SignalState:
    """``signal_state(event_ns, s, ranges.invalid_fields(s))``, asking only the fields the
    live state keeps (:func:`collector.ranges.values`) instead of judging every field:
    the ingest's hot path."""
    lat, lon, cell_id, rsrp, rsrq, sinr, rssi = ranges.values(s, _LIVE_SIGNAL_FIELDS)
    if (lat is None and s.HasField("lat_deg")) or (lon is None and s.HasField("lon_deg")):
        lat = lon = None  # a position with either coordinate invalid is no position
    return SignalState(
        event_ns=event_ns,
        rat=enum_label(records_pb2.Rat, s.rat, "RAT_"),
        reg_state=enum_label(records_pb2.RegState, s.reg_state, "REG_STATE_"),
        mcc=_text(s, "mcc"),
        mnc=_text(s, "mnc"),
        operator_name=_text(s, "operator_name"),
        cell_id=cell_id,
        rsrp_dbm=rsrp,
        rsrq_db=rsrq,
        sinr_db=sinr,
        rssi_dbm=rssi,
        lat=lat,
        lon=lon,
    )


_LIVE_SIGNAL_FIELDS = (
    "lat_deg", "lon_deg", "cell_id", "rsrp_dbm", "rsrq_db", "sinr_db", "rssi_dbm"
)  # fmt: skip


def live_ping(event_ns: int, p: records_pb2.PingResult) -> PingState:
    """``ping_state(event_ns, p, ranges.invalid_fields(p))`` without walking the round's
    packets: only its two figures the live state keeps are judged."""
    return PingState(
        event_ns=event_ns,
        target=p.common.target.replace("\x00", "")[:MAX_TEXT],
        method=p.method.replace("\x00", "")[:MAX_TEXT],
        median_ms=ranges.value(p, "median_ms"),
        loss_ratio=ranges.value(p, "loss_ratio"),
    )


def ping_state(
    event_ns: int, p: records_pb2.PingResult, invalid: Collection[str] = ()
) -> PingState:
    """The live state of a ping round; its ``invalid`` figures are absent."""
    return PingState(
        event_ns=event_ns,
        target=p.common.target.replace("\x00", "")[:MAX_TEXT],
        method=p.method.replace("\x00", "")[:MAX_TEXT],
        median_ms=_value(p, "median_ms", invalid),
        loss_ratio=None if "loss_ratio" in invalid else p.loss_ratio,
    )


def prepare(
    batch: telemetry_pb2.Batch | telemetry_pb2.Snapshot,
    *,
    agent_id: str,
    site_code: str,
    anchors: Mapping[str, Anchor],
    received_ns: int,
    future_tolerance_ns: int = FUTURE_TOLERANCE_NS,
) -> IngestBatch:
    records = batch.records
    if not records:
        raise BatchRejected("empty batch: a Batch must carry at least one record")
    if len(records) > MAX_RECORDS_PER_BATCH:
        raise BatchRejected(
            f"batch of {len(records)} records exceeds the limit of {MAX_RECORDS_PER_BATCH}"
        )
    rows: list[RecordRow] = []
    # The newest signal and ping by event time become the site's live state;
    # only those two are converted (this loop is the ingest's hot path).
    latest: dict[str, tuple[int, records_pb2.Record]] = {}
    networks: set[tuple[str, str]] = set()
    samples: list[Sample | None] = []
    network = ""  # of the batch's latest signal reading so far: its ping rounds' network
    previous = 0
    for index, record in enumerate(records):
        seq = record.seq
        if seq <= previous:
            raise BatchRejected(
                f"record #{index}: seq {seq} is not greater than the previous "
                f"({previous}); seqs start at 1 and strictly increase"
            )
        if seq > MAX_SEQ:
            raise BatchRejected(
                f"record #{index}: seq {seq} does not fit int64 (at most 2^63-1): a bug "
                "in the kit's spool"
            )
        previous = seq
        kind = record.WhichOneof("body")
        if kind is None:
            raise BatchRejected(f"record #{index} (seq {seq}) has no body")
        stamp = record.time
        if not stamp.boot_id:
            raise BatchRejected(f"record #{index} (seq {seq}) has no time or boot_id")
        event_ns, quality = event_time(stamp, anchors)
        if event_ns not in EVENT_NS_RANGE:
            raise BatchRejected(
                f"record #{index} (seq {seq}): time.monotonic_ns {stamp.monotonic_ns} puts "
                f"the event time outside int64 for boot {stamp.boot_id[:40]!r}: not a "
                "monotonic time of the boot the kit anchored"
            )
        quality = judge(event_ns, quality, received_ns, tolerance_ns=future_tolerance_ns)
        rows.append(
            RecordRow(seq, kind, event_ns, stamp.wall_unix_ns, quality, record.SerializeToString())
        )
        if kind == "signal":
            s = record.signal
            if s.mcc and s.mnc:
                networks.add((s.mcc, s.mnc))
            if record.HasField("modem") and record.modem.network:  # its SIM's, even unserved
                mcc, _, mnc = record.modem.network.partition("-")
                networks.add((mcc, mnc))
            network = network_of(s.mcc, s.mnc) or ""
        # A record of a kit with several modems names its modem's SIM network: a probe's
        # figures are that operator's, whatever another modem's latest reading said; a
        # reading's are its serving network's (its SIM's while it has none).
        own = record.modem.network if record.HasField("modem") else ""
        figures_network = (network or own) if kind == "signal" else (own or network)
        samples.append(
            rollup_sample(kind, getattr(record, kind), event_ns, figures_network)
            if kind in KIND_FIGURES and quality != FUTURE
            else None
        )
        if (
            kind in _LIVE_KINDS
            and quality != FUTURE
            and event_ns >= latest.get(kind, (event_ns, record))[0]
        ):
            latest[kind] = (event_ns, record)
    signal = ping = None
    if "signal" in latest:
        event_ns, record = latest["signal"]
        signal = live_signal(event_ns, record.signal)
    if "ping" in latest:
        event_ns, record = latest["ping"]
        ping = live_ping(event_ns, record.ping)
    return IngestBatch(
        agent_id=agent_id,
        site_code=site_code,
        rows=rows,
        received_ns=received_ns,
        signal=signal,
        ping=ping,
        future_after_ns=received_ns + future_tolerance_ns,
        operators=networks_of(networks),
        samples=tuple(samples),
    )


def rollup_sample(kind: str, reading: Any, event_ns: int, network: str) -> Sample:
    """A record's part of its site's rollups: its figures in their valid range."""
    names, fields = _ROLLUP_FIELDS[kind]
    kept = []
    for name, value in zip(names, ranges.values(reading, fields), strict=True):
        if value is not None:
            kept.append((name, float(value)))
    return Sample(kind, network, event_ns, tuple(kept))


#: Each kind's rollup figures and the reading fields they are, as two tuples.
_ROLLUP_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    kind: (tuple(name for name, _ in figures), tuple(field for _, field in figures))
    for kind, figures in KIND_FIGURES.items()
}


def networks_of(pairs: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The networks ``(mcc, mnc)`` pairs name, as MCC-MNC, sorted; a pair that is not
    one (a modem's garbage) is left out."""
    found = {network_of(mcc, mnc) for mcc, mnc in pairs}
    return tuple(sorted(n for n in found if n is not None))
