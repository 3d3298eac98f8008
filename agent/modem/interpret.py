"""Engine events -> flat values keyed like ``pantau.v1.SignalReading`` (pure functions).

One table maps each AT command to the parser that reads its answer and to the keys it
fills; :mod:`agent.modem.decode` uses it for captured sessions and the corpus tests use
it for every dialect. Keys are the contract's field names (``rsrp_dbm``, ``rsrq_db``,
``sinr_db``, ``rssi_dbm``, ``rscp_dbm``, ``ecio_db``, ``mcc``, ``mnc``, ``reg_state``,
``lac``/``tac``, ``cell_id``, ``pci``, ``earfcn``, ``band``, ``rat``, ``lat_deg``,
``lon_deg``, ..., and the lists ``neighbours`` and ``carriers``, one dict per cell keyed
like ``pantau.v1.NeighbourCell`` / ``CarrierComponent``) plus the identity fields
(``manufacturer``, ``model``, ``firmware``, ``imei``, ``imsi``, ``iccid``) and a few
without a contract field (``fix``,
``altitude_m``, ``operators``). A value the answer does not give is left out, never
``None`` and never a made-up number; nor is a value outside its field's valid range
(:mod:`agent.modem.ranges`: left out and logged).

Unit settings that differ by model (Quectel LTE SINR encoding, SIMCom tenths, SIMCom
+CGNSSINFO coordinates) come from ``model`` (the +CGMM / ATI model string) through the
per-model tables in :mod:`agent.modem.quectel`, :mod:`agent.modem.vendors` and
:mod:`agent.modem.gnss`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, fields

from agent.modem import cells, fibocom, gnss, identity, parsers, quectel, ranges, sierra, vendors
from agent.modem.engine import Response
from pantau.core.operators import operator_name

__all__ = [
    "COMMANDS",
    "SIGNAL_KEYS",
    "command_key",
    "interpret_response",
    "interpret_urc",
    "urc_prefix",
]

Values = dict[str, object]
Lines = tuple[str, ...]

#: Keys a serving-cell result contributes (ServingCell fields that are SignalReading
#: fields; the RRC "state" is not one).
SIGNAL_KEYS: tuple[str, ...] = tuple(
    f.name for f in fields(quectel.ServingCell) if f.name != "state"
)


def _drop_none(values: dict[str, object]) -> Values:
    return {k: v for k, v in values.items() if v is not None}


def _cell(cell: quectel.ServingCell) -> Values:
    return _drop_none({k: getattr(cell, k) for k in SIGNAL_KEYS})


def _fix(fix: gnss.GnssFix) -> Values:
    return _drop_none(asdict(fix))


def _csq(lines: Lines, model: str | None) -> Values:
    c = parsers.parse_csq(lines)
    return _drop_none({"csq": c.csq, "rssi_dbm": c.rssi_dbm, "ber_percent": c.ber_percent})


def _cesq_values(c: parsers.Cesq | fibocom.Xcesq) -> Values:
    return _drop_none(
        {
            "rssi_dbm": c.rxlev_dbm,
            "ber_percent": c.ber_percent,
            "rscp_dbm": c.rscp_dbm,
            "ecio_db": c.ecno_db,
            "rsrq_db": c.rsrq_db,
            "rsrp_dbm": c.rsrp_dbm,
        }
    )


def _registration_values(reg: parsers.Registration, eps: bool) -> Values:
    return _drop_none(
        {
            "reg_state": reg.reg_state,
            "tac" if eps else "lac": reg.lac,
            "cell_id": reg.cell_id,
            "rat": reg.rat,
        }
    )


def _registration(prefix: str) -> Callable[[Lines, str | None], Values]:
    eps = prefix in ("+CEREG:", "+C5GREG:")

    def parse(lines: Lines, model: str | None) -> Values:
        return _registration_values(parsers.parse_registration_answer(lines, prefix), eps)

    return parse


def _cops(lines: Lines, model: str | None) -> Values:
    op = parsers.parse_cops(lines)
    name = operator_name(op.mcc, op.mnc) if op.mcc is not None else op.name
    return _drop_none({"mcc": op.mcc, "mnc": op.mnc, "operator_name": name, "rat": op.rat})


def _cops_list(lines: Lines, model: str | None) -> Values:
    return {"operators": [_drop_none(asdict(n)) for n in parsers.parse_cops_list(lines)]}


def _ati(lines: Lines, model: str | None) -> Values:
    return _drop_none(asdict(identity.parse_ati(lines)))


def _text(key: str, parse: Callable[[Lines], str | None]) -> Callable[[Lines, str | None], Values]:
    def run(lines: Lines, model: str | None) -> Values:
        return _drop_none({key: parse(lines)})

    return run


def _cgnssinfo(lines: Lines, model: str | None) -> Values:
    if gnss.cgnssinfo_decimal(model):
        fmt = "decimal"
    elif model and "SIM" in model.upper():
        fmt = "ddmm"
    else:
        fmt = "auto"
    return _fix(gnss.parse_cgnssinfo(lines, coord_format=fmt))


def _neighbours(found: tuple[object, ...]) -> Values:
    return {"neighbours": [_drop_none(asdict(n)) for n in found]}  # type: ignore[call-overload]


def _carriers(lines: Lines, model: str | None) -> Values:
    return {"carriers": [_drop_none(asdict(c)) for c in cells.parse_qcainfo(lines)]}


Parser = Callable[[Lines, str | None], Values]

#: Normalised command (upper case, no spaces) -> parser of its answer lines.
COMMANDS: dict[str, Parser] = {
    "AT+CSQ": _csq,
    "AT+CESQ": lambda lines, model: _cesq_values(parsers.parse_cesq(lines)),
    "AT+CREG?": _registration("+CREG:"),
    "AT+CGREG?": _registration("+CGREG:"),
    "AT+CEREG?": _registration("+CEREG:"),
    "AT+C5GREG?": _registration("+C5GREG:"),
    "AT+COPS?": _cops,
    "AT+COPS=?": _cops_list,
    "AT+CPIN?": lambda lines, model: {"sim_state": parsers.parse_cpin(lines)},
    'AT+QENG="SERVINGCELL"': lambda lines, model: _cell(
        quectel.parse_qeng_servingcell(lines, sinr_scaled=quectel.quectel_sinr_scaled(model))
    ),
    "AT+QNWINFO": lambda lines, model: _cell(quectel.parse_qnwinfo(lines)),
    'AT+QENG="NEIGHBOURCELL"': lambda lines, model: _neighbours(
        cells.parse_qeng_neighbourcell(lines)
    ),
    "AT+QCAINFO": _carriers,
    "AT+CENG?": lambda lines, model: _neighbours(cells.parse_ceng(lines)),
    "AT!LTEINFO?": lambda lines, model: _neighbours(cells.parse_lteinfo(lines)),
    "AT+CPSI?": lambda lines, model: _cell(
        vendors.parse_cpsi(lines, tenths=vendors.simcom_tenths(model))
    ),
    "AT^HCSQ?": lambda lines, model: _cell(vendors.parse_hcsq(lines)),
    "AT!GSTATUS?": lambda lines, model: _cell(sierra.parse_gstatus(lines)),
    "AT+XCESQ?": lambda lines, model: _drop_none(
        {**_cesq_values(x := fibocom.parse_xcesq(lines)), "sinr_db": x.sinr_db}
    ),
    "AT+CGPSINFO": lambda lines, model: _fix(gnss.parse_cgpsinfo(lines)),
    "AT+CGNSSINFO": _cgnssinfo,
    "ATI": _ati,
    "ATI0": _ati,
    "AT+CGMI": _text("manufacturer", identity.identity_text),
    "AT+GMI": _text("manufacturer", identity.identity_text),
    "AT+CGMM": _text("model", identity.identity_text),
    "AT+GMM": _text("model", identity.identity_text),
    "AT+CGMR": _text("firmware", identity.identity_text),
    "AT+GMR": _text("firmware", identity.identity_text),
    "AT+CGSN": _text("imei", identity.parse_imei),
    "AT+GSN": _text("imei", identity.parse_imei),
    "AT+CIMI": _text("imsi", identity.parse_imsi),
    "AT+CCID": _text("iccid", identity.parse_iccid),
    "AT+ICCID": _text("iccid", identity.parse_iccid),
    "AT+QCCID": _text("iccid", identity.parse_iccid),
}
#: Commands whose arguments do not change the answer's shape (matched by base name).
_BY_BASE: dict[str, Parser] = {
    "AT+QGPSLOC": lambda lines, model: _fix(gnss.parse_qgpsloc(lines)),
    "AT+CGPSINFO": COMMANDS["AT+CGPSINFO"],
    "AT+CGNSSINFO": _cgnssinfo,
    "AT+XCESQ": COMMANDS["AT+XCESQ?"],
    "AT^HCSQ": COMMANDS["AT^HCSQ?"],
    "AT+CPSI": COMMANDS["AT+CPSI?"],
    "AT+QNWINFO": COMMANDS["AT+QNWINFO"],
}


def command_key(command: str) -> str:
    """``at+qeng = "servingcell"`` -> ``AT+QENG="SERVINGCELL"``."""
    return re.sub(r"\s+", "", command).upper()


def _parser_for(command: str) -> Parser | None:
    key = command_key(command)
    found = COMMANDS.get(key)
    if found is None and "=?" not in key:
        found = _BY_BASE.get(re.split(r"[=?]", key, maxsplit=1)[0])
    return found


def interpret_response(response: Response, *, model: str | None = None) -> Values | None:
    """Values from a completed command, or None when no parser knows the command.

    A failure final result gives the values it implies: ``+CPIN?`` refused with a SIM
    error -> ``sim_state``; ``+QGPSLOC`` refused with ``+CME ERROR: 516`` -> ``fix``
    False; any other failure -> ``{}``. Raises :class:`~agent.modem.fields.ParseError`
    when a known answer is malformed.
    """
    parse = _parser_for(response.command)
    key = command_key(response.command)
    final = response.final
    if not final.ok:
        if key == "AT+CPIN?":
            return {"sim_state": parsers.sim_state_from_error(final.code, final.text)}
        if key.startswith("AT+QGPSLOC"):
            no_fix = gnss.gnss_from_error(final.code)
            return {} if no_fix is None else _fix(no_fix)
        return None if parse is None else {}
    if parse is None:
        return None
    return ranges.drop_invalid_values(parse(response.lines, model), source=response.command)


def _rssi_urc(line: str) -> Values:
    """Huawei ``^RSSI: <n>``: the +CSQ <rssi> scale (0..31 -> -113+2n dBm, 99 unknown)."""
    n = parsers.to_int(line.split(":", 1)[1], unknown=(99,))
    csq = n if n is not None and 0 <= n <= 31 else None
    return _drop_none({"csq": csq, "rssi_dbm": parsers.csq_to_dbm(n)})


#: URC prefix -> parser of the URC line.
def _urc_registration(eps: bool) -> Callable[[str], Values]:
    def parse(line: str) -> Values:
        return _registration_values(parsers.parse_registration(line, form="urc"), eps)

    return parse


_URCS: dict[str, Callable[[str], Values]] = {
    "+CREG:": _urc_registration(False),
    "+CGREG:": _urc_registration(False),
    "+CEREG:": _urc_registration(True),
    "+C5GREG:": _urc_registration(True),
    "^HCSQ:": lambda line: _cell(vendors.parse_hcsq(line)),
    "^RSSI:": _rssi_urc,
    "+CSQ:": lambda line: _csq((line,), None),
    "+CPIN:": lambda line: {"sim_state": parsers.parse_cpin(line)},
    "+CGPSINFO:": lambda line: _fix(gnss.parse_cgpsinfo(line)),
    "+CGNSSINFO:": lambda line: _cgnssinfo((line,), None),
}


def urc_prefix(line: str) -> str | None:
    """``+CEREG: 1,...`` -> ``+CEREG``; None for a word URC such as RING."""
    m = re.match(r"^([+^$!*#%][A-Za-z0-9_]+):", line.strip())
    return None if m is None else m.group(1).upper()


def interpret_urc(line: str) -> Values | None:
    """Values from an unsolicited line, or None when no parser knows it.

    Registration URCs are read in their URC form (``<stat>[,<lac>,<ci>[,<AcT>]]``);
    Huawei ``^RSSI: n`` uses the +CSQ scale. Raises ParseError when malformed.
    """
    prefix = urc_prefix(line)
    parse = None if prefix is None else _URCS.get(prefix + ":")
    if parse is None:
        return None
    return ranges.drop_invalid_values(parse(line.strip()), source=f"{prefix} URC")
