"""Collector replicas on one PostgreSQL share the sites: each is judged by one replica.

A replica's :class:`Replicas` holds leases on buckets of sites
(:mod:`collector.leases` decides, :mod:`collector.store.postgres_leases` executes) and
tells the brain which sites are its own (:attr:`collector.brain.Brain.owns`):

- every ``lease_s / 3`` it renews its leases, claims free or expired buckets up to its
  fair share and releases what is beyond it (a replica joining gets its share as the
  others let go). A replica that cannot renew stops judging when its lease runs out by
  its own monotonic clock, counted from before the renewal it last got through;
- a site in a bucket it gains is rebuilt from the store (its open problems carried
  on, the ones nobody announced raised); a site in a bucket it loses is forgotten;
- data a kit sends to a replica that does not judge its site is stored there, and the
  site's code NOTIFYed, batched within :data:`NOTIFY_EVERY_S` (with the backhaul the
  kit's Hello declared there, so the owner judges the site against its link); the
  owner LISTENs and reads the site's records after what it has fed its rules, judging
  them with its next pass: the owner sees it within about ``NOTIFY_EVERY_S +
  FOLLOW_EVERY_S`` plus the brain's ``JUDGE_EVERY_S``, a couple of seconds. A
  notification lost with its sender (killed between storing and telling) delays the
  judging of that data until the site's next batch.

When a replica dies (SIGKILL, a lost machine), its leases expire within ``lease_s`` of
its last renewal and the others claim them at their next heartbeat: its sites are
judged again within ``4/3 * lease_s`` plus the time to rebuild them. Tickets keep one
unresolved ticket per (site, operator, problem) in the database whatever the owners
did, so a replica stalled past its lease that judges once more cannot open a second.

A SQLite store has one collector: no :class:`Replicas`, the brain judges every site.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, runtime_checkable

from collector.brain import Brain
from collector.brain_feeding import REBUILD_BATCH
from collector.leases import Lease, bucket_of, plan_leases
from collector.store.model import StoredRecord

log = logging.getLogger(__name__)

_S = 1_000_000_000
#: Sites with data for other replicas are announced at most this often, in one NOTIFY.
NOTIFY_EVERY_S = 0.1
#: Announced sites are read from the store at most this often, in one pass.
FOLLOW_EVERY_S = 0.2
#: Announced sites are read from the store this many in one query.
FOLLOW_AT_ONCE = REBUILD_BATCH


@runtime_checkable
class LeaseStore(Protocol):
    """What a store offers replicas (PostgreSQL's :class:`LeaseMethods`)."""

    def lease_table(
        self, replica_id: str, lease_s: float
    ) -> tuple[int, list[tuple[int, str | None, int]], list[str]]: ...
    def settle_leases(
        self,
        replica_id: str,
        lease_s: float,
        *,
        renew: Sequence[int] = (),
        claim: Sequence[int] = (),
        release: Sequence[int] = (),
    ) -> list[int]: ...
    def leave(self, replica_id: str) -> None: ...
    def notify_sites(self, site_codes: Sequence[str]) -> None: ...
    def listen_sites(
        self, on_sites: Callable[[list[str] | None], None], stop: threading.Event
    ) -> None: ...
    def sites_records_after(
        self, site_codes: Sequence[str], since_ns: int, fed: Mapping[str, int]
    ) -> tuple[list[StoredRecord], dict[str, int]]: ...
    def last_heard_of_active_sites(self) -> dict[str, int]: ...


def replica_name() -> str:
    """This process's replica id: host, pid and a random tail (a restart is a new one)."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class Replicas:
    def __init__(
        self,
        store: LeaseStore,
        brain: Brain,
        *,
        lease_s: float,
        replica_id: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.brain = brain
        self.lease_s = lease_s
        self.replica_id = replica_id or replica_name()
        self.clock = clock
        self.owned: frozenset[int] = frozenset()
        self._valid_until = 0.0
        self._foreign: set[str] = set()
        #: Backhauls the kits of other replicas' sites declared in their Hellos here:
        #: passed on with each announcement (a new owner learns them with the next batch).
        self._backhauls: dict[str, str] = {}
        self._gained: set[int] = set()
        self._gained_wake = asyncio.Event()
        self._foreign_wake = asyncio.Event()
        self._follow: set[str] = set()
        self._follow_all = False
        self._follow_wake = asyncio.Event()
        self._stop = threading.Event()
        #: The heartbeats' store calls run on a thread of their own: queued behind the
        #: rebuilds of a restart's 20,000 sites on asyncio's shared threads, a renewal
        #: came after the lease had run out and the replica dropped every site it judged.
        self._heart = ThreadPoolExecutor(1, thread_name_prefix="pantau-lease")
        brain.owns = self.owns
        brain.on_foreign = self._note_foreign

    def owns(self, site_code: str) -> bool:
        return self.clock() < self._valid_until and bucket_of(site_code) in self.owned

    # -- running ---------------------------------------------------------------------------

    async def run(self) -> None:
        loop = asyncio.get_running_loop()

        def heard(codes: list[str] | None) -> None:  # in the listening thread
            loop.call_soon_threadsafe(self._note_follow, codes)

        listener = asyncio.ensure_future(
            asyncio.to_thread(self.store.listen_sites, heard, self._stop)
        )
        try:
            await asyncio.gather(
                self._heartbeats(), self._take_overs(), self._announce(), self._follow_loop()
            )
        finally:
            self._stop.set()
            with contextlib.suppress(Exception):
                await listener

    async def leave(self) -> None:
        """Stopping: the leases are given up at once (no wait for their expiry)."""
        self._stop.set()
        self._valid_until = 0.0
        try:
            await asyncio.to_thread(self.store.leave, self.replica_id)
        except Exception:  # isolation boundary: the leases expire on their own anyway
            log.exception("could not give up this replica's leases")
        self._heart.shutdown(wait=False, cancel_futures=True)

    async def _heartbeats(self) -> None:
        while True:
            try:
                await self.heartbeat()
            except Exception:  # isolation boundary: the store may be away for a while
                log.exception("replica %s: lease renewal failed", self.replica_id)
                if self.clock() >= self._valid_until and self.owned:
                    log.warning("replica %s: leases ran out; judging no site", self.replica_id)
                    self._set_owned(frozenset())
            await asyncio.sleep(self.lease_s / 3)

    async def heartbeat(self) -> None:
        """Renew, claim and release once (what :meth:`run` does every ``lease_s / 3``)."""
        started = self.clock()
        loop = asyncio.get_running_loop()  # on a thread of their own (see __init__)
        now_ns, rows, live = await loop.run_in_executor(
            self._heart, self.store.lease_table, self.replica_id, self.lease_s
        )
        leases = {b: Lease(b, owner, expires) for b, owner, expires in rows}
        plan = plan_leases(self.replica_id, now_ns, leases, live)
        if plan.release:  # stop judging before another replica can start
            self._set_owned(self.owned - set(plan.release))
        held = await loop.run_in_executor(self._heart, functools.partial(
            self.store.settle_leases, self.replica_id, self.lease_s,
            renew=plan.renew, claim=plan.claim, release=plan.release,
        ))  # fmt: skip
        self._valid_until = started + self.lease_s
        gained = self._set_owned(frozenset(held))
        if gained:
            log.info(
                "replica %s: judging %d buckets of sites (%d new)",
                self.replica_id, len(held), len(gained),
            )  # fmt: skip
            self._gained |= gained  # rebuilt meanwhile: renewals must not wait for it
            self._gained_wake.set()

    def _set_owned(self, owned: frozenset[int]) -> frozenset[int]:
        """Hold ``owned`` from now on; the buckets gained."""
        lost, gained = self.owned - owned, owned - self.owned
        self.owned = owned
        if lost:
            self.brain.disown(c for c in self.brain.engine.sites() if bucket_of(c) in lost)
        return gained

    async def _take_overs(self) -> None:
        while True:
            await self._gained_wake.wait()
            self._gained_wake.clear()
            buckets, self._gained = self._gained & self.owned, set()
            try:
                await self._take_over(buckets)
            except Exception:  # isolation boundary: the sites are rebuilt when next heard
                log.exception(
                    "replica %s: taking over %d buckets failed", self.replica_id, len(buckets)
                )

    async def _take_over(self, buckets: Collection[int]) -> None:
        """Rebuild the sites of newly held buckets heard within the rules' horizon; the
        others are judged for silence by the brain's survey."""
        heard = await asyncio.to_thread(self.store.last_heard_of_active_sites)
        horizon_ns = int(self.brain.engine.config.engine.horizon_s * _S)
        recent = time.time_ns() - horizon_ns
        sites = sorted(c for c, ns in heard.items() if bucket_of(c) in buckets and ns >= recent)
        # One read's worth queued at a time (the brain reads the sites waiting together),
        # so a site whose kit is back first waits behind at most that, not every site.
        for start in range(0, len(sites), REBUILD_BATCH):
            chunk = [c for c in sites[start : start + REBUILD_BATCH] if self.owns(c)]
            await asyncio.gather(*(self.brain.take(c) for c in chunk))
        await self.brain.survey()

    # -- data of sites judged elsewhere ------------------------------------------------------

    def _note_foreign(self, site_code: str, backhaul: str | None) -> None:
        if backhaul is not None:
            self._backhauls[site_code] = backhaul
        self._foreign.add(site_code)
        self._foreign_wake.set()

    async def _announce(self) -> None:
        while True:
            await self._foreign_wake.wait()
            self._foreign_wake.clear()
            codes, self._foreign = sorted(self._foreign), set()
            said = [f"{c}={self._backhauls[c]}" if c in self._backhauls else c for c in codes]
            try:
                await asyncio.to_thread(self.store.notify_sites, said)
            except Exception:  # isolation boundary: the owner reads them at its next take-over
                log.exception("could not tell the other replicas of %d sites' data", len(codes))
            await asyncio.sleep(NOTIFY_EVERY_S)

    def _note_follow(self, codes: list[str] | None) -> None:
        if codes is None:  # (re)connected: whatever was announced meanwhile is unknown
            self._follow_all = True
        else:
            for token in codes:  # a site code, with the backhaul its kit declared
                code, _, backhaul = token.partition("=")
                if self.owns(code):
                    self._follow.add(code)
                    if backhaul:
                        self.brain.note_backhaul(code, backhaul)
        self._follow_wake.set()

    async def _follow_loop(self) -> None:
        while True:
            await self._follow_wake.wait()
            self._follow_wake.clear()
            codes = set(self._follow)
            self._follow.clear()
            if self._follow_all:
                self._follow_all = False
                codes.update(self.brain.engine.sites())
            try:
                await self.follow(sorted(codes))
            except Exception:  # isolation boundary: the next announcement reads them again
                log.exception("could not read other replicas' data of %d sites", len(codes))
                self._follow.update(codes)
            await asyncio.sleep(FOLLOW_EVERY_S)

    async def follow(self, site_codes: Iterable[str]) -> None:
        """Feed the rules what other replicas stored of these sites (those this replica
        judges) since what they were fed."""
        horizon_ns = int(self.brain.engine.config.engine.horizon_s * _S)
        codes = [code for code in site_codes if self.owns(code)]
        for start in range(0, len(codes), FOLLOW_AT_ONCE):
            chunk = codes[start : start + FOLLOW_AT_ONCE]
            # The first time: rebuilt from all the store holds (read together).
            await asyncio.gather(*(self.brain.take(c) for c in chunk))
            fed: dict[str, int] = {}
            for code in chunk:
                fed.update(self.brain.fed(code))
            since = time.time_ns() - horizon_ns
            rows, heard = await asyncio.to_thread(self.store.sites_records_after, chunk, since, fed)
            by_site: dict[str, list[StoredRecord]] = {code: [] for code in chunk}
            for row in rows:
                by_site.setdefault(row.site_code, []).append(row)
            for code, site_rows in by_site.items():
                self.brain.feed_stored(code, site_rows, heard_ns=heard.get(code))
