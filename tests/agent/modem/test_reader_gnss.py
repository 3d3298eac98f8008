"""The reader's opt-in GNSS position: against the simulated modem (Quectel +QGPSLOC,
SIMCom +CGPSINFO / A76xx +CGNSSINFO) in both hemispheres, and against a scripted peer
that refuses everything GNSS."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from modemkit import Peer

from agent.modem.reader import Modem, gnss_commands
from agent.sim.modem import SimModem
from agent.sim.scenario import Scenario

JAKARTA = (-6.2088, 106.8456)  # south of the equator
MEDAN = (3.5952, 98.6722)  # north of it
KUPANG = (-10.1772, 123.607)

LTE: dict[str, Any] = {
    "at_s": 0,
    "rat": "lte",
    "reg_state": "home",
    "mcc": "510",
    "mnc": "10",
    "tac": 0x3E8,
    "cell_id": 0x1A2D001,
    "rssi_dbm": -65,
    "rsrp_dbm": -95,
    "rsrq_db": -10,
    "sinr_db": 12,
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextlib.contextmanager
def serve(
    steps: list[dict[str, Any]], dialect: str, clock: FakeClock | None = None, **top: Any
) -> Iterator[SimModem]:
    sc = Scenario.from_dict({"steps": steps, **top})
    sim = SimModem(sc, dialect, clock=clock or FakeClock())
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def at(lat_lon: tuple[float, float]) -> dict[str, Any]:
    return {"lat_deg": lat_lon[0], "lon_deg": lat_lon[1]}


@pytest.mark.parametrize("place", [JAKARTA, MEDAN], ids=["jakarta-south", "medan-north"])
def test_quectel_fix_in_both_hemispheres(place: tuple[float, float]) -> None:
    with serve([{**LTE, **at(place)}], "quectel") as sim:
        with Modem(sim.port_path, gnss=True) as modem:
            first = modem.read_signal()
            second = modem.read_signal()
        assert (first.lat_deg, first.lon_deg) == place  # QGPSLOC=2: 5 decimals, exact here
        assert (second.lat_deg, second.lon_deg) == place
        assert first.rsrp_dbm == -95.0 and first.pci is None  # the radio reading is intact
        # the receiver was off: asked and switched on once per connection
        assert sim.commands.count("AT+QGPS?") == 1
        assert sim.commands.count("AT+QGPS=1") == 1
        assert sim.commands.count("AT+QGPSLOC=2") == 2


@pytest.mark.parametrize("place", [JAKARTA, MEDAN], ids=["jakarta-south", "medan-north"])
def test_simcom_cgpsinfo_fix_in_both_hemispheres(place: tuple[float, float]) -> None:
    with serve([{**LTE, **at(place)}], "simcom") as sim:
        with Modem(sim.port_path, gnss=True) as modem:
            sample = modem.read_signal()
        assert sample.lat_deg == pytest.approx(place[0], abs=1e-7)  # ddmm.mmmmmm, N/S
        assert sample.lon_deg == pytest.approx(place[1], abs=1e-7)
        assert (sample.lat_deg or 0) * place[0] > 0  # the hemisphere letter was applied
        assert [c for c in sim.commands if c.startswith("AT+CGPS")] == [
            "AT+CGPS?",
            "AT+CGPS=1",
            "AT+CGPSINFO",
        ]


def test_simcom_a76xx_uses_cgnssinfo_in_decimal_degrees() -> None:
    steps = [{**LTE, **at(KUPANG)}]
    with serve(steps, "simcom", identity={"model": "A7670E-LASE"}) as sim:
        with Modem(sim.port_path, gnss=True) as modem:
            assert modem.dialect == "simcom"
            sample = modem.read_signal()
        assert (sample.lat_deg, sample.lon_deg) == KUPANG
        assert "AT+CGNSSPWR=1" in sim.commands and "AT+CGNSSINFO" in sim.commands
        assert "AT+CGPSINFO" not in sim.commands


@pytest.mark.parametrize("dialect", ["quectel", "simcom"])
def test_no_fix_is_absent_not_an_error(dialect: str) -> None:
    clock = FakeClock()
    steps = [LTE, {"at_s": 10, **at(JAKARTA)}, {"at_s": 20, "gnss_fix": False}]
    with serve(steps, dialect, clock) as sim, Modem(sim.port_path, gnss=True) as modem:
        none_yet = modem.read_signal()  # no position in the scenario: 516 / empty fields
        assert (none_yet.lat_deg, none_yet.lon_deg) == (None, None)
        assert none_yet.rsrp_dbm == -95.0
        clock.now += 10
        fixed = modem.read_signal()
        assert fixed.lat_deg == pytest.approx(JAKARTA[0], abs=1e-7)
        clock.now += 10
        lost = modem.read_signal()  # the fix is lost (a tunnel): absent again
        assert (lost.lat_deg, lost.lon_deg) == (None, None)


def test_gnss_is_opt_in_and_only_for_dialects_that_have_it() -> None:
    with serve([{**LTE, **at(JAKARTA)}], "quectel") as sim:
        with Modem(sim.port_path) as modem:
            assert modem.read_signal().lat_deg is None
        assert not any(c.startswith("AT+QGPS") for c in sim.commands)
    for dialect in ("3gpp", "huawei", "sierra", "fibocom"):
        assert gnss_commands(dialect, None) is None
        with serve([{**LTE, **at(JAKARTA)}], dialect) as sim:
            with Modem(sim.port_path, gnss=True) as modem:
                sample = modem.read_signal()
            assert (sample.lat_deg, sample.rsrp_dbm) == (None, -95.0)


def test_receiver_is_checked_again_after_a_stale_identity() -> None:
    with serve([{**LTE, **at(MEDAN)}], "quectel") as sim:
        with Modem(sim.port_path, gnss=True) as modem:
            modem.read_signal()
            modem.mark_stale()
            assert modem.read_signal().lat_deg == MEDAN[0]
        assert sim.commands.count("AT+QGPS?") == 2
        assert sim.commands.count("AT+QGPS=1") == 1  # still on: not switched on again


QUECTEL_BASE = {
    "AT": "OK",
    "ATE0": "OK",
    "AT+CMEE=1": "OK",
    "AT+CGMI": "Quectel|OK",
    "AT+CGMM": "EC25|OK",
    "AT+CPIN?": "+CPIN: READY|OK",
    "AT+CESQ": "+CESQ: 99,99,255,255,20,46|OK",
}


@pytest.fixture
def peers() -> Iterator[list[Peer]]:
    made: list[Peer] = []
    yield made
    for peer in made:
        peer.close()


def test_refusals_are_tolerated(peers: list[Peer], caplog: pytest.LogCaptureFixture) -> None:
    script = {
        **QUECTEL_BASE,
        "AT+QGPS?": "ERROR",
        "AT+QGPS=1": "+CME ERROR: 3",
        "AT+QGPSLOC=2": "+CME ERROR: 505",
    }
    peer = Peer(script)
    peers.append(peer)
    caplog.set_level(logging.INFO, logger="agent.modem.reader")
    with Modem(peer.url, gnss=True) as modem:
        assert modem.dialect == "quectel"
        first, second = modem.read_signal(), modem.read_signal()
    assert (first.lat_deg, second.lon_deg, first.rsrp_dbm) == (None, None, -95.0)
    assert peer.received.count("AT+QGPS=1") == 1  # once per connection, not per reading
    assert peer.received.count("AT+QGPSLOC=2") == 2
    assert "GNSS not switched on (tolerated)" in caplog.text


def test_receiver_already_on_and_malformed_answer(
    peers: list[Peer], caplog: pytest.LogCaptureFixture
) -> None:
    script = {
        **QUECTEL_BASE,
        "AT+QGPS?": "+QGPS: 1|OK",
        "AT+QGPSLOC=2": "+QGPSLOC: 024603.0,-96.10000,106.84560,0.9,32.1,3,0.00,0.0,0.0,140224,09|OK",
    }
    peer = Peer(script)
    peers.append(peer)
    with Modem(peer.url, gnss=True) as modem:
        sample = modem.read_signal()
    assert sample.lat_deg is None and sample.rsrq_db == -10.0
    assert "AT+QGPS=1" not in peer.received
    assert "unparsable answer" in caplog.text


def test_real_simcom_answer_with_fix(peers: list[Peer]) -> None:
    """A SIM7600 capture: GPS on already, +CGPSINFO in NMEA with S and E."""
    script = {
        **QUECTEL_BASE,
        "AT+CGMI": "SIMCOM INCORPORATED|OK",
        "AT+CGMM": "SIMCOM_SIM7600E-H|OK",
        "AT+CGPS?": "+CGPS: 1,1|OK",
        "AT+CGPSINFO": "+CGPSINFO: 0612.528000,S,10650.736000,E,140224,024603.0,32.1,0.0,0|OK",
    }
    peer = Peer(script)
    peers.append(peer)
    with Modem(peer.url, gnss=True) as modem:
        sample = modem.read_signal()
    assert (sample.lat_deg, sample.lon_deg) == JAKARTA
    assert "AT+CGPS=1" not in peer.received
