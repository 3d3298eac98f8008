"""Parsers: real-format lines -> values.

Sources for the line formats: 3GPP TS 27.007 (+CSQ 8.5, +CESQ 8.69, +CREG 7.2, +CGREG
10.1.20, +CEREG 10.1.22, +C5GREG 10.1.53, +COPS 7.3, +CPIN 8.3); ModemManager's
mm-modem-helpers test suite (unquoted / space-padded +CREG lac/ci, "+CME ERROR:58");
SIMCom SIM7600 manual for +CCID/+ICCID forms. The vendors' serving-cell parsers are
in test_modem_parsers_vendors.py, GNSS in test_modem_parsers_gnss.py.
"""

from __future__ import annotations

import pytest

from agent.modem import parsers as p
from pantau.core.operators import operator_name, operator_overrides


@pytest.mark.parametrize(
    ("line", "csq", "rssi", "ber"),
    [
        ("+CSQ: 20,99", 20, -73.0, None),
        ("+CSQ: 0,0", 0, -113.0, 0.14),
        ("+CSQ: 31,7", 31, -51.0, 18.10),
        ("+CSQ: 99,99", None, None, None),
        ("+CSQ:15,3", 15, -83.0, 1.13),
        ("+CSQ: 150,99", None, -66.0, None),  # TD-SCDMA range 100..191
    ],
)
def test_csq(line: str, csq: int | None, rssi: float | None, ber: float | None) -> None:
    assert p.parse_csq((line,)) == p.Csq(csq, rssi, ber)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # LTE only: rsrq 23 -> -8.5, rsrp 46 -> -95
        ("+CESQ: 99,99,255,255,23,46", p.Cesq(None, None, None, None, -8.5, -95.0)),
        # WCDMA: rscp 40 -> -81, ecno 30 -> -9.5
        ("+CESQ: 99,99,40,30,255,255", p.Cesq(None, None, -81.0, -9.5, None, None)),
        # GSM: rxlev 40 -> -71, ber class 2
        ("+CESQ: 40,2,255,255,255,255", p.Cesq(-71.0, 0.57, None, None, None, None)),
        # extremes
        ("+CESQ: 0,0,0,0,0,0", p.Cesq(-111.0, 0.14, -121.0, -24.5, -20.0, -141.0)),
        ("+CESQ: 63,7,96,49,34,97", p.Cesq(-48.0, 18.1, -25.0, 0.0, -3.0, -44.0)),
    ],
)
def test_cesq(line: str, expected: p.Cesq) -> None:
    assert p.parse_cesq([line]) == expected


def test_cesq_short_is_an_error() -> None:
    with pytest.raises(p.ParseError, match="6 fields"):
        p.parse_cesq(["+CESQ: 99,99"])


REG = p.Registration
REG_CASES = [
    # read form, n=0/1
    ("+CREG: 0,1", "read", REG(1, "home", n=0)),
    ("+CEREG: 1,2", "read", REG(2, "searching", n=1)),
    # read form with quoted hex lac/ci and AcT
    (
        '+CEREG: 2,1,"3E8","01A2D001",7',
        "read",
        REG(1, "home", n=2, lac=0x3E8, cell_id=0x1A2D001, act=7, rat="lte"),
    ),
    # unquoted hex
    ("+CREG: 2,5,1A2B,C3D4,2", "read", REG(5, "roaming", 2, 0x1A2B, 0xC3D4, 2, "umts")),
    # space-padded inside the quotes (ModemManager test data, Sierra/Option)
    ('+CGREG: 2,1," 1A2B"," 0C3D4",6', "read", REG(1, "home", 2, 0x1A2B, 0xC3D4, 6, "hspa")),
    # CEREG with n=4 trailing fields, and C5GREG
    (
        '+CEREG: 4,1,"00FA","0A1B2C3D",7,,,"00000000","00111000"',
        "read",
        REG(1, "home", 4, 0xFA, 0x0A1B2C3D, 7, "lte"),
    ),
    (
        '+C5GREG: 2,1,"0000FA","000A1B2C3D",11',
        "read",
        REG(1, "home", 2, 0xFA, 0xA1B2C3D, 11, "nr5g-sa"),
    ),
    # URC forms
    ("+CREG: 1", "urc", REG(1, "home")),
    ('+CEREG: 1,"3E8","01A2D001",7', "urc", REG(1, "home", None, 0x3E8, 0x1A2D001, 7, "lte")),
    ('+CREG: 5,"1A2B","C3D4"', "auto", REG(5, "roaming", None, 0x1A2B, 0xC3D4)),
    ('+CEREG: 1,"3E8","01A2D001",7', "auto", REG(1, "home", None, 0x3E8, 0x1A2D001, 7, "lte")),
    ("+CEREG: 0,3", "auto", REG(3, "denied", n=0)),
    # every stat maps
    ("+CREG: 0,6", "read", REG(6, "sms-only", n=0)),
    ("+CREG: 0,8", "read", REG(8, "emergency", n=0)),
    ("+CREG: 0,11", "read", REG(11, "other", n=0)),
    ("+CREG: 0,4", "read", REG(4, "unknown", n=0)),
    ("+CREG: 0,13", "read", REG(13, "other", n=0)),
]


@pytest.mark.parametrize(("line", "form", "expected"), REG_CASES)
def test_registration(line: str, form: str, expected: p.Registration) -> None:
    assert p.parse_registration(line, form=form) == expected


def test_registration_errors() -> None:
    with pytest.raises(p.ParseError, match=r"expected a \+CREG"):
        p.parse_registration("+CSQ: 1,2")
    with pytest.raises(p.ParseError, match="no registration <stat>"):
        p.parse_registration("+CREG: 2,", form="read")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('+COPS: 0,2,"51010",7', p.Operator(0, 2, "51010", "510", "10", 7, "lte")),
        ('+COPS: 0,2,"510 01",2', p.Operator(0, 2, "510 01", "510", "01", 2, "umts")),
        ('+COPS: 0,0,"TELKOMSEL",7', p.Operator(0, 0, "TELKOMSEL", None, None, 7, "lte")),
        ('+COPS: 1,2,"510011",13', p.Operator(1, 2, "510011", "510", "011", 13, "nr5g-nsa")),
        ("+COPS: 0", p.Operator(0)),
        ('+COPS: 0,1,"XL",0', p.Operator(0, 1, "XL", None, None, 0, "gsm")),
    ],
)
def test_cops(line: str, expected: p.Operator) -> None:
    assert p.parse_cops([line]) == expected


@pytest.mark.parametrize(
    ("line", "state"),
    [
        ("+CPIN: READY", "ready"),
        ("+CPIN: SIM PIN", "pin"),
        ("+CPIN: SIM PUK", "puk"),
        ("+CPIN: PH-SIM PIN", "pin"),
        ("+CPIN: NOT INSERTED", "absent"),
        ("+CPIN: NOT READY", "busy"),
        ("+CPIN: SIM PIN2", "pin"),
    ],
)
def test_cpin(line: str, state: str) -> None:
    assert p.parse_cpin([line]) == state


@pytest.mark.parametrize(
    ("code", "text", "state"),
    [
        (10, None, "absent"),
        (14, None, "busy"),
        (11, None, "pin"),
        (13, None, "error"),
        (None, "SIM not inserted", "absent"),
        (None, "SIM busy", "busy"),
        (None, "phone failure", "error"),
    ],
)
def test_sim_state_from_error(code: int | None, text: str | None, state: str) -> None:
    assert p.sim_state_from_error(code, text) == state


@pytest.mark.parametrize(
    ("lines", "func", "value"),
    [
        (["867698041234560"], p.parse_imei, "867698041234560"),
        (["+CGSN: 867698041234560"], p.parse_imei, "867698041234560"),
        (['+CGSN: "867698041234560"'], p.parse_imei, "867698041234560"),
        (["IMEI: 867698041234560"], p.parse_imei, "867698041234560"),
        (["510101234567890"], p.parse_imsi, "510101234567890"),
        (["+CCID: 8962101234567890123F"], p.parse_iccid, "8962101234567890123"),
        (["+QCCID: 89621012345678901234"], p.parse_iccid, "89621012345678901234"),
        (["+ICCID: 8962101234567890123"], p.parse_iccid, "8962101234567890123"),
        (['+CCID: "8962101234567890123"'], p.parse_iccid, "8962101234567890123"),
        (["8962101234567890123"], p.parse_iccid, "8962101234567890123"),
        (["Quectel"], p.identity_text, "Quectel"),
        (["+CGMI: SIMCOM INCORPORATED"], p.identity_text, "SIMCOM INCORPORATED"),
        (['+CGMM: "EC25"'], p.identity_text, "EC25"),
        (["Revision: EC25EFAR06A06M4G"], p.identity_text, "Revision: EC25EFAR06A06M4G"),
        ([], p.identity_text, None),
        (["ERROR-ish"], p.parse_imei, None),
    ],
)
def test_identity(lines: list[str], func: object, value: str | None) -> None:
    assert callable(func)
    assert func(lines) == value


@pytest.mark.parametrize(
    ("mcc", "mnc", "name"),
    [
        ("510", "10", "Telkomsel"),
        ("510", "010", "Telkomsel"),
        ("510", "01", "Indosat Ooredoo Hutchison"),
        ("510", "89", "Indosat Ooredoo Hutchison"),
        ("510", "11", "XL Axiata"),
        ("510", "09", "Smartfren"),
        ("510", "00", "PSN"),
        ("510", "77", None),
        ("502", "12", None),
        (None, "10", None),
    ],
)
def test_operator_names(mcc: str | None, mnc: str | None, name: str | None) -> None:
    assert operator_name(mcc, mnc) == name


@pytest.mark.parametrize(
    "lines",
    [
        ['+CEREG: 2,1,"3E8","01A2D001",7'],
        ['+CEREG: 1,"3E8","01A2D001",7', '+CEREG: 2,1,"3E8","01A2D001",7'],  # URC first
        ['+CEREG: 2,1,"3E8","01A2D001",7', "+CEREG: 1"],  # URC after
    ],
)
def test_registration_answer_skips_urcs(lines: list[str]) -> None:
    reg = p.parse_registration_answer(lines, "+CEREG:")
    assert (reg.n, reg.stat, reg.lac, reg.cell_id) == (2, 1, 0x3E8, 0x1A2D001)


def test_registration_answer_without_line() -> None:
    with pytest.raises(p.ParseError, match=r"no \+CREG: line"):
        p.parse_registration_answer(["+CGREG: 0,1"], "+CREG:")


# -- +COPS=? ----------------------------------------------------------------------------


def test_cops_list_tolerates_odd_names_and_missing_act() -> None:
    ops = p.parse_cops_list(
        [
            '+COPS: (2,"Telkomsel, (ID)","TSEL","510 10",7),(1,"XL","XL","51011"),',
            '+COPS: (0,"","","51099",9),,(0-4),(0-2)',
        ]
    )
    assert ops == [
        p.NetworkOperator("current", "Telkomsel, (ID)", "TSEL", "510 10", "510", "10", 7, "lte"),
        p.NetworkOperator("available", "XL", "XL", "51011", "510", "11"),
        p.NetworkOperator("unknown", None, None, "51099", "510", "99", 9, "nbiot"),
    ]


def test_cops_list_without_line() -> None:
    with pytest.raises(p.ParseError, match=r"no \+COPS: line"):
        p.parse_cops_list(["OK"])


# -- operators: complete Indonesia, overrides from config -------------------------------


@pytest.mark.parametrize(
    ("mnc", "name"),
    [
        ("03", "Indosat Ooredoo Hutchison"),
        ("07", "Telkomsel"),
        ("08", "XL Axiata"),
        ("27", "Net1 Indonesia"),
        ("28", "Smartfren"),
        ("99", "Smartfren"),
        ("021", "Indosat Ooredoo Hutchison"),
    ],
)
def test_operator_names_more_codes(mnc: str, name: str) -> None:
    assert operator_name("510", mnc) == name


def test_operator_overrides() -> None:
    extra = {"502-12": "Maxis", "514 01": "Telkomcel", "510010": "Telkomsel (test)"}
    assert operator_name("502", "12", extra) == "Maxis"
    assert operator_name("514", "01", extra) == "Telkomcel"
    assert operator_name("510", "10", extra) == "Telkomsel (test)"  # override wins
    assert operator_name("510", "11", extra) == "XL Axiata"  # falls back to the table
    assert operator_name("502", "13", extra) is None
    assert operator_overrides({"51089": " Tri "}) == {"51089": "Tri"}
    with pytest.raises(ValueError, match="operator override '5101': expected MCC-MNC"):
        operator_overrides({"5101": "x"})
    with pytest.raises(ValueError, match="'510-10': the name must be a non-empty string"):
        operator_overrides({"510-10": " "})
