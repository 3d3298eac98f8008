"""Domain values of the modem layer and their conversion to the wire contract.

Field names are identical to ``pantau.v1.SignalReading`` / ``pantau.v1.ModemIdentity``.
A value the modem did not report is ``None`` here and unset (absent) on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

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
    lat_deg: float | None = None
    lon_deg: float | None = None

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
        if f.name == "dialect" or f.name in _ENUM_FIELDS:
            continue
        value = getattr(sample, f.name)
        if value is not None:
            setattr(msg, f.name, value)
    return msg


def identity_to_proto(identity: ModemIdentity) -> telemetry_pb2.ModemIdentity:
    """Convert an identity to the wire message; ``None`` leaves the field unset."""
    msg = telemetry_pb2.ModemIdentity(dialect=identity.dialect, port=identity.port)
    for name in ("manufacturer", "model", "firmware", "imei", "imsi", "iccid"):
        value = getattr(identity, name)
        if value is not None:
            setattr(msg, name, value)
    return msg
