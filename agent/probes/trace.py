"""The traceroute prober: ICMP echo or TCP SYN with rising TTL, every hop's address and RTTs.

Crafted packets need raw sockets: root or CAP_NET_RAW. Without them the outcome is
``not-permitted`` with a sentence saying so, decided *before* scapy is imported (importing
it costs ~0.3 s and tens of MB: the only module that imports it, and only in
:func:`probe`). Without scapy installed the outcome is ``error`` naming the extra to
install (``pantau[trace]``).

One round: ``queries`` probes for every TTL from 1 to ``max_hops`` are sent (``inter_s``
apart, TTLs interleaved so no router sees a burst), then answers are awaited for
``timeout_s``. A hop's address is the first router (or the target) that answered at that
TTL; ``rtts_ms`` holds one RTT per answered probe (scapy's capture timestamps). Hops after
the first one answered by the target are dropped. ``reached`` is true when the target itself
answered (echo reply, SYN-ACK, RST or an ICMP error from the target).

``bytes_used`` counts every probe sent and every answer received (IP headers included), plus
the RST the kernel sends back for each SYN-ACK. Runs in a thread (scapy is blocking).
"""

from __future__ import annotations

import asyncio
import random
import socket
from dataclasses import dataclass
from typing import Any

from agent.probes._net import Resolved, Unresolvable, common_for, resolve
from agent.probes.base import (
    Common,
    ProbeConfigError,
    ProbeStatus,
    check_port,
    check_range,
    check_source,
    check_target,
    source_is_address,
)

__all__ = ["METHODS", "TraceConfig", "TraceHop", "TraceOutcome", "probe", "raw_sockets_permitted"]

METHODS = ("icmp", "tcp-syn")


@dataclass(frozen=True, slots=True)
class TraceConfig:
    target: str
    method: str = "icmp"
    port: int = 443  # for tcp-syn
    max_hops: int = 20
    queries: int = 2  # probes per hop
    timeout_s: float = 2.0  # wait for answers after the last probe
    inter_s: float = 0.005
    source: str | None = None

    def __post_init__(self) -> None:
        check_target("target", self.target)
        if self.method not in METHODS:
            raise ProbeConfigError(f"method must be 'icmp' or 'tcp-syn', got {self.method!r}")
        check_port("port", self.port)
        check_range("max_hops", self.max_hops, 1, 64)
        check_range("queries", self.queries, 1, 5)
        check_range("timeout_s", self.timeout_s, 0.05, 30)
        check_range("inter_s", self.inter_s, 0, 1)
        check_source("source", self.source)


@dataclass(frozen=True, slots=True)
class TraceHop:
    ttl: int
    address: str | None  # None: nobody answered at this TTL ("*")
    rtts_ms: tuple[float, ...]
    probes_sent: int
    reached_target: bool


@dataclass(frozen=True, slots=True)
class TraceOutcome:
    """Mirrors ``pantau.v1.TraceResult``."""

    common: Common
    method: str
    port: int | None
    hops: tuple[TraceHop, ...]
    reached: bool


def raw_sockets_permitted() -> bool:
    """Can this process open the packet sockets scapy sends and captures with?"""
    try:
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003)).close()
    except (PermissionError, AttributeError):
        return False
    except OSError:
        return True  # permitted, but something else is odd: let scapy say what
    return True


@dataclass(frozen=True, slots=True)
class _Answer:
    ttl: int
    address: str
    rtt_ms: float
    wire_bytes: int
    syn_ack: bool


def _round(config: TraceConfig, resolved: Resolved) -> tuple[list[_Answer], int]:
    """Send the probes and collect answers (blocking; runs in a thread)."""
    from scapy.config import conf
    from scapy.layers.inet import ICMP, IP, TCP
    from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6
    from scapy.sendrecv import sr

    conf.verb = 0
    v6 = resolved.family == socket.AF_INET6
    (conf.route6 if v6 else conf.route).resync()  # routes may have changed since import
    src = config.source if config.source and source_is_address(config.source) else None
    ident = random.randrange(1, 0xFFFF)
    base_port = random.randrange(20000, 60000)
    packets: list[Any] = []
    for query in range(config.queries):
        for ttl in range(1, config.max_hops + 1):
            index = query * config.max_hops + ttl
            ip = (
                IPv6(dst=resolved.address, hlim=ttl, src=src)
                if v6
                else IP(dst=resolved.address, ttl=ttl, src=src)
            )
            layer: Any
            if config.method == "icmp":
                layer = ICMPv6EchoRequest(id=ident, seq=index) if v6 else ICMP(id=ident, seq=index)
            else:
                layer = TCP(sport=base_port + index, dport=config.port, flags="S")
            packets.append(ip / layer)
    iface = config.source if config.source and not source_is_address(config.source) else None
    kwargs: dict[str, Any] = {"timeout": config.timeout_s, "inter": config.inter_s, "verbose": 0}
    if iface:
        kwargs["iface"] = iface
    answered, _unanswered = sr(packets, **kwargs)
    sent_bytes = sum(len(bytes(p)) for p in packets)
    answers = []
    for sent, received in answered:
        ttl = int(sent.hlim if v6 else sent.ttl)
        syn_ack = TCP in received and int(received[TCP].flags) & 0x12 == 0x12
        answers.append(
            _Answer(
                ttl=ttl,
                address=str(received.src),
                rtt_ms=max(0.0, (float(received.time) - float(sent.sent_time or 0.0)) * 1000.0),
                wire_bytes=len(received),
                syn_ack=bool(syn_ack),
            )
        )
    return answers, sent_bytes


def _hops(config: TraceConfig, answers: list[_Answer], target: str) -> tuple[TraceHop, ...]:
    by_ttl: dict[int, list[_Answer]] = {}
    for answer in answers:
        by_ttl.setdefault(answer.ttl, []).append(answer)
    hops = []
    for ttl in range(1, config.max_hops + 1):
        got = by_ttl.get(ttl, [])
        address = got[0].address if got else None
        reached = any(a.address == target for a in got)
        if reached:
            address = target
        rtts = tuple(a.rtt_ms for a in got if a.address == address)
        hops.append(TraceHop(ttl, address, rtts, config.queries, reached))
        if reached:
            break
    return tuple(hops)


async def probe(config: TraceConfig, *, name: str) -> TraceOutcome:
    """Trace the path to ``config.target``."""
    port = config.port if config.method == "tcp-syn" else None

    def outcome(
        status: ProbeStatus,
        reason: str,
        resolved: Resolved | Unresolvable | None = None,
        hops: tuple[TraceHop, ...] = (),
        used: int = 0,
    ) -> TraceOutcome:
        common = common_for(
            name, config.target, resolved, status, reason, source=config.source, bytes_used=used
        )
        reached = bool(hops) and hops[-1].reached_target
        return TraceOutcome(common, config.method, port, hops, reached)

    if not raw_sockets_permitted():
        reason = (
            "traceroute sends crafted packets and needs raw sockets: run the agent as root "
            "or give it CAP_NET_RAW"
        )
        return outcome(ProbeStatus.NOT_PERMITTED, reason)
    try:
        import scapy  # noqa: F401
    except ImportError:
        reason = "traceroute needs scapy, which is not installed (pip install 'pantau[trace]')"
        return outcome(ProbeStatus.ERROR, reason)
    resolved = await resolve(config.target, config.source)
    if isinstance(resolved, Unresolvable):
        return outcome(ProbeStatus.UNRESOLVABLE, resolved.reason, resolved)
    try:
        answers, sent_bytes = await asyncio.to_thread(_round, config, resolved)
    except PermissionError as err:
        return outcome(ProbeStatus.NOT_PERMITTED, f"raw socket refused: {err}", resolved)
    except OSError as err:
        return outcome(ProbeStatus.ERROR, f"traceroute failed: {err}", resolved)
    hops = _hops(config, answers, resolved.address)
    used = sent_bytes + sum(a.wire_bytes + (40 if a.syn_ack else 0) for a in answers)
    if hops and hops[-1].reached_target:
        return outcome(ProbeStatus.OK, "", resolved, hops, used)
    answered = [h for h in hops if h.address is not None]
    last = f"; last answer from hop {answered[-1].ttl} ({answered[-1].address})" if answered else ""
    reason = f"{resolved.address} not reached within {config.max_hops} hops{last}"
    return outcome(ProbeStatus.TIMEOUT, reason, resolved, hops, used)
