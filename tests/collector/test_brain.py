"""The brain over a real store (both backends): event-time rules to tickets and pages.

Time is driven (a clock the test sets), never slept: ten minutes of flapping and a
half-hour outage take milliseconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

import pytest

from collector.brain import Brain
from collector.config import RoutingSection, default_config
from collector.rules import RuleEngine
from collector.rules.config import rules_from_mapping
from collector.store import Store
from collector.store.model import Ticket
from pantau.v1 import records_pb2

SITE = "3171011001005"
S = 10**9
T0 = 1_800_000_000 * S

RULES = {
    "weak_signal": {"for_s": 30, "hold_s": 60, "window_s": 10},
    "no_service": {"for_s": 30, "hold_s": 30},
    "poor_quality": {"enabled": False},
    "agent_silent": {"expected_interval_s": 10, "intervals": 6},
}


def signal(rsrp: float | None, *, registered: bool = True) -> records_pb2.Record:
    r = records_pb2.Record()
    s = r.signal
    s.mcc, s.mnc = "510", "10"
    s.rat = records_pb2.RAT_LTE if registered else records_pb2.RAT_NONE
    s.reg_state = records_pb2.REG_STATE_HOME if registered else records_pb2.REG_STATE_SEARCHING
    if rsrp is not None:
        s.rsrp_dbm = rsrp
    return r


class Rig:
    def __init__(self, store: Store) -> None:
        self.now = T0
        config = default_config()
        routing = RoutingSection(operators={"510-10": "telkomsel"})
        self.config = type(config)(config.store, config.rules, config.tickets, routing, {}, "t")
        engine = RuleEngine(rules_from_mapping(RULES, source="test"))
        self.brain = Brain(store, engine, self.config, clock=lambda: self.now)
        self.store = store

    def feed(self, at_ns: int, records: Iterable[records_pb2.Record]) -> None:
        """Records taken at ``at_ns`` (event time), received now."""
        pairs = [(at_ns, r) for r in records]
        asyncio.run(self._feed(pairs))

    async def _feed(self, pairs: list[tuple[int, records_pb2.Record]]) -> None:
        self.brain.note(SITE, self.now, pairs)
        await self.brain.settled(SITE)
        await self.brain.evaluate_all()

    def tick(self) -> None:
        asyncio.run(self.brain.evaluate_all())


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


async def _observed(
    brain: Brain, received_ns: int, pairs: list[tuple[int, records_pb2.Record]]
) -> None:
    """kit-1's batch noted, and in the rules once this returns."""
    brain.note(SITE, received_ns, pairs, agent_id="kit-1")
    await brain.settled(SITE)


def _store_signals(
    store: Store, seqs: range, rsrp: Callable[[int], float], *, received_ns: int
) -> list[tuple[int, records_pb2.Record]]:
    """kit-1's signal readings ``seqs`` (taken at T0 + seq s) stored in one batch: the
    (event_ns, record) pairs the ingest would hand the brain."""
    from collector.store.model import IngestBatch, RecordRow

    pairs = []
    for seq in seqs:
        record = signal(rsrp(seq))
        record.seq = seq
        pairs.append((T0 + seq * S, record))
    rows = [
        RecordRow(seq=r.seq, kind="signal", event_ns=t, agent_wall_ns=t,
                  time_quality="monotonic", payload=r.SerializeToString())
        for t, r in pairs
    ]  # fmt: skip
    store.commit([IngestBatch("kit-1", SITE, rows, received_ns)])
    return pairs


def test_the_batch_that_wakes_a_site_after_a_restart_is_observed_once(store: Store) -> None:
    """After a (re)start the first batch of a site rebuilds it from the store, which
    already holds that batch: its records must not be fed to the rules a second time."""

    rig = Rig(store)
    store.add_agent("kit-1", SITE, "h")

    def stored_batch(seqs: range, rsrp: float) -> list[tuple[int, records_pb2.Record]]:
        return _store_signals(store, seqs, lambda _seq: rsrp, received_ns=rig.now)

    before = stored_batch(range(1, 4), -85.0)  # stored before this collector started
    rig.now = T0 + 10 * S
    first = stored_batch(range(4, 7), -86.0)  # the batch that wakes the site
    asyncio.run(_observed(rig.brain, rig.now, first))
    window = rig.brain.engine.window(SITE)
    assert window is not None
    assert [s.event_ns for s in window.signals] == [t for t, _ in before + first]
    later = stored_batch(range(7, 9), -87.0)  # and the next batch as it comes
    asyncio.run(_observed(rig.brain, rig.now, later))
    assert [s.event_ns for s in window.signals] == [t for t, _ in before + first + later]


def test_batches_noted_while_their_site_is_rebuilt_reach_the_rules_once_in_order(
    store: Store,
) -> None:
    """The ingest never waits for the rules: ``note`` returns at once for a site being
    rebuilt from the store, and what was noted meanwhile is fed after the rebuild: a
    batch the rebuild read once (not twice), one stored after its read still (not lost),
    in seq order."""

    rig = Rig(store)
    store.add_agent("kit-1", SITE, "h")

    def stored(seqs: range) -> list[tuple[int, records_pb2.Record]]:
        return _store_signals(store, seqs, lambda seq: -80.0 - seq, received_ns=rig.now)

    async def scenario() -> None:
        brain = rig.brain
        reading = asyncio.Event()
        release = asyncio.Event()
        read_site = brain._read_site

        def slow_read(site_code: str, since_ns: int):  # type: ignore[no-untyped-def]
            rows = read_site(site_code, since_ns)  # the rebuild's read of the store
            loop.call_soon_threadsafe(reading.set)
            asyncio.run_coroutine_threadsafe(release.wait(), loop).result(10)
            return rows

        loop = asyncio.get_running_loop()
        brain._read_site = slow_read  # type: ignore[method-assign]
        first = stored(range(1, 4))
        brain.note(SITE, rig.now, first, agent_id="kit-1")  # returns: no await at all
        assert brain.engine.window(SITE) is None and SITE in brain._rebuilding
        await asyncio.wait_for(reading.wait(), 10)  # the rebuild has read seqs 1-3
        second = stored(range(4, 6))  # stored after the read: only in what is held
        brain.note(SITE, rig.now, second, agent_id="kit-1")
        assert brain.engine.window(SITE) is None  # still held
        release.set()
        await asyncio.wait_for(brain.take(SITE), 10)
        window = brain.engine.window(SITE)
        assert window is not None
        assert [s.event_ns for s in window.signals] == [t for t, _ in first + second]
        third = stored(range(6, 7))  # the site is held now: fed at once
        brain.note(SITE, rig.now, third, agent_id="kit-1")
        assert [s.event_ns for s in window.signals] == [t for t, _ in first + second + third]
        assert brain._held == {}

    asyncio.run(scenario())


def test_a_failed_rebuild_drops_what_it_held_and_the_next_batch_rebuilds(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """What a failed rebuild held is all in the store: it is dropped (logged), and the
    site's next batch asks for a new rebuild, which reads it."""
    from collector.store.model import IngestBatch, RecordRow

    rig = Rig(store)
    store.add_agent("kit-1", SITE, "h")
    record = signal(-90.0)
    record.seq = 1
    row = RecordRow(seq=1, kind="signal", event_ns=T0, agent_wall_ns=T0,
                    time_quality="monotonic", payload=record.SerializeToString())  # fmt: skip
    store.commit([IngestBatch("kit-1", SITE, [row], rig.now)])

    async def scenario() -> None:
        brain = rig.brain
        read_site = brain._read_site

        def failing(site_code: str, since_ns: int):  # type: ignore[no-untyped-def]
            raise OSError("the database went away")

        brain._read_site = failing  # type: ignore[method-assign]
        brain.note(SITE, rig.now, [(T0, record)], agent_id="kit-1")
        with pytest.raises(OSError):
            await brain.take(SITE)
        await asyncio.sleep(0)  # the failed rebuild's callback
        assert brain._held == {} and SITE not in brain._rebuilding
        assert brain.engine.window(SITE) is None
        brain._read_site = read_site  # type: ignore[method-assign]
        brain.note(SITE, rig.now, [], agent_id="kit-1")  # the next batch: heard only
        await brain.take(SITE)
        window = brain.engine.window(SITE)
        assert window is not None and [s.event_ns for s in window.signals] == [T0]

    with caplog.at_level("WARNING", logger="collector.brain_feeding"):
        asyncio.run(scenario())
    assert "cannot rebuild site 3171011001005 from the store" in caplog.text
    assert "1 batches held for it are in the store" in caplog.text


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
