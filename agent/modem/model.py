"""Domain values of the modem layer and their conversion to the wire contract.

Field names are identical to ``pantau.v1.SignalReading`` / ``pantau.v1.ModemIdentity``.
A value the modem did not report is ``None`` here and unset (absent) on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from pantau.v1 import records_pb2, telemetry_pb2

#: Radio access technologies, as used in :attr:`SignalSample.rat`.
RATS: tuple[str, ...] = (
    "none",
    "gsm",
    "edge",
    "umts",
    "hspa",
    "lte",
    "nbiot",
    "ltem",
    "nr5g-sa",
    "nr5g-nsa",
)
#: Registration states, as used in :attr:`SignalSample.reg_state`.
REG_STATES: tuple[str, ...] = (
    "not-registered",
    "home",
    "searching",
    "denied",
    "unknown",
    "roaming",
    "sms-only",
    "emergency",
    "other",
)
#: SIM states, as used in :attr:`SignalSample.sim_state`.
SIM_STATES: tuple[str, ...] = ("ready", "absent", "pin", "puk", "busy", "error")

_RAT_TO_PROTO: dict[str, records_pb2.Rat] = {
    "none": records_pb2.RAT_NONE,
    "gsm": records_pb2.RAT_GSM,
    "edge": records_pb2.RAT_EDGE,
    "umts": records_pb2.RAT_UMTS,
    "hspa": records_pb2.RAT_HSPA,
    "lte": records_pb2.RAT_LTE,
    "nbiot": records_pb2.RAT_NBIOT,
    "ltem": records_pb2.RAT_LTE_M,
    "nr5g-sa": records_pb2.RAT_NR5G_SA,
    "nr5g-nsa": records_pb2.RAT_NR5G_NSA,
}
_REG_TO_PROTO: dict[str, records_pb2.RegState] = {
    "not-registered": records_pb2.REG_STATE_NOT_REGISTERED,
    "home": records_pb2.REG_STATE_HOME,
    "searching": records_pb2.REG_STATE_SEARCHING,
    "denied": records_pb2.REG_STATE_DENIED,
    "unknown": records_pb2.REG_STATE_UNKNOWN,
    "roaming": records_pb2.REG_STATE_ROAMING,
    "sms-only": records_pb2.REG_STATE_SMS_ONLY,
    "emergency": records_pb2.REG_STATE_EMERGENCY_ONLY,
    "other": records_pb2.REG_STATE_OTHER,
}
_SIM_TO_PROTO: dict[str, records_pb2.SimState] = {
    "ready": records_pb2.SIM_STATE_READY,
    "absent": records_pb2.SIM_STATE_ABSENT,
    "pin": records_pb2.SIM_STATE_PIN_REQUIRED,
    "puk": records_pb2.SIM_STATE_PUK_REQUIRED,
    "busy": records_pb2.SIM_STATE_BUSY,
    "error": records_pb2.SIM_STATE_ERROR,
}


#: Radio families of a neighbour cell or a component carrier (:class:`NeighbourCell`).
CELL_RATS: tuple[str, ...] = ("gsm", "umts", "lte", "nr")
#: How a neighbour relates to the serving cell.
RELATIONS: tuple[str, ...] = ("intra-frequency", "inter-frequency", "inter-rat")

_CELL_RAT_TO_PROTO: dict[str, records_pb2.CellRat] = {
    "gsm": records_pb2.CELL_RAT_GSM,
    "umts": records_pb2.CELL_RAT_UMTS,
    "lte": records_pb2.CELL_RAT_LTE,
    "nr": records_pb2.CELL_RAT_NR,
}
_RELATION_TO_PROTO: dict[str, records_pb2.CellRelation] = {
    "intra-frequency": records_pb2.CELL_RELATION_INTRA_FREQUENCY,
    "inter-frequency": records_pb2.CELL_RELATION_INTER_FREQUENCY,
    "inter-rat": records_pb2.CELL_RELATION_INTER_RAT,
}


def _check_choice(owner: str, name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{owner}.{name}={value!r}: expected one of {allowed}")


@dataclass(frozen=True, slots=True)
class NeighbourCell:
    """One neighbour cell (``pantau.v1.NeighbourCell``); ``rat`` one of CELL_RATS."""

    rat: str
    relation: str | None = None  # one of RELATIONS
    pci: int | None = None
    psc: int | None = None
    earfcn: int | None = None
    uarfcn: int | None = None
    arfcn: int | None = None
    rsrp_dbm: float | None = None
    rsrq_db: float | None = None
    rssi_dbm: float | None = None
    sinr_db: float | None = None
    rscp_dbm: float | None = None
    ecio_db: float | None = None
    lac: int | None = None
    cell_id: int | None = None

    def __post_init__(self) -> None:
        _check_choice("NeighbourCell", "rat", self.rat, CELL_RATS)
        _check_choice("NeighbourCell", "relation", self.relation, RELATIONS)

    @property
    def level_dbm(self) -> float | None:
        """The level neighbours are ranked by: RSRP (LTE/NR), RSCP (UMTS), RSSI (GSM)."""
        for value in (self.rsrp_dbm, self.rscp_dbm, self.rssi_dbm):
            if value is not None:
                return value
        return None

    @property
    def channel(self) -> int | None:
        """EARFCN, UARFCN or (NR-)ARFCN, whichever the RAT has."""
        for value in (self.earfcn, self.uarfcn, self.arfcn):
            if value is not None:
                return value
        return None


@dataclass(frozen=True, slots=True)
class CarrierComponent:
    """One component carrier (``pantau.v1.CarrierComponent``); ``rat`` "lte" or "nr"."""

    primary: bool
    rat: str
    band: int | None = None
    earfcn: int | None = None
    arfcn: int | None = None
    bandwidth_mhz: float | None = None
    pci: int | None = None
    rsrp_dbm: float | None = None
    rsrq_db: float | None = None
    rssi_dbm: float | None = None
    sinr_db: float | None = None

    def __post_init__(self) -> None:
        _check_choice("CarrierComponent", "rat", self.rat, CELL_RATS)


def _rank(n: NeighbourCell) -> tuple[int, float]:
    """Levels of different kinds do not compare: an RSRP beats an RSCP beats an RSSI,
    then the higher level wins."""
    for tier, value in ((2, n.rsrp_dbm), (1, n.rscp_dbm), (0, n.rssi_dbm)):
        if value is not None:
            return tier, value
    return -1, 0.0


def strongest(neighbours: tuple[NeighbourCell, ...] | None) -> NeighbourCell | None:
    """The strongest neighbour: LTE/NR by RSRP first, then UMTS by RSCP, then GSM by
    RSSI (levels of different kinds do not compare); None when none has a level."""
    ranked = [n for n in neighbours or () if n.level_dbm is not None]
    return max(ranked, key=_rank) if ranked else None


@dataclass(frozen=True, slots=True)
class SignalSample:
    """One reading of the modem's radio state (see ``SignalReading`` for the units)."""

    dialect: str  # "3gpp", "quectel", "simcom", "huawei"
    rat: str | None = None  # one of RATS
    reg_state: str | None = None  # one of REG_STATES
    sim_state: str | None = None  # one of SIM_STATES
    mcc: str | None = None
    mnc: str | None = None
    operator_name: str | None = None
    lac: int | None = None
    tac: int | None = None
    cell_id: int | None = None
    pci: int | None = None
    psc: int | None = None
    earfcn: int | None = None
    uarfcn: int | None = None
    arfcn: int | None = None
    band: int | None = None
    rssi_dbm: float | None = None
    rsrp_dbm: float | None = None
    rsrq_db: float | None = None
    sinr_db: float | None = None
    rscp_dbm: float | None = None
    ecio_db: float | None = None
    csq: int | None = None
    ber_percent: float | None = None
    nr_rsrp_dbm: float | None = None
    nr_rsrq_db: float | None = None
    nr_sinr_db: float | None = None
    nr_pci: int | None = None
    nr_arfcn: int | None = None
    nr_band: int | None = None
    lat_deg: float | None = None
    lon_deg: float | None = None
    #: None: the modem was not asked or cannot say; (): asked, it heard none.
    neighbours: tuple[NeighbourCell, ...] | None = None
    #: The component carriers the modem listed (primary first); () when it listed none.
    carriers: tuple[CarrierComponent, ...] = field(default=())

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("rat", self.rat, RATS),
            ("reg_state", self.reg_state, REG_STATES),
            ("sim_state", self.sim_state, SIM_STATES),
        ):
            if value is not None and value not in allowed:
                raise ValueError(f"SignalSample.{name}={value!r}: expected one of {allowed}")


@dataclass(frozen=True, slots=True)
class ModemIdentity:
    """Who the modem is: answers to +CGMI/+CGMM/+CGMR/+CGSN/+CIMI/+CCID."""

    dialect: str
    port: str
    manufacturer: str | None = None
    model: str | None = None
    firmware: str | None = None
    imei: str | None = None
    imsi: str | None = None
    iccid: str | None = None


_ENUM_FIELDS = frozenset({"rat", "reg_state", "sim_state"})
_LIST_FIELDS = frozenset({"neighbours", "carriers"})


def _fill(msg: object, values: object, skip: frozenset[str]) -> None:
    for f in fields(values):  # type: ignore[arg-type]
        value = getattr(values, f.name)
        if f.name not in skip and value is not None:
            setattr(msg, f.name, value)


def neighbour_to_proto(cell: NeighbourCell) -> records_pb2.NeighbourCell:
    """A neighbour as the wire message; ``None`` leaves the field unset."""
    msg = records_pb2.NeighbourCell(rat=_CELL_RAT_TO_PROTO[cell.rat])
    if cell.relation is not None:
        msg.relation = _RELATION_TO_PROTO[cell.relation]
    _fill(msg, cell, frozenset({"rat", "relation"}))
    return msg


def carrier_to_proto(cc: CarrierComponent) -> records_pb2.CarrierComponent:
    """A component carrier as the wire message; ``None`` leaves the field unset."""
    msg = records_pb2.CarrierComponent(primary=cc.primary, rat=_CELL_RAT_TO_PROTO[cc.rat])
    _fill(msg, cc, frozenset({"primary", "rat"}))
    return msg


def cell_dict(msg: records_pb2.NeighbourCell | records_pb2.CarrierComponent) -> dict[str, object]:
    """A wire neighbour or carrier as the fields of :class:`NeighbourCell` /
    :class:`CarrierComponent` (enums by name; absent values left out)."""
    rats = {int(v): k for k, v in _CELL_RAT_TO_PROTO.items()}
    relations = {int(v): k for k, v in _RELATION_TO_PROTO.items()}
    out: dict[str, object] = {}
    for desc, value in msg.ListFields():
        if desc.name == "rat":
            out["rat"] = rats.get(int(value))
        elif desc.name == "relation":
            out["relation"] = relations.get(int(value))
        else:
            out[desc.name] = value
    if isinstance(msg, records_pb2.CarrierComponent):
        out.setdefault("primary", False)
    return out


def cells_from_dicts(
    reading: dict[str, object],
) -> tuple[tuple[NeighbourCell, ...] | None, tuple[CarrierComponent, ...]]:
    """The ``neighbours`` / ``carriers`` lists of a reading dict (as :func:`cell_dict`
    writes them) as dataclasses; a malformed item is a ValueError or TypeError."""
    raw_n = reading.get("neighbours")
    raw_c = reading.get("carriers") or []
    neighbours = None
    if isinstance(raw_n, list):
        neighbours = tuple(NeighbourCell(**item) for item in raw_n)
    if not isinstance(raw_c, list):
        raise ValueError(f"carriers: expected a list, got {raw_c!r}")
    return neighbours, tuple(CarrierComponent(**item) for item in raw_c)


def signal_to_proto(sample: SignalSample) -> records_pb2.SignalReading:
    """Convert a sample to the wire message; ``None`` leaves the field unset."""
    msg = records_pb2.SignalReading(dialect=sample.dialect)
    if sample.rat is not None:
        msg.rat = _RAT_TO_PROTO[sample.rat]
    if sample.reg_state is not None:
        msg.reg_state = _REG_TO_PROTO[sample.reg_state]
    if sample.sim_state is not None:
        msg.sim_state = _SIM_TO_PROTO[sample.sim_state]
    for f in fields(SignalSample):
        if f.name == "dialect" or f.name in _ENUM_FIELDS or f.name in _LIST_FIELDS:
            continue
        value = getattr(sample, f.name)
        if value is not None:
            setattr(msg, f.name, value)
    if sample.neighbours is not None:
        msg.neighbours_reported = True
        msg.neighbours.extend(neighbour_to_proto(n) for n in sample.neighbours)
    msg.carriers.extend(carrier_to_proto(c) for c in sample.carriers)
    return msg


def identity_to_proto(identity: ModemIdentity) -> telemetry_pb2.ModemIdentity:
    """Convert an identity to the wire message; ``None`` leaves the field unset."""
    msg = telemetry_pb2.ModemIdentity(dialect=identity.dialect, port=identity.port)
    for name in ("manufacturer", "model", "firmware", "imei", "imsi", "iccid"):
        value = getattr(identity, name)
        if value is not None:
            setattr(msg, name, value)
    return msg
