"""The TCP connect prober: how long does a three-way handshake to host:port take?

Phases: resolve (timed, once) -> connect (timed with the monotonic clock). The socket is
created here so a source address or interface can be bound, then closed normally.

Outcomes: ``ok`` (connect_ms set), ``refused`` (RST), ``timeout`` (no answer within
``timeout_s``), ``unreachable`` (ENETUNREACH / EHOSTUNREACH), ``unresolvable``,
``not-permitted`` (EPERM / EACCES, e.g. a local firewall), ``error`` (anything else, e.g. the
source interface does not exist; see ``reason``).

``bytes_used`` is an estimate: the kernel does not tell us what it put on the wire. It counts
a SYN with the usual options (40-byte TCP header), the SYN-ACK, the ACK, and the FIN/ACK
exchange of a normal close; a RST for a refusal; and one SYN per kernel (re)transmission
(initial RTO 1 s, doubling) for a connect that timed out.
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass

from agent.probes._net import (
    Resolved,
    Unresolvable,
    bind_source,
    errno_text,
    ip_header_bytes,
    resolve,
    source_error_reason,
    status_for_errno,
)
from agent.probes.base import (
    Common,
    ProbeStatus,
    check_port,
    check_range,
    check_source,
    check_target,
    pick,
)

__all__ = ["ConnectAttempt", "TcpConfig", "TcpOutcome", "connect_once", "probe", "summarize"]

_TCP_SYN_BYTES = 40  # 20-byte header + MSS, SACK-permitted, timestamps, window scale
_TCP_ACK_BYTES = 32  # 20-byte header + timestamps
_TCP_RST_BYTES = 20


@dataclass(frozen=True, slots=True)
class TcpConfig:
    target: str
    port: int
    timeout_s: float = 3.0
    source: str | None = None  # IP address to bind, or interface name (SO_BINDTODEVICE)

    def __post_init__(self) -> None:
        check_target("target", self.target)
        check_port("port", self.port)
        check_range("timeout_s", self.timeout_s, 0.01, 60)
        check_source("source", self.source)


@dataclass(frozen=True, slots=True)
class TcpOutcome:
    """Mirrors ``pantau.v1.TcpConnectResult``."""

    common: Common
    port: int
    connect_ms: float | None  # set only when the handshake completed


@dataclass(frozen=True, slots=True)
class ConnectAttempt:
    """One connect(): its status, and how long until the peer answered (SYN-ACK or RST)."""

    status: ProbeStatus
    answer_ms: float | None  # None when nothing answered (timeout, local error)
    reason: str
    bytes_used: int


def syn_transmissions(waited_s: float) -> int:
    """SYNs the kernel sent while waiting ``waited_s`` (retransmits at 1, 3, 7, 15 ... s)."""
    sent = 1
    while (2**sent) - 1 < waited_s:
        sent += 1
    return sent


def format_hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def connect_once(
    resolved: Resolved, port: int, timeout_s: float, source: str | None
) -> ConnectAttempt:
    """Connect once to ``resolved``:``port`` and close. Never raises for network failures."""
    ip = ip_header_bytes(resolved.family)
    where = format_hostport(resolved.address, port)
    loop = asyncio.get_running_loop()
    with socket.socket(resolved.family, socket.SOCK_STREAM) as sock:
        sock.setblocking(False)
        try:
            bind_source(sock, source)
        except OSError as err:
            return ConnectAttempt(ProbeStatus.ERROR, None, source_error_reason(source, err), 0)
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout_s):
                await loop.sock_connect(sock, resolved.with_port(port))
        except TimeoutError:
            waited = time.monotonic() - started
            return ConnectAttempt(
                ProbeStatus.TIMEOUT,
                None,
                f"no answer from {where} within {timeout_s:g} s",
                syn_transmissions(waited) * (ip + _TCP_SYN_BYTES),
            )
        except OSError as err:
            elapsed_ms = (time.monotonic() - started) * 1000.0
            status = status_for_errno(err.errno)
            if status is ProbeStatus.REFUSED:
                return ConnectAttempt(
                    status,
                    elapsed_ms,
                    f"connection to {where} refused",
                    (ip + _TCP_SYN_BYTES) + (ip + _TCP_RST_BYTES),
                )
            return ConnectAttempt(status, None, f"connect to {where}: {errno_text(err)}", 0)
        elapsed_ms = (time.monotonic() - started) * 1000.0
    # SYN, SYN-ACK, ACK, then FIN/ACK both ways on close.
    used = 2 * (ip + _TCP_SYN_BYTES) + 5 * (ip + _TCP_ACK_BYTES)
    return ConnectAttempt(ProbeStatus.OK, elapsed_ms, "", used)


async def probe(config: TcpConfig, *, name: str) -> TcpOutcome:
    """Resolve ``config.target`` once and time one TCP connect to ``config.port``."""
    target = format_hostport(config.target, config.port)
    resolved = await resolve(config.target, config.source)
    if isinstance(resolved, Unresolvable):
        common = Common(
            name,
            target,
            None,
            ProbeStatus.UNRESOLVABLE,
            resolved.reason,
            resolved.resolve_ms,
            config.source,
            0,
        )
        return TcpOutcome(common, config.port, None)
    attempt = await connect_once(resolved, config.port, config.timeout_s, config.source)
    common = Common(
        probe_name=name,
        target=target,
        target_address=resolved.address,
        status=attempt.status,
        reason=attempt.reason,
        resolve_ms=resolved.resolve_ms,
        source=config.source,
        bytes_used=attempt.bytes_used,
    )
    connect_ms = attempt.answer_ms if attempt.status is ProbeStatus.OK else None
    return TcpOutcome(common, config.port, connect_ms)


def summarize(outcome: TcpOutcome) -> dict[str, object]:
    """What ``pantau-agent check`` reports for one run, beside the fields every probe has."""
    return pick(outcome, "port", "connect_ms")
