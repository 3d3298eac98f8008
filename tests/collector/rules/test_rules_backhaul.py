"""A site is judged against the link its kit declares (Hello.backhaul): thresholds
per backhaul, and the network problems of a satellite or wired kit go to its link's
queue, never to a mobile operator.

Timeline (seconds, a step every 10 s, judged live): the same steady figure from 0 to
400; with for_s = 60 a bad figure starts its problem at t = 60.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from rulefactory import SITE, TSEL, at, every, live, lte, no_service, of, ping, tput

from collector.rules import FIELD_TEAM, SATELLITE, UNKNOWN_OPERATOR, Observation, RuleEngine
from collector.rules.config import rules_from_mapping
from collector.rules.model import Started

FAST = {"for_s": 60, "hold_s": 60, "flap_changes": 0, "window_s": 1}


def _engine(link: str, **tables: dict[str, object]) -> RuleEngine:
    rules = {"high_latency": FAST, "high_loss": FAST, "low_throughput": FAST, **tables}
    engine = RuleEngine(rules_from_mapping(rules, source="test.toml"))
    engine.set_backhaul(SITE, link)
    return engine


def _opened(engine: RuleEngine, problem: str, make: object) -> list[str]:
    """The keys (operator or queue) of the problems ``problem`` started over 400 s."""
    steps = every(0, 400, 10, make)  # type: ignore[arg-type]
    got = of(live(engine, steps), problem)
    return [tr.key.operator for _, tr in got if isinstance(tr, Started)]


def _with_modem(modem: bool, t: float) -> list[Observation]:
    return [lte(t)] if modem else []  # a modem kept for readings names Telkomsel


@pytest.mark.parametrize(
    ("backhaul", "modem", "rtt_ms", "opened"),
    [
        # geostationary: 500-700 ms is the link's normal, not HIGH_LATENCY
        ("vsat-geo", False, 600, []),
        ("vsat-geo", False, 1100, []),
        ("vsat-geo", False, 1300, [SATELLITE]),
        ("vsat-geo", False, 1500, [SATELLITE]),
        ("vsat-geo", True, 600, []),
        ("vsat-geo", True, 1500, [SATELLITE]),  # the link's, not the modem's operator
        ("vsat-leo", False, 60, []),
        ("vsat-leo", False, 400, [SATELLITE]),
        ("wired", False, 100, []),
        ("wired", False, 200, [FIELD_TEAM]),
        # cellular is judged as before: 600 ms is high
        ("cellular", True, 250, []),
        ("cellular", True, 600, [TSEL]),
        ("cellular", False, 600, [UNKNOWN_OPERATOR]),
    ],
)
def test_high_latency_against_the_backhauls_baseline(
    backhaul: str, modem: bool, rtt_ms: float, opened: list[str]
) -> None:
    engine = _engine(backhaul)
    got = _opened(engine, "HIGH_LATENCY", lambda t: [*_with_modem(modem, t), ping(t, rtt=rtt_ms)])
    assert got == opened


@pytest.mark.parametrize(
    ("backhaul", "loss", "opened"),
    [
        ("vsat-geo", 0.22, []),  # rain fade: some loss is the link's normal
        ("vsat-geo", 0.4, [SATELLITE]),
        ("vsat-leo", 0.05, []),
        ("vsat-leo", 0.15, [SATELLITE]),
        ("wired", 0.03, []),
        ("wired", 0.08, [FIELD_TEAM]),
        ("cellular", 0.1, []),
        ("cellular", 0.22, [TSEL]),
    ],
)
def test_high_loss_against_the_backhauls_baseline(
    backhaul: str, loss: float, opened: list[str]
) -> None:
    engine = _engine(backhaul)
    make = lambda t: [lte(t), ping(t, loss=loss)]  # noqa: E731
    assert _opened(engine, "HIGH_LOSS", make) == opened


def test_the_rules_file_sets_a_backhauls_limit() -> None:
    engine = _engine("vsat-geo", backhaul={"vsat-geo": {"max_rtt_ms": 1600}})
    assert _opened(engine, "HIGH_LATENCY", lambda t: [ping(t, rtt=1500)]) == []
    engine = _engine("vsat-geo", backhaul={"vsat-geo": {"max_rtt_ms": 1600}})
    assert _opened(engine, "HIGH_LATENCY", lambda t: [ping(t, rtt=1700)]) == [SATELLITE]


def test_the_evidence_names_the_backhaul_and_its_limit() -> None:
    engine = _engine("vsat-geo")
    steps = every(0, 100, 10, lambda t: [ping(t, rtt=1500)])
    started = [tr for _, tr in of(live(engine, steps), "HIGH_LATENCY") if isinstance(tr, Started)]
    figures = started[0].evidence.last_bad
    assert figures["backhaul"] == "vsat-geo" and figures["max_rtt_ms"] == 1200
    assert figures["operator"] == SATELLITE and figures["window_median_ms"] == 1500


def test_slow_throughput_of_a_satellite_kit_goes_to_the_satellite_queue() -> None:
    engine = _engine("vsat-geo")
    assert _opened(engine, "LOW_THROUGHPUT", lambda t: [lte(t), tput(t, 2e5)]) == [SATELLITE]


def test_a_satellite_kit_is_not_told_to_get_a_satellite_link() -> None:
    """NO_COVERAGE is not judged for a kit with a link of its own; its modem, kept for
    readings, is still judged for the operator it reads."""
    searching = {"for_s": 60, "hold_s": 60, "flap_changes": 0}
    tables = {"no_coverage": {"for_s": 0, "coverage_window_s": 1}, "no_service": searching}
    engine = _engine("vsat-geo", **tables)
    steps = every(0, 400, 10, lambda t: [no_service(t), ping(t, rtt=600)])
    got = live(engine, steps)
    assert of(got, "NO_COVERAGE") == []
    assert [tr.key.problem for _, tr in got if isinstance(tr, Started)] == ["NO_SERVICE"]
    cellular = _engine("cellular", **tables)
    assert of(live(cellular, steps), "NO_COVERAGE") != []


def test_a_kit_without_a_modem_raises_no_radio_or_modem_problem() -> None:
    tables = {name: {"for_s": 0} for name in ("no_service", "no_coverage", "modem_fault")}
    engine = _engine("vsat-geo", **tables)
    steps = every(0, 400, 10, lambda t: [ping(t, rtt=650, loss=0.02)])
    assert [tr for _, tr in live(engine, steps) if isinstance(tr, Started)] == []


def test_the_backhaul_outlives_a_rebuild_and_a_change_rejudges_the_site() -> None:
    engine = _engine("vsat-geo")
    assert engine.set_backhaul(SITE, "vsat-geo") is False  # unchanged
    pings = [ping(t, rtt=600) for t in range(0, 400, 10)]
    assert engine.rebuild(SITE, pings, at(400)) == []  # a restart: still a satellite site
    assert engine.backhaul(SITE) == "vsat-geo"
    other = "3171011001006"
    assert engine.backhaul(other) == "cellular"  # a site never said: cellular
    assert engine.set_backhaul(SITE, "cellular") is True
    assert [p.key.operator for p in engine.rebuild(SITE, pings, at(400))] == [UNKNOWN_OPERATOR]


@pytest.mark.parametrize("backhaul", ["cellular", "vsat-geo", "vsat-leo", "wired"])
def test_incremental_and_brute_force_rules_agree_per_backhaul(backhaul: str) -> None:
    def steps() -> list[tuple[float, Sequence[Observation]]]:
        def make(t: float) -> list[Observation]:
            rtt = 900 if 100 <= t < 250 else 400
            loss = 0.3 if 150 <= t < 300 else 0.0
            return [lte(t), ping(t, rtt=rtt + t % 30, loss=loss), tput(t, 2e5 + 1e4 * t)]

        return every(0, 500, 10, make)

    runs = []
    for options in ({}, {"recompute_all": True}, {"reference": True}):
        rules = {"high_latency": FAST, "high_loss": FAST, "low_throughput": FAST}
        engine = RuleEngine(rules_from_mapping(rules, source="t.toml"), **options)  # type: ignore[arg-type]
        engine.set_backhaul(SITE, backhaul)
        runs.append(live(engine, steps()))
    assert runs[0] == runs[1] == runs[2]
    assert runs[0]  # the scenario opens problems on every backhaul


def test_a_change_of_backhaul_judges_the_window_again_under_the_new_link() -> None:
    engine = _engine("vsat-geo")
    steps = every(0, 200, 10, lambda t: [ping(t, rtt=600)])
    assert of(live(engine, steps), "HIGH_LATENCY") == []  # normal for the VSAT
    assert engine.set_backhaul(SITE, "cellular") is True  # the kit now says cellular
    started = [tr for tr in engine.evaluate(SITE, at(200)) if isinstance(tr, Started)]
    assert [(tr.key.operator, tr.first_bad_ns) for tr in started] == [(UNKNOWN_OPERATOR, at(0))]
    # back to the VSAT: the new key sees nothing bad; the old one is left as it was
    assert engine.set_backhaul(SITE, "vsat-geo") is True
    assert [tr for tr in engine.evaluate(SITE, at(200)) if isinstance(tr, Started)] == []
    assert [p.key.operator for p in engine.open_problems(SITE)] == [UNKNOWN_OPERATOR]
