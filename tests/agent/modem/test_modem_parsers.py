"""Parsers: real-format lines -> values.

Sources for the line formats: 3GPP TS 27.007 (+CSQ 8.5, +CESQ 8.69, +CREG 7.2, +CGREG
10.1.20, +CEREG 10.1.22, +C5GREG 10.1.53, +COPS 7.3, +CPIN 8.3); ModemManager's
mm-modem-helpers test suite (unquoted / space-padded +CREG lac/ci, "+CME ERROR:58");
Quectel EC25 / RM500Q AT manuals and openqti's cell.h capture for +QENG; SIMCom
SIM7600 manual for +CCID/+ICCID forms.
"""

from __future__ import annotations

import pytest

from agent.modem import parsers as p
from pantau.core.operators import operator_name


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


QENG_CASES = [
    (
        # openqti cell.h capture (EC25, Spain 214-01): 18 fields, no srxlev
        [
            '+QENG: "servingcell","NOCONN","LTE","FDD",214,01,7676A09,188,6300,20,3,3,603,'
            "-104,-9,-78,11,23"
        ],
        False,
        p.ServingCell(
            state="NOCONN",
            rat="lte",
            mcc="214",
            mnc="01",
            cell_id=0x7676A09,
            pci=188,
            earfcn=6300,
            band=20,
            tac=0x603,
            rsrp_dbm=-104.0,
            rsrq_db=-9.0,
            rssi_dbm=-78.0,
            sinr_db=11.0,
        ),
    ),
    (
        # EC25 with the x/5-20 SINR encoding: 160 -> 12 dB
        [
            '+QENG: "servingcell","CONNECT","LTE","FDD",510,10,1A2D001,123,1850,3,5,5,3E8,'
            "-95,-10,-65,160,12,-,30"
        ],
        True,
        p.ServingCell(
            state="CONNECT",
            rat="lte",
            mcc="510",
            mnc="10",
            cell_id=0x1A2D001,
            pci=123,
            earfcn=1850,
            band=3,
            tac=0x3E8,
            rsrp_dbm=-95.0,
            rsrq_db=-10.0,
            rssi_dbm=-65.0,
            sinr_db=12.0,
        ),
    ),
    (
        ['+QENG: "servingcell","SEARCH"'],
        False,
        p.ServingCell(state="SEARCH", rat="none"),
    ),
    (
        # RM500Q NSA: three lines
        [
            '+QENG: "servingcell","NOCONN"',
            '+QENG: "LTE","FDD",510,10,1A2D001,123,1850,3,5,5,3E8,-95,-10,-65,14,12,-,30',
            '+QENG: "NR5G-NSA",510,10,501,-88,21,-11,627264,78',
        ],
        False,
        p.ServingCell(
            state="NOCONN",
            rat="nr5g-nsa",
            mcc="510",
            mnc="10",
            cell_id=0x1A2D001,
            pci=123,
            earfcn=1850,
            band=3,
            tac=0x3E8,
            rsrp_dbm=-95.0,
            rsrq_db=-10.0,
            rssi_dbm=-65.0,
            sinr_db=14.0,
            nr_rsrp_dbm=-88.0,
            nr_sinr_db=21.0,
            nr_rsrq_db=-11.0,
        ),
    ),
    (
        # RM500Q SA
        [
            '+QENG: "servingcell","NOCONN","NR5G-SA","TDD",510,10,1A2D0010F,501,3E8,627264,78,'
            "12,-85,-11,20,1,-"
        ],
        False,
        p.ServingCell(
            state="NOCONN",
            rat="nr5g-sa",
            mcc="510",
            mnc="10",
            cell_id=0x1A2D0010F,
            pci=501,
            tac=0x3E8,
            arfcn=627264,
            band=78,
            rsrp_dbm=-85.0,
            rsrq_db=-11.0,
            sinr_db=20.0,
        ),
    ),
    (
        ['+QENG: "servingcell","NOCONN","WCDMA",510,01,1A2B,C3D4,10737,310,0,-85,-7,-,-,-,-,-'],
        False,
        p.ServingCell(
            state="NOCONN",
            rat="umts",
            mcc="510",
            mnc="01",
            lac=0x1A2B,
            cell_id=0xC3D4,
            uarfcn=10737,
            psc=310,
            rscp_dbm=-85.0,
            ecio_db=-7.0,
        ),
    ),
    (
        ['+QENG: "servingcell","NOCONN","GSM",510,11,1A2B,C3D4,20,62,-,-75,255,255,0,38,38,1'],
        False,
        p.ServingCell(
            state="NOCONN",
            rat="gsm",
            mcc="510",
            mnc="11",
            lac=0x1A2B,
            cell_id=0xC3D4,
            arfcn=62,
            rssi_dbm=-75.0,
        ),
    ),
    (
        # "-" fields are absent
        ['+QENG: "servingcell","LIMSRV","LTE","FDD",510,10,-,-,1850,3,-,-,-,-140,-,-,-'],
        False,
        p.ServingCell(
            state="LIMSRV", rat="lte", mcc="510", mnc="10", earfcn=1850, band=3, rsrp_dbm=-140.0
        ),
    ),
]


@pytest.mark.parametrize(("lines", "scaled", "expected"), QENG_CASES)
def test_qeng(lines: list[str], scaled: bool, expected: p.ServingCell) -> None:
    assert p.parse_qeng_servingcell(lines, sinr_scaled=scaled) == expected


def test_sinr_scaling_is_per_model() -> None:
    assert p.quectel_sinr_scaled("EC25")
    assert p.quectel_sinr_scaled("EC25-E")
    assert not p.quectel_sinr_scaled("RM500Q-GL")
    assert not p.quectel_sinr_scaled(None)


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


CPSI_CASES = [
    (
        # SIM7600 (tenths), the sample in the SIM7500/SIM7600 manual V1.08
        "+CPSI: LTE,Online,404-45,0x21F9,322642,453,EUTRAN-BAND40,39275,4,4,-168,-1126,-773,7",
        True,
        p.ServingCell(
            state="Online",
            rat="lte",
            mcc="404",
            mnc="45",
            tac=0x21F9,
            cell_id=322642,
            pci=453,
            band=40,
            earfcn=39275,
            rsrq_db=-16.8,
            rsrp_dbm=-112.6,
            rssi_dbm=-77.3,
            sinr_db=7.0,
        ),
    ),
    (
        # SIM7070 (whole units)
        "+CPSI: LTE,Online,510-10,0x03E8,27447297,123,EUTRAN-BAND3,1850,5,5,-10,-95,-65,12",
        False,
        p.ServingCell(
            state="Online",
            rat="lte",
            mcc="510",
            mnc="10",
            tac=0x3E8,
            cell_id=27447297,
            pci=123,
            band=3,
            earfcn=1850,
            rsrq_db=-10.0,
            rsrp_dbm=-95.0,
            rssi_dbm=-65.0,
            sinr_db=12.0,
        ),
    ),
    ("+CPSI: NO SERVICE,Online", True, p.ServingCell(state="Online", rat="none")),
    (
        "+CPSI: GSM,Online,510-11,0x182d,12401,27 EGSM 900,-64,2110,42-42",
        False,
        p.ServingCell(
            state="Online",
            rat="gsm",
            mcc="510",
            mnc="11",
            lac=0x182D,
            cell_id=12401,
            arfcn=27,
            rssi_dbm=-64.0,
        ),
    ),
    (
        "+CPSI: WCDMA,Online,510-01,0xFFFE,1234,WCDMA IMT 2000,310,10713,0,3.5,62,33,23,500",
        True,
        p.ServingCell(
            state="Online",
            rat="umts",
            mcc="510",
            mnc="01",
            lac=0xFFFE,
            cell_id=1234,
            psc=310,
            uarfcn=10713,
        ),
    ),
]


@pytest.mark.parametrize(("line", "tenths", "expected"), CPSI_CASES)
def test_cpsi(line: str, tenths: bool, expected: p.ServingCell) -> None:
    assert p.parse_cpsi([line], tenths=tenths) == expected


def test_simcom_tenths_is_per_model() -> None:
    assert p.simcom_tenths("SIMCOM_SIM7600E-H")
    assert not p.simcom_tenths("SIM7070G")
    assert not p.simcom_tenths(None)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # ME909s spec formulas: rssi 52 -> -69, rsrp 48 -> -93, sinr 150 -> 9.8,
        # rsrq 25 -> -7.5
        (
            '^HCSQ: "LTE",52,48,150,25',
            p.ServingCell(rat="lte", rssi_dbm=-69.0, rsrp_dbm=-93.0, sinr_db=9.8, rsrq_db=-7.5),
        ),
        ('^HCSQ: "LTE",255,255,255,255', p.ServingCell(rat="lte")),
        (
            '^HCSQ: "WCDMA",30,30,40',
            p.ServingCell(rat="umts", rssi_dbm=-91.0, rscp_dbm=-91.0, ecio_db=-12.5),
        ),
        ('^HCSQ: "GSM",40', p.ServingCell(rat="gsm", rssi_dbm=-81.0)),
        ('^HCSQ: "NOSERVICE"', p.ServingCell(rat="none")),
    ],
)
def test_hcsq(line: str, expected: p.ServingCell) -> None:
    assert p.parse_hcsq([line]) == expected


def test_hcsq_unknown_mode() -> None:
    with pytest.raises(p.ParseError, match="unknown system mode 'CDMA'"):
        p.parse_hcsq(['^HCSQ: "CDMA",1'])


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


# -- GNSS: the sign of the hemisphere (Indonesia straddles the equator) ------------------

from agent.modem import gnss, sierra  # noqa: E402
from agent.modem.fibocom import parse_xcesq  # noqa: E402
from agent.modem.quectel import parse_qnwinfo  # noqa: E402
from pantau.core.operators import operator_overrides  # noqa: E402


@pytest.mark.parametrize(
    ("value", "hemi", "degrees"),
    [
        ("0612.528000", "S", -6.2088),  # Jakarta
        ("0612.528000", "N", 6.2088),
        ("10650.736000", "E", 106.8456),
        ("10650.736000", "W", -106.8456),
        ("0030.000000", "S", -0.5),  # just south of the equator (Pontianak is 0.02 N)
        ("0001.200000", "N", 0.02),
        ("1010.632000", "s", -10.1772),  # lower-case hemisphere
        ("5.5", "S", -0.091667),  # unpadded: 0 deg 5.5 min
    ],
)
def test_nmea_to_degrees_sign(value: str, hemi: str, degrees: float) -> None:
    assert gnss.nmea_to_degrees(value, hemi) == pytest.approx(degrees, abs=1e-6)


@pytest.mark.parametrize(
    ("value", "hemi", "match"),
    [
        ("0675.000000", "S", "out of range"),  # 75 minutes
        ("9530.000000", "N", "out of range"),  # 95 degrees of latitude
        ("0612.5", "X", "expected N, S, E or W"),
        ("abc", "S", "expected ddmm.mmmm"),
    ],
)
def test_nmea_to_degrees_rejects_garbage(value: str, hemi: str, match: str) -> None:
    with pytest.raises(p.ParseError, match=match):
        gnss.nmea_to_degrees(value, hemi)


def test_cgpsinfo_south_and_east_are_signed() -> None:
    fix = gnss.parse_cgpsinfo("+CGPSINFO: 0842.000000,S,11513.200000,E,010324,000000.0,5.0,,")
    assert (fix.fix, fix.lat_deg, fix.lon_deg) == (True, -8.7, 115.22)  # Bali
    assert fix.speed_kmh is None and fix.course_deg is None


def test_cgnssinfo_auto_format_and_explicit_format() -> None:
    line = "+CGNSSINFO: 2,04,00,00,0030.000000,S,10920.000000,E,010324,000000.0,10.0,0.0,0.0,1,1,1"
    auto = gnss.parse_cgnssinfo(line)
    assert (auto.lat_deg, auto.lon_deg) == (-0.5, 109.3333333)  # NMEA (zero-padded)
    decimal = "+CGNSSINFO: 2,04,00,0.5,S,109.3333,E,010324,000000.0,10.0,0.0,,1,1,1,04"
    assert gnss.parse_cgnssinfo(decimal).lat_deg == -0.5
    assert gnss.parse_cgnssinfo(decimal, coord_format="decimal").lon_deg == 109.3333
    with pytest.raises(ValueError, match="coord_format='dms'"):
        gnss.parse_cgnssinfo(decimal, coord_format="dms")
    assert gnss.cgnssinfo_decimal("A7608SA-H") and not gnss.cgnssinfo_decimal("SIM7600E")


def test_qgpsloc_no_fix_is_a_result() -> None:
    assert gnss.gnss_from_error(516) == gnss.NO_FIX == gnss.GnssFix(fix=False)
    assert gnss.gnss_from_error(505) is None  # "session not active": a real error
    with pytest.raises(p.ParseError, match="needs 11 fields"):
        gnss.parse_qgpsloc("+QGPSLOC: 024603.000,-6.2")
    with pytest.raises(p.ParseError, match="decimal degrees within 90"):
        gnss.parse_qgpsloc("+QGPSLOC: 024603.000,-96.2,106.8,1.2,45.0,3,0,0,0,140224,08")


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


# -- Sierra !GSTATUS? by label ----------------------------------------------------------


def test_gstatus_labels_survive_reordering_and_padding() -> None:
    lines = [
        "!GSTATUS: ",
        "SINR (dB):     -3.2\tLTE band:B40",  # another order, a tab, no space
        "System mode:   LTE   Mode: ONLINE",
        "RSRP (dBm):  -120\t\tRSRP (dBm):  -125",  # repeated label: first wins
        "LTE Rx chan:   ---",  # no value
        "TAC:         0x3E8",  # hex without the decimal
        "Future label:  42 units",
    ]
    labels = sierra.gstatus_labels(lines)
    assert labels["Future label"] == "42 units"
    assert labels["RSRP (dBm)"] == "-120"
    assert sierra.parse_gstatus(lines) == p.ServingCell(
        state="ONLINE", rat="lte", band=40, tac=1000, rsrp_dbm=-120.0, sinr_db=-3.2
    )


def test_gstatus_empty_and_no_service() -> None:
    assert sierra.parse_gstatus([]) == p.ServingCell(rat="none")
    assert sierra.parse_gstatus(["System mode:   No service"]).rat == "none"


# -- vendors: new layouts and their errors ----------------------------------------------


def test_xcesq_short_is_an_error() -> None:
    with pytest.raises(p.ParseError, match="8 fields"):
        parse_xcesq("+XCESQ: 0,99,99,255")


def test_qnwinfo_unknown_act() -> None:
    with pytest.raises(p.ParseError, match="unknown access technology 'CDMA1X'"):
        parse_qnwinfo('+QNWINFO: "CDMA1X","46003","BC0",283')
    assert parse_qnwinfo('+QNWINFO: "FDD LTE","TELKOMSEL","LTE BAND 3",1850') == p.ServingCell(
        rat="lte", band=3, earfcn=1850
    )


def test_cpsi_unknown_mode_is_an_error() -> None:
    with pytest.raises(p.ParseError, match="unknown system mode 'CDMA'"):
        p.parse_cpsi(["+CPSI: CDMA,Online"])


def test_hcsq_en_dc_puts_nr_in_nr_fields() -> None:
    cell = p.parse_hcsq(['^HCSQ: "LTE",52,48,150,25', '^HCSQ: "NR",58,165,22'])
    assert (cell.rat, cell.rsrp_dbm, cell.nr_rsrp_dbm, cell.nr_sinr_db, cell.nr_rsrq_db) == (
        "nr5g-nsa",
        -93.0,
        -83.0,
        12.8,
        -9.0,
    )


def test_ati_bare_and_labelled() -> None:
    assert p.parse_ati(["ATI", "Quectel", "RM500Q-GL", "Revision: RM500QGLABR11A06M4G"]) == (
        p.AtiIdentity("Quectel", "RM500Q-GL", "RM500QGLABR11A06M4G")
    )
    assert p.parse_ati(["IMEI SV: 9", "Model: EM7455", "+GCAP: +CGSM"]) == p.AtiIdentity(
        model="EM7455"
    )


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
