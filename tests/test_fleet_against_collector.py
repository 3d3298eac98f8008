"""The fleet simulator against a real collector: 200 kits for 20 s at speed 60.

The collector runs in this process on SQLite with the demo's rules (durations fit a
minute compressed into a second); ``pantau-agent fleet`` runs as its own process,
with codes from ``pantau-collector enroll --sites-file``. Every record the fleet
made must be stored exactly once (per agent and seq), and the scenario's tower
outage must open a NO_SERVICE ticket for each of its sites and no other.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from agent.fleet.credentials import synthetic_sites
from collector.cli import main as collector_main
from collector.config import RulesSection, default_config
from collector.server import Collector
from collector.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "tests" / "data" / "fleet" / "outage-short.toml"


def strict_json(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def enroll(tmp: Path, kits: int) -> Path:
    sites = tmp / "sites.csv"
    listed = synthetic_sites(kits, ["31", "32", "33", "35"])
    sites.write_text("tps_code\n" + "".join(f"{s}\n" for s in listed), encoding="utf-8")
    codes = tmp / "codes.csv"
    argv = ["enroll", "--data-dir", str(tmp), "--sites-file", str(sites), "--out", str(codes)]
    assert collector_main(argv) == 0
    return codes


@asynccontextmanager
async def collector(tmp: Path) -> AsyncIterator[Collector]:
    store = SqliteStore(tmp / "collector.sqlite")
    rules = str(resources.files("collector").joinpath("demo_rules.toml"))
    running = Collector(store, config=replace(default_config(), rules=RulesSection(file=rules)))
    await running.start("127.0.0.1:0")
    try:
        yield running
    finally:
        await running.stop(0)
        store.close()


def fleet_argv(port: int, tmp: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "agent.cli", "fleet", "--collector", f"127.0.0.1:{port}",
        "--codes", str(tmp / "codes.csv"), "--credentials", str(tmp / "credentials.csv"),
        *extra,
    ]  # fmt: skip


@pytest.mark.timeout(120)
def test_200_kits_for_20_s_store_every_record_once_and_the_outage_opens_its_tickets(
    tmp_path: Path,
) -> None:
    enroll(tmp_path, 200)

    async def main() -> tuple[int, str, str]:
        async with collector(tmp_path) as running:
            proc = await asyncio.create_subprocess_exec(
                *fleet_argv(running.port, tmp_path, "--scenario", str(SCENARIO), "--kits",
                            "200", "--speed", "60", "--duration", "20", "--progress", "3"),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
            )  # fmt: skip
            out, err = await proc.communicate()
            await asyncio.sleep(0)  # the brain's last pass runs with the collector
            assert proc.returncode is not None
            return proc.returncode, out.decode(), err.decode()

    code, out, err = asyncio.run(main())
    assert code == 0, err[-3000:]
    summary = strict_json(out)
    assert re.search(r"^fleet \+\d+s sim 0\d:\d\d:\d\d phase voting: kits \d+/200", err, re.M)
    assert summary["kits"] == summary["joined"] == 200
    records = summary["records"]
    assert records["produced"] > 200 * 20 and records["unacked"] == 0, records
    assert records["produced"] == records["acked"]
    assert set(records["by_kind"]) == {"signal", "ping", "dns", "http"}
    assert summary["ack_latency_ms"]["p99"] is not None and summary["refused"] == {}
    assert summary["link_drops"] >= 10  # the outage and the offline kits dropped their links
    assert summary["snapshots"] >= 10  # ... and came back with backlogs: latest state first
    assert stat_private(tmp_path / "credentials.csv")

    store = SqliteStore(tmp_path / "collector.sqlite")
    try:
        rows = store._read(
            lambda tx: tx.rows(
                "SELECT agent_id, count(*), count(DISTINCT seq), min(seq), max(seq) "
                "FROM records GROUP BY agent_id"
            )
        )
        stored = {str(r[0]): tuple(int(v) for v in r[1:]) for r in rows}
        for agent_id, account in summary["agents"].items():
            first, last = account["first_seq"], account["last_seq"]
            assert account["acked_through"] == last, (agent_id, account)
            assert stored[agent_id] == (last - first + 1, last - first + 1, first, last)
        assert sum(s[0] for s in stored.values()) == records["produced"]
        # every kit's clock was anchored by its Hello: clock-less kits' records too
        # (their wall clocks say 1970) carry true, trusted event times
        qualities = store._read(lambda tx: tx.rows("SELECT DISTINCT time_quality FROM records"))
        assert {str(q[0]) for q in qualities} == {"monotonic"}
        clockless = [a for a, acc in summary["agents"].items() if acc["clockless"]]
        assert clockless
        oldest = min(r.event_ns for a in clockless for r in store.records(agent_id=a))
        assert oldest > time.time_ns() - 120 * 10**9  # not 1970

        (outage,) = [s for s in summary["spells"] if s["what"] == "outage"]
        assert len(outage["sites"]) == 10 and outage["operator"] == "510-10"
        tickets = store.list_tickets(problem="NO_SERVICE", limit=1000)
        assert {(t.site_code, t.operator) for t in tickets} == {
            (site, "510-10") for site in outage["sites"]
        }
        assert len(tickets) == 10  # one per (site, operator, problem)
    finally:
        store.close()


def stat_private(path: Path) -> bool:
    return path.exists() and (path.stat().st_mode & 0o777) == 0o600


@pytest.mark.timeout(60)
def test_sigterm_stops_the_fleet_with_its_summary(tmp_path: Path) -> None:
    """Also: ``--enroll`` makes and enrolls the sites itself (the collector's CLI), and
    kits may share connections."""

    async def main() -> tuple[int, str]:
        async with collector(tmp_path) as running:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "agent.cli", "fleet",
                "--collector", f"127.0.0.1:{running.port}", "--enroll", str(tmp_path),
                "--kits", "20", "--speed", "60", "--duration", "300", "--progress", "0.5",
                "--kits-per-connection", "5",
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
            )  # fmt: skip
            assert proc.stderr is not None and proc.stdout is not None
            async for line in proc.stderr:  # the first progress line: the fleet is running
                if line.startswith(b"fleet +"):
                    break
            os.kill(proc.pid, signal.SIGTERM)
            out, _ = await proc.communicate()
            assert proc.returncode is not None
            return proc.returncode, out.decode()

    code, out = asyncio.run(main())
    assert code == 0
    summary = strict_json(out)
    assert summary["stopped_by"] == "SIGTERM" and summary["kits"] == 20
    assert all(a.startswith("kit-") for a in summary["agents"])


def test_a_bad_scenario_file_is_refused_naming_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[outage]]\noperator = "510-10"\nsites = 3\nat = "25:00"\nminutes = 5\n')
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli", "fleet", "--collector", "127.0.0.1:1",
         "--scenario", str(bad), "--enroll", str(tmp_path), "--kits", "3"],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert f'{bad}: [[outage]] #1 at: expected a time like "07:00" or "D-1 16:00"' in done.stderr
    assert not (tmp_path / "collector.sqlite").exists()  # refused before enrolling anything
