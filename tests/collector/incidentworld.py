"""A driven-clock stand-in for the store around :func:`collector.incidents.reconcile`.

It keeps incidents, memberships and pages in memory and applies plans the way the store
does (ids for new incidents, resolved ones leave the unresolved set), so engine tests
can play scenarios: tickets open and resolve, time passes, the tick runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from collector.incidents import (
    Group,
    Incident,
    Join,
    Member,
    Page,
    Plan,
    Settings,
    Silence,
    Write,
    family_of,
    reconcile,
)

S = 1_000_000_000
T0 = 1_800_000_000 * S


class World:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.open: dict[str, Incident] = {}
        self.every: dict[int, Incident] = {}
        self.members: dict[int, str] = {}  # ticket -> base incident key (unresolved)
        self.member_ids: dict[int, int] = {}  # ticket -> incident id
        self.live: dict[int, tuple[str, Member]] = {}  # ticket -> (operator, member)
        self.pages: list[tuple[int, str, int, int]] = []  # (incident id, action, at, affected)
        self.silences: list[Silence] = []
        self.fine: dict[str, list[str]] = {}
        self._next = 1
        self._ticket = 100

    def open_ticket(
        self, now: int, site: str, *, operator: str = "510-01", problem: str = "NO_SERVICE",
        cell: str | None = None, route: str = "indosat",
    ) -> int:  # fmt: skip
        self._ticket += 1
        self.live[self._ticket] = (
            operator,
            Member(self._ticket, site, problem, cell, now, route),
        )
        self.tick(now, groups=[self._group_of(self._ticket)])
        return self._ticket

    def resolve_ticket(self, now: int, ticket: int) -> None:
        group = self._group_of(ticket)
        del self.live[ticket]
        self.tick(now, groups=[group])

    def _group_of(self, ticket: int) -> tuple[str, str, str]:
        operator, m = self.live[ticket]
        return operator, family_of(m.problem), m.site_code[:2]

    def groups(self) -> set[tuple[str, str, str]]:
        out = {self._group_of(t) for t in self.live}
        out |= {(i.operator, i.family, i.scope.province or "") for i in self.open.values()}
        return out

    def tick(self, now: int, groups: Sequence[tuple[str, str, str]] | None = None) -> None:
        for operator, family, province in sorted(groups or self.groups()):
            live = [
                m
                for op, m in self.live.values()
                if op == operator and family_of(m.problem) == family
                and m.site_code[:2] == province
            ]  # fmt: skip
            incidents = [
                i
                for i in self.open.values()
                if (i.operator, i.family, i.scope.province) == (operator, family, province)
            ]
            group = Group(
                operator, family_of(live[0].problem) if live else incidents[0].family,
                province, incidents,
                {m.ticket_id: self.members[m.ticket_id] for m in live
                 if m.ticket_id in self.members},
                live, {s: self.fine[s] for m in live for s in [m.site_code] if s in self.fine},
            )  # fmt: skip
            self.apply(reconcile(group, now, self.settings, self.silences))

    def apply(self, plan: Plan) -> None:
        written: dict[str, Incident] = {}
        for step in plan.steps:
            if isinstance(step, Write):
                inc = step.incident
                if inc.id is None:
                    inc = dataclasses.replace(inc, id=self._next)
                    self._next += 1
                else:
                    assert self.open[inc.key].id == inc.id
                assert inc.id is not None
                self.every[inc.id] = written[inc.key] = inc
                if inc.state == "resolved":
                    self.open.pop(inc.key, None)
                else:
                    self.open[inc.key] = inc
            elif isinstance(step, Join):
                self.members[step.ticket_id] = step.key
                joined = self.open[step.key].id
                assert joined is not None
                self.member_ids[step.ticket_id] = joined
            elif isinstance(step, Page):
                inc = written.get(step.key) or self.open[step.key]
                assert inc.id is not None
                self.pages.append((inc.id, step.action, step.at_ns, inc.affected))

    def run(self, start: int, end: int, every: int = 5 * S) -> None:
        """Tick from ``start`` to ``end`` (inclusive)."""
        t = start
        while t <= end:
            self.tick(t)
            t += every

    def actions(self, incident_id: int | None = None) -> list[str]:
        return [a for i, a, _, _ in self.pages if incident_id is None or i == incident_id]

    def top(self) -> list[Incident]:
        return [i for i in self.every.values() if i.parent_key is None]
