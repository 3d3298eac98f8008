"""Incidents, their member tickets, silences: the store side of :mod:`collector.incidents`.

Portable SQL over :class:`collector.store.sql.Transactional`, shared by both backends.
When the store has :attr:`IncidentMethods.incident_settings` (the collector sets them
from the rules file's ``[incidents]``), every ticket change reconciles the ticket's
group (operator, problem family, province) in the same transaction
(:func:`reconcile_group`): it reads the group's unresolved incidents, live tickets,
memberships, the other networks fine at the affected sites and the active silences,
asks :func:`collector.incidents.reconcile` for a plan and writes it: incident rows,
``incident_tickets`` rows, and outbox rows with ``incident_id`` set, ``dedup_key``
``pantau-incident-<id>`` and the incident's snapshot (:func:`snapshot`) as payload.
Ticket-level rows are then no longer written: site tickets are the evidence.
:meth:`IncidentMethods.incidents_tick` runs the same for every group with an unresolved
incident, as time passes (group wait, hold, rate-limited updates, silences ending).

Races between replicas: at most one unresolved incident per key (a partial unique
index: the loser's transaction runs again), and every UPDATE re-checks the
``updated_ns`` it read (a lost race raises :class:`~collector.store.sql.Conflict`).
"""

# ruff: noqa: S608 - SQL is built from constants and placeholders; values are bound.

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from collector import incidents as engine
from collector.incidents import Family, Incident, Kind, Paged, Scope, Settings
from collector.store.model import Ticket
from collector.store.silences import SILENCE_COLUMNS, SilenceMethods, silence_from_row
from collector.store.sql import Conflict, Tx, opt_int, opt_str, placeholders
from pantau.core.operators import operator_name

_S = 1_000_000_000
#: Another network counts as fine at a TPS when its kit was heard within this long.
FINE_WITHIN_NS = 15 * 60 * _S
INCIDENT_COLUMNS = (
    "id, key, kind, operator, family, problem, cell, kabupaten, province, state, parent_id, "
    "route, opened_ns, updated_ns, resolved_ns, quiet_since_ns, counted_ns, paged, "
    "paged_affected, paged_ns, silenced_by, affected, sites, others_fine, acked_by, acked_ns, "
    "ack_note, escalation, escalated_ns"
)
_WRITTEN = INCIDENT_COLUMNS.split(", ")[1:]  # every column but the id


@dataclass(frozen=True, slots=True)
class StoredIncident:
    incident: Incident
    parent_id: int | None


class IncidentMethods(SilenceMethods):
    """Reading incidents and the periodic tick (and silences: :class:`SilenceMethods`)."""

    #: None: incidents off, tickets page one by one (the store's default).
    incident_settings: Settings | None = None

    def incidents_tick(self, now_ns: int) -> int:
        """Reconcile at ``now_ns`` every group with an unresolved incident, and every
        group with a live ticket in no unresolved incident (tickets from before incidents
        were on); the outbox rows written."""
        settings = self.incident_settings
        if settings is None:
            return 0

        def read(tx: Tx) -> set[tuple[str, Family, str]]:
            groups = {
                (str(op), Family(family), str(province))
                for op, family, province in tx.rows(
                    "SELECT DISTINCT operator, family, province FROM incidents "
                    "WHERE state <> 'resolved'"
                )
            }
            for op, problem, province in tx.rows(
                "SELECT DISTINCT t.operator, t.problem, SUBSTR(t.site_code, 1, 2) FROM tickets t "
                "WHERE t.state <> 'resolved' AND t.historical = ? AND NOT EXISTS (SELECT 1 "
                "FROM incident_tickets it JOIN incidents i ON i.id = it.incident_id "
                "WHERE it.ticket_id = t.id AND i.state <> 'resolved')",
                (False,),
            ):
                family = engine.FAMILY.get(str(problem))
                if family is not None:
                    groups.add((str(op), family, str(province)))
            return groups

        pages = 0
        for key in sorted(self._read(read)):
            pages += self._retrying(
                lambda tx, k=key: reconcile_group(tx, settings, k, now_ns)  # type: ignore[misc]
            )
        return pages

    def list_incidents(
        self,
        *,
        states: Sequence[str] | None = None,
        operator: str | None = None,
        operators: Sequence[str] | None = None,
        top_only: bool = False,
        before_id: int | None = None,
        limit: int = 100,
        province: str | None = None,
        window: tuple[int, int] | None = None,
    ) -> list[StoredIncident]:
        """Incidents matching every filter, newest (highest id) first; keyset paging by
        ``before_id``. ``operators``: any of these (an operator account's networks);
        ``window`` (since, until ns): those open at some time in it."""
        clauses, params = ["1 = 1"], list[object]()
        if province is not None:
            clauses.append("province = ?")
            params.append(province)
        if window is not None:
            clauses.append("opened_ns < ? AND (resolved_ns IS NULL OR resolved_ns >= ?)")
            params += [window[1], window[0]]
        if states is not None:
            clauses.append(f"state IN ({placeholders(len(states))})" if states else "1 = 0")
            params += list(states)
        if operator is not None:
            clauses.append("operator = ?")
            params.append(operator)
        if operators is not None:
            clauses.append(
                f"operator IN ({placeholders(len(operators))})" if operators else "1 = 0"
            )
            params += list(operators)
        if top_only:
            clauses.append("parent_id IS NULL")
        if before_id is not None:
            clauses.append("id < ?")
            params.append(before_id)
        sql = (
            f"SELECT {INCIDENT_COLUMNS} FROM incidents WHERE {' AND '.join(clauses)} "
            "ORDER BY id DESC LIMIT ?"
        )
        rows = self._read(lambda tx: tx.rows(sql, (*params, limit)))
        return [stored_of(r) for r in rows]

    def get_incident(self, incident_id: int) -> tuple[StoredIncident, list[int]] | None:
        """The incident and the ids of its member tickets (its children's too), or None."""

        def body(tx: Tx) -> tuple[StoredIncident, list[int]] | None:
            row = tx.one(f"SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = ?", (incident_id,))
            if row is None:
                return None
            ids = [incident_id]
            frontier = [incident_id]
            while frontier:  # children, grandchildren (area -> cell)
                children = [
                    int(r[0])
                    for r in tx.rows(
                        "SELECT id FROM incidents WHERE parent_id IN "
                        f"({placeholders(len(frontier))})",
                        frontier,
                    )
                ]
                frontier = [c for c in children if c not in ids]
                ids += frontier
            tickets = sorted(
                {
                    int(r[0])
                    for r in tx.rows(
                        "SELECT ticket_id FROM incident_tickets WHERE incident_id IN "
                        f"({placeholders(len(ids))})",
                        ids,
                    )
                }
            )
            return stored_of(row), tickets

        return self._read(body)

    def incident_of_ticket(self, ticket_id: int) -> int | None:
        """The latest incident a ticket joined."""
        row = self._read(
            lambda tx: tx.one(
                "SELECT MAX(incident_id) FROM incident_tickets WHERE ticket_id = ?", (ticket_id,)
            )
        )
        return opt_int(row[0]) if row else None


# -- inside the caller's transaction --------------------------------------------------------


def reconcile_group(
    tx: Tx, settings: Settings, group_key: tuple[str, Family, str], now_ns: int
) -> int:
    """Bring one group's (operator, family, province) incidents up to date; the outbox
    rows written."""
    operator, family, province = group_key
    rows = tx.rows(
        f"SELECT {INCIDENT_COLUMNS} FROM incidents WHERE state <> 'resolved' AND operator = ? "
        f"AND family = ? AND province = ? ORDER BY id{tx.lock_rows}",
        (operator, family.value, province),
    )
    stored = [stored_of(r) for r in rows]
    ids = {s.incident.key: s.incident.id for s in stored}
    key_of_id = {v: k for k, v in ids.items()}
    current = [
        s.incident if s.parent_id is None else with_parent(s.incident, key_of_id.get(s.parent_id))
        for s in stored
    ]
    problems = sorted(p for p, f in engine.FAMILY.items() if f is family)
    live_rows = tx.rows(
        "SELECT id, site_code, problem, evidence, first_bad_ns, route FROM tickets "
        f"WHERE operator = ? AND state <> 'resolved' AND historical = ? AND site_code LIKE ? "
        f"AND problem IN ({placeholders(len(problems))}) ORDER BY id",
        (operator, False, province + "%", *problems),
    )
    live = [
        engine.Member(
            int(r[0]),
            str(r[1]),
            str(r[2]),
            engine.cell_of(operator, json.loads(r[3], parse_constant=lambda _: None)),
            int(r[4]),
            str(r[5]),
        )
        for r in live_rows
    ]
    if family is Family.NETWORK and live:
        # A site that lost service cannot reach anything: its loss and latency are the
        # outage's, paged by its coverage incident, not a second fault of their own.
        out = _out_of_service(
            tx, operator, sorted({m.site_code for m in live}), now_ns - settings.outage_grace_ns
        )
        live = [m for m in live if m.site_code not in out]
    members: dict[int, str] = {}
    if key_of_id:
        for ticket_id, incident_id in tx.rows(
            "SELECT ticket_id, incident_id FROM incident_tickets WHERE incident_id IN "
            f"({placeholders(len(key_of_id))}) ORDER BY incident_id",
            list(key_of_id),
        ):
            members[int(ticket_id)] = key_of_id[int(incident_id)]
    fine = (
        {} if family is Family.KIT
        else _fine_elsewhere(tx, operator, problems, sorted({m.site_code for m in live}), now_ns)
    )  # fmt: skip
    silences = [
        silence_from_row(r).silence
        for r in tx.rows(
            f"SELECT {SILENCE_COLUMNS} FROM silences WHERE operator = ? AND start_ns <= ? "
            "AND end_ns > ?",
            (operator, now_ns, now_ns),
        )
    ]
    group = engine.Group(operator, family, province, current, members, live, fine)
    plan = engine.reconcile(group, now_ns, settings, silences)
    read = {s.incident.key: s.incident.updated_ns for s in stored}
    return _execute(tx, plan, ids, read, now_ns)


def reconcile_ticket(
    tx: Tx, settings: Settings, ticket: Ticket, now_ns: int, *, routine: bool = False
) -> None:
    """Reconcile the group of a ticket that changed (not a historical one's).

    ``routine``: newer evidence of a live ticket (or an acknowledgement, an escalation):
    the group changes only when the ticket is not yet a member of the unresolved
    incident its cell now names, so the check is one indexed read, not the group's.
    """
    family = engine.FAMILY.get(ticket.problem)
    if family is None or ticket.historical:
        return
    if routine and ticket.state != "resolved":
        cell = engine.cell_of(ticket.operator, ticket.evidence)
        member = engine.Member(ticket.id, ticket.site_code, ticket.problem, cell, 0, "")
        key = engine.base_key(ticket.operator, family, member)
        if tx.one(
            "SELECT 1 FROM incident_tickets it JOIN incidents i ON i.id = it.incident_id "
            "WHERE it.ticket_id = ? AND i.key = ? AND i.state <> 'resolved'",
            (ticket.id, key),
        ):
            return
    reconcile_group(tx, settings, (ticket.operator, family, ticket.site_code[:2]), now_ns)


def write_incident(
    tx: Tx, inc: Incident, parent_id: int | None, read_updated_ns: int | None
) -> StoredIncident:
    """Insert (``inc.id`` None) or update the incident, if unchanged since it was read
    (its ``updated_ns`` then); a lost race raises :class:`Conflict`."""
    values = _values(inc, parent_id)
    if inc.id is None:
        row = tx.one(
            f"INSERT INTO incidents ({', '.join(_WRITTEN)}) "
            f"VALUES ({placeholders(len(_WRITTEN))}) RETURNING {INCIDENT_COLUMNS}",
            values,
        )
    else:
        sets = ", ".join(f"{c} = ?" for c in _WRITTEN)
        row = tx.one(
            f"UPDATE incidents SET {sets} WHERE id = ? AND updated_ns = ? "
            f"RETURNING {INCIDENT_COLUMNS}",
            (*values, inc.id, read_updated_ns),
        )
    if row is None:
        raise Conflict  # changed since it was read: a lost race
    return stored_of(row)


def with_parent(incident: Incident, parent_key: str | None) -> Incident:
    return replace(incident, parent_key=parent_key)


def _out_of_service(tx: Tx, operator: str, sites: Sequence[str], since_ns: int) -> set[str]:
    """The sites with a live NO_SERVICE ticket of ``operator``, or one resolved at or
    after ``since_ns`` (``outage_grace_s``: the loss of the outage's last minutes is
    still in the network rules' windows, and their tickets hold, when service returns)."""
    out: set[str] = set()
    for start in range(0, len(sites), 500):
        chunk = sites[start : start + 500]
        out.update(
            str(r[0])
            for r in tx.rows(
                "SELECT DISTINCT site_code FROM tickets WHERE operator = ? "
                "AND problem = 'NO_SERVICE' AND historical = ? "
                f"AND site_code IN ({placeholders(len(chunk))}) "
                "AND (state <> 'resolved' OR resolved_ns >= ?)",
                (operator, False, *chunk, since_ns),
            )
        )
    return out


def _fine_elsewhere(
    tx: Tx, operator: str, problems: Sequence[str], sites: Sequence[str], now_ns: int
) -> dict[str, list[str]]:
    """Per site, the other networks seen there with no open ticket of the family, the
    site's kit heard within :data:`FINE_WITHIN_NS`."""
    out: dict[str, list[str]] = {}
    for start in range(0, len(sites), 500):
        chunk = sites[start : start + 500]
        for site, other in tx.rows(
            "SELECT so.site_code, so.operator FROM site_operators so "
            "JOIN site_state st ON st.site_code = so.site_code "
            f"WHERE so.site_code IN ({placeholders(len(chunk))}) AND so.operator <> ? "
            "AND st.last_seen_ns >= ? AND NOT EXISTS (SELECT 1 FROM tickets t "
            "WHERE t.site_code = so.site_code AND t.operator = so.operator "
            f"AND t.state <> 'resolved' AND t.problem IN ({placeholders(len(problems))})) "
            "ORDER BY so.site_code, so.operator",
            (*chunk, operator, now_ns - FINE_WITHIN_NS, *problems),
        ):
            out.setdefault(str(site), []).append(str(other))
    return out


def _execute(
    tx: Tx, plan: engine.Plan, ids: dict[str, int | None], read: Mapping[str, int], now_ns: int
) -> int:
    """Write the plan's incidents (parents first), memberships and pages."""
    written: dict[str, StoredIncident] = {}
    pages = 0
    for step in plan.steps:
        if isinstance(step, engine.Write):
            inc = step.incident
            parent_id = None if inc.parent_key is None else ids.get(inc.parent_key)
            stored = write_incident(tx, inc, parent_id, read.get(inc.key))
            written[inc.key] = stored
            ids[inc.key] = stored.incident.id
        elif isinstance(step, engine.Join):
            incident_id = ids[step.key]
            tx.run(
                "INSERT INTO incident_tickets (incident_id, ticket_id, joined_ns) "
                "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (incident_id, step.ticket_id, now_ns),
            )
        else:
            stored = written[step.key]
            page_incident(tx, stored, step.action, step.at_ns)
            pages += 1
    return pages


def _values(inc: Incident, parent_id: int | None) -> tuple[object, ...]:
    return (
        inc.key, inc.kind.value, inc.operator, inc.family.value, inc.problem, inc.scope.cell,
        inc.scope.kabupaten, inc.scope.province or "", inc.state, parent_id, inc.route,
        inc.opened_ns, inc.updated_ns, inc.resolved_ns, inc.quiet_since_ns, inc.counted_ns,
        inc.paged.value, inc.paged_affected, inc.paged_ns, inc.silenced_by, inc.affected,
        json.dumps(list(inc.sites)), json.dumps(dict(inc.others_fine), sort_keys=True),
        inc.acked_by, inc.acked_ns, inc.ack_note, inc.escalation, inc.escalated_ns,
    )  # fmt: skip


def stored_of(r: Sequence[Any]) -> StoredIncident:
    incident = Incident(
        id=int(r[0]), key=str(r[1]), kind=Kind(r[2]), operator=str(r[3]), family=Family(r[4]),
        problem=str(r[5]), scope=Scope(opt_str(r[6]), opt_str(r[7]), str(r[8])),
        state=str(r[9]), route=str(r[11]), opened_ns=int(r[12]), updated_ns=int(r[13]),
        resolved_ns=opt_int(r[14]), quiet_since_ns=opt_int(r[15]), counted_ns=opt_int(r[16]),
        paged=Paged(r[17]), paged_affected=int(r[18]), paged_ns=opt_int(r[19]),
        silenced_by=opt_int(r[20]), affected=int(r[21]), sites=tuple(json.loads(r[22])),
        others_fine=json.loads(r[23]), acked_by=opt_str(r[24]), acked_ns=opt_int(r[25]),
        ack_note=str(r[26] or ""), escalation=int(r[27] or 0), escalated_ns=opt_int(r[28]),
    )  # fmt: skip
    return StoredIncident(incident, opt_int(r[10]))


def names_of(operator: str) -> dict[str, str]:
    mcc, _, mnc = operator.partition("-")
    name = operator_name(mcc, mnc) if mnc else None
    return {operator: name} if name else {}


def snapshot(stored: StoredIncident) -> dict[str, Any]:
    """The incident as notifications carry it (``{"incident": {...}, "summary": ...}``)."""
    inc = stored.incident
    title, title_id = engine.titles(inc, names_of(inc.operator))
    fine = inc.others_fine
    summary = title
    if fine.get("count"):
        summary += f"; other networks fine at {fine['count']} of these TPS"
    return {
        "incident": {
            "id": inc.id, "key": inc.key, "kind": inc.kind.value, "operator": inc.operator,
            "family": inc.family.value, "problem": inc.problem,
            "scope": {"cell": inc.scope.cell, "kabupaten": inc.scope.kabupaten,
                      "province": inc.scope.province},
            "title": title, "title_id": title_id, "state": inc.state,
            "opened_ns": inc.opened_ns, "updated_ns": inc.updated_ns,
            "resolved_ns": inc.resolved_ns, "affected": inc.affected, "sites": list(inc.sites),
            "others_fine": dict(fine), "silenced_by": inc.silenced_by, "route": inc.route,
            "acked_by": inc.acked_by, "acked_ns": inc.acked_ns, "ack_note": inc.ack_note,
            "escalation": inc.escalation,
        },
        "summary": summary,
    }  # fmt: skip


def page_incident(tx: Tx, stored: StoredIncident, action: str, now_ns: int) -> None:
    inc = stored.incident
    tx.run(
        "INSERT INTO outbox (ticket_id, incident_id, dedup_key, action, route, payload, "
        "created_ns, attempts, next_attempt_ns) VALUES (NULL, ?, ?, ?, ?, ?, ?, 0, ?)",
        (
            inc.id,
            f"pantau-incident-{inc.id}",
            action,
            inc.route,
            json.dumps(snapshot(stored), sort_keys=True, allow_nan=False),
            now_ns,
            now_ns,
        ),
    )
