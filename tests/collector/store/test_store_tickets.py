"""The shared storage suite, tickets: the same assertions on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from storebackends import Backend
from storekit import MINUTE, SITE, T0

from collector.store.base import Store
from collector.store.model import TicketChange

OP = "510-10"
WINDOW = 30 * MINUTE


def raise_weak(
    store: Store,
    *,
    now_ns: int,
    first_bad_ns: int | None = None,
    last_bad_ns: int | None = None,
    historical: bool = False,
    evidence: dict[str, Any] | None = None,
    problem: str = "WEAK_SIGNAL",
) -> TicketChange:
    return store.raise_problem(
        SITE,
        OP,
        problem,
        route="telkomsel-noc",
        first_bad_ns=now_ns - MINUTE if first_bad_ns is None else first_bad_ns,
        last_bad_ns=now_ns if last_bad_ns is None else last_bad_ns,
        evidence={"rsrp_dbm": -121} if evidence is None else evidence,
        historical=historical,
        now_ns=now_ns,
        reopen_window_ns=WINDOW,
    )


def outbox_actions(store: Store, ticket_id: int) -> list[str]:
    """Every undelivered notification of a ticket, in delivery order (claims and delivers)."""
    actions: list[str] = []
    for _ in range(20):
        claimed = [
            n
            for n in store.claim_notifications("reader", now_ns=T0 * 2, lease_ns=1, limit=100)
            if n.ticket_id == ticket_id
        ]
        if not claimed:
            return actions
        for n in claimed:
            actions.append(n.action)
            assert store.mark_delivered(n.id, "reader", T0 * 2)
    raise AssertionError("outbox never drained")


def test_open_update_acknowledge_resolve(store: Store) -> None:
    opened = raise_weak(store, now_ns=T0)
    ticket = opened.ticket
    assert opened.action == "opened" and opened.notification_id is not None
    assert (ticket.site_code, ticket.operator, ticket.problem, ticket.state) == (
        SITE,
        OP,
        "WEAK_SIGNAL",
        "open",
    )
    assert (ticket.first_bad_ns, ticket.last_bad_ns, ticket.opened_ns) == (T0 - MINUTE, T0, T0)
    assert ticket.evidence == {"rsrp_dbm": -121} and not ticket.historical
    assert ticket.route == "telkomsel-noc" and ticket.reopen_count == 0

    # Raised again: the same ticket, widened; no notification.
    again = raise_weak(
        store, now_ns=T0 + MINUTE, first_bad_ns=T0 - 5 * MINUTE, evidence={"rsrp_dbm": -125}
    )
    assert again.action == "updated" and again.notification_id is None
    assert again.ticket.id == ticket.id
    assert (again.ticket.first_bad_ns, again.ticket.last_bad_ns) == (T0 - 5 * MINUTE, T0 + MINUTE)
    assert again.ticket.evidence == {"rsrp_dbm": -125}
    # Older evidence (backfill) does not replace newer.
    old = raise_weak(store, now_ns=T0 + 2 * MINUTE, last_bad_ns=T0, evidence={"old": True})
    assert old.ticket.evidence == {"rsrp_dbm": -125} and old.ticket.last_bad_ns == T0 + MINUTE

    acked = store.acknowledge_ticket(ticket.id, actor="budi", note="on it", now_ns=T0 + 3 * MINUTE)
    assert acked is not None and acked.ticket.state == "acknowledged"
    assert acked.notification_id is not None
    assert store.acknowledge_ticket(ticket.id, actor="budi", note="", now_ns=T0) is None
    assert raise_weak(store, now_ns=T0 + 4 * MINUTE).ticket.state == "acknowledged"

    cleared = store.clear_problem(
        SITE, OP, "WEAK_SIGNAL", resolved_ns=T0 + 5 * MINUTE, now_ns=T0 + 6 * MINUTE
    )
    assert cleared is not None and cleared.action == "resolved"
    assert cleared.ticket.state == "resolved" and cleared.ticket.resolved_by == "auto"
    assert cleared.ticket.resolved_ns == T0 + 5 * MINUTE and cleared.notification_id is not None
    assert store.clear_problem(SITE, OP, "WEAK_SIGNAL", resolved_ns=T0, now_ns=T0) is None

    got = store.get_ticket(ticket.id)
    assert got is not None
    final, events = got
    assert final == cleared.ticket
    assert [(e.action, e.actor, e.note) for e in events] == [
        ("opened", "auto", ""),
        ("acknowledged", "budi", "on it"),
        ("resolved", "auto", ""),
    ]
    assert outbox_actions(store, ticket.id) == ["trigger", "acknowledge", "resolve"]
    assert store.get_ticket(ticket.id + 1000) is None


def test_reopen_within_the_window_and_a_new_ticket_after_it(store: Store) -> None:
    first = raise_weak(store, now_ns=T0).ticket
    store.clear_problem(SITE, OP, "WEAK_SIGNAL", resolved_ns=T0 + MINUTE, now_ns=T0 + MINUTE)
    back = raise_weak(store, now_ns=T0 + MINUTE + WINDOW)  # exactly at the window's edge
    assert back.action == "reopened" and back.ticket.id == first.id
    assert back.ticket.state == "open" and back.ticket.reopen_count == 1
    assert back.ticket.resolved_ns is None and back.ticket.resolved_by is None
    assert back.ticket.reopened_ns == T0 + MINUTE + WINDOW
    assert back.notification_id is not None

    store.clear_problem(SITE, OP, "WEAK_SIGNAL", resolved_ns=T0 + 40 * MINUTE, now_ns=T0)
    later = raise_weak(store, now_ns=T0 + 40 * MINUTE + WINDOW + 1)
    assert later.action == "opened" and later.ticket.id != first.id
    assert later.ticket.reopen_count == 0
    events = store.get_ticket(first.id)
    assert events is not None
    assert [e.action for e in events[1]] == ["opened", "resolved", "reopened", "resolved"]
    assert outbox_actions(store, first.id) == ["trigger", "resolve", "trigger", "resolve"]


def test_an_acknowledgement_survives_every_reopen_within_the_window(store: Store) -> None:
    first = raise_weak(store, now_ns=T0).ticket
    store.acknowledge_ticket(first.id, actor="ani", note="on it", now_ns=T0 + 1)
    for i in range(1, 8):  # flapping: reopened 7 times within minutes, acknowledged each time
        at = T0 + i * MINUTE
        store.clear_problem(SITE, OP, "WEAK_SIGNAL", resolved_ns=at, now_ns=at)
        back = raise_weak(store, now_ns=at + 1)
        assert back.action == "reopened" and back.ticket.state == "acknowledged"
        assert back.ticket.reopen_count == i
    history = store.get_ticket(first.id)
    assert history is not None
    assert history[1][-1].note == "acknowledgement kept"

    # Resolved and back past the window: a new ticket, open.
    store.clear_problem(SITE, OP, "WEAK_SIGNAL", resolved_ns=T0 + 8 * MINUTE, now_ns=T0)
    later = raise_weak(store, now_ns=T0 + 8 * MINUTE + WINDOW + 1)
    assert later.action == "opened" and later.ticket.state == "open"


def test_a_reopen_without_an_acknowledgement_is_open(store: Store) -> None:
    first = raise_weak(store, now_ns=T0).ticket
    store.acknowledge_ticket(first.id, actor="ani", note="", now_ns=T0 + 1)
    store.clear_problem(SITE, OP, "WEAK_SIGNAL", resolved_ns=T0 + MINUTE, now_ns=T0 + MINUTE)
    # Past the window: a new ticket; it is not acknowledged, and its own reopen is open.
    fresh = raise_weak(store, now_ns=T0 + MINUTE + WINDOW + 1).ticket
    at = T0 + 2 * WINDOW
    store.clear_problem(SITE, OP, "WEAK_SIGNAL", resolved_ns=at, now_ns=at)
    back = raise_weak(store, now_ns=at + 1)
    assert back.ticket.id == fresh.id and back.ticket.state == "open"


def test_keys_are_independent_and_listed(store: Store) -> None:
    a = raise_weak(store, now_ns=T0).ticket
    b = raise_weak(store, now_ns=T0, problem="NO_SERVICE").ticket
    c = store.raise_problem(
        SITE,
        "field-team",
        "KIT_OFFLINE",
        route="field",
        first_bad_ns=T0,
        last_bad_ns=T0,
        evidence={},
        historical=False,
        now_ns=T0,
        reopen_window_ns=0,
    ).ticket
    assert len({a.id, b.id, c.id}) == 3
    store.resolve_ticket(b.id, actor="sari", note="fixed the antenna", now_ns=T0 + MINUTE)
    assert [t.id for t in store.list_tickets()] == [c.id, b.id, a.id]
    assert [t.id for t in store.list_tickets(state="open")] == [c.id, a.id]
    assert [t.id for t in store.list_tickets(operator="field-team")] == [c.id]
    assert [t.id for t in store.list_tickets(problem="NO_SERVICE", site_code=SITE)] == [b.id]
    assert [t.id for t in store.list_tickets(limit=1)] == [c.id]
    assert store.list_tickets(site_code="0000000000000") == []
    resolved = store.get_ticket(b.id)
    assert resolved is not None and resolved[0].resolved_by == "sari"
    assert resolved[0].resolved_ns == T0 + MINUTE
    assert store.resolve_ticket(b.id, actor="sari", note="", now_ns=T0) is None
    assert store.resolve_ticket(9999, actor="sari", note="", now_ns=T0) is None


def test_escalation(store: Store) -> None:
    old = raise_weak(store, now_ns=T0).ticket
    acked = raise_weak(store, now_ns=T0, problem="NO_SERVICE").ticket
    store.acknowledge_ticket(acked.id, actor="budi", note="", now_ns=T0)
    historical = raise_weak(store, now_ns=T0, problem="HIGH_LOSS", historical=True).ticket
    young = raise_weak(store, now_ns=T0 + 20 * MINUTE, problem="HIGH_RTT").ticket

    changes = store.escalate_due(T0 + 10 * MINUTE, now_ns=T0 + 15 * MINUTE)
    assert [c.ticket.id for c in changes] == [old.id]
    (change,) = changes
    assert change.action == "escalated" and change.ticket.escalated_ns == T0 + 15 * MINUTE
    assert change.notification_id is not None
    assert store.escalate_due(T0 + 10 * MINUTE, now_ns=T0 + 16 * MINUTE) == []
    assert {historical.id, young.id, acked.id}.isdisjoint(
        c.ticket.id for c in store.escalate_due(T0 + 10 * MINUTE, now_ns=T0 + 17 * MINUTE)
    )
    # Reopened: the escalation clock restarts at the reopening.
    store.clear_problem(SITE, OP, "WEAK_SIGNAL", resolved_ns=T0 + 20 * MINUTE, now_ns=T0)
    back = raise_weak(store, now_ns=T0 + 21 * MINUTE).ticket
    assert back.id == old.id and back.escalated_ns is None
    assert store.escalate_due(T0 + 20 * MINUTE, now_ns=T0 + 22 * MINUTE) == []
    due = store.escalate_due(T0 + 22 * MINUTE, now_ns=T0 + 22 * MINUTE)
    assert [c.ticket.id for c in due] == [old.id, young.id]
    assert outbox_actions(store, old.id) == [
        "trigger",
        "escalate",
        "resolve",
        "trigger",
        "escalate",
    ]


def test_historical_tickets_page_nobody_until_they_turn_live(store: Store) -> None:
    hist = raise_weak(store, now_ns=T0, historical=True)
    assert hist.action == "opened" and hist.notification_id is None and hist.ticket.historical
    assert raise_weak(store, now_ns=T0 + 1, historical=True).notification_id is None
    assert store.outbox_backlog() == 0
    live = raise_weak(store, now_ns=T0 + MINUTE)  # live data: the problem is still there
    assert live.ticket.id == hist.ticket.id and not live.ticket.historical
    assert live.action == "updated" and live.notification_id is not None
    assert raise_weak(store, now_ns=T0 + 2 * MINUTE).notification_id is None
    assert outbox_actions(store, hist.ticket.id) == ["trigger"]

    quiet = raise_weak(store, now_ns=T0, historical=True, problem="HIGH_LOSS").ticket
    cleared = store.clear_problem(SITE, OP, "HIGH_LOSS", resolved_ns=T0 + 1, now_ns=T0 + 2)
    assert cleared is not None and cleared.notification_id is None
    assert store.acknowledge_ticket(quiet.id, actor="x", note="", now_ns=T0) is None
    assert outbox_actions(store, quiet.id) == []


def test_a_backfilled_outage_is_stored_in_one_call(store: Store) -> None:
    live = raise_weak(store, now_ns=T0 + 5 * MINUTE).ticket  # the problem is open right now
    past = store.record_historical_problem(
        SITE,
        OP,
        "WEAK_SIGNAL",
        route="telkomsel-noc",
        first_bad_ns=T0 - 60 * MINUTE,
        last_bad_ns=T0 - 30 * MINUTE,
        evidence={"from": "backfill"},
        now_ns=T0 + 5 * MINUTE,
        note="found in backfill",
    )
    t = past.ticket
    assert past.notification_id is None and t.id != live.id
    assert (t.state, t.historical, t.first_bad_ns, t.last_bad_ns, t.resolved_ns) == (
        "resolved",
        True,
        T0 - 60 * MINUTE,
        T0 - 30 * MINUTE,
        T0 - 30 * MINUTE,
    )
    assert t.evidence == {"from": "backfill"} and t.resolved_by == "auto"
    got = store.get_ticket(t.id)
    assert got is not None
    assert [(e.action, e.note) for e in got[1]] == [
        ("opened", "historical"),
        ("resolved", "found in backfill"),
    ]
    assert outbox_actions(store, t.id) == []
    assert len(store.list_tickets(site_code=SITE)) == 2


def test_the_database_allows_one_open_ticket_per_key(backend: Backend, store: Store) -> None:
    raise_weak(store, now_ns=T0)
    raw = backend.raw()
    insert = (
        "INSERT INTO tickets (site_code, operator, problem, state, route, first_bad_ns, "
        "last_bad_ns, opened_ns, updated_ns, historical, evidence) "
        "VALUES (?, ?, 'WEAK_SIGNAL', ?, 'r', 0, 0, 0, 0, ?, '{}')"
    )
    try:
        for state in ("open", "acknowledged"):
            with pytest.raises(backend.integrity_error):
                raw.execute(insert, (SITE, OP, state, False))
            raw.rollback()
        raw.execute(insert, (SITE, OP, "resolved", False))  # resolved ones: any number
        raw.execute(insert, (SITE, "510-01", "open", False))  # another key
        raw.commit()
    finally:
        raw.close()
    assert len(store.list_tickets(site_code=SITE)) == 3


def test_concurrent_raises_from_two_replicas_make_one_ticket(backend: Backend) -> None:
    replicas = [backend.open(), backend.open()]
    keys = [f"PROBLEM_{i}" for i in range(15)]
    barrier = threading.Barrier(4)
    changes: list[TicketChange] = []
    errors: list[BaseException] = []

    def worker(store: Store) -> None:
        try:
            for problem in keys:
                barrier.wait(timeout=20)
                changes.append(raise_weak(store, now_ns=T0, problem=problem))
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(s,)) for s in replicas for _ in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        assert len(changes) == 4 * len(keys)
        for problem in keys:
            mine = [c for c in changes if c.ticket.problem == problem]
            assert sorted(c.action for c in mine) == ["opened", "updated", "updated", "updated"]
            assert len({c.ticket.id for c in mine}) == 1
            assert sum(c.notification_id is not None for c in mine) == 1
        assert len(replicas[0].list_tickets(limit=1000)) == len(keys)
        assert replicas[1].outbox_backlog() == len(keys)
    finally:
        for s in replicas:
            s.close()


def test_a_raise_blocked_by_a_concurrent_insert_retries_as_an_update(backend: Backend) -> None:
    """The unique-violation path, made deterministic: another writer's INSERT of the same
    key is uncommitted while raise_problem runs; after it commits, raise_problem must
    update that ticket rather than fail or open a second one."""
    store = backend.open()
    raw = backend.raw()
    result: list[TicketChange] = []
    try:
        raw.execute(
            "INSERT INTO tickets (site_code, operator, problem, state, route, first_bad_ns, "
            "last_bad_ns, opened_ns, updated_ns, historical, evidence) "
            "VALUES (?, ?, 'WEAK_SIGNAL', 'open', 'r', ?, ?, ?, ?, ?, '{}')",
            (SITE, OP, T0, T0, T0, T0, False),
        )
        thread = threading.Thread(target=lambda: result.append(raise_weak(store, now_ns=T0 + 1)))
        thread.start()
        if backend.name == "postgres":
            pid = raw.execute("SELECT pg_backend_pid()")[0][0]
            wait_until_blocked_by(backend, pid)
        raw.commit()
        thread.join(timeout=30)
        assert not thread.is_alive()
        (change,) = result
        assert change.action == "updated" and change.notification_id is None
        assert len(store.list_tickets()) == 1
    finally:
        raw.close()
        store.close()


def wait_until_blocked_by(backend: Backend, pid: int) -> None:
    """Poll (bounded) until some session waits on a lock held by ``pid``."""
    import time

    probe = backend.raw()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            rows = probe.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE ? = ANY(pg_blocking_pids(pid))",
                (pid,),
            )
            probe.rollback()
            if rows[0][0] > 0:
                return
            time.sleep(0.01)
        raise AssertionError("raise_problem never reached the conflicting insert")
    finally:
        probe.close()


def test_payload_is_the_ticket_as_json(store: Store) -> None:
    change = raise_weak(store, now_ns=T0, evidence={"rsrp_dbm": -121, "samples": [1, 2]})
    (n,) = store.claim_notifications("w", now_ns=T0, lease_ns=MINUTE, limit=10)
    assert n.id == change.notification_id and n.dedup_key == f"pantau-{change.ticket.id}"
    assert n.route == "telkomsel-noc" and n.action == "trigger"
    payload = json.loads(n.payload)
    assert payload["ticket_id"] == change.ticket.id and payload["site_code"] == SITE
    assert payload["evidence"] == {"rsrp_dbm": -121, "samples": [1, 2]}
