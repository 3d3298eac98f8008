"""Tickets reach their webhook: once per transition, in order, through an outage of the
receiver, signed; on both stores (the shared backend fixture)."""

from __future__ import annotations

import asyncio

from collector.notify import Dispatcher, Route, verify
from collector.store import Store
from tests.webhook import WebhookReceiver

SITE = "3171011001005"
MINUTE = 60 * 10**9


def test_every_transition_arrives_once_in_order_despite_5_minutes_down(store: Store) -> None:
    now = [1_700_000_000 * 10**9]
    with WebhookReceiver() as hook:
        dispatcher = Dispatcher(
            store, {"telkomsel": Route("telkomsel", hook.url, "s3cret", timeout_s=5)},
            clock=lambda: now[0], backoff_base_s=1, backoff_cap_s=60,
        )  # fmt: skip
        opened = store.raise_problem(
            SITE, "510-10", "WEAK_SIGNAL", route="telkomsel", first_bad_ns=now[0] - MINUTE,
            last_bad_ns=now[0], evidence={"rsrp_dbm_median": -115.0}, historical=False,
            now_ns=now[0], reopen_window_ns=3600 * 10**9,
        )  # fmt: skip
        ticket_id = opened.ticket.id
        hook.status = 503  # the receiver is down for 5 minutes
        store.acknowledge_ticket(ticket_id, actor="noc", note="looking", now_ns=now[0])
        store.clear_problem(SITE, "510-10", "WEAK_SIGNAL", resolved_ns=now[0], now_ns=now[0])
        tries = 0
        for _ in range(30):  # 30 x 10 s of driven time = 5 minutes
            tries += asyncio.run(dispatcher.run_once())
            now[0] += 10 * 10**9
        assert tries >= 3 and dispatcher.delivered == 0  # it kept trying, in order
        hook.status = 200  # back
        for _ in range(40):
            asyncio.run(dispatcher.run_once())
            now[0] += 61 * 10**9  # past any back-off
            if len(hook.received) >= 3:
                break
        received = hook.wait_for(3)
    bodies = [r.json() for r in received]
    assert [b["event_action"] for b in bodies] == ["trigger", "acknowledge", "resolve"]
    assert {b["dedup_key"] for b in bodies} == {f"pantau-{ticket_id}"}
    assert len({r.headers["Idempotency-Key"] for r in received}) == 3  # none delivered twice
    for r in received:
        assert verify(
            "s3cret", r.headers["X-Pantau-Timestamp"], r.body, r.headers["X-Pantau-Signature"]
        )
    assert store.outbox_backlog() == 0


def test_an_unrouted_notification_waits_rather_than_vanishing(store: Store) -> None:
    now = [1_700_000_000 * 10**9]
    dispatcher = Dispatcher(store, {}, clock=lambda: now[0])
    store.raise_problem(
        SITE, "510-89", "NO_SERVICE", route="three", first_bad_ns=now[0], last_bad_ns=now[0],
        evidence={}, historical=False, now_ns=now[0], reopen_window_ns=0,
    )  # fmt: skip
    assert asyncio.run(dispatcher.run_once()) == 1
    assert dispatcher.failed == 1 and store.outbox_backlog() == 1
