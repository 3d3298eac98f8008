"""What the simulated modem answers: pure functions from a RadioState and a command to AT lines.

Dialects: "3gpp" (27.007 only), "quectel" (EC25: +QENG servingcell and neighbourcell,
+QCAINFO, +QCCID), "simcom" (SIM7600: +CPSI; +CENG on SIM7000/SIM7070/SIM7080 models),
"huawei" (ME909s: ^HCSQ; the pty adds Huawei's \\r\\r\\n line ends), "sierra"
(EM7455: !GSTATUS?, !LTEINFO?) and "fibocom" (L850-GL, Intel XMM: +XCESQ?).

GNSS (quectel, simcom): the receiver is off after power-up, like a real module, until
``AT+QGPS=1`` / ``AT+CGPS=1`` (``AT+CGNSSPWR=1`` on A76xx). Quectel ``AT+QGPSLOC[=mode]``
answers the position (mode 2 signed decimal degrees, 0/1 NMEA ddmm.mmmm) or
``+CME ERROR: 505`` (session not active) / ``516`` (not fixed now); SIMCom
``AT+CGPSINFO`` (NMEA ddmm.mmmmmm with N/S, E/W) and ``AT+CGNSSINFO`` (NMEA, or decimal
degrees on A76xx models) answer all-empty fields without a fix. The UTC time and date in
GNSS answers are fixed (2024-02-14 02:46:03).

The answer lines themselves come from the encoders in :mod:`agent.sim.encode`; this
module decides which command gets which answer and final result, per dialect and per
session settings (echo, CMEE, COPS format, registration URCs, the GNSS receiver).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.sim.encode import (
    encode_cesq,
    encode_cgnssinfo,
    encode_cgpsinfo,
    encode_cops,
    encode_cpsi,
    encode_csq,
    encode_gstatus,
    encode_hcsq,
    encode_qeng,
    encode_qgpsloc,
    encode_registration,
    encode_xcesq,
)
from agent.sim.encode_cells import (
    ceng_documented,
    encode_ceng,
    encode_lteinfo,
    encode_qcainfo,
    encode_qeng_neighbours,
)
from agent.sim.scenario import RadioState, ScenarioIdentity

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


def has_fix(state: RadioState, settings: SessionSettings) -> bool:
    """The receiver is on, the scenario has a position and the fix is not lost."""
    return (
        settings.gnss_on
        and state.gnss_fix
        and state.lat_deg is not None
        and state.lon_deg is not None
    )


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
    if cmd == 'AT+QENG="NEIGHBOURCELL"' and dialect == "quectel":
        return Reply(encode_qeng_neighbours(state))
    if cmd == "AT+QCAINFO" and dialect == "quectel":
        return Reply(encode_qcainfo(state))
    if cmd == "AT+CPSI?" and dialect == "simcom":
        return Reply(encode_cpsi(state, model))
    if cmd in ("AT+CENG?", "AT+CENG=1,1") and dialect == "simcom" and ceng_documented(model):
        return Reply(encode_ceng(state) if cmd == "AT+CENG?" else [])
    if cmd == "AT^HCSQ?" and dialect == "huawei":
        return Reply([encode_hcsq(state)])
    if cmd == "AT!LTEINFO?" and dialect == "sierra":
        return Reply(encode_lteinfo(state))
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
