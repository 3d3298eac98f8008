"""``pantau-agent modem read`` / ``detect`` in the technician's language: the real CLI
against a simulated modem on a real pty, and against a port that does not exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from agent.sim.modem import SimModem
from agent.sim.scenario import Scenario

AGENT = str(Path(sys.executable).with_name("pantau-agent"))
LTE = {"steps": [{"at_s": 0, "rat": "lte", "reg_state": "home", "mcc": "510", "mnc": "10",
                  "rsrp_dbm": -85, "rsrq_db": -8, "sinr_db": 18}]}  # fmt: skip
ENGLISH = re.compile(r"\b(no|such|file|directory|cannot|open|answer|port|found|held)\b", re.I)


def modem(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AGENT, "modem", *argv], capture_output=True, text=True, timeout=60, check=False
    )


def test_read_grades_in_indonesian() -> None:
    sim = SimModem(Scenario.from_dict(LTE), "quectel")
    sim.start()
    try:
        id_ = modem("read", "--port", sim.port_path, "--lang", "id")
        en = modem("read", "--port", sim.port_path, "--lang", "en")
    finally:
        sim.stop()
    assert id_.returncode == 0, id_.stderr
    assert re.search(r"rsrp_dbm\s+-85 dBm\s+baik$", id_.stdout, re.M), id_.stdout
    assert re.search(r"rsrp_dbm\s+-85 dBm\s+good$", en.stdout, re.M), en.stdout


def test_errors_and_detect_in_indonesian(tmp_path: Path) -> None:
    missing = str(tmp_path / "ttyUSB9")
    id_ = modem("read", "--port", missing, "--lang", "id")
    assert id_.returncode == 1
    prefix = f"pantau-agent modem read: {missing}: "
    assert id_.stderr.startswith(prefix), id_.stderr
    message = id_.stderr.strip().removeprefix(prefix)
    assert message and not ENGLISH.search(message), id_.stderr
    en = modem("read", "--port", missing, "--lang", "en")
    assert en.returncode == 1 and "ttyUSB9" in en.stderr  # English keeps the raw words

    detect = modem("detect", "--candidates", missing, "--lang", "id",
                   "--sysfs-root", str(tmp_path))  # fmt: skip
    assert detect.returncode == 1
    assert "tidak ada port yang menjawab AT+CGMM dengan nama model" in detect.stdout
    line = detect.stdout.splitlines()[0].removeprefix(f"{missing}: ")
    assert not ENGLISH.search(line), detect.stdout
    none = modem("detect", "--candidates", str(tmp_path / "nothing*"), "--lang", "id",
                 "--sysfs-root", str(tmp_path))  # fmt: skip
    assert "tidak ada port yang bisa dicoba" in none.stdout
    bad = modem("detect", "--lang", "fr")
    assert bad.returncode == 2 and "language must be one of" in bad.stderr
