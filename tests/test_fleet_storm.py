"""A join storm against a collector with a small handshake limit: 120 simulated kits
(``pantau-agent fleet``, its own process) connect at the same instant to a collector
that answers 5 handshakes at once and queues none, and 20 of them come back later with
a backlog while only 2 may drain at full rate. Every kit is admitted in the end, every
refusal said when to come back (``retry-after-ms``), and every record the fleet made is
stored exactly once per (agent, seq)."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from test_fleet_against_collector import ROOT, enroll, fleet_argv, strict_json

from collector.config import IngestSection, default_config
from collector.server import Collector
from collector.store.sqlite import SqliteStore

SCENARIO = ROOT / "tests" / "data" / "fleet" / "storm-short.toml"
KITS = 120
SMALL = IngestSection(
    handshakes=5, handshake_queue=0, retry_min_ms=200, retry_per_kit_ms=20, retry_max_ms=3000,
    drains=2, drain_threshold_records=10, drain_records_per_s=500,
    drain_trickle_records_per_s=50, max_ack_delay_s=1.0,
)  # fmt: skip


@asynccontextmanager
async def collector(tmp: Path) -> AsyncIterator[Collector]:
    store = SqliteStore(tmp / "collector.sqlite")
    running = Collector(store, config=replace(default_config(), ingest=SMALL))
    await running.start("127.0.0.1:0")
    try:
        yield running
    finally:
        await running.stop(0)
        store.close()


@pytest.mark.timeout(150)
def test_a_join_storm_is_admitted_in_turn_and_nothing_is_lost_or_stored_twice(
    tmp_path: Path,
) -> None:
    enroll(tmp_path, KITS)

    async def main() -> tuple[int, str, str, int]:
        async with collector(tmp_path) as running:
            proc = await asyncio.create_subprocess_exec(
                *fleet_argv(running.port, tmp_path, "--scenario", str(SCENARIO), "--kits",
                            str(KITS), "--speed", "60", "--duration", "18", "--drain", "40",
                            "--progress", "3"),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
            )  # fmt: skip
            out, err = await proc.communicate()
            assert proc.returncode is not None
            admission = running.service.admission
            assert admission.handshakes.gate.active == admission.handshakes.gate.waiting == 0
            assert admission.drains.gate.active == 0  # every drain slot given back
            return proc.returncode, out.decode(), err.decode(), running.service.stats.busy_refusals

    code, out, err, busy = asyncio.run(main())
    assert code == 0, err[-3000:]
    summary = strict_json(out)
    assert summary["kits"] == summary["joined"] == KITS
    refused = summary["refused"]
    assert set(refused) <= {"UNAVAILABLE"}, summary["refusal_examples"]
    assert refused.get("UNAVAILABLE", 0) >= 5, summary  # the storm was refused in part ...
    assert summary["retry_after"]["refusals"] == refused["UNAVAILABLE"] == busy  # ... each told
    assert 200 <= summary["retry_after"]["p50"] <= 3000  # when to come back, within the window
    records = summary["records"]
    assert records["unacked"] == 0 and records["produced"] == records["acked"] > KITS * 10

    store = SqliteStore(tmp_path / "collector.sqlite")
    try:
        rows = store._read(
            lambda tx: tx.rows(
                "SELECT agent_id, count(*), count(DISTINCT seq), min(seq), max(seq) "
                "FROM records GROUP BY agent_id"
            )
        )
        stored = {str(r[0]): tuple(int(v) for v in r[1:]) for r in rows}
        assert len(stored) == KITS  # every kit was admitted and delivered
        for agent_id, account in summary["agents"].items():
            first, last = account["first_seq"], account["last_seq"]
            assert account["acked_through"] == last, (agent_id, account)
            assert stored[agent_id] == (last - first + 1, last - first + 1, first, last)
        assert sum(s[0] for s in stored.values()) == records["produced"]
    finally:
        store.close()


def _serve(tmp: Path, port: int) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("pantau-collector")
    with (tmp / "collector.log").open("ab") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [str(exe), "serve", "--data-dir", str(tmp), "--listen", f"127.0.0.1:{port}",
             "--http-listen", "off", "--throughput-listen", "off"],
            stdout=log, stderr=log, cwd=ROOT,
        )  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout(150)
def test_kits_come_back_to_a_collector_sigkilled_and_restarted_and_lose_nothing(
    tmp_path: Path,
) -> None:
    """The collector (its own process) is SIGKILLed under 60 streaming kits and started
    again on the same port and store: every kit streams again and delivers its backlog."""
    kits = 60
    enroll(tmp_path, kits)
    port = _free_port()
    collector = _serve(tmp_path, port)
    fleet = subprocess.Popen(
        fleet_argv(port, tmp_path, "--scenario", str(SCENARIO), "--kits", str(kits),
                   "--speed", "60", "--duration", "30", "--drain", "40", "--progress", "0.5"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, text=True,
    )  # fmt: skip
    try:
        assert fleet.stderr is not None and fleet.stdout is not None
        streaming = re.compile(r"(\d+) streaming")
        phase = "up"
        for line in fleet.stderr:  # ends with the fleet; the test's timeout bounds it
            match = streaming.search(line)
            if match is None:
                continue
            now = int(match.group(1))
            if phase == "up" and now == kits:
                collector.send_signal(signal.SIGKILL)
                collector.wait(10)
                phase = "killed"
            elif phase == "killed" and now < kits // 2:  # the kits saw it go
                collector = _serve(tmp_path, port)
                phase = "restarted"
            elif phase == "restarted" and now == kits:
                phase = "back"
        out = fleet.stdout.read()
        assert fleet.wait(30) == 0
        assert phase == "back"
        summary = strict_json(out)
        records = summary["records"]
        assert records["unacked"] == 0 and records["produced"] == records["acked"]
        assert summary["reconnects"] >= kits
        store = SqliteStore(tmp_path / "collector.sqlite")
        try:
            rows = store._read(
                lambda tx: tx.rows(
                    "SELECT agent_id, count(*), count(DISTINCT seq) FROM records GROUP BY agent_id"
                )
            )
        finally:
            store.close()
        stored = {str(r[0]): (int(r[1]), int(r[2])) for r in rows}
        for agent_id, account in summary["agents"].items():
            made = account["last_seq"] - account["first_seq"] + 1
            assert stored[agent_id] == (made, made), agent_id  # none lost, none twice
    finally:
        for proc in (fleet, collector):
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        for pipe in (fleet.stdout, fleet.stderr):
            if pipe is not None:
                pipe.close()
