"""A site's stored records as the API's measurement items (decoding pantau.v1.Record).

Kinds: ``signal``, ``ping``, ``throughput`` (one item per record of that kind) and
``events``: the changes of serving cell, operator and radio technology seen in the
signal history, as ``{time, kind, from, to}``.

These are the raw readings a person looks at, so nothing is hidden: an item lists
its record's fields outside their valid range (:mod:`collector.ranges`) in
``invalid`` (``"time"`` too when the event time was judged from the future), and
each value shown of an invalid field is null (never a non-finite number).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from google.protobuf.message import DecodeError

from collector import ranges
from collector.batches import enum_label
from collector.clocks import FUTURE
from collector.present import iso
from collector.store.model import StoredRecord
from pantau.core.operators import mcc_mnc
from pantau.v1 import records_pb2

KINDS = ("signal", "ping", "throughput", "events")


def _opt(message: Any, name: str, invalid: Collection[str] = ()) -> Any:
    return getattr(message, name) if name not in invalid and message.HasField(name) else None


def decode_payload(payload: bytes) -> records_pb2.Record | None:
    record = records_pb2.Record()
    try:
        record.ParseFromString(payload)
    except DecodeError:
        return None
    return record


def decode(stored: StoredRecord) -> records_pb2.Record | None:
    return decode_payload(stored.payload)


def signal_item(
    event_ns: int, s: records_pb2.SignalReading, invalid: Sequence[str] = ()
) -> dict[str, Any]:
    return {
        "time": iso(event_ns),
        "rat": enum_label(records_pb2.Rat, s.rat, "RAT_"),
        "rsrp_dbm": _opt(s, "rsrp_dbm", invalid),
        "rsrq_db": _opt(s, "rsrq_db", invalid),
        "sinr_db": _opt(s, "sinr_db", invalid),
        "rssi_dbm": _opt(s, "rssi_dbm", invalid),
        "cell_id": _opt(s, "cell_id", invalid),
        "neighbours": len(s.neighbours) if s.neighbours_reported else None,
        "operator": mcc_mnc(_opt(s, "mcc"), _opt(s, "mnc")),
        "lat": _opt(s, "lat_deg", invalid),
        "lon": _opt(s, "lon_deg", invalid),
        "invalid": list(invalid),
    }


def ping_item(
    event_ns: int, p: records_pb2.PingResult, invalid: Sequence[str] = ()
) -> dict[str, Any]:
    return {
        "time": iso(event_ns),
        "target": p.common.target,
        "method": p.method,
        "sent": p.sent,
        "received": p.received,
        "loss_ratio": None if "loss_ratio" in invalid else p.loss_ratio,
        "rtts_ms": [
            None if f"packets[{i}].rtt_ms" in invalid else _opt(packet, "rtt_ms")
            for i, packet in enumerate(p.packets)
        ],
        "median_ms": _opt(p, "median_ms", invalid),
        "min_ms": _opt(p, "min_ms", invalid),
        "max_ms": _opt(p, "max_ms", invalid),
        "invalid": list(invalid),
    }


def throughput_item(
    event_ns: int, t: records_pb2.ThroughputResult, invalid: Sequence[str] = ()
) -> dict[str, Any]:
    goodput = _opt(t, "goodput_bps", invalid)
    return {
        "time": iso(event_ns),
        "direction": enum_label(records_pb2.Direction, t.direction, "DIRECTION_"),
        "mbps": None if goodput is None else goodput / 1e6,
        "bytes": None if "payload_bytes" in invalid else t.payload_bytes,
        "duration_s": None if "duration_ms" in invalid else t.duration_ms / 1000,
        "invalid": list(invalid),
    }


def item(
    kind: str, event_ns: int, record: records_pb2.Record, *, future: bool = False
) -> dict[str, Any] | None:
    """The measurement item of one record of ``kind`` (signal, ping, throughput);
    ``future``: its event time was judged from the future (listed as invalid)."""
    body = record.WhichOneof("body")
    if body != kind or kind not in _ITEMS:
        return None
    message = getattr(record, kind)
    invalid = ranges.invalid_fields(message)
    if future:
        invalid.insert(0, "time")
    return _ITEMS[kind](event_ns, message, invalid)


_ITEMS: dict[str, Callable[[int, Any, Sequence[str]], dict[str, Any]]] = {
    "signal": signal_item,
    "ping": ping_item,
    "throughput": throughput_item,
}


#: Where an item sits in a site's history: its record's (event time, agent, seq),
#: the order ``site_window`` returns records in. Cursor paging continues from one.
Key = tuple[int, str, int]


def key_of(stored: StoredRecord) -> Key:
    return (stored.event_ns, stored.agent_id, stored.seq)


def items(kind: str, records: Iterable[StoredRecord], *, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` items of ``kind``, oldest first."""
    return [found for _, found in keyed_items(kind, records)[-limit:]]


def keyed_items(kind: str, records: Iterable[StoredRecord]) -> list[tuple[Key, dict[str, Any]]]:
    """Every item of ``kind`` with the key of the record it comes from, oldest first."""
    if kind == "events":
        return keyed_events(records)
    out = []
    for stored in records:
        if stored.kind != kind:
            continue
        record = decode(stored)
        if record is None:
            continue
        found = item(kind, stored.event_ns, record, future=stored.time_quality == FUTURE)
        if found is not None:
            out.append((key_of(stored), found))
    return out


def events(records: Iterable[StoredRecord]) -> list[dict[str, Any]]:
    """Cell, operator and radio-technology changes in the signal history."""
    return [found for _, found in keyed_events(records)]


def keyed_events(records: Iterable[StoredRecord]) -> list[tuple[Key, dict[str, Any]]]:
    """:func:`events`, each with the key of the reading that showed the change."""
    out: list[tuple[Key, dict[str, Any]]] = []
    last: dict[str, Any] = {}
    for stored in records:
        if stored.kind != "signal":
            continue
        record = decode(stored)
        if record is None or not record.HasField("signal"):
            continue
        if stored.time_quality == FUTURE:
            continue
        s = record.signal
        now = {
            "operator": mcc_mnc(_opt(s, "mcc"), _opt(s, "mnc")),
            "cell": _opt(s, "cell_id", ranges.invalid_fields(s)),
            "rat": enum_label(records_pb2.Rat, s.rat, "RAT_"),
        }
        for kind, value in now.items():
            if value is None:
                continue
            before = last.get(kind)
            if before is not None and before != value:
                change = {"time": iso(stored.event_ns), "kind": kind, "from": before, "to": value}
                out.append((key_of(stored), change))
            last[kind] = value
    return out


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None
