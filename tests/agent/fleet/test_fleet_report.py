"""The fleet's progress line (pure): what a user watching a run reads."""

from __future__ import annotations

from agent.fleet.report import Stats, progress_line
from agent.fleet.scenario import load_scenario, parse_time, plan


def test_the_progress_line_says_why_streams_were_lost() -> None:
    the_plan = plan(load_scenario(), 10)
    stats = Stats(produced=30, acked=20, joined=10, connected=7, reconnects=9)
    line = progress_line(stats, elapsed_s=12, sim_s=parse_time("10:00"), plan=the_plan, kits=10)
    assert line.endswith("reconnects 9; refused 0"), line
    stats.refused.update({"TIMEOUT": 5, "UNAVAILABLE": 3, "LOST": 1, "INTERNAL": 1})
    line = progress_line(stats, elapsed_s=12, sim_s=parse_time("10:00"), plan=the_plan, kits=10)
    assert "kits 10/10 joined, 7 streaming; records 30 made, 20 acked, 10 waiting" in line
    # the three commonest reasons, commonest first
    assert line.endswith("refused 10 (TIMEOUT 5, UNAVAILABLE 3, LOST 1)"), line
