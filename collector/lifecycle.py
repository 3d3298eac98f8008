"""The ticket lifecycle: current state and an input in, a plan out. No I/O, no clock, no SQL.

:func:`decide` is the one place where the rules of a ticket's life are written. The
store reads the current state inside its transaction (:class:`Current`), calls
:func:`decide` with an input that carries its own times, and executes the returned
:class:`Plan` in the same transaction (``collector/store/tickets.py``). Tests feed
tables of (current, input) and compare the plan with ``==``.

A ticket is about a :class:`Subject` (today a site, an operator or queue and a
problem); at most one ticket per subject is not resolved.

Inputs and the plans they give:

- :class:`ProblemSeen` (the rules say the problem is there, live or from backfill):
  - an unresolved ticket exists: :class:`UpdateEvidence`. It keeps the earliest
    ``first_bad_ns`` and the latest ``last_bad_ns``; the new evidence wins unless it
    is older (its ``last_bad_ns`` before the ticket's). A historical ticket raised
    from live data turns live: an 'updated' event ("live data: now paging") and a
    'trigger' notification. Otherwise no event and no notification (routine);
  - else the subject's last ticket was resolved at or after ``now_ns -
    reopen_window_ns``: :class:`Reopen` it, keeping its ``first_bad_ns`` and the
    latest ``last_bad_ns``, with the new evidence and route whatever their age
    ('reopened' event; 'trigger' unless the input is historical). A ticket that was
    acknowledged when it resolved comes back acknowledged (someone is still on it:
    the event's note says "acknowledgement kept"), else open;
  - else :class:`Create` an open ticket ('opened' event, note "historical" for a
    historical one; 'trigger' unless historical).
- :class:`ProblemCleared` (the data shows recovery): the unresolved ticket is
  :class:`MarkResolved` at the recovery's event time ('resolved'; 'resolve' unless the
  ticket is historical). No unresolved ticket: nothing to do.
- :class:`HistoricalProblem` (a problem in backfilled data that has already ended):
  :class:`Create` a ticket born resolved and historical, 'opened' and 'resolved'
  events, no notification, whatever else the subject has.
- :class:`AckRequested` (by hand): an open ticket becomes acknowledged
  ('acknowledged'; 'acknowledge' unless historical). Missing, acknowledged already
  or resolved: nothing to do.
- :class:`ResolveRequested` (by hand): an unresolved ticket is resolved at
  ``now_ns`` by the person ('resolve' unless historical). Missing or resolved:
  nothing to do.
- :class:`EscalationCheck`: a live ticket still open (not acknowledged), not yet
  escalated, opened (or last reopened) before ``older_than_ns`` is
  :class:`MarkEscalated` ('escalated', 'escalate'). Anything else: nothing to do.

Historical tickets never page: no plan for one holds a :class:`Notify`.

A plan's steps are in the order the store runs them: at most one ticket write first
(:class:`Create`, :class:`UpdateEvidence`, :class:`Reopen`, :class:`MarkResolved`,
:class:`MarkAcknowledged`, :class:`MarkEscalated`), then its :class:`WriteEvent` rows,
then at most one :class:`Notify` (whose payload is the ticket as written). A plan
whose ``action`` is None changes nothing (:data:`NOTHING`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, assert_never

from collector.store.model import NotifyAction, Ticket, TicketAction, TicketState

#: Who acts when the data, not a person, changes a ticket.
AUTO = "auto"
#: The note of a 'reopened' event whose ticket came back acknowledged.
ACK_KEPT = "acknowledgement kept"

# -- what a ticket is about ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subject:
    """What a ticket is about: its key (one unresolved ticket per subject)."""

    site_code: str
    operator: str  # MCC-MNC, or a queue such as "field-team"
    problem: str  # e.g. "WEAK_SIGNAL"


@dataclass(frozen=True, slots=True)
class Current:
    """What the store read for one input.

    ``ticket``: for problems and recoveries the subject's unresolved ticket; for
    inputs naming a ticket (by hand, escalation) that ticket, in whatever state.
    ``last_resolved``: the subject's most recently resolved ticket (only a
    :class:`ProblemSeen` without an unresolved ticket looks at it);
    ``last_acknowledged``: that ticket was acknowledged when it resolved (an
    acknowledgement since it was last opened or reopened).
    """

    ticket: Ticket | None = None
    last_resolved: Ticket | None = None
    last_acknowledged: bool = False


# -- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """What the rules found: the bad period in event time, its evidence, who to tell."""

    route: str  # where notifications go: a key of the notifier's configuration
    first_bad_ns: int
    last_bad_ns: int
    evidence: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ProblemSeen:
    """The rules say the subject has the problem (live, or in backfilled data)."""

    subject: Subject
    finding: Finding
    historical: bool  # from backfilled data: recorded, never paged
    now_ns: int
    reopen_window_ns: int


@dataclass(frozen=True, slots=True)
class ProblemCleared:
    """The data shows the subject's problem has ended."""

    resolved_ns: int  # event time the problem ended
    now_ns: int
    actor: str = AUTO
    note: str = ""


@dataclass(frozen=True, slots=True)
class HistoricalProblem:
    """A problem found in backfilled data that had already ended."""

    subject: Subject
    finding: Finding
    now_ns: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class ByHand:
    """What a person asks of a ticket: who, why, when."""

    actor: str
    note: str
    now_ns: int


@dataclass(frozen=True, slots=True)
class AckRequested(ByHand):
    """Acknowledge: someone is on it (stops escalation)."""


@dataclass(frozen=True, slots=True)
class ResolveRequested(ByHand):
    """Resolve by hand, now."""


@dataclass(frozen=True, slots=True)
class EscalationCheck:
    """Is the ticket due to be escalated (unanswered for too long)?"""

    older_than_ns: int  # escalate what was opened (or reopened) before this
    now_ns: int


Input = (
    ProblemSeen
    | ProblemCleared
    | HistoricalProblem
    | AckRequested
    | ResolveRequested
    | EscalationCheck
)

# -- steps ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Create:
    """Insert a ticket (``opened_ns = updated_ns = at_ns``, ``reopen_count`` 0)."""

    subject: Subject
    state: TicketState  # open, or resolved for a problem that is already over
    finding: Finding
    historical: bool
    at_ns: int
    resolved_ns: int | None = None  # set (event time) only when born resolved
    resolved_by: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateEvidence:
    """Set an unresolved ticket's finding (the merged one) and historical flag."""

    ticket_id: int
    finding: Finding
    historical: bool
    at_ns: int


@dataclass(frozen=True, slots=True)
class Reopen:
    """A resolved ticket back to ``state`` (open, or acknowledged when it was) with a
    finding: resolution and escalation cleared."""

    ticket_id: int
    reopen_count: int
    finding: Finding
    historical: bool
    at_ns: int  # also the new reopened_ns: escalation counts from here
    state: TicketState = TicketState.OPEN


@dataclass(frozen=True, slots=True)
class MarkResolved:
    ticket_id: int
    resolved_ns: int
    resolved_by: str
    at_ns: int


@dataclass(frozen=True, slots=True)
class MarkAcknowledged:
    ticket_id: int
    at_ns: int


@dataclass(frozen=True, slots=True)
class MarkEscalated:
    ticket_id: int
    at_ns: int


@dataclass(frozen=True, slots=True)
class WriteEvent:
    """A row of the ticket's history."""

    action: TicketAction
    actor: str
    note: str
    at_ns: int


@dataclass(frozen=True, slots=True)
class Notify:
    """An outbox row carrying the ticket as written by this plan."""

    action: NotifyAction
    at_ns: int


TicketWrite = Create | UpdateEvidence | Reopen | MarkResolved | MarkAcknowledged | MarkEscalated
Step = TicketWrite | WriteEvent | Notify


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do, in order; ``action`` is what the caller reports (None: nothing)."""

    action: TicketAction | None
    steps: tuple[Step, ...] = ()

    @property
    def pages(self) -> bool:
        return any(isinstance(step, Notify) for step in self.steps)


NOTHING = Plan(None)


# -- the rules --------------------------------------------------------------------------------


def decide(current: Current, event: Input) -> Plan:
    """The plan for ``event`` given ``current``; see the module docstring for the rules."""
    match event:
        case ProblemSeen():
            return _problem(current, event)
        case ProblemCleared():
            return _cleared(current.ticket, event)
        case HistoricalProblem():
            return _historical(event)
        case AckRequested():
            return _acknowledge(current.ticket, event)
        case ResolveRequested():
            return _resolve(current.ticket, event.now_ns, event.actor, event.note, event.now_ns)
        case EscalationCheck():
            return _escalate(current.ticket, event)
        case _:
            assert_never(event)


def is_escalation_due(ticket: Ticket, older_than_ns: int) -> bool:
    """Live, still open (not acknowledged), never escalated, (re)opened before the cut."""
    return (
        ticket.state == TicketState.OPEN
        and not ticket.historical
        and ticket.escalated_ns is None
        and (ticket.reopened_ns if ticket.reopened_ns is not None else ticket.opened_ns)
        < older_than_ns
    )


def _paging(historical: bool, action: NotifyAction, at_ns: int) -> tuple[Step, ...]:
    return () if historical else (Notify(action, at_ns),)


def _problem(current: Current, seen: ProblemSeen) -> Plan:
    now, new = seen.now_ns, seen.finding
    old = current.ticket
    if old is not None and old.state != TicketState.RESOLVED:
        update = UpdateEvidence(
            old.id, _merged(old, new), historical=old.historical and seen.historical, at_ns=now
        )
        if not (old.historical and not seen.historical):
            return Plan(TicketAction.UPDATED, (update,))
        live = WriteEvent(TicketAction.UPDATED, AUTO, "live data: now paging", now)
        return Plan(TicketAction.UPDATED, (update, live, Notify(NotifyAction.TRIGGER, now)))
    last = current.last_resolved
    if (
        last is not None
        and last.resolved_ns is not None
        and last.resolved_ns >= now - seen.reopen_window_ns
    ):
        # The reopened ticket keeps its start; the new evidence wins, whatever its age.
        finding = Finding(
            new.route, last.first_bad_ns, max(last.last_bad_ns, new.last_bad_ns), new.evidence
        )
        acked = current.last_acknowledged
        state = TicketState.ACKNOWLEDGED if acked else TicketState.OPEN
        reopen = Reopen(last.id, last.reopen_count + 1, finding, seen.historical, now, state)
        note = ACK_KEPT if acked else ""
        event = WriteEvent(TicketAction.REOPENED, AUTO, note, now)
        return Plan(
            TicketAction.REOPENED,
            (reopen, event, *_paging(seen.historical, NotifyAction.TRIGGER, now)),
        )
    create = Create(seen.subject, TicketState.OPEN, new, seen.historical, now)
    event = WriteEvent(TicketAction.OPENED, AUTO, "historical" if seen.historical else "", now)
    return Plan(
        TicketAction.OPENED, (create, event, *_paging(seen.historical, NotifyAction.TRIGGER, now))
    )


def _merged(old: Ticket, new: Finding) -> Finding:
    """The open ticket's finding with a new one: the earliest start, the latest end, the
    new evidence unless it is older (by ``last_bad_ns``) than the ticket's, the new route."""
    newer = new.last_bad_ns >= old.last_bad_ns
    return Finding(
        route=new.route,
        first_bad_ns=min(old.first_bad_ns, new.first_bad_ns),
        last_bad_ns=max(old.last_bad_ns, new.last_bad_ns),
        evidence=new.evidence if newer else old.evidence,
    )


def _cleared(ticket: Ticket | None, cleared: ProblemCleared) -> Plan:
    return _resolve(ticket, cleared.resolved_ns, cleared.actor, cleared.note, cleared.now_ns)


def _resolve(ticket: Ticket | None, resolved_ns: int, actor: str, note: str, now: int) -> Plan:
    if ticket is None or ticket.state == TicketState.RESOLVED:
        return NOTHING
    return Plan(
        TicketAction.RESOLVED,
        (
            MarkResolved(ticket.id, resolved_ns, actor, now),
            WriteEvent(TicketAction.RESOLVED, actor, note, now),
            *_paging(ticket.historical, NotifyAction.RESOLVE, now),
        ),
    )


def _historical(problem: HistoricalProblem) -> Plan:
    now = problem.now_ns
    create = Create(
        problem.subject,
        TicketState.RESOLVED,
        problem.finding,
        historical=True,
        at_ns=now,
        resolved_ns=problem.finding.last_bad_ns,
        resolved_by=AUTO,
    )
    return Plan(
        TicketAction.RESOLVED,
        (
            create,
            WriteEvent(TicketAction.OPENED, AUTO, "historical", now),
            WriteEvent(TicketAction.RESOLVED, AUTO, problem.note, now),
        ),
    )


def _acknowledge(ticket: Ticket | None, ack: AckRequested) -> Plan:
    if ticket is None or ticket.state != TicketState.OPEN:
        return NOTHING
    now = ack.now_ns
    return Plan(
        TicketAction.ACKNOWLEDGED,
        (
            MarkAcknowledged(ticket.id, now),
            WriteEvent(TicketAction.ACKNOWLEDGED, ack.actor, ack.note, now),
            *_paging(ticket.historical, NotifyAction.ACKNOWLEDGE, now),
        ),
    )


def _escalate(ticket: Ticket | None, check: EscalationCheck) -> Plan:
    if ticket is None or not is_escalation_due(ticket, check.older_than_ns):
        return NOTHING
    now = check.now_ns
    return Plan(
        TicketAction.ESCALATED,
        (
            MarkEscalated(ticket.id, now),
            WriteEvent(TicketAction.ESCALATED, AUTO, "", now),
            Notify(NotifyAction.ESCALATE, now),
        ),
    )
