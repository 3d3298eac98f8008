"""The ping prober: N echo requests a round, every packet kept (SmokePing / RIPE Atlas style).

Phases: choose the method (once per process for "auto"), resolve the target (timed, once),
then one round: request ``i`` (icmp_seq ``i + 1``) leaves at ``start + i * interval_s``; each
waits at most ``timeout_s`` for its reply, so a lost packet costs the full timeout. Timing
is monotonic; where the kernel stamps a reply on arrival (SO_TIMESTAMPNS), that stamp is
used instead of the moment Python reads it, as iputils ping does, as long as it agrees with
the monotonic clock. Replies after their packet's timeout count as lost; extra replies to
an answered request count as duplicates.

Methods: "icmp-raw" (root or CAP_NET_RAW), "icmp-dgram" (unprivileged ICMP sockets, allowed
by ``net.ipv4.ping_group_range``), "tcp-connect" (no ICMP at all: the time of a TCP connect
to ``tcp_fallback_port`` stands for an RTT; a refusal is a round trip too, a timeout is a lost
packet). "auto" picks the first that works, in that order (tcp-connect only when
``tcp_fallback_port`` is set); :func:`icmp_method_available` tells the caller which.

icmplib creates the ICMP sockets (privilege handling); the echo round itself runs on the
socket here because icmplib's ``receive`` drops replies to other sequence numbers (no
pipelining, no duplicates) and times with the wall clock.

``sent`` counts attempts: a request the kernel refused to send (e.g. no route) is a lost
packet and the reason says why. ``bytes_used`` counts IP + ICMP headers + payload of every
request, reply, duplicate and ICMP error belonging to the round (TCP: see ``tcp``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import socket
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import icmplib

from agent.probes._net import (
    Resolved,
    Unresolvable,
    bind_source,
    common_for,
    errno_text,
    ip_header_bytes,
    resolve,
    source_error_reason,
    status_for_errno,
)
from agent.probes.base import (
    Common,
    ProbeConfigError,
    ProbeStatus,
    check_port,
    check_range,
    check_source,
    check_target,
    pick,
)
from agent.probes.icmp_wire import EchoReply, IcmpError, build_echo_request, parse_icmp
from agent.probes.stats import loss_reason, rtt_statistics
from agent.probes.tcp import connect_once

__all__ = [
    "METHODS",
    "IcmpConfig",
    "PingOutcome",
    "PingPacket",
    "icmp_method_available",
    "probe",
    "summarize",
]

METHODS = ("auto", "icmp-raw", "icmp-dgram", "tcp-connect")
_PING_GROUP_RANGE = Path("/proc/sys/net/ipv4/ping_group_range")


@dataclass(frozen=True, slots=True)
class IcmpConfig:
    target: str
    count: int = 5
    interval_s: float = 0.2
    timeout_s: float = 1.0
    payload_bytes: int = 56
    source: str | None = None  # IP address to bind, or interface name (SO_BINDTODEVICE)
    method: str = "auto"
    tcp_fallback_port: int | None = None

    def __post_init__(self) -> None:
        check_target("target", self.target)
        check_range("count", self.count, 1, 100)
        check_range("interval_s", self.interval_s, 0.01, 60)
        check_range("timeout_s", self.timeout_s, 0.01, 60)
        check_range("payload_bytes", self.payload_bytes, 0, 1472)
        check_source("source", self.source)
        if self.method not in METHODS:
            allowed = ", ".join(repr(m) for m in METHODS)
            raise ProbeConfigError(f"method must be one of {allowed}, got {self.method!r}")
        if self.tcp_fallback_port is not None:
            check_port("tcp_fallback_port", self.tcp_fallback_port)
        elif self.method == "tcp-connect":
            raise ProbeConfigError("method 'tcp-connect' needs tcp_fallback_port")


@dataclass(frozen=True, slots=True)
class PingPacket:
    icmp_seq: int
    rtt_ms: float | None  # None: lost
    duplicates: int = 0


@dataclass(frozen=True, slots=True)
class PingOutcome:
    """Mirrors ``pantau.v1.PingResult``."""

    common: Common
    method: str  # "icmp-raw" | "icmp-dgram" | "tcp-connect"; "" when none was permitted
    tcp_port: int | None
    sent: int
    received: int
    duplicates: int
    packets: tuple[PingPacket, ...]
    min_ms: float | None
    median_ms: float | None
    avg_ms: float | None
    max_ms: float | None
    stddev_ms: float | None
    jitter_ms: float | None
    loss_ratio: float
    payload_bytes: int
    interval_ms: float


# --- choosing the method ---------------------------------------------------------------------


def _open_icmp_socket(family: int, privileged: bool) -> Any:
    """An icmplib socket (ICMPv4Socket / ICMPv6Socket); raises icmplib errors."""
    cls = icmplib.ICMPv6Socket if family == socket.AF_INET6 else icmplib.ICMPv4Socket
    return cls(privileged=privileged)


@functools.cache
def icmp_method_available() -> str | None:
    """ "icmp-raw", "icmp-dgram" or None (no ICMP socket permitted); decided once per process."""
    for method, privileged in (("icmp-raw", True), ("icmp-dgram", False)):
        try:
            _open_icmp_socket(socket.AF_INET, privileged).close()
        except icmplib.ICMPSocketError:
            continue
        return method
    return None


def _not_permitted_reason(method: str) -> str:
    if method == "icmp-raw":
        return "raw ICMP sockets need root or CAP_NET_RAW"
    try:
        groups = " ".join(_PING_GROUP_RANGE.read_text().split())
    except OSError:
        groups = "unreadable"
    return (
        f"unprivileged ICMP sockets are not allowed: net.ipv4.ping_group_range is "
        f"'{groups}', which excludes this process's groups"
    )


def _choose_method(config: IcmpConfig) -> str | None:
    if config.method != "auto":
        return config.method
    available = icmp_method_available()
    if available is not None:
        return available
    return "tcp-connect" if config.tcp_fallback_port is not None else None


# --- one round -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Round:
    """Per-packet state of a round, keyed by icmp_seq (1-based)."""

    timeout_s: float
    sent_at: dict[int, float] = field(default_factory=dict)
    sent_wall_ns: dict[int, int] = field(default_factory=dict)
    rtt_ms: dict[int, float] = field(default_factory=dict)
    duplicates: dict[int, int] = field(default_factory=dict)
    failures: dict[int, tuple[ProbeStatus, str]] = field(default_factory=dict)
    bytes_used: int = 0

    def settled(self, seq: int, now: float) -> bool:
        if seq in self.rtt_ms or seq in self.failures:
            return True
        return now >= self.sent_at[seq] + self.timeout_s

    def on_message(
        self,
        message: EchoReply | IcmpError,
        sender: str,
        at: float,
        wire_bytes: int,
        kernel_wall_ns: int | None = None,
    ) -> None:
        seq = message.seq
        sent_at = self.sent_at.get(seq)
        if sent_at is None:
            return
        self.bytes_used += wire_bytes
        if isinstance(message, IcmpError):
            if seq not in self.rtt_ms:
                reason = f"{message.description} (reported by {sender})"
                self.failures.setdefault(seq, (ProbeStatus.UNREACHABLE, reason))
        elif seq in self.rtt_ms:
            self.duplicates[seq] = self.duplicates.get(seq, 0) + 1
        elif at <= sent_at + self.timeout_s and seq not in self.failures:
            rtt_s = at - sent_at
            sent_wall = self.sent_wall_ns.get(seq)
            if kernel_wall_ns is not None and sent_wall is not None:
                # The kernel's receive timestamp (SO_TIMESTAMPNS) leaves out the event
                # loop's wake-up latency. It is wall-clock time, so it is trusted only
                # while consistent with the monotonic reading (no clock step mid-round).
                kernel_s = (kernel_wall_ns - sent_wall) / 1e9
                if 0.0 <= kernel_s <= rtt_s:
                    rtt_s = kernel_s
            self.rtt_ms[seq] = rtt_s * 1000.0


_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux value
_TIMESPEC = struct.Struct("@qq")
_ANCILLARY_BYTES = socket.CMSG_SPACE(_TIMESPEC.size)


def _kernel_timestamp_ns(ancillary: list[tuple[int, int, bytes]]) -> int | None:
    """The SCM_TIMESTAMPNS of a received packet (wall clock, ns), if the kernel gave one."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(data) >= _TIMESPEC.size:
            seconds, nanoseconds = _TIMESPEC.unpack_from(data)
            return int(seconds) * 1_000_000_000 + int(nanoseconds)
    return None


_idents_in_use: set[int] = set()


def _allocate_ident() -> int:
    """An ICMP identifier no other round of this process is using (raw sockets see all)."""
    while True:
        ident = random.randrange(1, 0x10000)
        if ident not in _idents_in_use:
            _idents_in_use.add(ident)
            return ident


async def _icmp_round(
    sock: socket.socket, config: IcmpConfig, resolved: Resolved, raw: bool, ident: int
) -> _Round:
    loop = asyncio.get_running_loop()
    family = resolved.family
    has_ip_header = raw and family == socket.AF_INET
    ip_bytes = ip_header_bytes(family)
    payload = bytes(i & 0xFF for i in range(config.payload_bytes))
    rnd = _Round(config.timeout_s)
    wake = asyncio.Event()

    def on_readable() -> None:
        while True:
            try:
                data, ancillary, _, address = sock.recvmsg(65535, _ANCILLARY_BYTES)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:  # an ICMP error queued on a datagram socket: the packet is lost
                break
            at = time.monotonic()
            message = parse_icmp(data, family=family, has_ip_header=has_ip_header)
            if message is None or (raw and message.ident != ident):
                continue
            wire = len(data) + (0 if has_ip_header else ip_bytes)
            rnd.on_message(message, str(address[0]), at, wire, _kernel_timestamp_ns(ancillary))
        wake.set()

    loop.add_reader(sock.fileno(), on_readable)
    try:
        start = time.monotonic()
        for index in range(config.count):
            await asyncio.sleep(max(0.0, start + index * config.interval_s - time.monotonic()))
            seq = index + 1
            packet = build_echo_request(family, ident, seq, payload)
            rnd.sent_wall_ns[seq] = time.time_ns()
            rnd.sent_at[seq] = time.monotonic()
            try:
                sock.sendto(packet, resolved.sockaddr)
            except OSError as err:
                reason = f"sending echo request {seq} failed: {errno_text(err)}"
                rnd.failures[seq] = (status_for_errno(err.errno), reason)
            else:
                rnd.bytes_used += ip_bytes + len(packet)
        await _settle(rnd, wake)
    finally:
        loop.remove_reader(sock.fileno())
    return rnd


async def _settle(rnd: _Round, wake: asyncio.Event) -> None:
    """Wait until every sent packet is answered, failed or past its timeout."""
    while True:
        now = time.monotonic()
        deadlines = [rnd.sent_at[s] + rnd.timeout_s for s in rnd.sent_at if not rnd.settled(s, now)]
        if not deadlines:
            return
        wake.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(min(deadlines) - now):
                await wake.wait()


async def _tcp_round(config: IcmpConfig, resolved: Resolved, port: int) -> _Round:
    rnd = _Round(config.timeout_s)
    start = time.monotonic()

    async def attempt(index: int) -> None:
        await asyncio.sleep(max(0.0, start + index * config.interval_s - time.monotonic()))
        seq = index + 1
        rnd.sent_at[seq] = time.monotonic()
        result = await connect_once(resolved, port, config.timeout_s, config.source)
        rnd.bytes_used += result.bytes_used
        if result.answer_ms is not None:  # connected or refused: the host answered
            rnd.rtt_ms[seq] = result.answer_ms
        elif result.status is not ProbeStatus.TIMEOUT:
            rnd.failures[seq] = (result.status, result.reason)

    await asyncio.gather(*(attempt(i) for i in range(config.count)))
    return rnd


# --- the prober ------------------------------------------------------------------------------


async def probe(config: IcmpConfig, *, name: str) -> PingOutcome:
    """Ping ``config.target``: one round of ``count`` packets, every packet kept."""
    method = _choose_method(config)
    if method is None:
        reason = (
            f"no ICMP socket permitted ({_not_permitted_reason('icmp-raw')}; "
            f"{_not_permitted_reason('icmp-dgram')}); set tcp_fallback_port to measure "
            "TCP connect time instead"
        )
        return _finish(config, name, "", None, failure=(ProbeStatus.NOT_PERMITTED, reason))
    resolved = await resolve(config.target, config.source)
    if isinstance(resolved, Unresolvable):
        failure = (ProbeStatus.UNRESOLVABLE, resolved.reason)
        return _finish(config, name, method, resolved, failure=failure)
    if method == "tcp-connect":
        assert config.tcp_fallback_port is not None  # _choose_method / IcmpConfig ensure it
        rnd = await _tcp_round(config, resolved, config.tcp_fallback_port)
        return _finish(config, name, method, resolved, rnd)
    try:
        icmp_sock = _open_icmp_socket(resolved.family, privileged=method == "icmp-raw")
    except icmplib.SocketPermissionError:
        failure = (ProbeStatus.NOT_PERMITTED, _not_permitted_reason(method))
        return _finish(config, name, method, resolved, failure=failure)
    except icmplib.ICMPSocketError as err:
        reason = f"cannot open an ICMP socket: {err}"
        return _finish(config, name, method, resolved, failure=(ProbeStatus.ERROR, reason))
    try:
        sock: socket.socket = icmp_sock.sock
        sock.setblocking(False)
        with contextlib.suppress(OSError):  # kernel receive timestamps, where offered
            sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        try:
            bind_source(sock, config.source)
        except OSError as err:
            reason = source_error_reason(config.source, err)
            return _finish(config, name, method, resolved, failure=(ProbeStatus.ERROR, reason))
        ident = _allocate_ident()
        try:
            rnd = await _icmp_round(sock, config, resolved, method == "icmp-raw", ident)
        finally:
            _idents_in_use.discard(ident)
    finally:
        icmp_sock.close()
    return _finish(config, name, method, resolved, rnd)


def _finish(
    config: IcmpConfig,
    name: str,
    method: str,
    resolved: Resolved | Unresolvable | None,
    rnd: _Round | None = None,
    *,
    failure: tuple[ProbeStatus, str] | None = None,
) -> PingOutcome:
    """The outcome of a round (``rnd``), or of one that never started (``failure``)."""
    rnd = rnd or _Round(config.timeout_s)
    seqs = sorted(rnd.sent_at)
    packets = tuple(PingPacket(s, rnd.rtt_ms.get(s), rnd.duplicates.get(s, 0)) for s in seqs)
    stats = rtt_statistics([p.rtt_ms for p in packets])
    status, reason = failure or (ProbeStatus.OK, "")
    if failure is None and stats.received == 0:
        status, reason = ProbeStatus.TIMEOUT, loss_reason(stats.sent, 0)
        failed = [rnd.failures[s] for s in seqs if s in rnd.failures]
        if failed:
            status, reason = failed[0][0], f"{reason}: {failed[0][1]}"
    common = common_for(
        name,
        config.target,
        resolved,
        status,
        reason,
        source=config.source,
        bytes_used=rnd.bytes_used,
    )
    return PingOutcome(
        common=common,
        method=method,
        tcp_port=config.tcp_fallback_port if method == "tcp-connect" else None,
        sent=stats.sent,
        received=stats.received,
        duplicates=sum(p.duplicates for p in packets),
        packets=packets,
        min_ms=stats.min_ms,
        median_ms=stats.median_ms,
        avg_ms=stats.avg_ms,
        max_ms=stats.max_ms,
        stddev_ms=stats.stddev_ms,
        jitter_ms=stats.jitter_ms,
        loss_ratio=stats.loss_ratio,
        payload_bytes=config.payload_bytes,
        interval_ms=config.interval_s * 1000.0,
    )


def summarize(outcome: PingOutcome) -> dict[str, object]:
    """What ``pantau-agent check`` reports for one run, beside the fields every probe has."""
    return pick(outcome, "method", "sent", "received", "loss_ratio", "median_ms", "jitter_ms")
