"""Incidents: live tickets grouped into the faults a NOC pages on. No I/O, no clock, no SQL.

A site ticket (:mod:`collector.lifecycle`) is the evidence; an *incident* is the fault.
The store reads one *group* inside the transaction of a ticket change (or of the
periodic tick): every unresolved incident and every live (non-historical) ticket of one
operator (or queue), one problem family and one province, and calls :func:`reconcile`
with the time and the active silences; it writes back the returned :class:`Plan`.
Tests feed tables of groups and compare plans.

Families (:data:`FAMILY`): ``coverage`` (NO_SERVICE, WEAK_SIGNAL, POOR_QUALITY,
NO_COVERAGE), ``network`` (HIGH_LOSS, HIGH_LATENCY, LOW_THROUGHPUT) and ``kit``
(AGENT_SILENT, MODEM_FAULT: the field team's queue).

Kinds, bottom up:

- ``cell``: a ticket whose evidence names the serving cell joins the incident of its
  operator, family and cell (``510-01:12825858``; NO_SERVICE, which has no serving
  cell, names the one that served the site last: ``last_cell_id``, added by the
  brain); ``site``: a ticket without a known cell is an incident of its own site. These
  *base* incidents are what tickets are members of: a ticket is a member of exactly one.
- ``area`` (``field`` for the kit family): when at least ``area_min_sites``
  (``field_min_sites``) sites of one kabupaten/kota (TPS code digits 1-4) went bad
  within ``area_window_s`` of each other and more than one base incident holds them (a
  single cell is already one incident), an area incident opens and every base incident
  of that kabupaten becomes its child; a province-level ``area`` incident opens when
  area incidents stand in at least ``province_min_kabupaten`` kabupaten of the
  province, and then every other incident of the province is its child.

Only top-level incidents (no parent) page. A child that had already paged gets its
``resolve`` when it is adopted (the parent's trigger carries on for it).

Life: an incident with live tickets is ``open``; when its last live ticket resolves it
stays open ``hold_s`` (a ticket of its key coming back meanwhile rejoins it), then
resolves. An area incident holds as long as any of its children has live tickets.

Notifications (``Page`` steps, in the order the outbox delivers them per incident):
exactly one ``trigger`` per top-level incident, once it is ``group_wait_s`` old (sites
failing together are one incident before anyone is paged) and unsilenced; an
``update`` when the affected count moved from the last one paged by at least
``update_min_change_sites`` sites or ``update_min_change_ratio`` of it and then held
for ``group_wait_s`` (sites recovering together are one change, and a whole recovery
is only the resolve), at most once per ``update_min_interval_s`` (the latest count
wins); exactly one ``resolve`` for
anything triggered. A silence matching the incident (:class:`Silence`) keeps it
recorded with ``silenced_by`` set and unpaged; when the silence ends while the incident
is still open, it triggers then.

By hand (acknowledge, escalate): :mod:`collector.incidents_by_hand`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

_S = 1_000_000_000
#: The kit's queue (collector.rules.model.FIELD_TEAM; the rules package imports this one).
FIELD_TEAM = "field-team"


class Family(StrEnum):
    COVERAGE = "coverage"
    NETWORK = "network"
    KIT = "kit"


#: Every problem's family (by the names of collector.rules.model.ProblemName).
FAMILY: Mapping[str, Family] = {
    "NO_SERVICE": Family.COVERAGE,
    "WEAK_SIGNAL": Family.COVERAGE,
    "POOR_QUALITY": Family.COVERAGE,
    "NO_COVERAGE": Family.COVERAGE,
    "HIGH_LOSS": Family.NETWORK,
    "HIGH_LATENCY": Family.NETWORK,
    "LOW_THROUGHPUT": Family.NETWORK,
    "AGENT_SILENT": Family.KIT,
    "MODEM_FAULT": Family.KIT,
}


def family_of(problem: str) -> Family:
    try:
        return FAMILY[problem]
    except KeyError:
        raise ValueError(f"problem {problem!r} has no incident family") from None


class Kind(StrEnum):
    SITE = "site"
    CELL = "cell"
    AREA = "area"
    FIELD = "field"


class Paged(StrEnum):
    """How far the incident's paging went."""

    NO = "no"
    TRIGGERED = "triggered"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Settings:
    """The ``[incidents]`` table in ns and counts (see collector.rules.config)."""

    group_wait_ns: int = 30 * _S
    hold_ns: int = 300 * _S
    update_min_interval_ns: int = 300 * _S
    update_min_change_ratio: float = 0.25
    update_min_change_sites: int = 5
    area_min_sites: int = 5
    area_window_ns: int = 600 * _S
    province_min_kabupaten: int = 3
    field_min_sites: int = 3
    outage_grace_ns: int = 600 * _S


@dataclass(frozen=True, slots=True)
class Member:
    """A live ticket of the group (unresolved, not historical)."""

    ticket_id: int
    site_code: str
    problem: str
    cell: str | None  # "510-01:12825858", or None when the evidence names no cell
    first_bad_ns: int
    route: str


@dataclass(frozen=True, slots=True)
class Scope:
    cell: str | None = None
    kabupaten: str | None = None
    province: str | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    """An incident as stored (``id`` None: not yet written)."""

    id: int | None
    key: str
    kind: Kind
    operator: str
    family: Family
    problem: str
    scope: Scope
    route: str
    opened_ns: int
    updated_ns: int
    state: str = "open"  # 'open' | 'resolved'
    resolved_ns: int | None = None
    parent_key: str | None = None
    quiet_since_ns: int | None = None  # no live ticket since then (the hold counts)
    paged: Paged = Paged.NO
    paged_affected: int = 0
    paged_ns: int | None = None
    counted_ns: int | None = None  # when ``affected`` last changed
    silenced_by: int | None = None
    affected: int = 0
    sites: tuple[str, ...] = ()
    others_fine: Mapping[str, Any] = field(default_factory=dict)
    acked_by: str | None = None  # who acknowledged it (by hand), when, why
    acked_ns: int | None = None
    ack_note: str = ""
    escalation: int = 0  # the level escalated to by hand (0: never), and when last
    escalated_ns: int | None = None


@dataclass(frozen=True, slots=True)
class Silence:
    """Planned work: who is not paged about what, when (``end_ns`` exclusive)."""

    id: int
    operator: str
    start_ns: int
    end_ns: int
    cell: str | None = None
    kabupaten: str | None = None
    province: str | None = None
    family: Family | None = None

    def matches(self, incident: Incident, now_ns: int) -> bool:
        if not self.start_ns <= now_ns < self.end_ns or self.operator != incident.operator:
            return False
        if self.family is not None and self.family != incident.family:
            return False
        s = incident.scope
        return (
            (self.cell is None or self.cell == s.cell)
            and (self.kabupaten is None or self.kabupaten == s.kabupaten)
            and (self.province is None or self.province == s.province)
        )


@dataclass(frozen=True, slots=True)
class Group:
    """What the store read: one operator, family and province."""

    operator: str
    family: Family
    province: str
    incidents: Sequence[Incident]  # unresolved
    members: Mapping[int, str]  # ticket id -> its base incident's key, of live tickets
    live: Sequence[Member]
    #: per affected site, the other operators fine there (no open ticket of the family)
    fine_elsewhere: Mapping[str, Sequence[str]] = field(default_factory=dict)


# -- the plan ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Write:
    """Insert (``incident.id`` None) or update the incident as given."""

    incident: Incident


@dataclass(frozen=True, slots=True)
class Join:
    ticket_id: int
    key: str  # the base incident's key (an unresolved one)


@dataclass(frozen=True, slots=True)
class Page:
    key: str
    action: str  # 'trigger' | 'update' | 'resolve' | 'acknowledge' | 'escalate'
    at_ns: int


Step = Write | Join | Page


@dataclass(frozen=True, slots=True)
class Plan:
    """Writes first (parents before children), then joins, then pages."""

    steps: tuple[Step, ...] = ()

    @property
    def pages(self) -> tuple[Page, ...]:
        return tuple(s for s in self.steps if isinstance(s, Page))


def base_key(operator: str, family: Family, member: Member) -> str:
    """A ticket's own incident: its cell's, or its site's when no cell is known. Groups
    are judged per province, so a cell serving TPS on both sides of a provincial border
    is one incident per province (its key ends in the province code); one key for both
    would have two groups open it at once."""
    if member.cell is not None:
        return f"cell:{operator}:{family}:{member.cell}@{member.site_code[:2]}"
    return f"site:{operator}:{family}:{member.site_code}"


def cell_of(operator: str, evidence: Mapping[str, Any]) -> str | None:
    """The serving cell a ticket's evidence names (its last bad figures, else its first,
    else ``last_cell_id``: the cell that served the site before it lost service)."""
    for part in ("last_bad", "first_bad"):
        figures = evidence.get(part)
        if isinstance(figures, Mapping):
            cell = figures.get("cell_id")
            if isinstance(cell, int) and not isinstance(cell, bool):
                return f"{figures.get('operator') or operator}:{cell}"
    cell = evidence.get("last_cell_id")
    if isinstance(cell, int) and not isinstance(cell, bool):
        return f"{operator}:{cell}"
    return None


# -- the rules ----------------------------------------------------------------------------


def reconcile(group: Group, now_ns: int, settings: Settings, silences: Sequence[Silence]) -> Plan:
    """The plan that brings the group's incidents up to date at ``now_ns``."""
    op, fam, now = group.operator, group.family, now_ns
    old = {i.key: i for i in group.incidents}
    new: dict[str, Incident] = dict(old)
    joins: list[Join] = []
    by_base: dict[str, list[Member]] = {}
    for m in group.live:
        key = base_key(op, fam, m)
        by_base.setdefault(key, []).append(m)
        if group.members.get(m.ticket_id) != key:
            joins.append(Join(m.ticket_id, key))
        if key not in new:
            kind = Kind.SITE if m.cell is None else Kind.CELL
            scope = Scope(m.cell, m.site_code[:4], m.site_code[:2])
            new[key] = Incident(None, key, kind, op, fam, m.problem, scope, m.route, now, now)
    # Base incidents: members, counts, kabupaten.
    for key, inc in list(new.items()):
        if inc.kind in (Kind.SITE, Kind.CELL):
            new[key] = _counted(inc, by_base.get(key, []), group.fine_elsewhere, now)
    # Areas per kabupaten, then the province.
    bases = [i for i in new.values() if i.kind in (Kind.SITE, Kind.CELL)]
    area_kind = Kind.FIELD if fam is Family.KIT else Kind.AREA
    min_sites = settings.field_min_sites if fam is Family.KIT else settings.area_min_sites
    by_kab: dict[str, list[Incident]] = {}
    for b in bases:
        for kab in {s[:4] for s in b.sites} or {b.scope.kabupaten or ""}:
            by_kab.setdefault(kab, []).append(b)
    for kab, members in sorted(by_kab.items()):
        key = f"{area_kind}:{op}:{fam}:{kab}"
        live = [m for b in members for m in by_base.get(b.key, []) if m.site_code[:4] == kab]
        if key not in new and _forms(live, members, min_sites, settings.area_window_ns):
            first = min(live, key=lambda m: (m.first_bad_ns, m.ticket_id))
            scope = Scope(None, kab, kab[:2])
            new[key] = Incident(None, key, area_kind, op, fam, first.problem, scope, first.route,
                                now, now)  # fmt: skip
        if key in new:
            new[key] = _counted(new[key], live, group.fine_elsewhere, now)
            for b in members:
                if b.key != key:
                    new[b.key] = replace(new[b.key], parent_key=key)
    areas = [i for i in new.values() if i.kind is area_kind and i.scope.kabupaten is not None]
    prov_key = f"{area_kind}:{op}:{fam}:{group.province}"
    standing = [a for a in areas if a.affected > 0 or a.key == prov_key]
    if prov_key not in new and len(standing) >= settings.province_min_kabupaten:
        first = min(group.live, key=lambda m: (m.first_bad_ns, m.ticket_id))
        scope = Scope(None, None, group.province)
        new[prov_key] = Incident(None, prov_key, area_kind, op, fam, first.problem, scope,
                                 first.route, now, now)  # fmt: skip
    if prov_key in new:
        new[prov_key] = _counted(new[prov_key], list(group.live), group.fine_elsewhere, now)
        for key, inc in new.items():
            if key != prov_key and (inc.parent_key is None or inc.kind is area_kind):
                new[key] = replace(inc, parent_key=prov_key)
    writes: list[Incident] = []
    pages: list[Page] = []
    for key, before in sorted(new.items(), key=lambda kv: _depth(kv[1])):
        inc, page = _life(before, now, settings, silences)
        if inc != old.get(key):
            writes.append(replace(inc, updated_ns=now) if key in old else inc)
        if page is not None:
            pages.append(Page(key, page, now))
            if page == "trigger" and inc.acked_by is not None:  # acknowledged before
                pages.append(Page(key, "acknowledge", now))
    steps: list[Step] = [Write(i) for i in writes]
    return Plan((*steps, *joins, *pages))


def _depth(inc: Incident) -> int:
    """Parents are written before their children: province, kabupaten, base."""
    if inc.kind in (Kind.SITE, Kind.CELL):
        return 2
    return 1 if inc.scope.kabupaten is not None else 0


def _common(kabupaten: Sequence[str]) -> str | None:
    return kabupaten[0] if len(set(kabupaten)) == 1 else None


def _forms(live: Sequence[Member], bases: Sequence[Incident], min_sites: int, window: int) -> bool:
    """Enough sites went bad within the window of each other, beyond one base incident."""
    if len({b.key for b in bases if b.affected > 0}) < 2:
        return False
    starts = sorted({m.site_code: m.first_bad_ns for m in live}.values())
    if len(starts) < min_sites:
        return False
    return any(
        starts[i + min_sites - 1] - starts[i] <= window for i in range(len(starts) - min_sites + 1)
    )


def _counted(
    inc: Incident, live: Sequence[Member], fine: Mapping[str, Sequence[str]], now: int
) -> Incident:
    sites = sorted({m.site_code for m in live})
    counts = Counter(m.problem for m in live)
    problem = min(counts, key=lambda p: (-counts[p], p)) if counts else inc.problem
    operators = sorted({o for s in sites for o in fine.get(s, ())})
    others = {"count": sum(1 for s in sites if fine.get(s)), "operators": operators}
    kab = _common([s[:4] for s in sites]) if inc.kind is Kind.CELL and sites else None
    scope = replace(inc.scope, kabupaten=kab) if kab is not None else inc.scope
    return replace(
        inc, problem=problem, affected=len(sites), sites=tuple(sites[:50]), others_fine=others,
        scope=scope, counted_ns=inc.counted_ns if len(sites) == inc.affected else now,
    )  # fmt: skip


def _life(
    inc: Incident, now: int, settings: Settings, silences: Sequence[Silence]
) -> tuple[Incident, str | None]:
    """Hold, resolution and paging of one incident at ``now``."""
    if inc.affected > 0:
        inc = replace(inc, quiet_since_ns=None)
    elif inc.quiet_since_ns is None:
        inc = replace(inc, quiet_since_ns=now)
    silence = next((s for s in sorted(silences, key=lambda s: s.id) if s.matches(inc, now)), None)
    inc = replace(inc, silenced_by=None if silence is None else silence.id)
    quiet = inc.quiet_since_ns
    if quiet is not None and now >= quiet + settings.hold_ns:
        inc = replace(inc, state="resolved", resolved_ns=quiet)
        if inc.paged is Paged.TRIGGERED:
            return replace(inc, paged=Paged.RESOLVED, paged_ns=now), "resolve"
        return inc, None
    if inc.parent_key is not None:  # adopted: the parent pages for it
        if inc.paged is Paged.TRIGGERED:
            return replace(inc, paged=Paged.RESOLVED, paged_ns=now), "resolve"
        return inc, None
    if inc.silenced_by is not None or inc.affected == 0:
        return inc, None
    if inc.paged is Paged.NO and now >= inc.opened_ns + settings.group_wait_ns:
        return replace(inc, paged=Paged.TRIGGERED, paged_ns=now, paged_affected=inc.affected), (
            "trigger"
        )
    if inc.paged is Paged.TRIGGERED and _material(inc, settings):
        assert inc.paged_ns is not None and inc.counted_ns is not None
        settled = now >= inc.counted_ns + settings.group_wait_ns
        if settled and now >= inc.paged_ns + settings.update_min_interval_ns:
            return replace(inc, paged_ns=now, paged_affected=inc.affected), "update"
    return inc, None


def _material(inc: Incident, settings: Settings) -> bool:
    change = abs(inc.affected - inc.paged_affected)
    return change > 0 and (
        change >= settings.update_min_change_sites
        or change >= settings.update_min_change_ratio * inc.paged_affected
    )


# -- what people read ------------------------------------------------------------------------

_WHAT = {
    Family.COVERAGE: ("no or poor coverage", "cakupan sinyal hilang atau lemah"),
    Family.NETWORK: ("network degraded", "jaringan terganggu"),
    Family.KIT: ("kit faults", "gangguan perangkat"),
}


def titles(inc: Incident, names: Mapping[str, str]) -> tuple[str, str]:
    """(English, Bahasa Indonesia) one-line titles, e.g. "Indosat cell 510-01:12825858
    no or poor coverage: 14 TPS"."""
    who = names.get(inc.operator, "Field team" if inc.operator == FIELD_TEAM else inc.operator)
    who_id = "Tim lapangan" if inc.operator == FIELD_TEAM else who
    en, id_ = _WHAT[inc.family]
    if inc.problem == "NO_SERVICE":
        en, id_ = "down", "mati"
    s = inc.scope
    where_en, where_id = {
        Kind.CELL: (f"cell {s.cell}", f"sel {s.cell}"),
        Kind.SITE: (f"TPS {inc.sites[0] if inc.sites else inc.key.rsplit(':', 1)[-1]}",) * 2,
    }.get(inc.kind, (f"area {s.kabupaten or s.province}", f"wilayah {s.kabupaten or s.province}"))
    if inc.state == "resolved" or inc.affected == 0:  # none affected now: say how many it took
        count = max(inc.paged_affected, len(inc.sites))
        if inc.state == "resolved":
            return (
                f"{who} {where_en} {en}: {count} TPS, recovered",
                f"{who_id} {where_id} {id_}: {count} TPS, sudah pulih",
            )
        return (  # in its hold: every site recovered, not yet long enough to resolve
            f"{who} {where_en} {en}: {count} TPS, recovering",
            f"{who_id} {where_id} {id_}: {count} TPS, sedang pulih",
        )
    return (
        f"{who} {where_en} {en}: {inc.affected} TPS",
        f"{who_id} {where_id} {id_}: {inc.affected} TPS",
    )
