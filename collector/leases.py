"""Which collector replica judges which site: leases on buckets of sites, decided here.

No I/O and no clock: the caller reads the lease table and the live replicas (with the
database's time, so the replicas' own clocks never matter) and passes them in;
:func:`plan_leases` says which buckets this replica renews, claims and releases, and
the store executes that plan with compare-and-set updates (a claim takes a bucket only
if it is still free or expired when the update runs, so two replicas claiming the same
bucket at once cannot both win).

Sites are hashed into :data:`BUCKETS` buckets (:func:`bucket_of`, the same on every
replica and every run); a bucket's lease has one owner and an expiry, renewed by the
owner's heartbeat. Each live replica aims at its fair share, ``ceil(BUCKETS / live)``:
it claims free or expired buckets up to it, and releases what it holds beyond it (a
replica that joins gets its share from the others as they release). Each replica
prefers its own order of buckets (rendezvous hashing on the replica's id), so replicas
claiming at the same moment mostly reach for different buckets.
"""

from __future__ import annotations

import hashlib
import math
import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass

#: Buckets of sites; a replica holds leases on whole buckets. Never change it in a running
#: deployment (every replica must hash a site to the same bucket).
BUCKETS = 256


def bucket_of(site_code: str) -> int:
    """The bucket of a site: CRC-32 of its code (stable across processes, unlike hash())."""
    return zlib.crc32(site_code.encode()) % BUCKETS


@dataclass(frozen=True, slots=True)
class Lease:
    """One bucket's row: who holds it (None: released) until when (database time, ns)."""

    bucket: int
    owner: str | None
    expires_ns: int


@dataclass(frozen=True, slots=True)
class LeasePlan:
    """What a replica does at a heartbeat: renew what it holds, claim, release."""

    renew: tuple[int, ...]
    claim: tuple[int, ...]
    release: tuple[int, ...]


def _preference(replica_id: str, bucket: int) -> bytes:
    # A real hash: CRC-32 is linear, so similar ids would give similar orders.
    return hashlib.blake2b(f"{replica_id}/{bucket}".encode(), digest_size=8).digest()


def fair_share(live_replicas: int, buckets: int = BUCKETS) -> int:
    return math.ceil(buckets / max(1, live_replicas))


def plan_leases(
    me: str,
    now_ns: int,
    leases: Mapping[int, Lease],
    live: Collection[str],
    *,
    buckets: int = BUCKETS,
) -> LeasePlan:
    """This replica's plan at ``now_ns`` given every bucket's lease (a bucket with no row
    is free) and the ids of the live replicas (``me`` counts whether listed or not)."""
    share = fair_share(len(set(live) | {me}), buckets)
    held: list[int] = []
    free: list[int] = []
    for bucket in range(buckets):
        lease = leases.get(bucket)
        if lease is None or lease.owner is None or lease.expires_ns <= now_ns:
            free.append(bucket)  # our own expired lease too: claimed again, not renewed
        elif lease.owner == me:
            held.append(bucket)
    free.sort(key=lambda b: _preference(me, b))
    if len(held) > share:
        held.sort(key=lambda b: _preference(me, b))
        return LeasePlan(
            renew=tuple(sorted(held[:share])), claim=(), release=tuple(sorted(held[share:]))
        )
    claim = tuple(sorted(free[: share - len(held)]))
    return LeasePlan(renew=tuple(held), claim=claim, release=())
