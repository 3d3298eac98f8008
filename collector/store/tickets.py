"""Tickets, their history and their outbox: one implementation for both backends.

The SQL here is portable between SQLite and PostgreSQL; the few dialect differences
sit behind :class:`Tx` (placeholders, row locks). Each public method is one
transaction, and a change that pages someone writes its outbox row in the same
transaction, so a ticket change and its notification exist together or not at all.

Ticket rules (a ticket's key is ``(site_code, operator, problem)``):

- at most one ticket per key is not ``resolved``; the database enforces it with a
  partial unique index, so collector replicas racing on one key end with one ticket
  (the loser of the race gets a unique violation, and its transaction is retried,
  now seeing the winner's ticket);
- ``raise_problem`` updates the open ticket of the key, or reopens the key's ticket
  resolved within ``reopen_window_ns`` of ``now_ns``, or opens a new one;
- historical tickets (raised from backfilled data) are stored like any other but page
  nobody: no outbox row is written for them, ever. A historical ticket that is raised
  again from live data turns live, and only then pages (one 'trigger');
- routine updates of an open ticket (newer ``last_bad_ns``, new evidence) change the
  ticket row only: no history row, no notification.

Outbox rules: rows are delivered in ``id`` order per ticket, one in flight per
ticket; a claim is a lease (``claim_until_ns``), so a crashed worker's claims expire
and another worker takes them over. Delivery is at least once; receivers deduplicate
on ``dedup_key`` (``pantau-<ticket id>``, stable across the ticket's life).
"""

# ruff: noqa: S608 - SQL is built from constants and placeholders; values are bound.

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from collector.store.model import Ticket, TicketChange, TicketEvent
from collector.store.sql import TICKET_COLUMNS, Conflict, Transactional, Tx, placeholders

_KEY = "site_code = ? AND operator = ? AND problem = ?"


class TicketMethods(Transactional):
    """Raising, clearing, acknowledging, resolving, escalating and reading tickets."""

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
        """Make sure the key has an open ticket; see the module docstring for the rules.

        ``action`` of the change: 'updated' (the open ticket), 'reopened' (resolved at or
        after ``now_ns - reopen_window_ns``; ``reopen_count`` + 1) or 'opened'. A new or
        reopened ticket writes a 'trigger' outbox row unless ``historical``. The open
        ticket keeps the earliest ``first_bad_ns`` and the latest ``last_bad_ns`` it is
        given; ``evidence`` replaces the stored one unless it is older (by
        ``last_bad_ns``) than what the ticket already has.
        """
        key = (site_code, operator, problem)
        evidence_json = json.dumps(evidence, sort_keys=True)

        def body(tx: Tx) -> TicketChange:
            row = tx.one(
                f"SELECT {TICKET_COLUMNS} FROM tickets WHERE {_KEY} "
                f"AND state <> 'resolved'{tx.lock_rows}",
                key,
            )
            if row is not None:
                old = ticket_from_row(row)
                newer = last_bad_ns >= old.last_bad_ns
                goes_live = old.historical and not historical
                ticket = _updated(
                    tx,
                    "UPDATE tickets SET first_bad_ns = ?, last_bad_ns = ?, evidence = ?, "
                    "route = ?, historical = ?, updated_ns = ? "
                    "WHERE id = ? AND state <> 'resolved'",
                    (
                        min(old.first_bad_ns, first_bad_ns),
                        max(old.last_bad_ns, last_bad_ns),
                        evidence_json if newer else json.dumps(old.evidence, sort_keys=True),
                        route,
                        old.historical and historical,
                        now_ns,
                        old.id,
                    ),
                )
                if not goes_live:
                    return TicketChange(ticket, "updated", None)
                _event(
                    tx,
                    ticket.id,
                    "updated",
                    at_ns=now_ns,
                    actor="auto",
                    note="live data: now paging",
                )
                return TicketChange(ticket, "updated", _notify(tx, ticket, "trigger", now_ns))
            row = tx.one(
                f"SELECT {TICKET_COLUMNS} FROM tickets WHERE {_KEY} "
                "AND state = 'resolved' AND resolved_ns >= ? "
                f"ORDER BY resolved_ns DESC, id DESC LIMIT 1{tx.lock_rows}",
                (*key, now_ns - reopen_window_ns),
            )
            if row is not None:
                old = ticket_from_row(row)
                ticket = _updated(
                    tx,
                    "UPDATE tickets SET state = 'open', reopen_count = reopen_count + 1, "
                    "reopened_ns = ?, updated_ns = ?, resolved_ns = NULL, resolved_by = NULL, "
                    "escalated_ns = NULL, last_bad_ns = ?, evidence = ?, route = ?, "
                    "historical = ? WHERE id = ? AND state = 'resolved'",
                    (
                        now_ns,
                        now_ns,
                        max(old.last_bad_ns, last_bad_ns),
                        evidence_json,
                        route,
                        historical,
                        old.id,
                    ),
                )
                _event(tx, ticket.id, "reopened", at_ns=now_ns, actor="auto", note="")
                notified = None if historical else _notify(tx, ticket, "trigger", now_ns)
                return TicketChange(ticket, "reopened", notified)
            ticket = _insert(
                tx,
                *key,
                state="open",
                route=route,
                first_bad_ns=first_bad_ns,
                last_bad_ns=last_bad_ns,
                now_ns=now_ns,
                resolved_ns=None,
                historical=historical,
                evidence_json=evidence_json,
            )
            note = "historical" if historical else ""
            _event(tx, ticket.id, "opened", at_ns=now_ns, actor="auto", note=note)
            notified = None if historical else _notify(tx, ticket, "trigger", now_ns)
            return TicketChange(ticket, "opened", notified)

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
        key = (site_code, operator, problem)

        def body(tx: Tx) -> TicketChange | None:
            row = tx.one(
                f"SELECT id FROM tickets WHERE {_KEY} AND state <> 'resolved'{tx.lock_rows}",
                key,
            )
            if row is None:
                return None
            return _resolve(
                tx, int(row[0]), resolved_ns=resolved_ns, now_ns=now_ns, actor=actor, note=note
            )

        return self._retrying(body)

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

        def body(tx: Tx) -> TicketChange:
            ticket = _insert(
                tx,
                site_code,
                operator,
                problem,
                state="resolved",
                route=route,
                first_bad_ns=first_bad_ns,
                last_bad_ns=last_bad_ns,
                now_ns=now_ns,
                resolved_ns=last_bad_ns,
                historical=True,
                evidence_json=json.dumps(evidence, sort_keys=True),
            )
            _event(tx, ticket.id, "opened", at_ns=now_ns, actor="auto", note="historical")
            _event(tx, ticket.id, "resolved", at_ns=now_ns, actor="auto", note=note)
            return TicketChange(ticket, "resolved", None)

        return self._retrying(body)

    # -- by hand ----------------------------------------------------------------------

    def acknowledge_ticket(
        self, ticket_id: int, *, actor: str, note: str, now_ns: int
    ) -> TicketChange | None:
        """Open -> acknowledged (stops escalation); 'acknowledge' outbox row unless
        historical. None if the ticket does not exist or is not open."""

        def body(tx: Tx) -> TicketChange | None:
            row = tx.one(
                f"SELECT state FROM tickets WHERE id = ?{tx.lock_rows}",
                (ticket_id,),
            )
            if row is None or row[0] != "open":
                return None
            ticket = _updated(
                tx,
                "UPDATE tickets SET state = 'acknowledged', updated_ns = ? "
                "WHERE id = ? AND state = 'open'",
                (now_ns, ticket_id),
            )
            _event(tx, ticket_id, "acknowledged", at_ns=now_ns, actor=actor, note=note)
            notified = None if ticket.historical else _notify(tx, ticket, "acknowledge", now_ns)
            return TicketChange(ticket, "acknowledged", notified)

        return self._retrying(body)

    def resolve_ticket(
        self, ticket_id: int, *, actor: str, note: str, now_ns: int
    ) -> TicketChange | None:
        """Resolve by hand (``resolved_ns = now_ns``, ``resolved_by = actor``); 'resolve'
        outbox row unless historical. None if missing or already resolved."""

        def body(tx: Tx) -> TicketChange | None:
            row = tx.one(
                f"SELECT state FROM tickets WHERE id = ?{tx.lock_rows}",
                (ticket_id,),
            )
            if row is None or row[0] == "resolved":
                return None
            return _resolve(
                tx, ticket_id, resolved_ns=now_ns, now_ns=now_ns, actor=actor, note=note
            )

        return self._retrying(body)

    def escalate_due(self, older_than_ns: int, now_ns: int) -> list[TicketChange]:
        """Escalate every live ticket still 'open' (not acknowledged), not yet escalated,
        opened (or last reopened) before ``older_than_ns``: 'escalate' outbox rows."""

        def body(tx: Tx) -> list[TicketChange]:
            due = tx.rows(
                "SELECT id FROM tickets WHERE state = 'open' AND historical = ? "
                "AND escalated_ns IS NULL AND COALESCE(reopened_ns, opened_ns) < ? "
                f"ORDER BY id{tx.lock_rows}",
                (False, older_than_ns),
            )
            changes = []
            for (ticket_id,) in due:
                ticket = _updated(
                    tx,
                    "UPDATE tickets SET escalated_ns = ?, updated_ns = ? "
                    "WHERE id = ? AND escalated_ns IS NULL AND state = 'open'",
                    (now_ns, now_ns, ticket_id),
                )
                _event(tx, ticket.id, "escalated", at_ns=now_ns, actor="auto", note="")
                changes.append(
                    TicketChange(ticket, "escalated", _notify(tx, ticket, "escalate", now_ns))
                )
            return changes

        return self._retrying(body)

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
    ) -> list[Ticket]:
        """Tickets matching every filter given, newest first.

        ``site_prefix`` keeps the sites whose code starts with it (a province's two
        digits); ``states`` keeps tickets in any of those states.
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
    def opt(value: Any) -> int | None:
        return None if value is None else int(value)

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
        resolved_ns=opt(row[10]),
        historical=bool(row[11]),
        escalated_ns=opt(row[12]),
        reopen_count=int(row[13]),
        reopened_ns=opt(row[14]),
        evidence=json.loads(row[15]),
        resolved_by=None if row[16] is None else str(row[16]),
    )


def _updated(tx: Tx, sql: str, params: Sequence[object]) -> Ticket:
    """Run an UPDATE of one ticket; a row that no longer matches is a lost race."""
    row = tx.one(f"{sql} RETURNING {TICKET_COLUMNS}", params)
    if row is None:
        raise Conflict
    return ticket_from_row(row)


def _insert(
    tx: Tx,
    site_code: str,
    operator: str,
    problem: str,
    *,
    state: str,
    route: str,
    first_bad_ns: int,
    last_bad_ns: int,
    now_ns: int,
    resolved_ns: int | None,
    historical: bool,
    evidence_json: str,
) -> Ticket:
    row = tx.one(
        "INSERT INTO tickets (site_code, operator, problem, state, route, first_bad_ns, "
        "last_bad_ns, opened_ns, updated_ns, resolved_ns, resolved_by, historical, "
        f"reopen_count, evidence) VALUES ({placeholders(14)}) RETURNING {TICKET_COLUMNS}",
        (
            site_code,
            operator,
            problem,
            state,
            route,
            first_bad_ns,
            last_bad_ns,
            now_ns,
            now_ns,
            resolved_ns,
            None if resolved_ns is None else "auto",
            historical,
            0,
            evidence_json,
        ),
    )
    assert row is not None
    return ticket_from_row(row)


def _resolve(
    tx: Tx, ticket_id: int, *, resolved_ns: int, now_ns: int, actor: str, note: str
) -> TicketChange:
    ticket = _updated(
        tx,
        "UPDATE tickets SET state = 'resolved', resolved_ns = ?, resolved_by = ?, "
        "updated_ns = ? WHERE id = ? AND state <> 'resolved'",
        (resolved_ns, actor, now_ns, ticket_id),
    )
    _event(tx, ticket_id, "resolved", at_ns=now_ns, actor=actor, note=note)
    notified = None if ticket.historical else _notify(tx, ticket, "resolve", now_ns)
    return TicketChange(ticket, "resolved", notified)


def _event(tx: Tx, ticket_id: int, action: str, *, at_ns: int, actor: str, note: str) -> None:
    tx.run(
        "INSERT INTO ticket_events (ticket_id, at_ns, action, actor, note) VALUES (?, ?, ?, ?, ?)",
        (ticket_id, at_ns, action, actor, note),
    )


def _notify(tx: Tx, ticket: Ticket, action: str, now_ns: int) -> int:
    payload = {
        "action": action,
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
            action,
            ticket.route,
            json.dumps(payload, sort_keys=True),
            now_ns,
            now_ns,
        ),
    )
    assert row is not None
    return int(row[0])
