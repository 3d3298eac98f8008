"""``status``'s output: the JSON document and the human table, in the chosen language.

JSON (version 1)::

    {"schema": 1, "state": "running" | "stale" | "not-running",
     "state_text": str, "why": null | "no-file" | "unreadable" | "stopped" | "pid-gone"
     | "old", "message": str, "age_s": float | null, "path": str,
     "status": {the status file, see agent.tech.status} | null, "lang": "id" | "en"}
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from agent.i18n import Messages
from agent.tech import grades, render
from agent.tech.render import Style
from agent.tech.status import FILENAME, NOT_RUNNING, RUNNING, STALE

_STATE_KEYS = {
    RUNNING: "status.state.running",
    STALE: "status.state.stale",
    NOT_RUNNING: "status.state.not_running",
}
_WHY_KEYS = {
    None: "status.why.running",
    "no-file": "status.why.no_file",
    "unreadable": "status.why.unreadable",
    "stopped": "status.why.stopped",
    "pid-gone": "status.why.pid_gone",
    "old": "status.why.old",
}
_COLOUR = {RUNNING: "green", STALE: "yellow", NOT_RUNNING: "red"}


def document(state: dict[str, Any], data_dir: Path, m: Messages) -> dict[str, Any]:
    age = state.get("age_s")
    return {
        "schema": 1,
        "state": state["state"],
        "state_text": m(_STATE_KEYS[state["state"]]),
        "why": state.get("why"),
        "message": m(
            _WHY_KEYS[state.get("why")],
            path=str(data_dir / FILENAME),
            age=render.duration(age),
        ),
        "age_s": age,
        "path": str(data_dir / FILENAME),
        "status": state.get("status"),
        "lang": m.lang,
    }


def _clock(unix: float | None) -> str:
    if not unix:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(unix))


def _ago(unix: float | None, m: Messages) -> str:
    if not unix:
        return m("status.never")
    return m("status.ago", time=_clock(unix), ago=render.duration(max(0.0, time.time() - unix)))


def human(doc: dict[str, Any], m: Messages, style: Style) -> str:
    lines = [
        style.paint(m("status.title", state=doc["state_text"]), _COLOUR[doc["state"]]),
        doc["message"],
    ]
    st = doc.get("status")
    if not st:
        return "\n".join(lines)
    rows: list[tuple[str, str]] = [
        (m("status.label.agent"), m("status.agent", agent=st.get("agent_id") or "-",
                                    site=st.get("site") or "-", version=st.get("version") or "-",
                                    pid=st.get("pid") or "-")),
        (m("status.label.started"), m("status.uptime", time=_clock(st.get("started_unix")),
                                      uptime=render.duration(st.get("uptime_s")))),
    ]  # fmt: skip
    last = st.get("last_reading")
    if last:
        r = last.get("reading") or {}
        rat = r.get("rat")
        values = {k: v for k, v in r.items() if isinstance(v, int | float)}
        g = grades.overall(rat, values)
        parts = [
            r.get("operator_name") or "-",
            f"{grades.GENERATION.get(rat or '', '-')} ({(rat or '-').upper()})",
        ]
        for name in grades.graded_fields(rat):
            if name in values:
                unit = "dBm" if name.endswith("dbm") else "dB"
                label = name.split("_")[0].upper() if not name.startswith("nr_") else "NR"
                parts.append(f"{label} {render.num(float(values[name]))} {unit}")
        summary = ", ".join(parts)
        if g is not None:
            summary += f"  {style.bars(grades.bars(g))}"
        rows.append((m("status.label.reading"), _ago(last.get("time_unix"), m)))
        rows.append(("", summary))
    else:
        rows.append((m("status.label.reading"), m("status.never")))
    up = st.get("uplink") or {}
    link = m("status.uplink.connected") if up.get("connected") else m("status.uplink.down")
    rows.append((m("status.label.uplink"), f"{st.get('collector') or '-'}: {link}"))
    rows.append(
        (m("status.label.ack"), m("status.ack", seq=up.get("last_ack_seq") or 0,
                                  when=_ago(up.get("last_ack_unix"), m)))
    )  # fmt: skip
    if up.get("last_error"):
        rows.append(("", up["last_error"]))
    spool = st.get("spool") or {}
    rows.append(
        (m("status.label.spool"), m("status.spool", n=spool.get("records", 0),
                                    size=render.size(spool.get("bytes", 0))))
    )  # fmt: skip
    if spool.get("disk_full"):
        rows.append(("", style.paint(m("status.spool_disk_full"), "yellow")))
    data = st.get("data_today") or {}
    rows.append(
        (m("status.label.data_today"), m("status.data", used=render.size(data.get("used_bytes")),
                                         budget=render.size(data.get("daily_bytes"))))
    )  # fmt: skip
    errors = st.get("last_errors") or []
    if errors:
        rows.append((m("status.label.errors"), errors[-1]))
        rows += [("", e) for e in reversed(errors[-3:-1])]
    return "\n".join([*lines, "", *render.table(rows)])
