"""``pantau-agent check``: gathering the readiness facts, each step bounded in time.

Steps (the modem, the network probes and the collector run at the same time; the
throughput test runs last so it does not disturb the pings):

1. modem: open the AT port, identity, up to ``samples`` readings a second apart (the
   median of each quantity is graded); while the SIM is ready but not registered, keep
   reading for up to ``register_wait_s``. When the port is held by the running agent,
   its last reading (from its status file) stands in.
2. probes: TCP connect and ping (ICMP, or TCP connect timing where ICMP is not
   permitted) to the collector, DNS for its name, and one run of each configured
   icmp / tcp / dns / http probe (agent.probes.PROBERS; timeouts capped).
3. collector: a Telemetry stream with the kit's credential: Hello -> Welcome (proves
   reachable and enrolled; gives the clock offset NTP-style); nothing is sent after.
4. throughput: the configured throughput probe, as an upload (photos go up), capped.
5. local facts: spool backlog, clock sync (adjtimex), data used today.

The result is a JSON-able report (schema in :mod:`agent.cli_tech`); findings and the
verdict come from :func:`assess` (pure).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.tech import facts, grades
from agent.tech.verdict import (
    CLOCK_OFFSET_MAX_S,
    PHOTOS_MAX_S,
    PING_LOSS_MAX,
    PING_MEDIAN_MAX_MS,
    UPLOAD_MIN_BPS,
    Finding,
)

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
_NUMERIC = (
    "rssi_dbm",
    "rsrp_dbm",
    "rsrq_db",
    "sinr_db",
    "rscp_dbm",
    "ecio_db",
    "nr_rsrp_dbm",
    "nr_rsrq_db",
    "nr_sinr_db",
)
_UNITS = {name: ("dBm" if name.endswith("dbm") else "dB") for name in _NUMERIC}


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
    throughput: bool = True
    samples: int = 3
    register_wait_s: float = 10.0
    modem_timeout_s: float = 25.0
    probe_timeout_s: float = 10.0
    collector_timeout_s: float = 10.0
    throughput_time_s: float = 8.0
    progress: Callable[[str, float, float], None] | None = field(default=None, repr=False)


# -- the modem ---------------------------------------------------------------------------


@dataclass(slots=True)
class ModemFacts:
    status: str  # ok | not-configured | not-found | busy | no-answer | error
    error: str | None = None
    identity: Any = None  # agent.modem.model.ModemIdentity
    samples: list[Any] = field(default_factory=list)  # SignalSample
    from_agent_unix: float | None = None  # the reading came from the running agent


def _registered(sample: Any) -> bool:
    return sample.reg_state in ("home", "roaming") and sample.rat not in (None, "none")


def read_modem(options: CheckOptions, deadline: float) -> ModemFacts:
    """Blocking: identity and readings (see the module docstring)."""
    from agent.modem.errors import ModemError, ModemTimeout, PortBusy, PortUnavailable
    from agent.modem.reader import Modem

    modem = Modem(
        options.port, dialect=options.dialect, command_timeout_s=options.command_timeout_s
    )
    try:
        modem.open()
    except PortBusy as exc:
        modem.close()
        return ModemFacts("busy", str(exc))
    except PortUnavailable as exc:
        modem.close()
        return ModemFacts("not-found", str(exc))
    except ModemTimeout as exc:
        modem.close()
        return ModemFacts("no-answer", str(exc))
    except (ModemError, OSError, ValueError) as exc:
        modem.close()
        return ModemFacts("error", str(exc))
    out = ModemFacts("ok", identity=modem.identity)
    started = time.monotonic()
    try:
        out.samples.append(modem.read_signal())
        while (
            not _registered(out.samples[-1])
            and out.samples[-1].sim_state == "ready"
            and time.monotonic() + 1.0 < min(deadline, started + options.register_wait_s)
        ):
            time.sleep(1.0)
            out.samples = [modem.read_signal()]
        while len(out.samples) < options.samples and time.monotonic() + 1.5 < deadline:
            time.sleep(1.0)
            out.samples.append(modem.read_signal())
    except ModemError as exc:
        if not out.samples:
            out.status = "no-answer" if isinstance(exc, ModemTimeout) else "error"
        out.error = str(exc)
    except (OSError, ValueError) as exc:  # garbage no parser wrapped: reported, not a crash
        if not out.samples:
            out.status = "error"
        out.error = f"{type(exc).__name__}: {exc}"
    finally:
        modem.close()
    return out


def _from_agent(options: CheckOptions, busy: ModemFacts) -> ModemFacts:
    """The running agent's last reading when it holds the port (else ``busy`` as is)."""
    if options.data_dir is None:
        return busy
    from agent.modem.model import ModemIdentity, SignalSample
    from agent.tech.status import RUNNING, read_status, status_path

    state = read_status(status_path(options.data_dir))
    doc = state.get("status") or {}
    last = doc.get("last_reading")
    if state["state"] != RUNNING or not last:
        return busy
    names = {f.name for f in dataclasses.fields(SignalSample)}
    reading = {k: v for k, v in last["reading"].items() if k in names}
    try:
        sample = SignalSample(**{"dialect": "3gpp", **reading})
    except (TypeError, ValueError):
        return busy
    ident = (doc.get("modem") or {}).get("identity") or {}
    id_names = {f.name for f in dataclasses.fields(ModemIdentity)}
    identity = ModemIdentity(
        **{"dialect": sample.dialect, "port": options.port}
        | {k: v for k, v in ident.items() if k in id_names and k not in ("dialect", "port")}
    )
    return ModemFacts(
        "ok",
        identity=identity,
        samples=[sample],
        from_agent_unix=last.get("time_unix"),
    )


def modem_sections(m: ModemFacts, port: str) -> dict[str, Any]:
    """The report's ``modem``, ``sim``, ``network`` and ``signal`` sections."""
    ident = m.identity
    modem: dict[str, Any] = {"status": m.status, "port": port or None, "error": m.error}
    for name in ("manufacturer", "model", "firmware", "imei", "dialect"):
        modem[name] = getattr(ident, name, None) if ident is not None else None
    modem["from_agent_unix"] = m.from_agent_unix
    last = m.samples[-1] if m.samples else None
    sim: dict[str, Any] = {
        "state": getattr(last, "sim_state", None),
        "imsi": getattr(ident, "imsi", None),
        "iccid": getattr(ident, "iccid", None),
    }
    network: dict[str, Any] = {
        "registered": bool(last is not None and _registered(last)),
        "reg_state": getattr(last, "reg_state", None),
        "rat": getattr(last, "rat", None),
        "generation": grades.GENERATION.get(getattr(last, "rat", None) or ""),
        "operator": getattr(last, "operator_name", None),
        "mcc": getattr(last, "mcc", None),
        "mnc": getattr(last, "mnc", None),
        "roaming": getattr(last, "reg_state", None) == "roaming",
        "cell_id": getattr(last, "cell_id", None),
        "tac": getattr(last, "tac", None),
        "lac": getattr(last, "lac", None),
        "band": getattr(last, "band", None),
    }
    values: dict[str, float | None] = {}
    for name in _NUMERIC:
        seen = [getattr(s, name) for s in m.samples if getattr(s, name) is not None]
        values[name] = float(statistics.median(seen)) if seen else None
    rat = network["rat"]
    graded = grades.grade_reading(rat, values) if network["registered"] else {}
    shown = [n for n in grades.graded_fields(rat) if values.get(n) is not None]
    if "rssi_dbm" not in shown and values.get("rssi_dbm") is not None:
        shown.append("rssi_dbm")
    overall = grades.worst(list(graded.values()))
    signal: dict[str, Any] = {
        "grade": overall,
        "bars": grades.bars(overall) if network["registered"] else 0,
        "samples": len(m.samples),
        "metrics": {
            n: {"value": values[n], "unit": _UNITS[n], "grade": graded.get(n)} for n in shown
        },
    }
    return {"modem": modem, "sim": sim, "network": network, "signal": signal}


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
                    host, count=5, interval_s=0.2, timeout_s=1.0, tcp_fallback_port=port
                ),
            )
        )
        if is_dns_name(host):
            plan.append(("collector-dns", "dns", probes.DnsConfig(host, timeout_s=3.0)))
    cap = options.probe_timeout_s
    for entry in options.probes:
        spec = probes.PROBERS[entry.kind]
        if spec.summarize is None or spec.expensive:
            continue  # not run by check, or run in its own step (run_throughput)
        config = probes.with_credential(entry.config, options.credential or "")
        timeout = getattr(config, "timeout_s", None)
        if isinstance(timeout, float) and timeout > cap / 2:
            config = dataclasses.replace(config, timeout_s=cap / 2)
        plan.append((entry.name, entry.kind, config))
    return plan


def _probe_summary(kind: str, outcome: Any) -> dict[str, Any]:
    """The fields every probe has, then the kind's own (from the prober registry)."""
    from agent import probes

    common = outcome.common
    out: dict[str, Any] = {
        "kind": kind,
        "target": common.target,
        "address": common.target_address,
        "status": str(common.status),
        "reason": common.reason or None,
        "bytes_used": common.bytes_used,
    }
    summarize = probes.PROBERS[kind].summarize
    if summarize is not None:
        out.update(summarize(outcome))
    return out


async def run_probes(options: CheckOptions) -> dict[str, dict[str, Any]]:
    """Run the plan concurrently; ``{name: summary}`` (a probe that overran: timeout)."""
    from agent import probes

    plan = probe_plan(options)

    async def one(name: str, kind: str, config: Any) -> dict[str, Any]:
        spec = probes.PROBERS[kind]
        try:
            outcome = await asyncio.wait_for(spec.probe(config, name=name), options.probe_timeout_s)
        except TimeoutError:
            return {
                "kind": kind,
                "target": probes.target_of(config),
                "status": "timeout",
                "reason": f"no result within {options.probe_timeout_s:g} s",
                "bytes_used": 0,
            }
        except Exception as exc:  # isolation: a prober bug must not end the check
            # Probers report failures in their outcome and raise nothing on purpose, so
            # there is no known error to name here: whatever arrives is a bug, logged.
            log.exception("probe %s (%s) raised", name, kind)
            return {
                "kind": kind,
                "target": probes.target_of(config),
                "status": "error",
                "reason": f"{type(exc).__name__}: {exc}",
                "bytes_used": 0,
            }
        return _probe_summary(kind, outcome)

    results = await asyncio.gather(*(one(*item) for item in plan))
    return {name: result for (name, _, _), result in zip(plan, results, strict=True)}


async def run_throughput(options: CheckOptions) -> dict[str, Any]:
    """One capped upload test against the configured throughput endpoint."""
    from agent import probes

    entry = next((e for e in options.probes if e.kind == "throughput"), None)
    if entry is None:
        return {"status": "not-configured"}
    if not options.throughput:
        return {"status": "skipped"}
    config = probes.with_credential(entry.config, options.credential or "")
    config = dataclasses.replace(
        config,
        direction="upload",
        max_time_s=min(config.max_time_s, options.throughput_time_s),
        timeout_s=min(config.timeout_s, 5.0),
    )
    limit = config.max_time_s + config.timeout_s + 3.0
    spec = probes.PROBERS["throughput"]
    task = asyncio.ensure_future(spec.probe(config, name="check-upload"))
    started = time.monotonic()
    try:
        while not task.done():
            if options.progress is not None:
                options.progress("throughput", time.monotonic() - started, config.max_time_s)
            await asyncio.wait({task}, timeout=0.2)
            if time.monotonic() - started > limit:
                task.cancel()
                return {"status": "timeout", "reason": f"no result within {limit:g} s"}
        outcome = task.result()
    except Exception as exc:  # isolation: a prober bug must not end the check
        # As in run_probes: the throughput prober raises nothing on purpose; a bug, logged.
        log.exception("the throughput probe raised")
        return {"status": "error", "reason": f"{type(exc).__name__}: {exc}"}
    finally:
        if options.progress is not None:
            options.progress("throughput", -1.0, config.max_time_s)
    assert spec.summarize is not None  # the registry's throughput entry has one
    return {
        "status": str(outcome.common.status),
        "reason": outcome.common.reason or None,
        "target": f"{config.target}:{config.port}",
        **spec.summarize(outcome),
        "bytes_used": outcome.common.bytes_used,
    }


# -- the collector -----------------------------------------------------------------------


async def hello(options: CheckOptions) -> dict[str, Any]:
    """Hello -> Welcome with the kit's credential; ``collector`` section fields."""
    out: dict[str, Any] = {
        "address": options.collector or None,
        "status": "not-configured",
        "reachable": None,
        "enrolled": None,
        "error": None,
    }
    if not options.collector:
        return out
    if options.credential is None:
        if options.enrollment_known:
            out.update(status="no-credential", error=options.credential_problem)
        else:
            out["status"] = "reachability-only"
        return out
    import grpc

    from agent.channel import ChannelError

    deadline = time.monotonic() + options.collector_timeout_s
    attempt = 0
    while True:
        attempt += 1
        try:
            stamp, welcome, t4 = await _exchange(options, deadline)
            break
        except ChannelError as exc:
            out.update(status="unreachable", reachable=False, error=str(exc))
            return out
        except grpc.aio.AioRpcError as exc:
            code = exc.code()
            # A connection that failed at once may be a blip (UNAVAILABLE), and a refusal
            # racing the Hello can surface as a bare INTERNAL (grpc.aio overwrites the
            # server's status when a write fails after it, grpc/grpc#36066): try again
            # while time is left.
            if (
                code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL)
                and attempt < 3
                and time.monotonic() + 1.0 < deadline
            ):
                await asyncio.sleep(0.5)
                continue
            if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
                out.update(status="rejected", reachable=True, enrolled=False)
            else:
                out.update(status="unreachable", reachable=False)
            out["error"] = f"{code.name}: {exc.details()}"
            return out
    t1 = stamp.wall_unix_ns
    t2, t3 = welcome.hello_received_unix_ns, welcome.welcome_sent_unix_ns
    out.update(
        status="ok",
        reachable=True,
        enrolled=True,
        agent_id=welcome.agent_id,
        site=welcome.site_code,
        acked_through_seq=welcome.acked_through_seq,
        collector_version=welcome.collector_version,
        rtt_ms=max(0.0, ((t4 - t1) - (t3 - t2)) / 1e6),
        clock_offset_ms=(((t2 - t1) + (t3 - t4)) / 2) / 1e6,
    )
    return out


async def _exchange(options: CheckOptions, deadline: float) -> tuple[Any, Any, int]:
    """One Hello -> Welcome; returns (the Hello's stamp, the Welcome, its arrival ns)."""
    import grpc

    from agent import clock
    from agent.channel import open_channel
    from agent.uplink import build_hello
    from pantau.v1 import telemetry_pb2, telemetry_pb2_grpc

    channel = open_channel(options.collector, ca_file=options.ca_file, insecure=options.insecure)
    stamp = clock.now()
    msg = build_hello(options.agent_id, options.site, stamp, purpose="check")

    async def requests() -> AsyncIterator[Any]:
        # Hello, then half-close: the collector answers Welcome and ends the stream when
        # it sees no more messages. (A collector that refuses the credential ends the
        # call before reading anything; with the request side already closed the
        # status reliably says why.)
        yield telemetry_pb2.AgentMessage(hello=msg)

    async with channel:
        stub = telemetry_pb2_grpc.TelemetryStub(channel)  # type: ignore[no-untyped-call]
        call = stub.Stream(
            requests(),
            metadata=(("authorization", f"Bearer {options.credential}"),),
            timeout=max(0.5, deadline - time.monotonic()),
        )
        reply = await call.read()
        t4 = time.time_ns()
        if reply is grpc.aio.EOF or reply.WhichOneof("msg") != "welcome":
            code = await call.code()
            details = await call.details()
            raise grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details)
        call.cancel()
    return stamp, reply.welcome, t4


# -- photos ------------------------------------------------------------------------------


def photos_estimate(
    photos_mb: float, throughput: dict[str, Any], network: dict[str, Any], grade: str | None
) -> dict[str, Any]:
    """Seconds to upload ``photos_mb`` MB: from the measured upload goodput, else from
    the signal (:data:`UPLOAD_ESTIMATE_BPS`); None without service."""
    total = int(photos_mb * 1_000_000)
    bps = throughput.get("goodput_bps") if throughput.get("status") == "ok" else None
    basis = "measured"
    if not bps:
        basis = "estimated"
        gen = network.get("generation")
        bps = (
            UPLOAD_ESTIMATE_BPS.get(gen or "", {}).get(grade or "")
            if network.get("registered")
            else None
        )
    if not bps:
        return {"total_bytes": total, "uplink_bps": None, "basis": "none", "seconds": None}
    seconds = total * 8 / float(bps) * UPLOAD_OVERHEAD
    return {"total_bytes": total, "uplink_bps": float(bps), "basis": basis, "seconds": seconds}


# -- the whole check -----------------------------------------------------------------------


async def gather(options: CheckOptions) -> dict[str, Any]:
    """Every section of the report (without verdict, reasons and advice)."""
    from agent import clock

    asyncio.get_running_loop().set_default_executor(facts.DaemonExecutor())
    started = time.monotonic()
    deadline = started + options.modem_timeout_s

    async def modem_step() -> ModemFacts:
        if not options.port:
            return ModemFacts("not-configured")
        try:
            m = await facts.in_thread(
                lambda: read_modem(options, deadline), options.modem_timeout_s + 2.0
            )
        except TimeoutError:
            return ModemFacts("no-answer", f"no reading within {options.modem_timeout_s:g} s")
        if m.status == "busy":
            return _from_agent(options, m)
        return m

    modem_facts, probe_results, collector = await asyncio.gather(
        modem_step(), run_probes(options), hello(options)
    )
    tcp = probe_results.get("collector-tcp")
    if collector["status"] in ("no-credential", "reachability-only") and tcp is not None:
        collector["reachable"] = tcp["status"] == "ok"
        if tcp["status"] != "ok":
            collector["error"] = tcp["reason"] or tcp["status"]
    if collector["status"] == "unreachable" and tcp is not None and tcp["status"] != "ok":
        collector["error"] = tcp["reason"] or collector["error"]
    throughput = await run_throughput(options)
    report = modem_sections(modem_facts, options.port)
    report["probes"] = {"results": probe_results, "throughput": throughput}
    report["collector"] = collector
    data_dir = options.data_dir
    spent = sum(int(r.get("bytes_used") or 0) for r in probe_results.values())
    spent += int(throughput.get("bytes_used") or 0)
    if data_dir is not None:
        report["spool"] = await asyncio.to_thread(facts.spool_backlog, data_dir / "spool.sqlite")
        if spent and data_dir.is_dir():  # the SIM paid for this check too: count it
            await asyncio.to_thread(charge_budget, data_dir / "budget.json", spent)
        report["data_today"] = facts.data_today(data_dir / "budget.json", options.daily_bytes)
        report["data_today"]["this_check_bytes"] = spent
    else:
        report["spool"] = None
        report["data_today"] = None
    offset = collector.get("clock_offset_ms")
    report["clock"] = {"synced": clock.clock_synced(), "offset_ms": offset}
    report["photos"] = photos_estimate(
        options.photos_mb, throughput, report["network"], report["signal"]["grade"]
    )
    report["duration_s"] = round(time.monotonic() - started, 2)
    return report


def charge_budget(path: Path, nbytes: int) -> None:
    """Add this check's bytes to the kit's daily budget, beside the running agent's."""
    from agent.budget import Budget

    Budget(path, daily_bytes=1).charge(nbytes)  # the cap is the agent's to apply


def assess(report: dict[str, Any]) -> list[Finding]:
    """The findings of a gathered report (pure; the verdict follows from them)."""
    out: list[Finding] = []
    modem, sim, network, signal = (
        report["modem"],
        report["sim"],
        report["network"],
        report["signal"],
    )
    port = modem.get("port") or ""
    status = modem["status"]
    modem_codes = {
        "not-found": "MODEM_NOT_FOUND",
        "busy": "MODEM_BUSY",
        "no-answer": "MODEM_NO_ANSWER",
        "error": "MODEM_ERROR",
        "not-configured": "MODEM_NOT_CONFIGURED",
    }
    if status in modem_codes:
        out.append(Finding(modem_codes[status], {"port": port, "error": modem.get("error") or ""}))
    if modem.get("from_agent_unix"):
        when = time.strftime("%H:%M:%S", time.localtime(modem["from_agent_unix"]))
        out.append(Finding("MODEM_FROM_AGENT", {"port": port, "time": when}))
    if status == "ok":
        sim_codes = {"absent": "SIM_MISSING", "pin": "SIM_PIN", "puk": "SIM_PUK"}
        sim_state = sim.get("state")
        if sim_state in sim_codes:
            out.append(Finding(sim_codes[sim_state]))
        elif sim_state not in ("ready", None):
            out.append(Finding("SIM_ERROR", {"state": sim_state}))
        elif network.get("reg_state") == "denied":
            out.append(Finding("REGISTRATION_DENIED", {"operator": _operator(network)}))
        elif not network.get("registered"):
            out.append(Finding("NO_SERVICE", {"reg_state": network.get("reg_state")}))
        else:
            out.extend(_signal_findings(network, signal))
    out.extend(_collector_findings(report))
    out.extend(_probe_findings(report))
    photos = report.get("photos") or {}
    if photos.get("seconds") is not None and photos["seconds"] > PHOTOS_MAX_S:
        out.append(
            Finding(
                "PHOTOS_SLOW",
                {
                    "minutes": round(photos["seconds"] / 60),
                    "mb": round(photos["total_bytes"] / 1e6),
                },
            )
        )
    spool = report.get("spool") or {}
    if spool.get("records"):
        out.append(Finding("SPOOL_BACKLOG", {"records": spool["records"]}))
    clock = report.get("clock") or {}
    offset = clock.get("offset_ms")
    if offset is not None and abs(offset) > CLOCK_OFFSET_MAX_S * 1000:
        out.append(Finding("CLOCK_OFFSET", {"seconds": round(offset / 1000)}))
    elif not clock.get("synced"):
        out.append(Finding("CLOCK_UNSYNCED"))
    data = report.get("data_today") or {}
    if data.get("ratio") is not None and data["ratio"] >= 1.0:
        out.append(Finding("BUDGET_SPENT", {"mb": round(data["used_bytes"] / 1e6, 1)}))
    return out


def _operator(network: dict[str, Any]) -> str:
    name = network.get("operator")
    code = f"{network.get('mcc') or ''}-{network.get('mnc') or ''}".strip("-")
    if name and code:
        return f"{name} ({code})"
    return name or code or "-"


def _signal_findings(network: dict[str, Any], signal: dict[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    metrics = signal.get("metrics") or {}
    poor = {n: m for n, m in metrics.items() if m.get("grade") == "poor"}
    weak = [n for n in poor if n in grades.STRENGTH]
    noisy = [n for n in poor if n not in grades.STRENGTH]
    if weak:
        n = weak[0]
        out.append(Finding("SIGNAL_WEAK", {"metric": _label(n), "value": _num(poor[n]["value"])}))
    if noisy:
        n = noisy[0]
        out.append(Finding("SIGNAL_NOISY", {"metric": _label(n), "value": _num(poor[n]["value"])}))
    if not poor and signal.get("grade") == "fair":
        out.append(Finding("SIGNAL_FAIR"))
    if network.get("generation") == "2G":
        out.append(Finding("RAT_2G"))
    if network.get("roaming"):
        out.append(Finding("ROAMING", {"operator": _operator(network)}))
    return out


def _label(name: str) -> str:
    base = name.removeprefix("nr_").split("_")[0]
    label = {"ecio": "Ec/Io"}.get(base, base.upper())
    return ("NR " if name.startswith("nr_") else "") + label


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _collector_findings(report: dict[str, Any]) -> list[Finding]:
    c = report["collector"]
    address = c.get("address") or ""
    status = c["status"]
    if status == "not-configured":
        return [Finding("COLLECTOR_NOT_CONFIGURED")]
    out: list[Finding] = []
    if status == "reachability-only":
        out.append(Finding("ENROLLMENT_NOT_CHECKED", {"address": address}))
    if status == "no-credential":
        out.append(Finding("NOT_ENROLLED", {"address": address}))
    if status in ("no-credential", "reachability-only"):
        if c.get("reachable") is False:
            out.append(
                Finding("COLLECTOR_UNREACHABLE", {"address": address, "error": _tcp_reason(report)})
            )
    elif status == "unreachable":
        error = c.get("error") or _tcp_reason(report)
        out.append(Finding("COLLECTOR_UNREACHABLE", {"address": address, "error": error}))
    elif status == "rejected":
        out.append(
            Finding("COLLECTOR_REJECTED", {"address": address, "error": c.get("error") or ""})
        )
    return out


def _tcp_reason(report: dict[str, Any]) -> str:
    tcp = report["probes"]["results"].get("collector-tcp") or {}
    return str(tcp.get("reason") or tcp.get("status") or "")


def _probe_findings(report: dict[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    collector_down = report["collector"].get("reachable") is False
    for name, r in report["probes"]["results"].items():
        ok = r["status"] == "ok"
        if name == "collector-tcp":
            continue  # part of COLLECTOR_UNREACHABLE
        if name == "collector-ping":
            if collector_down:
                continue
            loss = r.get("loss_ratio")
            if loss is not None and loss > PING_LOSS_MAX:
                out.append(
                    Finding("PING_LOSS", {"target": r["target"], "percent": round(loss * 100)})
                )
            median = r.get("median_ms")
            if median is not None and median > PING_MEDIAN_MAX_MS:
                out.append(Finding("PING_SLOW", {"target": r["target"], "ms": round(median)}))
            continue
        if ok:
            continue
        if r["kind"] == "dns":
            out.append(
                Finding(
                    "DNS_FAILED", {"name": r["target"], "error": r.get("reason") or r["status"]}
                )
            )
        elif not collector_down or not name.startswith("collector-"):
            out.append(
                Finding(
                    "PROBE_FAILED",
                    {"name": name, "target": r["target"], "error": r.get("reason") or r["status"]},
                )
            )
    tp = report["probes"]["throughput"]
    if tp.get("status") == "ok" and tp.get("goodput_bps") is not None:
        if tp["goodput_bps"] < UPLOAD_MIN_BPS:
            out.append(Finding("THROUGHPUT_LOW", {"mbps": round(tp["goodput_bps"] / 1e6, 2)}))
    elif tp.get("status") not in ("not-configured", "skipped", None) and not collector_down:
        out.append(Finding("THROUGHPUT_FAILED", {"error": tp.get("reason") or tp["status"]}))
    return out


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
