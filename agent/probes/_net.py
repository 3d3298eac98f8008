"""Socket plumbing shared by the probers: name resolution, source binding, errno -> status.

Private to ``agent.probes``. Everything here measures with the monotonic clock.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import os
import socket
import time
from dataclasses import dataclass

from agent.probes.base import Common, ProbeStatus, source_is_address

__all__ = [
    "Resolved",
    "Unresolvable",
    "bind_source",
    "common_for",
    "errno_text",
    "ip_header_bytes",
    "resolve",
    "source_error_reason",
    "status_for_errno",
]

SockAddr = tuple[str, int] | tuple[str, int, int, int]


@dataclass(frozen=True, slots=True)
class Resolved:
    """The address a target resolved to (resolved once per probe)."""

    address: str
    family: socket.AddressFamily
    sockaddr: SockAddr  # port 0; use :meth:`with_port` for TCP
    resolve_ms: float | None  # None for a literal address

    def with_port(self, port: int) -> SockAddr:
        if self.family == socket.AF_INET6:
            host, _, flowinfo, scope_id = self.sockaddr  # type: ignore[misc]
            return (host, port, flowinfo, scope_id)
        return (self.sockaddr[0], port)


@dataclass(frozen=True, slots=True)
class Unresolvable:
    reason: str
    resolve_ms: float | None


def common_for(
    name: str,
    target: str,
    resolved: Resolved | Unresolvable | None,
    status: ProbeStatus,
    reason: str,
    *,
    source: str | None,
    bytes_used: int,
) -> Common:
    """The part every outcome has, for a target resolved as ``resolved`` (None: not
    resolved at all; Unresolvable: no address, but the time spent trying)."""
    return Common(
        probe_name=name,
        target=target,
        target_address=resolved.address if isinstance(resolved, Resolved) else None,
        status=status,
        reason=reason,
        resolve_ms=resolved.resolve_ms if resolved is not None else None,
        source=source,
        bytes_used=bytes_used,
    )


def _family_for_source(source: str | None) -> int:
    if source is None or not source_is_address(source):
        return socket.AF_UNSPEC
    version = ipaddress.ip_address(source).version
    return socket.AF_INET6 if version == 6 else socket.AF_INET


async def resolve(target: str, source: str | None) -> Resolved | Unresolvable:
    """Resolve ``target`` once, timing it; literal addresses are not looked up (resolve_ms None).

    When ``source`` is an IP address, only addresses of its family are considered.
    """
    family = _family_for_source(source)
    literal = source_is_address(target)
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    try:
        if literal:
            infos = socket.getaddrinfo(
                target, 0, family, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST
            )
        else:
            infos = await loop.getaddrinfo(target, 0, family=family, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        elapsed = None if literal else (time.monotonic() - started) * 1000.0
        families: dict[int, str] = {socket.AF_INET: "IPv4 ", socket.AF_INET6: "IPv6 "}
        wanted = families.get(family, "")
        return Unresolvable(f"{target!r} has no {wanted}address: {err.strerror}", elapsed)
    resolve_ms = None if literal else (time.monotonic() - started) * 1000.0
    for fam, _type, _proto, _canon, sockaddr in infos:
        if fam in (socket.AF_INET, socket.AF_INET6):
            return Resolved(str(sockaddr[0]), fam, sockaddr, resolve_ms)  # type: ignore[arg-type]
    return Unresolvable(f"{target!r} resolved to no IPv4 or IPv6 address", resolve_ms)


def bind_source(sock: socket.socket, source: str | None) -> None:
    """Bind to a source address, or to an interface with SO_BINDTODEVICE. Raises OSError."""
    if source is None:
        return
    if source_is_address(source):
        sock.bind((source, 0))
    else:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, source.encode())


def source_error_reason(source: str | None, err: OSError) -> str:
    """A sentence for a failed :func:`bind_source`."""
    what = "address" if source is not None and source_is_address(source) else "interface"
    if err.errno == errno.ENODEV:
        return f"source interface {source!r} does not exist on this kit"
    if err.errno == errno.EADDRNOTAVAIL:
        return f"source address {source} is not assigned to any interface of this kit"
    if err.errno in (errno.EPERM, errno.EACCES):
        return f"binding to source {what} {source!r} is not permitted (needs CAP_NET_RAW)"
    if err.errno in (errno.EAFNOSUPPORT, errno.EINVAL):
        return f"source {what} {source!r} does not match the target's address family"
    return f"cannot bind to source {what} {source!r}: {err.strerror or err}"


_UNREACHABLE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN})


def status_for_errno(code: int | None) -> ProbeStatus:
    """Map a socket errno to a probe status (connect, sendto)."""
    if code == errno.ECONNREFUSED:
        return ProbeStatus.REFUSED
    if code == errno.ETIMEDOUT:
        return ProbeStatus.TIMEOUT
    if code in _UNREACHABLE:
        return ProbeStatus.UNREACHABLE
    if code in (errno.EPERM, errno.EACCES):
        return ProbeStatus.NOT_PERMITTED
    return ProbeStatus.ERROR


def errno_text(err: OSError) -> str:
    if err.errno is not None:
        name = errno.errorcode.get(err.errno, str(err.errno))
        return f"{err.strerror or os.strerror(err.errno)} ({name})"
    return str(err) or type(err).__name__


def ip_header_bytes(family: int) -> int:
    """Bytes of IP header on the wire (no options / extension headers)."""
    return 40 if family == socket.AF_INET6 else 20
