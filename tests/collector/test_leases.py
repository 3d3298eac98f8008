"""Which replica judges which sites: the lease plan (a table), and PostgreSQL executing it."""

from __future__ import annotations

import pytest

from collector.leases import BUCKETS, Lease, bucket_of, fair_share, plan_leases
from tests.collector.store.storekit import SITE, T0, batch

NOW = 1_000_000
LATER = NOW + 10
GONE = NOW - 1


def held(owner: str | None, buckets: range | list[int], expires: int = LATER) -> dict[int, Lease]:
    return {b: Lease(b, owner, expires) for b in buckets}


@pytest.mark.parametrize(
    ("case", "leases", "live", "counts"),
    [
        ("alone, nothing held: claims every bucket", {}, ["a"], (0, BUCKETS, 0)),
        ("alone, all held: renews all", held("a", range(BUCKETS)), ["a"], (BUCKETS, 0, 0)),
        ("a second replica came: half is let go", held("a", range(BUCKETS)), ["a", "b"],
         (BUCKETS // 2, 0, BUCKETS // 2)),
        ("the other holds all: nothing to claim", held("b", range(BUCKETS)), ["a", "b"], (0, 0, 0)),
        ("the other's leases expired: all claimed", held("b", range(BUCKETS), GONE), ["a"],
         (0, BUCKETS, 0)),
        ("released buckets are free", held(None, range(BUCKETS), 0), ["a", "b"],
         (0, BUCKETS // 2, 0)),
        ("three replicas: a third each, rounded up", {}, ["a", "b", "c"],
         (0, fair_share(3), 0)),
        ("a dead replica's third, a live one holds a third",
         {**held("c", range(0, 86), GONE), **held("b", range(86, 171)), **held("a", range(171, BUCKETS))},
         ["a", "b"], (85, BUCKETS // 2 - 85, 0)),
        ("own lease expired: claimed again, not renewed", held("a", range(BUCKETS), GONE), ["a"],
         (0, BUCKETS, 0)),
    ],
)  # fmt: skip
def test_the_plan(
    case: str, leases: dict[int, Lease], live: list[str], counts: tuple[int, int, int]
) -> None:
    """``counts``: how many buckets ``a`` renews, claims and releases."""
    plan = plan_leases("a", NOW, leases, live)
    assert (len(plan.renew), len(plan.claim), len(plan.release)) == counts, case
    assert not set(plan.renew) & set(plan.release)
    for bucket in plan.claim:
        lease = leases.get(bucket)
        assert lease is None or lease.owner is None or lease.expires_ns <= NOW


def test_replicas_claiming_at_once_reach_for_different_buckets() -> None:
    a = set(plan_leases("replica-a", NOW, {}, ["replica-a", "replica-b"]).claim)
    b = set(plan_leases("replica-b", NOW, {}, ["replica-a", "replica-b"]).claim)
    assert len(a & b) < BUCKETS // 3  # rendezvous order: mostly apart (CAS settles the rest)


def test_every_replica_hashes_a_site_to_the_same_bucket() -> None:
    assert bucket_of(SITE) == bucket_of(SITE)
    assert len({bucket_of(f"32730110020{n:02d}") for n in range(100)}) > 50


@pytest.mark.postgres
def test_postgresql_claims_are_compare_and_set_and_expire(pg_store: object) -> None:
    from collector.store.postgres import PostgresStore

    assert isinstance(pg_store, PostgresStore)
    assert pg_store.settle_leases("a", 60, claim=[1, 2, 3]) == [1, 2, 3]
    assert pg_store.settle_leases("b", 60, claim=[2, 3, 4]) == [4]  # held by a: not taken
    assert pg_store.settle_leases("b", 60, renew=[1]) == []  # not b's to renew
    now, rows, live = pg_store.lease_table("b", 60)
    assert {(b, owner) for b, owner, _ in rows} == {(1, "a"), (2, "a"), (3, "a"), (4, "b")}
    assert live == ["b"] and all(expires > now for _, _, expires in rows)
    assert pg_store.settle_leases("a", 0.000_001, renew=[1, 2, 3]) == [1, 2, 3]  # now expired
    assert pg_store.settle_leases("a", 60, renew=[1]) == []  # too late to renew
    assert pg_store.settle_leases("b", 60, claim=[1, 2]) == [1, 2]  # expired: b takes them
    assert pg_store.settle_leases("b", 60, release=[1], renew=[2]) == [2]
    assert pg_store.settle_leases("a", 60, claim=[1]) == [1]  # released: free at once
    pg_store.leave("b")
    _, rows, live = pg_store.lease_table("a", 60)
    assert {b for b, owner, _ in rows if owner == "b"} == set() and live == ["a"]


@pytest.mark.postgres
def test_postgresql_reads_a_sites_records_after_what_was_fed(pg_store: object) -> None:
    from collector.store.postgres import PostgresStore

    assert isinstance(pg_store, PostgresStore)
    pg_store.add_agent("kit-1", SITE, "h")
    pg_store.add_agent("kit-2", SITE, "h")
    pg_store.commit([batch("kit-1", 1, 2, 3), batch("kit-2", 1, 2)])
    rows, heard = pg_store.sites_records_after([SITE, "3171011001009"], 0, {"kit-1": 2})
    assert sorted((r.agent_id, r.seq) for r in rows) == [("kit-1", 3), ("kit-2", 1), ("kit-2", 2)]
    assert heard == {SITE: T0}
