"""``pantau-collector tickets list`` pages through every ticket (a real SQLite store)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from collector.store.sql import Tx
from collector.store.sqlite import SqliteStore

SITE = "3171011001005"
MANY = 2500


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collector.cli", "tickets", "list", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.timeout(240)
def test_tickets_list_pages_through_every_ticket(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "collector.sqlite")

    def body(tx: Tx) -> None:
        for i in range(MANY):
            tx.run(
                "INSERT INTO tickets (site_code, operator, problem, state, route, first_bad_ns, "
                "last_bad_ns, opened_ns, updated_ns, resolved_ns, resolved_by) "
                "VALUES (?, '510-10', ?, ?, 'noc', ?, ?, ?, ?, ?, 'auto')",
                # at most one unresolved ticket per key: the open ones each a problem of its own
                (
                    SITE,
                    "WEAK_SIGNAL" if i % 5 else f"WEAK_SIGNAL_{i}",
                    "resolved" if i % 5 else "open",
                    i,
                    i,
                    i,
                    i,
                    None if i % 5 == 0 else i,
                ),
            )

    try:
        store._retrying(body)
    finally:
        store.close()
    data = ["--data-dir", str(tmp_path), "--state", "all", "--json"]

    every = _cli(*data, "--all")
    assert every.returncode == 0, every.stderr
    ids = [t["id"] for t in json.loads(every.stdout)]
    assert ids == list(range(MANY, 0, -1)) and every.stderr == ""

    pages: list[int] = []
    before: list[str] = []
    while True:
        r = _cli(*data, "--limit", "1000", *before)
        assert r.returncode == 0, r.stderr
        page = [t["id"] for t in json.loads(r.stdout)]  # stdout stays strict JSON
        pages += page
        if "more tickets" not in r.stderr:
            break
        assert f"--before {page[-1]}" in r.stderr
        before = ["--before", str(page[-1])]
    assert pages == ids

    active = _cli("--data-dir", str(tmp_path), "--all", "--json")
    assert len(json.loads(active.stdout)) == MANY // 5
    table = _cli("--data-dir", str(tmp_path), "--limit", "3")
    assert table.stdout.count("WEAK_SIGNAL") == 3 and "--before" in table.stderr
    bad = _cli("--data-dir", str(tmp_path), "--before", "0")
    assert bad.returncode == 2 and "--before must be at least 1" in bad.stderr
