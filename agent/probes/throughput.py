"""The throughput prober: a bounded transfer against the collector's throughput endpoint.

"Achievable goodput", not link capacity (Cloudflare / LibreSpeed / ndt7 lessons for a
metered SIM): one TCP connection to a server we control; transfers of ``start_bytes``,
doubling only while each finishes within ``fast_s``; never more than ``max_bytes`` of
payload nor ``max_time_s`` in total; goodput counted after a slow-start grace.

Wire protocol (``collector.throughput`` serves it), ASCII lines ending in ``\\n``::

    -> PANTAU-THROUGHPUT/1 <agent_id>.<secret>
    <- OK <max_request_bytes>                    or  ERR <code> <message>, then close
    -> GET <n>            <- DATA <n>, then n bytes of random data
    -> PUT <n>, n bytes   <- DONE <n> <us>       (us: server time from PUT to last byte)
    -> BYE

``ERR`` codes: ``unauthorized``, ``rate-limited``, ``busy``, ``too-large``, ``bad-request``,
``timeout``.

Timeline: goodput uses "active" time only (a download from its request to its last byte; an
upload as the server timed it), so the idle gaps between ramp steps do not count. The grace
is ``grace_s``, but at most a third of the active time; the one actually used is reported.
``stop_reason``: ``complete`` (a transfer took at least ``fast_s``: long enough to trust),
``byte-cap``, ``time-cap`` or ``error``. An upload cut by the time cap counts what the server
acknowledged by then (TCP_INFO ``bytes_acked``), so a link too slow for even the first
transfer still gets a figure. ``bytes_used`` comes from the kernel's TCP_INFO
byte and segment counters (TLS included); see :mod:`agent.probes.tcpinfo`. A test cut
short (``time-cap``, ``error``) ends with a RST, so that data still queued in the socket is
dropped rather than sent after the count was taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

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
    check_port,
    check_range,
    check_source,
    check_target,
    pick,
)
from agent.probes.tcp import format_hostport

__all__ = [
    "DIRECTIONS",
    "HELLO",
    "ThroughputConfig",
    "ThroughputOutcome",
    "goodput_after_grace",
    "probe",
    "summarize",
]

HELLO = "PANTAU-THROUGHPUT/1"
DIRECTIONS = ("download", "upload")
DEFAULT_PORT = 7601
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class ThroughputConfig:
    target: str
    port: int = DEFAULT_PORT
    direction: str = "download"
    max_bytes: int = 2_000_000  # payload cap for the whole test
    max_time_s: float = 8.0  # time cap for the transfers (connect excluded)
    start_bytes: int = 262_144
    fast_s: float = 1.0  # keep doubling while a transfer finishes within this
    grace_s: float = 0.5
    timeout_s: float = 5.0  # connect + TLS + greeting
    credential: str = field(default="", repr=False)  # "<agent_id>.<secret>"
    credential_file: str = ""
    tls: bool = False
    ca_file: str | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        check_target("target", self.target)
        check_port("port", self.port)
        if self.direction not in DIRECTIONS:
            raise ProbeConfigError(
                f"direction must be 'download' or 'upload', got {self.direction!r}"
            )
        check_range("max_bytes", self.max_bytes, 16_384, 64_000_000)
        check_range("max_time_s", self.max_time_s, 0.1, 60)
        check_range("start_bytes", self.start_bytes, 1024, self.max_bytes)
        check_range("fast_s", self.fast_s, 0.01, 60)
        check_range("grace_s", self.grace_s, 0, 10)
        check_range("timeout_s", self.timeout_s, 0.01, 60)
        check_source("source", self.source)


@dataclass(frozen=True, slots=True)
class ThroughputOutcome:
    """Mirrors ``pantau.v1.ThroughputResult``."""

    common: Common
    direction: str
    payload_bytes: int
    duration_ms: float
    goodput_bps: float | None
    grace_ms: float
    stop_reason: str  # "complete" | "byte-cap" | "time-cap" | "error"
    transfer_sizes_bytes: tuple[int, ...]
    tcp_min_rtt_ms: float | None = None
    tcp_rtt_ms: float | None = None
    tcp_rttvar_ms: float | None = None
    tcp_retransmits: int | None = None
    tcp_snd_cwnd: int | None = None


def goodput_after_grace(
    samples: list[tuple[float, int]], grace_s: float
) -> tuple[float | None, float]:
    """(goodput in bit/s, grace used in s) over ``(active_s, cumulative_bytes)`` samples.

    The grace is ``grace_s`` capped at a third of the active time; the byte count at the
    grace is interpolated linearly between samples. None when no time or bytes remain.
    """
    if len(samples) < 2:
        return None, 0.0
    end_t, end_bytes = samples[-1]
    grace = min(grace_s, end_t / 3.0)
    at_grace = 0.0
    for (t0, b0), (t1, b1) in itertools.pairwise(samples):
        if t0 <= grace <= t1:
            at_grace = b0 if t1 == t0 else b0 + (b1 - b0) * (grace - t0) / (t1 - t0)
            break
    seconds = end_t - grace
    if seconds <= 0 or end_bytes - at_grace <= 0:
        return None, grace
    return (end_bytes - at_grace) * 8.0 / seconds, grace


class _ProtocolError(AgentError):
    def __init__(self, status: ProbeStatus, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(slots=True)
class _Run:
    samples: list[tuple[float, int]] = field(default_factory=lambda: [(0.0, 0)])
    sizes: list[int] = field(default_factory=list)
    moved: int = 0
    active_s: float = 0.0


_ERR_STATUS = {"unauthorized": ProbeStatus.NOT_PERMITTED, "rate-limited": ProbeStatus.NOT_PERMITTED}


async def _line(stream: Stream, deadline: float) -> list[str]:
    async with asyncio.timeout_at(_loop_time(deadline)):
        raw = await stream.reader.readline()
    if not raw.endswith(b"\n"):
        raise _ProtocolError(ProbeStatus.ERROR, "the server closed the connection")
    words = raw.decode("ascii", "replace").split()
    if words and words[0] == "ERR":
        code = words[1] if len(words) > 1 else "?"
        message = " ".join(words[2:])
        status = _ERR_STATUS.get(code, ProbeStatus.ERROR)
        raise _ProtocolError(status, f"the throughput server refused: {code}: {message}")
    return words


def _loop_time(monotonic_deadline: float) -> float:
    loop = asyncio.get_running_loop()
    return loop.time() + (monotonic_deadline - time.monotonic())


async def _download(stream: Stream, size: int, run: _Run, deadline: float) -> None:
    started = time.monotonic()
    stream.writer.write(f"GET {size}\n".encode())
    words = await _line(stream, deadline)
    if words[:1] != ["DATA"] or len(words) != 2 or int(words[1]) != size:
        raise _ProtocolError(ProbeStatus.ERROR, f"unexpected answer to GET: {' '.join(words)!r}")
    left = size
    async with asyncio.timeout_at(_loop_time(deadline)):
        while left:
            chunk = await stream.reader.read(min(left, _CHUNK))
            if not chunk:
                raise _ProtocolError(ProbeStatus.ERROR, "the server closed mid-transfer")
            left -= len(chunk)
            run.moved += len(chunk)
            run.samples.append((run.active_s + time.monotonic() - started, run.moved))
    run.active_s = run.samples[-1][0]


async def _upload(stream: Stream, size: int, run: _Run, deadline: float, data: bytes) -> None:
    started, before = time.monotonic(), run.moved
    acked_before = _acked(stream)
    stream.writer.write(f"PUT {size}\n".encode())
    left = size
    try:
        async with asyncio.timeout_at(_loop_time(deadline)):
            while left:
                n = min(left, len(data))
                stream.writer.write(data[:n])
                await stream.writer.drain()
                left -= n
                run.moved += n
        words = await _line(stream, deadline)
    except TimeoutError:
        # Cut short by the time cap: what the server acknowledged so far is what moved
        # (on a slow link the first transfer may never finish; it still measures).
        acked = _acked(stream)
        if acked is not None and acked_before is not None:
            run.moved = before + max(0, min(size, acked - acked_before))
            run.samples.append((run.active_s + time.monotonic() - started, run.moved))
            run.active_s = run.samples[-1][0]
        raise
    if words[:1] != ["DONE"] or len(words) != 3 or int(words[1]) != size:
        raise _ProtocolError(ProbeStatus.ERROR, f"unexpected answer to PUT: {' '.join(words)!r}")
    run.samples.append((run.active_s + int(words[2]) / 1e6, run.moved))
    run.active_s = run.samples[-1][0]


def _acked(stream: Stream) -> int | None:
    """Bytes the peer has acknowledged on the connection (TCP_INFO), None if unknown."""
    info = tcpinfo.read_tcp_info(stream.sock)
    return info.bytes_acked if info is not None else None


def _reset(stream: Stream) -> None:
    """Close with a RST (``SO_LINGER`` 0): the kernel discards the unsent queue instead of
    sending it after the close, when ``bytes_used`` has already been read."""
    with contextlib.suppress(OSError):
        stream.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    abort_stream(stream)


def _credential(config: ThroughputConfig) -> str | None:
    if config.credential:
        return config.credential.strip()
    if config.credential_file:
        try:
            return Path(config.credential_file).read_text(encoding="utf-8").strip()
        except OSError:
            return None
    return None


async def _transfers(
    stream: Stream, config: ThroughputConfig, token: str, run: _Run
) -> tuple[str, ProbeStatus, str]:
    """Greet, then ramp. Returns (stop_reason, status, reason)."""
    greet_deadline = time.monotonic() + config.timeout_s
    stream.writer.write(f"{HELLO} {token}\n".encode())
    try:
        words = await _line(stream, greet_deadline)
    except TimeoutError:
        return "error", ProbeStatus.TIMEOUT, "the throughput server did not greet in time"
    server_cap = int(words[1]) if len(words) == 2 and words[0] == "OK" else 0
    if server_cap <= 0:
        raise _ProtocolError(ProbeStatus.ERROR, f"unexpected greeting: {' '.join(words)!r}")
    data = os.urandom(_CHUNK) if config.direction == "upload" else b""
    deadline = time.monotonic() + config.max_time_s
    size = config.start_bytes
    while True:
        step = min(size, config.max_bytes - run.moved, server_cap)
        if step <= 0:
            return "byte-cap", ProbeStatus.OK, ""
        run.sizes.append(step)
        started = time.monotonic()
        try:
            if config.direction == "download":
                await _download(stream, step, run, deadline)
            else:
                await _upload(stream, step, run, deadline, data)
        except TimeoutError:
            return "time-cap", ProbeStatus.OK, ""
        if time.monotonic() - started >= config.fast_s:
            return "complete", ProbeStatus.OK, ""
        size *= 2


async def probe(config: ThroughputConfig, *, name: str) -> ThroughputOutcome:
    """One bounded throughput test in ``config.direction``."""
    target = format_hostport(config.target, config.port)
    run = _Run()

    def finish(
        status: ProbeStatus,
        reason: str,
        stop: str,
        *,
        address: str | None = None,
        resolve_ms: float | None = None,
        used: int = 0,
        duration_s: float = 0.0,
        info: tcpinfo.TcpInfo | None = None,
    ) -> ThroughputOutcome:
        goodput, grace = goodput_after_grace(run.samples, config.grace_s)
        common = Common(name, target, address, status, reason, resolve_ms, config.source, used)
        return ThroughputOutcome(
            common=common,
            direction=config.direction,
            payload_bytes=run.moved,
            duration_ms=duration_s * 1000.0,
            goodput_bps=goodput if status is ProbeStatus.OK else None,
            grace_ms=grace * 1000.0,
            stop_reason=stop,
            transfer_sizes_bytes=tuple(run.sizes),
            tcp_min_rtt_ms=info.min_rtt_ms if info else None,
            tcp_rtt_ms=info.rtt_ms if info else None,
            tcp_rttvar_ms=info.rttvar_ms if info else None,
            tcp_retransmits=info.total_retrans if info else None,
            tcp_snd_cwnd=info.snd_cwnd if info else None,
        )

    token = _credential(config)
    if not token:
        where = f"credential_file {config.credential_file}" if config.credential_file else ""
        reason = (
            f"no agent credential: cannot read {where}"
            if where
            else "no agent credential: set credential or credential_file (the kit's credential)"
        )
        return finish(ProbeStatus.ERROR, reason, "error")
    resolved = await resolve(config.target, config.source)
    if isinstance(resolved, Unresolvable):
        return finish(
            ProbeStatus.UNRESOLVABLE, resolved.reason, "error", resolve_ms=resolved.resolve_ms
        )
    started = time.monotonic()
    context = tls_context(ca_file=config.ca_file) if config.tls else None
    stream = await open_stream(
        resolved,
        config.port,
        source=config.source,
        timeout_s=config.timeout_s,
        tls=context,
        server_hostname=config.target,
    )
    address, resolve_ms = resolved.address, resolved.resolve_ms
    if isinstance(stream, StreamFailure):
        return finish(
            stream.status,
            stream.reason,
            "error",
            address=address,
            resolve_ms=resolve_ms,
            used=stream.bytes_used,
        )
    try:
        stop, status, reason = await _transfers(stream, config, token, run)
    except _ProtocolError as err:
        stop, status, reason = "error", err.status, err.reason
    except (OSError, ValueError, asyncio.IncompleteReadError) as err:
        stop, status, reason = "error", ProbeStatus.ERROR, f"transfer failed: {err}"
    except BaseException:  # cancelled (e.g. the scheduler's timeout): never leak the socket
        abort_stream(stream)
        raise
    if status is ProbeStatus.OK and stop != "time-cap":
        stream.writer.write(b"BYE\n")
    duration = time.monotonic() - started
    info = tcpinfo.read_tcp_info(stream.sock)
    used = tcpinfo.wire_bytes(info, stream.family)
    if used is None:  # old kernel: payload plus ~5% of headers and ACKs
        used = run.moved + run.moved // 20 + 1000
    if stop in {"complete", "byte-cap"}:
        await close_stream(stream)
    else:  # cut short: drop what is still queued (it would cross the link uncounted)
        _reset(stream)
    return finish(
        status,
        reason,
        stop,
        address=address,
        resolve_ms=resolve_ms,
        used=used,
        duration_s=duration,
        info=info,
    )


def summarize(outcome: ThroughputOutcome) -> dict[str, object]:
    """What ``pantau-agent check`` reports for one run, beside the fields every probe has."""
    return pick(outcome, "direction", "goodput_bps", "payload_bytes", "duration_ms")
