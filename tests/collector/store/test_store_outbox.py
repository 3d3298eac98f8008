"""The shared storage suite, outbox and retention: the same assertions on both backends."""

from __future__ import annotations

import threading

from storebackends import Backend
from storekit import MINUTE, SECOND, SITE, T0, batch

from collector.store.base import Store
from collector.store.model import Notification, TicketChange

OP = "510-10"


def raise_problem(store: Store, problem: str, now_ns: int = T0) -> TicketChange:
    return store.raise_problem(
        SITE,
        OP,
        problem,
        route="noc",
        first_bad_ns=now_ns,
        last_bad_ns=now_ns,
        evidence={},
        historical=False,
        now_ns=now_ns,
        reopen_window_ns=0,
    )


def claim(store: Store, worker: str, now_ns: int, limit: int = 10) -> list[Notification]:
    return store.claim_notifications(worker, now_ns=now_ns, lease_ns=MINUTE, limit=limit)


def test_one_in_flight_per_ticket_and_in_order(store: Store) -> None:
    a = raise_problem(store, "A").ticket
    store.acknowledge_ticket(a.id, actor="budi", note="", now_ns=T0)
    store.resolve_ticket(a.id, actor="budi", note="", now_ns=T0)
    b = raise_problem(store, "B").ticket
    assert store.outbox_backlog() == 4

    first = claim(store, "w1", T0)
    assert [(n.ticket_id, n.action, n.attempts) for n in first] == [
        (a.id, "trigger", 1),
        (b.id, "trigger", 1),
    ]
    assert all(n.claimed_by == "w1" and n.claim_until_ns == T0 + MINUTE for n in first)
    assert claim(store, "w2", T0 + 1) == []  # heads are leased, the rest wait their turn
    assert store.mark_delivered(first[0].id, "w1", T0 + 2)
    assert not store.mark_delivered(first[0].id, "w1", T0 + 3)  # already delivered
    (ack,) = claim(store, "w2", T0 + 3)
    assert (ack.ticket_id, ack.action) == (a.id, "acknowledge")
    assert store.mark_delivered(ack.id, "w2", T0 + 4)
    assert store.mark_delivered(first[1].id, "w1", T0 + 4)
    (resolve,) = claim(store, "w2", T0 + 5)
    assert resolve.action == "resolve" and store.mark_delivered(resolve.id, "w2", T0 + 6)
    assert claim(store, "w2", T0 + 7) == [] and store.outbox_backlog() == 0


def test_failures_back_off_and_leases_expire(store: Store) -> None:
    t = raise_problem(store, "A").ticket
    store.resolve_ticket(t.id, actor="x", note="", now_ns=T0)
    (n,) = claim(store, "w1", T0)
    assert store.mark_failed(n.id, "w1", error="HTTP 503", next_attempt_ns=T0 + 30 * SECOND)
    assert not store.mark_failed(n.id, "w1", error="again", next_attempt_ns=T0)  # not held
    assert claim(store, "w1", T0 + 29 * SECOND) == []  # not due; and order holds the resolve
    (retry,) = claim(store, "w2", T0 + 30 * SECOND)
    assert (retry.id, retry.attempts, retry.last_error) == (n.id, 2, "HTTP 503")
    # w2 crashes: its lease runs out and w3 takes the row over.
    assert claim(store, "w3", T0 + 30 * SECOND + MINUTE - 1) == []
    (taken,) = claim(store, "w3", T0 + 30 * SECOND + MINUTE)
    assert taken.id == n.id and taken.claimed_by == "w3" and taken.attempts == 3
    assert not store.mark_failed(n.id, "w2", error="late", next_attempt_ns=T0)  # stale worker
    assert store.mark_delivered(n.id, "w3", T0 + 2 * MINUTE)
    (resolve,) = claim(store, "w3", T0 + 2 * MINUTE)
    assert resolve.action == "resolve" and resolve.attempts == 1


def test_two_workers_never_hold_the_same_row(backend: Backend) -> None:
    replicas = [backend.open(), backend.open()]
    for i in range(40):
        raise_problem(replicas[0], f"P{i}")
    held: dict[int, str] = {}
    delivered: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker(store: Store, name: str) -> None:
        try:
            start.wait(timeout=20)
            while True:
                got = store.claim_notifications(name, now_ns=T0, lease_ns=MINUTE, limit=3)
                if not got:
                    return
                with lock:
                    for n in got:
                        assert n.id not in held, f"{n.id} claimed by {held.get(n.id)} and {name}"
                        held[n.id] = name
                for n in got:
                    assert store.mark_delivered(n.id, name, T0)
                    with lock:
                        delivered.append(n.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=(s, f"w{i}-{j}"))
        for i, s in enumerate(replicas)
        for j in range(2)
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads) and errors == []
        assert sorted(delivered) == sorted(held) and len(delivered) == 40
        assert replicas[1].outbox_backlog() == 0
    finally:
        for s in replicas:
            s.close()


def test_a_locked_row_is_skipped_not_waited_for(backend: Backend, store: Store) -> None:
    """PostgreSQL: a row another worker is claiming (locked, uncommitted) is skipped."""
    first = raise_problem(store, "A").notification_id
    second = raise_problem(store, "B").notification_id
    raw = backend.raw()
    try:
        if backend.name == "postgres":
            raw.execute("SELECT id FROM outbox WHERE id = ? FOR UPDATE", (first,))
        got: list[list[Notification]] = []
        thread = threading.Thread(target=lambda: got.append(claim(store, "w", T0)))
        thread.start()
        thread.join(timeout=20)
        assert not thread.is_alive(), "the claim waited for a locked row"
        expected = [second] if backend.name == "postgres" else [first, second]
        assert [n.id for n in got[0]] == expected
    finally:
        raw.rollback()
        raw.close()


def test_prune_keeps_recent_data_and_undelivered_notifications(store: Store) -> None:
    store.add_agent("kit-1", SITE, "h")
    store.commit([batch("kit-1", 1, 2, 3, 4)])  # event times T0+1s .. T0+4s
    old = raise_problem(store, "OLD").ticket
    store.resolve_ticket(old.id, actor="x", note="", now_ns=T0)
    pending = raise_problem(store, "PENDING").ticket
    store.resolve_ticket(pending.id, actor="x", note="", now_ns=T0)
    recent = raise_problem(store, "RECENT").ticket
    store.resolve_ticket(recent.id, actor="x", note="", now_ns=T0 + 10 * MINUTE)
    still_open = raise_problem(store, "OPEN").ticket
    for n in claim(store, "w", T0, limit=100):
        if n.ticket_id != pending.id:
            store.mark_delivered(n.id, "w", T0)
    for n in claim(store, "w", T0, limit=100):  # the resolves behind the triggers
        if n.ticket_id != pending.id:
            store.mark_delivered(n.id, "w", T0)

    counts = store.prune(T0 + 3 * SECOND, T0 + MINUTE)
    assert (counts.records, counts.tickets, counts.ticket_events, counts.outbox) == (2, 1, 2, 2)
    assert [r.seq for r in store.records()] == [3, 4]
    assert [s.records for s in store.sites()] == [2]  # the site's count follows
    assert store.get_ticket(old.id) is None
    assert {t.id for t in store.list_tickets()} == {pending.id, recent.id, still_open.id}
    assert store.prune(T0 + 3 * SECOND, T0 + MINUTE).records == 0
    assert [s.records for s in store.sites()] == [2]
