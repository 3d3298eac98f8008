"""The fleet spread over several collectors: ``--collector`` given twice (and as a
comma-separated list) sends kit ``i`` to address ``i mod 2``. Two real collectors on one
store; each sees its half of the kits and no other, and every record is stored once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest
from test_fleet_against_collector import ROOT, enroll, strict_json

from collector.server import Collector
from collector.store.sqlite import SqliteStore

KITS = 24
SCENARIO = """\
[day]
start = "08:55"
seed = 5

[fleet]
join_at = "08:55"
join_over_min = 0

[[phase]]
name = "voting"
start = "07:00"
end = "13:00"
"""


@asynccontextmanager
async def two_collectors(tmp: Path) -> AsyncIterator[tuple[Collector, Collector]]:
    store = SqliteStore(tmp / "collector.sqlite")
    async with AsyncExitStack() as stack:
        running = []
        for _ in range(2):
            one = Collector(store)
            await one.start("127.0.0.1:0")
            stack.push_async_callback(one.stop, 0)
            running.append(one)
        yield running[0], running[1]
    store.close()


@pytest.mark.parametrize("spelling", ["repeated", "comma"])
@pytest.mark.timeout(90)
def test_kits_are_spread_over_the_collectors_given(tmp_path: Path, spelling: str) -> None:
    enroll(tmp_path, KITS)
    scenario = tmp_path / "day.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")

    async def main() -> tuple[int, str, str, list[set[str]]]:
        async with two_collectors(tmp_path) as (a, b):
            ports = [f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"]
            where = (
                ["--collector", ports[0], "--collector", ports[1]]
                if spelling == "repeated"
                else ["--collector", ",".join(ports)]
            )
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "agent.cli", "fleet", *where,
                "--codes", str(tmp_path / "codes.csv"),
                "--credentials", str(tmp_path / "credentials.csv"),
                "--scenario", str(scenario), "--kits", str(KITS), "--speed", "60",
                "--duration", "8", "--progress", "1",
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
            )  # fmt: skip
            seen: list[set[str]] = [set(), set()]
            communicate = asyncio.ensure_future(proc.communicate())
            deadline = time.monotonic() + 60
            while not communicate.done() and time.monotonic() < deadline:
                for i, one in enumerate((a, b)):
                    seen[i] |= set(one.service.stats.connected)
                await asyncio.sleep(0.05)
            out, err = await communicate
            assert proc.returncode is not None
            return proc.returncode, out.decode(), err.decode(), seen

    code, out, err, seen = asyncio.run(main())
    assert code == 0, err[-3000:]
    summary = strict_json(out)
    assert summary["kits"] == KITS and summary["records"]["unacked"] == 0
    agents = list(summary["agents"])  # in the kits' order
    assert seen[0] == set(agents[0::2]), seen
    assert seen[1] == set(agents[1::2]), seen

    store = SqliteStore(tmp_path / "collector.sqlite")
    try:
        rows = store._read(
            lambda tx: tx.rows(
                "SELECT count(*), count(DISTINCT agent_id || '/' || seq) FROM records"
            )
        )
        (total, distinct) = (int(v) for v in rows[0])
        assert total == distinct == summary["records"]["produced"]
    finally:
        store.close()
