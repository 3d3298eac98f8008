"""``check``, ``survey`` and ``modem read`` show the serving cell (band, EARFCN, PCI, TAC,
cell id), the neighbours (how many, the strongest) and the carriers, as NetMonster
does, in both languages and in their JSON: against the simulated modem on a real pty,
through the real CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from techkit import LTE, SCENARIOS, check_json, run_cli, sim_modem

FAST = ("--samples", "1", "--register-wait", "1", "--no-throughput")

CELLS: dict[str, Any] = {
    **LTE,
    "neighbours": [
        {"rat": "lte", "pci": 124, "earfcn": 1850, "rsrp_dbm": -93, "rsrq_db": -11},
        {"rat": "lte", "pci": 301, "earfcn": 500, "rsrp_dbm": -89, "rsrq_db": -10},
        {"rat": "umts", "psc": 310, "uarfcn": 10737, "rscp_dbm": -87, "ecio_db": -8},
    ],
    "carriers": [{"rat": "lte", "band": 1, "earfcn": 500, "bandwidth_mhz": 15, "pci": 301}],
}


@pytest.mark.timeout(120)
def test_check_json_shows_the_cell_the_neighbours_and_the_carriers() -> None:
    with sim_modem({"steps": [CELLS]}) as sim:
        code, doc = check_json("--port", sim.port_path, "--lang", "en", *FAST)
        human_en = run_cli("check", "--port", sim.port_path, "--lang", "en", *FAST)
        human_id = run_cli("check", "--port", sim.port_path, "--lang", "id", *FAST)
    cells = doc["cells"]
    assert cells["serving"] == {
        "rat": "lte", "band": 3, "earfcn": 1850, "uarfcn": None, "arfcn": None, "pci": 123,
        "psc": None, "tac": 1000, "lac": None, "cell_id": 0x1A2D001, "nr_band": None,
        "nr_pci": None, "nr_arfcn": None,
    }  # fmt: skip
    assert cells["neighbours_reported"] is True and cells["neighbour_count"] == 3
    assert cells["strongest_neighbour"] == {
        "rat": "lte", "relation": "inter-frequency", "pci": 301, "earfcn": 500,
        "rsrp_dbm": -89.0, "rsrq_db": -10.0,
    }  # fmt: skip
    assert [n["relation"] for n in cells["neighbours"]] == [
        "intra-frequency",
        "inter-frequency",
        "inter-rat",
    ]
    assert [(c["primary"], c["band"], c["bandwidth_mhz"]) for c in cells["carriers"]] == [
        (True, 3, 20.0),
        (False, 1, 15.0),
    ]
    assert code in (0, 1)  # no collector configured: the verdict is not this test's
    out = human_en.stdout
    assert "B3 · EARFCN 1850 · PCI 123 · TAC 1000 · CID 27447297 (eNB 107216-1)" in out
    assert "3 heard; strongest: PCI 301 · EARFCN 500 · -89 dBm (other frequency)" in out
    assert "B3 20 MHz (primary) + B1 15 MHz" in out
    out_id = human_id.stdout
    assert "Sel tetangga" in out_id and "Gabungan kanal" in out_id
    assert "3 terdengar; terkuat: PCI 301 · EARFCN 500 · -89 dBm (frekuensi lain)" in out_id
    assert "B3 20 MHz (utama) + B1 15 MHz" in out_id
    for english in ("heard", "strongest", "primary", "other frequency", "Neighbours"):
        assert english not in out_id


@pytest.mark.timeout(120)
def test_check_says_when_the_modem_cannot_name_neighbours() -> None:
    with sim_modem({"steps": [LTE]}, dialect="3gpp") as sim:
        _, doc = check_json("--port", sim.port_path, "--lang", "id", *FAST)
        human = run_cli("check", "--port", sim.port_path, "--lang", "id", *FAST)
    assert doc["cells"]["neighbours_reported"] is False
    assert doc["cells"]["neighbour_count"] == 0 and doc["cells"]["neighbours"] == []
    assert "tidak dilaporkan modem ini (hanya sel yang melayani)" in human.stdout


@pytest.mark.timeout(120)
def test_check_shows_the_5g_nsa_cell() -> None:
    step = {
        **LTE,
        "rat": "nr5g-nsa",
        "nr_pci": 501,
        "nr_arfcn": 627264,
        "nr_band": 78,
        "nr_rsrp_dbm": -88,
        "nr_sinr_db": 21,
        "nr_rsrq_db": -11,
    }
    scenario = {"identity": {"model": "RM500Q-GL"}, "steps": [step]}
    with sim_modem(scenario) as sim:
        _, doc = check_json("--port", sim.port_path, "--lang", "en", *FAST)
        human = run_cli("check", "--port", sim.port_path, "--lang", "en", *FAST)
    serving = doc["cells"]["serving"]
    assert (serving["nr_band"], serving["nr_pci"], serving["nr_arfcn"]) == (78, 501, 627264)
    assert doc["cells"]["carriers"][-1]["band"] == 78
    assert "5G cell" in human.stdout and "n78 · ARFCN 627264 · PCI 501" in human.stdout
    assert "B3 20 MHz (primary) + n78 100 MHz" in human.stdout


@pytest.mark.timeout(120)
def test_modem_read_shows_the_cells_in_both_languages() -> None:
    with sim_modem(SCENARIOS / "strong-lte.toml") as sim:
        en = run_cli("modem", "read", "--port", sim.port_path, "--lang", "en")
        id_ = run_cli("modem", "read", "--port", sim.port_path, "--lang", "id")
        raw = run_cli("modem", "read", "--port", sim.port_path, "--json")
    assert en.returncode == 0, en.stderr
    assert "Neighbours" in en.stdout and "3 heard; strongest: PCI 301" in en.stdout
    assert "Sel tetangga" in id_.stdout and "3 terdengar; terkuat: PCI 301" in id_.stdout
    doc = json.loads(raw.stdout)
    assert doc["cells"]["neighbour_count"] == 3
    assert doc["cells"]["strongest_neighbour"]["pci"] == 301
    assert "neighbours" not in doc["reading"]  # the lists live in "cells"


@pytest.mark.timeout(120)
def test_survey_rows_carry_the_cell_and_the_neighbours(tmp_path: Path) -> None:
    table = tmp_path / "walk.csv"
    with sim_modem({"steps": [CELLS]}) as sim:
        proc = run_cli(
            "survey", "--port", sim.port_path, "--interval", "0.25", "--duration", "0.6",
            "--csv", str(table), "--lang", "en",
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "B3 PCI 123, neighbours 3" in proc.stdout
    with table.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    row = rows[0]
    assert (row["band"], row["earfcn"], row["pci"], row["tac"]) == ("3", "1850", "123", "1000")
    assert (row["neighbours"], row["best_neighbour_pci"], row["best_neighbour_dbm"]) == (
        "3",
        "301",
        "-89.0",
    )
