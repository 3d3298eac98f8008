"""``pantau-collector incidents ack|escalate`` (SQLite): who, the history, both languages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from collector.incidents import Settings
from collector.store.sqlite import SqliteStore

S = 1_000_000_000


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collector.cli", "incidents", *args, "--data-dir", str(data)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_ack_and_escalate_from_the_command_line(tmp_path: Path) -> None:
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

    acked = _cli(tmp_path, "ack", "1", "--note", "tim berangkat", "--by", "noc-tsel")
    assert acked.returncode == 0, acked.stderr
    english, indonesian = acked.stdout.splitlines()
    assert english.startswith("acknowledged by noc-tsel at ") and "WITA" in english  # Bali
    assert english.endswith(": tim berangkat")
    assert indonesian.startswith("ditangani oleh noc-tsel pada ")
    again = _cli(tmp_path, "ack", "1", "--by", "someone-else")
    assert again.returncode == 0 and "acknowledged already; nothing changed" in again.stdout
    assert "sudah ditangani; tidak ada yang berubah" in again.stdout
    assert "acknowledged by noc-tsel" in again.stdout

    up = _cli(tmp_path, "escalate", "1", "--by", "noc-tsel", "--json")
    assert up.returncode == 0, up.stderr
    doc = json.loads(up.stdout)
    assert doc["changed"] and doc["incident"]["escalation"] == 1
    assert doc["incident"]["acked_by"] == "noc-tsel"
    same = _cli(tmp_path, "escalate", "1", "--level", "1")
    assert same.returncode == 0 and "at level 1 already" in same.stdout
    assert "dieskalasi ke tingkat 1" in same.stdout
    listed = _cli(tmp_path, "list")
    assert "[acknowledged by / ditangani oleh noc-tsel]" in listed.stdout
    assert "[escalated / dieskalasi: 1]" in listed.stdout

    store = SqliteStore(tmp_path / "collector.sqlite")
    try:
        assert [(e.action, e.actor) for e in store.incident_events(1)] == [
            ("acknowledged", "noc-tsel"), ("escalated", "noc-tsel"),
        ]  # fmt: skip
    finally:
        store.close()
    assert _cli(tmp_path, "escalate", "1", "--level", "9").returncode == 2  # argparse
    missing = _cli(tmp_path, "ack", "9")
    assert missing.returncode == 1 and "no incident 9" in missing.stderr
    assert "tidak ada insiden 9" in missing.stderr
    for _ in range(2):
        _cli(tmp_path, "escalate", "1")
    top = _cli(tmp_path, "escalate", "1")
    assert top.returncode == 1 and "at the highest level (3) already" in top.stderr
    assert "insiden 1 tidak dapat dieskalasi" in top.stderr
