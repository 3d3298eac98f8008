"""The simulated modem: encoders round-trip through the parsers; the pty behaves like a
modem (echo until ATE0, errors per +CMEE); serve_cli prints the path and stops on
SIGTERM."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.modem import fibocom, gnss, parsers, sierra
from agent.modem.vendors import parse_cpsi
from agent.sim.encode import (
    encode_cesq,
    encode_cgnssinfo,
    encode_cgpsinfo,
    encode_cpsi,
    encode_csq,
    encode_gstatus,
    encode_qeng,
    encode_qgpsloc,
    encode_registration,
    encode_xcesq,
    nmea_coordinate,
)
from agent.sim.modem import SimModem
from agent.sim.responder import SessionSettings, answer
from agent.sim.scenario import RadioState, Scenario, ScenarioIdentity, bundled_scenario

REPO = Path(__file__).resolve().parents[3]


@given(
    rsrp=st.integers(-141, -44),
    rsrq2=st.integers(-40, -6),
    rssi2=st.integers(-56, -25),
)
def test_lte_values_round_trip_exactly(rsrp: int, rsrq2: int, rssi2: int) -> None:
    state = RadioState(rsrp_dbm=rsrp, rsrq_db=rsrq2 / 2, rssi_dbm=rssi2 * 2 - 1)
    cesq = parsers.parse_cesq([encode_cesq(state)])
    assert (cesq.rsrp_dbm, cesq.rsrq_db) == (rsrp, rsrq2 / 2)
    assert parsers.parse_csq([encode_csq(state)]).rssi_dbm == rssi2 * 2 - 1


@given(rscp=st.integers(-121, -25), ecio2=st.integers(-49, 0))
def test_umts_values_round_trip_exactly(rscp: int, ecio2: int) -> None:
    state = RadioState(rat="umts", rscp_dbm=rscp, ecio_db=ecio2 / 2)
    cesq = parsers.parse_cesq([encode_cesq(state)])
    assert (cesq.rscp_dbm, cesq.ecno_db, cesq.rsrp_dbm) == (rscp, ecio2 / 2, None)


@given(sinr5=st.integers(-100, 150), model=st.sampled_from(["EC25", "RM500Q"]))
def test_qeng_sinr_round_trips_per_model(sinr5: int, model: str) -> None:
    sinr = sinr5 / 5 if model == "EC25" else float(sinr5 // 5)
    state = RadioState(rsrp_dbm=-90, sinr_db=sinr, cell_id=0x1A2D001, tac=0x3E8, pci=1)
    cell = parsers.parse_qeng_servingcell(
        encode_qeng(state, model), sinr_scaled=parsers.quectel_sinr_scaled(model)
    )
    assert cell.sinr_db == sinr
    assert (cell.cell_id, cell.tac, cell.pci, cell.rsrp_dbm) == (0x1A2D001, 0x3E8, 1, -90.0)


NSA = RadioState(
    rat="nr5g-nsa",
    tac=0x3E8,
    cell_id=0x1A2D001,
    pci=123,
    earfcn=1850,
    band=3,
    rsrp_dbm=-95,
    nr_pci=501,
    nr_arfcn=627264,
    nr_band=78,
    nr_rsrp_dbm=-88,
    nr_rsrq_db=-11,
    nr_sinr_db=21,
)


def _has_both_cells(cell: parsers.ServingCell) -> None:
    """The LTE anchor's cell and the NR cell's own PCI / ARFCN / levels, from NSA."""
    anchor = (cell.rat, cell.pci, cell.earfcn, cell.rsrp_dbm)
    nr = (cell.nr_pci, cell.nr_arfcn, cell.nr_rsrp_dbm, cell.nr_rsrq_db, cell.nr_sinr_db)
    assert (anchor, nr) == (("nr5g-nsa", 123, 1850, -95.0), (501, 627264, -88.0, -11.0, 21.0))


@pytest.mark.parametrize("model", ["EC25", "RM500Q-GL"])
def test_qeng_nsa_answer_keeps_both_cells(model: str) -> None:
    lines = encode_qeng(NSA, model)
    assert lines[2] == '+QENG: "NR5G-NSA",510,10,501,-88,21,-11,627264,78'
    cell = parsers.parse_qeng_servingcell(lines)
    _has_both_cells(cell)


@pytest.mark.parametrize(
    ("model", "nr_line"),
    [
        ("SIMCOM_SIM8200EA-M2", "+CPSI: NR5G_NSA,501,NR5G_BAND78,627264,-880,-110,210"),
        ("SIM7070G", "+CPSI: NR5G_NSA,501,NR5G_BAND78,627264,-88,-11,21"),
    ],
)
def test_cpsi_nsa_answer_keeps_both_cells(model: str, nr_line: str) -> None:
    lines = encode_cpsi(NSA, model)
    assert lines[1] == nr_line
    cell = parse_cpsi(lines)  # no model given: the values show the unit
    _has_both_cells(cell)
    assert encode_cpsi(replace(NSA, rat="lte"), model) == lines[:1]


def test_between_codes_rounds_to_nearest() -> None:
    assert encode_csq(RadioState(rssi_dbm=-64)) == "+CSQ: 25,99"  # -63 dBm
    assert encode_csq(RadioState(rat="none", rssi_dbm=-64)) == "+CSQ: 99,99"
    assert encode_cesq(RadioState(rsrp_dbm=-200)) == "+CESQ: 99,99,255,255,255,0"


def test_registration_forms() -> None:
    state = RadioState(tac=0x3E8, cell_id=0x1A2D001)
    assert encode_registration(state, "CEREG", 0) == "+CEREG: 0,1"
    line = encode_registration(state, "CEREG", 2)
    assert line == '+CEREG: 2,1,"03E8","01A2D001",7'
    assert parsers.parse_registration(line, form="read").cell_id == 0x1A2D001
    assert encode_registration(state, "CREG", 2) == "+CREG: 2,0"  # LTE: not on CS
    absent = RadioState(sim_state="absent")
    assert encode_registration(absent, "CEREG", 2) == "+CEREG: 2,0"


def test_answers_follow_cmee() -> None:
    state, ident = RadioState(sim_state="absent"), ScenarioIdentity()
    settings = SessionSettings()
    assert answer("AT+CPIN?", state, ident, "3gpp", settings).final == "ERROR"
    answer("AT+CMEE=2", state, ident, "3gpp", settings)
    assert answer("AT+CPIN?", state, ident, "3gpp", settings).final == (
        "+CME ERROR: SIM not inserted"
    )
    answer("AT+CMEE=1", state, ident, "3gpp", settings)
    assert answer("AT+CIMI", state, ident, "3gpp", settings).final == "+CME ERROR: 10"
    assert answer('AT+QENG="servingcell"', state, ident, "3gpp", settings).final == "ERROR"
    assert answer("AT+FOO", state, ident, "quectel", settings).final == "ERROR"
    assert answer("ATI", RadioState(), ident, "quectel", settings).lines == [
        "Quectel",
        "EC25",
        "Revision: EC25EFAR06A06M4G",
    ]


def talk(fd: int, data: bytes, expect: bytes, timeout_s: float = 3.0) -> bytes:
    os.write(fd, data)
    out = b""
    deadline = time.monotonic() + timeout_s
    while expect not in out and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            out += os.read(fd, 1024)
    return out


def test_pty_echo_until_ate0_and_unknown_commands() -> None:
    sc = Scenario.from_dict({"steps": [{"at_s": 0, "rsrp_dbm": -95}]})
    with SimModem(sc, "3gpp") as sim:
        fd = os.open(sim.port_path, os.O_RDWR | os.O_NOCTTY)
        try:
            assert talk(fd, b"AT+CSQ\r", b"OK\r\n") == b"AT+CSQ\r\r\n+CSQ: 99,99\r\n\r\nOK\r\n"
            assert talk(fd, b"ATE0\r", b"OK\r\n") == b"ATE0\r\r\nOK\r\n"
            assert talk(fd, b"AT+CESQ\r", b"OK\r\n") == (
                b"\r\n+CESQ: 99,99,255,255,255,46\r\n\r\nOK\r\n"
            )
            assert talk(fd, b"AT+NOPE\r", b"ERROR\r\n") == b"\r\nERROR\r\n"
        finally:
            os.close(fd)
        assert sim.commands == ["AT+CSQ", "ATE0", "AT+CESQ", "AT+NOPE"]
    sim.stop()  # idempotent
    with pytest.raises(RuntimeError, match="call start"):
        _ = SimModem(sc).port_path
    with pytest.raises(ValueError, match="the simulator speaks"):
        SimModem(sc, "nokia")


def test_serve_cli_prints_path_and_stops_on_sigterm() -> None:
    code = (
        "import sys; from agent.sim.modem import serve_cli; "
        "sys.exit(serve_cli(sys.argv[1], sys.argv[2]))"
    )
    scenario = str(bundled_scenario("strong-lte"))
    with subprocess.Popen(
        [sys.executable, "-c", code, "quectel", scenario],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        path = proc.stdout.readline().strip()
        assert path.startswith("/dev/pts/")
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        try:
            assert b"EC25" in talk(fd, b"AT+CGMM\r", b"OK\r\n")
        finally:
            os.close(fd)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stderr is not None
        assert proc.stderr.read() == ""


def test_serve_cli_bad_scenario(tmp_path: Path) -> None:
    from agent.sim.modem import serve_cli

    bad = tmp_path / "bad.toml"
    bad.write_text("[[steps]]\nat_s = 3\n")
    assert serve_cli("3gpp", str(bad)) == 2


class StepClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wait_for(condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_link_path_follows_the_pty_across_a_vanish(tmp_path: Path) -> None:
    link = tmp_path / "by-id" / "usb-Quectel_EC25-if02-port0"
    link.parent.mkdir()
    clock = StepClock()
    sc = Scenario.from_dict({"steps": [{"at_s": 0}, {"at_s": 10, "vanish_s": 5}]})
    with SimModem(sc, "quectel", clock=clock, link_path=link) as sim:
        assert str(link.readlink()) == sim.port_path
        fd = os.open(link, os.O_RDWR | os.O_NOCTTY)
        try:
            assert b"EC25" in talk(fd, b"AT+CGMM\r", b"OK\r\n")
        finally:
            os.close(fd)
        clock.now += 10
        assert wait_for(lambda: not sim.plugged.is_set())
        assert not link.exists() and not link.is_symlink()
        clock.now += 5
        assert sim.plugged.wait(5)
        assert str(link.readlink()) == sim.port_path
        fd = os.open(link, os.O_RDWR | os.O_NOCTTY)
        try:
            assert b"EC25" in talk(fd, b"AT+CGMM\r", b"OK\r\n")
        finally:
            os.close(fd)
    assert not link.is_symlink()  # stop() unplugs
    assert sorted(p.name for p in link.parent.iterdir()) == []


def test_urcs_keep_their_rate_between_commands() -> None:
    """100 URCs a second on the sim's clock: each 10 ms of it brings one, between
    commands too (driven clock: the count does not depend on how busy the machine is)."""
    clock = StepClock()
    sc = Scenario.from_dict({"steps": [{"at_s": 0, "urc_per_s": 100}]})
    with SimModem(sc, clock=clock) as sim:
        fd = os.open(sim.port_path, os.O_RDWR | os.O_NOCTTY)
        out = b""
        try:
            assert wait_for(lambda: sim.urcs_sent == 0 and sim._next_urc_at is not None)
            for step in range(1, 51):
                clock.now += 0.01
                deadline = time.monotonic() + 5
                while out.count(b"+CEREG: 1") < step and time.monotonic() < deadline:
                    ready, _, _ = select.select([fd], [], [], 0.05)
                    if ready:
                        out += os.read(fd, 4096)
                if step == 25:  # a command in the middle: the URCs go on after it
                    answer = talk(fd, b"AT\r", b"OK\r\n")
                    assert b"OK" in answer
                    out += answer
            while select.select([fd], [], [], 0.2)[0]:  # nothing more is due
                out += os.read(fd, 4096)
        finally:
            os.close(fd)
    assert out.count(b"+CEREG: 1") == 50
    assert sim.urcs_sent == 50


def test_delay_only_the_listed_commands() -> None:
    sc = Scenario.from_dict(
        {"steps": [{"at_s": 0, "answer_delay_s": 0.5, "delay_commands": ["AT+CSQ"]}]}
    )
    with SimModem(sc) as sim:
        fd = os.open(sim.port_path, os.O_RDWR | os.O_NOCTTY)
        try:
            started = time.monotonic()
            assert b"OK" in talk(fd, b"ATE0\r", b"OK\r\n")
            fast = time.monotonic() - started
            assert b"+CSQ:" in talk(fd, b"AT+CSQ\r", b"OK\r\n")
            slow = time.monotonic() - started - fast
        finally:
            os.close(fd)
    assert fast < 0.3
    assert slow >= 0.5


def test_the_same_modem_over_a_tcp_socket_url() -> None:
    """transport="tcp" serves socket://127.0.0.1:PORT; the reader takes it unchanged."""
    from agent.modem.reader import Modem

    scenario = Scenario.from_dict(
        {"steps": [{"at_s": 0, "rat": "lte", "reg_state": "home", "mcc": "510", "mnc": "10",
                    "rsrp_dbm": -97, "rsrq_db": -12.5, "sinr_db": 9, "pci": 77, "earfcn": 1850}]}
    )  # fmt: skip
    with SimModem(scenario, "quectel", transport="tcp") as sim:
        assert sim.port_path.startswith("socket://127.0.0.1:")
        for _ in range(2):  # a second client after the first hung up gets a fresh session
            with Modem(sim.port_path, command_timeout_s=3) as modem:
                identity = modem.open()
                sample = modem.read_signal()
            assert identity.model == "EC25" and identity.dialect == "quectel"
            assert (sample.rsrp_dbm, sample.rsrq_db, sample.sinr_db) == (-97.0, -12.5, 9.0)
            assert (sample.pci, sample.earfcn, sample.mcc, sample.mnc) == (77, 1850, "510", "10")


# -- GNSS, Sierra, Fibocom ---------------------------------------------------------------

LAT = st.floats(-90, 90, allow_nan=False)
LON = st.floats(-180, 180, allow_nan=False)


@given(lat=LAT, lon=LON)
def test_gnss_answers_round_trip(lat: float, lon: float) -> None:
    for mode, tolerance in ((2, 6e-6), (1, 1e-7), (0, 1e-6)):
        fix = gnss.parse_qgpsloc([encode_qgpsloc(lat, lon, mode)])
        assert fix.lat_deg == pytest.approx(lat, abs=tolerance)
        assert fix.lon_deg == pytest.approx(lon, abs=tolerance)
    for fix in (
        gnss.parse_cgpsinfo([encode_cgpsinfo(lat, lon)]),
        gnss.parse_cgnssinfo(
            [encode_cgnssinfo(lat, lon, "SIMCOM_SIM7600E-H")], coord_format="ddmm"
        ),
        gnss.parse_cgnssinfo([encode_cgnssinfo(lat, lon, "A7670E")], coord_format="decimal"),
    ):
        assert fix.lat_deg == pytest.approx(lat, abs=1e-7)
        assert fix.lon_deg == pytest.approx(lon, abs=1e-7)


def test_gnss_answers_in_the_real_formats() -> None:
    assert nmea_coordinate(-6.2088, 2, 6) == ("0612.528000", True)
    assert nmea_coordinate(3.6, 2, 4) == ("0336.0000", False)
    assert nmea_coordinate(106.99999999999, 3, 6) == ("10700.000000", False)  # carries
    assert encode_qgpsloc(-6.2088, 106.8456) == (
        "+QGPSLOC: 024603.0,-6.20880,106.84560,0.9,32.1,3,0.00,0.0,0.0,140224,09"
    )
    assert encode_qgpsloc(3.6, 98.6667, 0).startswith("+QGPSLOC: 024603.0,0336.0000N,09840.0020E,")
    assert encode_cgpsinfo(-6.2088, 106.8456) == (
        "+CGPSINFO: 0612.528000,S,10650.736000,E,140224,024603.0,32.1,0.0,0.0"
    )
    assert encode_cgpsinfo(None, None) == "+CGPSINFO: ,,,,,,,,"
    assert gnss.parse_cgnssinfo([encode_cgnssinfo(None, None, "A7670E")]) == gnss.NO_FIX


def test_quectel_gnss_session() -> None:
    ident, settings = ScenarioIdentity(), SessionSettings(cmee=1)
    here = RadioState(lat_deg=3.6, lon_deg=98.6667)

    def ask(command: str, state: RadioState = here) -> tuple[list[str], str]:
        reply = answer(command, state, ident, "quectel", settings)
        return reply.lines, reply.final

    assert ask("AT+QGPS?") == (["+QGPS: 0"], "OK")
    assert ask("AT+QGPSLOC=2") == ([], "+CME ERROR: 505")  # receiver off
    assert ask("AT+QGPS=1") == ([], "OK")
    assert ask("AT+QGPS=1") == ([], "+CME ERROR: 504")  # already on
    assert ask("AT+QGPS?") == (["+QGPS: 1"], "OK")
    lines, final = ask("AT+QGPSLOC=2")
    assert final == "OK" and gnss.parse_qgpsloc(lines).lat_deg == 3.6
    assert ask("AT+QGPSLOC=2", RadioState()) == ([], "+CME ERROR: 516")  # no position
    assert ask("AT+QGPSLOC=2", replace(here, gnss_fix=False)) == ([], "+CME ERROR: 516")
    settings.cmee = 2
    assert ask("AT+QGPSLOC=2", RadioState())[1] == "+CME ERROR: Not fixed now"
    settings.cmee = 0
    assert ask("AT+QGPSLOC=2", RadioState())[1] == "ERROR"
    assert ask("AT+QGPSEND") == ([], "OK")
    assert answer("AT+QGPSLOC=2", here, ident, "simcom", settings).final == "ERROR"


def test_simcom_gnss_session() -> None:
    ident, settings = ScenarioIdentity(), SessionSettings(cmee=1)
    here = RadioState(lat_deg=-6.2088, lon_deg=106.8456)
    assert answer("AT+CGPS?", here, ident, "simcom", settings).lines == ["+CGPS: 0,1"]
    off = answer("AT+CGPSINFO", here, ident, "simcom", settings)
    assert gnss.parse_cgpsinfo(off.lines) == gnss.NO_FIX  # off: empty fields, not an error
    assert answer("AT+CGPS=1", here, ident, "simcom", settings).final == "OK"
    assert answer("AT+CGPS=1", here, ident, "simcom", settings).final == "ERROR"  # already on
    on = answer("AT+CGPSINFO", here, ident, "simcom", settings)
    assert gnss.parse_cgpsinfo(on.lines).lat_deg == -6.2088
    info = answer("AT+CGNSSINFO", here, ident, "simcom", settings)
    assert gnss.parse_cgnssinfo(info.lines).lon_deg == 106.8456
    assert answer("AT+CGNSSPWR?", here, ident, "simcom", settings).lines == ["+CGNSSPWR: 1"]
    assert answer("AT+CGPS=0", here, ident, "simcom", settings).final == "OK"
    assert answer("AT+CGPS?", here, ident, "quectel", settings).final == "ERROR"


def test_gstatus_and_xcesq_round_trip() -> None:
    state = RadioState(
        tac=0x3E8, cell_id=0x1A2D001, earfcn=1850, band=3, rssi_dbm=-65, rsrp_dbm=-95,
        rsrq_db=-11.5, sinr_db=-3.2,
    )  # fmt: skip
    cell = sierra.parse_gstatus(encode_gstatus(state))
    assert (cell.rat, cell.tac, cell.cell_id, cell.earfcn, cell.band) == (
        "lte", 0x3E8, 0x1A2D001, 1850, 3,
    )  # fmt: skip
    assert (cell.rssi_dbm, cell.rsrp_dbm, cell.rsrq_db, cell.sinr_db) == (-65, -95, -11.5, -3.2)
    assert sierra.parse_gstatus(encode_gstatus(RadioState(rat="none"))).rat == "none"
    gsm = sierra.parse_gstatus(encode_gstatus(RadioState(rat="gsm", cell_id=0x1234)))
    assert (gsm.rat, gsm.cell_id) == ("gsm", 0x1234)
    x = fibocom.parse_xcesq(encode_xcesq(state))
    assert (x.rsrp_dbm, x.rsrq_db, x.sinr_db) == (-95.0, -11.5, -3.0)  # SINR in half dB
    assert fibocom.parse_xcesq(encode_xcesq(replace(state, sinr_db=None))).sinr_db is None
    assert fibocom.parse_xcesq(encode_xcesq(replace(state, rat="umts"))).sinr_db is None
    ident, settings = ScenarioIdentity(), SessionSettings()
    assert answer("AT!GSTATUS?", state, ident, "sierra", settings).lines[0] == "!GSTATUS:"
    assert answer("AT!GSTATUS?", state, ident, "quectel", settings).final == "ERROR"
    assert answer("AT+XCESQ?", state, ident, "fibocom", settings).lines[0].startswith("+XCESQ:")
    assert answer("AT+XCESQ?", state, ident, "sierra", settings).final == "ERROR"
    assert answer("AT+CGMM", state, ident, "sierra", settings).lines == ["EM7455"]
    assert answer("AT+CGMI", state, ident, "fibocom", settings).lines == ["FIBOCOM"]
