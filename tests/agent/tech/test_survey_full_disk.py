"""``pantau-agent survey`` onto a disk that fills up mid-survey (a real tmpfs): it stops
with exit 1 and says so in the technician's language (the file, the free space), and
both files on disk stay valid (strict JSON, whole CSV rows) with every reading written
before the disk filled."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from chaos.procs import fill
from machine import tmpfs
from techkit import CLI, SCENARIOS, sim_modem, wait_for

from agent.tech import survey


def strict(text: str) -> Any:
    def reject(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=reject)


def features(path: Path) -> list[dict[str, Any]] | None:
    """The GeoJSON's points, or None while it is not there yet."""
    try:
        doc = strict(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    assert doc["type"] == "FeatureCollection"
    return list(doc["features"])


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        assert reader.fieldnames == list(survey.COLUMNS)
    for row in rows:  # whole rows only: no missing field, no extra one
        assert None not in row and None not in row.values(), row
    return rows


@pytest.mark.timeout(120)
@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_disk_filling_mid_survey_leaves_valid_files_and_says_so(
    tmp_path: Path, lang: str
) -> None:
    as_json = lang == "en"
    with tmpfs(tmp_path / "disk", "4m") as disk, sim_modem(SCENARIOS / "gnss-walk.toml") as sim:
        geo, table = disk / "walk.geojson", disk / "walk.csv"
        proc = subprocess.Popen(
            [CLI, "survey", "--port", sim.port_path, "--interval", "0.1", "--duration", "100",
             "--geojson", str(geo), "--csv", str(table), "--lang", lang,
             *(["--json"] if as_json else [])],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            wait_for(lambda: len(features(geo) or ()) >= 3, 60, "three points in the GeoJSON")
            # Fill the disk, and again if the survey's own files gave room back, until
            # a write of the survey fails and it stops.
            wait_for(lambda: bool(fill(disk)) and proc.poll() is not None, 60, "the survey")
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 1, err
        assert "Traceback" not in err
        points = features(geo)  # a strict JSON parser takes what is on disk
        rows = csv_rows(table)
        assert points is not None and len(points) >= 3
        assert not list(disk.glob(".*.tmp"))  # no temporary file left behind
    if as_json:
        lines = [strict(line) for line in out.splitlines()]
        readings = [x for x in lines if x["type"] == "reading"]
        error = next(x for x in lines if x["type"] == "error")
        assert error["code"] == "DISK_FULL" and error["path"] in (str(geo), str(table))
        assert lines[-1]["type"] == "summary" and lines[-1]["readings"] == len(readings)
        # Every reading reported went to disk before it filled, and no other.
        assert len(points) == sum(1 for r in readings if r["lat"] is not None)
        assert [p["properties"]["time"] for p in points] == [
            r["time"] for r in readings if r["lat"] is not None
        ]
        assert len(rows) in (len(readings), len(readings) + 1)  # the CSV went first
        assert [r["time"] for r in rows[: len(readings)]] == [r["time"] for r in readings]
        assert err.strip().endswith(error["message"])
        assert error["message"].startswith(f"The disk is full: {error['path']} cannot take")
        assert f"keeps the {error['kept']} readings written before" in error["message"]
    else:
        assert "Disk penuh:" in err and "Survei dihentikan; berkas itu tetap utuh" in err
        assert str(geo) in err or str(table) in err


def test_a_survey_onto_a_full_disk_stops_at_once_saying_why(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "1m") as disk, sim_modem(SCENARIOS / "gnss-walk.toml") as sim:
        fill(disk)
        proc = subprocess.run(
            [CLI, "survey", "--port", sim.port_path, "--interval", "0.1", "--duration", "5",
             "--out", str(disk / "survey"), "--lang", "id"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Errno" not in proc.stderr
    assert proc.stderr.startswith(f"Disk penuh: {disk / 'survey'}"), proc.stderr


def test_a_modems_name_that_starts_like_a_formula_is_shown_not_evaluated(tmp_path: Path) -> None:
    """The survey CSV is opened in a spreadsheet: an operator name such as
    ``=HYPERLINK(...)`` (the modem's or SIM's own text) gets a leading quote."""
    from agent.tech.survey_files import CsvWriter

    path = tmp_path / "walk.csv"
    writer = CsvWriter(path, ["operator_name", "rsrp_dbm", "note"])
    try:
        writer.add({"operator_name": '=HYPERLINK("http://x","y")', "rsrp_dbm": -95, "note": None})
        writer.add({"operator_name": "@SUM(1)", "rsrp_dbm": -101.5, "note": "+62"})
    finally:
        writer.close()
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["operator_name"] for r in rows] == ['\'=HYPERLINK("http://x","y")', "'@SUM(1)"]
    assert [r["rsrp_dbm"] for r in rows] == ["-95", "-101.5"]  # numbers stay numbers
    assert [r["note"] for r in rows] == ["", "'+62"]
