"""A site's stored records as the API's measurement items (decoding pantau.v1.Record).

Kinds: ``signal``, ``ping``, ``throughput`` (one item per record of that kind) and
``events``: the changes of serving cell, operator and radio technology seen in the
signal history, as ``{time, kind, from, to}``.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from typing import Any

from google.protobuf.message import DecodeError

from collector.batches import enum_label
from collector.present import iso
from collector.store.model import StoredRecord
from pantau.core.operators import mcc_mnc
from pantau.v1 import records_pb2

KINDS = ("signal", "ping", "throughput", "events")


def _opt(message: Any, name: str) -> Any:
    return getattr(message, name) if message.HasField(name) else None


def decode_payload(payload: bytes) -> records_pb2.Record | None:
    record = records_pb2.Record()
    try:
        record.ParseFromString(payload)
    except DecodeError:
        return None
    return record


def decode(stored: StoredRecord) -> records_pb2.Record | None:
    return decode_payload(stored.payload)


def signal_item(event_ns: int, s: records_pb2.SignalReading) -> dict[str, Any]:
    return {
        "time": iso(event_ns),
        "rat": enum_label(records_pb2.Rat, s.rat, "RAT_"),
        "rsrp_dbm": _opt(s, "rsrp_dbm"),
        "rsrq_db": _opt(s, "rsrq_db"),
        "sinr_db": _opt(s, "sinr_db"),
        "rssi_dbm": _opt(s, "rssi_dbm"),
        "cell_id": _opt(s, "cell_id"),
        "operator": mcc_mnc(_opt(s, "mcc"), _opt(s, "mnc")),
        "lat": _opt(s, "lat_deg"),
        "lon": _opt(s, "lon_deg"),
    }


def ping_item(event_ns: int, p: records_pb2.PingResult) -> dict[str, Any]:
    return {
        "time": iso(event_ns),
        "target": p.common.target,
        "method": p.method,
        "sent": p.sent,
        "received": p.received,
        "loss_ratio": p.loss_ratio,
        "rtts_ms": [_opt(packet, "rtt_ms") for packet in p.packets],
        "median_ms": _opt(p, "median_ms"),
        "min_ms": _opt(p, "min_ms"),
        "max_ms": _opt(p, "max_ms"),
    }


def throughput_item(event_ns: int, t: records_pb2.ThroughputResult) -> dict[str, Any]:
    goodput = _opt(t, "goodput_bps")
    return {
        "time": iso(event_ns),
        "direction": enum_label(records_pb2.Direction, t.direction, "DIRECTION_"),
        "mbps": None if goodput is None else goodput / 1e6,
        "bytes": t.payload_bytes,
        "duration_s": t.duration_ms / 1000,
    }


def item(kind: str, event_ns: int, record: records_pb2.Record) -> dict[str, Any] | None:
    """The measurement item of one record of ``kind`` (signal, ping, throughput)."""
    if kind == "signal" and record.HasField("signal"):
        return signal_item(event_ns, record.signal)
    if kind == "ping" and record.HasField("ping"):
        return ping_item(event_ns, record.ping)
    if kind == "throughput" and record.HasField("throughput"):
        return throughput_item(event_ns, record.throughput)
    return None


def items(kind: str, records: Iterable[StoredRecord], *, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` items of ``kind``, oldest first."""
    if kind == "events":
        return events(records)[-limit:]
    out = []
    for stored in records:
        if stored.kind != kind:
            continue
        record = decode(stored)
        if record is None:
            continue
        found = item(kind, stored.event_ns, record)
        if found is not None:
            out.append(found)
    return out[-limit:]


def events(records: Iterable[StoredRecord]) -> list[dict[str, Any]]:
    """Cell, operator and radio-technology changes in the signal history."""
    out: list[dict[str, Any]] = []
    last: dict[str, Any] = {}
    for stored in records:
        if stored.kind != "signal":
            continue
        record = decode(stored)
        if record is None or not record.HasField("signal"):
            continue
        s = record.signal
        now = {
            "operator": mcc_mnc(_opt(s, "mcc"), _opt(s, "mnc")),
            "cell": _opt(s, "cell_id"),
            "rat": enum_label(records_pb2.Rat, s.rat, "RAT_"),
        }
        for kind, value in now.items():
            if value is None:
                continue
            before = last.get(kind)
            if before is not None and before != value:
                out.append(
                    {"time": iso(stored.event_ns), "kind": kind, "from": before, "to": value}
                )
            last[kind] = value
    return out


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None
