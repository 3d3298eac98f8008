"""The brain's rebuilds of sites from the store (a restart, a site taken over), over a
real store (both backends): what the ingest noted meanwhile reaches the rules once and
in order, a failed rebuild loses nothing, many sites are read together, and each
site's tickets are squared with its data.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from brainkit import SITE, T0, Rig, S, signal
from brainkit import observed as _observed
from brainkit import store_signals as _store_signals

from collector.store import Store
from pantau.v1 import records_pb2


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
        read_sites = brain._read_sites

        def slow_read(site_codes: list[str], since_ns: int):  # type: ignore[no-untyped-def]
            rows = read_sites(site_codes, since_ns)  # the rebuild's read of the store
            loop.call_soon_threadsafe(reading.set)
            asyncio.run_coroutine_threadsafe(release.wait(), loop).result(10)
            return rows

        loop = asyncio.get_running_loop()
        brain._read_sites = slow_read  # type: ignore[method-assign]
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
        read_sites = brain._read_sites

        def failing(site_codes: list[str], since_ns: int):  # type: ignore[no-untyped-def]
            raise OSError("the database went away")

        brain._read_sites = failing  # type: ignore[method-assign]
        brain.note(SITE, rig.now, [(T0, record)], agent_id="kit-1")
        with pytest.raises(OSError):
            await brain.take(SITE)
        await asyncio.sleep(0)  # the failed rebuild's callback
        assert brain._held == {} and SITE not in brain._rebuilding
        assert brain.engine.window(SITE) is None
        brain._read_sites = read_sites  # type: ignore[method-assign]
        brain.note(SITE, rig.now, [], agent_id="kit-1")  # the next batch: heard only
        await brain.take(SITE)
        window = brain.engine.window(SITE)
        assert window is not None and [s.event_ns for s in window.signals] == [T0]

    with caplog.at_level("WARNING", logger="collector.brain_feeding"):
        asyncio.run(scenario())
    assert "cannot rebuild site 3171011001005 from the store" in caplog.text
    assert "1 batches held for it are in the store" in caplog.text


def test_many_sites_are_rebuilt_together_each_from_its_own_records(store: Store) -> None:
    """A restart's first batches of hundreds of sites: their rebuilds read the store a
    batch of sites at a time (at most REBUILD_BATCH a read, REBUILDS_AT_ONCE reads at
    once), and each site's window holds its own records, fed once."""
    from collector.brain_feeding import REBUILD_BATCH, REBUILDS_AT_ONCE
    from collector.store.model import IngestBatch, RecordRow

    rig = Rig(store)
    codes = [f"3171011{n:06d}" for n in range(1, 2 * REBUILD_BATCH + 52)]
    noted: dict[str, list[tuple[int, records_pb2.Record]]] = {}
    batches = []
    for n, code in enumerate(codes):
        store.add_agent(f"kit-{n}", code, "h")
        record = signal(-70.0 - n % 40)
        record.seq = 1
        at = T0 + n * S
        noted[code] = [(at, record)]
        row = RecordRow(seq=1, kind="signal", event_ns=at, agent_wall_ns=at,
                        time_quality="monotonic", payload=record.SerializeToString())  # fmt: skip
        batches.append(IngestBatch(f"kit-{n}", code, [row], rig.now))
    store.commit(batches)
    reads: list[int] = []
    at_once = [0, 0]  # now, most

    async def scenario() -> None:
        brain = rig.brain
        read_sites = brain._read_sites

        def counted(site_codes: list[str], since_ns: int):  # type: ignore[no-untyped-def]
            reads.append(len(site_codes))
            at_once[0] += 1
            at_once[1] = max(at_once)
            try:
                return read_sites(site_codes, since_ns)
            finally:
                at_once[0] -= 1

        brain._read_sites = counted  # type: ignore[method-assign]
        for n, code in enumerate(codes):
            brain.note(code, rig.now, noted[code], agent_id=f"kit-{n}")
        await asyncio.wait_for(asyncio.gather(*(brain.settled(c) for c in codes)), 60)
        for code in codes:
            window = brain.engine.window(code)
            assert window is not None, code
            assert [s.event_ns for s in window.signals] == [noted[code][0][0]], code
        assert brain._held == {} and brain._rebuilding == {}

    asyncio.run(scenario())
    assert sum(reads) == len(codes)
    assert max(reads) <= REBUILD_BATCH and len(reads) <= len(codes) // REBUILD_BATCH + 2
    assert at_once[1] <= REBUILDS_AT_ONCE


def test_a_rebuild_resolves_what_the_data_no_longer_shows_and_raises_what_it_does(
    store: Store,
) -> None:
    """After a restart, sites rebuilt together each square their tickets with their
    stored data: a ticket open for a problem the records do not show is resolved, and
    a problem the records show with no ticket is raised (once)."""
    from collector.store.model import IngestBatch, RecordRow

    first = Rig(store)  # fed weak readings the store never got: a ticket, no records
    for step in range(0, 8):
        first.now = T0 + step * 10 * S
        first.feed(first.now, [signal(-118.0)])
    (stale,) = store.list_tickets(problem="WEAK_SIGNAL", site_code=SITE)
    assert stale.state == "open"
    weak_site = "3171011002002"  # weak readings stored, then the collector died
    store.add_agent("kit-2", weak_site, "h")
    rows = []
    for step in range(0, 8):
        record = signal(-118.0)
        record.seq = step + 1
        at = T0 + step * 10 * S
        rows.append(RecordRow(seq=step + 1, kind="signal", event_ns=at, agent_wall_ns=at,
                              time_quality="monotonic", payload=record.SerializeToString()))  # fmt: skip
    store.commit([IngestBatch("kit-2", weak_site, rows, first.now)])
    restarted = Rig(store)
    restarted.now = first.now + 5 * S

    async def rebuild_both() -> None:
        await asyncio.gather(restarted.brain.take(SITE), restarted.brain.take(weak_site))

    asyncio.run(rebuild_both())
    (resolved,) = store.list_tickets(problem="WEAK_SIGNAL", site_code=SITE)
    assert resolved.id == stale.id and resolved.state == "resolved"
    (raised,) = store.list_tickets(problem="WEAK_SIGNAL", site_code=weak_site)
    assert raised.state == "open" and raised.operator == "510-10"
    restarted = Rig(store)  # restarted once more: the ticket is there, none is added
    restarted.now = first.now + 10 * S
    asyncio.run(rebuild_both())
    assert store.list_tickets(problem="WEAK_SIGNAL", site_code=weak_site) == [raised]


def test_a_site_is_judged_only_once_its_rebuild_has_squared_its_tickets(store: Store) -> None:
    """A batch fed right after a site's rebuild shows a problem the rebuild's read did
    not. A pass that judged the site before the rebuild squared its tickets (against
    that read: no problem) would raise a ticket the squaring then resolves, the engine
    still believing it open. The pass leaves the site for after (dirty, the brain woken
    when the rebuild ends); then it raises the ticket, which stays open."""
    store.add_agent("kit-1", SITE, "h")
    rig = Rig(store)

    def weak(seqs: range) -> list[tuple[int, records_pb2.Record]]:
        return _store_signals(store, seqs, lambda _seq: -118.0, received_ns=rig.now)

    weak(range(1, 26))  # bad for 24 s when the site is rebuilt: not a problem yet
    rig.now = T0 + 26 * S

    async def scenario() -> None:
        brain = rig.brain
        loop = asyncio.get_running_loop()
        squaring = asyncio.Event()
        release = threading.Event()
        square = brain._reconcile_sites

        def held_square(problems, now_ns):  # type: ignore[no-untyped-def]
            loop.call_soon_threadsafe(squaring.set)
            assert release.wait(10)
            return square(problems, now_ns)

        brain._reconcile_sites = held_square  # type: ignore[method-assign]
        rebuild = asyncio.ensure_future(brain.take(SITE))
        try:
            await asyncio.wait_for(squaring.wait(), 10)
            assert brain.engine.window(SITE) is not None  # rebuilt, not squared yet
            rig.now = T0 + 40 * S
            brain.note(SITE, rig.now, weak(range(26, 40)), agent_id="kit-1")  # fed at once
            assert await brain.evaluate_all() == 0
            assert await brain.evaluate_all(only_dirty=True) == 0
            assert store.list_tickets(site_code=SITE) == []
            assert SITE in brain._dirty
            brain._wake.clear()
        finally:
            release.set()
        await asyncio.wait_for(rebuild, 10)
        assert brain._wake.is_set(), "the rebuild's end wakes the brain for the site it left"
        assert await brain.evaluate_all(only_dirty=True) == 1

    asyncio.run(scenario())
    (ticket,) = store.list_tickets(problem="WEAK_SIGNAL", site_code=SITE)
    assert ticket.state == "open"
    assert rig.brain.engine.window(SITE) is not None
