"""Checking an agent's Batch and turning it into rows to store (pure, no I/O).

A batch is refused whole (and nothing of it stored) when it is empty, when its
seqs are not strictly increasing from 1 up, or when a record has no time or no
body. Refusals are :class:`BatchRejected` (the kit's fault: a
:class:`~collector.refusals.KitRefused`, answered INVALID_ARGUMENT) with a message
that names the record.
"""

from __future__ import annotations

from collections.abc import Mapping

from collector.clocks import Anchor, event_time
from collector.refusals import KitRefused, Status
from collector.store.model import IngestBatch, PingState, RecordRow, SignalState
from pantau.v1 import records_pb2, telemetry_pb2

MAX_RECORDS_PER_BATCH = 10_000
_LIVE_KINDS = frozenset({"signal", "ping"})


class BatchRejected(KitRefused):
    """The agent sent a batch that breaks the contract; nothing of it is stored."""

    status = Status.INVALID_ARGUMENT


def enum_label(enum: object, value: int, prefix: str) -> str | None:
    """``RAT_LTE`` -> ``"lte"``; UNSPECIFIED -> None; a value newer than this
    collector (a kit on a later v1) -> ``"value-<n>"``, never an error."""
    try:
        name: str = enum.Name(value)  # type: ignore[attr-defined]
    except ValueError:
        return f"value-{value}"
    label = name.removeprefix(prefix).lower().replace("_", "-")
    return None if label == "unspecified" else label


def signal_state(event_ns: int, s: records_pb2.SignalReading) -> SignalState:
    return SignalState(
        event_ns=event_ns,
        rat=enum_label(records_pb2.Rat, s.rat, "RAT_"),
        reg_state=enum_label(records_pb2.RegState, s.reg_state, "REG_STATE_"),
        mcc=s.mcc if s.HasField("mcc") else None,
        mnc=s.mnc if s.HasField("mnc") else None,
        operator_name=s.operator_name if s.HasField("operator_name") else None,
        cell_id=s.cell_id if s.HasField("cell_id") else None,
        rsrp_dbm=s.rsrp_dbm if s.HasField("rsrp_dbm") else None,
        rsrq_db=s.rsrq_db if s.HasField("rsrq_db") else None,
        sinr_db=s.sinr_db if s.HasField("sinr_db") else None,
        rssi_dbm=s.rssi_dbm if s.HasField("rssi_dbm") else None,
        lat=s.lat_deg if s.HasField("lat_deg") else None,
        lon=s.lon_deg if s.HasField("lon_deg") else None,
    )


def ping_state(event_ns: int, p: records_pb2.PingResult) -> PingState:
    return PingState(
        event_ns=event_ns,
        target=p.common.target,
        method=p.method,
        median_ms=p.median_ms if p.HasField("median_ms") else None,
        loss_ratio=p.loss_ratio,
    )


def prepare(
    batch: telemetry_pb2.Batch | telemetry_pb2.Snapshot,
    *,
    agent_id: str,
    site_code: str,
    anchors: Mapping[str, Anchor],
    received_ns: int,
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
    previous = 0
    for index, record in enumerate(records):
        seq = record.seq
        if seq <= previous:
            raise BatchRejected(
                f"record #{index}: seq {seq} is not greater than the previous "
                f"({previous}); seqs start at 1 and strictly increase"
            )
        previous = seq
        kind = record.WhichOneof("body")
        if kind is None:
            raise BatchRejected(f"record #{index} (seq {seq}) has no body")
        stamp = record.time
        if not stamp.boot_id:
            raise BatchRejected(f"record #{index} (seq {seq}) has no time or boot_id")
        event_ns, quality = event_time(stamp, anchors)
        rows.append(
            RecordRow(seq, kind, event_ns, stamp.wall_unix_ns, quality, record.SerializeToString())
        )
        if kind in _LIVE_KINDS and event_ns >= latest.get(kind, (event_ns, record))[0]:
            latest[kind] = (event_ns, record)
    signal = ping = None
    if "signal" in latest:
        event_ns, record = latest["signal"]
        signal = signal_state(event_ns, record.signal)
    if "ping" in latest:
        event_ns, record = latest["ping"]
        ping = ping_state(event_ns, record.ping)
    return IngestBatch(
        agent_id=agent_id,
        site_code=site_code,
        rows=rows,
        received_ns=received_ns,
        signal=signal,
        ping=ping,
    )
