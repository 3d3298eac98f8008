"""Incidents acknowledged and escalated by hand: table tests of the decisions, and
scenarios on a driven clock (collector.incidents.acknowledge, escalate)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from incidentworld import T0, S, World

from collector.incidents import Family, Incident, Kind, Page, Paged, Scope
from collector.incidents_by_hand import MAX_ESCALATION, UNCHANGED, ByHand, acknowledge, escalate

MIN = 60 * S
CELL = "510-01:12825858"
NOW = T0 + 10 * MIN
KEY = f"cell:510-01:coverage:{CELL}@31"
OPEN = Incident(
    7, KEY, Kind.CELL, "510-01", Family.COVERAGE, "NO_SERVICE", Scope(CELL, "3171", "31"),
    "indosat", T0, T0 + MIN, paged=Paged.TRIGGERED, paged_ns=T0 + 30 * S, paged_affected=14,
    affected=14,
)  # fmt: skip
WAITING = replace(OPEN, paged=Paged.NO, paged_ns=None, paged_affected=0)
ACKED = replace(OPEN, acked_by="siti", acked_ns=T0 + 2 * MIN, ack_note="on it")
RESOLVED = replace(OPEN, state="resolved", resolved_ns=T0 + 5 * MIN, paged=Paged.RESOLVED)
CHILD = replace(OPEN, parent_key="area:510-01:coverage:3171")


def tps(kab: str, n: int) -> str:
    return f"{kab}{n:09d}"


def page(action: str) -> Page:
    return Page(KEY, action, NOW)


@pytest.mark.parametrize(
    ("incident", "expected"),
    [
        pytest.param(
            OPEN,
            ByHand(
                replace(OPEN, acked_by="budi", acked_ns=NOW, ack_note="n", updated_ns=NOW),
                "acknowledged",
                (page("acknowledge"),),
            ),
            id="triggered: acknowledged, the NOC told",
        ),
        pytest.param(
            WAITING,
            ByHand(
                replace(WAITING, acked_by="budi", acked_ns=NOW, ack_note="n", updated_ns=NOW),
                "acknowledged",
                (),
            ),
            id="not yet paged: recorded, nothing to tell",
        ),
        pytest.param(ACKED, UNCHANGED, id="acknowledged already (by anyone): nothing"),
        pytest.param(
            replace(ACKED, escalation=2), UNCHANGED, id="escalated and acknowledged: nothing"
        ),
        pytest.param(
            RESOLVED,
            ByHand(refused="incident 7 is resolved: it cannot be acknowledged"),
            id="resolved: refused",
        ),
        pytest.param(
            CHILD,
            ByHand(
                refused="incident 7 is part of the area incident area:510-01:coverage:3171, "
                "which pages for it: that one can be acknowledged"
            ),
            id="inside an area: refused",
        ),
    ],
)
def test_acknowledge(incident: Incident, expected: ByHand) -> None:
    assert acknowledge(incident, "budi", "n", NOW) == expected


@pytest.mark.parametrize(
    ("incident", "level", "expected"),
    [
        pytest.param(
            OPEN,
            None,
            ByHand(
                replace(OPEN, escalation=1, escalated_ns=NOW, updated_ns=NOW),
                "escalated",
                (page("escalate"),),
            ),
            id="the next level, paged once",
        ),
        pytest.param(
            replace(OPEN, escalation=1),
            None,
            ByHand(
                replace(OPEN, escalation=2, escalated_ns=NOW, updated_ns=NOW),
                "escalated",
                (page("escalate"),),
            ),
            id="1 -> 2",
        ),
        pytest.param(
            replace(OPEN, escalation=1), 1, UNCHANGED, id="level 1 again (a double click)"
        ),
        pytest.param(
            OPEN,
            2,
            ByHand(
                replace(OPEN, escalation=2, escalated_ns=NOW, updated_ns=NOW),
                "escalated",
                (page("escalate"),),
            ),
            id="straight to 2",
        ),
        pytest.param(
            ACKED,
            None,
            ByHand(
                replace(ACKED, escalation=1, escalated_ns=NOW, updated_ns=NOW),
                "escalated",
                (page("escalate"),),
            ),
            id="acknowledged, and worse: escalated, the acknowledgement kept",
        ),
        pytest.param(
            WAITING,
            None,
            ByHand(
                replace(
                    WAITING,
                    escalation=1,
                    escalated_ns=NOW,
                    updated_ns=NOW,
                    paged=Paged.TRIGGERED,
                    paged_ns=NOW,
                    paged_affected=14,
                ),
                "escalated",
                (page("trigger"), page("escalate")),
            ),
            id="not yet paged: triggered now, then escalated",
        ),
        pytest.param(
            replace(WAITING, acked_by="siti", acked_ns=T0),
            None,
            ByHand(
                replace(
                    WAITING,
                    acked_by="siti",
                    acked_ns=T0,
                    escalation=1,
                    escalated_ns=NOW,
                    updated_ns=NOW,
                    paged=Paged.TRIGGERED,
                    paged_ns=NOW,
                    paged_affected=14,
                ),
                "escalated",
                (page("trigger"), page("acknowledge"), page("escalate")),
            ),
            id="not yet paged but acknowledged: trigger, acknowledge, escalate",
        ),
        pytest.param(
            replace(OPEN, escalation=MAX_ESCALATION),
            None,
            ByHand(refused=f"incident 7 is at the highest level ({MAX_ESCALATION}) already"),
            id="at the top: refused",
        ),
        pytest.param(
            OPEN,
            MAX_ESCALATION + 1,
            ByHand(refused=f"escalation levels are 1 to {MAX_ESCALATION}, not 4"),
            id="no such level: refused",
        ),
        pytest.param(
            RESOLVED,
            None,
            ByHand(refused="incident 7 is resolved: it cannot be escalated"),
            id="resolved: refused",
        ),
    ],
)
def test_escalate(incident: Incident, level: int | None, expected: ByHand) -> None:
    assert escalate(incident, "budi", "worse", NOW, level) == expected
    if expected.incident is not None:  # one page per level: the level reached again is nothing
        reached = expected.incident.escalation
        assert escalate(expected.incident, "ani", "", NOW + S, reached) == UNCHANGED


def test_a_child_is_refused_naming_its_area() -> None:
    refused = escalate(CHILD, "x", "", NOW).refused
    assert refused is not None and "area:510-01:coverage:3171" in refused


# -- scenarios on the driven clock ------------------------------------------------------------


def by_hand(w: World, decision: ByHand) -> None:
    """Apply a decision the way the store does: the incident written, then its pages."""
    assert decision.refused is None
    inc = decision.incident
    if inc is None:
        return
    assert inc.id is not None
    w.open[inc.key] = w.every[inc.id] = inc
    w.pages += [(inc.id, p.action, p.at_ns, inc.affected) for p in decision.pages]


def the_one(w: World) -> Incident:
    (inc,) = w.open.values()
    return inc


def test_an_acknowledgement_survives_updates_new_sites_and_the_hold() -> None:
    w = World()
    first = [w.open_ticket(T0 + i * S, tps("3171", i), cell=CELL) for i in range(4)]
    w.run(T0, T0 + MIN)
    by_hand(w, acknowledge(the_one(w), "siti", "on it", T0 + MIN))
    later = [w.open_ticket(T0 + 2 * MIN + i * S, tps("3171", 10 + i), cell=CELL) for i in range(10)]
    w.run(T0 + 2 * MIN, T0 + 10 * MIN)  # 4 -> 14 TPS: an update
    inc = the_one(w)
    assert inc.affected == 14 and (inc.acked_by, inc.acked_ns) == ("siti", T0 + MIN)
    by_hand(w, acknowledge(inc, "budi", "", T0 + 11 * MIN))  # a second: nothing
    for t in first + later:
        w.resolve_ticket(T0 + 12 * MIN, t)
    w.run(T0 + 12 * MIN, T0 + 14 * MIN)  # in its hold, a site comes back: it rejoins
    back = w.open_ticket(T0 + 15 * MIN, tps("3171", 1), cell=CELL)
    w.run(T0 + 15 * MIN, T0 + 16 * MIN)
    assert the_one(w).acked_by == "siti" and the_one(w).ack_note == "on it"
    assert w.actions()[:3] == ["trigger", "acknowledge", "update"]
    assert w.actions().count("acknowledge") == 1 and "resolve" not in w.actions()
    w.resolve_ticket(T0 + 17 * MIN, back)
    w.run(T0 + 17 * MIN, T0 + 30 * MIN)
    assert w.actions()[-1] == "resolve" and w.open == {}
    again = w.open_ticket(T0 + 40 * MIN, tps("3171", 1), cell=CELL)  # a new fault
    w.run(T0 + 40 * MIN, T0 + 41 * MIN)
    fresh = the_one(w)
    assert w.member_ids[again] == fresh.id != w.member_ids[back]
    assert fresh.acked_by is None and fresh.escalation == 0  # a new incident, unacknowledged


def test_acknowledged_in_the_group_wait_the_trigger_is_followed_by_the_acknowledgement() -> None:
    w = World()
    w.open_ticket(T0, tps("3171", 1), cell=CELL)
    by_hand(w, acknowledge(the_one(w), "siti", "", T0 + 10 * S))
    assert w.actions() == []
    w.run(T0, T0 + MIN)
    assert [(a, at) for _, a, at, _ in w.pages] == [
        ("trigger", T0 + 30 * S), ("acknowledge", T0 + 30 * S),
    ]  # fmt: skip


def test_escalation_pages_once_per_level_and_the_incident_carries_on() -> None:
    w = World()
    tickets = [w.open_ticket(T0 + i * S, tps("3171", i), cell=CELL) for i in range(3)]
    w.run(T0, T0 + MIN)
    for at, level in ((2 * MIN, 1), (2 * MIN + S, 1), (3 * MIN, None), (4 * MIN, 2)):
        by_hand(w, escalate(the_one(w), "siti", "", T0 + at, level))
    assert the_one(w).escalation == 2
    assert w.actions() == ["trigger", "escalate", "escalate"]
    for t in tickets:
        w.resolve_ticket(T0 + 5 * MIN, t)
    w.run(T0 + 5 * MIN, T0 + 20 * MIN)
    assert w.actions() == ["trigger", "escalate", "escalate", "resolve"]


def test_escalating_in_the_group_wait_pages_at_once_and_triggers_only_once() -> None:
    w = World()
    w.open_ticket(T0, tps("3171", 1), cell=CELL)
    by_hand(w, escalate(the_one(w), "siti", "", T0 + 5 * S))
    w.run(T0, T0 + 2 * MIN)
    assert [(a, at) for _, a, at, _ in w.pages] == [
        ("trigger", T0 + 5 * S), ("escalate", T0 + 5 * S),
    ]  # fmt: skip
