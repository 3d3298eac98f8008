"""Several simulated modems at once (a kit with a modem per operator)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import serial

from agent.sim.kit import SimKit, SimSlot, parse_slot
from agent.sim.scenario import ScenarioError


def ask(port: str, command: bytes) -> bytes:
    with serial.serial_for_url(port, timeout=2) as s:
        s.write(command + b"\r")
        out = b""
        while b"OK" not in out and b"ERROR" not in out:
            chunk = s.read(64)
            if not chunk:
                break
            out += chunk
    return out


def test_each_modem_answers_from_its_own_scenario(tmp_path: Path) -> None:
    slots = [parse_slot("tsel=strong-lte:quectel"), parse_slot("xl=xl-no-service")]
    with SimKit(slots, link_dir=tmp_path) as kit:
        ports = kit.start()
        assert ports == {"tsel": str(tmp_path / "tsel"), "xl": str(tmp_path / "xl")}
        assert b"51010" in ask(ports["tsel"], b"AT+CIMI")
        assert b"51011" in ask(ports["xl"], b"AT+CIMI")
        kit.unplug("xl")
        assert not (tmp_path / "xl").exists()  # its port is gone, the other's is not
        assert b"OK" in ask(ports["tsel"], b"AT")
        tables = tomllib.loads(kit.modems_toml(ports, interfaces={"tsel": "wwan0"}))
    assert tables["modems"] == [
        {"name": "tsel", "port": ports["tsel"], "dialect": "quectel", "interval_s": 30.0,
         "interface": "wwan0"},
        {"name": "xl", "port": ports["xl"], "dialect": "3gpp", "interval_s": 30.0},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([], "a kit holds 1 to 3 modems, got 0"),
        (["a=strong-lte"] * 2, "modem names must differ, got ['a', 'a']"),
        (["a=strong-lte", "b=strong-lte", "c=strong-lte", "d=strong-lte"], "got 4"),
    ],
)
def test_a_kit_is_one_to_three_modems_with_their_own_names(specs: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        SimKit([parse_slot(s) for s in specs])


def test_bad_modem_specs() -> None:
    with pytest.raises(ValueError, match="expected NAME=SCENARIO"):
        parse_slot("tsel")
    with pytest.raises(ValueError, match="dialect 'nokia' is not one of"):
        parse_slot("tsel=strong-lte:nokia")
    with pytest.raises(ScenarioError, match="no bundled scenario named 'nope'"):
        parse_slot("tsel=nope")
    assert isinstance(parse_slot("x=weak-signal"), SimSlot)


def test_the_cli_prints_the_modems_tables_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "sim-kit", "--modem", "tsel=strong-lte",
         "--modem", "isat=indosat-fading", "--link-dir", str(tmp_path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = []
        while len([line for line in lines if line.startswith("[[modems]]")]) < 2 or lines[-1]:
            lines.append(proc.stdout.readline().rstrip("\n"))
        tables = tomllib.loads("\n".join(lines))
        assert [(m["name"], m["port"]) for m in tables["modems"]] == [
            ("tsel", str(tmp_path / "tsel")),
            ("isat", str(tmp_path / "isat")),
        ]
        assert os.path.exists(tmp_path / "isat")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
