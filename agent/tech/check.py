"""``pantau-agent check``: gathering the readiness facts, each step bounded in time.

Steps (the modem, the network probes and the collector run at the same time; the
throughput test runs last so it does not disturb the pings):

1. modem: open the AT port, identity, up to ``samples`` readings a second apart (the
   median of each quantity is graded); while the SIM is ready but not registered, keep
   reading for up to ``register_wait_s``. With ``watch_s`` (``--watch N``) it keeps
   reading for N seconds and grades the last ``samples`` readings; every reading goes
   to ``on_reading`` (the live sparkline on a terminal, :mod:`agent.tech.live`). When
   the port is held by the running agent, its last reading (from its status file)
   stands in (:mod:`agent.tech.check_modem`).
2. probes: TCP connect and ping (ICMP, or TCP connect timing where ICMP is not
   permitted) to the collector, DNS for its name, and one run of each configured
   probe of a cheap kind that has a check summary in agent.probes.PROBERS (timeouts
   capped; ICMP probes send at least ``ping_count`` packets, ``ping_interval_s`` apart,
   so that their loss can be judged: :func:`agent.tech.verdict.loss_above_threshold`).
3. collector: a Telemetry stream with the kit's credential: Hello -> Welcome (proves
   reachable and enrolled; gives the clock offset NTP-style); nothing is sent after
   (:mod:`agent.tech.check_collector`).
4. speed test: download, then upload, to the collector's throughput endpoint, each
   direction capped in bytes and seconds (:mod:`agent.tech.speedtest`).
5. local facts: room on the data directory's disk (free space for the spool's reserve
   and the kit's files, and a real write: :mod:`agent.diskroom`), spool backlog, clock
   sync (adjtimex), data used today.

The result is a typed :class:`~agent.tech.report.Report` (its JSON schema in
:mod:`agent.cli_tech`); findings and the verdict come from
:func:`agent.tech.assess.assess` (pure).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.tech import facts
from agent.tech.assess import assess
from agent.tech.cells_view import cells_section
from agent.tech.check_collector import hello
from agent.tech.check_modem import ModemFacts, from_agent, modem_sections, read_modem
from agent.tech.report import (
    ClockSection,
    CollectorSection,
    NetworkSection,
    Photos,
    ProbeResult,
    ProbesSection,
    Report,
    Throughput,
)
from agent.tech.speedtest import run_speedtest
from pantau.core.aio import within

__all__ = ["CheckOptions", "assess", "gather", "hello", "photos_estimate", "progress_bar"]

log = logging.getLogger(__name__)

#: Typical achievable upload goodput (bit/s) by generation and grade, used to estimate
#: the photo upload when no throughput test ran (conservative field figures).
UPLOAD_ESTIMATE_BPS: dict[str, dict[str, float]] = {
    "5G": {"excellent": 20e6, "good": 10e6, "fair": 4e6, "poor": 1e6},
    "4G": {"excellent": 10e6, "good": 5e6, "fair": 2e6, "poor": 0.5e6},
    "3G": {"excellent": 2e6, "good": 1e6, "fair": 0.5e6, "poor": 0.2e6},
    "2G": {"excellent": 0.1e6, "good": 0.08e6, "fair": 0.05e6, "poor": 0.02e6},
}
#: Protocol and retry overhead added to a photo upload estimate.
UPLOAD_OVERHEAD = 1.15


@dataclass(frozen=True, slots=True)
class CheckOptions:
    port: str = ""
    dialect: str = "auto"
    command_timeout_s: float = 3.0
    collector: str = ""
    ca_file: str = ""
    insecure: bool = False
    credential: str | None = None  # None: none configured (not enrolled)
    credential_problem: str | None = None
    #: A configuration says whether the kit has a credential; without one (only
    #: ``--collector``) the check proves reachability, not enrollment.
    enrollment_known: bool = True
    agent_id: str = ""
    site: str = ""
    data_dir: Path | None = None
    probes: tuple[Any, ...] = ()  # agent.config.ProbeEntry
    daily_bytes: int | None = None
    photos_mb: float = 30.0
    throughput: bool = True  # False: --no-throughput (skipped)
    #: ``[check] upload_test`` of the kit's config; None without a config (then only a
    #: configured throughput probe is tested).
    upload_test: bool | None = None
    throughput_port: int = 7601
    upload_need_bps: float = 3_000_000.0
    test_max_bytes: int = 2_000_000  # per direction
    samples: int = 3
    #: The collector's pings: enough packets for the loss rule of agent.tech.verdict.
    ping_count: int = 100
    ping_interval_s: float = 0.05
    register_wait_s: float = 10.0
    modem_timeout_s: float = 25.0
    probe_timeout_s: float = 10.0
    collector_timeout_s: float = 10.0
    throughput_time_s: float = 6.0  # per direction
    #: --watch: keep reading the modem (a second apart) this long before the verdict.
    watch_s: float = 0.0
    #: Called with each modem reading (SignalSample), from the modem's thread: the
    #: live signal view (agent.tech.live) on a terminal.
    on_reading: Callable[[Any], None] | None = field(default=None, repr=False)
    progress: Callable[[str, float, float], None] | None = field(default=None, repr=False)


# -- probes ------------------------------------------------------------------------------


def _split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def probe_plan(options: CheckOptions) -> list[tuple[str, str, Any]]:
    """(name, kind, config) of the probes to run once: the collector's, then the
    configured icmp / tcp / dns / http probes (timeouts capped)."""
    from agent import probes
    from agent.probes.base import is_dns_name

    plan: list[tuple[str, str, Any]] = []
    if options.collector:
        host, port = _split(options.collector)
        plan.append(("collector-tcp", "tcp", probes.TcpConfig(host, port, timeout_s=5.0)))
        plan.append(
            (
                "collector-ping",
                "icmp",
                probes.IcmpConfig(
                    host,
                    count=options.ping_count,
                    interval_s=options.ping_interval_s,
                    timeout_s=1.0,
                    tcp_fallback_port=port,
                ),
            )
        )
        if is_dns_name(host):
            plan.append(("collector-dns", "dns", probes.DnsConfig(host, timeout_s=3.0)))
    cap = options.probe_timeout_s
    for entry in options.probes:
        spec = probes.PROBERS[entry.kind]
        if spec.summarize is None or spec.expensive:
            continue  # not run by check, or run in its own step (agent.tech.speedtest)
        config = probes.with_credential(entry.config, options.credential or "")
        if isinstance(config, probes.IcmpConfig):
            # Enough packets for the loss rule (agent.tech.verdict), at the check's pace.
            config = dataclasses.replace(
                config,
                count=max(config.count, options.ping_count),
                interval_s=options.ping_interval_s,
            )
        timeout = getattr(config, "timeout_s", None)
        if isinstance(timeout, float) and timeout > cap / 2:
            config = dataclasses.replace(config, timeout_s=cap / 2)
        plan.append((entry.name, entry.kind, config))
    return plan


def _probe_summary(kind: str, outcome: Any) -> ProbeResult:
    """The fields every probe has, then the kind's own (from the prober registry)."""
    from agent import probes

    common = outcome.common
    summarize = probes.PROBERS[kind].summarize
    return ProbeResult(
        kind=kind,
        target=common.target,
        address=common.target_address,
        status=str(common.status),
        reason=common.reason or None,
        bytes_used=common.bytes_used,
        details=summarize(outcome) if summarize is not None else {},
    )


async def run_probes(options: CheckOptions) -> dict[str, ProbeResult]:
    """Run the plan concurrently; ``{name: summary}`` (a probe that overran: timeout)."""
    from agent import probes

    plan = probe_plan(options)

    async def one(name: str, kind: str, config: Any) -> ProbeResult:
        spec = probes.PROBERS[kind]
        try:
            outcome = await within(spec.probe(config, name=name), options.probe_timeout_s)
        except TimeoutError:
            return ProbeResult(
                kind,
                probes.target_of(config),
                "timeout",
                f"no result within {options.probe_timeout_s:g} s",
                measured=False,
            )
        except Exception as exc:  # isolation: a prober bug must not end the check
            # Probers report failures in their outcome and raise nothing on purpose, so
            # there is no known error to name here: whatever arrives is a bug, logged.
            log.exception("probe %s (%s) raised", name, kind)
            reason = f"{type(exc).__name__}: {exc}"
            return ProbeResult(kind, probes.target_of(config), "error", reason, measured=False)
        return _probe_summary(kind, outcome)

    results = await asyncio.gather(*(one(*item) for item in plan))
    return {name: result for (name, _, _), result in zip(plan, results, strict=True)}


# -- photos ------------------------------------------------------------------------------


def photos_estimate(
    photos_mb: float, throughput: Throughput, network: NetworkSection, grade: str | None
) -> Photos:
    """Seconds to upload ``photos_mb`` MB: from the measured upload goodput, else from
    the signal (:data:`UPLOAD_ESTIMATE_BPS`); None without service."""
    total = int(photos_mb * 1_000_000)
    bps = throughput.goodput_bps if throughput.status == "ok" else None
    basis = "measured"
    if not bps:
        basis = "estimated"
        gen = network.generation
        bps = (
            UPLOAD_ESTIMATE_BPS.get(gen or "", {}).get(grade or "") if network.registered else None
        )
    if not bps:
        return Photos(total)
    seconds = total * 8 / float(bps) * UPLOAD_OVERHEAD
    return Photos(total, uplink_bps=float(bps), basis=basis, seconds=seconds)


# -- the whole check -----------------------------------------------------------------------


async def gather(options: CheckOptions) -> Report:
    """Every section of the report (without verdict, reasons and advice)."""
    from agent import clock

    asyncio.get_running_loop().set_default_executor(facts.DaemonExecutor())
    started = time.monotonic()
    modem_timeout_s = options.modem_timeout_s + options.watch_s
    deadline = started + modem_timeout_s

    async def modem_step() -> ModemFacts:
        if not options.port:
            return ModemFacts("not-configured")
        try:
            m = await facts.in_thread(lambda: read_modem(options, deadline), modem_timeout_s + 2.0)
        except TimeoutError:
            return ModemFacts("no-answer", f"no reading within {modem_timeout_s:g} s")
        if m.status == "busy":
            return from_agent(options, m)
        return m

    modem_facts, probe_results, collector = await asyncio.gather(
        modem_step(), run_probes(options), hello(options)
    )
    collector = _with_tcp(collector, probe_results.get("collector-tcp"))
    throughput = await run_speedtest(options)
    modem, sim, network, signal = modem_sections(modem_facts, options.port)
    cells = cells_section(modem_facts.samples[-1] if modem_facts.samples else None)
    data_dir = options.data_dir
    spent = sum(r.bytes_used for r in probe_results.values()) + throughput.bytes_used
    spool = data_today = disk = None
    if data_dir is not None:
        disk = await asyncio.to_thread(facts.data_dir_room, data_dir)
        spool = await asyncio.to_thread(facts.spool_backlog, data_dir / "spool.sqlite")
        if spent and data_dir.is_dir():  # the SIM paid for this check too: count it
            await asyncio.to_thread(charge_budget, data_dir / "budget.json", spent)
        today = facts.data_today(data_dir / "budget.json", options.daily_bytes)
        data_today = dataclasses.replace(today, this_check_bytes=spent)
    offset = collector.welcome.clock_offset_ms if collector.welcome is not None else None
    return Report(
        modem=modem,
        sim=sim,
        network=network,
        cells=cells,
        signal=signal,
        probes=ProbesSection(probe_results, throughput),
        collector=collector,
        spool=spool,
        data_today=data_today,
        disk=disk,
        clock=ClockSection(synced=clock.clock_synced(), offset_ms=offset),
        photos=photos_estimate(options.photos_mb, throughput, network, signal.grade),
        duration_s=round(time.monotonic() - started, 2),
    )


def _with_tcp(collector: CollectorSection, tcp: ProbeResult | None) -> CollectorSection:
    """The collector section completed by the TCP connect probe: whether it is reachable
    when no Hello could tell, and why not when it is unreachable."""
    if tcp is None:
        return collector
    if collector.status in ("no-credential", "reachability-only"):
        if tcp.ok:
            return dataclasses.replace(collector, reachable=True)
        return dataclasses.replace(collector, reachable=False, error=tcp.reason or tcp.status)
    if collector.status == "unreachable" and not tcp.ok:
        return dataclasses.replace(collector, error=tcp.reason or collector.error)
    return collector


def charge_budget(path: Path, nbytes: int) -> None:
    """Add this check's bytes to the kit's daily budget, beside the running agent's."""
    from agent.budget import Budget

    Budget(path, daily_bytes=1).charge(nbytes)  # the cap is the agent's to apply


def progress_bar(label: str, stream: Any = None) -> Callable[[str, float, float], None]:
    """A one-line progress bar labelled ``label`` on ``stream`` (stderr), for a terminal."""
    out = stream or sys.stderr

    def show(_what: str, elapsed: float, total: float) -> None:
        if elapsed < 0:
            out.write("\r" + " " * 60 + "\r")
            out.flush()
            return
        width = 30
        done = min(width, int(width * elapsed / max(total, 0.001)))
        out.write(f"\r{label} [{'#' * done}{'.' * (width - done)}] {elapsed:4.1f}/{total:g} s")
        out.flush()

    return show
