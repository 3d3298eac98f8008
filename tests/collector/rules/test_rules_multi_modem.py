"""A kit with a modem per operator: one modem lost is a MODEM_FAULT although the other
modems' readings go on (the engine and the reference implementation agree); a
one-modem kit is judged as before."""

from __future__ import annotations

from dataclasses import replace

from rulefactory import at, engine_with, event, every, live, lte, of

from collector.rules import FIELD_TEAM, Cleared, RulesConfig, Started
from collector.rules.observations import KitEvent, Observation, Signal
from collector.rules.reference import modem_fault as reference_modem_fault
from collector.rules.window import SiteWindow

ISAT = "510-01"


def of_modem(obs: Signal | KitEvent, modem: str) -> Observation:
    return replace(obs, modem=modem)


def test_a_lost_modem_stays_lost_while_another_modem_reads() -> None:
    good = every(
        0, 100, 10, lambda t: [of_modem(lte(t), "tsel"), of_modem(lte(t, op=ISAT), "isat")]
    )
    lost = [(100.0, [of_modem(event(100, "modem-lost", "/dev/isat vanished"), "isat")])]
    others = every(110, 400, 10, lambda t: [of_modem(lte(t), "tsel")])  # isat silent
    back = every(
        400, 700, 10, lambda t: [of_modem(lte(t), "tsel"), of_modem(lte(t, op=ISAT), "isat")]
    )
    engine = engine_with(modem_fault={"for_s": 60, "hold_s": 120, "flap_changes": 0})
    got = of(live(engine, good + lost + others + back), "MODEM_FAULT")
    started = [tr for _, tr in got if isinstance(tr, Started)]
    cleared = [tr for _, tr in got if isinstance(tr, Cleared)]
    assert len(started) == 1 and started[0].key.operator == FIELD_TEAM
    assert started[0].first_bad_ns == at(100)
    assert len(cleared) == 1 and cleared[0].last_bad_ns == at(400)  # isat reads again


def test_the_reference_keeps_each_modems_state_too() -> None:
    window = SiteWindow(horizon_ns=at(10_000), max_per_kind=10_000)
    window.add(
        [
            of_modem(lte(0), "tsel"),
            of_modem(event(10, "modem-lost", "gone"), "isat"),
            of_modem(lte(20), "tsel"),
            of_modem(event(30, "modem-back"), "isat"),
            of_modem(lte(40), "tsel"),
        ]
    )
    samples = reference_modem_fault(window, RulesConfig(), at(50), 0)[FIELD_TEAM]
    assert [(s.t_ns, s.bad) for s in samples] == [
        (at(0), False), (at(10), True), (at(20), True), (at(30), False), (at(40), False),
    ]  # fmt: skip
