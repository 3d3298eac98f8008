"""``survey`` on a kit with a modem per operator: every modem read at each step, each
operator side by side at the end, the best recommended; the files carry the modem."""

from __future__ import annotations

import csv
import json
import socket
from pathlib import Path

import pytest
from techkit import run_cli

from agent.sim.kit import SimKit, SimSlot
from agent.sim.scenario import bundled_scenario, load_scenario
from agent.tech.operators import summarise
from agent.tech.survey_operators import COLUMNS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_modem_without_a_reading_is_a_row_saying_why() -> None:
    look = summarise("xl", "/dev/xl", None, [], ["no answer to AT+CSQ"])
    assert (look.status, look.error, look.coverage) == ("error", "no answer to AT+CSQ", "unknown")


def kit_config(tmp_path: Path, kit: SimKit, ports: dict[str, str]) -> Path:
    config = tmp_path / "agent.toml"
    config.write_text(
        f"""
[agent]
site = "3171011001005"
data_dir = "{tmp_path / "kit"}"

[collector]
address = "127.0.0.1:{free_port()}"
credential = "kit-1.secret"

{kit.modems_toml(ports)}
""",
        encoding="utf-8",
    )
    return config


def three_operators() -> SimKit:
    return SimKit(
        [
            SimSlot("tsel", load_scenario(bundled_scenario("strong-lte")), "quectel"),
            SimSlot("isat", load_scenario(bundled_scenario("indosat-fading"))),
            SimSlot("xl", load_scenario(bundled_scenario("xl-no-service"))),
        ]
    )


@pytest.mark.slow
def test_survey_lists_three_operators_and_recommends_telkomsel(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with three_operators() as kit:
        config = kit_config(tmp_path, kit, kit.start())
        proc = run_cli(
            "survey", "--json", "--config", str(config), "--lang", "en",
            "--interval", "0.5", "--duration", "2", "--out", str(out),
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]  # strict: no NaN
    readings = [doc for doc in lines if doc["type"] == "reading"]
    assert {doc["modem"] for doc in readings} == {"tsel", "isat", "xl"}
    summary = lines[-1]
    assert summary["type"] == "summary"
    assert summary["readings"] == len(readings)
    ops = summary["operators"]
    tsel, isat, xl = ops["modems"]
    assert (tsel["name"], tsel["network"], tsel["coverage"]) == ("tsel", "510-10", "strong")
    assert (isat["name"], isat["network"]) == ("isat", "510-01")
    assert isat["coverage"] in ("medium", "weak")
    assert (xl["name"], xl["network"], xl["coverage"]) == ("xl", "510-11", "none")
    assert (ops["recommended"], ops["recommended_network"]) == ("tsel", "510-10")
    assert ops["recommendation"] == "Recommended for this TPS: Telkomsel (510-10) (modem tsel)."
    with Path(summary["csv"]).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == len(readings)
    assert {row["modem"] for row in rows} == {"tsel", "isat", "xl"}


@pytest.mark.slow
def test_survey_of_a_kit_reads_in_indonesian_and_names_an_unplugged_modem(
    tmp_path: Path,
) -> None:
    with three_operators() as kit:
        ports = kit.start()
        config = kit_config(tmp_path, kit, ports)
        kit.unplug("xl")
        proc = run_cli(
            "survey", "--config", str(config), "--lang", "id",
            "--interval", "0.5", "--duration", "1", "--out", str(tmp_path / "out"),
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "Semua modem kit ini dibaca bergantian: tsel (" in text
    assert "Operator berdampingan (satu modem per operator):" in text
    assert f"xl: modem di {ports['xl']} tidak bisa dibaca" in text
    assert "Disarankan untuk TPS ini: Telkomsel (510-10) (modem tsel)." in text
    assert "\ntsel    " in text and "\nisat    " in text


@pytest.mark.slow
def test_uploaded_readings_say_which_modem_and_network_they_came_from(tmp_path: Path) -> None:
    from agent.service import overflow_record
    from agent.spool import Spool
    from pantau.v1 import records_pb2

    with three_operators() as kit:
        config = kit_config(tmp_path, kit, kit.start())
        proc = run_cli(
            "survey", "--json", "--config", str(config), "--upload",
            "--interval", "0.5", "--duration", "1", "--out", str(tmp_path / "out"),
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.splitlines()[-1])
    spool = Spool(tmp_path / "kit" / "spool.sqlite", max_bytes=0, overflow_record=overflow_record)
    try:
        rows = spool.read_after(0, max_bytes=1 << 20, max_records=1000)
    finally:
        spool.close()
    records = [records_pb2.Record.FromString(payload) for _, payload in rows]
    assert len(records) == summary["queued"] == summary["readings"]
    assert {(r.modem.name, r.modem.network) for r in records} == {
        ("tsel", "510-10"), ("isat", "510-01"), ("xl", "510-11"),
    }  # fmt: skip
