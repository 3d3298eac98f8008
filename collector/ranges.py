"""The valid range of every numeric field a kit sends, and the one walk that checks
them (pure: no I/O, no clock).

A kit's modem can report anything: RSRP +50 dBm, a loss ratio of 100, a latitude of
95, +Infinity. None of that is the kit's fault, so none of it refuses a batch (the
kit would retry it forever): the record is stored exactly as received, and which of
its fields are *invalid* is a pure function of the record, :func:`invalid_fields`,
judged wherever a record is read:

- the live view (:func:`collector.batches.signal_state` / ``ping_state``): an invalid
  figure becomes absent (a position with either coordinate invalid is no position);
- the rules (:mod:`collector.observe`): an invalid figure is never an observation value;
- the coverage export (:mod:`collector.query`): invalid figures are left out of the
  medians;
- raw readings (:mod:`collector.measurements`, the site page): the value is null and
  the item lists ``"invalid": ["rsrp_dbm", ...]``.

Judging on read rather than at ingest keeps the ingest's hot path as it was and
re-judges stored records when this table is corrected.

What the contract itself forbids (a ``seq`` beyond int64, a monotonic time that puts
the event time outside int64) is not here: :mod:`collector.batches` refuses it.

Ranges: radio figures per RAT from 3GPP TS 45.008 (GSM), 25.133 (UMTS), 36.133
(LTE) and 38.133 (NR), with their extended reporting ranges; identities by their bit
widths; durations from 0 to 10 minutes (every probe times out long before); every
range is finite, so NaN and the infinities are always invalid. ``docs/proto.md``
prints this table (:func:`doc_rows`; a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from pantau.v1 import records_pb2

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
UINT32_MAX = 2**32 - 1


@dataclass(frozen=True, slots=True)
class Range:
    """``lo <= value <= hi``, in ``unit``."""

    lo: int | float
    hi: int | float
    unit: str

    def holds(self, value: float) -> bool:
        return self.lo <= value <= self.hi  # False for NaN; both bounds are finite

    def text(self) -> str:
        return f"{_number(self.lo)} .. {_number(self.hi)}"


@dataclass(frozen=True, slots=True)
class PerRat:
    """A figure whose range depends on the serving RAT (``SignalReading.rat``); the
    ``default`` range serves a RAT not listed (unspecified, none, or newer)."""

    by_rat: Mapping[int, Range]
    default: Range

    @property
    def unit(self) -> str:
        return self.default.unit

    def range_for(self, rat: int) -> Range:
        return self.by_rat.get(rat, self.default)

    def text(self) -> str:
        parts: dict[str, list[str]] = {}
        for rat, bound in self.by_rat.items():
            parts.setdefault(bound.text(), []).append(_RAT_NAMES[rat])
        listed = [f"{'/'.join(names)}: {text}" for text, names in parts.items()]
        return "; ".join([*listed, f"other: {self.default.text()}"])


Bound = Range | PerRat

_R = records_pb2
GSM = (_R.RAT_GSM, _R.RAT_EDGE)
UMTS = (_R.RAT_UMTS, _R.RAT_HSPA)
#: LTE radio figures: NSA's are the LTE anchor's (the NR leg has fields of its own).
LTE = (_R.RAT_LTE, _R.RAT_NBIOT, _R.RAT_LTE_M, _R.RAT_NR5G_NSA)
#: LTE identities; NSA is left to the wider default (a modem may name the NR cell).
LTE_CELL = (_R.RAT_LTE, _R.RAT_NBIOT, _R.RAT_LTE_M)
NR = (_R.RAT_NR5G_SA,)
_RAT_NAMES: dict[int, str] = {
    _R.RAT_GSM: "GSM", _R.RAT_EDGE: "EDGE", _R.RAT_UMTS: "UMTS", _R.RAT_HSPA: "HSPA",
    _R.RAT_LTE: "LTE", _R.RAT_NBIOT: "NB-IoT", _R.RAT_LTE_M: "LTE-M",
    _R.RAT_NR5G_NSA: "NR NSA", _R.RAT_NR5G_SA: "NR SA",
}  # fmt: skip


def _per_rat(default: Range, *groups: tuple[tuple[int, ...], Range]) -> PerRat:
    return PerRat({rat: bound for rats, bound in groups for rat in rats}, default)


def _count(unit: str = "count", hi: int = UINT32_MAX) -> Range:
    return Range(0, hi, unit)


def _id(hi: int) -> Range:
    return Range(0, hi, "id")


#: Durations: from 0 to 10 minutes (a probe times out long before).
DURATION_MS = Range(0, 600_000, "ms")
#: Byte counts: uint64 on the wire, kept within int64 for every consumer.
BYTES = Range(0, INT64_MAX, "bytes")
#: An identity or counter with no range narrower than its type (any uint32).
ANY_UINT32 = _count()
#: An RSRP / SS-RSRP (36.133 and 38.133 extended reporting ranges).
RSRP = Range(-156, -31, "dBm")
NR_RSRQ = Range(-43, 20, "dB")  # 38.133 SS-RSRQ
SINR = Range(-23, 40, "dB")  # 36.133 RS-SINR, 38.133 SS-SINR
LATITUDE = Range(-90, 90, "degrees")  # WGS84
LONGITUDE = Range(-180, 180, "degrees")

#: message name -> field -> its valid range. Every numeric field of a Record's body
#: is listed (a test walks the descriptors); Record.seq and RecordTime are the
#: contract's, checked by collector.batches.
FIELDS: dict[str, dict[str, Bound]] = {
    "SignalReading": {
        "lac": _id(0xFFFF),  # 16 bits
        "tac": _per_rat(_id(0xFFFFFF), (LTE_CELL, _id(0xFFFF))),  # 16 bits; NR 24
        "cell_id": _per_rat(
            _id(2**36 - 1),  # NR NCI, 36 bits
            (GSM, _id(0xFFFF)),  # CI, 16 bits
            (UMTS, _id(2**28 - 1)),  # RNC id + C-Id, 28 bits
            (LTE_CELL, _id(2**28 - 1)),  # ECI, 28 bits
        ),
        "pci": _per_rat(_id(1007), (LTE_CELL, _id(503))),
        "psc": _id(511),
        "earfcn": _id(262_143),
        "uarfcn": _id(16_383),
        "arfcn": _per_rat(_id(3_279_165), (GSM, _id(1023))),  # NR-ARFCN up to 3 279 165
        "nr_pci": _id(1007),  # the NR leg of a 5G NSA reading (38.211)
        "nr_arfcn": _id(3_279_165),  # 38.104 NR-ARFCN
        "nr_band": Range(1, 1024, "band"),  # the NR leg's band (n78)
        "band": Range(1, 1024, "band"),
        "rssi_dbm": Range(-125, -10, "dBm"),  # CSQ spans -113..-51; LTE carrier RSSI lower
        "rsrp_dbm": RSRP,
        "rsrq_db": _per_rat(NR_RSRQ, (LTE, Range(-34, 2.5, "dB"))),  # LTE: 36.133 extended
        "sinr_db": SINR,
        "rscp_dbm": Range(-124, -25, "dBm"),  # 25.133 CPICH RSCP, extended
        "ecio_db": Range(-24.5, 0, "dB"),  # 25.133 CPICH Ec/No
        "csq": Range(0, 31, "CSQ index"),  # 99 ("not known") is sent as absent
        "ber_percent": Range(0, 100, "%"),
        "nr_rsrp_dbm": RSRP,
        "nr_rsrq_db": NR_RSRQ,
        "nr_sinr_db": SINR,
        "lat_deg": LATITUDE,
        "lon_deg": LONGITUDE,
    },
    # A neighbour cell and a component carrier carry their own RAT (CellRat), so their
    # ranges are the widest over the RATs they can be (an LTE PCI fits in 0..1007).
    "NeighbourCell": {
        "pci": _id(1007),
        "psc": _id(511),
        "earfcn": _id(262_143),
        "uarfcn": _id(16_383),
        "arfcn": _id(3_279_165),
        "rsrp_dbm": RSRP,
        "rsrq_db": NR_RSRQ,
        "rssi_dbm": Range(-125, -10, "dBm"),
        "sinr_db": SINR,
        "rscp_dbm": Range(-124, -25, "dBm"),
        "ecio_db": Range(-24.5, 0, "dB"),
        "lac": _id(0xFFFF),
        "cell_id": _id(2**36 - 1),
    },
    "CarrierComponent": {
        "band": Range(1, 1024, "band"),
        "earfcn": _id(262_143),
        "arfcn": _id(3_279_165),
        "bandwidth_mhz": Range(1.4, 400, "MHz"),  # 36.101 5.6 / 38.101-1 5.3
        "pci": _id(1007),
        "rsrp_dbm": RSRP,
        "rsrq_db": NR_RSRQ,
        "rssi_dbm": Range(-125, -10, "dBm"),
        "sinr_db": SINR,
    },
    "ProbeCommon": {"resolve_ms": DURATION_MS, "bytes_used": BYTES},
    "PingPacket": {"icmp_seq": ANY_UINT32, "rtt_ms": DURATION_MS, "duplicates": _count()},
    "PingResult": {
        "tcp_port": Range(1, 65_535, "port"),
        "sent": _count(),
        "received": _count(),
        "duplicates": _count(),
        "min_ms": DURATION_MS,
        "median_ms": DURATION_MS,
        "avg_ms": DURATION_MS,
        "max_ms": DURATION_MS,
        "stddev_ms": DURATION_MS,
        "jitter_ms": DURATION_MS,
        "loss_ratio": Range(0, 1, "ratio"),
        "payload_bytes": _count("bytes"),
        "interval_ms": DURATION_MS,
    },
    "DnsAnswer": {"ttl_s": _count("s")},
    "DnsResult": {"query_ms": DURATION_MS},
    "TcpConnectResult": {"port": Range(0, 65_535, "port"), "connect_ms": DURATION_MS},
    "HttpResult": {
        "status_code": Range(100, 599, "HTTP status"),
        "connect_ms": DURATION_MS,
        "tls_ms": DURATION_MS,
        "first_byte_ms": DURATION_MS,
        "transfer_ms": DURATION_MS,
        "total_ms": DURATION_MS,
        "body_bytes": BYTES,
    },
    "ThroughputResult": {
        "payload_bytes": BYTES,
        "duration_ms": DURATION_MS,
        "goodput_bps": Range(0, 10**12, "bit/s"),  # up to 1 Tbit/s
        "grace_ms": DURATION_MS,
        "tcp_min_rtt_ms": DURATION_MS,
        "tcp_rtt_ms": DURATION_MS,
        "tcp_rttvar_ms": DURATION_MS,
        "tcp_retransmits": _count(),
        "tcp_snd_cwnd": _count("segments"),
        "transfer_sizes_bytes": BYTES,
    },
    "TraceHop": {"ttl": Range(0, 255, "hops"), "rtts_ms": DURATION_MS, "probes_sent": _count()},
    "TraceResult": {"port": Range(1, 65_535, "port")},
    "AgentEvent": {
        "dropped_by_kind": Range(0, INT64_MAX, "records"),
        "dropped_records": Range(0, INT64_MAX, "records"),
        "dropped_bytes": BYTES,
        "clock_step_ns": Range(INT64_MIN, INT64_MAX, "ns"),
        "gap_s": Range(0, 10 * 366 * 86_400, "s"),  # ten years
    },
}


def invalid_fields(message: Message) -> list[str]:
    """The paths of ``message``'s fields outside their range, e.g. ``["rsrp_dbm"]`` or
    ``["packets[2].rtt_ms"]``; absent fields are never invalid. ``message`` is a
    Record's body (a SignalReading, PingResult, ...) or any message inside one."""
    return _walk(message, _R.RAT_UNSPECIFIED, "")


def value(message: Message, name: str) -> Any:
    """``message.name`` when it is set and in its range, else None: what a reader that
    wants a few figures asks (cheaper than :func:`invalid_fields` of the whole message).
    ``name`` is a numeric, non-repeated field of the table."""
    return values(message, (name,))[0]


def values(message: Message, names: Sequence[str]) -> list[Any]:
    """:func:`value` of each of ``names``, in order (one look-up of the message's
    checks for all: the ingest's hot path asks several figures of every reading)."""
    plan = _plan(message.DESCRIPTOR)
    rat: int | None = None  # not looked up yet
    out: list[Any] = []
    for name in names:
        _, by_rat, limits, presence = plan[name]
        if presence and not message.HasField(name):
            out.append(None)
            continue
        found = getattr(message, name)
        if by_rat is not None:
            if rat is None:
                rat = message.rat  # type: ignore[attr-defined]
            limits = by_rat.get(rat, limits)
        out.append(found if limits[0] <= found <= limits[1] else None)
    return out


def invalid_in_record(record: records_pb2.Record) -> list[str]:
    """:func:`invalid_fields` of a Record's body (paths relative to the body)."""
    kind = record.WhichOneof("body")
    return [] if kind is None else invalid_fields(getattr(record, kind))


# -- the walk ------------------------------------------------------------------------------
#
# Only the fields a message has set are walked (``ListFields``): an absent optional field
# is never invalid, and a plain proto3 field at its zero default is valid in every range
# of this table (a test checks), so leaving it out changes no answer. Each message type's
# checks are worked out once: a field's (lo, hi), or per RAT, and whether it is a value,
# a repeated value, a map, or a message to walk into.

_VALUE, _REPEATED, _MAP, _CHILD, _CHILDREN = range(5)
_Limits = tuple[int | float, int | float]
#: (what the field is, its limits per RAT or None, its limits (the default per RAT),
#: whether it has presence)
_Check = tuple[int, dict[int, _Limits] | None, _Limits, bool]

_NUMERIC = frozenset(
    {
        FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SINT64, FieldDescriptor.TYPE_FIXED32,
        FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED32, FieldDescriptor.TYPE_SFIXED64,
    }
)  # fmt: skip


def numeric_fields(descriptor: Descriptor) -> Iterator[FieldDescriptor]:
    """The numeric fields of ``descriptor`` (a map's numeric values included)."""
    for field in descriptor.fields:
        entry = _map_entry(field)
        if entry is not None:
            if entry.fields_by_name["value"].type in _NUMERIC:
                yield field
        elif field.type in _NUMERIC:
            yield field


def _map_entry(field: FieldDescriptor) -> Descriptor | None:
    """The entry message of a map field, else None."""
    entry = field.message_type
    return entry if entry is not None and entry.GetOptions().map_entry else None


def _limits(bound: Bound) -> tuple[dict[int, _Limits] | None, _Limits]:
    """(None, (lo, hi)), or ({rat: (lo, hi)}, the default (lo, hi)) for a range per RAT."""
    if isinstance(bound, PerRat):
        by_rat = {rat: (r.lo, r.hi) for rat, r in bound.by_rat.items()}
        return by_rat, (bound.default.lo, bound.default.hi)
    return None, (bound.lo, bound.hi)


@cache
def _plan(descriptor: Descriptor) -> dict[str, _Check]:
    """Field name -> what to check of it (:data:`_Check`)."""
    table = FIELDS.get(descriptor.name, {})
    plan: dict[str, _Check] = {}
    for field in numeric_fields(descriptor):
        bound = table.get(field.name)
        if bound is None:
            continue
        if _map_entry(field) is not None:
            shape = _MAP
        else:
            shape = _REPEATED if field.is_repeated else _VALUE
        plan[field.name] = (shape, *_limits(bound), field.has_presence)
    for field in descriptor.fields:
        if field.type == FieldDescriptor.TYPE_MESSAGE and _map_entry(field) is None:
            plan[field.name] = (_CHILDREN if field.is_repeated else _CHILD, None, (0, 0), True)
    return plan


def _walk(message: Message, rat: int, prefix: str) -> list[str]:
    descriptor = message.DESCRIPTOR
    plan = _plan(descriptor)
    if descriptor.name == "SignalReading":
        rat = message.rat  # type: ignore[attr-defined]
    out: list[str] = []
    for field, value in message.ListFields():
        check = plan.get(field.name)
        if check is None:
            continue
        shape, by_rat, limits, _ = check
        name = field.name
        if shape == _CHILD:
            out += _walk(value, rat, f"{prefix}{name}.")
            continue
        if shape == _CHILDREN:
            for i, child in enumerate(value):
                out += _walk(child, rat, f"{prefix}{name}[{i}].")
            continue
        lo, hi = limits if by_rat is None else by_rat.get(rat, limits)
        if shape == _VALUE:
            if not lo <= value <= hi:  # False for NaN too
                out.append(prefix + name)
        elif shape == _REPEATED:
            out += [f"{prefix}{name}[{i}]" for i, v in enumerate(value) if not lo <= v <= hi]
        else:
            out += [f"{prefix}{name}[{k}]" for k, v in sorted(value.items()) if not lo <= v <= hi]
    return out


# -- the documentation ---------------------------------------------------------------------


def doc_rows() -> Iterator[str]:
    """The table's rows as docs/proto.md prints them: ``| message.field | unit | valid
    range | outside it |``."""
    for message, fields in FIELDS.items():
        for name, bound in fields.items():
            yield f"| `{message}.{name}` | {bound.unit} | {bound.text()} | invalid |"


def _number(value: int | float) -> str:
    if isinstance(value, int) and abs(value) >= 2**20:
        for exponent in (24, 28, 31, 32, 36, 63, 64):
            if value == 2**exponent - 1:
                return f"2^{exponent}-1"
            if value == -(2**exponent):
                return f"-2^{exponent}"
    if isinstance(value, int):
        return f"{value:,}".replace(",", " ")
    return f"{value:g}"
