"""``check``'s output: the JSON document and the human table, in the chosen language."""

from __future__ import annotations

from typing import Any

from agent.i18n import Messages
from agent.tech import render
from agent.tech.cells_view import cell_rows
from agent.tech.render import GRADE_COLOUR, VERDICT_COLOUR, Style
from agent.tech.report import Report
from agent.tech.verdict import Finding, advice_for, ordered, verdict_of

SCHEMA = 1

_VERDICT_KEYS = {
    "READY": "check.verdict.ready",
    "DEGRADED": "check.verdict.degraded",
    "NOT_READY": "check.verdict.not_ready",
}
_GRADE_KEYS = {
    "excellent": "check.grade.excellent",
    "good": "check.grade.good",
    "fair": "check.grade.fair",
    "poor": "check.grade.poor",
}
_SIM_KEYS = {
    "ready": "check.sim.ready",
    "absent": "check.sim.absent",
    "pin": "check.sim.pin",
    "puk": "check.sim.puk",
    "busy": "check.sim.busy",
    "error": "check.sim.error",
}


def reg_key(state: str) -> str:
    """The message key of a registration state (``agent.modem.model.REG_STATES``)."""
    return f"check.reg.{state.replace('-', '_')}"


def reg_text(m: Messages, state: str | None) -> str:
    return m(reg_key(state)) if state and m.has(reg_key(state)) else m("common.unknown")


def reason_key(code: str) -> str:
    return f"check.reason.{code.lower()}"


def advice_key(code: str) -> str:
    return f"check.advice.{code.lower()}"


def grade_text(m: Messages, grade: str | None) -> str:
    return m(_GRADE_KEYS[grade]) if grade in _GRADE_KEYS else m("common.unknown")


def document(
    report: Report, findings: list[Finding], m: Messages, config_flag: str = ""
) -> dict[str, Any]:
    """The ``--json`` document (schema documented in :mod:`agent.cli_tech`), generated
    from the typed report. ``config_flag`` (`` --config FILE`` for a config outside the
    default place) completes the commands the advice gives."""
    verdict = verdict_of(findings)
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "verdict": verdict,
        "verdict_text": m(_VERDICT_KEYS[verdict]),
        "reasons": [
            {
                "code": f.code,
                "severity": f.severity,
                "message": m(reason_key(f.code), **_localised(f.fields, m)),
                # The technical words behind the message (English, as the system said).
                **({"detail": str(f.fields["error"])} if f.fields.get("error") else {}),
            }
            for f in ordered(findings)
        ],
        "advice": [
            {"code": a, "message": m(advice_key(a), config=config_flag)}
            for a in advice_for(findings)
        ],
    }
    doc.update(report.to_json())
    doc["lang"] = m.lang
    return doc


def _localised(fields: dict[str, Any], m: Messages) -> dict[str, Any]:
    """A finding's fields for its message (a registration state in words)."""
    if fields.get("operator") == "-":
        fields = {**fields, "operator": m("common.unknown")}
    if "problem" in fields:  # a file's problem code (agent.kitfiles), in words
        fields = {**fields, "problem": m(f"common.file.{fields['problem'].replace('-', '_')}")}
    if "reg_state" in fields:
        fields = {**fields, "state": reg_text(m, fields["reg_state"])}
        del fields["reg_state"]
    return fields


def human(doc: dict[str, Any], m: Messages, style: Style) -> str:
    """The table a technician reads."""
    lines = [style.paint(m("check.title", site=doc.get("site") or "-"), "bold"), ""]
    rows: list[tuple[str, str]] = []
    rows.append((m("check.label.modem"), _modem(doc, m)))
    if doc["modem"]["status"] == "ok":
        sim = doc["sim"]["state"]
        rows.append((m("check.label.sim"), m(_SIM_KEYS[sim]) if sim in _SIM_KEYS else "-"))
        rows.append((m("check.label.network"), _network(doc, m)))
        if doc["network"]["registered"]:
            rows += cell_rows(doc["cells"], m)
        sig = doc["signal"]
        if doc["network"]["registered"]:
            rows.append(
                (
                    m("check.label.signal"),
                    style.paint(
                        f"{style.bars(sig['bars'])} {grade_text(m, sig['grade'])}",
                        GRADE_COLOUR.get(sig["grade"] or ""),
                    )
                    + "  "
                    + m("check.signal.samples", n=sig["samples"]),
                )
            )
            for name, metric in sig["metrics"].items():
                label = "  " + _metric_label(name)
                value = f"{render.num(metric['value'])} {metric['unit']}"
                g = metric["grade"]
                graded = (
                    style.paint(grade_text(m, g), GRADE_COLOUR.get(g or ""))
                    if g is not None
                    else ""
                )
                rows.append((label, f"{value:<10} {graded}".rstrip()))
    for name, r in doc["probes"]["results"].items():
        rows.append((_probe_label(name, r, m), _probe_value(r, m)))
    rows.append((m("check.label.collector"), _collector(doc, m)))
    tp = doc["probes"]["throughput"]
    if tp.get("download") is not None:
        rows.append((m("check.label.download"), _speed(tp["download"], None, m)))
    rows.append((m("check.label.throughput"), _speed(tp, tp.get("need_bps"), m)))
    if doc.get("spool") is not None:
        rows.append((m("check.label.spool"), m("check.spool.records", n=doc["spool"]["records"])))
    if doc.get("disk") is not None:
        rows.append((m("check.label.disk"), _disk(doc["disk"], m)))
    rows.append((m("check.label.clock"), _clock(doc, m)))
    data = doc.get("data_today")
    if data is not None:
        text = render.size(data["used_bytes"])
        if data.get("daily_bytes"):
            text = m("check.data.of", used=text, budget=render.size(data["daily_bytes"]))
        if data.get("this_check_bytes"):
            text = m("check.data.this_check", data=text, used=render.size(data["this_check_bytes"]))
        rows.append((m("check.label.data_today"), text))
    rows.append((m("check.label.photos"), _photos(doc, m)))
    lines += render.table(rows)
    lines.append("")
    verdict = doc["verdict"]
    lines.append(
        style.paint(m("check.verdict.line", verdict=doc["verdict_text"]), VERDICT_COLOUR[verdict])
    )
    if doc["reasons"]:
        lines.append(m("check.heading.reasons"))
        marks = {"not-ready": "x", "degraded": "!", "note": "i"}
        lines += [f"  [{marks[r['severity']]}] {r['message']}" for r in doc["reasons"]]
    if doc["advice"]:
        lines.append(m("check.heading.advice"))
        lines += [f"  -> {a['message']}" for a in doc["advice"]]
    return "\n".join(lines)


def _modem(doc: dict[str, Any], m: Messages) -> str:
    modem = doc["modem"]
    status = modem["status"]
    if status == "not-configured":
        return m("check.modem.not_configured")
    if status == "lost":
        return m("check.modem.lost", port=modem.get("port") or "-")
    if status != "ok":
        return m("check.modem.failed", port=modem.get("port") or "-")
    name = " ".join(p for p in (modem.get("manufacturer"), modem.get("model")) if p) or "-"
    text = m("check.modem.ok", name=name, imei=modem.get("imei") or "-")
    if modem.get("from_agent_unix"):
        text += " " + m("check.modem.from_agent")
    return text


def _network(doc: dict[str, Any], m: Messages) -> str:
    n = doc["network"]
    if not n["registered"]:
        return m("check.network.none", state=reg_text(m, n.get("reg_state")))
    operator = n.get("operator") or "-"
    code = f"{n.get('mcc') or ''}-{n.get('mnc') or ''}"
    rat = f"{n.get('generation') or '?'} ({(n.get('rat') or '-').upper()})"
    key = "check.network.roaming" if n.get("roaming") else "check.network.home"
    return m(key, operator=operator, code=code, rat=rat)


def _metric_label(name: str) -> str:
    base = name.removeprefix("nr_").split("_")[0]
    label = {"ecio": "Ec/Io"}.get(base, base.upper())
    return ("NR " if name.startswith("nr_") else "") + label


def _probe_label(name: str, r: dict[str, Any], m: Messages) -> str:
    known = {
        "collector-tcp": "check.label.collector_tcp",
        "collector-ping": "check.label.collector_ping",
        "collector-dns": "check.label.collector_dns",
    }
    if name in known:
        return m(known[name])
    return m("check.label.probe", name=name)


def _probe_value(r: dict[str, Any], m: Messages) -> str:
    target = r.get("target") or "-"
    if r["status"] != "ok" and not (r["kind"] == "icmp" and r.get("received")):
        return m("check.probe.failed", target=target, error=r.get("reason") or r["status"])
    if r["kind"] == "icmp":
        return m(
            "check.probe.ping",
            target=target,
            received=r["received"],
            sent=r["sent"],
            median=render.num(r.get("median_ms")),
        )
    if r["kind"] == "tcp":
        return m("check.probe.tcp", target=target, ms=render.num(r.get("connect_ms")))
    if r["kind"] == "dns":
        return m("check.probe.dns", target=target, ms=render.num(r.get("query_ms")))
    return m("check.probe.ok", target=target)


def _collector(doc: dict[str, Any], m: Messages) -> str:
    c = doc["collector"]
    address = c.get("address") or "-"
    status = c["status"]
    if status == "ok":
        return m(
            "check.collector.ok",
            address=address,
            agent=c.get("agent_id") or "-",
            site=c.get("site") or "-",
            ms=render.num(c.get("rtt_ms")),
        )
    if status == "not-configured":
        return m("check.collector.not_configured")
    if status in ("no-credential", "reachability-only") and c.get("reachable"):
        key = (
            "check.collector.no_credential_up"
            if status == "no-credential"
            else "check.collector.reachable"
        )
        return m(key, address=address)
    if status == "rejected":
        return m("check.collector.rejected", address=address, error=c.get("error") or "-")
    return m("check.collector.down", address=address, error=c.get("error") or "-")


def _speed(tp: dict[str, Any], need_bps: float | None, m: Messages) -> str:
    """One direction of the speed test, like a phone's speed test: the rate, the latency
    and jitter under load, and (for the upload) the photos' need; or why not measured."""
    status = tp.get("status")
    if status in ("not-configured", "skipped", "declined"):
        return m(f"check.throughput.{status.replace('-', '_')}")
    if status != "ok" or tp.get("goodput_bps") is None:
        return m("check.throughput.failed", error=tp.get("reason") or status or "-")
    parts = [m("check.throughput.ok", rate=render.rate(tp["goodput_bps"]))]
    if tp.get("latency_ms") is not None:
        latency, jitter = round(tp["latency_ms"]), round(tp.get("jitter_ms") or 0)
        parts.append(m("check.throughput.load", latency=latency, jitter=jitter))
    if need_bps:
        parts.append(m("check.throughput.need", need=render.num(need_bps / 1e6)))
    return "; ".join(parts)


def _disk(disk: dict[str, Any], m: Messages) -> str:
    sizes = {"free": render.size(disk["free_bytes"]), "needed": render.size(disk["needed_bytes"])}
    if disk["status"] == "ok":
        return m("check.disk.ok", **sizes)
    if disk["status"] == "full":
        return m("check.disk.full", path=disk["path"], **sizes)
    return m("check.disk.failed", path=disk["path"], error=disk["error"] or disk["status"])


def _clock(doc: dict[str, Any], m: Messages) -> str:
    clock = doc["clock"]
    key = "check.clock.synced" if clock.get("synced") else "check.clock.unsynced"
    text = m(key)
    if clock.get("offset_ms") is not None:
        text += ", " + m("check.clock.offset", seconds=f"{clock['offset_ms'] / 1000:+.1f}")
    return text


def _photos(doc: dict[str, Any], m: Messages) -> str:
    p = doc["photos"]
    mb = render.num(p["total_bytes"] / 1e6)
    if p.get("seconds") is None:
        return m("check.photos.none", mb=mb)
    key = "check.photos.measured" if p["basis"] == "measured" else "check.photos.estimated"
    return m(key, mb=mb, time=render.duration(p["seconds"]), rate=render.rate(p["uplink_bps"]))
