"""The daily data budget: counted, persisted atomically, reset at 00:00 UTC, never reopened
by a clock that went back."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from agent.budget import Budget

DAY = 86400.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_charges_add_up_and_survive_a_restart(tmp_path: Path) -> None:
    clock = Clock(100 * DAY + 10)
    budget = Budget(tmp_path / "budget.json", 1000, wall_clock=clock)
    budget.charge(400)
    budget.charge(0)
    assert (budget.used_bytes, budget.remaining_bytes, budget.spent()) == (400, 600, False)
    again = Budget(tmp_path / "budget.json", 1000, wall_clock=clock)
    again.charge(700)
    assert again.used_bytes == 1100 and again.spent() and again.remaining_bytes == 0
    assert json.loads((tmp_path / "budget.json").read_text()) == {"day": 100, "used_bytes": 1100}
    assert not (tmp_path / "budget.json.tmp").exists()
    assert again.describe() == (
        "daily data budget spent: 1100 of 1000 bytes used today (resets at 00:00 UTC)"
    )


def test_new_utc_day_starts_from_zero_but_a_clock_going_back_does_not(tmp_path: Path) -> None:
    clock = Clock(100 * DAY + 10)
    budget = Budget(tmp_path / "budget.json", 1000, wall_clock=clock)
    budget.charge(1000)
    clock.now = 99 * DAY  # the clock stepped back (e.g. after a power cut, before NTP)
    assert budget.spent()
    clock.now = 101 * DAY + 1
    assert budget.used_bytes == 0 and not budget.spent()


def test_unreadable_file_is_reported_and_counting_starts_from_zero(tmp_path: Path) -> None:
    (tmp_path / "budget.json").write_text("{not json")
    budget = Budget(tmp_path / "budget.json", 1000, wall_clock=Clock(5 * DAY))
    assert budget.used_bytes == 0
    assert budget.problem is not None and "unreadable" in budget.problem
    budget.charge(10)
    assert json.loads((tmp_path / "budget.json").read_text())["used_bytes"] == 10


def test_daily_bytes_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="daily_bytes must be positive, got 0"):
        Budget(tmp_path / "b.json", 0)


def test_two_processes_charging_one_file_lose_nothing(tmp_path: Path) -> None:
    """The running agent and `pantau-agent check` beside it: each charge re-reads the
    file under the lock, so one's bytes never overwrite the other's."""
    clock = Clock(100 * DAY + 10)
    agent = Budget(tmp_path / "budget.json", 10_000, wall_clock=clock)
    agent.charge(1000)
    check = Budget(tmp_path / "budget.json", 10_000, wall_clock=clock)
    check.charge(3000)
    agent.charge(500)
    assert agent.used_bytes == 4500
    assert json.loads((tmp_path / "budget.json").read_text()) == {"day": 100, "used_bytes": 4500}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["budget.json", "budget.json.lock"]


def test_charges_from_many_processes_at_once_all_count(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = (
        "import sys; from pathlib import Path; from agent.budget import Budget\n"
        "b = Budget(Path(sys.argv[1]), 10**9)\n"
        "for _ in range(50): b.charge(7)\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "budget.json")])
        for _ in range(4)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    assert json.loads((tmp_path / "budget.json").read_text())["used_bytes"] == 4 * 50 * 7


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: a file given to another user")
def test_charged_as_root_the_files_keep_the_data_dirs_owner(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, 65534, 65534)  # the service's user owns its data directory
    Budget(data / "budget.json", 1000).charge(10)
    owners = {p.name: (p.stat().st_uid, p.stat().st_gid) for p in data.iterdir()}
    assert owners == {"budget.json": (65534, 65534), "budget.json.lock": (65534, 65534)}
