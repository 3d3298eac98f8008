"""The engine: flapping, silence, backfill, out-of-order data, rebuild, bounds."""

from __future__ import annotations

import random

from rulefactory import (
    SITE,
    TSEL,
    S,
    at,
    engine_with,
    event,
    every,
    gsm,
    heard,
    kinds,
    live,
    lte,
    no_service,
    of,
    ping,
    tput,
    umts,
)

from collector.rules import (
    FIELD_TEAM,
    SATELLITE,
    UNKNOWN_OPERATOR,
    Cleared,
    Heard,
    Observation,
    ProblemKey,
    ProblemName,
    RuleEngine,
    Started,
    Transition,
    Updated,
)

# -- flapping ----------------------------------------------------------------------------


def _flapping(t: float) -> list[Observation]:
    """Service for 20 s, none for 20 s, ... (a reading every 5 s)."""
    return [lte(t) if int(t // 20) % 2 == 0 else no_service(t)]


def test_flapping_every_20s_for_10_minutes_is_one_problem() -> None:
    engine = RuleEngine()  # defaults: for 120 s, hold 300 s, 6 changes in 600 s
    steps = every(0, 600, 5, _flapping) + every(600, 1200, 5, lambda t: [lte(t)])
    got = of(live(engine, steps), "NO_SERVICE")
    assert [k for k in kinds(got) if k != "updated"] == ["started", "cleared"]
    (_, started), (t_clear, cleared) = got[0], got[-1]
    assert isinstance(started, Started) and started.evidence.flapping
    assert started.first_bad_ns == at(20)  # the first bad sample of the flapping window
    assert isinstance(cleared, Cleared)
    assert cleared.cleared_ns == at(600) and t_clear == 900  # hold after it stopped


def test_flapping_without_flap_detection_opens_nothing_when_runs_are_short() -> None:
    engine = engine_with(no_service={"flap_changes": 0})
    steps = every(0, 600, 5, _flapping) + every(600, 1200, 5, lambda t: [lte(t)])
    assert of(live(engine, steps), "NO_SERVICE") == []


def test_hold_keeps_a_flapping_problem_open() -> None:
    # Opened by a long bad run, then flapping: the hold never completes until it stops.
    engine = engine_with(no_service={"for_s": 60, "hold_s": 120, "flap_changes": 0})
    steps = every(0, 30, 5, lambda t: [lte(t)]) + every(30, 130, 5, lambda t: [no_service(t)])
    steps += every(130, 700, 5, _flapping) + every(700, 1000, 5, lambda t: [lte(t)])
    got = of(live(engine, steps), "NO_SERVICE")
    assert [k for k in kinds(got) if k != "updated"] == ["started", "cleared"]
    assert isinstance(got[-1][1], Cleared)
    assert got[-1][1].cleared_ns == at(680) and got[-1][1].last_bad_ns == at(675)


# -- AGENT_SILENT: judged by the passage of time -----------------------------------------


def test_agent_silent_opens_with_no_data_as_time_passes() -> None:
    engine = engine_with(agent_silent={"expected_interval_s": 60, "intervals": 5, "hold_s": 120})
    engine.observe(SITE, [heard(t) for t in range(0, 600, 60)])  # last heard at 540
    assert engine.evaluate(SITE, at(540)) == []
    assert engine.evaluate(SITE, at(839)) == []  # 299 s of silence: not yet
    (started,) = engine.evaluate(SITE, at(840))  # 5 x 60 s: now
    assert isinstance(started, Started)
    assert started.key.operator == FIELD_TEAM and started.key.problem == "AGENT_SILENT"
    assert started.first_bad_ns == at(600)  # the first missed report
    assert started.historical is False
    assert started.evidence.last_bad["last_heard_ns"] == at(540)
    assert engine.evaluate(SITE, at(900)) == []  # still silent, within update_every_s
    (updated,) = engine.evaluate(SITE, at(1200))
    assert isinstance(updated, Updated) and updated.last_bad_ns == at(1200)
    engine.observe(SITE, [heard(1300)])
    assert engine.evaluate(SITE, at(1300)) == []  # heard again: hold not yet done
    engine.observe(SITE, [heard(1360), heard(1420)])
    (cleared,) = engine.evaluate(SITE, at(1420))
    assert isinstance(cleared, Cleared) and cleared.cleared_ns == at(1300)
    assert cleared.last_bad_ns == at(1300) - 1


def test_a_kit_texting_while_its_data_is_down_is_not_silent() -> None:
    """Data stops at 540; an SMS lifeline message at 700 keeps the kit alive for
    sms_alive_s (1000 s here); silent only a full silence after that."""
    engine = engine_with(
        agent_silent={"expected_interval_s": 60, "intervals": 5, "hold_s": 120, "sms_alive_s": 1000}
    )
    engine.observe(SITE, [heard(t) for t in range(0, 600, 60)])  # last data at 540
    assert engine.evaluate(SITE, at(600)) == []
    engine.observe(SITE, [Heard(at(700), by_sms=True)])  # before the silence became a problem
    assert engine.evaluate(SITE, at(1700)) == []  # 1,000 s after the SMS: alive
    assert engine.evaluate(SITE, at(1700 + 239)) == []
    (started,) = engine.evaluate(SITE, at(1700 + 240))  # then (intervals - 1) x 60 s more
    assert isinstance(started, Started) and started.key.problem == "AGENT_SILENT"
    assert started.first_bad_ns == at(1700)
    assert started.evidence.last_bad["last_heard_ns"] == at(700)


def test_a_silence_clears_when_the_kit_texts() -> None:
    engine = engine_with(
        agent_silent={"expected_interval_s": 60, "intervals": 5, "hold_s": 120, "sms_alive_s": 1000}
    )
    engine.observe(SITE, [heard(t) for t in range(0, 600, 60)])  # last data at 540
    (started,) = engine.evaluate(SITE, at(840))
    assert isinstance(started, Started)
    engine.observe(SITE, [Heard(at(900), by_sms=True)])
    assert engine.evaluate(SITE, at(1000)) == []  # heard, hold not yet done
    (cleared,) = engine.evaluate(SITE, at(1020))
    assert isinstance(cleared, Cleared) and cleared.cleared_ns == at(900)


def test_a_site_never_heard_from_is_not_silent() -> None:
    engine = RuleEngine()
    assert engine.evaluate(SITE, at(10_000)) == []


# -- backfill: event time, historical ---------------------------------------------------


def test_backfill_after_an_outage_gives_the_true_start_and_end_historical() -> None:
    """No service from 600 s to 2400 s: the kit could not upload. At 2410 s service is
    back and it uploads its snapshot, then the 30 minutes of backlog, then live data."""
    engine = RuleEngine()
    before = every(0, 600, 30, lambda t: [lte(t), ping(t), heard(t)])
    got = live(engine, before)
    assert got == []
    outage = [
        o
        for t in range(600, 2400, 30)
        for o in (no_service(t), ping(t, loss=1.0, rtt=None, status="unreachable"))
    ]
    after = [lte(2400), ping(2400)]
    # the snapshot (newest first), then the backlog in two batches, out of order inside
    engine.observe(SITE, [*after, heard(2410)])
    got += [(2410, tr) for tr in engine.evaluate(SITE, at(2410))]
    first, second = outage[: len(outage) // 2], outage[len(outage) // 2 :]
    random.Random(6).shuffle(second)
    engine.observe(SITE, [*first, heard(2411)])
    got += [(2411, tr) for tr in engine.evaluate(SITE, at(2411))]
    engine.observe(SITE, [*second, heard(2412)])
    got += [(2412, tr) for tr in engine.evaluate(SITE, at(2412))]
    got += live(engine, every(2430, 3300, 30, lambda t: [lte(t), ping(t), heard(t)]))

    no_svc = of(got, "NO_SERVICE")
    assert kinds(no_svc)[0] == "started" and kinds(no_svc)[-1] == "cleared"
    started, cleared = no_svc[0][1], no_svc[-1][1]
    assert isinstance(started, Started) and isinstance(cleared, Cleared)
    assert started.key.operator == TSEL  # carried forward: no-service readings name none
    assert started.first_bad_ns == at(600)
    assert started.historical is True
    assert cleared.cleared_ns == at(2400) and cleared.last_bad_ns == at(2370)

    loss = of(got, "HIGH_LOSS")
    assert kinds(loss)[0] == "started" and kinds(loss)[-1] == "cleared"
    assert isinstance(loss[0][1], Started) and loss[0][1].historical is True
    assert loss[0][1].first_bad_ns <= at(900)
    # a windowed mean: bad until the outage's rounds leave the 300 s window
    assert isinstance(loss[-1][1], Cleared)
    assert at(2370) <= loss[-1][1].last_bad_ns < loss[-1][1].cleared_ns <= at(2370 + 300)
    # nobody evaluated during the outage here, so even the silence is late news
    silent = of(got, "AGENT_SILENT")
    assert kinds(silent) == ["started", "cleared"]
    assert isinstance(silent[0][1], Started) and silent[0][1].historical is True
    assert all(tr.key.site_code == SITE for _, tr in got)


def test_the_collectors_own_stall_is_not_the_agents_silence() -> None:
    engine = engine_with(agent_silent={"expected_interval_s": 10, "intervals": 3, "hold_s": 20})
    engine.observe(SITE, [heard(t) for t in range(0, 100, 5)])  # last heard at 95
    assert engine.evaluate(SITE, at(100)) == []
    # the collector stood still from 100 to 200 s (SIGSTOP): it heard nobody, and says so
    engine.resume(at(200), down_ns=at(100))
    assert engine.evaluate(SITE, at(200)) == []
    # the kit's batches of that time arrive just after; it keeps reporting
    engine.observe(SITE, [heard(t) for t in (200.5, *range(205, 300, 5))])
    assert engine.evaluate(SITE, at(300)) == []
    # a heard time stamped a moment before the collector noted its return changes nothing
    other = engine_with(agent_silent={"expected_interval_s": 10, "intervals": 3})
    other.observe(SITE, [heard(t) for t in range(0, 100, 5)])
    other.observe(SITE, [heard(199.9)])
    other.resume(at(200), down_ns=at(100))
    other.observe(SITE, [heard(t) for t in range(205, 300, 5)])
    assert other.evaluate(SITE, at(300)) == []


def test_after_its_own_stall_the_collector_reports_a_kit_silent_a_full_silence_later() -> None:
    engine = engine_with(agent_silent={"expected_interval_s": 10, "intervals": 3})
    engine.observe(SITE, [heard(t) for t in range(0, 100, 5)])  # last heard at 95
    engine.resume(at(200), down_ns=at(100))
    assert engine.evaluate(SITE, at(229)) == []  # within 30 s of the collector's return
    (started,) = engine.evaluate(SITE, at(230))
    assert isinstance(started, Started) and started.first_bad_ns == at(210)
    assert started.evidence.last_bad["last_heard_ns"] == at(95)  # the truth, still
    # a site added after the return gets the same grace
    engine.observe("3273011002012", [heard(90)])
    assert engine.evaluate("3273011002012", at(229)) == []
    assert len(engine.evaluate("3273011002012", at(230))) == 1


def test_a_restored_silence_clears_when_the_agent_is_heard() -> None:
    """A ticket open across a restart is carried on: the agent heard again clears it."""
    engine = engine_with(agent_silent={"expected_interval_s": 60, "intervals": 5, "hold_s": 120})
    key = ProblemKey(SITE, FIELD_TEAM, ProblemName.AGENT_SILENT)
    engine.rebuild(SITE, [heard(t) for t in range(0, 600, 60)], at(5000))
    assert engine.restore(key, at(600), at(4000), last_figures={"t_ns": at(4000), "x": 1})
    assert not engine.restore(key, at(600), at(4000))  # held already
    assert [p.first_bad_ns for p in engine.open_problems(SITE)] == [at(600)]
    engine.observe(SITE, [heard(t) for t in range(5010, 5200, 30)])
    got = [tr for t in range(5010, 5200, 30) for tr in engine.evaluate(SITE, at(t))]
    assert [type(tr) for tr in got] == [Cleared]
    assert got[0].cleared_ns == at(5010) and got[0].last_bad_ns == at(4000)


def test_agent_silent_during_the_outage_is_live_when_evaluated_on_time() -> None:
    engine = RuleEngine()
    got = live(engine, every(0, 600, 30, lambda t: [lte(t), heard(t)]))
    got += [(t, tr) for t in range(600, 2400, 60) for tr in engine.evaluate(SITE, at(t))]
    silent = of(got, "AGENT_SILENT")
    assert kinds(silent) == ["started"] + ["updated"] * (len(silent) - 1)
    assert isinstance(silent[0][1], Started) and silent[0][1].historical is False


def test_a_partially_drained_backlog_waits_for_more_data() -> None:
    engine = RuleEngine()
    live(engine, every(0, 600, 30, lambda t: [lte(t)]))
    # first backlog batch: no service from 600 to 1200 s, arriving at 3000 s
    engine.observe(SITE, [no_service(t) for t in range(600, 1200, 30)])
    assert of([(0, tr) for tr in engine.evaluate(SITE, at(3000))], "NO_SERVICE") == []
    # the rest: still no service until 2400 s, then service
    engine.observe(SITE, [no_service(t) for t in range(1200, 2400, 30)])
    engine.observe(SITE, [lte(t) for t in range(2400, 3000, 30)])
    got = of([(0, tr) for tr in engine.evaluate(SITE, at(3010))], "NO_SERVICE")
    assert kinds(got) == ["started", "cleared"]
    started = got[0][1]
    assert isinstance(started, Started) and started.historical is True
    assert started.first_bad_ns == at(600)


def test_late_news_that_is_still_bad_now_is_live() -> None:
    engine = RuleEngine()
    live(engine, every(0, 600, 30, lambda t: [lte(t)]))
    engine.observe(SITE, [no_service(t) for t in range(600, 3000, 30)])
    (started,) = of([(0, tr) for tr in engine.evaluate(SITE, at(3000))], "NO_SERVICE")
    assert isinstance(started[1], Started)
    assert started[1].historical is False and started[1].first_bad_ns == at(600)


# -- out of order, rebuild -------------------------------------------------------------------


def _day(seed: int) -> list[Observation]:
    rng = random.Random(seed)
    out: list[Observation] = []
    bad_until = 0.0
    for t in range(0, 7200, 30):
        if rng.random() < 0.03:
            bad_until = t + rng.choice([60, 300, 900])
        if t < bad_until:
            out += [no_service(t), ping(t, loss=1.0, rtt=None, status="unreachable")]
        else:
            out += [lte(t, rsrp=rng.uniform(-120, -80)), ping(t, loss=rng.choice([0, 0, 0.5]))]
        out.append(heard(t))
    return out


def _final(engine: RuleEngine) -> list[tuple[object, int, int]]:
    return [(p.key, p.first_bad_ns, p.last_bad_ns) for p in engine.open_problems(SITE)]


def test_out_of_order_within_a_batch_equals_in_order() -> None:
    data = _day(1)
    shuffled = data[:]
    random.Random(2).shuffle(shuffled)
    a, b = RuleEngine(), RuleEngine()
    a.observe(SITE, data)
    b.observe(SITE, shuffled)
    assert a.evaluate(SITE, at(7200)) == b.evaluate(SITE, at(7200))
    assert _final(a) == _final(b)


def test_rebuild_equals_incremental() -> None:
    data = _day(3)
    # every Updated is reported (a rebuilt engine cannot know when the last was sent)
    incremental = engine_with(engine={"update_every_s": 0})
    for t in range(0, 7200, 30):
        incremental.observe(SITE, [o for o in data if at(t) <= o.event_ns < at(t + 30)])
        incremental.evaluate(SITE, at(t + 30))
    rebuilt = engine_with(engine={"update_every_s": 0})
    problems = rebuilt.rebuild(SITE, data, at(7200), heard_grace=False)
    assert [(p.key, p.first_bad_ns, p.last_bad_ns) for p in problems] == _final(incremental)
    # and both go on identically
    more = every(7200, 8400, 30, lambda t: [lte(t), ping(t), heard(t)])
    assert live(incremental, more) == live(rebuilt, more)


def test_rebuild_from_stored_records_gives_agent_silent_a_fresh_start() -> None:
    engine = engine_with(agent_silent={"expected_interval_s": 60, "intervals": 5})
    # heard until 600 s, then the collector was down until 5000 s
    problems = engine.rebuild(
        SITE, [lte(t) for t in range(0, 600, 60)] + [heard(t) for t in range(0, 600, 60)], at(5000)
    )
    assert problems == []
    assert engine.evaluate(SITE, at(5200)) == []  # within the grace after the restart
    (started,) = engine.evaluate(SITE, at(5300))
    assert isinstance(started, Started) and started.first_bad_ns == at(5060)


# -- thresholds per RAT, windowed median, attribution -------------------------------------


def _weak(make: object, rsrp_like: float, start: float = 0) -> list[Transition]:
    engine = RuleEngine()
    steps = every(start, start + 900, 30, lambda t: [make(t, rsrp_like)])  # type: ignore[operator]
    return [tr for _, tr in of(live(engine, steps), "WEAK_SIGNAL")]


def test_weak_signal_thresholds_per_rat() -> None:
    assert _weak(lambda t, v: lte(t, rsrp=v), -108) == []  # LTE: -110 dBm
    assert kinds([(0, tr) for tr in _weak(lambda t, v: lte(t, rsrp=v), -112)])[0] == "started"
    assert _weak(umts, -103) == []  # UMTS RSCP: -105 dBm
    assert _weak(umts, -107)[0].key.operator == TSEL
    assert _weak(gsm, -98) == []  # GSM RSSI: -100 dBm
    assert isinstance(_weak(gsm, -104)[0], Started)


def test_weak_signal_uses_the_windowed_median_not_single_readings() -> None:
    engine = RuleEngine()
    # every third reading is terrible: the median stays fine
    steps = every(0, 1800, 30, lambda t: [lte(t, rsrp=-125 if int(t / 30) % 3 == 0 else -95)])
    assert of(live(engine, steps), "WEAK_SIGNAL") == []
    engine2 = RuleEngine()
    steps = every(0, 1800, 30, lambda t: [lte(t, rsrp=-95 if int(t / 30) % 3 == 0 else -118)])
    got = of(live(engine2, steps), "WEAK_SIGNAL")
    assert kinds(got)[0] == "started"
    assert isinstance(got[0][1], Started)
    evidence = got[0][1].evidence.last_bad
    assert evidence["median_rsrp_dbm"] == -118 and evidence["operator"] == TSEL
    assert evidence["cell_id"] == 1234 and evidence["threshold_dbm"] == -110


def test_problems_are_keyed_per_operator() -> None:
    engine = engine_with(no_service={"for_s": 60})
    steps = every(0, 300, 30, lambda t: [lte(t, op="510-01" if t < 150 else TSEL)])
    steps += every(300, 600, 30, lambda t: [no_service(t)])
    got = of(live(engine, steps), "NO_SERVICE")
    assert {tr.key.operator for _, tr in got} == {TSEL}  # the last serving operator


def test_sim_absent_is_a_modem_fault_not_no_service() -> None:
    engine = RuleEngine()
    steps = every(0, 300, 30, lambda t: [lte(t)])
    steps += every(300, 900, 30, lambda t: [no_service(t, reg="not-registered", sim="absent")])
    got = live(engine, steps)
    assert of(got, "NO_SERVICE") == [] and of(got, "NO_COVERAGE") == []
    started = of(got, "MODEM_FAULT")[0][1]
    assert isinstance(started, Started) and started.first_bad_ns == at(300)
    assert (
        started.key.operator == FIELD_TEAM and started.evidence.last_bad["detail"] == "SIM absent"
    )


def test_modem_lost_until_back() -> None:
    engine = RuleEngine()
    steps = every(0, 300, 30, lambda t: [lte(t), ping(t)])
    steps += [(300, [event(300, "modem-lost", "port vanished"), ping(300)])]
    steps += every(330, 600, 30, lambda t: [ping(t)])
    steps += [(600, [event(600, "modem-back")]), *every(630, 1200, 30, lambda t: [lte(t)])]
    got = of(live(engine, steps), "MODEM_FAULT")
    assert kinds(got) == ["started", "cleared"]
    assert isinstance(got[0][1], Started) and got[0][1].first_bad_ns == at(300)
    assert isinstance(got[1][1], Cleared) and got[1][1].cleared_ns == at(600)


def test_skipped_throughput_is_not_low_throughput() -> None:
    engine = RuleEngine()
    steps = every(0, 7200, 600, lambda t: [lte(t), tput(t, None, status="skipped-budget")])
    assert of(live(engine, steps), "LOW_THROUGHPUT") == []
    engine2 = RuleEngine()
    steps = every(0, 7200, 600, lambda t: [lte(t), tput(t, 2e5, status="ok")])
    got = of(live(engine2, steps), "LOW_THROUGHPUT")
    assert isinstance(got[0][1], Started) and got[0][1].key.operator == TSEL


def test_no_coverage_recommends_satellite_after_a_long_no_service() -> None:
    engine = RuleEngine()  # 3600 s with no operator usable (10 minute windows)
    steps = every(0, 300, 60, lambda t: [lte(t, op="510-11")])
    steps += every(300, 6000, 60, lambda t: [no_service(t)])
    got = of(live(engine, steps), "NO_COVERAGE")
    (t_start, started), *_ = got
    assert isinstance(started, Started) and started.key.operator == SATELLITE
    assert "satellite" in started.evidence.note
    assert started.first_bad_ns == at(840)  # 10 minutes after the last service (240 s)
    assert t_start == 840 + 3600
    assert started.evidence.last_bad["operators_seen"] == "510-11"


# -- bounds ------------------------------------------------------------------------------------


def test_memory_per_site_is_bounded_by_time_and_count() -> None:
    engine = engine_with(
        engine={"horizon_s": 3600, "max_observations": 50},
        low_throughput={"window_s": 600},
        no_coverage={"enabled": False},
    )
    engine.observe(SITE, [lte(t) for t in range(0, 100_000, 10)])
    window = engine.window(SITE)
    assert window is not None and len(window.signals) == 50
    engine2 = engine_with(
        engine={"horizon_s": 3600, "max_observations": 100_000},
        low_throughput={"window_s": 600},
        no_coverage={"enabled": False},
    )
    engine2.observe(SITE, [lte(t) for t in range(0, 100_000, 10)])
    window2 = engine2.window(SITE)
    assert window2 is not None and len(window2.signals) == 361
    # data older than the horizon when it arrives is not evaluated (bounded lateness)
    assert engine2.observe(SITE, [no_service(0)]) == 0
    assert window2.dropped_late == 1


def test_closed_keys_are_forgotten_after_the_horizon() -> None:
    engine = engine_with(
        no_service={"for_s": 0, "hold_s": 0},
        engine={"horizon_s": 3600},
        low_throughput={"window_s": 600},
        no_coverage={"enabled": False},
    )
    live(engine, [(0, [lte(0)]), (10, [no_service(10)]), (20, [lte(20)])])
    live(engine, every(30, 8000, 300, lambda t: [lte(t)]))
    assert engine.open_problems(SITE) == []
    assert engine.evaluate(SITE, at(8000) + 10 * S) == []


def test_no_service_before_any_operator_is_known_clears_when_service_comes() -> None:
    engine = engine_with(no_service={"for_s": 60, "hold_s": 120})
    steps = every(0, 300, 30, lambda t: [no_service(t)]) + every(300, 600, 30, lambda t: [lte(t)])
    got = of(live(engine, steps), "NO_SERVICE")
    assert [(type(tr).__name__, tr.key.operator) for _, tr in got] == [
        ("Started", UNKNOWN_OPERATOR),
        ("Cleared", UNKNOWN_OPERATOR),
    ]
    assert isinstance(got[1][1], Cleared) and got[1][1].cleared_ns == at(300)


def test_evaluating_without_new_data_only_moves_time_driven_rules() -> None:
    engine = RuleEngine()
    live(engine, every(0, 600, 30, lambda t: [lte(t), no_service(t + 1)]))
    assert engine.evaluate(SITE, at(600)) == []
    assert [p.key.problem for p in engine.open_problems(SITE)] == ["NO_SERVICE"]
