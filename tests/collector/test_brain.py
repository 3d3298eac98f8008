"""The brain over a real store (both backends): event-time rules to tickets and pages.

Time is driven (a clock the test sets), never slept: ten minutes of flapping and a
half-hour outage take milliseconds.
"""

from __future__ import annotations

import asyncio

import pytest
from brainkit import SITE, T0, Rig, S, signal

from collector.store import Store
from collector.store.model import Ticket


def test_weak_signal_opens_one_ticket_to_the_operator_and_resolves_after_the_hold(
    store: Store,
) -> None:
    rig = Rig(store)
    for step in range(0, 40):  # a reading every 10 s: 2 min fine, 2 min weak, then fine
        rig.now = T0 + step * 10 * S
        weak = 12 <= step < 24
        rig.feed(rig.now, [signal(-118.0 if weak else -85.0)])
        tickets = store.list_tickets(problem="WEAK_SIGNAL")
        if step < 12 + 3:  # not before `for` (30 s of weak median)
            assert tickets == [], step
    (ticket,) = store.list_tickets(problem="WEAK_SIGNAL")
    assert (ticket.operator, ticket.route, ticket.site_code) == ("510-10", "telkomsel", SITE)
    assert ticket.first_bad_ns >= T0 + 120 * S and ticket.first_bad_ns <= T0 + 140 * S
    assert ticket.state == "resolved" and ticket.resolved_by == "auto"
    assert ticket.evidence["last_bad"]["median_rsrp_dbm"] < -110
    notes = store.claim_notifications("t", now_ns=rig.now, lease_ns=S, limit=10)
    assert [(n.action, n.route) for n in notes] == [("trigger", "telkomsel")]


def test_flapping_every_20_s_for_10_minutes_opens_at_most_one_ticket(store: Store) -> None:
    rig = Rig(store)
    for step in range(0, 61):  # readings every 10 s; weak and strong alternate every 20 s
        rig.now = T0 + step * 10 * S
        weak = (step // 2) % 2 == 1
        rig.feed(rig.now, [signal(-120.0 if weak else -80.0)])
    tickets = store.list_tickets(problem="WEAK_SIGNAL")
    assert len(tickets) <= 1
    triggers = 0
    while notes := store.claim_notifications("t", now_ns=rig.now, lease_ns=S, limit=10):
        for n in notes:
            triggers += n.action == "trigger"
            store.mark_delivered(n.id, "t", rig.now)
    assert triggers <= 1


def test_a_backfilled_outage_is_a_historical_ticket_with_its_true_times_and_no_page(
    store: Store,
) -> None:
    rig = Rig(store)
    rig.feed(T0, [signal(-85.0)])
    # The kit loses service at T0 + 60 s and its link with it: 30 minutes offline,
    # readings spooled every 30 s, then uploaded in one go after service returns.
    readings = []
    for k in range(1, 64):
        t = T0 + k * 30 * S
        offline = 2 <= k < 62
        readings.append((t, signal(None if offline else -85.0, registered=not offline)))
    rig.now = T0 + 33 * 60 * S
    asyncio.run(rig._feed(readings))
    rig.tick()
    (ticket,) = store.list_tickets(problem="NO_SERVICE")
    assert ticket.historical and ticket.state == "resolved"
    assert ticket.first_bad_ns == T0 + 60 * S  # the first reading without service
    assert ticket.last_bad_ns == T0 + 61 * 30 * S  # the last one
    assert store.outbox_backlog() == 0  # nobody paged


# -- silence across the collector's own restarts and stalls (issue 13, items 11-13) --------

OTHER_SITE = "3273011002012"


def _silent(store: Store, site: str = SITE) -> list[Ticket]:
    return store.list_tickets(site_code=site, problem="AGENT_SILENT")


def test_a_kit_silent_since_before_a_restart_is_reported(store: Store) -> None:
    """Item 12: a site this collector never heard is judged from the store's last heard."""
    from collector.store.model import IngestBatch

    store.add_agent("kit-1", SITE, "h")
    store.add_agent("kit-2", OTHER_SITE, "h")
    store.commit([IngestBatch("kit-1", SITE, [], T0)])  # last heard at T0, then silent
    store.commit([IngestBatch("kit-2", OTHER_SITE, [], T0)])
    assert store.revoke_agent("kit-2")  # a revoked kit's silence is nobody's business
    rig = Rig(store)
    rig.now = T0 + 3600 * S  # the collector (re)starts an hour later
    rig.brain.resume(rig.now, "started")
    assert asyncio.run(rig.brain.survey()) == 1
    rig.tick()
    rig.now += 59 * S  # within the rule's silence (6 x 10 s) after the start: the
    rig.tick()  # collector cannot tell a silent kit from one it could not hear
    assert _silent(store) == []
    rig.now += 1 * S
    rig.tick()
    (ticket,) = _silent(store)
    assert ticket.state == "open" and ticket.evidence["last_bad"]["last_heard_ns"] == T0
    assert _silent(store, OTHER_SITE) == []


def test_a_silence_ticket_open_across_a_restart_clears_when_the_kit_streams(
    store: Store,
) -> None:
    """Item 11: the restarted collector carries the open ticket on and clears it."""
    before = Rig(store)
    before.feed(T0, [signal(-85.0)])
    before.now = T0 + 70 * S
    before.tick()
    (ticket,) = _silent(store)
    assert ticket.state == "open"
    after = Rig(store)  # a restart: a new brain, a new engine, the same store
    after.now = T0 + 600 * S
    after.brain.resume(after.now, "started")
    back = after.now
    for step in range(0, 14):  # the kit streams again, every 10 s (hold: 120 s)
        after.now = back + step * 10 * S
        after.feed(after.now, [signal(-85.0)])
    (ticket,) = _silent(store)
    assert ticket.state == "resolved" and ticket.resolved_by == "auto"
    assert ticket.resolved_ns == back  # when it was first heard again
    assert ticket.first_bad_ns == T0 + 10 * S  # the ticket's own start, kept


def test_the_collectors_own_stall_opens_no_silence_ticket(store: Store) -> None:
    """Item 13: a collector frozen longer than the rule's silence pages nobody."""
    rig = Rig(store)
    for step in range(0, 20):
        rig.now = T0 + step * 5 * S
        rig.feed(rig.now, [signal(-85.0)])
    asleep = rig.now
    assert not rig.brain.note_wake(asleep, asleep + 6 * S)  # a tick and a bit: on time
    rig.now = asleep + 300 * S  # SIGSTOP for five minutes
    assert rig.brain.note_wake(asleep, rig.now)
    rig.tick()
    back = rig.now
    for step in range(0, 30):  # the kit's held batches arrive, then it goes on
        rig.now = back + step * 5 * S
        rig.feed(rig.now, [signal(-85.0)])
    assert _silent(store) == []
    # silence after the collector is back is the kit's own again
    rig.now += 60 * S
    rig.tick()
    assert [t.state for t in _silent(store)] == ["open"]


def test_the_same_stall_unnoticed_would_have_paged(store: Store) -> None:
    """The control for the test above: without the brain noting its stall, the gap reads
    as the kit's silence."""
    rig = Rig(store)
    for step in range(0, 20):
        rig.now = T0 + step * 5 * S
        rig.feed(rig.now, [signal(-85.0)])
    rig.now += 300 * S
    rig.tick()
    assert [t.state for t in _silent(store)] == ["open"]


def test_a_ticket_write_the_store_refused_is_judged_again_from_the_store(store: Store) -> None:
    """The engine announced a silence the store did not take (disk full): the site is
    forgotten, so the next hearing rebuilds it from the store instead of trusting an
    announcement no ticket holds."""
    rig = Rig(store)
    rig.feed(T0, [signal(-85.0)])
    original = rig.brain.store.raise_problem

    def full(*args: object, **kwargs: object) -> None:
        raise OSError("database or disk is full")

    rig.brain.store.raise_problem = full  # type: ignore[method-assign, assignment]
    rig.now = T0 + 70 * S
    with pytest.raises(OSError, match="disk is full"):
        rig.tick()
    assert rig.brain.engine.window(SITE) is None  # forgotten
    rig.brain.store.raise_problem = original  # type: ignore[method-assign]
    rig.brain.resume(rig.now, "store is back", down_ns=T0 + 65 * S)
    rig.feed(rig.now, [signal(-85.0)])  # heard again: rebuilt, nothing false announced
    rig.now += 59 * S
    rig.tick()
    assert _silent(store) == []
    rig.now += 1 * S  # and a real silence after that is still reported
    rig.tick()
    assert [t.state for t in _silent(store)] == ["open"]


def test_a_site_another_collector_hears_is_never_reported_silent_here(store: Store) -> None:
    """Replicas: this collector surveys a site only another one hears; it stays quiet
    while the other stores the kit's data, and reports the kit once nobody hears it."""
    from collector.store.model import IngestBatch

    store.add_agent("kit-1", SITE, "h")
    store.commit([IngestBatch("kit-1", SITE, [], T0)])
    rig = Rig(store)
    rig.now = T0
    rig.brain.resume(rig.now, "started")
    asyncio.run(rig.brain.survey())
    for step in range(1, 21):  # the other collector stores a batch every 20 s
        rig.now = T0 + step * 20 * S
        store.commit([IngestBatch("kit-1", SITE, [], rig.now)])
        if step % 4 == 0:  # a survey every 80 s: longer than the rule's silence
            asyncio.run(rig.brain.survey())
        rig.tick()
    assert _silent(store) == []
    last = rig.now
    for step in range(1, 8):  # the kit falls silent everywhere
        rig.now = last + step * 10 * S
        asyncio.run(rig.brain.survey())
        rig.tick()
    (ticket,) = _silent(store)
    assert ticket.state == "open" and ticket.evidence["last_bad"]["last_heard_ns"] == last


def test_with_incidents_on_the_brain_pages_the_incident_after_its_group_wait(
    store: Store,
) -> None:
    from collector.incidents import Settings

    store.incident_settings = Settings(group_wait_ns=30 * S, hold_ns=60 * S)
    rig = Rig(store)
    pages = 0
    for step in range(0, 40):  # as above: 2 min fine, 2 min weak, then fine
        rig.now = T0 + step * 10 * S
        rig.feed(rig.now, [signal(-118.0 if 12 <= step < 24 else -85.0)])
        pages += asyncio.run(rig.brain.tick_incidents())
    (ticket,) = store.list_tickets(problem="WEAK_SIGNAL")
    assert ticket.state == "resolved"
    notes = []
    while claimed := store.claim_notifications("t", now_ns=rig.now, lease_ns=S, limit=10):
        for n in claimed:
            store.mark_delivered(n.id, "t", rig.now)
        notes += claimed
    assert [(n.action, n.route, n.ticket_id) for n in notes] == [
        ("trigger", "telkomsel", None), ("resolve", "telkomsel", None),
    ]  # fmt: skip
    assert pages == 2 and {n.incident_id for n in notes} == {store.incident_of_ticket(ticket.id)}


def test_a_site_that_lost_service_is_in_the_incident_of_the_cell_that_served_it(
    store: Store,
) -> None:
    from collector.incidents import Settings

    store.incident_settings = Settings()
    rig = Rig(store)
    for step in range(0, 20):  # served by cell 4242 for a minute, then no service
        rig.now = T0 + step * 10 * S
        reading = signal(-85.0, registered=step < 6)
        if step < 6:
            reading.signal.cell_id = 4242
        rig.feed(rig.now, [reading])
    (ticket,) = store.list_tickets(problem="NO_SERVICE")
    assert ticket.evidence["last_cell_id"] == 4242
    (listed,) = store.list_incidents()
    assert listed.incident.kind == "cell" and listed.incident.scope.cell == "510-10:4242"
