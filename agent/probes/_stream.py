"""A timed TCP (+ TLS) connection for the stream probers (http, throughput). Private.

Phases, each timed with the monotonic clock: connect (our own socket, so a source address
or interface can be bound; see :mod:`agent.probes._net`), then the TLS handshake when asked.
A failure is a :class:`StreamFailure` with a status and a sentence, never an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from dataclasses import dataclass

from agent.probes import tcpinfo
from agent.probes._net import (
    Resolved,
    bind_source,
    errno_text,
    ip_header_bytes,
    source_error_reason,
    status_for_errno,
)
from agent.probes.base import ProbeStatus
from agent.probes.tcp import format_hostport, syn_transmissions

__all__ = ["Stream", "StreamFailure", "abort_stream", "close_stream", "open_stream", "tls_context"]

_SYN = 40
_RST = 20


@dataclass(slots=True)
class Stream:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    sock: socket.socket
    family: int
    connect_ms: float
    tls_ms: float | None
    tls_version: str | None


@dataclass(frozen=True, slots=True)
class StreamFailure:
    status: ProbeStatus
    reason: str
    bytes_used: int
    connect_ms: float | None = None


def tls_context(*, verify: bool = True, ca_file: str | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def tls_reason(err: ssl.SSLError) -> str:
    if isinstance(err, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted: {err.verify_message}"
    return f"TLS handshake failed: {err.reason or err}"


async def open_stream(
    resolved: Resolved,
    port: int,
    *,
    source: str | None,
    timeout_s: float,
    tls: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
) -> Stream | StreamFailure:
    """Connect (and handshake TLS) within ``timeout_s`` overall."""
    loop = asyncio.get_running_loop()
    ip = ip_header_bytes(resolved.family)
    where = format_hostport(resolved.address, port)
    sock = socket.socket(resolved.family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        bind_source(sock, source)
    except OSError as err:
        sock.close()
        return StreamFailure(ProbeStatus.ERROR, source_error_reason(source, err), 0)
    started = time.monotonic()
    deadline = started + timeout_s
    try:
        async with asyncio.timeout(timeout_s):
            await loop.sock_connect(sock, resolved.with_port(port))
    except TimeoutError:
        sock.close()
        sent = syn_transmissions(time.monotonic() - started) * (ip + _SYN)
        return StreamFailure(
            ProbeStatus.TIMEOUT, f"no answer from {where} within {timeout_s:g} s", sent
        )
    except OSError as err:
        sock.close()
        status = status_for_errno(err.errno)
        if status is ProbeStatus.REFUSED:
            return StreamFailure(status, f"connection to {where} refused", 2 * ip + _SYN + _RST)
        return StreamFailure(status, f"connect to {where}: {errno_text(err)}", 0)
    connect_ms = (time.monotonic() - started) * 1000.0
    tls_started = time.monotonic()
    try:
        async with asyncio.timeout(max(0.0, deadline - tls_started)):
            reader, writer = await asyncio.open_connection(
                sock=sock,
                ssl=tls,
                server_hostname=(server_hostname or resolved.address) if tls else None,
                ssl_handshake_timeout=max(0.01, deadline - tls_started) if tls else None,
            )
    except TimeoutError:
        used = _used(sock, resolved.family)
        sock.close()
        reason = f"TLS handshake with {where} took longer than {timeout_s:g} s"
        return StreamFailure(ProbeStatus.TIMEOUT, reason, used, connect_ms)
    except ssl.SSLError as err:
        used = _used(sock, resolved.family)
        sock.close()
        return StreamFailure(ProbeStatus.TLS_ERROR, tls_reason(err), used, connect_ms)
    except OSError as err:
        used = _used(sock, resolved.family)
        sock.close()
        reason = f"connection to {where} failed during the TLS handshake: {errno_text(err)}"
        return StreamFailure(status_for_errno(err.errno), reason, used, connect_ms)
    tls_ms = (time.monotonic() - tls_started) * 1000.0 if tls else None
    ssl_object = writer.get_extra_info("ssl_object")
    version = ssl_object.version() if ssl_object is not None else None
    return Stream(reader, writer, sock, resolved.family, connect_ms, tls_ms, version)


def _used(sock: socket.socket, family: int) -> int:
    return tcpinfo.wire_bytes(tcpinfo.read_tcp_info(sock), family) or 0


def abort_stream(stream: Stream) -> None:
    """Close at once (RST), e.g. when the probe is cancelled."""
    if not stream.writer.transport.is_closing():
        stream.writer.transport.abort()


async def close_stream(stream: Stream, *, timeout_s: float = 1.0) -> None:
    """Close politely (TLS close_notify, FIN) but never wait longer than ``timeout_s``."""
    stream.writer.close()
    with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
        async with asyncio.timeout(timeout_s):
            await stream.writer.wait_closed()
    if stream.writer.transport is not None and not stream.writer.transport.is_closing():
        stream.writer.transport.abort()
