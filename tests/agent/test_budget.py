"""The daily data budget: counted, persisted atomically, reset at 00:00 UTC, never reopened
by a clock that went back."""

from __future__ import annotations

import json
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
