"""Two replicas' brains in one process on a real PostgreSQL: the sites split between
them, a site's data stored at the replica that does not judge it reaches the one that
does (once), with its kit's backhaul, and a replica that leaves hands its sites over."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from collector.brain import Brain
from collector.config import default_config
from collector.leases import BUCKETS, bucket_of
from collector.replicas import Replicas
from collector.rules import RuleEngine
from collector.rules.config import rules_from_mapping
from collector.store.model import IngestBatch, RecordRow
from pantau.v1 import records_pb2

S = 10**9


def replica(store: object, name: str) -> Replicas:
    rules = {"weak_signal": {"for_s": 30, "window_s": 10}, "poor_quality": {"enabled": False}}
    engine = RuleEngine(rules_from_mapping(rules, source="test"))
    brain = Brain(store, engine, default_config())  # type: ignore[arg-type]
    return Replicas(store, brain, lease_s=60, replica_id=name)  # type: ignore[arg-type]


def signal_batch(
    agent_id: str, site: str, seqs: range, at_ns: int, rsrp_dbm: float = -90
) -> IngestBatch:
    rows = []
    for seq in seqs:
        r = records_pb2.Record(seq=seq)
        r.signal.mcc, r.signal.mnc, r.signal.rsrp_dbm = "510", "10", rsrp_dbm
        r.signal.rat, r.signal.reg_state = records_pb2.RAT_LTE, records_pb2.REG_STATE_HOME
        event = at_ns + seq * S
        rows.append(RecordRow(seq, "signal", event, event, "monotonic", r.SerializeToString()))
    return IngestBatch(agent_id, site, rows, at_ns + seqs[-1] * S)


@pytest.mark.postgres
def test_a_sites_data_reaches_the_replica_that_judges_it(pg_store: object) -> None:
    from collector.store.postgres import PostgresStore

    assert isinstance(pg_store, PostgresStore)

    async def scenario() -> None:
        a, b = replica(pg_store, "a"), replica(pg_store, "b")
        await a.heartbeat()  # alone: every bucket
        assert len(a.owned) == BUCKETS
        await b.heartbeat()  # a holds them all: b waits for its share
        await a.heartbeat()  # a sees b and lets half go
        await b.heartbeat()
        assert len(a.owned) == len(b.owned) == BUCKETS // 2 and not a.owned & b.owned
        site = next(f"3171011001{n:03d}" for n in range(1, 999) if b.owns(f"3171011001{n:03d}"))
        pg_store.add_agent("kit-1", site, "h")
        now = time.time_ns() - 60 * S
        first = signal_batch("kit-1", site, range(1, 6), now)
        pg_store.commit([first])
        # The kit streams to a: a stores, does not judge, and tells.
        a.brain.note_backhaul(site, "vsat-geo")
        a.brain.note(site, first.received_ns, [], agent_id="kit-1")
        await a.brain.settled(site)
        assert a.brain.engine.window(site) is None
        assert a._foreign == {site} and a._backhauls == {site: "vsat-geo"}
        # b hears (as its LISTEN would deliver it) and reads the site from the store.
        b._note_follow([f"{site}=vsat-geo"])
        await b.follow(sorted(b._follow))
        window = b.brain.engine.window(site)
        assert window is not None and b.brain.fed(site) == {"kit-1": 5}
        assert b.brain.engine.backhaul(site) == "vsat-geo"
        held = len(window.heard)
        second = signal_batch("kit-1", site, range(6, 9), now)
        pg_store.commit([second])
        await b.follow([site])
        await b.follow([site])  # read twice, fed once
        assert b.brain.fed(site) == {"kit-1": 8}
        assert len(window.heard) == held + 1
        pg_store.commit([IngestBatch("kit-1", site, [], now + 30 * S)])  # an empty batch: heard
        await b.follow([site])
        assert window.heard[-1] == now + 30 * S
        # b leaves: a takes its buckets at its next heartbeat and rebuilds the site.
        await b.leave()
        await a.heartbeat()
        assert len(a.owned) == BUCKETS and a.owns(site)
        await a._take_over({bucket_of(site)})
        assert a.brain.fed(site) == {"kit-1": 8}

    asyncio.run(scenario())


@pytest.mark.postgres
def test_a_problem_nobody_announced_is_raised_once_by_the_new_owner(pg_store: object) -> None:
    """The previous owner died after the data showed a problem, before announcing it."""
    from collector.store.postgres import PostgresStore

    assert isinstance(pg_store, PostgresStore)
    site = "3171011001005"
    pg_store.add_agent("kit-1", site, "h")
    weak_since = time.time_ns() - 120 * S
    pg_store.commit([signal_batch("kit-1", site, range(1, 120), weak_since, rsrp_dbm=-120)])

    async def take_over(name: str) -> None:
        new = replica(pg_store, name)
        await new.heartbeat()
        await new.brain.take(site)

    asyncio.run(take_over("a"))
    (ticket,) = pg_store.list_tickets(problem="WEAK_SIGNAL")
    assert (ticket.site_code, ticket.operator, ticket.state) == (site, "510-10", "open")
    assert pg_store.outbox_backlog() == 1  # paged: a live problem
    pg_store.leave("a")
    asyncio.run(take_over("b"))  # the next owner carries it on
    assert [t.id for t in pg_store.list_tickets(problem="WEAK_SIGNAL")] == [ticket.id]
    assert pg_store.outbox_backlog() == 1


@pytest.mark.postgres
def test_a_replica_that_cannot_renew_stops_judging_when_its_lease_runs_out(
    pg_store: object,
) -> None:
    from collector.store.postgres import PostgresStore

    assert isinstance(pg_store, PostgresStore)
    now = [100.0]
    a = replica(pg_store, "a")
    a.clock = lambda: now[0]
    asyncio.run(a.heartbeat())
    assert a.owns("3171011001005")
    now[0] += 59.9  # renewed before this, by its own clock: still its
    assert a.owns("3171011001005")
    now[0] += 0.2  # the lease (60 s) counted from before the renewal has run out
    assert not a.owns("3171011001005") and not a.brain.owns("3171011001005")


@pytest.mark.postgres
def test_a_heartbeat_is_not_queued_behind_work_on_the_shared_threads(pg_store: object) -> None:
    """A restart's thousands of site rebuilds fill asyncio's shared threads; the lease
    heartbeat has a thread of its own, so the replica renews in time whatever waits
    there (queued behind them, it once renewed after its lease had run out and the
    replica dropped every site it judged)."""
    import threading

    a = replica(pg_store, "a")

    async def main() -> None:
        release = threading.Event()
        loop = asyncio.get_running_loop()
        default_threads = min(32, (os.cpu_count() or 1) + 4)  # asyncio's default pool
        blocked = [loop.run_in_executor(None, release.wait, 30) for _ in range(default_threads * 2)]
        try:
            async with asyncio.timeout(10):  # while every shared thread is taken
                await a.heartbeat()
            assert len(a.owned) == BUCKETS and a.owns("3171011001005")
        finally:
            release.set()
            await asyncio.gather(*blocked)
            await a.leave()

    asyncio.run(main())


@pytest.mark.postgres
def test_a_takeover_reads_its_sites_a_batch_at_a_time(pg_store: object) -> None:
    """Every site heard within the horizon is rebuilt, read together as the brain reads
    the sites waiting for a rebuild (up to REBUILD_BATCH a read), not a few at a time."""
    from collector.brain_feeding import REBUILD_BATCH
    from collector.store.postgres import PostgresStore

    assert isinstance(pg_store, PostgresStore)
    count = REBUILD_BATCH + 50
    sites = [f"3171011{n:06d}" for n in range(1, count + 1)]
    now = time.time_ns() - 60 * S
    for n, site in enumerate(sites):
        pg_store.add_agent(f"kit-{n}", site, "h")
    pg_store.commit([signal_batch(f"kit-{n}", s, range(1, 3), now) for n, s in enumerate(sites)])
    reads: list[int] = []

    async def scenario() -> None:
        a = replica(pg_store, "a")
        await a.heartbeat()
        assert len(a.owned) == BUCKETS
        read_sites = a.brain._read_sites

        def counted(site_codes: list[str], since_ns: int):  # type: ignore[no-untyped-def]
            reads.append(len(site_codes))
            return read_sites(site_codes, since_ns)

        a.brain._read_sites = counted  # type: ignore[method-assign]
        await a._take_over(set(range(BUCKETS)))
        assert all(a.brain.fed(site) == {f"kit-{n}": 2} for n, site in enumerate(sites))

    asyncio.run(scenario())
    assert sorted(reads) == [count - REBUILD_BATCH, REBUILD_BATCH]
