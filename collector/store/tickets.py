"""Tickets, their history and their outbox: one implementation for both backends.

The SQL here is portable between SQLite and PostgreSQL; the few dialect differences
sit behind :class:`Tx` (placeholders, row locks). Each public method is one
transaction, and a change that pages someone writes its outbox row in the same
transaction, so a ticket change and its notification exist together or not at all.

Ticket rules live in :mod:`collector.lifecycle` (a pure engine): each write here reads
the current state in its transaction, asks the engine for a plan and runs the plan's
steps (the ticket row, its history, its outbox row) in that same transaction. What
the database adds (a ticket's key is ``(site_code, operator, problem)``):

- at most one ticket per key is not ``resolved``; the database enforces it with a
  partial unique index, so collector replicas racing on one key end with one ticket
  (the loser of the race gets a unique violation, and its transaction is retried,
  now seeing the winner's ticket);
- the rows a plan was made from are read with row locks (PostgreSQL), and every
  UPDATE re-checks the state it expects: a row that changed anyway is a lost race
  (:class:`~collector.store.sql.Conflict`), and the whole transaction runs again.

Outbox rules: rows are delivered in ``id`` order per ticket, one in flight per
ticket; a claim is a lease (``claim_until_ns``), so a crashed worker's claims expire
and another worker takes them over. Delivery is at least once; receivers deduplicate
on ``dedup_key`` (``pantau-<ticket id>``, stable across the ticket's life).
"""

# ruff: noqa: S608 - SQL is built from constants and placeholders; values are bound.

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, assert_never

from collector import lifecycle
from collector.lifecycle import Current, Plan, Subject, decide
from collector.store.incident_actions import IncidentActions
from collector.store.incidents import reconcile_ticket
from collector.store.model import NotifyAction, Ticket, TicketAction, TicketChange, TicketEvent
from collector.store.sql import TICKET_COLUMNS, Conflict, Tx, opt_int, opt_str, placeholders

_KEY = "site_code = ? AND operator = ? AND problem = ?"
#: Ticket changes that move no ticket into or out of an incident (unless its cell changed).
_ROUTINE = (TicketAction.UPDATED, TicketAction.ACKNOWLEDGED, TicketAction.ESCALATED)


class TicketMethods(IncidentActions):
    """Raising, clearing, acknowledging, resolving, escalating and reading tickets.

    Each write reads the current state in its transaction, asks
    :func:`collector.lifecycle.decide` for a plan and runs it (:func:`_execute`).
    """

    # -- raising and clearing ---------------------------------------------------------

    def raise_problem(
        self,
        site_code: str,
        operator: str,
        problem: str,
        *,
        route: str,
        first_bad_ns: int,
        last_bad_ns: int,
        evidence: dict[str, Any],
        historical: bool,
        now_ns: int,
        reopen_window_ns: int,
    ) -> TicketChange:
        """Make sure the key has an open ticket (:class:`collector.lifecycle.ProblemSeen`).

        ``action`` of the change: 'updated' (the open ticket), 'reopened' (resolved at or
        after ``now_ns - reopen_window_ns``; ``reopen_count`` + 1) or 'opened'. A new or
        reopened ticket writes a 'trigger' outbox row unless ``historical``. The open
        ticket keeps the earliest ``first_bad_ns`` and the latest ``last_bad_ns`` it is
        given; ``evidence`` replaces the stored one unless it is older (by
        ``last_bad_ns``) than what the ticket already has.
        """
        subject = Subject(site_code, operator, problem)
        finding = lifecycle.Finding(route, first_bad_ns, last_bad_ns, evidence)
        seen = lifecycle.ProblemSeen(subject, finding, historical, now_ns, reopen_window_ns)

        def body(tx: Tx) -> TicketChange:
            current = Current(ticket=_unresolved(tx, subject))
            if current.ticket is None:
                last = _last_resolved(tx, subject)
                acked = last is not None and _was_acknowledged(tx, last.id)
                current = Current(last_resolved=last, last_acknowledged=acked)
            change = self._run(tx, decide(current, seen), now_ns)
            assert change is not None  # a problem always has a ticket afterwards
            return change

        return self._retrying(body)

    def clear_problem(
        self,
        site_code: str,
        operator: str,
        problem: str,
        *,
        resolved_ns: int,
        now_ns: int,
        actor: str = "auto",
        note: str = "",
    ) -> TicketChange | None:
        """Resolve the key's open ticket (``resolved_ns``: the event time it cleared).

        None when the key has no open ticket. Writes a 'resolve' outbox row unless the
        ticket is historical.
        """
        subject = Subject(site_code, operator, problem)
        cleared = lifecycle.ProblemCleared(resolved_ns, now_ns, actor, note)
        return self._retrying(
            lambda tx: self._run(tx, decide(Current(_unresolved(tx, subject)), cleared), now_ns)
        )

    def record_historical_problem(
        self,
        site_code: str,
        operator: str,
        problem: str,
        *,
        route: str,
        first_bad_ns: int,
        last_bad_ns: int,
        evidence: dict[str, Any],
        now_ns: int,
        note: str = "",
    ) -> TicketChange:
        """Store a problem found in backfilled data that has already ended, in one call.

        The ticket is born resolved (``resolved_ns = last_bad_ns``, by 'auto'), marked
        historical, with 'opened' and 'resolved' in its history and no outbox row. It
        never collides with a live open ticket of the same key.
        """
        plan = decide(
            Current(),
            lifecycle.HistoricalProblem(
                Subject(site_code, operator, problem),
                lifecycle.Finding(route, first_bad_ns, last_bad_ns, evidence),
                now_ns,
                note,
            ),
        )

        def body(tx: Tx) -> TicketChange:
            change = self._run(tx, plan, now_ns)
            assert change is not None
            return change

        return self._retrying(body)

    # -- by hand ----------------------------------------------------------------------

    def acknowledge_ticket(
        self, ticket_id: int, *, actor: str, note: str, now_ns: int
    ) -> TicketChange | None:
        """Open -> acknowledged (stops escalation); 'acknowledge' outbox row unless
        historical. None if the ticket does not exist or is not open."""
        ack = lifecycle.AckRequested(actor, note, now_ns)
        return self._retrying(
            lambda tx: self._run(tx, decide(Current(_by_id(tx, ticket_id)), ack), now_ns)
        )

    def resolve_ticket(
        self, ticket_id: int, *, actor: str, note: str, now_ns: int
    ) -> TicketChange | None:
        """Resolve by hand (``resolved_ns = now_ns``, ``resolved_by = actor``); 'resolve'
        outbox row unless historical. None if missing or already resolved."""
        request = lifecycle.ResolveRequested(actor, note, now_ns)
        return self._retrying(
            lambda tx: self._run(tx, decide(Current(_by_id(tx, ticket_id)), request), now_ns)
        )

    def escalate_due(self, older_than_ns: int, now_ns: int) -> list[TicketChange]:
        """Escalate every live ticket still 'open' (not acknowledged), not yet escalated,
        opened (or last reopened) before ``older_than_ns``: 'escalate' outbox rows.

        The query narrows the tickets to the candidates (the same test, so the index
        does the work); the lifecycle decides each.
        """
        check = lifecycle.EscalationCheck(older_than_ns, now_ns)

        def body(tx: Tx) -> list[TicketChange]:
            due = tx.rows(
                f"SELECT {TICKET_COLUMNS} FROM tickets WHERE state = 'open' AND historical = ? "
                "AND escalated_ns IS NULL AND COALESCE(reopened_ns, opened_ns) < ? "
                f"ORDER BY id{tx.lock_rows}",
                (False, older_than_ns),
            )
            changes = []
            for row in due:
                change = self._run(tx, decide(Current(ticket_from_row(row)), check), now_ns)
                if change is not None:
                    changes.append(change)
            return changes

        return self._retrying(body)

    def _run(self, tx: Tx, plan: Plan, now_ns: int) -> TicketChange | None:
        """Execute a ticket plan; with incidents on, the ticket pages nobody itself and
        its group's incidents are reconciled in the same transaction."""
        settings = self.incident_settings
        change = _execute(tx, plan, pages=settings is None)
        if settings is not None and change is not None:
            routine = not plan.pages and plan.action in _ROUTINE
            reconcile_ticket(tx, settings, change.ticket, now_ns, routine=routine)
        return change

    # -- reading ------------------------------------------------------------------------

    def list_tickets(
        self,
        *,
        state: str | None = None,
        site_code: str | None = None,
        operator: str | None = None,
        problem: str | None = None,
        limit: int = 100,
        site_prefix: str | None = None,
        states: Sequence[str] | None = None,
        before_id: int | None = None,
    ) -> list[Ticket]:
        """Tickets matching every filter given, newest (highest id) first.

        ``site_prefix`` keeps the sites whose code starts with it (a province's two
        digits); ``states`` keeps tickets in any of those states; ``before_id`` keeps
        those with a lower id (the next page after a ticket: keyset paging, which
        tickets opened meanwhile, with higher ids, never shift).
        """
        filters = {"state": state, "site_code": site_code, "operator": operator}
        filters["problem"] = problem
        given = [(column, value) for column, value in filters.items() if value is not None]
        clauses = [f"{column} = ?" for column, _ in given]
        params: list[object] = [value for _, value in given]
        if site_prefix is not None:
            if not site_prefix.isdigit():
                raise ValueError(f"site_prefix must be digits, got {site_prefix!r}")
            clauses.append("site_code LIKE ?")
            params.append(site_prefix + "%")
        if states is not None:
            clauses.append(f"state IN ({placeholders(len(states))})" if states else "1 = 0")
            params += list(states)
        if before_id is not None:
            clauses.append("id < ?")
            params.append(before_id)
        where = " AND ".join(clauses) or "1 = 1"
        sql = f"SELECT {TICKET_COLUMNS} FROM tickets WHERE {where} ORDER BY id DESC LIMIT ?"
        rows = self._read(lambda tx: tx.rows(sql, (*params, limit)))
        return [ticket_from_row(r) for r in rows]

    def get_ticket(self, ticket_id: int) -> tuple[Ticket, list[TicketEvent]] | None:
        """The ticket and its history in the order it happened (written), or None."""

        def body(tx: Tx) -> tuple[Ticket, list[TicketEvent]] | None:
            row = tx.one(
                f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?",
                (ticket_id,),
            )
            if row is None:
                return None
            events = tx.rows(
                "SELECT ticket_id, at_ns, action, actor, note FROM ticket_events "
                "WHERE ticket_id = ? ORDER BY id",
                (ticket_id,),
            )
            return ticket_from_row(row), [
                TicketEvent(int(e[0]), int(e[1]), str(e[2]), str(e[3]), str(e[4])) for e in events
            ]

        return self._read(body)


# -- helpers: each runs inside the caller's transaction ----------------------------------


def ticket_from_row(row: Sequence[Any]) -> Ticket:
    return Ticket(
        id=int(row[0]),
        site_code=str(row[1]),
        operator=str(row[2]),
        problem=str(row[3]),
        state=str(row[4]),
        route=str(row[5]),
        first_bad_ns=int(row[6]),
        last_bad_ns=int(row[7]),
        opened_ns=int(row[8]),
        updated_ns=int(row[9]),
        resolved_ns=opt_int(row[10]),
        historical=bool(row[11]),
        escalated_ns=opt_int(row[12]),
        reopen_count=int(row[13]),
        reopened_ns=opt_int(row[14]),
        # A number stored as NaN/Infinity (before writers were strict) reads as null.
        evidence=json.loads(row[15], parse_constant=lambda _: None),
        resolved_by=opt_str(row[16]),
    )


def _updated(tx: Tx, sql: str, params: Sequence[object]) -> Ticket:
    """Run an UPDATE of one ticket; a row that no longer matches is a lost race."""
    row = tx.one(f"{sql} RETURNING {TICKET_COLUMNS}", params)
    if row is None:
        raise Conflict
    return ticket_from_row(row)


def _unresolved(tx: Tx, subject: Subject) -> Ticket | None:
    row = tx.one(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE {_KEY} AND state <> 'resolved'{tx.lock_rows}",
        _key(subject),
    )
    return None if row is None else ticket_from_row(row)


def _last_resolved(tx: Tx, subject: Subject) -> Ticket | None:
    row = tx.one(
        f"SELECT {TICKET_COLUMNS} FROM tickets WHERE {_KEY} "
        "AND state = 'resolved' AND resolved_ns IS NOT NULL "
        f"ORDER BY resolved_ns DESC, id DESC LIMIT 1{tx.lock_rows}",
        _key(subject),
    )
    return None if row is None else ticket_from_row(row)


def _was_acknowledged(tx: Tx, ticket_id: int) -> bool:
    """Acknowledged when it last resolved: an acknowledgement since it was last opened or
    reopened, or a reopening that kept one."""
    row = tx.one(
        "SELECT action, note FROM ticket_events WHERE ticket_id = ? "
        "AND action IN ('opened', 'reopened', 'acknowledged') ORDER BY id DESC LIMIT 1",
        (ticket_id,),
    )
    if row is None:
        return False
    return bool(row[0] == TicketAction.ACKNOWLEDGED.value) or (
        row[0] == TicketAction.REOPENED.value and row[1] == lifecycle.ACK_KEPT
    )


def _by_id(tx: Tx, ticket_id: int) -> Ticket | None:
    row = tx.one(f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?{tx.lock_rows}", (ticket_id,))
    return None if row is None else ticket_from_row(row)


def _key(subject: Subject) -> tuple[str, str, str]:
    return (subject.site_code, subject.operator, subject.problem)


#: The columns of a :class:`collector.lifecycle.Finding`, set in this order by _finding.
_FINDING = "route = ?, first_bad_ns = ?, last_bad_ns = ?, evidence = ?"


def _finding(finding: lifecycle.Finding) -> tuple[str, int, int, str]:
    evidence = json.dumps(finding.evidence, sort_keys=True, allow_nan=False)
    return (finding.route, finding.first_bad_ns, finding.last_bad_ns, evidence)


def _execute(tx: Tx, plan: Plan, *, pages: bool = True) -> TicketChange | None:
    """Run a lifecycle plan's steps in order; None for a plan that changes nothing.
    ``pages`` False: the plan's Notify step writes no outbox row (incidents page)."""
    if plan.action is None:
        return None
    ticket: Ticket | None = None
    notification_id = None
    for step in plan.steps:
        if isinstance(step, lifecycle.WriteEvent | lifecycle.Notify):
            assert ticket is not None, "a plan writes its ticket before its events"
            if isinstance(step, lifecycle.WriteEvent):
                _event(
                    tx, ticket.id, step.action, at_ns=step.at_ns, actor=step.actor, note=step.note
                )
            elif pages:
                notification_id = _notify(tx, ticket, step.action, step.at_ns)
        else:
            ticket = _write(tx, step)
    assert ticket is not None, "a plan with an action writes a ticket"
    return TicketChange(ticket, plan.action.value, notification_id)


def _write(tx: Tx, step: lifecycle.TicketWrite) -> Ticket:
    """One ticket write; each UPDATE re-checks the state the plan was made from."""
    match step:
        case lifecycle.Create():
            return _insert(tx, step)
        case lifecycle.UpdateEvidence():
            return _updated(
                tx,
                f"UPDATE tickets SET {_FINDING}, historical = ?, updated_ns = ? "
                "WHERE id = ? AND state <> 'resolved'",
                (*_finding(step.finding), step.historical, step.at_ns, step.ticket_id),
            )
        case lifecycle.Reopen():
            return _updated(
                tx,
                f"UPDATE tickets SET {_FINDING}, historical = ?, state = ?, "
                "reopen_count = ?, reopened_ns = ?, updated_ns = ?, resolved_ns = NULL, "
                "resolved_by = NULL, escalated_ns = NULL WHERE id = ? AND state = 'resolved'",
                (
                    *_finding(step.finding),
                    step.historical,
                    step.state.value,
                    step.reopen_count,
                    step.at_ns,
                    step.at_ns,
                    step.ticket_id,
                ),
            )
        case lifecycle.MarkResolved():
            return _updated(
                tx,
                "UPDATE tickets SET state = 'resolved', resolved_ns = ?, resolved_by = ?, "
                "updated_ns = ? WHERE id = ? AND state <> 'resolved'",
                (step.resolved_ns, step.resolved_by, step.at_ns, step.ticket_id),
            )
        case lifecycle.MarkAcknowledged():
            return _updated(
                tx,
                "UPDATE tickets SET state = 'acknowledged', updated_ns = ? "
                "WHERE id = ? AND state = 'open'",
                (step.at_ns, step.ticket_id),
            )
        case lifecycle.MarkEscalated():
            return _updated(
                tx,
                "UPDATE tickets SET escalated_ns = ?, updated_ns = ? "
                "WHERE id = ? AND escalated_ns IS NULL AND state = 'open'",
                (step.at_ns, step.at_ns, step.ticket_id),
            )
        case _:
            assert_never(step)


def _insert(tx: Tx, step: lifecycle.Create) -> Ticket:
    row = tx.one(
        "INSERT INTO tickets (site_code, operator, problem, state, route, first_bad_ns, "
        "last_bad_ns, evidence, opened_ns, updated_ns, resolved_ns, resolved_by, historical, "
        f"reopen_count) VALUES ({placeholders(14)}) RETURNING {TICKET_COLUMNS}",
        (
            *_key(step.subject),
            step.state.value,
            *_finding(step.finding),
            step.at_ns,
            step.at_ns,
            step.resolved_ns,
            step.resolved_by,
            step.historical,
            0,
        ),
    )
    assert row is not None
    return ticket_from_row(row)


def _event(
    tx: Tx, ticket_id: int, action: TicketAction, *, at_ns: int, actor: str, note: str
) -> None:
    tx.run(
        "INSERT INTO ticket_events (ticket_id, at_ns, action, actor, note) VALUES (?, ?, ?, ?, ?)",
        (ticket_id, at_ns, action.value, actor, note),
    )


def _notify(tx: Tx, ticket: Ticket, action: NotifyAction, now_ns: int) -> int:
    payload = {
        "action": action.value,
        "ticket_id": ticket.id,
        "site_code": ticket.site_code,
        "operator": ticket.operator,
        "problem": ticket.problem,
        "state": ticket.state,
        "first_bad_ns": ticket.first_bad_ns,
        "last_bad_ns": ticket.last_bad_ns,
        "opened_ns": ticket.opened_ns,
        "resolved_ns": ticket.resolved_ns,
        "resolved_by": ticket.resolved_by,
        "reopen_count": ticket.reopen_count,
        "evidence": ticket.evidence,
    }
    row = tx.one(
        "INSERT INTO outbox (ticket_id, dedup_key, action, route, payload, created_ns, "
        "attempts, next_attempt_ns) VALUES (?, ?, ?, ?, ?, ?, 0, ?) RETURNING id",
        (
            ticket.id,
            f"pantau-{ticket.id}",
            action.value,
            ticket.route,
            json.dumps(payload, sort_keys=True, allow_nan=False),
            now_ns,
            now_ns,
        ),
    )
    assert row is not None
    return int(row[0])
