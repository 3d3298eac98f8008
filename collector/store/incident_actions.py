"""Incidents by hand: acknowledging and escalating, the store side of
:func:`collector.incidents.acknowledge` and :func:`~collector.incidents.escalate`.

The incident row (read with a lock), an ``incident_events`` row (the incident's history,
as ``ticket_events`` is a ticket's) and the outbox rows ('acknowledge', 'escalate') are
written in one transaction; the engine decides.
"""

# ruff: noqa: S608 - SQL is built from constants and placeholders; values are bound.

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from collector import incidents_by_hand as engine
from collector.incidents import Incident
from collector.store.incidents import (
    INCIDENT_COLUMNS,
    IncidentMethods,
    StoredIncident,
    page_incident,
    stored_of,
    with_parent,
    write_incident,
)
from collector.store.sql import Tx, opt_int


@dataclass(frozen=True, slots=True)
class IncidentEvent:
    """A row of an incident's history: what a person did to it."""

    incident_id: int
    at_ns: int
    action: str  # 'acknowledged' | 'escalated'
    actor: str
    note: str
    level: int | None  # the level escalated to


@dataclass(frozen=True, slots=True)
class ByHandDone:
    """What an acknowledgement or escalation did: the incident afterwards (None: there
    is no such incident), whether it changed (False: already so, or refused), why it
    was refused, and the outbox rows written."""

    stored: StoredIncident | None
    changed: bool = False
    refused: str | None = None
    pages: int = 0


class IncidentActions(IncidentMethods):
    """Acknowledging and escalating incidents, and their history."""

    def incident_events(self, incident_id: int) -> list[IncidentEvent]:
        """The incident's history (acknowledgements, escalations), oldest first."""
        rows = self._read(
            lambda tx: tx.rows(
                "SELECT incident_id, at_ns, action, actor, note, level FROM incident_events "
                "WHERE incident_id = ? ORDER BY at_ns, id",
                (incident_id,),
            )
        )
        return [
            IncidentEvent(int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), opt_int(r[5]))
            for r in rows
        ]

    def acknowledge_incident(
        self, incident_id: int, *, actor: str, note: str, now_ns: int
    ) -> ByHandDone:
        """Someone is on it (:func:`collector.incidents.acknowledge`): the incident, its
        history row and its 'acknowledge' outbox row in one transaction."""
        return self._retrying(
            lambda tx: _by_hand(
                tx, incident_id, actor=actor, note=note, now_ns=now_ns,
                decide=lambda inc: engine.acknowledge(inc, actor, note, now_ns),
            )
        )  # fmt: skip

    def escalate_incident(
        self, incident_id: int, *, actor: str, note: str, now_ns: int, level: int | None = None
    ) -> ByHandDone:
        """It is worse (:func:`collector.incidents.escalate`): the next level, or
        ``level``; the incident, its history row and its pages in one transaction."""
        return self._retrying(
            lambda tx: _by_hand(
                tx, incident_id, actor=actor, note=note, now_ns=now_ns,
                decide=lambda inc: engine.escalate(inc, actor, note, now_ns, level),
            )
        )  # fmt: skip


def _by_hand(
    tx: Tx,
    incident_id: int,
    *,
    decide: Callable[[Incident], engine.ByHand],
    actor: str,
    note: str,
    now_ns: int,
) -> ByHandDone:
    """Read the incident (locked), decide, write the incident, its history row and
    its pages."""
    row = tx.one(
        f"SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = ?{tx.lock_rows}", (incident_id,)
    )
    if row is None:
        return ByHandDone(None)
    stored = stored_of(row)
    parent = None
    if stored.parent_id is not None:
        found = tx.one("SELECT key FROM incidents WHERE id = ?", (stored.parent_id,))
        parent = str(found[0]) if found else str(stored.parent_id)
    decision = decide(with_parent(stored.incident, parent))
    if decision.refused is not None:
        return ByHandDone(stored, refused=decision.refused)
    if decision.incident is None or decision.action is None:
        return ByHandDone(stored)
    written = write_incident(tx, decision.incident, stored.parent_id, stored.incident.updated_ns)
    level = written.incident.escalation if decision.action == engine.ESCALATED else None
    tx.run(
        "INSERT INTO incident_events (incident_id, at_ns, action, actor, note, level) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (incident_id, now_ns, decision.action, actor, note, level),
    )
    for page in decision.pages:
        page_incident(tx, written, page.action, page.at_ns)
    return ByHandDone(written, changed=True, pages=len(decision.pages))
