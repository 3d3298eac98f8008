"""``pantau-agent check``'s speed test: download, then upload, against the collector's
throughput endpoint (:mod:`collector.throughput`), like a phone's speed test but bounded.

Which endpoint (:func:`plan`): a configured ``[[probe]] kind = "throughput"`` when there is
one; otherwise the collector's own host at ``[check] throughput_port`` (default 7601), with
TLS when the collector has a ``ca_file`` (pinned to it, as the Telemetry channel is) and
the kit's credential. ``[check] upload_test = false`` (``init --no-upload-test``): the
technician declined the test; the report says "declined" and check "not measured".

Bounds: each direction moves at most ``[check] test_max_bytes`` of payload (default 2 MB)
in at most ``test_max_time_s`` seconds (default 6; the connection's setup is capped at 5 s
more), so one check moves at most twice the byte cap. The collector adds its own caps (4 MB
a request, 8 MB a session, 12 sessions an hour per kit; one check uses two sessions).

Figures per direction: goodput (Mbit/s, :mod:`agent.probes.throughput`), and the latency
and jitter under load: the kernel's smoothed RTT of the test connection and its mean
deviation (``TCP_INFO`` rtt / rttvar) at the end of the transfer, while the link is full;
``min_rtt_ms`` is the lowest RTT the connection saw (closest to the idle latency).

Bytes: ``bytes_used`` of each direction is what the kernel counted on the socket (payload
both ways, retransmissions included, plus IP/TCP headers per segment: TLS included), not
the nominal payload; the report's ``bytes_used`` is the sum of both directions, and check
charges it to the daily data budget.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import TYPE_CHECKING, Any

from agent.tech.report import Throughput

if TYPE_CHECKING:
    from agent.probes.throughput import ThroughputConfig, ThroughputOutcome
    from agent.tech.check import CheckOptions

__all__ = ["details_of", "plan", "run_speedtest"]

log = logging.getLogger(__name__)

#: Seconds allowed for the connection's setup (connect, TLS, greeting) of each direction.
SETUP_S = 5.0


def plan(options: CheckOptions) -> ThroughputConfig | str:
    """The throughput config to test with (direction to be set), or the status saying
    why no test runs: ``skipped`` (``--no-throughput``), ``declined`` (the kit's config
    says ``upload_test = false``), ``not-configured`` (no endpoint known)."""
    from agent import probes
    from agent.probes.throughput import ThroughputConfig

    if not options.throughput:
        return "skipped"
    if options.upload_test is False:
        return "declined"
    entry = next((e for e in options.probes if e.kind == "throughput"), None)
    token = options.credential or ""
    if entry is not None:
        config: ThroughputConfig = probes.with_credential(entry.config, token)
    elif options.upload_test and options.collector:
        host, _, _ = options.collector.rpartition(":")
        config = ThroughputConfig(
            target=host.strip("[]"),
            port=options.throughput_port,
            tls=bool(options.ca_file),
            ca_file=options.ca_file or None,
            credential=token,
        )
    else:
        return "not-configured"
    return dataclasses.replace(
        config,
        max_bytes=min(config.max_bytes, options.test_max_bytes),
        start_bytes=min(config.start_bytes, options.test_max_bytes),
        max_time_s=min(config.max_time_s, options.throughput_time_s),
        timeout_s=min(config.timeout_s, SETUP_S),
    )


def details_of(outcome: ThroughputOutcome) -> dict[str, Any]:
    """A direction's figures in the report (see the module docstring)."""
    return {
        "direction": outcome.direction,
        "goodput_bps": outcome.goodput_bps,
        "payload_bytes": outcome.payload_bytes,
        "duration_ms": round(outcome.duration_ms, 1),
        "stop_reason": outcome.stop_reason,
        "latency_ms": outcome.tcp_rtt_ms,
        "jitter_ms": outcome.tcp_rttvar_ms,
        "min_rtt_ms": outcome.tcp_min_rtt_ms,
        "retransmits": outcome.tcp_retransmits,
    }


async def _one(options: CheckOptions, config: ThroughputConfig, direction: str) -> Throughput:
    """One direction, bounded by the config's caps plus a margin (then cancelled)."""
    from agent.probes import throughput

    config = dataclasses.replace(config, direction=direction)
    limit = config.max_time_s + config.timeout_s + 3.0
    task = asyncio.ensure_future(throughput.probe(config, name=f"check-{direction}"))
    started = time.monotonic()
    what = f"throughput-{direction}"
    try:
        while not task.done():
            if options.progress is not None:
                options.progress(what, time.monotonic() - started, config.max_time_s)
            await asyncio.wait({task}, timeout=0.2)
            if time.monotonic() - started > limit:
                task.cancel()
                return Throughput("timeout", f"no result within {limit:g} s")
        outcome = task.result()
    except Exception as exc:  # isolation: a prober bug must not end the check
        # The throughput prober reports failures in its outcome and raises nothing on
        # purpose: whatever arrives here is a bug, logged.
        log.exception("the throughput probe raised")
        return Throughput("error", f"{type(exc).__name__}: {exc}")
    finally:
        if options.progress is not None:
            options.progress(what, -1.0, config.max_time_s)
    return Throughput(
        str(outcome.common.status),
        outcome.common.reason or None,
        target=f"{config.target}:{config.port}",
        details=details_of(outcome),
        bytes_used=outcome.common.bytes_used,
    )


async def run_speedtest(options: CheckOptions) -> Throughput:
    """Download, then upload: the upload's figures at the top (the photos go up), the
    download's under ``download``, ``bytes_used`` for both."""
    config = plan(options)
    need = options.upload_need_bps
    if isinstance(config, str):
        return Throughput(config, need_bps=need)
    down = await _one(options, config, "download")
    up = await _one(options, config, "upload")
    return dataclasses.replace(
        up, download=down, need_bps=need, bytes_used=up.bytes_used + down.bytes_used
    )
