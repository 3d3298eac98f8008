"""What the simulated modem answers: pure functions from a RadioState to AT lines.

Dialects: "3gpp" (27.007 only), "quectel" (EC25: +QENG, +QCCID), "simcom" (SIM7600:
+CPSI), "huawei" (ME909s: ^HCSQ; the pty adds Huawei's \\r\\r\\n line ends), "sierra"
(EM7455: !GSTATUS?) and "fibocom" (L850-GL, Intel XMM: +XCESQ?).

GNSS (quectel, simcom): the receiver is off after power-up, like a real module, until
``AT+QGPS=1`` / ``AT+CGPS=1`` (``AT+CGNSSPWR=1`` on A76xx). Quectel ``AT+QGPSLOC[=mode]``
answers the position (mode 2 signed decimal degrees, 0/1 NMEA ddmm.mmmm) or
``+CME ERROR: 505`` (session not active) / ``516`` (not fixed now); SIMCom
``AT+CGPSINFO`` (NMEA ddmm.mmmmmm with N/S, E/W) and ``AT+CGNSSINFO`` (NMEA, or decimal
degrees on A76xx models) answer all-empty fields without a fix. The UTC time and date in
GNSS answers are fixed (2024-02-14 02:46:03).

The encoders invert the parsers' formulas (27.007 +CSQ/+CESQ, Quectel +QENG), so every
value the parsers can represent round-trips exactly: rsrp_dbm -95 -> CESQ 46 -> -95.0.
Values between two codes are rounded half up to the nearest code (rssi_dbm -64 ->
CSQ 25 -> -63.0); +QENG reports whole dB like a real EC25.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from agent.modem.gnss import cgnssinfo_decimal
from agent.modem.parsers import quectel_sinr_scaled, simcom_tenths
from agent.sim.scenario import RadioState, ScenarioIdentity
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
_CME_TEXT = {
    10: "SIM not inserted",
    11: "SIM PIN required",
    12: "SIM PUK required",
    504: "Session is ongoing",
    505: "Session not active",
    516: "Not fixed now",
}
_SIM_CME = {"absent": 10, "pin": 11, "puk": 12}
DIALECT_IDENTITY: dict[str, tuple[str, str, str]] = {
    "3gpp": ("Pantau", "SIM-3GPP", "pantau-sim 1.0"),
    "quectel": ("Quectel", "EC25", "EC25EFAR06A06M4G"),
    "simcom": ("SIMCOM INCORPORATED", "SIMCOM_SIM7600E-H", "SIM7600M22_V2.0"),
    "huawei": ("huawei", "ME909s-120", "11.617.01.00.00"),
    "sierra": ("Sierra Wireless, Incorporated", "EM7455", "SWI9X30C_02.24.05.06"),
    "fibocom": ("FIBOCOM", "L850-GL", "18500.5001.00.05.27.12"),
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
        return [
            '+QENG: "servingcell","NOCONN"',
            f"+QENG: {lte}",
            f'+QENG: "NR5G-NSA",{mcc},{mnc},-,-,-,-,-,-',
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


def encode_cpsi(state: RadioState, model: str) -> str:
    """``+CPSI:`` (SIMCom): LTE with levels in tenths on SIM7600-class models, GSM /
    WCDMA ids, else ``NO SERVICE,Online``."""
    if not registered(state) or state.rat == "none":
        return "+CPSI: NO SERVICE,Online"
    plmn = f"{state.mcc}-{state.mnc}"
    tenths = simcom_tenths(model)

    def level(value: float | None) -> str:
        if value is None:
            return "-"
        return str(math.floor(value * 10 + 0.5)) if tenths else _int_text(value)

    if state.rat in ("lte", "nr5g-nsa"):
        return (
            f"+CPSI: LTE,Online,{plmn},0x{state.tac or 0:04X},{state.cell_id or 0},"
            f"{_int_text(state.pci)},EUTRAN-BAND{_int_text(state.band)},"
            f"{_int_text(state.earfcn)},5,5,{level(state.rsrq_db)},{level(state.rsrp_dbm)},"
            f"{level(state.rssi_dbm)},{_int_text(state.sinr_db)}"
        )
    if state.rat in ("umts", "hspa"):
        return f"+CPSI: WCDMA,Online,{plmn},0x{state.lac or 0:04X},{state.cell_id or 0},-,-,-"
    return (
        f"+CPSI: GSM,Online,{plmn},0x{state.lac or 0:04X},{state.cell_id or 0},"
        f"62 EGSM 900,{_int_text(state.rssi_dbm)},0,30-30"
    )


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


def has_fix(state: RadioState, settings: SessionSettings) -> bool:
    """The receiver is on, the scenario has a position and the fix is not lost."""
    return (
        settings.gnss_on
        and state.gnss_fix
        and state.lat_deg is not None
        and state.lon_deg is not None
    )


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


@dataclass
class Reply:
    """Lines of an answer and its final result line."""

    lines: list[str]
    final: str = "OK"


@dataclass
class SessionSettings:
    """Per-port settings a real modem keeps until reset."""

    echo: bool = True
    cmee: int = 0
    cops_format: int = 0
    reg_n: dict[str, int] | None = None
    gnss_on: bool = False  # the GNSS receiver (off at power-up)

    def n(self, domain: str) -> int:
        return (self.reg_n or {}).get(domain, 0)


def _error(settings: SessionSettings, code: int) -> Reply:
    if settings.cmee == 1:
        return Reply([], f"+CME ERROR: {code}")
    if settings.cmee == 2:
        return Reply([], f"+CME ERROR: {_CME_TEXT.get(code, 'unknown')}")
    return Reply([], "ERROR")


def answer(
    command: str,
    state: RadioState,
    identity: ScenarioIdentity,
    dialect: str,
    settings: SessionSettings,
) -> Reply:
    """Answer one command line (without its ``\\r``) like a modem of ``dialect``."""
    cmd = command.strip().upper()
    maker, model, firmware = DIALECT_IDENTITY[dialect]
    maker = identity.manufacturer or maker
    model = identity.model or model
    firmware = identity.firmware or firmware
    sim_error = _SIM_CME.get(state.sim_state)
    if cmd == "AT":
        return Reply([])
    if cmd in ("ATE0", "ATE1"):
        settings.echo = cmd == "ATE1"
        return Reply([])
    if cmd.startswith("AT+CMEE=") and cmd[8:] in ("0", "1", "2"):
        settings.cmee = int(cmd[8:])
        return Reply([])
    if cmd.startswith("AT+COPS=3,") and cmd[10:] in ("0", "1", "2"):
        settings.cops_format = int(cmd[10:])
        return Reply([])
    for domain in ("CREG", "CGREG", "CEREG", "C5GREG"):
        if cmd.startswith(f"AT+{domain}=") and cmd[len(domain) + 4 :] in ("0", "1", "2"):
            settings.reg_n = {**(settings.reg_n or {}), domain: int(cmd[len(domain) + 4 :])}
            return Reply([])
        if cmd == f"AT+{domain}?":
            if domain == "C5GREG" and dialect != "quectel":
                return Reply([], "ERROR")
            return Reply([encode_registration(state, domain, settings.n(domain))])
    simple: dict[str, list[str]] = {
        "AT+CSQ": [encode_csq(state)],
        "AT+CESQ": [encode_cesq(state)],
        "AT+COPS?": [encode_cops(state, settings.cops_format)],
        "AT+CGMI": [maker],
        "AT+CGMM": [model],
        "AT+CGMR": [firmware],
        "AT+CGSN": [identity.imei],
        "ATI": [maker, model, f"Revision: {firmware}"],
    }
    if cmd in simple:
        return Reply(simple[cmd])
    if cmd == "AT+CPIN?":
        if state.sim_state == "absent":
            return _error(settings, 10)
        words = {"ready": "READY", "pin": "SIM PIN", "puk": "SIM PUK"}
        return Reply([f"+CPIN: {words[state.sim_state]}"])
    if cmd in ("AT+CIMI", "AT+CCID") or (cmd == "AT+QCCID" and dialect == "quectel"):
        if sim_error is not None:
            return _error(settings, sim_error if cmd == "AT+CIMI" else 10)
        if cmd == "AT+CIMI":
            return Reply([identity.imsi])
        return Reply([f"{cmd[2:]}: {identity.iccid}"])
    if cmd == 'AT+QENG="SERVINGCELL"' and dialect == "quectel":
        return Reply(encode_qeng(state, model))
    if cmd == "AT+CPSI?" and dialect == "simcom":
        return Reply([encode_cpsi(state, model)])
    if cmd == "AT^HCSQ?" and dialect == "huawei":
        return Reply([encode_hcsq(state)])
    if cmd == "AT!GSTATUS?" and dialect == "sierra":
        return Reply(encode_gstatus(state))
    if cmd == "AT+XCESQ?" and dialect == "fibocom":
        return Reply([encode_xcesq(state)])
    if dialect == "quectel" and cmd.startswith("AT+QGPS"):
        return _quectel_gnss(cmd, state, settings)
    if dialect == "simcom" and cmd.startswith(("AT+CGPS", "AT+CGNSS")):
        return _simcom_gnss(cmd, state, settings, model)
    return Reply([], "ERROR")


def _quectel_gnss(cmd: str, state: RadioState, settings: SessionSettings) -> Reply:
    if cmd == "AT+QGPS?":
        return Reply([f"+QGPS: {int(settings.gnss_on)}"])
    if cmd == "AT+QGPS=1" or cmd.startswith("AT+QGPS=1,"):
        if settings.gnss_on:
            return _error(settings, 504)
        settings.gnss_on = True
        return Reply([])
    if cmd == "AT+QGPSEND":
        if not settings.gnss_on:
            return _error(settings, 505)
        settings.gnss_on = False
        return Reply([])
    if cmd in ("AT+QGPSLOC", "AT+QGPSLOC=0", "AT+QGPSLOC=1", "AT+QGPSLOC=2"):
        if not settings.gnss_on:
            return _error(settings, 505)
        if not has_fix(state, settings):
            return _error(settings, 516)
        assert state.lat_deg is not None and state.lon_deg is not None
        mode = int(cmd[-1]) if cmd.endswith(("=0", "=1", "=2")) else 0
        return Reply([encode_qgpsloc(state.lat_deg, state.lon_deg, mode)])
    return Reply([], "ERROR")


def _simcom_gnss(cmd: str, state: RadioState, settings: SessionSettings, model: str) -> Reply:
    on = settings.gnss_on
    if cmd == "AT+CGPS?":
        return Reply([f"+CGPS: {int(on)},1"])
    if cmd == "AT+CGNSSPWR?":
        return Reply([f"+CGNSSPWR: {int(on)}"])
    if cmd in ("AT+CGPS=1", "AT+CGPS=1,1", "AT+CGNSSPWR=1"):
        if on and cmd.startswith("AT+CGPS="):
            return Reply([], "ERROR")  # SIM7600: already on
        settings.gnss_on = True
        return Reply([])
    if cmd in ("AT+CGPS=0", "AT+CGNSSPWR=0"):
        settings.gnss_on = False
        return Reply([])
    fix = has_fix(state, settings)
    lat = state.lat_deg if fix else None
    lon = state.lon_deg if fix else None
    if cmd == "AT+CGPSINFO":
        return Reply([encode_cgpsinfo(lat, lon)])
    if cmd == "AT+CGNSSINFO":
        return Reply([encode_cgnssinfo(lat, lon, model)])
    return Reply([], "ERROR")
