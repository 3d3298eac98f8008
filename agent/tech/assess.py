"""``pantau-agent check``'s findings: what a gathered :class:`~agent.tech.report.Report`
means for the kit (pure; the verdict, reasons and advice follow from the findings in
:mod:`agent.tech.verdict`)."""

from __future__ import annotations

import time

from agent import diskroom
from agent.tech import grades, render
from agent.tech.report import NetworkSection, ProbeResult, Report, SignalSection
from agent.tech.verdict import (
    CLOCK_OFFSET_MAX_S,
    PHOTOS_MAX_S,
    PING_MEDIAN_MAX_MS,
    UPLOAD_NEED_BPS,
    Finding,
    loss_above_threshold,
)

_MODEM_CODES = {
    "not-found": "MODEM_NOT_FOUND",
    "lost": "MODEM_LOST",
    "busy": "MODEM_BUSY",
    "no-answer": "MODEM_NO_ANSWER",
    "error": "MODEM_ERROR",
    "not-configured": "MODEM_NOT_CONFIGURED",
}
_SIM_CODES = {"absent": "SIM_MISSING", "pin": "SIM_PIN", "puk": "SIM_PUK"}


def assess(report: Report) -> list[Finding]:
    """The findings of a gathered report (the verdict follows from them)."""
    out: list[Finding] = []
    modem, network = report.modem, report.network
    port = modem.port or ""
    status = modem.status
    if status in _MODEM_CODES:
        out.append(Finding(_MODEM_CODES[status], {"port": port, "error": modem.error or ""}))
    if modem.from_agent_unix:
        when = time.strftime("%H:%M:%S", time.localtime(modem.from_agent_unix))
        out.append(Finding("MODEM_FROM_AGENT", {"port": port, "time": when}))
    if status == "ok":
        sim_state = report.sim.state
        if sim_state in _SIM_CODES:
            out.append(Finding(_SIM_CODES[sim_state]))
        elif sim_state not in ("ready", None):
            out.append(Finding("SIM_ERROR", {"state": sim_state}))
        elif network.reg_state == "denied":
            out.append(Finding("REGISTRATION_DENIED", {"operator": _operator(network)}))
        elif not network.registered:
            out.append(Finding("NO_SERVICE", {"reg_state": network.reg_state}))
        else:
            out.extend(_signal_findings(network, report.signal))
    out.extend(_collector_findings(report))
    out.extend(_probe_findings(report))
    photos = report.photos
    if photos.seconds is not None and photos.seconds > PHOTOS_MAX_S:
        out.append(
            Finding(
                "PHOTOS_SLOW",
                {"minutes": round(photos.seconds / 60), "mb": round(photos.total_bytes / 1e6)},
            )
        )
    out.extend(_disk_findings(report))
    if report.spool is not None and report.spool.records:
        out.append(Finding("SPOOL_BACKLOG", {"n": report.spool.records}))
    offset = report.clock.offset_ms
    if offset is not None and abs(offset) > CLOCK_OFFSET_MAX_S * 1000:
        out.append(Finding("CLOCK_OFFSET", {"seconds": round(offset / 1000)}))
    elif not report.clock.synced:
        out.append(Finding("CLOCK_UNSYNCED"))
    data = report.data_today
    if data is not None and data.ratio is not None and data.ratio >= 1.0:
        out.append(Finding("BUDGET_SPENT", {"mb": round(data.used_bytes / 1e6, 1)}))
    return out


_DISK_CODES = {
    diskroom.FULL: "DISK_FULL",
    diskroom.READ_ONLY: "DISK_READ_ONLY",
    diskroom.NO_PERMISSION: "DATA_DIR_NOT_WRITABLE",
    diskroom.ERROR: "DATA_DIR_NOT_WRITABLE",
}


def _disk_findings(report: Report) -> list[Finding]:
    """The data directory: a spool that cannot open or grow keeps nothing for later."""
    disk = report.disk
    if disk is None or disk.status not in _DISK_CODES:
        return []
    fields = {
        "path": disk.path,
        "free": render.size(disk.free_bytes),
        "needed": render.size(disk.needed_bytes),
        "error": disk.error or "",
    }
    return [Finding(_DISK_CODES[disk.status], fields)]


def _operator(network: NetworkSection) -> str:
    name = network.operator
    code = f"{network.mcc or ''}-{network.mnc or ''}".strip("-")
    if name and code:
        return f"{name} ({code})"
    return name or code or "-"


def _signal_findings(network: NetworkSection, signal: SignalSection) -> list[Finding]:
    out: list[Finding] = []
    poor = {n: m for n, m in signal.metrics.items() if m.grade == "poor"}
    weak = [n for n in poor if n in grades.STRENGTH]
    noisy = [n for n in poor if n not in grades.STRENGTH]
    if weak:
        n = weak[0]
        out.append(Finding("SIGNAL_WEAK", {"metric": _label(n), "value": _num(n, poor[n].value)}))
    if noisy:
        n = noisy[0]
        out.append(Finding("SIGNAL_NOISY", {"metric": _label(n), "value": _num(n, poor[n].value)}))
    if not poor and signal.grade == "fair":
        out.append(Finding("SIGNAL_FAIR"))
    if network.generation == "2G":
        out.append(Finding("RAT_2G"))
    if network.roaming:
        out.append(Finding("ROAMING", {"operator": _operator(network)}))
    return out


def _label(name: str) -> str:
    base = name.removeprefix("nr_").split("_")[0]
    label = {"ecio": "Ec/Io"}.get(base, base.upper())
    return ("NR " if name.startswith("nr_") else "") + label


def _num(name: str, value: float | None) -> str:
    """The value with its unit (``-114 dBm``), numbers as the reader writes them."""
    if value is None:
        return "-"
    unit = "dBm" if name.endswith("_dbm") else "dB"
    return f"{render.num(float(value))} {unit}"


def _ping_findings(r: ProbeResult) -> list[Finding]:
    out: list[Finding] = []
    sent, received = int(r.detail("sent") or 0), int(r.detail("received") or 0)
    if loss_above_threshold(sent, received):
        percent = round((sent - received) * 100 / sent)
        fields = {"target": r.target, "percent": percent, "lost": sent - received, "sent": sent}
        out.append(Finding("PING_LOSS", fields))
    median = r.detail("median_ms")
    if median is not None and median > PING_MEDIAN_MAX_MS:
        out.append(Finding("PING_SLOW", {"target": r.target, "ms": round(median)}))
    return out


def _collector_findings(report: Report) -> list[Finding]:
    c = report.collector
    address = c.address or ""
    status = c.status
    if status == "not-configured":
        return [Finding("COLLECTOR_NOT_CONFIGURED")]
    out: list[Finding] = []
    if status == "ca-file":
        fields = {"address": address, "path": c.ca_file or "", "problem": c.error or ""}
        return [Finding("CA_FILE_BAD", fields)]
    if status == "reachability-only":
        out.append(Finding("ENROLLMENT_NOT_CHECKED", {"address": address}))
    if status == "no-credential":
        out.append(Finding("NOT_ENROLLED", {"address": address}))
    if status in ("no-credential", "reachability-only"):
        if c.reachable is False:
            out.append(
                Finding("COLLECTOR_UNREACHABLE", {"address": address, "error": _tcp_reason(report)})
            )
    elif status == "unreachable":
        error = c.error or _tcp_reason(report)
        out.append(Finding("COLLECTOR_UNREACHABLE", {"address": address, "error": error}))
    elif status == "rejected":
        out.append(Finding("COLLECTOR_REJECTED", {"address": address, "error": c.error or ""}))
    return out


def _tcp_reason(report: Report) -> str:
    tcp = report.probes.results.get("collector-tcp")
    return "" if tcp is None else str(tcp.reason or tcp.status or "")


def _probe_findings(report: Report) -> list[Finding]:
    out: list[Finding] = []
    collector_down = report.collector.reachable is False
    for name, r in report.probes.results.items():
        if name == "collector-tcp":
            continue  # part of COLLECTOR_UNREACHABLE
        if name == "collector-ping" and collector_down:
            continue
        if r.kind == "icmp" and r.detail("sent") and (r.ok or r.detail("received")):
            # The collector's pings and every configured ICMP probe: loss and delay are
            # judged on the packets (a ping run with some replies is not a failed probe).
            out.extend(_ping_findings(r))
            continue
        if r.ok:
            continue
        if r.kind == "dns":
            out.append(Finding("DNS_FAILED", {"name": r.target, "error": r.reason or r.status}))
        elif not collector_down or not name.startswith("collector-"):
            out.append(
                Finding(
                    "PROBE_FAILED",
                    {"name": name, "target": r.target, "error": r.reason or r.status},
                )
            )
    tp = report.probes.throughput
    goodput = tp.goodput_bps
    need = tp.need_bps or UPLOAD_NEED_BPS
    if tp.status == "ok" and goodput is not None:
        if goodput < need:
            fields = {"mbps": round(goodput / 1e6, 2), "need_mbps": round(need / 1e6, 2)}
            out.append(Finding("THROUGHPUT_LOW", fields))
    elif tp.status in ("not-configured", "skipped", "declined"):
        out.append(Finding("UPLOAD_NOT_MEASURED", {"need_mbps": round(need / 1e6, 2)}))
    elif not collector_down:
        out.append(Finding("THROUGHPUT_FAILED", {"error": tp.reason or tp.status}))
    return out
