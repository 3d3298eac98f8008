"""The DNS prober: one query to a resolver, timed; the response code and the answers.

dnspython builds and parses the messages (imported in :func:`probe` only); the UDP (or TCP)
exchange runs on our own socket so the source address or interface binds like every other
prober. ``resolver`` unset: the first ``nameserver`` of ``/etc/resolv.conf`` (the system's
resolver; the record leaves ``resolver`` absent and ``target_address`` says which was asked).

Over UDP one query is sent and the first response with the query's id is taken; a truncated
(TC) response is retried once over TCP, timed from the first send. Outcomes: ``ok``
(NOERROR; an empty answer is still ok), ``unresolvable`` (NXDOMAIN), ``error`` (another
rcode, e.g. SERVFAIL or REFUSED, or a garbled response), ``timeout``, ``refused`` (ICMP port
unreachable: nothing listens on the resolver's port), ``unreachable``.

``bytes_used``: the query and the response with IP and UDP (or TCP) headers.
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.errors import AgentError
from agent.probes._net import (
    Resolved,
    bind_source,
    errno_text,
    ip_header_bytes,
    resolve,
    source_error_reason,
    status_for_errno,
)
from agent.probes._stream import StreamFailure, close_stream, open_stream
from agent.probes.base import (
    Common,
    ProbeConfigError,
    ProbeStatus,
    check_port,
    check_range,
    check_source,
    pick,
    source_is_address,
)
from agent.probes.tcp import format_hostport

__all__ = [
    "QUERY_TYPES",
    "DnsAnswer",
    "DnsConfig",
    "DnsOutcome",
    "probe",
    "summarize",
    "system_resolver",
]

QUERY_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA", "PTR", "SRV", "CAA", "HTTPS")
_RESOLV_CONF = Path("/etc/resolv.conf")


@dataclass(frozen=True, slots=True)
class DnsConfig:
    query_name: str
    query_type: str = "A"
    resolver: str | None = None  # an IP address; None: the system's resolver
    port: int = 53
    transport: str = "udp"  # "udp" (TCP on truncation) or "tcp"
    timeout_s: float = 2.0
    recursion_desired: bool = True
    source: str | None = None

    def __post_init__(self) -> None:
        if not self.query_name or any(ch.isspace() for ch in self.query_name):
            raise ProbeConfigError(f"query_name must be a domain name, got {self.query_name!r}")
        if self.query_type.upper() not in QUERY_TYPES:
            allowed = ", ".join(QUERY_TYPES)
            raise ProbeConfigError(f"query_type must be one of {allowed}, got {self.query_type!r}")
        if self.resolver is not None and not source_is_address(self.resolver):
            raise ProbeConfigError(f"resolver must be an IP address, got {self.resolver!r}")
        check_port("port", self.port)
        if self.transport not in ("udp", "tcp"):
            raise ProbeConfigError(f"transport must be 'udp' or 'tcp', got {self.transport!r}")
        check_range("timeout_s", self.timeout_s, 0.01, 60)
        check_source("source", self.source)


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    name: str
    type: str
    data: str
    ttl_s: int


@dataclass(frozen=True, slots=True)
class DnsOutcome:
    """Mirrors ``pantau.v1.DnsResult``."""

    common: Common
    query_name: str
    query_type: str
    resolver: str | None
    query_ms: float | None
    rcode: str | None
    answers: tuple[DnsAnswer, ...]


def system_resolver(resolv_conf: Path = _RESOLV_CONF) -> str | None:
    """The first ``nameserver`` in resolv.conf (scope ids dropped), or None."""
    try:
        lines = resolv_conf.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver":
            address = words[1].split("%")[0]
            if source_is_address(address):
                return address
    return None


class _Failed(AgentError):
    def __init__(self, status: ProbeStatus, reason: str, used: int = 0) -> None:
        super().__init__(reason)
        self.status, self.reason, self.used = status, reason, used


async def _udp(
    wire: bytes, query_id: int, server: Resolved, port: int, config: DnsConfig
) -> tuple[bytes, int]:
    loop = asyncio.get_running_loop()
    ip = ip_header_bytes(server.family) + 8
    where = format_hostport(server.address, port)
    with socket.socket(server.family, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        try:
            bind_source(sock, config.source)
        except OSError as err:
            raise _Failed(ProbeStatus.ERROR, source_error_reason(config.source, err)) from None
        try:
            sock.connect(server.with_port(port))  # connected: ICMP errors come back as errno
            sock.send(wire)
        except OSError as err:
            reason = f"query to {where}: {errno_text(err)}"
            raise _Failed(status_for_errno(err.errno), reason) from None
        used = ip + len(wire)
        try:
            async with asyncio.timeout(config.timeout_s):
                while True:
                    data = await loop.sock_recv(sock, 65535)
                    used += ip + len(data)
                    if len(data) >= 2 and int.from_bytes(data[:2], "big") == query_id:
                        return data, used
        except TimeoutError:
            reason = f"no answer from {where} within {config.timeout_s:g} s"
            raise _Failed(ProbeStatus.TIMEOUT, reason, used) from None
        except OSError as err:
            status = status_for_errno(err.errno)
            if status is ProbeStatus.REFUSED:
                reason = f"nothing answers DNS on {where} (port unreachable)"
            else:
                reason = f"query to {where}: {errno_text(err)}"
            raise _Failed(status, reason, used + ip + 28) from None


async def _tcp(wire: bytes, server: Resolved, port: int, config: DnsConfig) -> tuple[bytes, int]:
    stream = await open_stream(server, port, source=config.source, timeout_s=config.timeout_s)
    if isinstance(stream, StreamFailure):
        raise _Failed(stream.status, stream.reason, stream.bytes_used)
    header = ip_header_bytes(server.family) + 32
    try:
        stream.writer.write(len(wire).to_bytes(2, "big") + wire)
        async with asyncio.timeout(config.timeout_s):
            size = int.from_bytes(await stream.reader.readexactly(2), "big")
            data = await stream.reader.readexactly(size)
    except TimeoutError:
        reason = f"no answer over TCP from {format_hostport(server.address, port)}"
        raise _Failed(ProbeStatus.TIMEOUT, reason, 0) from None
    except (OSError, asyncio.IncompleteReadError) as err:
        raise _Failed(ProbeStatus.ERROR, f"DNS over TCP failed: {err}") from None
    finally:
        await close_stream(stream)
    # handshake (3), query, response, their ACKs, and the close (4)
    return data, len(wire) + len(data) + 4 + 11 * header


def _answers(response: Any) -> tuple[DnsAnswer, ...]:
    import dns.rdatatype

    out = []
    for rrset in response.answer:
        kind = dns.rdatatype.to_text(rrset.rdtype)
        for rdata in rrset:
            out.append(DnsAnswer(rrset.name.to_text(), kind, rdata.to_text(), int(rrset.ttl)))
    return tuple(out)


async def probe(config: DnsConfig, *, name: str) -> DnsOutcome:
    """Ask ``config.resolver`` (or the system's) for ``query_name``/``query_type``, once."""
    qtype = config.query_type.upper()
    resolver = config.resolver or system_resolver()

    def outcome(
        status: ProbeStatus,
        reason: str,
        used: int = 0,
        *,
        query_ms: float | None = None,
        rcode: str | None = None,
        answers: tuple[DnsAnswer, ...] = (),
    ) -> DnsOutcome:
        target = config.resolver or "system"
        common = Common(name, target, resolver, status, reason, None, config.source, used)
        return DnsOutcome(
            common, config.query_name, qtype, config.resolver, query_ms, rcode, answers
        )

    try:
        import dns.exception
        import dns.message
        import dns.rcode
    except ImportError:
        return outcome(ProbeStatus.ERROR, "the dns prober needs dnspython (pip install dnspython)")
    if resolver is None:
        return outcome(ProbeStatus.ERROR, f"no resolver configured and none in {_RESOLV_CONF}")
    server = await resolve(resolver, config.source)
    if not isinstance(server, Resolved):
        return outcome(ProbeStatus.ERROR, server.reason)
    query = dns.message.make_query(config.query_name, qtype)
    if not config.recursion_desired:
        query.flags &= ~0x0100  # RD
    wire = query.to_wire()
    started = time.monotonic()
    used = 0
    try:
        if config.transport == "udp":
            data, used = await _udp(wire, query.id, server, config.port, config)
            response = dns.message.from_wire(data, ignore_trailing=True, raise_on_truncation=False)
            if response.flags & 0x0200:  # TC: the answer did not fit in UDP
                data, tcp_used = await _tcp(wire, server, config.port, config)
                used += tcp_used
        else:
            data, used = await _tcp(wire, server, config.port, config)
        response = dns.message.from_wire(data, ignore_trailing=True)
    except _Failed as failed:
        return outcome(failed.status, failed.reason, used + failed.used)
    except dns.exception.DNSException as err:
        return outcome(ProbeStatus.ERROR, f"garbled DNS response: {err}", used)
    query_ms = (time.monotonic() - started) * 1000.0
    if not query.is_response(response):
        return outcome(
            ProbeStatus.ERROR, "the response does not match the query", used, query_ms=query_ms
        )
    rcode = dns.rcode.to_text(response.rcode())
    answers = _answers(response)
    if rcode == "NOERROR":
        return outcome(ProbeStatus.OK, "", used, query_ms=query_ms, rcode=rcode, answers=answers)
    if rcode == "NXDOMAIN":
        reason = f"{config.query_name} does not exist (NXDOMAIN from {resolver})"
        return outcome(
            ProbeStatus.UNRESOLVABLE, reason, used, query_ms=query_ms, rcode=rcode, answers=answers
        )
    reason = f"resolver {resolver} answered {rcode}"
    return outcome(ProbeStatus.ERROR, reason, used, query_ms=query_ms, rcode=rcode, answers=answers)


def summarize(outcome: DnsOutcome) -> dict[str, object]:
    """What ``pantau-agent check`` reports for one run, beside the fields every probe has."""
    return pick(outcome, "query_ms", "rcode")
