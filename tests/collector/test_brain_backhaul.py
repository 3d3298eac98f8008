"""The brain and a kit's backhaul over a real store (both backends): a VSAT kit's Hello
sets the link its site is judged by, and its tickets are routed by ``[routing]
satellite``. Time is driven by the test's clock, never slept."""

from __future__ import annotations

import asyncio

from collector.brain import Brain
from collector.config import RoutingSection, default_config
from collector.rules import RuleEngine
from collector.rules.config import rules_from_mapping
from collector.store import Store
from pantau.v1 import records_pb2

SITE = "9471011001005"
S = 10**9
T0 = 1_800_000_000 * S
RULES = {"high_latency": {"for_s": 30, "hold_s": 30, "window_s": 10, "flap_changes": 0}}


def ping(rtt_ms: float) -> records_pb2.Record:
    r = records_pb2.Record()
    p = r.ping
    p.common.target = "collector.example"
    p.common.status = records_pb2.PROBE_STATUS_OK
    p.sent, p.received, p.loss_ratio = 5, 5, 0.0
    p.min_ms = p.median_ms = p.avg_ms = p.max_ms = rtt_ms
    return r


def test_a_vsat_kits_latency_is_judged_by_its_link_and_paged_to_the_satellite_desk(
    store: Store,
) -> None:
    config = default_config()
    routing = RoutingSection(operators={"510-10": "telkomsel"}, satellite="bakti-noc")
    config = type(config)(config.store, config.rules, config.tickets, routing, {}, "t")
    now = T0
    brain = Brain(store, RuleEngine(rules_from_mapping(RULES, source="t")), config,
                  clock=lambda: now)  # fmt: skip
    brain.note_backhaul(SITE, "vsat-geo")  # the kit's Hello, before any of its data

    async def feed(rtt_ms: float) -> None:
        brain.note(SITE, now, [(now, ping(rtt_ms))])
        await brain.settled(SITE)
        await brain.evaluate_all()

    for step in range(24):  # a ping every 10 s: 2 min at 600 ms, then 2 min at 1,500 ms
        now = T0 + step * 10 * S
        asyncio.run(feed(600.0 if step < 12 else 1500.0))
        if step < 12:
            assert store.list_tickets(problem="HIGH_LATENCY") == [], step
    (ticket,) = store.list_tickets(problem="HIGH_LATENCY")
    assert (ticket.operator, ticket.route, ticket.site_code) == ("satellite", "bakti-noc", SITE)
    assert ticket.first_bad_ns >= T0 + 120 * S
    assert ticket.evidence["last_bad"]["backhaul"] == "vsat-geo"
    notes = store.claim_notifications("t", now_ns=now, lease_ns=S, limit=10)
    assert [(n.action, n.route) for n in notes] == [("trigger", "bakti-noc")]
