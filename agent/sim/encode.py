"""The simulated modem's encoders: pure functions from a RadioState to the AT answer
lines a real module prints (27.007 +CSQ/+CESQ/+CREG/+COPS, Quectel +QENG, SIMCom +CPSI,
Huawei ^HCSQ, Sierra !GSTATUS?, Fibocom +XCESQ, and the GNSS answers). Which one
answers which command, with which final result, is :mod:`agent.sim.responder`'s job.

The encoders invert the parsers' formulas (27.007 +CSQ/+CESQ, Quectel +QENG), so every
value the parsers can represent round-trips exactly: rsrp_dbm -95 -> CESQ 46 -> -95.0.
Values between two codes are rounded half up to the nearest code (rssi_dbm -64 ->
CSQ 25 -> -63.0); +QENG reports whole dB like a real EC25. The UTC time and date in
GNSS answers are fixed (2024-02-14 02:46:03).
"""

from __future__ import annotations

import math

from agent.modem.gnss import cgnssinfo_decimal
from agent.modem.parsers import quectel_sinr_scaled, simcom_tenths
from agent.sim.scenario import RadioState
from pantau.core.operators import operator_name

RAT_TO_ACT: dict[str, int] = {
    "gsm": 0,
    "umts": 2,
    "edge": 3,
    "hspa": 6,
    "lte": 7,
    "ltem": 8,
    "nbiot": 9,
    "nr5g-sa": 11,
    "nr5g-nsa": 13,
}
REG_TO_STAT: dict[str, int] = {
    "not-registered": 0,
    "home": 1,
    "searching": 2,
    "denied": 3,
    "unknown": 4,
    "roaming": 5,
    "sms-only": 6,
    "emergency": 8,
    "other": 9,
}
#: Which registration command reports service on which RAT.
_DOMAIN_RATS: dict[str, frozenset[str]] = {
    "CREG": frozenset({"gsm", "edge", "umts", "hspa"}),
    "CGREG": frozenset({"gsm", "edge", "umts", "hspa"}),
    "CEREG": frozenset({"lte", "ltem", "nbiot", "nr5g-nsa"}),
    "C5GREG": frozenset({"nr5g-sa"}),
}


def _code(value: float | None, scale: tuple[float, float, int, int, int]) -> int:
    """Invert ``dB = offset + step * code``; scale is (offset, step, lo, hi, unknown)."""
    offset, step, lo, hi, unknown = scale
    if value is None:
        return unknown
    return max(lo, min(hi, math.floor((value - offset) / step + 0.5)))


def encode_csq(state: RadioState) -> str:
    """``+CSQ: <rssi>,99``: rssi = (dBm + 113) / 2, 0..31; 99 when absent or no service."""
    rssi = None if state.rat == "none" else state.rssi_dbm
    return f"+CSQ: {_code(rssi, (-113, 2, 0, 31, 99))},99"


def _cesq_codes(state: RadioState) -> str:
    rat = state.rat
    gsm = rat in ("gsm", "edge")
    umts = rat in ("umts", "hspa")
    eutra = rat in ("lte", "ltem", "nbiot", "nr5g-nsa")
    rxlev = _code(state.rssi_dbm if gsm else None, (-111, 1, 0, 63, 99))
    rscp = _code(state.rscp_dbm if umts else None, (-121, 1, 0, 96, 255))
    ecno = _code(state.ecio_db if umts else None, (-24.5, 0.5, 0, 49, 255))
    rsrq = _code(state.rsrq_db if eutra else None, (-20, 0.5, 0, 34, 255))
    rsrp = _code(state.rsrp_dbm if eutra else None, (-141, 1, 0, 97, 255))
    return f"{rxlev},99,{rscp},{ecno},{rsrq},{rsrp}"


def encode_cesq(state: RadioState) -> str:
    """``+CESQ`` with only the serving RAT's fields (27.007 8.69 formulas inverted)."""
    return f"+CESQ: {_cesq_codes(state)}"


def encode_xcesq(state: RadioState) -> str:
    """``+XCESQ: 0,<the six +CESQ codes>,<rssnr>`` (Intel XMM): rssnr = SINR x 2 (half
    dB), 255 when unknown or off E-UTRA."""
    eutra = registered(state) and state.rat in ("lte", "ltem", "nbiot", "nr5g-nsa")
    rssnr = _code(state.sinr_db if eutra else None, (0, 0.5, -200, 200, 255))
    return f"+XCESQ: 0,{_cesq_codes(state)},{rssnr}"


def effective_stat(state: RadioState, domain: str) -> int:
    """The <stat> a registration command reports (no SIM, no service)."""
    if state.sim_state != "ready":
        return 0
    stat = REG_TO_STAT[state.reg_state]
    if stat in (1, 5) and state.rat not in _DOMAIN_RATS[domain]:
        return 0
    return stat


def encode_registration(state: RadioState, domain: str, n: int) -> str:
    """``+<domain>: <n>,<stat>[,"<lac>","<ci>",<AcT>]`` (location when n >= 2)."""
    stat = effective_stat(state, domain)
    head = f"+{domain}: {n},{stat}"
    if n < 2 or stat not in (1, 5):
        return head
    loc = state.lac if domain in ("CREG", "CGREG") else state.tac
    loc_text = "" if loc is None else f'"{loc:04X}"'
    ci_text = "" if state.cell_id is None else f'"{state.cell_id:08X}"'
    return f"{head},{loc_text},{ci_text},{RAT_TO_ACT[state.rat]}"


def encode_urc(state: RadioState) -> str:
    """A +CEREG URC in the short form (``+CEREG: <stat>``)."""
    return f"+CEREG: {effective_stat(state, 'CEREG')}"


def registered(state: RadioState) -> bool:
    return state.sim_state == "ready" and state.reg_state in ("home", "roaming")


def encode_cops(state: RadioState, fmt: int) -> str:
    """``+COPS: 0,<fmt>,"<oper>",<AcT>`` when registered, else ``+COPS: 0``."""
    if not registered(state) or state.rat == "none":
        return "+COPS: 0"
    if fmt == 2:
        oper = state.mcc + state.mnc
    else:
        oper = operator_name(state.mcc, state.mnc) or state.mcc + state.mnc
    return f'+COPS: 0,{fmt},"{oper}",{RAT_TO_ACT[state.rat]}'


def _int_text(value: float | None) -> str:
    return "-" if value is None else str(math.floor(value + 0.5))


def _hex(value: int | None) -> str:
    return "-" if value is None else f"{value:X}"


def encode_qeng(state: RadioState, model: str) -> list[str]:
    """``+QENG: "servingcell",...`` lines (EC2x layouts; see agent.modem.quectel)."""
    if not registered(state) or state.rat == "none":
        return ['+QENG: "servingcell","SEARCH"']
    mcc, mnc = state.mcc, state.mnc
    if state.rat in ("lte", "ltem", "nbiot", "nr5g-nsa"):
        sinr = state.sinr_db
        if sinr is not None and quectel_sinr_scaled(model):
            sinr_text = str(math.floor((sinr + 20) * 5 + 0.5))
        else:
            sinr_text = _int_text(sinr)
        lte = (
            f'"LTE","FDD",{mcc},{mnc},{_hex(state.cell_id)},{_int_text(state.pci)},'
            f"{_int_text(state.earfcn)},{_int_text(state.band)},5,5,{_hex(state.tac)},"
            f"{_int_text(state.rsrp_dbm)},{_int_text(state.rsrq_db)},"
            f"{_int_text(state.rssi_dbm)},{sinr_text},10,-,30"
        )
        if state.rat != "nr5g-nsa":
            return [f'+QENG: "servingcell","NOCONN",{lte}']
        nr = (
            f"{_int_text(state.nr_pci)},{_int_text(state.nr_rsrp_dbm)},"
            f"{_int_text(state.nr_sinr_db)},{_int_text(state.nr_rsrq_db)},"
            f"{_int_text(state.nr_arfcn)},{_int_text(state.nr_band)}"
        )
        return [
            '+QENG: "servingcell","NOCONN"',
            f"+QENG: {lte}",
            f'+QENG: "NR5G-NSA",{mcc},{mnc},{nr}',
        ]
    if state.rat == "nr5g-sa":
        return [
            f'+QENG: "servingcell","NOCONN","NR5G-SA","TDD",{mcc},{mnc},'
            f"{_hex(state.cell_id)},{_int_text(state.pci)},{_hex(state.tac)},"
            f"{_int_text(state.earfcn)},{_int_text(state.band)},1,{_int_text(state.rsrp_dbm)},"
            f"{_int_text(state.rsrq_db)},{_int_text(state.sinr_db)},1,30"
        ]
    if state.rat in ("umts", "hspa"):
        return [
            f'+QENG: "servingcell","NOCONN","WCDMA",{mcc},{mnc},{_hex(state.lac)},'
            f"{_hex(state.cell_id)},-,-,-,{_int_text(state.rscp_dbm)},"
            f"{_int_text(state.ecio_db)},-,-,-,-,-"
        ]
    return [
        f'+QENG: "servingcell","NOCONN","GSM",{mcc},{mnc},{_hex(state.lac)},'
        f"{_hex(state.cell_id)},-,-,-,{_int_text(state.rssi_dbm)},-,-"
    ]


def encode_cpsi(state: RadioState, model: str) -> list[str]:
    """``+CPSI:`` (SIMCom): LTE with levels in tenths on SIM7600-class models (5G NSA:
    then a ``NR5G_NSA,PCI,NR5G_BANDn,ARFCN,RSRP,RSRQ,SNR`` line, SIM8200 style, its
    levels and SNR in tenths likewise), GSM / WCDMA ids, else ``NO SERVICE,Online``."""
    if not registered(state) or state.rat == "none":
        return ["+CPSI: NO SERVICE,Online"]
    plmn = f"{state.mcc}-{state.mnc}"
    tenths = simcom_tenths(model)

    def level(value: float | None) -> str:
        if value is None:
            return "-"
        return str(math.floor(value * 10 + 0.5)) if tenths else _int_text(value)

    if state.rat in ("lte", "nr5g-nsa"):
        lte = (
            f"+CPSI: LTE,Online,{plmn},0x{state.tac or 0:04X},{state.cell_id or 0},"
            f"{_int_text(state.pci)},EUTRAN-BAND{_int_text(state.band)},"
            f"{_int_text(state.earfcn)},5,5,{level(state.rsrq_db)},{level(state.rsrp_dbm)},"
            f"{level(state.rssi_dbm)},{_int_text(state.sinr_db)}"
        )
        if state.rat == "lte":
            return [lte]
        nr = (
            f"+CPSI: NR5G_NSA,{_int_text(state.nr_pci)},NR5G_BAND{_int_text(state.nr_band)},"
            f"{_int_text(state.nr_arfcn)},{level(state.nr_rsrp_dbm)},"
            f"{level(state.nr_rsrq_db)},{level(state.nr_sinr_db)}"
        )
        return [lte, nr]
    if state.rat in ("umts", "hspa"):
        return [f"+CPSI: WCDMA,Online,{plmn},0x{state.lac or 0:04X},{state.cell_id or 0},-,-,-"]
    return [
        f"+CPSI: GSM,Online,{plmn},0x{state.lac or 0:04X},{state.cell_id or 0},"
        f"62 EGSM 900,{_int_text(state.rssi_dbm)},0,30-30"
    ]


def encode_hcsq(state: RadioState) -> str:
    """``^HCSQ:`` (Huawei) for the serving RAT, codes as in agent.modem.vendors."""
    if not registered(state) or state.rat == "none":
        return '^HCSQ: "NOSERVICE"'
    rssi = _code(state.rssi_dbm, (-121, 1, 0, 96, 255))
    if state.rat in ("lte", "nr5g-nsa"):
        rsrp = _code(state.rsrp_dbm, (-141, 1, 0, 97, 255))
        sinr = _code(state.sinr_db, (-20.2, 0.2, 0, 251, 255))
        rsrq = _code(state.rsrq_db, (-20, 0.5, 0, 34, 255))
        return f'^HCSQ: "LTE",{rssi},{rsrp},{sinr},{rsrq}'
    if state.rat in ("umts", "hspa"):
        rscp = _code(state.rscp_dbm, (-121, 1, 0, 96, 255))
        ecio = _code(state.ecio_db, (-32.5, 0.5, 0, 65, 255))
        return f'^HCSQ: "WCDMA",{rssi},{rscp},{ecio}'
    return f'^HCSQ: "GSM",{rssi}'


def _columns(pairs: list[tuple[str, str]]) -> list[str]:
    """``!GSTATUS`` text: two ``Label: value`` pairs a line, padded as the EM7455 does."""
    cells = [f"{label}:  {value}" for label, value in pairs]
    return [
        (cells[i].ljust(max(28, len(cells[i]) + 2)) + "".join(cells[i + 1 : i + 2])).rstrip()
        for i in range(0, len(cells), 2)
    ]


def _hex_dec(value: int | None, width: int) -> str:
    return "---" if value is None else f"{value:0{width}X} ({value})"


def _gs_int(value: float | None) -> str:
    return "---" if value is None else _int_text(value)


def _gs_tenth(value: float | None) -> str:
    return "---" if value is None else f"{value:.1f}"


def encode_gstatus(state: RadioState) -> list[str]:
    """``!GSTATUS:`` (Sierra EM7455): labelled two-column text; see agent.modem.sierra."""
    head = [("Current Time", "22016"), ("Temperature", "40"), ("Reset Counter", "1")]
    if not registered(state) or state.rat == "none":
        pairs = [*head, ("Mode", "ONLINE"), ("System mode", "No service")]
        return ["!GSTATUS:", *_columns([*pairs, ("PS state", "Not attached")])]
    head.append(("Mode", "ONLINE"))
    if state.rat in ("lte", "ltem", "nbiot", "nr5g-nsa"):
        pairs = [
            *head,
            ("System mode", "LTE"),
            ("PS state", "Attached"),
            ("LTE band", "---" if state.band is None else f"B{state.band}"),
            ("LTE bw", "20 MHz"),
            ("LTE Rx chan", _gs_int(state.earfcn)),
            ("LTE Tx chan", "19850"),
            ("EMM state", "Registered"),
            ("RRC state", "RRC Idle"),
            ("PCC RxM RSSI", _gs_int(state.rssi_dbm)),
            ("RSRP (dBm)", _gs_int(state.rsrp_dbm)),
            ("Tx Power", "0"),
            ("TAC", _hex_dec(state.tac, 4)),
            ("RSRQ (dB)", _gs_tenth(state.rsrq_db)),
            ("Cell ID", _hex_dec(state.cell_id, 8)),
            ("SINR (dB)", _gs_tenth(state.sinr_db)),
        ]
        return ["!GSTATUS:", *_columns(pairs)]
    if state.rat in ("umts", "hspa"):
        pairs = [
            *head,
            ("System mode", "WCDMA"),
            ("PS state", "Attached"),
            ("WCDMA band", "WCDMA 2100"),
            ("WCDMA channel", "10700"),
            ("GMM (PS) state", "REGISTERED"),
            ("MM (CS) state", "IDLE"),
            ("RxM RSSI C0", _gs_int(state.rssi_dbm)),
            ("LAC", _hex_dec(state.lac, 4)),
            ("Cell ID", _hex_dec(state.cell_id, 8)),
        ]
        return ["!GSTATUS:", *_columns(pairs)]
    pairs = [*head, ("System mode", "GSM"), ("PS state", "Attached")]
    return ["!GSTATUS:", *_columns([*pairs, ("Cell ID", _hex_dec(state.cell_id, 4))])]


# -- GNSS ---------------------------------------------------------------------------------

#: Fixed UTC time / date of simulated fixes (hhmmss.s, ddmmyy).
GNSS_UTC = ("024603.0", "140224")


def nmea_coordinate(value: float, degree_digits: int, decimals: int) -> tuple[str, bool]:
    """|value| as NMEA ``d..dmm.mmmm`` (minutes rounded to ``decimals``) and whether it is
    negative (S / W). Rounding carries into the degrees (59.9999996' -> next degree)."""
    scale = 10**decimals
    total = round(abs(value) * 60 * scale)  # whole units of 10^-decimals minutes
    degrees, rest = divmod(total, 60 * scale)
    minutes, fraction = divmod(rest, scale)
    text = f"{degrees:0{degree_digits}d}{minutes:02d}.{fraction:0{decimals}d}"
    return text, value < 0


def _nmea_pair(lat: float, lon: float, decimals: int) -> tuple[str, str, str, str]:
    lat_text, south = nmea_coordinate(lat, 2, decimals)
    lon_text, west = nmea_coordinate(lon, 3, decimals)
    return lat_text, "S" if south else "N", lon_text, "W" if west else "E"


def encode_qgpsloc(lat: float, lon: float, mode: int = 2) -> str:
    """``+QGPSLOC: <UTC>,<lat>,<lon>,<hdop>,<alt>,<fix>,<cog>,<spkm>,<spkn>,<date>,<nsat>``
    (Quectel): mode 2 ``-6.20880,106.84560``, mode 1 ``0612.528000,S,10650.736000,E``,
    mode 0 ``0612.5280S,10650.7360E``."""
    utc, date = GNSS_UTC
    if mode == 2:
        where = f"{lat:.5f},{lon:.5f}"
    elif mode == 1:
        where = ",".join(_nmea_pair(lat, lon, 6))
    else:
        la, ns, lo, ew = _nmea_pair(lat, lon, 4)
        where = f"{la}{ns},{lo}{ew}"
    return f"+QGPSLOC: {utc},{where},0.9,32.1,3,0.00,0.0,0.0,{date},09"


def encode_cgpsinfo(lat: float | None, lon: float | None) -> str:
    """``+CGPSINFO: <lat>,<N/S>,<lon>,<E/W>,<date>,<UTC>,<alt>,<speed>,<course>`` (SIMCom,
    NMEA ddmm.mmmmmm); all fields empty without a fix."""
    if lat is None or lon is None:
        return "+CGPSINFO: ,,,,,,,,"
    utc, date = GNSS_UTC
    return f"+CGPSINFO: {','.join(_nmea_pair(lat, lon, 6))},{date},{utc},32.1,0.0,0.0"


def encode_cgnssinfo(lat: float | None, lon: float | None, model: str) -> str:
    """``+CGNSSINFO: <mode>,<GPS>,<GLONASS>,<BEIDOU>,<lat>,<N/S>,<lon>,<E/W>,<date>,<UTC>,
    <alt>,<speed>,<course>,<PDOP>,<HDOP>,<VDOP>`` (SIM7600, NMEA); A76xx models print
    decimal degrees (and a GALILEO count). All fields empty without a fix."""
    if lat is None or lon is None:
        return "+CGNSSINFO: ,,,,,,,,,,,,,,,"
    utc, date = GNSS_UTC
    if cgnssinfo_decimal(model):
        ns, ew = "S" if lat < 0 else "N", "W" if lon < 0 else "E"
        where = f"{abs(lat):.7f},{ns},{abs(lon):.7f},{ew}"
        return f"+CGNSSINFO: 3,06,03,00,00,{where},{date},{utc}0,32.1,0.000,0.00,1.3,0.9,0.9"
    where = ",".join(_nmea_pair(lat, lon, 6))
    return f"+CGNSSINFO: 2,06,03,00,{where},{date},{utc},32.1,0.0,0.0,1.3,0.9,0.9"
