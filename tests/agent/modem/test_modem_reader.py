"""The reader against the simulated modem on a real pty."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from modemkit import LTE_STEP

from agent.modem.errors import PortBusy, PortUnavailable
from agent.modem.model import SignalSample, identity_to_proto, signal_to_proto
from agent.modem.reader import Modem, detect_dialect
from agent.sim.modem import SimModem
from agent.sim.scenario import Scenario, bundled_scenario, load_scenario
from pantau.v1 import records_pb2


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wait_until(condition: Callable[[], bool], timeout_s: float = 5) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def scenario(*steps: dict[str, Any], **top: Any) -> Scenario:
    return Scenario.from_dict({"steps": list(steps), **top})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@contextlib.contextmanager
def serve(sc: Scenario, dialect: str, clock: FakeClock) -> Iterator[SimModem]:
    sim = SimModem(sc, dialect, clock=clock)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def sim3gpp(clock: FakeClock) -> Iterator[SimModem]:
    with serve(scenario(LTE_STEP), "3gpp", clock) as sim:
        yield sim


@pytest.fixture
def simquectel(clock: FakeClock) -> Iterator[SimModem]:
    with serve(scenario(LTE_STEP), "quectel", clock) as sim:
        yield sim


def test_identity_and_lte_reading_3gpp(sim3gpp: SimModem) -> None:
    with Modem(sim3gpp.port_path, command_timeout_s=2) as modem:
        identity = modem.identity
        assert identity is not None
        assert identity.dialect == "3gpp"
        assert identity.port == sim3gpp.port_path
        assert (identity.manufacturer, identity.model) == ("Pantau", "SIM-3GPP")
        ident = sim3gpp.scenario.identity
        assert (identity.imei, identity.imsi, identity.iccid) == (
            ident.imei,
            ident.imsi,
            ident.iccid,
        )
        sample = modem.read_signal()
    assert sample == SignalSample(
        dialect="3gpp",
        rat="lte",
        reg_state="home",
        sim_state="ready",
        mcc="510",
        mnc="10",
        operator_name="Telkomsel",
        tac=0x3E8,
        cell_id=0x1A2D001,
        rssi_dbm=-65.0,
        rsrp_dbm=-95.0,
        rsrq_db=-10.0,
        csq=24,
    )
    # the setup and the 3GPP queries were asked
    for command in ("ATE0", "AT+CMEE=1", "AT+COPS=3,2", "AT+CPIN?", "AT+CSQ", "AT+CESQ"):
        assert command in sim3gpp.commands
    assert "AT+COPS?" in sim3gpp.commands
    assert "AT+CEREG?" in sim3gpp.commands
    msg = signal_to_proto(sample)
    assert msg.rat == records_pb2.RAT_LTE
    assert msg.HasField("rsrp_dbm")
    assert not msg.HasField("sinr_db")
    assert identity_to_proto(identity).imei == ident.imei


def test_quectel_reading_has_serving_cell(simquectel: SimModem) -> None:
    with Modem(simquectel.port_path, command_timeout_s=2) as modem:
        assert modem.identity is not None
        assert modem.identity.model == "EC25"
        assert modem.dialect == "quectel"
        sample = modem.read_signal()
    assert 'AT+QENG="servingcell"' in simquectel.commands
    assert (sample.pci, sample.earfcn, sample.band) == (123, 1850, 3)
    assert (sample.cell_id, sample.tac) == (0x1A2D001, 0x3E8)
    assert (sample.rsrp_dbm, sample.rsrq_db, sample.sinr_db, sample.rssi_dbm) == (
        -95.0,
        -10.0,
        12.0,
        -65.0,
    )
    assert sample.dialect == "quectel"


def test_forced_dialect_and_bad_dialect(simquectel: SimModem) -> None:
    with Modem(simquectel.port_path, dialect="3gpp") as modem:
        assert modem.read_signal().pci is None
    with pytest.raises(ValueError, match="dialect='nokia'"):
        Modem("loop://", dialect="nokia")


def test_sim_absent_is_a_reading(clock: FakeClock) -> None:
    sc = scenario(LTE_STEP, {"at_s": 10, "sim_state": "absent"})
    with serve(sc, "3gpp", clock) as sim:
        with Modem(sim.port_path) as modem:
            assert modem.read_signal().sim_state == "ready"
            clock.now += 10
            sample = modem.read_signal()
        assert sample.sim_state == "absent"
        assert sample.rat == "none"
        assert sample.reg_state == "not-registered"
        assert sample.mcc is None


def test_identity_without_sim(clock: FakeClock) -> None:
    sc = scenario({**LTE_STEP, "sim_state": "pin"})
    with serve(sc, "3gpp", clock) as sim, Modem(sim.port_path) as modem:
        assert modem.identity is not None
        assert modem.identity.imsi is None
        assert modem.identity.iccid is None
        assert modem.identity.imei is not None
        assert modem.read_signal().sim_state == "pin"


def test_no_service_then_back(clock: FakeClock) -> None:
    sc = load_scenario(bundled_scenario("no-service"))
    with serve(sc, "quectel", clock) as sim, Modem(sim.port_path) as modem:
        assert modem.read_signal().reg_state == "home"
        clock.now += 20
        lost = modem.read_signal()
        assert (lost.reg_state, lost.rat, lost.mcc) == ("searching", "none", None)
        assert lost.rsrp_dbm is None
        clock.now += 20
        back = modem.read_signal()
        assert (back.reg_state, back.rat, back.mnc) == ("home", "lte", "11")
        assert back.operator_name == "XL Axiata"


def test_umts_reading_asks_creg(clock: FakeClock) -> None:
    step = {
        "at_s": 0,
        "rat": "umts",
        "mnc": "01",
        "lac": 0x1A2B,
        "cell_id": 0xC3D4,
        "rscp_dbm": -85,
        "ecio_db": -7.5,
        "rssi_dbm": -71,
    }
    with serve(scenario(step), "3gpp", clock) as sim:
        with Modem(sim.port_path) as modem:
            sample = modem.read_signal()
        assert "AT+CREG?" in sim.commands
        assert (sample.rat, sample.lac, sample.tac, sample.cell_id) == (
            "umts",
            0x1A2B,
            None,
            0xC3D4,
        )
        assert (sample.rscp_dbm, sample.ecio_db, sample.rssi_dbm) == (-85.0, -7.5, -71.0)
        assert sample.operator_name == "Indosat Ooredoo Hutchison"


def test_faults_garbage_urcs_and_delay(clock: FakeClock) -> None:
    step = {**LTE_STEP, "garbage_bytes": 12, "urc_per_s": 100, "answer_delay_s": 0.01}
    with serve(scenario(step), "3gpp", clock) as sim:
        with Modem(sim.port_path) as modem:
            clock.now += 1
            sample = modem.read_signal()
            assert any(u.startswith("+CEREG:") for u in modem.port.urcs)
        assert (sample.rsrp_dbm, sample.reg_state, sample.tac) == (-95.0, "home", 0x3E8)


def test_vanished_port_raises_then_reopens(clock: FakeClock) -> None:
    sim = SimModem(scenario(LTE_STEP), "3gpp", clock=clock)
    sim.start()
    try:
        modem = Modem(sim.port_path, command_timeout_s=1)
        modem.open()
        sim.stop()
        with pytest.raises(PortUnavailable, match="vanished"):
            modem.read_signal()
        assert not modem.port.is_open
        with pytest.raises(PortUnavailable):
            modem.read_signal()  # tries to reopen: the pty is gone
        modem.close()
    finally:
        sim.stop()


def test_port_busy(sim3gpp: SimModem) -> None:
    with Modem(sim3gpp.port_path) as first:
        first.read_signal()
        with pytest.raises(PortBusy, match="ID_MM_PORT_IGNORE"):
            Modem(sim3gpp.port_path).open()


def test_missing_port() -> None:
    with pytest.raises(PortUnavailable, match="/dev/does-not-exist") as info:
        Modem("/dev/does-not-exist").open()
    assert not isinstance(info.value, PortBusy)


@pytest.mark.parametrize(
    ("maker", "model", "dialect"),
    [
        ("Quectel", "EC25", "quectel"),
        (None, "RM500Q-GL", "quectel"),
        ("SIMCOM INCORPORATED", "SIMCOM_SIM7600E-H", "simcom"),
        (None, "SIM7070G", "simcom"),
        ("huawei", "ME909s-120", "huawei"),
        ("Pantau", "SIM-3GPP", "3gpp"),
        (None, None, "3gpp"),
    ],
)
def test_detect_dialect(maker: str | None, model: str | None, dialect: str) -> None:
    assert detect_dialect(maker, model) == dialect


@pytest.mark.parametrize("dialect", ["simcom", "huawei"])
def test_simcom_and_huawei_readings(clock: FakeClock, dialect: str) -> None:
    with serve(scenario(LTE_STEP), dialect, clock) as sim:
        with Modem(sim.port_path) as modem:
            assert modem.dialect == dialect
            sample = modem.read_signal()
        assert sample.dialect == dialect
        assert (sample.rsrp_dbm, sample.rsrq_db, sample.sinr_db, sample.rssi_dbm) == (
            -95.0,
            -10.0,
            12.0,
            -65.0,
        )
        assert (sample.tac, sample.cell_id, sample.operator_name) == (0x3E8, 0x1A2D001, "Telkomsel")
        if dialect == "simcom":
            assert (sample.pci, sample.band, sample.earfcn) == (123, 3, 1850)
            assert "AT+CPSI?" in sim.commands
        else:
            assert "AT^HCSQ?" in sim.commands


def test_port_vanishes_and_comes_back(clock: FakeClock) -> None:
    sc = scenario(LTE_STEP, {"at_s": 10, "vanish_s": 5, "rsrp_dbm": -100})
    with serve(sc, "quectel", clock) as sim:
        modem = Modem(sim.port_path, command_timeout_s=0.5)
        try:
            assert modem.read_signal().rsrp_dbm == -95.0
            clock.now += 11
            assert wait_until(lambda: not sim.plugged.is_set())
            with pytest.raises(PortUnavailable, match="vanished"):
                modem.read_signal()
        finally:
            modem.close()
        clock.now += 5
        assert sim.plugged.wait(timeout=5)  # re-plugged; port_path names the new pty
        with Modem(sim.port_path) as again:
            assert again.read_signal().rsrp_dbm == -100.0
        assert sim.commands.count("ATE0") == 2  # set up again after the re-plug


def test_half_db_rsrq_survives_whole_db_qeng(clock: FakeClock) -> None:
    step = {**LTE_STEP, "rsrq_db": -11.5}
    with serve(scenario(step), "quectel", clock) as sim, Modem(sim.port_path) as modem:
        assert modem.read_signal().rsrq_db == -11.5  # +CESQ -11.5, +QENG says -11


@pytest.mark.parametrize("dialect", ["quectel", "simcom"])
def test_nsa_reading_keeps_both_cells(clock: FakeClock, dialect: str) -> None:
    step = {
        **LTE_STEP,
        "rat": "nr5g-nsa",
        "nr_pci": 501,
        "nr_arfcn": 627264,
        "nr_band": 78,
        "nr_rsrp_dbm": -88,
        "nr_rsrq_db": -11,
        "nr_sinr_db": 21,
    }
    with serve(scenario(step), dialect, clock) as sim, Modem(sim.port_path) as modem:
        sample = modem.read_signal()
    assert (sample.rat, sample.pci, sample.earfcn, sample.rsrp_dbm) == (
        "nr5g-nsa",
        123,
        1850,
        -95.0,
    )
    assert (sample.nr_pci, sample.nr_arfcn, sample.nr_rsrp_dbm) == (501, 627264, -88.0)
    msg = signal_to_proto(sample)
    assert (msg.rat, msg.pci, msg.earfcn) == (records_pb2.RAT_NR5G_NSA, 123, 1850)
    assert (msg.nr_pci, msg.nr_arfcn) == (501, 627264)
