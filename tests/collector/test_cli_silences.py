"""``pantau-collector silences add|list|expire`` and ``incidents list|show`` (SQLite)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from collector.cli_silences import local, parse_duration, parse_time
from collector.store.sqlite import SqliteStore

S = 1_000_000_000


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collector.cli", "silences", *args, "--data-dir", str(data)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_add_list_expire(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "collector.sqlite").close()
    added = _cli(tmp_path, "add", "--operator", "510-01", "--kabupaten", "5171", "--for", "2h",
                 "--reason", "ganti antena", "--by", "noc-indosat")  # fmt: skip
    assert added.returncode == 0, added.stderr
    english, indonesian = added.stdout.splitlines()
    assert english.startswith("silence 1: 510-01 kab 5171 pages nobody until ")
    assert english.endswith(" WITA")  # Bali's kabupaten: Bali's zone
    assert indonesian.startswith("jeda notifikasi 1: 510-01 kab 5171 tidak mengirim notifikasi")

    listed = _cli(tmp_path, "list")
    assert listed.returncode == 0 and "noc-indosat: ganti antena" in listed.stdout
    (doc,) = json.loads(_cli(tmp_path, "list", "--json").stdout)
    assert doc["kabupaten"] == "5171" and doc["end_ns"] - doc["start_ns"] == 2 * 3600 * S

    ended = _cli(tmp_path, "expire", "1")
    assert ended.returncode == 0 and "silence 1 ended" in ended.stdout
    assert "jeda notifikasi 1 selesai" in ended.stdout
    assert "(no silences / tidak ada jeda notifikasi)" in _cli(tmp_path, "list").stdout
    assert len(json.loads(_cli(tmp_path, "list", "--all", "--json").stdout)) == 1
    again = _cli(tmp_path, "expire", "1")
    assert again.returncode == 1 and "tidak ada jeda notifikasi 1" in again.stderr


@pytest.mark.parametrize(
    ("args", "english", "indonesian"),
    [
        (["--end", "2030-01-01T22:00"], "give the zone of", "sebutkan zona waktu"),
        (["--for", "2 hours"], "expected a duration such as 90m", "diharapkan lama waktu"),
        (["--for", "2h", "--kabupaten", "51"], "kabupaten: expected 4 digits", "jeda notifikasi"),
        (["--end", "2000-01-01T00:00Z"], "end: expected a time after the start", "periksa"),
    ],
)
def test_bad_input_is_exit_2_in_both_languages(
    tmp_path: Path, args: list[str], english: str, indonesian: str
) -> None:
    SqliteStore(tmp_path / "collector.sqlite").close()
    done = _cli(tmp_path, "add", "--operator", "510-01", "--reason", "x", *args)
    assert done.returncode == 2, done.stderr
    assert english in done.stderr and indonesian in done.stderr
    assert "Traceback" not in done.stderr


def test_times_and_durations() -> None:
    at = parse_time("2030-01-01T22:00+07:00", 0)
    assert local(at, "31") == "2030-01-01 22:00 WIB"
    assert local(at, "73") == "2030-01-01 23:00 WITA"
    assert local(at, "94") == "2030-01-02 00:00 WIT"
    assert parse_time("now", 5) == 5
    assert parse_duration("90m") == 90 * 60 * S
    with pytest.raises(ValueError, match="0h"):
        parse_duration("0h")


def test_incidents_list_and_show(tmp_path: Path) -> None:
    from collector.incidents import Settings

    store = SqliteStore(tmp_path / "collector.sqlite")
    store.incident_settings = Settings()
    at = 1_800_000_000 * S
    for i in range(3):
        figures = {"cell_id": 77, "operator": "510-10"}
        store.raise_problem(
            f"5171{i:09d}", "510-10", "WEAK_SIGNAL", route="tsel", first_bad_ns=at,
            last_bad_ns=at, evidence={"last_bad": figures}, historical=False, now_ns=at,
            reopen_window_ns=0,
        )  # fmt: skip
    store.close()
    listed = subprocess.run(
        [sys.executable, "-m", "collector.cli", "incidents", "list", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert "Telkomsel cell 510-10:77 no or poor coverage: 3 TPS" in listed.stdout
    assert "Telkomsel sel 510-10:77 cakupan sinyal hilang atau lemah: 3 TPS" in listed.stdout
    assert "WITA" in listed.stdout  # Bali
    shown = subprocess.run(
        [sys.executable, "-m", "collector.cli", "incidents", "show", "1", "--json",
         "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    doc = json.loads(shown.stdout)
    assert doc["incident"]["affected"] == 3 and len(doc["tickets"]) == 3
    missing = subprocess.run(
        [sys.executable, "-m", "collector.cli", "incidents", "show", "9",
         "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert missing.returncode == 1 and "tidak ada insiden 9" in missing.stderr
