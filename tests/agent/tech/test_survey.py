"""``pantau-agent survey``: the real CLI walking the gnss-walk scenario on a real pty."""

from __future__ import annotations

import csv
import json
import math
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from techkit import CLI, LTE, SCENARIOS, collector, run_cli, sim_modem, wait_for, write_config

from agent.sim.scenario import load_scenario
from agent.tech import survey
from pantau.v1 import records_pb2

WALK = load_scenario(SCENARIOS / "gnss-walk.toml")
#: (lat, lon) -> the signal of the step with that fix, from the scenario itself.
BY_POSITION = {
    (s.lat_deg, s.lon_deg): s for s in WALK.states if s.gnss_fix and s.lat_deg is not None
}
START = (WALK.states[0].lat_deg, WALK.states[0].lon_deg)


def read_outputs(geo: Path, table: Path) -> tuple[dict[str, Any], list[dict[str, str]]]:
    doc = json.loads(geo.read_text(encoding="utf-8"))
    with table.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return doc, rows


@pytest.mark.slow
def test_survey_writes_geojson_and_csv_and_finds_the_best_spot(tmp_path: Path) -> None:
    geo, table = tmp_path / "walk.geojson", tmp_path / "walk.csv"
    with sim_modem(SCENARIOS / "gnss-walk.toml") as sim:
        proc = run_cli(
            "survey", "--port", sim.port_path, "--interval", "0.25", "--duration", "6.5",
            "--geojson", str(geo), "--csv", str(table), "--json", "--lang", "en",
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    readings = [x for x in lines if x["type"] == "reading"]
    summary = lines[-1]
    assert summary["type"] == "summary"
    doc, rows = read_outputs(geo, table)

    assert doc["type"] == "FeatureCollection"
    features = doc["features"]
    with_fix = [r for r in rows if r["lat"]]
    without_fix = [r for r in rows if not r["lat"]]
    assert len(rows) == len(readings) == summary["readings"] >= 15
    assert len(features) == len(with_fix) == summary["with_fix"]
    assert len(without_fix) == summary["without_fix"] >= 1  # the roof at 3 s
    assert list(rows[0]) == list(survey.COLUMNS)

    for feature, row in zip(features, with_fix, strict=True):
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]  # [lon, lat], RFC 7946
        assert (lat, lon) in BY_POSITION
        assert (float(row["lat"]), float(row["lon"])) == (lat, lon)
        step = BY_POSITION[(lat, lon)]
        props = feature["properties"]
        assert set(props) == set(survey.PROPERTIES)
        assert (props["rsrp_dbm"], props["rsrq_db"], props["sinr_db"]) == (
            step.rsrp_dbm,
            step.rsrq_db,
            step.sinr_db,
        )
        assert (props["rat"], props["operator"], props["mcc"], props["mnc"]) == (
            "lte",
            "Telkomsel",
            "510",
            "10",
        )
        assert props["cell_id"] == step.cell_id and props["time"] == row["time"]
        assert float(row["rsrp_dbm"]) == step.rsrp_dbm and row["grade"] == props["grade"]
    for row in without_fix:
        assert row["lon"] == "" and float(row["rsrp_dbm"]) == -99.0  # the roof step
    # Every position of the walk after the first second was visited, in order.
    seen = list(dict.fromkeys((f["geometry"]["coordinates"][1], f["geometry"]["coordinates"][0])
                              for f in features))  # fmt: skip
    expected = [p for p in BY_POSITION if p in seen]
    assert seen == expected and len(seen) >= 4

    best = summary["best"]
    assert (best["lat"], best["lon"]) == (-6.2085, 106.8459)  # RSRP -88, SINR 15
    assert (best["rsrp_dbm"], best["sinr_db"], best["grade"]) == (-88.0, 15.0, "good")
    first = (features[0]["geometry"]["coordinates"][1], features[0]["geometry"]["coordinates"][0])
    assert best["distance_m"] == pytest.approx(
        survey.distance_m(*first, -6.2085, 106.8459), abs=0.1
    )
    assert best["compass"] == "NE" and 40 < best["bearing_deg"] < 50
    assert summary["queued"] is None


def test_survey_human_output_and_ctrl_c_keeps_valid_files(tmp_path: Path) -> None:
    with sim_modem(SCENARIOS / "gnss-walk.toml") as sim:
        proc = subprocess.Popen(
            [CLI, "survey", "--port", sim.port_path, "--interval", "0.2", "--out",
             str(tmp_path), "--lang", "id"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            wait_for(lambda: len(list(tmp_path.glob("*.csv"))) == 1, 20, "the CSV file")
            table = next(tmp_path.glob("*.csv"))
            wait_for(lambda: table.read_text().count("\n") >= 8, 20, "readings")
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, err
    geo = next(tmp_path.glob("*.geojson"))
    doc, rows = read_outputs(geo, table)  # both complete and valid after Ctrl-C
    assert len(rows) >= 7
    assert len(doc["features"]) == sum(1 for r in rows if r["lat"])
    assert "pembacaan" in out and "dengan posisi GNSS" in out
    assert "Titik terbaik" in out or "Tidak ada pembacaan" in out
    assert "Traceback" not in err


def test_survey_upload_queues_readings_that_the_running_agent_delivers(tmp_path: Path) -> None:
    steps = [{**LTE, "lat_deg": -6.2088, "lon_deg": 106.8456}]
    with collector(tmp_path / "c") as running, sim_modem({"steps": steps}) as survey_sim:
        config = write_config(tmp_path, address=f"127.0.0.1:{running.port}", token=running.token)
        proc = run_cli(
            "survey", "--config", str(config), "--port", survey_sim.port_path,
            "--interval", "0.2", "--duration", "1.5", "--upload", "--json",
            "--out", str(tmp_path / "out"),
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        summary = json.loads(proc.stdout.splitlines()[-1])
        queued = summary["queued"]
        assert queued == summary["readings"] >= 5
        human = run_cli(
            "survey", "--config", str(config), "--port", survey_sim.port_path,
            "--interval", "0.2", "--duration", "0.5", "--upload", "--lang", "en",
            "--out", str(tmp_path / "out"),
        )  # fmt: skip
        queued2 = int(human.stdout.split(" readings queued in the kit's spool")[0].split()[-1])
        assert queued2 >= 1

        # The agent (no modem of its own) delivers the queued readings.
        agent = subprocess.Popen(
            [CLI, "run", "--config", str(config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:

            def stored() -> list[records_pb2.SignalReading]:
                rows = running.call(lambda s: list(s.records(agent_id="kit-tech")))
                records = [records_pb2.Record.FromString(r.payload) for r in rows]
                return [r.signal for r in records if r.WhichOneof("body") == "signal"]

            wait_for(lambda: len(stored()) == queued + queued2, 30, "the survey readings")
            readings = stored()
        finally:
            agent.send_signal(signal.SIGTERM)
            agent.communicate(timeout=20)
    for reading in readings:
        assert (reading.lat_deg, reading.lon_deg) == (-6.2088, 106.8456)
        assert reading.rsrp_dbm == -85.0 and reading.rat == records_pb2.RAT_LTE


def test_survey_usage_errors(tmp_path: Path) -> None:
    proc = run_cli("survey", "--interval", "1")
    assert proc.returncode == 2 and "--port" in proc.stderr
    proc = run_cli("survey", "--port", "/dev/null", "--upload")
    assert proc.returncode == 2 and "--upload needs --config" in proc.stderr
    proc = run_cli("survey", "--port", "/dev/null", "--interval", "0")
    assert proc.returncode == 2 and "above 0" in proc.stderr
    proc = run_cli("survey", "--port", str(tmp_path / "ttyUSB9"), "--duration", "1")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert str(tmp_path / "ttyUSB9") in proc.stderr


def test_geometry() -> None:
    # One thousandth of a degree of latitude is about 111 m anywhere.
    assert survey.distance_m(0, 0, 0.001, 0) == pytest.approx(111.2, abs=0.1)
    assert survey.bearing_deg(0, 0, 1, 0) == pytest.approx(0)
    assert survey.bearing_deg(0, 0, 0, 1) == pytest.approx(90)
    assert survey.bearing_deg(-6.2, 106.8, -6.3, 106.8) == pytest.approx(180)
    assert survey.compass(44) == "NE" and survey.compass(350) == "N"
    assert math.isclose(survey.distance_m(*START, *START), 0.0)  # type: ignore[arg-type]


def test_geojson_file_is_valid_after_every_feature(tmp_path: Path) -> None:
    writer = survey.GeoJsonWriter(tmp_path / "x.geojson", survey.PROPERTIES)
    assert json.loads((tmp_path / "x.geojson").read_text()) == {
        "type": "FeatureCollection",
        "features": [],
    }
    row = {k: None for k in survey.COLUMNS} | {"lat": -6.5, "lon": 106.5, "time": "t"}
    for n in range(1, 4):
        writer.add(row)
        doc = json.loads((tmp_path / "x.geojson").read_text())
        assert len(doc["features"]) == n
        assert doc["features"][-1]["geometry"]["coordinates"] == [106.5, -6.5]
    writer.close()


def test_survey_rides_out_a_modem_that_vanishes(tmp_path: Path) -> None:
    from agent.sim.modem import SimModem
    from agent.sim.scenario import Scenario

    steps = [
        {**LTE, "lat_deg": -6.2088, "lon_deg": 106.8456},
        {"at_s": 1.5, "vanish_s": 1.5},
    ]
    link = tmp_path / "ttyUSB2"
    with SimModem(Scenario.from_dict({"steps": steps}), "quectel", link_path=link):
        proc = run_cli(
            "survey", "--port", str(link), "--interval", "0.25", "--duration", "5",
            "--out", str(tmp_path / "out"), "--json",
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    summary = lines[-1]
    assert summary["errors"] >= 1  # the readings while the port was gone
    times = [x["time"] for x in lines if x["type"] == "reading"]
    assert summary["readings"] == len(times) >= 6
    assert "Traceback" not in proc.stderr
    # Readings resumed after the port came back: a gap of about 1.5 s, then more.
    import itertools
    from datetime import datetime

    stamps = [datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() for t in times]
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    widest = max(range(len(gaps)), key=gaps.__getitem__)
    assert gaps[widest] >= 1.0 and len(stamps) - (widest + 1) >= 2
    table = next((tmp_path / "out").glob("*.csv")).read_text()
    assert table.count("\n") == summary["readings"] + 1
