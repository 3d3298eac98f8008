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


def test_a_kit_sleeps_until_something_is_due_and_never_spins() -> None:
    """Between its steps a kit sleeps until a measurement, its batch (only while it
    streams: one overdue while it waits to reconnect goes with the reconnect), a change
    of its world or its reconnect. A kit waiting to reconnect with its batch overdue
    once woke at once, again and again: 5,000 such kits kept a fleet process's loop
    busy after a collector restart, and it read no acks."""
    import random
    import time

    from agent.fleet.kit import SimKit
    from agent.fleet.runner import Fleet, FleetOptions
    from agent.fleet.scenario import Conditions, KitPlan

    the_plan = plan(load_scenario(), 1)
    kit = SimKit(
        plan=KitPlan(0, "510-10", "31", 0.0, False), agent_id="kit-1", site="3171011001001",
        credential="kit-1.x", boot_id="boot", boot_offset_ns=10**12, rng=random.Random(1),
    )  # fmt: skip
    fleet = Fleet(the_plan, [kit], FleetOptions(addresses=("127.0.0.1:1",), speed=1.0))
    fleet._sim0, fleet._t0 = float(parse_time("10:00")), time.monotonic()  # as run() does
    now = fleet.sim_now()
    kit.due = {"signal": now + 60, "ping": now + 120}
    kit.next_batch_s = now - 30  # overdue
    up = Conditions()
    in_5_s = time.monotonic() + 5
    # streaming: the overdue batch goes now
    assert fleet._asleep_s(kit, True, up, in_5_s) <= 0
    # waiting to reconnect: until the reconnect (5 s), not at once
    assert 4.5 < fleet._asleep_s(kit, False, up, in_5_s) <= 5
    # reconnecting later than the next measurement (in 60 s): until the measurement
    assert 59 < fleet._asleep_s(kit, False, up, time.monotonic() + 90) <= 60
    # no link: no reconnect to wait for, only the next measurement
    assert 59 < fleet._asleep_s(kit, False, Conditions(link_up=False), in_5_s) <= 60
