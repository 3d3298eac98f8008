"""The Sierra (``AT!GSTATUS?``) and Fibocom/Intel XMM (``AT+XCESQ?``) dialects: detection,
readings against the simulated modem, the merge rules against scripted real answers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from modemkit import BASE_SCRIPT, Peer

from agent.modem.reader import SUPPORTED_DIALECTS, Modem, detect_dialect
from agent.sim.modem import SimModem
from agent.sim.scenario import Scenario

LTE: dict[str, Any] = {
    "at_s": 0,
    "rat": "lte",
    "reg_state": "home",
    "mcc": "510",
    "mnc": "10",
    "tac": 0x3E8,
    "cell_id": 0x1A2D001,
    "pci": 123,
    "earfcn": 1850,
    "band": 3,
    "rssi_dbm": -65,
    "rsrp_dbm": -95,
    "rsrq_db": -10,
    "sinr_db": 12.4,
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextlib.contextmanager
def serve(
    steps: list[dict[str, Any]], dialect: str, clock: FakeClock | None = None
) -> Iterator[SimModem]:
    sim = SimModem(Scenario.from_dict({"steps": steps}), dialect, clock=clock or FakeClock())
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.mark.parametrize(
    ("maker", "model", "dialect"),
    [
        ("Sierra Wireless, Incorporated", "EM7455", "sierra"),
        ("Sierra Wireless, Incorporated", "MC7304", "sierra"),
        (None, "EM7565", "sierra"),
        (None, "EM9191", "sierra"),
        (None, "MC7455", "sierra"),
        (None, "EM06", "quectel"),  # Quectel's EMs are EM0x / EM1x
        (None, "EM120K-GL", "quectel"),
        ("Quectel", "EM7455", "quectel"),  # the manufacturer decides
        ("FIBOCOM", "L850-GL", "fibocom"),
        ("Fibocom Wireless Inc.", "L860-GL", "fibocom"),
        (None, "L850-GL", "fibocom"),
        ("Intel Corp.", "XMM7360", "fibocom"),
        (None, "XMM7160", "fibocom"),
        (None, "LE910C4", "3gpp"),
    ],
)
def test_detect_new_dialects(maker: str | None, model: str | None, dialect: str) -> None:
    assert detect_dialect(maker, model) == dialect


def test_new_dialects_are_accepted() -> None:
    assert {"sierra", "fibocom"} <= set(SUPPORTED_DIALECTS)
    for dialect in ("sierra", "fibocom"):
        assert Modem("loop://", dialect=dialect).requested_dialect == dialect
    with pytest.raises(ValueError, match="'sierra', 'fibocom'"):
        Modem("loop://", dialect="telit")


def test_sierra_reading_from_gstatus() -> None:
    with serve([LTE], "sierra") as sim:
        with Modem(sim.port_path) as modem:
            assert modem.identity is not None
            assert (modem.dialect, modem.identity.model) == ("sierra", "EM7455")
            sample = modem.read_signal()
        assert "AT!GSTATUS?" in sim.commands
    assert sample.dialect == "sierra"
    assert (sample.rat, sample.reg_state, sample.operator_name) == ("lte", "home", "Telkomsel")
    assert (sample.rsrp_dbm, sample.rsrq_db, sample.rssi_dbm) == (-95.0, -10.0, -65.0)
    assert sample.sinr_db == 12.4  # only !GSTATUS gives SINR
    assert (sample.earfcn, sample.band, sample.tac, sample.cell_id) == (1850, 3, 0x3E8, 0x1A2D001)
    assert sample.pci is None  # the EM7455 does not print it


def test_sierra_umts_and_no_service() -> None:
    clock = FakeClock()
    umts = {"at_s": 0, "rat": "umts", "mnc": "01", "lac": 0x1A2B, "cell_id": 0xC3D4}
    steps = [{**umts, "rscp_dbm": -85, "ecio_db": -7.5, "rssi_dbm": -71}]
    steps.append({"at_s": 10, "rat": "none", "reg_state": "searching"})
    with serve(steps, "sierra", clock) as sim, Modem(sim.port_path) as modem:
        sample = modem.read_signal()
        assert (sample.rat, sample.lac, sample.cell_id) == ("umts", 0x1A2B, 0xC3D4)
        assert (sample.uarfcn, sample.rscp_dbm, sample.ecio_db) == (10700, -85.0, -7.5)
        clock.now += 10
        lost = modem.read_signal()
    assert (lost.rat, lost.reg_state, lost.rsrp_dbm, lost.mcc) == ("none", "searching", None, None)


def test_fibocom_reading_adds_sinr_from_xcesq() -> None:
    with serve([{**LTE, "rsrq_db": -11.5, "sinr_db": -3.5}], "fibocom") as sim:
        with Modem(sim.port_path) as modem:
            assert modem.identity is not None
            assert (modem.dialect, modem.identity.model) == ("fibocom", "L850-GL")
            sample = modem.read_signal()
        assert "AT+XCESQ?" in sim.commands
    assert sample.dialect == "fibocom"
    assert (sample.rsrp_dbm, sample.rsrq_db, sample.sinr_db) == (-95.0, -11.5, -3.5)
    assert (sample.rssi_dbm, sample.tac, sample.cell_id) == (-65.0, 0x3E8, 0x1A2D001)
    assert sample.pci is None and sample.earfcn is None  # +XCESQ has levels only


@pytest.mark.parametrize("dialect", ["sierra", "fibocom"])
def test_forced_dialect_on_a_modem_without_the_command_keeps_3gpp(dialect: str) -> None:
    with serve([LTE], "3gpp") as sim:
        with Modem(sim.port_path) as modem:
            plain = modem.read_signal()
        with Modem(sim.port_path, dialect=dialect) as modem:
            forced = modem.read_signal()
    assert forced.dialect == dialect
    assert forced.sinr_db is None
    assert (forced.rsrp_dbm, forced.rsrq_db, forced.rssi_dbm, forced.tac) == (
        plain.rsrp_dbm,
        plain.rsrq_db,
        plain.rssi_dbm,
        plain.tac,
    )


@pytest.fixture
def peer() -> Iterator[Any]:
    made: list[Peer] = []

    def make(script: dict[str, list[str]]) -> Peer:
        made.append(Peer(script))
        return made[-1]

    yield make
    for p in made:
        p.close()


BASE = BASE_SCRIPT
#: An EM7455 answer (tabs and runs of spaces, RSRQ in whole dB).
GSTATUS = [
    "!GSTATUS: ",
    "Current Time:  22016\t\tTemperature: 40",
    "Reset Counter: 1\t\tMode:        ONLINE         ",
    "System mode:   LTE        \tPS state:    Attached     ",
    "LTE band:      B3     \tLTE bw:      20 MHz  ",
    "LTE Rx chan:   1850\t\tLTE Tx chan: 19850",
    "LTE CA state:  NOT ASSIGNED",
    "EMM state:     Registered     \tNormal Service ",
    "RRC state:     RRC Idle       ",
    "IMS reg state: No Srv  ",
    "PCC RxM RSSI:  -65\t\tRSRP (dBm):  -95",
    "PCC RxD RSSI:  -70\t\tRSRP (dBm):  -99",
    "Tx Power:      --\t\tTAC:         03E8 (1000)",
    "RSRQ (dB):     -10\t\tCell ID:     01A2D001 (27447297)",
    "SINR (dB):      7.4",
    "OK",
]


def test_sierra_whole_db_rsrq_never_replaces_half_db_cesq(peer: Any) -> None:
    script = {
        **BASE,
        "AT+CGMI": ["Sierra Wireless, Incorporated", "OK"],
        "AT+CGMM": ["EM7455", "OK"],
        "AT+CESQ": ["+CESQ: 99,99,255,255,19,46", "OK"],  # RSRQ -10.5 dB
        "AT!GSTATUS?": GSTATUS,
    }
    p = peer(script)
    with Modem(p.url) as modem:
        assert modem.dialect == "sierra"
        sample = modem.read_signal()
    assert sample.rsrq_db == -10.5  # !GSTATUS says -10: coarser, so +CESQ's stays
    assert (sample.rsrp_dbm, sample.rssi_dbm, sample.sinr_db) == (-95.0, -65.0, 7.4)  # RxM
    assert (sample.tac, sample.cell_id, sample.band, sample.earfcn) == (1000, 27447297, 3, 1850)


def test_fibocom_real_answers(peer: Any) -> None:
    script = {
        **BASE,
        "AT+CGMI": ['+CGMI: "FIBOCOM"', "OK"],
        "AT+CGMM": ['+CGMM: "L850-GL"', "OK"],
        "AT+CESQ": ["+CESQ: 99,99,255,255,20,46", "OK"],
        # an L860 with the four extra (NR) fields, all unknown
        "AT+XCESQ?": ["+XCESQ: 0,99,99,255,255,20,46,24,255,255,255,255", "OK"],
    }
    p = peer(script)
    with Modem(p.url) as modem:
        assert modem.dialect == "fibocom"
        sample = modem.read_signal()
    assert (sample.rsrp_dbm, sample.rsrq_db, sample.sinr_db, sample.rssi_dbm) == (
        -95.0,
        -10.0,
        12.0,
        -65.0,
    )


def test_fibocom_garbled_xcesq_leaves_the_3gpp_reading(peer: Any) -> None:
    script = {
        **BASE,
        "AT+CGMI": ["FIBOCOM", "OK"],
        "AT+CESQ": ["+CESQ: 99,99,255,255,20,46", "OK"],
        "AT+XCESQ?": ["+XCESQ: 0,99,99", "OK"],
    }
    p = peer(script)
    with Modem(p.url) as modem:
        sample = modem.read_signal()
    assert (sample.dialect, sample.rsrp_dbm, sample.sinr_db) == ("fibocom", -95.0, None)
