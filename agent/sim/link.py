"""A userspace link emulator: delay, jitter, random and bursty loss, outages, rate, on TUN.

The kernel here has no ``tc netem``, so this module stands in for it. Three layers:

- **engine** (pure, no clock, no I/O): :class:`Impairment` decides, for one packet that
  arrives at ``arrival_s`` under :class:`LinkParams`, whether it is dropped (``None``) or
  when it is delivered. Its randomness comes from the :class:`random.Random` it is given,
  so a seed reproduces every decision.
- **schedules**: what the parameters are ``t_s`` seconds after start.
  :class:`FixedSchedule` (constant parameters plus outage windows) or
  :class:`ScenarioSchedule`, which follows a simulated modem's scenario file
  (:mod:`agent.sim.scenario`) through :func:`params_for_state`: when the kit's signal
  degrades, its link degrades with it.
- **driver**: :class:`TunDevice` (``/dev/net/tun``, IFF_TUN, no packet info) and
  :class:`LinkEmulator`, which reads packets from one TUN device per direction, holds them
  in a heap until their delivery time and writes them back into the *same* device.

How it is wired (see ``tests/netlab.py``): a router namespace between client and server
has two TUN devices, ``up`` and ``down``. Policy routing sends everything that arrives from
the client side into ``up`` and everything from the server side into ``down``; a packet
written back into a TUN device is received by the kernel as if it came in on that device and
is routed normally (``ip_forward=1``, ``rp_filter=0``). ICMP echo, TCP and UDP all pass.
Forwarding through the TUN detour costs the packet a second TTL decrement, which the
emulator gives back (:func:`restore_hop`) so the router counts as one hop in a traceroute.

Jitter is uniform, ``delay_ms ± jitter_ms`` (like netem without a distribution table),
clamped at zero; packets stay in order unless ``reorder`` is set. ``limit_packets`` bounds
the packets held (netem's ``limit``); ``rate_bps`` adds serialization at that rate.

Errors::

    ValueError
     └── LinkConfigError   a parameter is out of range (message names it and the rule)
"""

from __future__ import annotations

import fcntl
import functools
import heapq
import math
import os
import random
import select
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Protocol

from agent.errors import AgentError
from agent.sim.scenario import RadioState, Scenario

__all__ = [
    "Direction",
    "FixedSchedule",
    "GilbertElliott",
    "Impairment",
    "LinkConfigError",
    "LinkEmulator",
    "LinkParams",
    "LinkStats",
    "ScenarioSchedule",
    "Schedule",
    "TunDevice",
    "params_for_state",
    "restore_hop",
]


class LinkConfigError(AgentError, ValueError):
    """A link parameter is invalid; the message names the parameter, the rule and the value."""


def _check(name: str, value: float, low: float, high: float) -> None:
    if not (low <= value <= high) or math.isnan(value):
        raise LinkConfigError(f"{name} must be between {low:g} and {high:g}, got {value!r}")


# --- engine ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GilbertElliott:
    """Bursty loss: a two-state Markov chain stepped once per packet.

    In the good state a packet is lost with ``loss_good``, in the bad state with ``loss_bad``.
    ``p_enter_bad`` is P(good -> bad), ``p_leave_bad`` is P(bad -> good) per packet.
    """

    p_enter_bad: float
    p_leave_bad: float
    loss_good: float = 0.0
    loss_bad: float = 1.0

    def __post_init__(self) -> None:
        _check("burst.p_enter_bad", self.p_enter_bad, 0.0, 1.0)
        _check("burst.p_leave_bad", self.p_leave_bad, 0.0, 1.0)
        _check("burst.loss_good", self.loss_good, 0.0, 1.0)
        _check("burst.loss_bad", self.loss_bad, 0.0, 1.0)
        if self.p_enter_bad + self.p_leave_bad == 0.0:
            raise LinkConfigError("burst.p_enter_bad and burst.p_leave_bad cannot both be 0")

    @property
    def bad_fraction(self) -> float:
        """Long-run share of packets that meet the bad state."""
        return self.p_enter_bad / (self.p_enter_bad + self.p_leave_bad)

    @property
    def loss_ratio(self) -> float:
        """Long-run loss ratio."""
        bad = self.bad_fraction
        return (1.0 - bad) * self.loss_good + bad * self.loss_bad

    @property
    def mean_bad_packets(self) -> float:
        """Mean number of consecutive packets spent in the bad state (inf if it never leaves)."""
        return math.inf if self.p_leave_bad == 0.0 else 1.0 / self.p_leave_bad


@dataclass(frozen=True, slots=True)
class LinkParams:
    """One direction's impairments; the defaults are a perfect link."""

    delay_ms: float = 0.0  # one way
    jitter_ms: float = 0.0  # uniform: delay_ms ± jitter_ms, clamped at 0
    loss_ratio: float = 0.0  # independent random loss, 0..1
    burst: GilbertElliott | None = None  # bursty loss, on top of loss_ratio
    rate_bps: float | None = None  # serialization rate; None: unlimited
    limit_packets: int = 1000  # packets held at once (queued or in flight); more are dropped
    outage: bool = False  # drop everything
    reorder: bool = False  # let jitter reorder packets (default: keep order)

    def __post_init__(self) -> None:
        _check("delay_ms", self.delay_ms, 0.0, 60_000.0)
        _check("jitter_ms", self.jitter_ms, 0.0, 60_000.0)
        _check("loss_ratio", self.loss_ratio, 0.0, 1.0)
        if self.rate_bps is not None:
            _check("rate_bps", self.rate_bps, 1_000.0, 100e9)
        _check("limit_packets", self.limit_packets, 1, 1_000_000)


@dataclass(slots=True)
class LinkStats:
    """Counters of one direction: every packet is delivered or dropped for one reason."""

    packets: int = 0
    delivered: int = 0  # accepted and scheduled for delivery
    dropped_loss: int = 0
    dropped_burst: int = 0
    dropped_outage: int = 0
    dropped_limit: int = 0
    dropped_write: int = 0  # the TUN device refused the packet (driver only)
    bytes_in: int = 0
    bytes_out: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class Impairment:
    """The decision engine of one direction. No clock, no I/O; feed arrivals in time order."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._bad = False  # Gilbert-Elliott state
        self._last_deliver_s = -math.inf
        self._link_free_s = -math.inf
        self._held: list[float] = []  # heap of delivery times of packets not yet delivered
        self.stats = LinkStats()

    @property
    def in_bad_state(self) -> bool:
        return self._bad

    def decide(self, params: LinkParams, arrival_s: float, size_bytes: int) -> float | None:
        """When the packet arriving at ``arrival_s`` leaves the link, or None if it is dropped.

        Order of checks: outage, bursty loss (the chain steps for every packet that is not in
        an outage), random loss, the packet limit; then serialization (``rate_bps``), delay
        and jitter, and, unless ``reorder``, no earlier than the previous packet.
        """
        stats = self.stats
        stats.packets += 1
        stats.bytes_in += size_bytes
        if params.outage:
            stats.dropped_outage += 1
            return None
        rng = self._rng
        if params.burst is not None:
            ge = params.burst
            if self._bad:
                self._bad = rng.random() >= ge.p_leave_bad
            else:
                self._bad = rng.random() < ge.p_enter_bad
            if rng.random() < (ge.loss_bad if self._bad else ge.loss_good):
                stats.dropped_burst += 1
                return None
        if params.loss_ratio > 0.0 and rng.random() < params.loss_ratio:
            stats.dropped_loss += 1
            return None
        held = self._held
        while held and held[0] <= arrival_s:
            heapq.heappop(held)
        if len(held) >= params.limit_packets:
            stats.dropped_limit += 1
            return None
        sent_s = arrival_s
        if params.rate_bps is not None:
            sent_s = max(arrival_s, self._link_free_s) + size_bytes * 8.0 / params.rate_bps
            self._link_free_s = sent_s
        delay_ms = params.delay_ms
        if params.jitter_ms > 0.0:
            delay_ms += rng.uniform(-params.jitter_ms, params.jitter_ms)
        deliver_s = sent_s + max(delay_ms, 0.0) / 1000.0
        if not params.reorder:
            deliver_s = max(deliver_s, self._last_deliver_s)
        self._last_deliver_s = max(self._last_deliver_s, deliver_s)
        heapq.heappush(held, deliver_s)
        stats.delivered += 1
        stats.bytes_out += size_bytes
        return deliver_s


# --- schedules -------------------------------------------------------------------------------


class Schedule(Protocol):
    """The parameters of one direction ``t_s`` seconds after the emulator started."""

    def params_at(self, t_s: float) -> LinkParams: ...


@dataclass(frozen=True, slots=True)
class FixedSchedule:
    """Constant parameters, with outages during ``[start_s, end_s)`` windows."""

    params: LinkParams
    outages_s: tuple[tuple[float, float], ...] = ()
    _down: LinkParams = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for start, end in self.outages_s:
            if not 0.0 <= start < end:
                raise LinkConfigError(
                    f"outage window must be 0 <= start < end seconds, got {start:g}..{end:g}"
                )
        object.__setattr__(self, "_down", replace(self.params, outage=True))

    def params_at(self, t_s: float) -> LinkParams:
        if any(start <= t_s < end for start, end in self.outages_s):
            return self._down
        return self.params


# RAT -> (one-way delay ms, jitter floor ms, downlink bit/s, uplink bit/s): typical, not peak.
RAT_LINKS: dict[str, tuple[float, float, float, float]] = {
    "nr5g-sa": (8.0, 1.0, 100e6, 30e6),
    "nr5g-nsa": (10.0, 1.0, 80e6, 20e6),
    "lte": (15.0, 2.0, 20e6, 5e6),
    "ltem": (40.0, 5.0, 1e6, 1e6),
    "nbiot": (150.0, 20.0, 60e3, 60e3),
    "hspa": (40.0, 5.0, 5e6, 1.5e6),
    "umts": (60.0, 8.0, 1e6, 384e3),
    "edge": (150.0, 20.0, 200e3, 100e3),
    "gsm": (300.0, 40.0, 50e3, 25e3),
}
_CONNECTED_REG_STATES = ("home", "roaming")
RSRP_FAIR_DBM = -100.0  # FIELD.md: below -100 dBm is "poor"
RSRP_LOSSY_DBM = -110.0
SINR_GOOD_DB = 20.0  # FIELD.md: >= 20 dB is "excellent"


@functools.lru_cache(maxsize=256)
def params_for_state(state: RadioState, *, uplink: bool = False) -> LinkParams:
    """Link parameters for what the modem reports (one direction). The mapping:

    - **outage** when the SIM is not ready, the RAT is ``none`` or the modem is not
      registered (``reg_state`` other than home/roaming).
    - **RAT** sets the base one-way delay, a jitter floor and the rate (:data:`RAT_LINKS`;
      the uplink rate for ``uplink=True``).
    - **RSRP** (when reported) below -100 dBm: +2 ms delay per dB and the rate halves every
      6 dB; below -110 dBm also 1% random loss per dB, at most 30%
      (-114 dBm: +28 ms, 4% loss, rate / 4.8).
    - **SINR** (when reported) below 20 dB: +1.5 ms jitter per dB (12 dB: +12 ms);
      below 0 dB bursty loss (Gilbert-Elliott): P(enter bad) = 1% per dB below 0 (at most
      10%), P(leave bad) = 30%, half the packets lost while bad.
    """
    base_delay, jitter_floor, down_bps, up_bps = RAT_LINKS.get(state.rat, RAT_LINKS["lte"])
    rate = up_bps if uplink else down_bps
    if (
        state.sim_state != "ready"
        or state.rat == "none"
        or state.reg_state not in _CONNECTED_REG_STATES
    ):
        return LinkParams(outage=True)
    delay, jitter, loss = base_delay, jitter_floor, 0.0
    burst: GilbertElliott | None = None
    if state.rsrp_dbm is not None and state.rsrp_dbm < RSRP_FAIR_DBM:
        weak_db = RSRP_FAIR_DBM - state.rsrp_dbm
        delay += 2.0 * weak_db
        rate = max(rate * 2.0 ** (-weak_db / 6.0), 8_000.0)
        if state.rsrp_dbm < RSRP_LOSSY_DBM:
            loss = min(0.01 * (RSRP_LOSSY_DBM - state.rsrp_dbm), 0.30)
    if state.sinr_db is not None:
        jitter += 1.5 * max(0.0, SINR_GOOD_DB - state.sinr_db)
        if state.sinr_db < 0.0:
            p_enter = min(0.01 * -state.sinr_db, 0.10)
            burst = GilbertElliott(p_enter, 0.30, loss_good=0.0, loss_bad=0.5)
    return LinkParams(delay_ms=delay, jitter_ms=jitter, loss_ratio=loss, burst=burst, rate_bps=rate)


@dataclass(frozen=True, slots=True)
class ScenarioSchedule:
    """Follow a modem scenario: ``t_s`` of link time is ``t_s * time_scale`` of scenario time.

    While the scenario has the modem's port gone (``vanish_s``), the link is down too.
    """

    scenario: Scenario
    time_scale: float = 1.0
    uplink: bool = False

    def __post_init__(self) -> None:
        _check("time_scale", self.time_scale, 0.001, 1000.0)

    def params_at(self, t_s: float) -> LinkParams:
        scenario_s = t_s * self.time_scale
        if self.scenario.port_gone(scenario_s):
            return LinkParams(outage=True)
        return params_for_state(self.scenario.state_at(scenario_s), uplink=self.uplink)


# --- driver ----------------------------------------------------------------------------------

_TUNSETIFF = 0x400454CA
_IFF_TUN = 0x0001
_IFF_NO_PI = 0x1000
_MAX_PACKET = 65_535
_POLL_CAP_S = 0.1  # how long the loop may sleep before looking at stop conditions


def restore_hop(packet: bytes) -> bytes:
    """Give back the TTL / hop limit the TUN detour cost (IPv4 checksum recomputed).

    Anything that is not a well-formed IPv4 or IPv6 header is returned unchanged.
    """
    if not packet:
        return packet
    version = packet[0] >> 4
    if version == 6 and len(packet) >= 40 and packet[7] < 255:
        return packet[:7] + bytes((packet[7] + 1,)) + packet[8:]
    if version != 4 or len(packet) < 20:
        return packet
    ihl = (packet[0] & 0x0F) * 4
    if ihl < 20 or len(packet) < ihl or packet[8] == 255:
        return packet
    header = bytearray(packet[:ihl])
    header[8] += 1
    header[10:12] = b"\x00\x00"
    header[10:12] = struct.pack("!H", ipv4_checksum(bytes(header)))
    return bytes(header) + packet[ihl:]


def ipv4_checksum(header: bytes) -> int:
    """The Internet checksum of an IPv4 header whose checksum field is zero."""
    words: tuple[int, ...] = struct.unpack(f"!{len(header) // 2}H", header[: len(header) // 2 * 2])
    total = sum(words)
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class TunDevice:
    """An attached TUN device (layer 3, no packet info header), non-blocking.

    Opening an existing persistent device (``ip tuntap add mode tun``) attaches to it; a
    missing one is created in the caller's network namespace and vanishes on :meth:`close`.
    """

    def __init__(self, name: str) -> None:
        if not name or len(name.encode()) > 15:
            raise LinkConfigError(f"TUN device name must be 1 to 15 bytes, got {name!r}")
        self.name = name
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            fcntl.ioctl(fd, _TUNSETIFF, struct.pack("16sH", name.encode(), _IFF_TUN | _IFF_NO_PI))
        except OSError:
            os.close(fd)
            raise
        self._fd = fd

    def fileno(self) -> int:
        return self._fd

    def read(self) -> bytes | None:
        """One packet, or None when none is waiting."""
        try:
            return os.read(self._fd, _MAX_PACKET)
        except BlockingIOError:
            return None

    def write(self, packet: bytes) -> None:
        os.write(self._fd, packet)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


@dataclass(slots=True)
class Direction:
    """One direction of the link: its TUN device, schedule and engine."""

    name: str
    tun: TunDevice
    schedule: Schedule
    engine: Impairment
    restore_ttl: bool = True


class LinkEmulator:
    """Runs the directions: read, decide, hold, write back. Single-threaded, epoll based."""

    def __init__(
        self, directions: Sequence[Direction], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.directions = list(directions)
        self._clock = clock

    def run(self, max_runtime_s: float, should_stop: Callable[[], bool] = lambda: False) -> None:
        """Forward packets until ``should_stop()`` or ``max_runtime_s`` has passed.

        Held packets are dropped (uncounted as delivered) when the loop ends.
        """
        clock = self._clock
        by_fd = {d.tun.fileno(): index for index, d in enumerate(self.directions)}
        heap: list[tuple[float, int, int, bytes]] = []  # (deliver_s, seq, direction, packet)
        seq = 0
        start = clock()
        deadline = start + max_runtime_s
        with select.epoll() as poller:
            for fd in by_fd:
                poller.register(fd, select.EPOLLIN)
            while not should_stop():
                now = clock()
                if now >= deadline:
                    break
                wait_s = min(deadline - now, _POLL_CAP_S)
                if heap:
                    wait_s = min(wait_s, max(heap[0][0] - now, 0.0))
                for fd in self._wait(poller, wait_s):
                    index = by_fd[fd]
                    direction = self.directions[index]
                    for _ in range(256):  # bounded burst per wake-up
                        packet = direction.tun.read()
                        if packet is None:
                            break
                        at = clock()
                        params = direction.schedule.params_at(at - start)
                        deliver_s = direction.engine.decide(params, at, len(packet))
                        if deliver_s is not None:
                            seq += 1
                            heapq.heappush(heap, (deliver_s, seq, index, packet))
                now = clock()
                while heap and heap[0][0] <= now:
                    _, _, index, packet = heapq.heappop(heap)
                    direction = self.directions[index]
                    if direction.restore_ttl:
                        packet = restore_hop(packet)
                    try:
                        direction.tun.write(packet)
                    except OSError:
                        direction.engine.stats.dropped_write += 1

    @staticmethod
    def _wait(poller: select.epoll, wait_s: float) -> list[int]:
        """File descriptors ready within ``wait_s``, sleeping with sub-millisecond precision.

        epoll counts whole milliseconds (rounded up), which would quantize every delay; so
        it sleeps the whole milliseconds and ``time.sleep`` the rest (reads wait < 1 ms).
        """
        whole_ms = math.floor(wait_s * 1000.0)
        if whole_ms >= 1:
            return [fd for fd, _ in poller.poll(whole_ms / 1000.0)]
        ready = [fd for fd, _ in poller.poll(0)]
        if not ready and wait_s > 0.0:
            time.sleep(wait_s)
        return ready

    def stats(self) -> dict[str, dict[str, int]]:
        return {d.name: d.engine.stats.as_dict() for d in self.directions}

    def close(self) -> None:
        for direction in self.directions:
            direction.tun.close()
