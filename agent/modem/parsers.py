"""Pure parsers for 3GPP TS 27.007 answers and identity lines.

Every function takes response lines as the engine returns them (prefix included) and
returns typed values; "unknown" codes (99, 255, "-", empty) become ``None``. Formulas
follow TS 27.007 (8.5 +CSQ, 8.69 +CESQ, 7.2/10.1.20/10.1.22/10.1.53 registration) and
TS 45.008 8.2.4 (BER class -> assumed BER %). Quectel's ``+QENG: "servingcell"`` lives
in :mod:`agent.modem.quectel`, SIMCom ``+CPSI`` and Huawei ``^HCSQ`` in
:mod:`agent.modem.vendors`, identity answers (``ATI``, IMEI, ICCID) in
:mod:`agent.modem.identity`; those are re-exported here. Sierra ``!GSTATUS?``
(:mod:`agent.modem.sierra`), Fibocom ``+XCESQ`` (:mod:`agent.modem.fibocom`) and GNSS
(:mod:`agent.modem.gnss`) import this module and are not re-exported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.modem.fields import ParseError, field_at, first_line, split_fields, to_int
from agent.modem.identity import (
    AtiIdentity,
    identity_text,
    parse_ati,
    parse_iccid,
    parse_imei,
    parse_imsi,
)
from agent.modem.quectel import (
    QUECTEL_SCALED_SINR_MODELS,
    ServingCell,
    parse_qeng_servingcell,
    quectel_sinr_scaled,
)
from agent.modem.vendors import parse_cpsi, parse_hcsq, simcom_tenths

# Vendor parsers are re-exported so callers find every parser here.
__all__ = [
    "ACT_TO_RAT",
    "COPS_STATUS",
    "QUECTEL_SCALED_SINR_MODELS",
    "STAT_TO_REG",
    "AtiIdentity",
    "Cesq",
    "Csq",
    "NetworkOperator",
    "Operator",
    "ParseError",
    "Registration",
    "ServingCell",
    "ber_class_to_percent",
    "csq_to_dbm",
    "identity_text",
    "parse_ati",
    "parse_cesq",
    "parse_cops",
    "parse_cops_list",
    "parse_cpin",
    "parse_cpsi",
    "parse_csq",
    "parse_hcsq",
    "parse_iccid",
    "parse_imei",
    "parse_imsi",
    "parse_qeng_servingcell",
    "parse_registration",
    "parse_registration_answer",
    "quectel_sinr_scaled",
    "sim_state_from_error",
    "simcom_tenths",
    "split_fields",
    "split_mcc_mnc",
    "to_int",
]

#: 27.007 <AcT> -> rat. 8 is EC-GSM-IoT in 27.007 but LTE Cat-M1 on Quectel/SIMCom
#: modems (the ones Pantau meets); 10 is E-UTRA connected to a 5G core.
ACT_TO_RAT: dict[int, str] = {
    0: "gsm",
    1: "gsm",
    2: "umts",
    3: "edge",
    4: "hspa",
    5: "hspa",
    6: "hspa",
    7: "lte",
    8: "ltem",
    9: "nbiot",
    10: "lte",
    11: "nr5g-sa",
    12: "nr5g-sa",
    13: "nr5g-nsa",
}
#: 27.007 registration <stat> -> reg_state.
STAT_TO_REG: dict[int, str] = {
    0: "not-registered",
    1: "home",
    2: "searching",
    3: "denied",
    4: "unknown",
    5: "roaming",
    6: "sms-only",
    7: "sms-only",
    8: "emergency",
    9: "other",
    10: "other",
    11: "other",
}
#: TS 45.008 8.2.4: assumed BER (%) for each RXQUAL class 0..7.
BER_CLASS_PERCENT: tuple[float, ...] = (0.14, 0.28, 0.57, 1.13, 2.26, 4.53, 9.05, 18.10)
#: +CME ERROR codes (27.007 9.2) that describe the SIM, as sim_state.
CME_SIM_STATE: dict[int, str] = {
    10: "absent",
    11: "pin",
    12: "puk",
    13: "error",
    14: "busy",
    15: "error",
    16: "error",
    17: "pin",
    18: "puk",
}
#: Verbose (+CMEE=2) texts for the same.
CME_TEXT_SIM_STATE: dict[str, str] = {
    "SIM NOT INSERTED": "absent",
    "SIM PIN REQUIRED": "pin",
    "SIM PUK REQUIRED": "puk",
    "SIM FAILURE": "error",
    "SIM BUSY": "busy",
    "SIM WRONG": "error",
}


@dataclass(frozen=True, slots=True)
class Csq:
    csq: int | None  # raw <rssi>
    rssi_dbm: float | None
    ber_percent: float | None


@dataclass(frozen=True, slots=True)
class Cesq:
    rxlev_dbm: float | None  # GSM RSSI
    ber_percent: float | None
    rscp_dbm: float | None
    ecno_db: float | None
    rsrq_db: float | None
    rsrp_dbm: float | None


@dataclass(frozen=True, slots=True)
class Registration:
    stat: int
    reg_state: str
    n: int | None = None  # only in the read form
    lac: int | None = None  # LAC (CREG/CGREG) or TAC (CEREG/C5GREG)
    cell_id: int | None = None
    act: int | None = None
    rat: str | None = None

    @property
    def registered(self) -> bool:
        return self.stat in (1, 5)


@dataclass(frozen=True, slots=True)
class Operator:
    mode: int
    format: int | None = None
    name: str | None = None  # as reported (alphanumeric or numeric)
    mcc: str | None = None
    mnc: str | None = None
    act: int | None = None
    rat: str | None = None


# -- signal -----------------------------------------------------------------------------


def csq_to_dbm(rssi: int | None) -> float | None:
    """+CSQ <rssi>: 0..31 -> -113 + 2n dBm (0 means <= -113, 31 >= -51);
    100..191 (TD-SCDMA) -> -216 + n; 99/199 and anything else -> None."""
    if rssi is None:
        return None
    if 0 <= rssi <= 31:
        return float(-113 + 2 * rssi)
    if 100 <= rssi <= 191:
        return float(-216 + rssi)
    return None


def ber_class_to_percent(ber: int | None) -> float | None:
    """<ber> class 0..7 -> assumed BER % (TS 45.008 8.2.4); 99 -> None."""
    if ber is None or not 0 <= ber <= 7:
        return None
    return BER_CLASS_PERCENT[ber]


def parse_csq(lines: tuple[str, ...] | list[str] | str) -> Csq:
    """``+CSQ: <rssi>,<ber>`` -> Csq (raw csq kept; 99 -> None)."""
    f = split_fields(first_line(lines, "+CSQ:"), "+CSQ:")
    rssi = to_int(field_at(f, 0), unknown=(99, 199))
    ber = to_int(field_at(f, 1), unknown=(99,))
    return Csq(
        csq=rssi if rssi is not None and 0 <= rssi <= 31 else None,
        rssi_dbm=csq_to_dbm(rssi),
        ber_percent=ber_class_to_percent(ber),
    )


def _scaled(value: int | None, lo: int, hi: int, offset: float, step: float) -> float | None:
    if value is None or not lo <= value <= hi:
        return None
    return float(round(offset + step * value, 2))


def parse_cesq(lines: tuple[str, ...] | list[str] | str) -> Cesq:
    """``+CESQ: rxlev,ber,rscp,ecno,rsrq,rsrp`` (27.007 8.69).

    rxlev 0..63 -> -111+n dBm (99 unknown); rscp 0..96 -> -121+n dBm (255);
    ecno 0..49 -> -24.5+n/2 dB (255); rsrq 0..34 -> -20+n/2 dB (255);
    rsrp 0..97 -> -141+n dBm (255). Each value is the low edge of its 27.007 range.
    """
    f = split_fields(first_line(lines, "+CESQ:"), "+CESQ:")
    if len(f) < 6:
        raise ParseError(f"+CESQ needs 6 fields, got {len(f)}: {f!r}")
    rxlev, ber, rscp, ecno, rsrq, rsrp = (to_int(x) for x in f[:6])
    return Cesq(
        rxlev_dbm=_scaled(rxlev, 0, 63, -111, 1),
        ber_percent=ber_class_to_percent(ber),
        rscp_dbm=_scaled(rscp, 0, 96, -121, 1),
        ecno_db=_scaled(ecno, 0, 49, -24.5, 0.5),
        rsrq_db=_scaled(rsrq, 0, 34, -20, 0.5),
        rsrp_dbm=_scaled(rsrp, 0, 97, -141, 1),
    )


# -- registration -----------------------------------------------------------------------

_REG_PREFIX = re.compile(r"^\+(C|CG|CE|C5G)REG:", re.IGNORECASE)


def parse_registration(line: str, *, form: str = "auto") -> Registration:
    """+CREG / +CGREG / +CEREG / +C5GREG, read or URC form.

    Read form (answer to ``AT+CxREG?``): ``<n>,<stat>[,<lac>,<ci>[,<AcT>...]]``.
    URC form: ``<stat>[,<lac>,<ci>[,<AcT>...]]``. ``form`` is "read", "urc" or "auto"
    (auto: read form unless the field count or a quoted/hex second field says URC).
    lac/ci are hexadecimal, quoted or not, possibly space-padded; ``lac`` holds the TAC
    for +CEREG/+C5GREG. Trailing fields (rac, cause, NSSAI) are ignored.
    """
    m = _REG_PREFIX.match(line.strip())
    if m is None:
        raise ParseError(f"expected a +CREG/+CGREG/+CEREG/+C5GREG line, got {line!r}")
    raw = line.strip()[m.end() :]
    f = split_fields(raw)
    if form == "auto":
        second = raw.split(",")[1].strip() if "," in raw else ""
        looks_urc = len(f) == 1 or second.startswith('"') or len(f) == 3
        form = "urc" if looks_urc else "read"
    if form not in ("read", "urc"):
        raise ValueError(f"form={form!r}: expected 'read', 'urc' or 'auto'")
    n: int | None = None
    if form == "read":
        n = to_int(field_at(f, 0))
        f = f[1:]
    stat = to_int(field_at(f, 0))
    if stat is None:
        raise ParseError(f"no registration <stat> in {line!r}")
    act = to_int(field_at(f, 3))
    return Registration(
        stat=stat,
        reg_state=STAT_TO_REG.get(stat, "other"),
        n=n,
        lac=to_int(field_at(f, 1), base=16),
        cell_id=to_int(field_at(f, 2), base=16),
        act=act,
        rat=None if act is None else ACT_TO_RAT.get(act),
    )


def parse_registration_answer(lines: tuple[str, ...] | list[str], prefix: str) -> Registration:
    """The read-form line of an ``AT+CxREG?`` answer among ``lines``.

    A URC with the same prefix can arrive inside the answer (the engine cannot tell
    them apart by prefix); a line whose shape says URC form is skipped when a read-form
    line is present.
    """
    candidates = [x for x in lines if x.upper().startswith(prefix.upper())]
    if not candidates:
        raise ParseError(f"no {prefix} line in {list(lines)!r}")
    for line in candidates:
        reg = parse_registration(line, form="auto")
        if reg.n is not None:
            return reg
    return parse_registration(candidates[0], form="read")


# -- operator and SIM -------------------------------------------------------------------


def split_mcc_mnc(numeric: str) -> tuple[str, str] | None:
    """ "51010" / "510 10" / "510-10" / "510010" -> ("510", "10" / "010")."""
    digits = re.sub(r"[\s\-]", "", numeric)
    if not digits.isdigit() or len(digits) not in (5, 6):
        return None
    return digits[:3], digits[3:]


def parse_cops(lines: tuple[str, ...] | list[str] | str) -> Operator:
    """``+COPS: <mode>[,<format>,<oper>[,<AcT>]]`` (27.007 7.3).

    format 2 is numeric (MCC-MNC); formats 0/1 are long/short names. A numeric-looking
    name is split into MCC/MNC whatever the format says.
    """
    f = split_fields(first_line(lines, "+COPS:"), "+COPS:")
    mode = to_int(field_at(f, 0))
    if mode is None:
        raise ParseError(f"+COPS without <mode>: {f!r}")
    fmt = to_int(field_at(f, 1))
    name = field_at(f, 2) or None
    act = to_int(field_at(f, 3))
    mcc = mnc = None
    if name is not None:
        pair = split_mcc_mnc(name)
        if pair is not None:
            mcc, mnc = pair
    return Operator(
        mode=mode,
        format=fmt,
        name=name,
        mcc=mcc,
        mnc=mnc,
        act=act,
        rat=None if act is None else ACT_TO_RAT.get(act),
    )


def parse_cpin(lines: tuple[str, ...] | list[str] | str) -> str:
    """``+CPIN: READY`` -> "ready"; SIM PIN / PH-SIM PIN -> "pin"; SIM PUK -> "puk";
    NOT INSERTED / NOT READY (some firmwares answer so) -> "absent"/"busy"; else "error"."""
    f = split_fields(first_line(lines, "+CPIN:"), "+CPIN:")
    code = (f[0] if f else "").upper()
    if code == "READY":
        return "ready"
    if "PUK" in code:
        return "puk"
    if "PIN" in code:
        return "pin"
    if "NOT INSERTED" in code:
        return "absent"
    if "NOT READY" in code:
        return "busy"
    return "error"


def sim_state_from_error(code: int | None, text: str | None) -> str:
    """Map a +CME error (numeric or verbose) on +CPIN? to a sim_state."""
    if code is not None:
        return CME_SIM_STATE.get(code, "error")
    if text is not None:
        return CME_TEXT_SIM_STATE.get(text.upper(), "error")
    return "error"


#: +COPS=? <stat> -> status.
COPS_STATUS: dict[int, str] = {0: "unknown", 1: "available", 2: "current", 3: "forbidden"}


@dataclass(frozen=True, slots=True)
class NetworkOperator:
    """One network from ``AT+COPS=?``."""

    status: str  # unknown, available, current, forbidden
    long_name: str | None = None
    short_name: str | None = None
    numeric: str | None = None
    mcc: str | None = None
    mnc: str | None = None
    act: int | None = None
    rat: str | None = None


def _paren_groups(text: str) -> list[str | None]:
    """``(a,"b,)"),,(c)`` -> ``['a,"b,)"', None, 'c']`` (None marks an empty element)."""
    groups: list[str | None] = []
    depth = 0
    quoted = False
    cur: list[str] = []
    pending_empty = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if quoted:
            cur.append(ch)
            continue
        if ch == "(":
            depth += 1
            if depth == 1:
                cur = []
                pending_empty = False
                continue
        elif ch == ")" and depth > 0:
            depth -= 1
            if depth == 0:
                groups.append("".join(cur))
                continue
        elif ch == "," and depth == 0:
            if pending_empty:
                groups.append(None)
            pending_empty = True
            continue
        if depth > 0:
            cur.append(ch)
    return groups


def parse_cops_list(lines: tuple[str, ...] | list[str] | str) -> list[NetworkOperator]:
    """``AT+COPS=?`` (27.007 7.3): ``+COPS: (<stat>,"long","short","numeric"[,<AcT>]),...
    ,,(<modes>),(<formats>)``.

    stat 0 unknown, 1 available, 2 current, 3 forbidden; AcT as in :data:`ACT_TO_RAT`.
    Only bracketed groups holding quoted names are networks: the empty element and the
    supported ``<mode>``/``<format>`` lists after it end the list. Garbage tolerated:
    spaces around fields, names containing commas or brackets (inside quotes), a
    missing AcT (GSM-only modems), a numeric name with a space ("510 10"), answers
    split over several ``+COPS:`` lines, no networks at all (``+COPS: ,,(0-4),(0-2)``).
    """
    text_lines = [lines] if isinstance(lines, str) else list(lines)
    bodies = [x.strip()[len("+COPS:") :] for x in text_lines if x.upper().startswith("+COPS:")]
    if not bodies:
        raise ParseError(f"no +COPS: line in {text_lines!r}")
    out: list[NetworkOperator] = []
    # A list split over lines may end a line with its separating comma.
    joined = ",".join(b.strip()[:-1] if b.strip().endswith("),") else b for b in bodies)
    for group in _paren_groups(joined):
        if group is None:
            break
        if '"' not in group:
            continue
        f = split_fields(group)
        stat = to_int(field_at(f, 0))
        numeric = field_at(f, 3) or None
        pair = None if numeric is None else split_mcc_mnc(numeric)
        act = to_int(field_at(f, 4))
        out.append(
            NetworkOperator(
                status=COPS_STATUS.get(stat if stat is not None else 0, "unknown"),
                long_name=field_at(f, 1) or None,
                short_name=field_at(f, 2) or None,
                numeric=numeric,
                mcc=None if pair is None else pair[0],
                mnc=None if pair is None else pair[1],
                act=act,
                rat=None if act is None else ACT_TO_RAT.get(act),
            )
        )
    return out
