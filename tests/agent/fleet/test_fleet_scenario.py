"""The fleet's scenario file and plan, and a simulated kit's spool (pure parts)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from agent.fleet.kit import SimKit
from agent.fleet.scenario import (
    DEFAULT_SCENARIO,
    Cadence,
    Conditions,
    KitPlan,
    format_time,
    load_scenario,
    parse_time,
    plan,
)
from pantau.core.tomlconfig import ConfigError
from pantau.v1 import records_pb2


def test_times_are_local_times_of_the_day_or_the_day_before() -> None:
    assert parse_time("07:00") == 7 * 3600
    assert parse_time("D-1 16:00") == -8 * 3600
    assert format_time(-8 * 3600 + 5) == "D-1 16:00:05"
    assert format_time(9.5 * 3600) == "09:30:00"
    with pytest.raises(ValueError, match="expected a time like"):
        parse_time("7am")


def test_the_default_scenario_is_a_whole_election_day() -> None:
    scenario = load_scenario()
    assert [p.name for p in scenario.phase] == ["setup", "voting", "counting", "upload"]
    the_plan = plan(scenario, 1000)
    assert the_plan.phase(parse_time("10:00")) is not None
    assert the_plan.cadence(parse_time("19:00")).http_every_s == 60  # upload window
    assert the_plan.cadence(parse_time("10:00")).http_every_s == 300
    assert the_plan.cadence(parse_time("D-1 20:00")).batch_every_s == 300
    joins = [k.join_s for k in the_plan.kits]
    assert parse_time("D-1 16:00") <= min(joins) and max(joins) <= parse_time("D-1 17:00")
    assert 20 < sum(k.clockless for k in the_plan.kits) < 90
    (outage,) = [s for s in the_plan.spells if s.what == "outage"]
    assert len(outage.kits) == 25
    assert {the_plan.kits[i].operator for i in outage.kits} == {"510-10"}
    kit = min(outage.kits)
    assert the_plan.conditions(kit, parse_time("09:45")) == Conditions(link_up=False, service=False)
    assert the_plan.conditions(kit, parse_time("10:15")).link_up  # 45 minutes later
    (degraded,) = [s for s in the_plan.spells if s.what == "degradation"]
    assert degraded.kits and all(
        the_plan.kits[i].province == "32" and the_plan.kits[i].operator == "510-11"
        for i in degraded.kits
    )
    # the same seed, the same fleet
    assert plan(scenario, 1000).kits == the_plan.kits


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[day]\nstart = "25:00"', '[day] start: expected a time like "07:00" or "D-1 16:00"'),
        ("[day]\nsed = 1", "[day] sed: unknown key (did you mean 'seed'?"),
        ('[fleet]\noperators = { "telkomsel" = 1 }', "operators: expected MCC-MNC like"),
        ('[fleet]\noperators = { "510-10" = 0 }', "operators.510-10: expected a share > 0"),
        ('[fleet]\nprovinces = ["99"]', "provinces: '99' is not a province code"),
        ("[cadence]\nping_every_s = 0", "[cadence] ping_every_s: expected a number between 1"),
        (
            '[[phase]]\nname = "a"\nstart = "09:00"\nend = "08:00"',
            "[[phase]] #1 end: '08:00' is not after start '09:00'",
        ),
        (
            '[[phase]]\nname = "a"\nstart = "07:00"\nend = "13:00"\n'
            '[[phase]]\nname = "b"\nstart = "12:00"\nend = "14:00"',
            "[[phase]]: 'b' starts before 'a' ends",
        ),
        ('[[outage]]\noperator = "510-10"\nat = "09:00"\nminutes = 5', "[[outage]] #1 sites:"),
        (
            '[[degradation]]\noperator = "510-10"\nprovince = "32"\nat = "09:00"\nminutes = 5\n'
            "loss = 2",
            "[[degradation]] #1 loss: expected a number between 0 and 1, got 2",
        ),
        ("[[offline]]\nkits = 3\nhours = 1", "[[offline]] #1 at: required key is missing"),
        ("[day\n", "not valid TOML"),
    ],
)
def test_a_bad_scenario_says_which_key_and_why(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def _kit(clockless: bool = False) -> SimKit:
    return SimKit(
        plan=KitPlan(0, "510-10", "31", 0.0, clockless),
        agent_id="kit-1",
        site="3171011001001",
        credential="kit-1.x",
        boot_id="boot",
        boot_offset_ns=10**12,
        rng=random.Random(1),
    )


def test_a_kit_keeps_what_is_not_acked_and_resends_it_after_a_welcome() -> None:
    kit = _kit()
    cadence = Cadence()
    stamp = kit.stamp(1_700_000_000 * 10**9, 5 * 10**9)
    made = sum(kit.produce(t * 60.0, cadence, Conditions(), stamp, 0.0) for t in range(10))
    assert made == kit.next_seq - 1 >= 20
    assert kit.resume(0) == []  # the first Welcome: the collector has nothing yet
    first = kit.take(5)
    assert [r.seq for r in first] == [1, 2, 3, 4, 5]
    assert [r.seq for r in kit.take(5)] == [6, 7, 8, 9, 10]
    assert len(kit.ack(5)) == 5  # the first batch acked, the second lost with its stream
    assert len(kit.resume(5)) == 0  # a Welcome: the collector has 1..5
    assert [r.seq for r in kit.take(3)] == [6, 7, 8]  # resent
    record = records_pb2.Record.FromString(first[0].body)
    assert record.seq == 0 and record.time.boot_id == "boot"  # seq goes on the wire


def test_a_kit_renumbers_above_what_an_earlier_run_stored() -> None:
    kit = _kit()
    stamp = kit.stamp(0, 0)
    kit.produce(0.0, Cadence(), Conditions(), stamp, 0.0)
    kit.produce(400.0, Cadence(), Conditions(), stamp, 0.0)
    held = kit.next_seq - 1
    kit.resume(100)  # first Welcome: the collector has 1..100 from an earlier run
    assert kit.first_seq == 101 and kit.next_seq == 101 + held
    assert [r.seq for r in kit.take(100)] == list(range(101, 101 + held))


def test_the_world_shows_in_the_records() -> None:
    kit = _kit(clockless=True)
    stamp = kit.stamp(1_700_000_000 * 10**9, 5 * 10**9)
    assert not stamp.clock_synced and stamp.wall_unix_ns == stamp.monotonic_ns  # 1970
    outage = Conditions(link_up=False, service=False)
    kit.produce(0.0, Cadence(), outage, stamp, 0.0)
    kit.produce(400.0, Cadence(), outage, stamp, 0.0)
    records = [records_pb2.Record.FromString(r.body) for r in kit.take(100)]
    signal = next(r.signal for r in records if r.HasField("signal"))
    assert signal.rat == records_pb2.RAT_NONE and not signal.HasField("mcc")
    ping = next(r.ping for r in records if r.HasField("ping"))
    assert ping.loss_ratio == 1.0 and ping.common.status == records_pb2.PROBE_STATUS_TIMEOUT
    assert DEFAULT_SCENARIO.exists()


def test_the_kits_of_a_tower_outage_share_its_cell_and_others_keep_their_own() -> None:
    the_plan = plan(load_scenario(), 1000)
    (outage,) = [s for s in the_plan.spells if s.what == "outage"]
    assert outage.cell_id is not None
    assert {the_plan.kits[i].cell_id for i in outage.kits} == {outage.cell_id}
    assert all(k.cell_id is None for k in the_plan.kits if k.index not in outage.kits)
    kits = [
        SimKit(plan=the_plan.kits[i], agent_id=f"kit-{i}", site="3171011001001",
               credential="x", boot_id="boot", boot_offset_ns=0, rng=random.Random(i))
        for i in range(60)
    ]  # fmt: skip
    tower = {k.cell_id for k in kits if k.plan.index in outage.kits}
    assert tower == {outage.cell_id}
    others = [k.cell_id for k in kits if k.plan.index not in outage.kits]
    assert len(set(others)) == len(others)  # each of the others its own cell
    stamp = kits[min(outage.kits)].stamp(1_700_000_000 * 10**9, 5 * 10**9)
    kit = kits[min(outage.kits)]
    kit.produce(0.0, Cadence(), Conditions(), stamp, 0.0)
    kit.produce(100.0, Cadence(), Conditions(), stamp, 0.0)  # the first reading is due
    signal = next(
        r.signal for r in map(records_pb2.Record.FromString, (s.body for s in kit.take(10)))
        if r.HasField("signal")
    )  # fmt: skip
    assert signal.cell_id == outage.cell_id and signal.tac == outage.cell_id % 65000 + 1


def test_a_kit_may_sleep_until_the_next_change_of_its_world() -> None:
    """What a kit sleeps on: between a time and :meth:`Plan.next_change` its conditions
    and the cadence hold still, and at that time one of them changes (or a spell of the
    kit's begins or ends); after the last change nothing is left (``inf``)."""
    the_plan = plan(load_scenario(), 300)
    taken = sorted({i for s in the_plan.spells for i in s.kits})
    day = (parse_time("D-1 16:00"), parse_time("23:59"))
    rng = random.Random(7)
    for kit in [*taken[:20], *rng.sample(range(300), 10)]:
        t = float(day[0])
        while t < day[1]:
            change = the_plan.next_change(kit, t)
            assert change > t
            if change == float("inf"):
                break
            world, cadence = the_plan.conditions(kit, t), the_plan.cadence(t)
            for probe in (t + (change - t) * f for f in (0.25, 0.5, 0.999)):
                assert the_plan.conditions(kit, probe) == world, (kit, t, probe)
                assert the_plan.cadence(probe) == cadence, (kit, t, probe)
            bounds = {b for s in the_plan.spells if kit in s.kits for b in (s.start_s, s.end_s)}
            bounds |= {parse_time(p.start) for p in the_plan.scenario.phase}
            bounds |= {parse_time(p.end) for p in the_plan.scenario.phase}
            assert change in bounds
            t = change
    last = max(parse_time(p.end) for p in the_plan.scenario.phase)
    spell_ends = [s.end_s for s in the_plan.spells]
    never_taken = next(i for i in range(300) if i not in taken)
    assert the_plan.next_change(never_taken, max(last, *spell_ends)) == float("inf")
