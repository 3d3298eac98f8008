"""``pantau-agent modem read`` / ``detect``: the handlers against the simulated modem on a
real pty, silent ptys and missing paths; the CLI end to end once agent.modem.decode exists."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.modem import tools
from agent.sim.modem import SimModem
from agent.sim.scenario import Scenario
from pantau.v1 import records_pb2

REPO = Path(__file__).resolve().parents[3]
STEP: dict[str, Any] = {
    "at_s": 0,
    "mnc": "10",
    "tac": 0x3E8,
    "cell_id": 0x1A2D001,
    "pci": 123,
    "band": 3,
    "earfcn": 1850,
    "rssi_dbm": -65,
    "rsrp_dbm": -95,
    "rsrq_db": -10,
    "sinr_db": 14,
}


@pytest.fixture
def sim() -> Iterator[SimModem]:
    with SimModem(Scenario.from_dict({"steps": [STEP]}), "quectel") as modem:
        yield modem


@pytest.fixture
def silent_pty() -> Iterator[str]:
    """A pty nobody answers on (a GPS/diag port, a hung modem)."""
    master, slave = os.openpty()
    try:
        yield os.ttyname(slave)
    finally:
        os.close(master)
        os.close(slave)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pantau-agent modem")
    tools.add_parsers(parser.add_subparsers(dest="modem_command", required=True))
    return parser.parse_args(argv)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    args = parse(*argv)
    code = args.handler(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("rsrp", "grade"),
    [(-70, "excellent"), (-80, "excellent"), (-80.5, "good"), (-90, "good"), (-95, "fair"),
     (-100, "fair"), (-100.5, "poor"), (None, None)],
)  # fmt: skip
def test_rsrp_grades(rsrp: float | None, grade: str | None) -> None:
    assert tools.grade_rsrp(rsrp) == grade


@pytest.mark.parametrize(
    ("sinr", "grade"),
    [(25, "excellent"), (20, "excellent"), (19.8, "good"), (13, "good"), (12, "fair"),
     (0, "fair"), (-0.2, "poor")],
)  # fmt: skip
def test_sinr_grades(sinr: float, grade: str) -> None:
    assert tools.grade_sinr(sinr) == grade


def test_read_table(sim: SimModem, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "read", "--port", sim.port_path)
    assert (code, err) == (0, "")
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert rows["port"] == [sim.port_path]
    assert rows["model"] == ["EC25"]
    assert rows["dialect"] == ["quectel"]
    assert rows["rsrp_dbm"] == ["-95", "dBm", "fair"]
    assert rows["sinr_db"] == ["14", "dB", "good"]
    assert rows["cell_id"] == ["27447297", "(0x1A2D001)"]
    assert rows["operator_name"] == ["Telkomsel"]


def test_read_json_uses_signal_reading_names(
    sim: SimModem, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "read", "--port", sim.port_path, "--json", "--dialect", "3gpp")
    assert code == 0
    doc = json.loads(out)
    assert set(doc["reading"]) <= set(records_pb2.SignalReading.DESCRIPTOR.fields_by_name)
    assert doc["reading"]["rsrp_dbm"] == -95.0
    assert doc["reading"]["dialect"] == "3gpp"
    assert "pci" not in doc["reading"]  # 3gpp has no serving-cell command
    assert doc["identity"]["imei"] == sim.scenario.identity.imei
    assert doc["grades"] == {"rsrp": "fair"}
    assert doc["device"] == sim.port_path


def test_read_missing_port_fails_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "read", "--port", "/dev/ttyUSB99")
    assert (code, out) == (1, "")
    assert err.startswith("pantau-agent modem read: modem port /dev/ttyUSB99 is unavailable")
    assert "Traceback" not in err


def test_read_absent_usb_identity(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "read", "--port", "usb:2c7c:0125:if0f")
    assert code == 1
    assert "no tty has USB identity usb:2c7c:0125:if0f right now" in err
    code, _, err = run(capsys, "read", "--port", "usb:2c7c")
    assert code == 2
    assert "expected usb:VENDOR:PRODUCT" in err


def test_read_busy_port(sim: SimModem, capsys: pytest.CaptureFixture[str]) -> None:
    from agent.modem.reader import Modem

    with Modem(sim.port_path):
        code, _, err = run(capsys, "read", "--port", sim.port_path)
    assert code == 1
    assert "held by another process" in err and "ID_MM_PORT_IGNORE" in err


def test_read_timeout(silent_pty: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "read", "--port", silent_pty, "--timeout", "0.2")
    assert code == 1
    assert "command AT got no final result within 0.2 s" in err
    assert "Traceback" not in err


def test_detect_finds_the_at_port(
    sim: SimModem, silent_pty: str, capsys: pytest.CaptureFixture[str]
) -> None:
    candidates = [silent_pty, sim.port_path, "/dev/ttyUSB99"]
    code, out, _ = run(capsys, "detect", "--candidates", *candidates, "--timeout", "0.2")
    assert code == 0
    lines = out.splitlines()
    assert f"{silent_pty}: no answer to AT" in lines
    assert f"{sim.port_path}: AT port (model EC25)" in lines
    assert any(line.startswith("/dev/ttyUSB99: cannot open:") for line in lines)
    assert f'configure: [modem] port = "{sim.port_path}"  ({sim.port_path}, EC25)' in lines
    code, out, _ = run(capsys, "detect", "--candidates", sim.port_path, "--json")
    assert json.loads(out)["ports"][0]["model"] == "EC25"


def test_detect_skips_ports_modem_manager_holds(
    sim: SimModem, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY); "
            "open('/proc/self/comm', 'w').write('ModemManager'); print('ready', flush=True); "
            "sys.stdin.read()",
            sim.port_path,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        code, out, _ = run(capsys, "detect", "--candidates", sim.port_path)
    finally:
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.close()
        holder.wait(timeout=5)
        holder.stdout.close()
    assert code == 1
    assert f"held by ModemManager (pid {holder.pid}): not probed" in out
    assert 'ENV{ID_MM_PORT_IGNORE}="1"' in out
    assert sim.commands == []  # not probed


def test_detect_with_no_candidates(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(
        capsys, "detect", "--candidates", str(tmp_path / "tty*"), "--sysfs-root", str(tmp_path)
    )
    assert code == 1
    assert out.startswith("no candidate ports found")


def test_cli_modem_read(sim: SimModem) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "agent.cli", "modem", "read", "--port", sim.port_path, "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["reading"]["pci"] == 123
