"""The ticket lifecycle engine, table-driven: (current state, input) -> the expected plan.

No store and no clock: each row builds the state the store would have read, feeds one
input and compares the whole plan with ``==``.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import Any

import pytest

import collector.lifecycle
from collector.lifecycle import (
    AUTO,
    NOTHING,
    AckRequested,
    Create,
    Current,
    EscalationCheck,
    Finding,
    HistoricalProblem,
    Input,
    MarkAcknowledged,
    MarkEscalated,
    MarkResolved,
    Notify,
    Plan,
    ProblemCleared,
    ProblemSeen,
    Reopen,
    ResolveRequested,
    Subject,
    UpdateEvidence,
    WriteEvent,
    decide,
)
from collector.store.model import NotifyAction, Ticket, TicketAction, TicketState

MINUTE = 60 * 10**9
T0 = 1_700_000_000 * 10**9
NOW = T0 + 60 * MINUTE
WINDOW = 30 * MINUTE
SUBJECT = Subject("3171011001005", "510-10", "WEAK_SIGNAL")
OLD_EVIDENCE = {"rsrp_dbm": -121}
NEW_EVIDENCE = {"rsrp_dbm": -125}

OPENED, UPDATED, REOPENED = TicketAction.OPENED, TicketAction.UPDATED, TicketAction.REOPENED
RESOLVED, ACKED, ESCALATED = (
    TicketAction.RESOLVED,
    TicketAction.ACKNOWLEDGED,
    TicketAction.ESCALATED,
)
OPEN, ACKNOWLEDGED, CLOSED = TicketState.OPEN, TicketState.ACKNOWLEDGED, TicketState.RESOLVED


def ticket(state: TicketState = OPEN, **changes: Any) -> Ticket:
    """Ticket 7 of SUBJECT, bad from T0 to T0 + 10 min, opened at T0 + 1 min."""
    base = Ticket(
        id=7,
        site_code=SUBJECT.site_code,
        operator=SUBJECT.operator,
        problem=SUBJECT.problem,
        state=state.value,
        route="noc",
        first_bad_ns=T0,
        last_bad_ns=T0 + 10 * MINUTE,
        opened_ns=T0 + MINUTE,
        updated_ns=T0 + MINUTE,
        resolved_ns=None,
        historical=False,
        escalated_ns=None,
        reopen_count=0,
        reopened_ns=None,
        evidence=OLD_EVIDENCE,
        resolved_by=None,
    )
    if state is CLOSED:
        base = dataclasses.replace(base, resolved_ns=T0 + 20 * MINUTE, resolved_by=AUTO)
    return dataclasses.replace(base, **changes)


def finding(
    first: int = T0 + 50 * MINUTE, last: int = NOW, evidence: dict[str, Any] | None = None
) -> Finding:
    return Finding("noc-2", first, last, NEW_EVIDENCE if evidence is None else evidence)


def seen(
    *,
    first: int = T0 + 50 * MINUTE,
    last: int = NOW,
    evidence: dict[str, Any] | None = None,
    historical: bool = False,
) -> ProblemSeen:
    return ProblemSeen(SUBJECT, finding(first, last, evidence), historical, NOW, WINDOW)


def event(action: TicketAction, note: str = "", actor: str = AUTO) -> WriteEvent:
    return WriteEvent(action, actor, note, NOW)


def notify(action: NotifyAction) -> Notify:
    return Notify(action, NOW)


def created(*, historical: bool = False) -> Create:
    return Create(SUBJECT, OPEN, finding(), historical, NOW)


def updated(*, historical: bool = False, **changes: Any) -> UpdateEvidence:
    """The open ticket 7 (bad from T0) merged with a finding; ``changes`` to the merge."""
    merged = dataclasses.replace(finding(first=T0), **changes)
    return UpdateEvidence(7, merged, historical, NOW)


def reopened(*, count: int = 1, historical: bool = False, **changes: Any) -> Reopen:
    """Ticket 7 reopened: its own start (T0) kept, the rest from the new finding."""
    merged = dataclasses.replace(finding(first=T0), **changes)
    return Reopen(7, count, merged, historical, NOW)


# A resolved ticket whose resolution is exactly at the window's edge, and one just past it.
AT_EDGE = ticket(CLOSED, resolved_ns=NOW - WINDOW)
PAST_EDGE = ticket(CLOSED, resolved_ns=NOW - WINDOW - 1)
HISTORICAL_OPEN = ticket(historical=True)
BACKFILLED = Finding("noc", T0, T0 + 5 * MINUTE, {"from": "backfill"})

#: (name, current state, input, expected plan)
TABLE: list[tuple[str, Current, Input, Plan]] = [
    # -- a problem is seen ---------------------------------------------------------------
    (
        "new problem: open and page",
        Current(),
        seen(),
        Plan(OPENED, (created(), event(OPENED), notify(NotifyAction.TRIGGER))),
    ),
    (
        "new historical problem: open, page nobody",
        Current(),
        seen(historical=True),
        Plan(OPENED, (created(historical=True), event(OPENED, "historical"))),
    ),
    (
        "repeated: widen the bad period, newer evidence wins, no event, no page",
        Current(ticket()),
        seen(),
        Plan(UPDATED, (updated(),)),
    ),
    (
        "repeated with an earlier start: the earliest first_bad_ns is kept",
        Current(ticket()),
        seen(first=T0 - MINUTE),
        Plan(UPDATED, (updated(first_bad_ns=T0 - MINUTE),)),
    ),
    (
        "repeated with evidence of the same time: the new evidence wins",
        Current(ticket()),
        seen(last=T0 + 10 * MINUTE),
        Plan(UPDATED, (updated(last_bad_ns=T0 + 10 * MINUTE),)),
    ),
    (
        "repeated with older evidence (backfill): the stored evidence and last_bad_ns stay",
        Current(ticket()),
        seen(first=T0 + MINUTE, last=T0 + 5 * MINUTE, evidence={"old": True}),
        Plan(UPDATED, (updated(last_bad_ns=T0 + 10 * MINUTE, evidence=OLD_EVIDENCE),)),
    ),
    (
        "repeated on an acknowledged ticket: updated, still no page",
        Current(ticket(ACKNOWLEDGED)),
        seen(),
        Plan(UPDATED, (updated(),)),
    ),
    (
        "historical again from backfill: stays historical, silent",
        Current(HISTORICAL_OPEN),
        seen(historical=True),
        Plan(UPDATED, (updated(historical=True),)),
    ),
    (
        "historical -> live: turns live, one 'updated' event and a trigger",
        Current(HISTORICAL_OPEN),
        seen(),
        Plan(
            UPDATED,
            (
                updated(),
                event(UPDATED, "live data: now paging"),
                notify(NotifyAction.TRIGGER),
            ),
        ),
    ),
    (
        "live ticket seen in backfill: stays live, silent",
        Current(ticket()),
        seen(historical=True),
        Plan(UPDATED, (updated(),)),
    ),
    (
        "back within the reopen window (at its edge): reopen and page",
        Current(last_resolved=AT_EDGE),
        seen(),
        Plan(REOPENED, (reopened(), event(REOPENED), notify(NotifyAction.TRIGGER))),
    ),
    (
        "acknowledged when it resolved: reopened acknowledged, the ack survives",
        Current(last_resolved=AT_EDGE, last_acknowledged=True),
        seen(),
        Plan(
            REOPENED,
            (
                dataclasses.replace(reopened(), state=ACKNOWLEDGED),
                event(REOPENED, "acknowledgement kept"),
                notify(NotifyAction.TRIGGER),
            ),
        ),
    ),
    (
        "acknowledged but past the window: a new open ticket, no ack",
        Current(last_resolved=PAST_EDGE, last_acknowledged=True),
        seen(),
        Plan(OPENED, (created(), event(OPENED), notify(NotifyAction.TRIGGER))),
    ),
    (
        "reopened twice before: the count goes on",
        Current(last_resolved=dataclasses.replace(AT_EDGE, reopen_count=2)),
        seen(),
        Plan(
            REOPENED,
            (reopened(count=3), event(REOPENED), notify(NotifyAction.TRIGGER)),
        ),
    ),
    (
        "back within the window from backfill: reopened historical, no page",
        Current(last_resolved=AT_EDGE),
        seen(historical=True),
        Plan(REOPENED, (reopened(historical=True), event(REOPENED))),
    ),
    (
        "reopened with older data: the latest last_bad_ns is kept, the evidence is the new",
        Current(last_resolved=AT_EDGE),
        seen(first=T0, last=T0 + 5 * MINUTE),
        Plan(
            REOPENED,
            (
                reopened(last_bad_ns=T0 + 10 * MINUTE),
                event(REOPENED),
                notify(NotifyAction.TRIGGER),
            ),
        ),
    ),
    (
        "back after the window: a new ticket",
        Current(last_resolved=PAST_EDGE),
        seen(),
        Plan(OPENED, (created(), event(OPENED), notify(NotifyAction.TRIGGER))),
    ),
    # -- the problem clears --------------------------------------------------------------
    (
        "recovery: resolved at the event time, by auto, paged",
        Current(ticket()),
        ProblemCleared(resolved_ns=NOW - MINUTE, now_ns=NOW),
        Plan(
            RESOLVED,
            (
                MarkResolved(7, NOW - MINUTE, AUTO, NOW),
                event(RESOLVED),
                notify(NotifyAction.RESOLVE),
            ),
        ),
    ),
    (
        "recovery of an acknowledged ticket, with a note",
        Current(ticket(ACKNOWLEDGED)),
        ProblemCleared(resolved_ns=NOW, now_ns=NOW, note="signal back"),
        Plan(
            RESOLVED,
            (
                MarkResolved(7, NOW, AUTO, NOW),
                event(RESOLVED, "signal back"),
                notify(NotifyAction.RESOLVE),
            ),
        ),
    ),
    (
        "recovery of a historical ticket: resolved, no page",
        Current(HISTORICAL_OPEN),
        ProblemCleared(resolved_ns=NOW, now_ns=NOW),
        Plan(RESOLVED, (MarkResolved(7, NOW, AUTO, NOW), event(RESOLVED))),
    ),
    # -- a problem found in backfill, already over -----------------------------------------
    (
        "historical record: born resolved at its last_bad_ns, two events, no page",
        Current(ticket()),  # a live open ticket of the subject does not matter
        HistoricalProblem(SUBJECT, BACKFILLED, NOW, "found"),
        Plan(
            RESOLVED,
            (
                Create(SUBJECT, CLOSED, BACKFILLED, True, NOW, T0 + 5 * MINUTE, AUTO),
                event(OPENED, "historical"),
                event(RESOLVED, "found"),
            ),
        ),
    ),
    # -- by hand ---------------------------------------------------------------------------
    (
        "acknowledge an open ticket",
        Current(ticket()),
        AckRequested("budi", "on it", NOW),
        Plan(
            ACKED,
            (
                MarkAcknowledged(7, NOW),
                event(ACKED, "on it", "budi"),
                notify(NotifyAction.ACKNOWLEDGE),
            ),
        ),
    ),
    (
        "acknowledge a historical ticket: no page",
        Current(HISTORICAL_OPEN),
        AckRequested("budi", "", NOW),
        Plan(ACKED, (MarkAcknowledged(7, NOW), event(ACKED, "", "budi"))),
    ),
    (
        "resolve by hand: resolved now, by the person",
        Current(ticket(ACKNOWLEDGED)),
        ResolveRequested("sari", "fixed the antenna", NOW),
        Plan(
            RESOLVED,
            (
                MarkResolved(7, NOW, "sari", NOW),
                event(RESOLVED, "fixed the antenna", "sari"),
                notify(NotifyAction.RESOLVE),
            ),
        ),
    ),
    (
        "resolve a historical ticket by hand: no page",
        Current(HISTORICAL_OPEN),
        ResolveRequested("sari", "", NOW),
        Plan(RESOLVED, (MarkResolved(7, NOW, "sari", NOW), event(RESOLVED, "", "sari"))),
    ),
    # -- escalation --------------------------------------------------------------------------
    (
        "escalation due: opened before the cut, open, live, never escalated",
        Current(ticket()),
        EscalationCheck(older_than_ns=T0 + MINUTE + 1, now_ns=NOW),
        Plan(
            ESCALATED,
            (MarkEscalated(7, NOW), event(ESCALATED), notify(NotifyAction.ESCALATE)),
        ),
    ),
]


#: (name, current state, input) that change nothing: the store answers None.
NOTHING_TABLE: list[tuple[str, Current, Input]] = [
    (
        "recovery with no open ticket: nothing",
        Current(),
        ProblemCleared(resolved_ns=NOW, now_ns=NOW),
    ),
    (
        "recovery of an already-resolved ticket: nothing",
        Current(ticket(CLOSED)),
        ProblemCleared(resolved_ns=NOW, now_ns=NOW),
    ),
    ("acknowledge twice: nothing", Current(ticket(ACKNOWLEDGED)), AckRequested("b", "", NOW)),
    ("acknowledge a resolved ticket: nothing", Current(ticket(CLOSED)), AckRequested("b", "", NOW)),
    ("acknowledge a missing ticket: nothing", Current(), AckRequested("b", "", NOW)),
    ("resolve a resolved ticket: nothing", Current(ticket(CLOSED)), ResolveRequested("s", "", NOW)),
    ("resolve a missing ticket: nothing", Current(), ResolveRequested("s", "", NOW)),
    (
        "escalation not due: opened exactly at the cut",
        Current(ticket()),
        EscalationCheck(older_than_ns=T0 + MINUTE, now_ns=NOW),
    ),
    (
        "escalation counts from the reopening",
        Current(ticket(reopened_ns=T0 + 30 * MINUTE, reopen_count=1)),
        EscalationCheck(older_than_ns=T0 + 20 * MINUTE, now_ns=NOW),
    ),
    (
        "escalation already done",
        Current(ticket(escalated_ns=T0 + 5 * MINUTE)),
        EscalationCheck(older_than_ns=NOW, now_ns=NOW),
    ),
    (
        "escalation of an acknowledged ticket: never",
        Current(ticket(ACKNOWLEDGED)),
        EscalationCheck(older_than_ns=NOW, now_ns=NOW),
    ),
    (
        "escalation of a historical ticket: never",
        Current(HISTORICAL_OPEN),
        EscalationCheck(older_than_ns=NOW, now_ns=NOW),
    ),
    (
        "escalation of a resolved ticket: never",
        Current(ticket(CLOSED)),
        EscalationCheck(older_than_ns=NOW, now_ns=NOW),
    ),
]
TABLE += [(name, current, given, NOTHING) for name, current, given in NOTHING_TABLE]


@pytest.mark.parametrize(
    ("current", "given", "expected"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_table(current: Current, given: Input, expected: Plan) -> None:
    assert decide(current, given) == expected


@pytest.mark.parametrize(
    ("current", "given"), [row[1:3] for row in TABLE], ids=[r[0] for r in TABLE]
)
def test_plans_keep_their_shape(current: Current, given: Input) -> None:
    """One ticket write first, then events, then at most one notification; historical
    tickets never page; a plan with nothing to report has no steps."""
    plan = decide(current, given)
    if plan.action is None:
        assert plan.steps == ()
        return
    kinds = [type(step) for step in plan.steps]
    assert kinds[0] not in (WriteEvent, Notify)
    assert all(k is WriteEvent for k in kinds[1:] if k is not Notify)
    assert kinds.count(Notify) <= 1 and (Notify not in kinds or kinds[-1] is Notify)
    write = plan.steps[0]
    stays_historical = getattr(write, "historical", None)
    if stays_historical is None:  # a state change: the ticket keeps its flag
        assert current.ticket is not None
        stays_historical = current.ticket.historical
    if stays_historical:
        assert not plan.pages


def test_inputs_and_plans_are_frozen() -> None:
    plan = decide(Current(), seen())
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.action = None  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        seen().now_ns = 0  # type: ignore[misc]


def test_the_engine_does_no_io() -> None:
    """The lifecycle imports no I/O, no clock, no SQL, no storage backend."""
    forbidden = {"sqlite3", "psycopg", "psycopg_pool", "grpc", "asyncio", "socket", "time"}
    forbidden |= {"collector.store.sqlite", "collector.store.postgres", "collector.store.sql"}
    tree = ast.parse(Path(collector.lifecycle.__file__).read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert imported
    clash = {m for m in imported for f in forbidden if m == f or m.startswith(f + ".")}
    assert clash == set()
