"""Vendor parsers: real-format serving-cell and status lines -> values (Quectel +QENG
and +QNWINFO, SIMCom +CPSI, Huawei ^HCSQ, Sierra !GSTATUS?, Fibocom +XCESQ, ATI).

Sources: Quectel EC25 / RM500Q AT manuals and openqti's cell.h capture for +QENG; the
SIMCom SIM7600 manual for +CPSI; Huawei ME909s and Sierra EM7455 AT references.
The 3GPP parsers are in test_modem_parsers.py, GNSS in test_modem_parsers_gnss.py.
"""

from __future__ import annotations

import pytest

from agent.modem import parsers as p
from agent.modem import sierra
from agent.modem.fibocom import parse_xcesq
from agent.modem.quectel import parse_qnwinfo

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
            nr_pci=501,  # the NR cell's own, next to the LTE anchor's pci / earfcn
            nr_arfcn=627264,
            nr_band=78,
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
