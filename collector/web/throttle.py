"""Login throttling: growing delays per client and per user name, and a bound on the
password checks running at once.

No hard lock: from its ``free``-th failed login on, a key (a client address, or a user name)
waits before its next attempt, ``first`` seconds after the latest failure, doubling
with every further failure up to ``cap``; a key with no failure for ``forget``
seconds starts afresh. A login is refused (429 with ``Retry-After``) while either its
client or its name waits. The name's cap is short, so an attacker failing on a real
user's name delays that user by at most the cap; the client's cap is long, so one
address cannot spray names. :func:`wait_ns` and :func:`after_failure` decide; the
clock is given to them, so the table tests run without time passing.

:class:`PasswordGate` runs the Argon2 checks in a thread pool of their own (so they
never hold the event loop nor the worker threads the store calls use) with at most
``concurrency`` at once and ``queue`` waiting; beyond that a login is refused at once
(:class:`Busy`, a 503 with ``Retry-After``) instead of waiting in an unbounded queue.
Those threads run at the lowest CPU priority (nice 19 and Linux's ``SCHED_IDLE``, which
gives the CPU up the moment another thread wakes) and never on one of the CPUs
(:func:`check_cpus`), so checks take the CPU the event loop leaves, not the other way
round.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ipaddress
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

_S = 1_000_000_000
#: Keys remembered per table; the least recently failed go first beyond this.
MAX_KEYS = 100_000


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long a key waits after its failures."""

    free: int  # failures before the first delay
    first_s: float  # the delay after failure number ``free``
    cap_s: float  # the longest delay
    forget_s: float  # a key without a failure this long starts afresh

    def delay_ns(self, failures: int) -> int:
        """The wait after the latest of ``failures`` failures (0: none)."""
        if failures < self.free:
            return 0
        doublings = min(failures - self.free, 62)
        return int(min(self.cap_s, self.first_s * 2.0**doublings) * _S)


@dataclass(frozen=True, slots=True)
class Failures:
    """One key's recent failures: how many, and when the latest was."""

    count: int
    last_ns: int


def wait_ns(record: Failures | None, policy: Backoff, now_ns: int) -> int:
    """How long the key must still wait before an attempt (0: it may try now)."""
    if record is None or now_ns - record.last_ns >= policy.forget_s * _S:
        return 0
    return max(0, record.last_ns + policy.delay_ns(record.count) - now_ns)


def after_failure(record: Failures | None, policy: Backoff, now_ns: int) -> Failures:
    """The key's record once one more failure happened at ``now_ns``."""
    if record is None or now_ns - record.last_ns >= policy.forget_s * _S:
        return Failures(1, now_ns)
    return Failures(record.count + 1, now_ns)


def retry_after_s(wait: int) -> int:
    """``Retry-After``'s whole seconds for a wait in ns (at least 1)."""
    return max(1, math.ceil(wait / _S))


def client_key(remote: str | None) -> str:
    """The throttled client of a peer address: the IPv4 address, or the IPv6 /64 (one
    host usually has a whole /64 to pick addresses from)."""
    if not remote:
        return "?"
    try:
        address = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return remote
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class _Table:
    """Failure records by key, bounded (the least recently failed are dropped)."""

    def __init__(self, policy: Backoff) -> None:
        self.policy = policy
        self.records: collections.OrderedDict[str, Failures] = collections.OrderedDict()

    def wait_ns(self, key: str, now_ns: int) -> int:
        return wait_ns(self.records.get(key), self.policy, now_ns)

    def failed(self, key: str, now_ns: int) -> None:
        self.records[key] = after_failure(self.records.get(key), self.policy, now_ns)
        self.records.move_to_end(key)
        while len(self.records) > MAX_KEYS:
            self.records.popitem(last=False)


class LoginThrottle:
    """Failed logins per client and per user name (in memory, per process)."""

    def __init__(self, clients: Backoff, names: Backoff, clock: Callable[[], int]) -> None:
        self.clients = _Table(clients)
        self.names = _Table(names)
        self.clock = clock
        #: Clients with a login being checked: one at a time each, so that a client's
        #: parallel attempts cannot all pass before its first failure counts.
        self.checking: set[str] = set()

    def wait_ns(self, client: str, name: str) -> int:
        """How long this client must wait before trying this name (0: now)."""
        now = self.clock()
        return max(self.clients.wait_ns(client, now), self.names.wait_ns(name, now))

    def client_wait_ns(self, client: str) -> int:
        """How long this client must wait before any login (0: now), known before the
        user name is read."""
        return self.clients.wait_ns(client, self.clock())

    def failed(self, client: str, name: str) -> None:
        now = self.clock()
        self.clients.failed(client, now)
        self.names.failed(name, now)

    def succeeded(self, name: str) -> None:
        """The name's failures are forgotten; the client's are not (a client holding
        one good account must not clear its record by logging in with it)."""
        self.names.records.pop(name, None)


class Busy(Exception):
    """Too many password checks running and waiting: refuse this one now."""


#: The nice value of the password-check threads (and of the threads Argon2 starts).
CHECK_NICENESS = 19


def check_cpus(allowed: set[int]) -> set[int]:
    """The CPUs the password checks may use, of the process's ``allowed`` ones: all but
    one (the lowest), which the checks never take, so that the event loop always finds a
    CPU free of them; with a single CPU, that one."""
    if len(allowed) < 2:
        return set(allowed)
    return set(sorted(allowed)[1:])


def _lower_priority() -> None:
    """Make this thread (and the threads it starts, as Argon2 does for its lanes: Linux
    keeps the nice value, the policy and the CPU affinity per thread, and a new thread
    inherits them) yield to the event loop: the lowest priority (nice 19, and the
    ``SCHED_IDLE`` policy, which the kernel preempts as soon as a normal thread wakes,
    instead of at the end of a time slice), and kept off one CPU (:func:`check_cpus`),
    so that a check (Argon2, its four lanes in threads of their own) cannot take every
    CPU while the event loop waits to wake up."""
    tid = threading.get_native_id()
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, tid, CHECK_NICENESS)
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setaffinity(0, check_cpus(os.sched_getaffinity(0)))


@dataclass(slots=True)
class TokenBucket:
    """At most ``rate_per_s`` on average, ``burst`` at once (pure: the clock is given)."""

    rate_per_s: float
    burst: float
    tokens: float = -1.0  # full at first use
    at_ns: int = 0

    def _refill(self, now_ns: int) -> None:
        if self.tokens < 0:
            self.tokens = self.burst
        else:
            elapsed = max(0, now_ns - self.at_ns) / _S
            self.tokens = min(self.burst, self.tokens + elapsed * self.rate_per_s)
        self.at_ns = now_ns

    def take(self, now_ns: int) -> bool:
        """Take one token if there is one."""
        self._refill(now_ns)
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def empty(self, now_ns: int) -> bool:
        self._refill(now_ns)
        return self.tokens < 1


class PasswordGate:
    """Password checks in threads of their own, ``concurrency`` at once, ``queue`` waiting,
    and at most ``per_s`` a second on average (``burst`` at once): Argon2 is memory-hard,
    and even at the lowest CPU priority a stream of checks takes memory bandwidth and cache
    from the event loop, so a flood is held to a small, fixed share of the machine."""

    def __init__(
        self,
        verify: Callable[[str | None, str], bool],
        *,
        concurrency: int,
        queue: int,
        per_s: float = 1000.0,
        burst: int = 1000,
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.verify = verify
        self.concurrency = concurrency
        self.queue = queue
        self.pending = 0
        self.clock = clock
        self._bucket = TokenBucket(per_s, burst)
        self._slots = asyncio.Semaphore(concurrency)
        self._pool = ThreadPoolExecutor(
            concurrency, thread_name_prefix="password", initializer=_lower_priority
        )

    @property
    def full(self) -> bool:
        return self.pending >= self.concurrency + self.queue or self._bucket.empty(self.clock())

    async def check(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; :class:`Busy` at once when the checks are full."""
        if self.pending >= self.concurrency + self.queue or not self._bucket.take(self.clock()):
            raise Busy
        self.pending += 1
        try:
            async with self._slots:
                loop = asyncio.get_running_loop()
                try:
                    future = loop.run_in_executor(self._pool, self.verify, password_hash, password)
                except RuntimeError:  # the pool has closed: the collector is stopping
                    raise Busy from None
                return await future
        finally:
            self.pending -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
