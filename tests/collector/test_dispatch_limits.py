"""Per-route rate limits and aggregation, against a real HTTP receiver and real stores:
nothing is lost, every resolve arrives after a receiver outage of 5 minutes, and no
route is called more than its limit in any minute (driven clock, never slept).

Incident rows are written with SQL the way the incident engine will write them. Until
the incidents migration widens ``outbox.action`` to take "update", these tests lift the
CHECK in their own throwaway database.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from typing import Any

import pytest
from storebackends import Backend, RawConnection

from collector.notify import Dispatcher, Route
from collector.store import Store
from tests.webhook import Received, WebhookReceiver

S = 10**9
MINUTE = 60 * S
T0 = 1_780_000_000 * S


def _raw_allowing_updates(backend: Backend) -> RawConnection:
    raw = backend.raw()
    if backend.name == "postgres":
        raw.execute("ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_action_check")
    else:
        raw.execute("PRAGMA ignore_check_constraints = ON")
    raw.commit()
    return raw


def _ticket(store: Store, raw: RawConnection, n: int) -> int:
    """A ticket to hang incident rows on (its own trigger row settled)."""
    change = store.raise_problem(
        f"3171011001{n:03d}", "510-01", "NO_SERVICE", route="unused", first_bad_ns=T0,
        last_bad_ns=T0, evidence={}, historical=False, now_ns=T0, reopen_window_ns=0,
    )  # fmt: skip
    raw.execute("UPDATE outbox SET delivered_ns = 1 WHERE ticket_id = ?", (change.ticket.id,))
    raw.commit()
    return change.ticket.id


def _incident(n: int, affected: int, state: str = "open") -> str:
    incident = {
        "id": n, "key": f"cell/510-01/no_service/51001-{n}", "kind": "cell",
        "operator": "510-01", "family": "no_service", "problem": "NO_SERVICE",
        "scope": {"cell": f"51001-{n}", "kabupaten": "3171", "province": "31"},
        "title": f"Indosat cell 51001-{n} down: {affected} TPS",
        "title_id": f"Sel Indosat 51001-{n} mati: {affected} TPS", "state": state,
        "opened_ns": T0, "updated_ns": T0, "resolved_ns": T0 if state == "resolved" else None,
        "affected": affected, "sites": [], "others_fine": {"count": 0, "operators": []},
        "silenced_by": None, "route": "x",
    }  # fmt: skip
    return json.dumps({"incident": incident, "summary": incident["title"]})


def _queue(raw: RawConnection, ticket_id: int, n: int, route: str, actions: list[str]) -> None:
    for i, action in enumerate(actions):
        state = "resolved" if action == "resolve" else "open"
        raw.execute(
            "INSERT INTO outbox (ticket_id, dedup_key, action, route, payload, created_ns, "
            "attempts, next_attempt_ns) VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
            (ticket_id, f"pantau-incident-{n}", action, route, _incident(n, 10 + i, state),
             T0, T0),
        )  # fmt: skip
    raw.commit()


def _max_in_any_minute(times: list[int]) -> int:
    times = sorted(times)
    return max((sum(1 for t in times[i:] if t < start + MINUTE) for i, start in
                enumerate(times)), default=0)  # fmt: skip


def test_every_resolve_arrives_after_5_minutes_down_within_each_routes_limit(
    backend: Backend, store: Store
) -> None:
    raw = _raw_allowing_updates(backend)
    now = [T0]
    lifecycle = ["trigger", "update", "update", "update", "resolve"]
    with WebhookReceiver() as pd, WebhookReceiver() as am:
        routes = {
            "pd": Route("pd", pd.url, format="pagerduty", routing_key="k" * 32, max_per_minute=6),
            "am": Route("am", am.url, format="alertmanager", max_per_minute=6),
        }
        for n in range(1, 21):  # 20 cell incidents, 10 a route
            _queue(raw, _ticket(store, raw, n), n, "pd" if n % 2 else "am", lifecycle)
        dispatcher = Dispatcher(
            store, routes, clock=lambda: now[0], backoff_base_s=1, backoff_cap_s=60
        )
        seen: dict[str, list[int]] = {"pd": [], "am": []}  # driven time of every call
        pd.status = am.status = 503  # both receivers down for 5 minutes

        async def drive() -> None:
            for step in range(12 * 40):  # 40 minutes in 5 s steps
                if step == 12 * 5:
                    pd.status = am.status = 200
                before = {"pd": len(pd.requests), "am": len(am.requests)}
                await dispatcher.run_once()
                for name, hook in (("pd", pd), ("am", am)):
                    seen[name] += [now[0]] * (len(hook.requests) - before[name])
                if step > 12 * 5 and store.outbox_backlog() == 0:
                    return
                now[0] += 5 * S

        asyncio.run(drive())
        bodies: dict[str, list[Received]] = {"pd": list(pd.received), "am": list(am.received)}
    assert store.outbox_backlog() == 0, "every notification was settled"
    for name in ("pd", "am"):
        assert seen[name], name
        assert _max_in_any_minute(seen[name]) <= 6, name
        assert any(t < T0 + 5 * MINUTE for t in seen[name]), "it kept trying while down"
    per_key: dict[str, list[str]] = defaultdict(list)
    for r in bodies["pd"]:
        body = r.json()
        per_key[body["dedup_key"]].append(body["event_action"])
    for r in bodies["am"]:
        body = r.json()
        per_key[body["groupLabels"]["dedup_key"]].append(body["status"])
    assert len(per_key) == 20
    for key, actions in per_key.items():  # in order; the three updates sent as one
        assert actions in (["trigger", "trigger", "resolve"], ["firing", "firing", "resolved"]), key
    errors = [r[0] or "" for r in raw.execute("SELECT last_error FROM outbox")]
    superseded = sum(1 for e in errors if e.startswith("superseded by #"))
    assert superseded == 40 and dispatcher.superseded == 40


def test_calls_over_the_limit_wait_without_counting_as_attempts(
    backend: Backend, store: Store
) -> None:
    now = [T0]
    with WebhookReceiver() as hook:
        dispatcher = Dispatcher(
            store, {"noc": Route("noc", hook.url, max_per_minute=2)}, clock=lambda: now[0]
        )
        for n in range(5):
            store.raise_problem(
                f"3171011001{n:03d}", "510-10", "WEAK_SIGNAL", route="noc", first_bad_ns=T0,
                last_bad_ns=T0, evidence={}, historical=False, now_ns=T0, reopen_window_ns=0,
            )  # fmt: skip
        assert asyncio.run(dispatcher.run_once()) == 2
        assert len(hook.wait_for(2)) == 2 and dispatcher.held == 3
        raw = backend.raw()
        waiting = raw.execute(
            "SELECT attempts, next_attempt_ns, claimed_by FROM outbox "
            "WHERE delivered_ns IS NULL ORDER BY id"
        )
        # due as the route's tokens come back: two a minute on, the third a minute later
        assert waiting == [(0, T0 + MINUTE, None)] * 2 + [(0, T0 + 2 * MINUTE, None)]
        now[0] += 30 * S
        assert asyncio.run(dispatcher.run_once()) == 0  # not due yet
        now[0] += 30 * S
        assert asyncio.run(dispatcher.run_once()) == 2
        now[0] += MINUTE
        assert asyncio.run(dispatcher.run_once()) == 1
        assert len(hook.wait_for(5)) == 5
    assert store.outbox_backlog() == 0


def test_superseding_leaves_delivered_rows_and_live_claims_alone(
    backend: Backend, store: Store
) -> None:
    raw = _raw_allowing_updates(backend)
    ticket_id = _ticket(store, raw, 1)
    _queue(raw, ticket_id, 1, "noc", ["trigger", "update", "update", "update", "resolve"])
    ids = [int(r[0]) for r in raw.execute("SELECT id FROM outbox WHERE dedup_key = ? "
                                          "ORDER BY id", ("pantau-incident-1",))]  # fmt: skip
    trigger, u1, u2, u3, resolve = ids
    waiting = store.waiting_notifications("pantau-incident-1", trigger)
    assert [(n.id, n.action) for n in waiting] == [
        (u1, "update"),
        (u2, "update"),
        (u3, "update"),
        (resolve, "resolve"),
    ]
    raw.execute(
        "UPDATE outbox SET claimed_by = 'other', claim_until_ns = ? WHERE id = ?",
        (T0 + MINUTE, u2),
    )
    raw.commit()
    assert store.mark_superseded([u1, u2], u3, "me", T0) == 1  # u2 is leased to another
    assert store.mark_superseded([u1], u3, "me", T0) == 0  # settled already
    rows: dict[int, Any] = {
        int(r[0]): r[1:]
        for r in raw.execute("SELECT id, delivered_ns, last_error, claimed_by FROM outbox")
    }
    assert rows[u1] == (T0, f"superseded by #{u3}", "me")
    assert rows[u2] == (None, None, "other")
    assert [n.id for n in store.waiting_notifications("pantau-incident-1", trigger)] == [
        u2,
        u3,
        resolve,
    ]
    assert store.release_notifications([u2], "me", next_attempt_ns=T0) == 0  # not mine


def test_a_tmf642_route_raises_acknowledges_and_clears_one_alarm(store: Store) -> None:
    now = [T0]
    with WebhookReceiver() as oss:
        base = oss.url.removesuffix("/hook") + "/tmf-api/alarmManagement/v4"
        route = Route("oss", base, format="tmf642")
        dispatcher = Dispatcher(store, {"oss": route}, clock=lambda: now[0])
        opened = store.raise_problem(
            "3171011001005", "510-11", "NO_SERVICE", route="oss", first_bad_ns=T0,
            last_bad_ns=T0, evidence={}, historical=False, now_ns=T0, reopen_window_ns=0,
        )  # fmt: skip
        store.acknowledge_ticket(opened.ticket.id, actor="noc", note="", now_ns=T0)
        store.clear_problem("3171011001005", "510-11", "NO_SERVICE", resolved_ns=T0, now_ns=T0)
        for _ in range(3):
            asyncio.run(dispatcher.run_once())
        received = oss.wait_for(3)
    assert [r.path for r in received] == [
        "/tmf-api/alarmManagement/v4/alarm",
        "/tmf-api/alarmManagement/v4/ackAlarms",
        "/tmf-api/alarmManagement/v4/clearAlarms",
    ]
    alarm, ack, clear = (r.json() for r in received)
    key = f"pantau-{opened.ticket.id}"
    assert (alarm["externalAlarmId"], alarm["state"], alarm["alarmedObject"]["id"]) == (
        key,
        "raised",
        "3171011001005",
    )
    pattern = [{"externalAlarmId": key, "sourceSystemId": "pantau"}]
    assert ack["alarmPattern"] == pattern and clear["alarmPattern"] == pattern


def test_a_route_built_in_code_is_checked_too() -> None:
    with pytest.raises(ValueError, match="route x: format 'pd' is not one of pantau, "):
        Route("x", "http://127.0.0.1/", format="pd")
    with pytest.raises(ValueError, match="route x: max_per_minute must be at least 1"):
        Route("x", "http://127.0.0.1/", max_per_minute=0)


@pytest.mark.parametrize("fmt", ["pantau", "pagerduty", "alertmanager", "tmf642"])
def test_a_14_site_cell_outage_pages_once_and_resolves_once_on_every_format(
    backend: Backend, store: Store, fmt: str
) -> None:
    """Sites join one by one every 10 s, then recover one by one: the receiver sees one
    trigger, a few updates (the newest of each wait), one resolve, 3 calls a minute."""
    raw = _raw_allowing_updates(backend)
    now = [T0]
    ticket_id = _ticket(store, raw, 1)
    script = ["trigger"] + ["update"] * 26 + ["resolve"]  # 13 joining, 13 recovering
    with WebhookReceiver() as hook:
        route = Route("noc", hook.url, format=fmt, routing_key="k" * 32, max_per_minute=3)
        dispatcher = Dispatcher(store, {"noc": route}, clock=lambda: now[0])
        calls: list[int] = []

        async def drive() -> None:
            for step in range(200):  # 10 s steps
                if step < len(script):
                    _queue(raw, ticket_id, 1, "noc", [script[step]])
                before = len(hook.requests)
                await dispatcher.run_once()
                calls.extend([now[0]] * (len(hook.requests) - before))
                if step >= len(script) and store.outbox_backlog() == 0:
                    return
                now[0] += 10 * S

        asyncio.run(drive())
        actions = [r.headers["Idempotency-Key"].split(":")[1] for r in hook.received]
    assert store.outbox_backlog() == 0
    assert actions[0] == "trigger" and actions[-1] == "resolve", actions
    assert actions.count("trigger") == 1 and actions.count("resolve") == 1
    assert set(actions[1:-1]) <= {"update"} and len(actions) < len(script)
    assert len(actions) - 2 + dispatcher.superseded == 26  # every update sent or folded
    assert _max_in_any_minute(calls) <= 3
