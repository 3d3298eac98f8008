"""The incident engine, with a driven clock: scenarios of tickets opening and resolving.

:class:`incidentworld.World` applies the engine's plans as the store does; each test
plays a scenario and checks the incidents and the pages they made.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import replace
from pathlib import Path

import pytest
from incidentworld import T0, S, World

import collector.incidents
import collector.incidents_by_hand
from collector.incidents import (
    FAMILY,
    Family,
    Incident,
    Kind,
    Scope,
    Settings,
    Silence,
    cell_of,
    family_of,
    titles,
)
from collector.rules.model import ProblemName

CELL = "510-01:12825858"
MIN = 60 * S


def tps(kab: str, n: int) -> str:
    """The n-th TPS of a kabupaten/kota (4 digits): a 13-digit code."""
    return f"{kab}{n:09d}"


def test_every_problem_has_a_family() -> None:
    assert set(FAMILY) == set(ProblemName)
    assert family_of("AGENT_SILENT") is Family.KIT and family_of("HIGH_LOSS") is Family.NETWORK
    with pytest.raises(ValueError, match="'NOPE' has no incident family"):
        family_of("NOPE")


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        ({"last_bad": {"cell_id": 12825858, "operator": "510-01"}}, CELL),
        ({"last_bad": {"cell_id": None}, "first_bad": {"cell_id": 7}}, "510-10:7"),
        ({"last_bad": {"cell_id": True}}, None),
        ({"last_bad": {"cell_id": None}, "last_cell_id": 99}, "510-10:99"),  # lost service
        ({}, None),
    ],
)
def test_the_cell_comes_from_the_evidence(evidence: dict[str, object], expected: str) -> None:
    assert cell_of("510-10", evidence) == expected


def test_a_cell_outage_of_14_sites_is_one_incident_one_trigger_one_resolve() -> None:
    w = World()
    tickets = [w.open_ticket(T0 + i * S, tps("3171", i), cell=CELL) for i in range(14)]
    assert w.actions() == []  # group wait: nobody paged yet
    w.run(T0, T0 + MIN)
    assert len(w.every) == 1
    (incident,) = w.every.values()
    assert incident.kind is Kind.CELL and incident.affected == 14
    assert {w.member_ids[t] for t in tickets} == {incident.id}
    assert w.pages[0][1:] == ("trigger", T0 + 30 * S, 14)
    for i, t in enumerate(tickets):
        w.resolve_ticket(T0 + 10 * MIN + i * S, t)
    w.run(T0 + 10 * MIN, T0 + 30 * MIN)
    assert w.actions() == ["trigger", "resolve"]  # recovering together: no update
    (done,) = w.every.values()
    assert done.state == "resolved" and done.resolved_ns == T0 + 10 * MIN + 13 * S


def test_sites_joining_and_recovering_one_by_one_update_within_the_limit() -> None:
    w = World()
    tickets = []
    for i in range(30):  # a site a minute joins, then one a minute recovers
        tickets.append(w.open_ticket(T0 + i * MIN, tps("3171", i), cell=CELL))
        w.run(T0 + i * MIN, T0 + (i + 1) * MIN - S)
    for i, t in enumerate(tickets):
        w.resolve_ticket(T0 + (30 + i) * MIN, t)
        w.run(T0 + (30 + i) * MIN, T0 + (31 + i) * MIN - S)
    w.run(T0 + 60 * MIN, T0 + 70 * MIN)
    actions = w.actions()
    assert actions[0] == "trigger" and actions[-1] == "resolve"
    assert actions.count("trigger") == 1 and actions.count("resolve") == 1
    updates = [p for p in w.pages if p[1] == "update"]
    assert updates, "the count moved from 1 to 30 and back"
    times = [at for _, action, at, _ in w.pages if action != "resolve"]
    assert all(b - a >= 300 * S for a, b in itertools.pairwise(times))
    assert len(w.every) == 1


def test_a_ticket_back_within_the_hold_rejoins_its_incident() -> None:
    w = World()
    t = w.open_ticket(T0, tps("3171", 1), cell=CELL)
    w.run(T0, T0 + MIN)
    w.resolve_ticket(T0 + 2 * MIN, t)
    w.run(T0 + 2 * MIN, T0 + 4 * MIN)  # within hold_s (5 min)
    back = w.open_ticket(T0 + 5 * MIN, tps("3171", 1), cell=CELL)
    w.run(T0 + 5 * MIN, T0 + 6 * MIN)
    assert w.member_ids[back] == w.member_ids[t] and len(w.every) == 1
    assert w.actions() == ["trigger"]


def test_an_area_incident_forms_over_its_cells_and_dissolves() -> None:
    w = World()
    # Two sites paged alone first (one cell incident), then the area fails cell by cell.
    first = [w.open_ticket(T0 + i * S, tps("3171", i), cell="510-01:1") for i in range(2)]
    w.run(T0, T0 + MIN)
    assert w.actions() == ["trigger"]
    others = [w.open_ticket(T0 + MIN + i * S, tps("3171", 10 + i), cell=f"510-01:{10 + i}")
              for i in range(4)]  # fmt: skip
    w.run(T0 + MIN, T0 + 3 * MIN)
    area = next(i for i in w.every.values() if i.kind is Kind.AREA)
    assert area.affected == 6 and area.scope == Scope(None, "3171", "31")
    assert [i.key for i in w.top() if i.state == "open"] == [area.key]
    cell = w.member_ids[first[0]]
    assert w.actions(cell) == ["trigger", "resolve"]  # adopted: its page ends
    assert w.actions(area.id) == ["trigger"]
    for i, t in enumerate(first + others):
        w.resolve_ticket(T0 + 10 * MIN + i * S, t)
    w.run(T0 + 10 * MIN, T0 + 20 * MIN)
    assert w.actions(area.id) == ["trigger", "resolve"]
    assert all(i.state == "resolved" for i in w.every.values())
    assert w.actions().count("trigger") == 2


def test_kit_faults_at_many_sites_go_to_the_field_team_as_one_incident() -> None:
    w = World()
    for i in range(4):
        w.open_ticket(T0 + i * S, tps("3273", i), operator="field-team",
                      problem="AGENT_SILENT" if i % 2 else "MODEM_FAULT", route="field")  # fmt: skip
    w.run(T0, T0 + MIN)
    (top,) = [i for i in w.top() if i.state == "open"]
    assert top.kind is Kind.FIELD and top.route == "field" and top.affected == 4
    assert top.operator == "field-team" and top.family is Family.KIT
    assert [a for i, a, _, _ in w.pages] == ["trigger"]
    assert titles(top, {})[0] == "Field team area 3273 kit faults: 4 TPS"
    assert titles(top, {})[1] == "Tim lapangan wilayah 3273 gangguan perangkat: 4 TPS"


def test_a_silence_keeps_the_record_pages_nobody_and_triggers_when_it_ends() -> None:
    w = World()
    w.silences = [Silence(9, "510-01", T0 - MIN, T0 + 20 * MIN, cell=CELL)]
    tickets = [w.open_ticket(T0 + i * S, tps("3171", i), cell=CELL) for i in range(5)]
    w.run(T0, T0 + 10 * MIN)
    (incident,) = w.every.values()
    assert incident.silenced_by == 9 and incident.affected == 5 and w.actions() == []
    w.run(T0 + 10 * MIN, T0 + 25 * MIN)  # the work overran: the silence ended, still down
    assert w.actions() == ["trigger"] and w.pages[0][2] == T0 + 20 * MIN
    assert w.every[incident.id or 0].silenced_by is None
    for t in tickets:
        w.resolve_ticket(T0 + 30 * MIN, t)
    w.run(T0 + 30 * MIN, T0 + 40 * MIN)
    assert w.actions() == ["trigger", "resolve"]


def test_a_silence_over_the_whole_outage_pages_nothing_ever() -> None:
    w = World()
    w.silences = [Silence(3, "510-01", T0, T0 + 60 * MIN, kabupaten="3171", family=Family.COVERAGE)]
    t = w.open_ticket(T0, tps("3171", 1), cell=CELL)
    w.run(T0, T0 + 5 * MIN)
    w.resolve_ticket(T0 + 5 * MIN, t)
    w.run(T0 + 5 * MIN, T0 + 20 * MIN)
    assert w.actions() == [] and all(i.state == "resolved" for i in w.every.values())


@pytest.mark.parametrize(
    ("silence", "matches"),
    [
        (Silence(1, "510-01", T0, T0 + MIN), True),
        (Silence(1, "510-10", T0, T0 + MIN), False),  # another operator's
        (Silence(1, "510-01", T0 + 1, T0 + MIN), False),  # not started
        (Silence(1, "510-01", T0 - MIN, T0), False),  # over (end exclusive)
        (Silence(1, "510-01", T0, T0 + MIN, cell=CELL), True),
        (Silence(1, "510-01", T0, T0 + MIN, cell="510-01:1"), False),
        (Silence(1, "510-01", T0, T0 + MIN, province="31", family=Family.COVERAGE), True),
        (Silence(1, "510-01", T0, T0 + MIN, kabupaten="3172"), False),
        (Silence(1, "510-01", T0, T0 + MIN, family=Family.NETWORK), False),
    ],
)
def test_what_a_silence_matches(silence: Silence, matches: bool) -> None:
    incident = Incident(None, "k", Kind.CELL, "510-01", Family.COVERAGE, "NO_SERVICE",
                        Scope(CELL, "3171", "31"), "r", T0, T0)  # fmt: skip
    assert silence.matches(incident, T0) is matches


def test_a_tower_outage_of_50_sites_is_one_incident() -> None:
    w = World()
    tickets = [w.open_ticket(T0 + i * S // 2, tps("3171", i), cell=CELL) for i in range(50)]
    w.run(T0, T0 + 10 * MIN)
    for t in tickets:
        w.resolve_ticket(T0 + 20 * MIN, t)
    w.run(T0 + 20 * MIN, T0 + 30 * MIN)
    assert len(w.every) == 1 and w.actions() == ["trigger", "resolve"]
    (incident,) = w.every.values()
    assert len(incident.sites) == 0 or len(incident.sites) <= 50


def test_a_province_degradation_of_500_sites_is_one_incident_paging() -> None:
    w = World(Settings(group_wait_ns=60 * S))
    tickets = []
    for i in range(500):  # 10 kabupaten, 25 cells, within 50 s
        kab = f"31{71 + i % 10:02d}"
        tickets.append(w.open_ticket(T0 + i * S // 10, tps(kab, i), problem="HIGH_LOSS",
                                     cell=f"510-01:{i % 25}"))  # fmt: skip
    w.run(T0, T0 + 10 * MIN)
    tops = [i for i in w.top() if i.state == "open"]
    assert len(tops) == 1 and tops[0].affected == 500 and tops[0].scope.kabupaten is None
    assert tops[0].scope.province == "31" and len(tops[0].sites) == 50
    assert w.actions() == ["trigger"]
    for t in tickets:
        w.resolve_ticket(T0 + 20 * MIN, t)
    w.run(T0 + 20 * MIN, T0 + 30 * MIN)
    assert w.actions() == ["trigger", "resolve"]


def test_others_fine_counts_the_tps_where_another_network_works() -> None:
    w = World()
    w.fine = {tps("3171", 0): ["510-10"], tps("3171", 1): ["510-10", "510-11"]}
    for i in range(3):
        w.open_ticket(T0, tps("3171", i), cell=CELL)
    (incident,) = w.every.values()
    assert incident.others_fine == {"count": 2, "operators": ["510-10", "510-11"]}


def test_titles_in_both_languages() -> None:
    incident = Incident(1, "k", Kind.CELL, "510-01", Family.COVERAGE, "NO_SERVICE",
                        Scope(CELL, "3171", "31"), "r", T0, T0, affected=14)  # fmt: skip
    assert titles(incident, {"510-01": "Indosat"}) == (
        f"Indosat cell {CELL} down: 14 TPS",
        f"Indosat sel {CELL} mati: 14 TPS",
    )
    # Every site recovered, the incident in its hold: how many it took, and that it is ending.
    incident = replace(incident, affected=0, paged_affected=14)
    assert titles(incident, {"510-01": "Indosat"}) == (
        f"Indosat cell {CELL} down: 14 TPS, recovering",
        f"Indosat sel {CELL} mati: 14 TPS, sedang pulih",
    )
    incident = replace(incident, state="resolved")
    assert titles(incident, {"510-01": "Indosat"})[0].endswith(": 14 TPS, recovered")


@pytest.mark.parametrize("module", [collector.incidents, collector.incidents_by_hand])
def test_the_engine_does_no_io(module: object) -> None:
    tree = ast.parse(Path(str(getattr(module, "__file__", ""))).read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert imported <= {"__future__", "collections", "dataclasses", "enum", "typing", "collector"}
