"""Every parser range-checks what it produces: an impossible value is absent and logged,
never a number on the wire; SIMCom levels come out in dBm/dB whatever the model table
says, because the values show their scale. (The corpus holds more such answers.)"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from modemkit import BASE_SCRIPT, Peer

from agent.modem import parsers, ranges, sierra
from agent.modem.interpret import interpret_urc
from agent.modem.model import SignalSample, signal_to_proto
from agent.modem.quectel import parse_qnwinfo
from agent.modem.reader import Modem
from agent.modem.vendors import parse_cpsi, tenths_shown
from pantau.v1 import records_pb2

RANGE_LOG = "agent.modem.ranges"

#: Contract fields that are not numbers with a range (enums, text).
_NOT_RANGED = {"rat", "reg_state", "sim_state", "mcc", "mnc", "operator_name", "dialect"}
#: Lists and flags of the reading (their items are checked as cells and carriers).
_LISTS = {"neighbours", "neighbours_reported", "carriers"}
#: Ranged fields only the component carriers have.
_CARRIER_ONLY = {"bandwidth_mhz"}


def test_every_numeric_field_of_the_reading_has_a_range() -> None:
    names = {f.name for f in records_pb2.SignalReading.DESCRIPTOR.fields}
    assert names - _NOT_RANGED - _LISTS == set(ranges.RANGES) - _CARRIER_ONLY
    sample_fields = set(SignalSample.__dataclass_fields__)
    assert set(ranges.RANGES) - _CARRIER_ONLY <= sample_fields


@pytest.mark.parametrize("message", [records_pb2.NeighbourCell, records_pb2.CarrierComponent])
def test_every_numeric_field_of_a_cell_and_a_carrier_has_a_range(message: Any) -> None:
    names = {f.name for f in message.DESCRIPTOR.fields} - {"rat", "relation", "primary"}
    assert names <= set(ranges.RANGES), names - set(ranges.RANGES)


@pytest.mark.parametrize(
    ("line", "model", "levels"),
    [
        # SIM7600 manual example; the model is unknown
        (
            "+CPSI: LTE,Online,404-45,0x21F9,322642,453,EUTRAN-BAND40,39275,4,4,-168,-1126,-773,7",
            None,
            (-16.8, -112.6, -77.3, 7.0),
        ),
        # an unlisted model in tenths, with an unlisted name
        (
            "+CPSI: LTE,Online,510-10,0x03E8,1,1,EUTRAN-BAND3,1850,5,5,-105,-987,-652,12",
            "SIMCOM_SIM7912G",
            (-10.5, -98.7, -65.2, 12.0),
        ),
        # RSRP absent: RSSI -652 shows tenths
        (
            "+CPSI: LTE,Online,510-10,0x03E8,1,1,EUTRAN-BAND3,1850,5,5,-105,-,-652,12",
            None,
            (-10.5, None, -65.2, 12.0),
        ),
        # a tenths model printing whole units: -95 cannot be -9.5 dBm
        (
            "+CPSI: LTE,Online,510-10,0x03E8,1,1,EUTRAN-BAND3,1850,5,5,-10,-95,-65,12",
            "SIMCOM_SIM7600E-H",
            (-10.0, -95.0, -65.0, 12.0),
        ),
    ],
)
def test_cpsi_levels_come_out_in_dbm_whatever_the_model(
    line: str, model: str | None, levels: tuple[float | None, ...]
) -> None:
    cell = parse_cpsi([line], tenths=parsers.simcom_tenths(model))
    # RSSNR (last) is whole dB on every model
    assert (cell.rsrq_db, cell.rsrp_dbm, cell.rssi_dbm, cell.sinr_db) == levels


def test_the_scale_falls_back_to_the_model_when_the_values_do_not_say() -> None:
    # no level at all, or an RSSI that fits both readings (-110 dBm / -11.0 dBm)
    assert tenths_shown([None, None], "lte", True) is True
    assert tenths_shown([None, -110], "lte", False) is False
    assert tenths_shown([None, -110], "lte", True) is True
    assert tenths_shown([-1126, None], "lte", False) is True
    assert tenths_shown([-95, None], "lte", True) is False
    assert tenths_shown([-1560, None], "nr", False) is True  # NR RSRP -156.0 dBm


IMPOSSIBLE: list[tuple[str, Any, str, str]] = [
    (
        "qeng rsrp +50 dBm",
        lambda: parsers.parse_qeng_servingcell(
            [
                '+QENG: "servingcell","NOCONN","LTE","FDD",510,10,1A2D001,123,1850,3,5,5,3E8,'
                "50,-10,-65,14,12,-,30"
            ]
        ),
        "rsrp_dbm",
        "rsrp_dbm=50.0 is impossible on lte (valid -141..-44 dBm): left absent",
    ),
    (
        "qeng ec25 raw sinr without its model",
        lambda: parsers.parse_qeng_servingcell(
            [
                '+QENG: "servingcell","NOCONN","LTE","FDD",510,10,1A2D001,123,1850,3,5,5,3E8,'
                "-95,-10,-65,160,12,-,30"
            ]
        ),
        "sinr_db",
        "sinr_db=160.0 is impossible on lte (valid -25..50 dB): left absent",
    ),
    (
        "cpsi nr pci 2000",
        lambda: parse_cpsi(
            ["+CPSI: NR5G_SA,Online,510-10,0x765D,4955280,2000,NR5G_BAND40,465000,-770,-110,290"],
            tenths=True,
        ),
        "pci",
        "pci=2000 is impossible on nr5g-sa (valid 0..1007): left absent",
    ),
    (
        "qnwinfo earfcn beyond 262143",
        lambda: parse_qnwinfo(['+QNWINFO: "FDD LTE","51010","LTE BAND 3",999999']),
        "earfcn",
        "earfcn=999999 is impossible on lte (valid 0..262143): left absent",
    ),
    (
        "gstatus rsrp -400",
        lambda: sierra.parse_gstatus(
            ["!GSTATUS: ", "System mode:   LTE\t\tPS state:  Attached", "RSRP (dBm):  -400"]
        ),
        "rsrp_dbm",
        "rsrp_dbm=-400.0 is impossible on lte (valid -141..-44 dBm): left absent",
    ),
]


@pytest.mark.parametrize(
    ("parse", "field", "reason"),
    [x[1:] for x in IMPOSSIBLE],
    ids=[x[0] for x in IMPOSSIBLE],
)
def test_an_impossible_value_is_absent_with_a_logged_reason(
    caplog: pytest.LogCaptureFixture, parse: Any, field: str, reason: str
) -> None:
    with caplog.at_level(logging.WARNING, logger=RANGE_LOG):
        result = parse()
    assert getattr(result, field) is None
    assert len(caplog.records) == 1, caplog.text
    assert caplog.records[0].getMessage().endswith(": " + reason)


def test_a_registration_urc_with_a_64_bit_cell_id_is_left_without_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger=RANGE_LOG):
        values = interpret_urc('+CEREG: 1,"03E8","FFFFFFFFFFFFFFFF",7')
    assert values == {"reg_state": "home", "tac": 1000, "rat": "lte"}
    assert "cell_id=18446744073709551615 is impossible on lte" in caplog.text


def test_non_finite_and_nsa_values() -> None:
    values: dict[str, object] = {
        "rat": "nr5g-nsa",
        "rsrp_dbm": math.inf,
        "rsrq_db": math.nan,
        "pci": 700,  # the LTE anchor's: 0..503
        "nr_pci": 700,  # the NR cell's: 0..1007
        "nr_arfcn": 627264,
        "lat_deg": 95.0,
        "lon_deg": 400.0,
        "operator_name": "Telkomsel",
    }
    kept = ranges.drop_invalid_values(values, source="test")
    assert kept == {
        "rat": "nr5g-nsa",
        "nr_pci": 700,
        "nr_arfcn": 627264,
        "operator_name": "Telkomsel",
    }
    # an unknown RAT is checked against the widest range of the field
    assert ranges.valid_range("pci", None) == ranges.Range(0, 1007)
    assert ranges.invalid_values({"pci": 1008, "csq": 99, "band": 0}, None) != ()
    assert ranges.invalid_values({"pci": 1007, "csq": True}, None)[0].name == "csq"


def test_the_reader_never_puts_an_impossible_value_in_a_reading(
    caplog: pytest.LogCaptureFixture,
) -> None:
    script = {
        **BASE_SCRIPT,
        # an LTE cell id of 64 bits: legal hex, impossible ECI (28 bits)
        "AT+CEREG?": ['+CEREG: 2,1,"03E8","FFFFFFFFFFFFFFFF",7', "OK"],
    }
    peer = Peer(script)
    try:
        with caplog.at_level(logging.WARNING, logger=RANGE_LOG), Modem(peer.url) as modem:
            sample = modem.read_signal()
    finally:
        peer.close()
    assert (sample.rat, sample.tac, sample.cell_id, sample.rssi_dbm) == ("lte", 1000, None, -65.0)
    assert "cell_id=18446744073709551615 is impossible on lte" in caplog.text
    assert not signal_to_proto(sample).HasField("cell_id")


_ANY_INT = st.integers(-(2**70), 2**70)


@given(
    values=st.lists(_ANY_INT, min_size=8, max_size=8), mode=st.sampled_from(["LTE", "LTE CAT-M1"])
)
def test_no_cpsi_line_gives_an_impossible_value(values: list[int], mode: str) -> None:
    cid, pci, earfcn, band, rsrq, rsrp, rssi, snr = values
    line = (
        f"+CPSI: {mode},Online,510-10,0x{abs(cid):X},{cid},{pci},EUTRAN-BAND{abs(band)},"
        f"{earfcn},5,5,{rsrq},{rsrp},{rssi},{snr}"
    )
    for tenths in (False, True):
        cell = parse_cpsi([line], tenths=tenths)
        assert ranges.invalid_values(asdict(cell), cell.rat) == ()


@given(values=st.lists(_ANY_INT, min_size=8, max_size=8))
def test_no_qeng_nsa_answer_gives_an_impossible_value(values: list[int]) -> None:
    cid, pci, earfcn, rsrp, sinr, nr_pci, nr_rsrp, nr_arfcn = values
    lines = [
        '+QENG: "servingcell","NOCONN"',
        f'+QENG: "LTE","FDD",510,10,{abs(cid):X},{pci},{earfcn},3,5,5,3E8,{rsrp},-10,-65,{sinr},'
        "12,-,30",
        f'+QENG: "NR5G-NSA",510,10,{nr_pci},{nr_rsrp},21,-11,{nr_arfcn},78',
    ]
    cell = parsers.parse_qeng_servingcell(lines)
    assert ranges.invalid_values(asdict(cell), cell.rat) == ()
