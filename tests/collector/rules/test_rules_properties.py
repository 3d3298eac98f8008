"""Hypothesis: whatever the observations, their order and the evaluation times, the
transitions per key read Started (Updated)* Cleared, never two open at once, and the
times are consistent."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rulefactory import SITE, at, engine_with, event, gsm, heard, lte, no_service, ping, tput, umts

from collector.rules import Cleared, Observation, ProblemKey, Started, Transition, Updated

SMALL = {
    "no_service": {"for_s": 20, "hold_s": 40, "flap_window_s": 120},
    "weak_signal": {"for_s": 20, "hold_s": 40, "window_s": 30},
    "poor_quality": {"for_s": 0, "hold_s": 30, "window_s": 30},
    "high_loss": {"for_s": 20, "hold_s": 0, "window_s": 30},
    "high_latency": {"for_s": 10, "hold_s": 20, "window_s": 60},
    "low_throughput": {"window_s": 120},
    "agent_silent": {"expected_interval_s": 10, "intervals": 3, "hold_s": 20},
    "modem_fault": {"for_s": 10, "hold_s": 30},
    "no_coverage": {"for_s": 60, "hold_s": 60, "coverage_window_s": 30, "flap_changes": 4},
    "engine": {
        "horizon_s": 600,
        "max_observations": 60,
        "historical_after_s": 60,
        "update_every_s": 15,
    },
}

OPERATORS = st.sampled_from(["510-10", "510-01", "510-11", None])


@st.composite
def observation(draw: st.DrawFn) -> Observation:
    t = draw(st.integers(0, 900))
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return no_service(
            t,
            reg=draw(st.sampled_from(["searching", "denied", "not-registered"])),
            sim=draw(st.sampled_from(["ready", "absent", None])),
        )
    if kind <= 3:
        return lte(
            t,
            rsrp=draw(st.floats(-130, -70)),
            sinr=draw(st.none() | st.floats(-10, 25)),
            op=draw(OPERATORS),
        )
    if kind == 4:
        return draw(st.sampled_from([umts, gsm]))(t, draw(st.floats(-120, -60)), draw(OPERATORS))
    if kind <= 6:
        return ping(
            t,
            loss=draw(st.sampled_from([0.0, 0.1, 0.5, 1.0])),
            rtt=draw(st.none() | st.floats(10, 2000)),
            status=draw(st.sampled_from(["ok", "timeout", "unreachable", "error"])),
        )
    if kind == 7:
        return tput(
            t,
            draw(st.none() | st.floats(1e4, 1e7)),
            draw(st.sampled_from(["download", "upload"])),
            draw(st.sampled_from(["ok", "skipped-budget"])),
        )
    if kind == 8:
        return event(
            t, draw(st.sampled_from(["modem-lost", "modem-back", "sim-problem", "reboot"]))
        )
    return heard(t)


@st.composite
def scenario(draw: st.DrawFn) -> list[tuple[list[Observation], int]]:
    """Batches of observations in any order, each followed by an evaluation time."""
    batches = draw(st.lists(st.lists(observation(), max_size=25), min_size=1, max_size=12))
    times = draw(st.lists(st.integers(0, 1200), min_size=len(batches), max_size=len(batches)))
    return list(zip(batches, sorted(times), strict=True))


def _check(transitions: list[Transition]) -> dict[ProblemKey, Started | Updated | None]:
    open_: dict[ProblemKey, Started | Updated | None] = {}
    last_clear: dict[ProblemKey, int] = {}
    for tr in transitions:
        current = open_.get(tr.key)
        if isinstance(tr, Started):
            assert current is None, f"two open problems for {tr.key}"
            assert tr.first_bad_ns <= tr.last_bad_ns
            if tr.key in last_clear:
                assert tr.first_bad_ns > last_clear[tr.key]
            open_[tr.key] = tr
        elif isinstance(tr, Updated):
            assert current is not None, f"Updated without Started for {tr.key}"
            assert tr.first_bad_ns == current.first_bad_ns
            assert tr.historical == current.historical
            assert current.last_bad_ns <= tr.last_bad_ns
            open_[tr.key] = tr
        else:
            assert isinstance(tr, Cleared)
            assert current is not None, f"Cleared without Started for {tr.key}"
            assert current.first_bad_ns <= current.last_bad_ns <= tr.last_bad_ns <= tr.cleared_ns
            last_clear[tr.key] = tr.cleared_ns
            open_[tr.key] = None
    return open_


@settings(max_examples=150, deadline=None)
@given(scenario())
def test_transitions_are_well_formed_for_any_stream(
    steps: list[tuple[list[Observation], int]],
) -> None:
    engine = engine_with(**SMALL)
    transitions: list[Transition] = []
    for batch, now_s in steps:
        engine.observe(SITE, batch)
        transitions += engine.evaluate(SITE, at(now_s))
    transitions += engine.evaluate(SITE, at(5000))  # time passes, no data
    open_ = _check(transitions)
    still_open = {k for k, v in open_.items() if v is not None}
    assert {p.key for p in engine.open_problems(SITE)} == still_open
    for problem in engine.open_problems(SITE):
        assert problem.first_bad_ns <= problem.last_bad_ns


@settings(max_examples=150, deadline=None)
@given(scenario())
def test_incremental_evaluation_equals_judging_every_window_whole(
    steps: list[tuple[list[Observation], int]],
) -> None:
    """The engine judges only what may have changed since its last evaluation; that must
    give exactly what judging the whole window every time gives."""
    from collector.rules import RuleEngine
    from collector.rules.config import rules_from_mapping

    config = rules_from_mapping(SMALL, source="test.toml")
    fast, reference = RuleEngine(config), RuleEngine(config, recompute_all=True)
    for batch, now_s in steps:
        fast.observe(SITE, batch)
        reference.observe(SITE, batch)
        assert fast.evaluate(SITE, at(now_s)) == reference.evaluate(SITE, at(now_s))
    assert fast.evaluate(SITE, at(5000)) == reference.evaluate(SITE, at(5000))


@settings(max_examples=100, deadline=None)
@given(scenario(), st.lists(st.booleans(), min_size=12, max_size=12))
def test_incremental_evaluation_equals_judging_whole_across_the_collectors_outages(
    steps: list[tuple[list[Observation], int]], stalls: list[bool]
) -> None:
    """The collector's own outages (:meth:`RuleEngine.resume` before an evaluation) keep
    the incremental evaluation equal to judging every window whole, and well formed."""
    from collector.rules import RuleEngine
    from collector.rules.config import rules_from_mapping

    config = rules_from_mapping(SMALL, source="test.toml")
    fast, reference = RuleEngine(config), RuleEngine(config, recompute_all=True)
    transitions: list[Transition] = []
    previous = 0
    for (batch, now_s), stalled in zip(steps, stalls, strict=False):
        fast.observe(SITE, batch)
        reference.observe(SITE, batch)
        if stalled:
            fast.resume(at(now_s), down_ns=at(previous))
            reference.resume(at(now_s), down_ns=at(previous))
        got = fast.evaluate(SITE, at(now_s))
        assert got == reference.evaluate(SITE, at(now_s))
        transitions += got
        previous = now_s
    got = fast.evaluate(SITE, at(5000))
    assert got == reference.evaluate(SITE, at(5000))
    _check(transitions + got)


@st.composite
def heard_between(draw: st.DrawFn) -> list[tuple[list[Observation], int]]:
    """Batches of measurements and batches that only say the kit was heard (a kit whose
    clock is not trusted, an SMS), each followed by an evaluation time."""
    batches = draw(
        st.lists(
            st.one_of(
                st.lists(observation(), min_size=1, max_size=15),
                st.lists(st.integers(0, 1200).map(heard), min_size=1, max_size=3),
            ),
            min_size=1,
            max_size=14,
        )
    )
    times = draw(st.lists(st.integers(0, 1200), min_size=len(batches), max_size=len(batches)))
    return list(zip(batches, sorted(times), strict=True))


@settings(max_examples=150, deadline=None)
@given(heard_between())
def test_batches_only_heard_judge_as_the_whole_window(
    steps: list[tuple[list[Observation], int]],
) -> None:
    """A batch that only says the kit was heard judges again only the rules that read
    arrivals; that gives exactly what judging every rule's whole window gives."""
    from collector.rules import RuleEngine
    from collector.rules.config import rules_from_mapping

    config = rules_from_mapping(SMALL, source="test.toml")
    fast, reference = RuleEngine(config), RuleEngine(config, recompute_all=True)
    for batch, now_s in steps:
        fast.observe(SITE, iter(batch))  # any iterable, as the brain may pass
        reference.observe(SITE, batch)
        assert fast.evaluate(SITE, at(now_s)) == reference.evaluate(SITE, at(now_s))
    assert fast.evaluate(SITE, at(5000)) == reference.evaluate(SITE, at(5000))
