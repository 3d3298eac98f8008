"""The HTTP prober: one request, timed phase by phase (blackbox_exporter's http prober).

Phases (monotonic clock): resolve -> connect -> TLS (https only) -> first byte (request sent
until the first response byte) -> transfer (first byte until the last byte read) -> total
(resolve start until the last byte). HTTP/1.1, ``Connection: close``, ``Accept-Encoding:
identity``; redirects are not followed (a 3xx is an answer).

The body is read up to ``max_body_bytes`` and the connection is then closed: a kit on a
metered SIM never downloads more than it was told. ``body_bytes`` counts the body as it came
on the wire (chunk framing included for a chunked body). Outcomes: ``ok`` for a status in
``valid_status`` (default 2xx and 3xx), ``error`` for another status or a garbled response
(``status_code`` is still recorded), ``tls-error``, ``timeout`` (connect, TLS, or no complete
response within ``timeout_s``), ``refused``, ``unreachable``, ``unresolvable``.

``bytes_used`` comes from the kernel's TCP_INFO counters (TLS included), see
:mod:`agent.probes.tcpinfo`.
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
from dataclasses import dataclass

from agent.errors import AgentError
from agent.probes import tcpinfo
from agent.probes._net import Unresolvable, resolve
from agent.probes._stream import (
    Stream,
    StreamFailure,
    abort_stream,
    close_stream,
    open_stream,
    tls_context,
)
from agent.probes.base import (
    Common,
    ProbeConfigError,
    ProbeStatus,
    check_range,
    check_source,
    pick,
)

__all__ = ["HttpConfig", "HttpOutcome", "probe", "summarize"]

_MAX_HEADER_BYTES = 32 * 1024


@dataclass(frozen=True, slots=True)
class HttpConfig:
    url: str
    method: str = "GET"  # GET or HEAD
    timeout_s: float = 10.0
    max_body_bytes: int = 65_536
    valid_status: str = "2xx,3xx"  # comma-separated codes or classes ("200", "2xx")
    verify_tls: bool = True
    ca_file: str | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ProbeConfigError(
                f"url must be an http:// or https:// URL with a host, got {self.url!r}"
            )
        try:
            _ = parts.port
        except ValueError:
            raise ProbeConfigError(f"url has an invalid port: {self.url!r}") from None
        if self.method not in ("GET", "HEAD"):
            raise ProbeConfigError(f"method must be 'GET' or 'HEAD', got {self.method!r}")
        check_range("timeout_s", self.timeout_s, 0.01, 120)
        check_range("max_body_bytes", self.max_body_bytes, 0, 64_000_000)
        for raw in self.valid_status.split(","):
            item = raw.strip().lower()
            code_or_class = item.isdigit() or (item[:1].isdigit() and item[1:] == "xx")
            if len(item) != 3 or not code_or_class:
                raise ProbeConfigError(
                    "valid_status must list codes or classes like '200,3xx', "
                    f"got {self.valid_status!r}"
                )
        check_source("source", self.source)


@dataclass(frozen=True, slots=True)
class HttpOutcome:
    """Mirrors ``pantau.v1.HttpResult``."""

    common: Common
    url: str
    method: str
    status_code: int | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    first_byte_ms: float | None = None
    transfer_ms: float | None = None
    total_ms: float | None = None
    body_bytes: int = 0
    tls_version: str | None = None


def status_is_valid(code: int, valid: str) -> bool:
    text = str(code)
    for raw in valid.split(","):
        item = raw.strip().lower()
        if item == text or (item.endswith("xx") and item[0] == text[0]):
            return True
    return False


class _Bad(AgentError):
    def __init__(self, status: ProbeStatus, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(slots=True)
class _Response:
    status_code: int | None = None
    first_byte_at: float | None = None
    last_byte_at: float | None = None
    body_bytes: int = 0


def _content_length(headers: list[tuple[str, str]]) -> int | None:
    for key, value in headers:
        if key == "content-length" and value.strip().isdigit():
            return int(value)
    return None


async def _exchange(stream: Stream, config: HttpConfig, response: _Response) -> None:
    parts = urllib.parse.urlsplit(config.url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    host = parts.netloc.rpartition("@")[2]
    request = (
        f"{config.method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: pantau-agent\r\n"
        "Accept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n"
    )
    stream.writer.write(request.encode("ascii", "replace"))
    reader = stream.reader
    first = await reader.read(1)
    response.first_byte_at = response.last_byte_at = time.monotonic()
    if not first:
        raise _Bad(ProbeStatus.ERROR, "the server closed the connection without a response")
    try:
        head = first + await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        raise _Bad(ProbeStatus.ERROR, "response headers too long") from None
    except asyncio.IncompleteReadError:
        raise _Bad(ProbeStatus.ERROR, "the response ended inside its headers") from None
    response.last_byte_at = time.monotonic()
    if len(head) > _MAX_HEADER_BYTES:
        raise _Bad(ProbeStatus.ERROR, "response headers too long")
    lines = head.decode("iso-8859-1").split("\r\n")
    status_line = lines[0].split(" ", 2)
    if (
        len(status_line) < 2
        or not status_line[0].startswith("HTTP/")
        or not status_line[1].isdigit()
    ):
        raise _Bad(ProbeStatus.ERROR, f"not an HTTP response: {lines[0][:80]!r}")
    response.status_code = int(status_line[1])
    headers = [
        (k.strip().lower(), v.strip())
        for k, _, v in (line.partition(":") for line in lines[1:] if line)
    ]
    if config.method == "HEAD" or response.status_code in (204, 304) or response.status_code < 200:
        return
    length = _content_length(headers)
    limit = config.max_body_bytes if length is None else min(length, config.max_body_bytes)
    while response.body_bytes < limit:
        chunk = await reader.read(min(65536, limit - response.body_bytes))
        if not chunk:
            break
        response.body_bytes += len(chunk)
        response.last_byte_at = time.monotonic()


async def probe(config: HttpConfig, *, name: str) -> HttpOutcome:
    """Fetch ``config.url`` once; every phase timed."""
    parts = urllib.parse.urlsplit(config.url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    started = time.monotonic()
    resolved = await resolve(host, config.source)
    if isinstance(resolved, Unresolvable):
        failed = Common(
            name,
            config.url,
            None,
            ProbeStatus.UNRESOLVABLE,
            resolved.reason,
            resolved.resolve_ms,
            config.source,
            0,
        )
        return HttpOutcome(failed, config.url, config.method)
    deadline = started + config.timeout_s
    context = (
        tls_context(verify=config.verify_tls, ca_file=config.ca_file)
        if parts.scheme == "https"
        else None
    )
    stream = await open_stream(
        resolved,
        port,
        source=config.source,
        timeout_s=max(0.01, deadline - time.monotonic()),
        tls=context,
        server_hostname=host,
    )

    def common(status: ProbeStatus, reason: str, used: int) -> Common:
        return Common(
            name,
            config.url,
            resolved.address,
            status,
            reason,
            resolved.resolve_ms,
            config.source,
            used,
        )

    if isinstance(stream, StreamFailure):
        return HttpOutcome(
            common(stream.status, stream.reason, stream.bytes_used),
            config.url,
            config.method,
            connect_ms=stream.connect_ms,
        )
    response = _Response()
    request_at = time.monotonic()
    status, reason = ProbeStatus.OK, ""
    try:
        async with asyncio.timeout(max(0.0, deadline - request_at)):
            await _exchange(stream, config, response)
    except TimeoutError:
        phase = "first byte" if response.first_byte_at is None else "the rest of the response"
        status, reason = ProbeStatus.TIMEOUT, f"no {phase} within {config.timeout_s:g} s"
    except _Bad as bad:
        status, reason = bad.status, bad.reason
    except (OSError, asyncio.IncompleteReadError) as err:
        status, reason = ProbeStatus.ERROR, f"connection failed during the exchange: {err}"
    except BaseException:  # cancelled (e.g. the scheduler's timeout): never leak the socket
        abort_stream(stream)
        raise
    code = response.status_code
    if (
        status is ProbeStatus.OK
        and code is not None
        and not status_is_valid(code, config.valid_status)
    ):
        status = ProbeStatus.ERROR
        reason = f"HTTP status {response.status_code} (expected {config.valid_status})"
    info = tcpinfo.read_tcp_info(stream.sock)
    used = tcpinfo.wire_bytes(info, stream.family)
    await close_stream(stream)
    if used is None:
        used = response.body_bytes + 2000
    first_byte_ms = transfer_ms = total_ms = None
    if response.first_byte_at is not None and response.last_byte_at is not None:
        first_byte_ms = (response.first_byte_at - request_at) * 1000.0
        transfer_ms = (response.last_byte_at - response.first_byte_at) * 1000.0
        if status is ProbeStatus.OK or response.status_code is not None:
            total_ms = (response.last_byte_at - started) * 1000.0
    return HttpOutcome(
        common=common(status, reason, used),
        url=config.url,
        method=config.method,
        status_code=response.status_code,
        connect_ms=stream.connect_ms,
        tls_ms=stream.tls_ms,
        first_byte_ms=first_byte_ms,
        transfer_ms=transfer_ms,
        total_ms=total_ms,
        body_bytes=response.body_bytes,
        tls_version=stream.tls_version,
    )


def summarize(outcome: HttpOutcome) -> dict[str, object]:
    """What ``pantau-agent check`` reports for one run, beside the fields every probe has."""
    return pick(outcome, "status_code", "total_ms")
