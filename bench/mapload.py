"""The map under many viewers: ``/api/v1/map`` latency with 10,000 sites and 30 viewers.

A collector (its own process, SQLite store, seeded as ``bench.dashboard`` seeds it:
synthetic sites across every province and three networks, a share with open tickets)
serves the web app on a free loopback port. Each viewer is its own logged-in HTTP
client that fetches the map again as soon as it has the last one (gzip accepted, as a
browser does), for ``--seconds``; latencies are per request, p50/p95/max over all
viewers (bodies are read as sent, not decompressed: the load generator shares the
cores). Baselines in the same run on the same server: one viewer alone, and
``/api/v1/me`` (a small authenticated answer: what any request costs) under the same
concurrency. Prints one JSON object.

    python -m bench.mapload [--sites 10000] [--viewers 1,30] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.dashboard import PASSWORD, USER

TARGET_P95_MS = 300.0


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def load(base: str, path: str, viewers: int, seconds: float) -> dict[str, Any]:
    """``viewers`` clients fetching ``path`` back to back for ``seconds``."""
    import aiohttp

    latencies: list[float] = []
    sizes: list[int] = []
    errors = 0

    async def login(session: aiohttp.ClientSession) -> None:
        for _ in range(20):  # one client address: logins go one at a time (throttling)
            async with session.post(
                "/api/v1/login", json={"username": USER, "password": PASSWORD}
            ) as response:
                if response.status == 200:
                    return
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
        raise RuntimeError("cannot log in")

    sessions = []
    for _ in range(viewers):  # each viewer its own session, logged in before the clock
        session = aiohttp.ClientSession(
            base,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            auto_decompress=False,  # the server's cost, not the load generator's gunzip
        )
        sessions.append(session)
        await login(session)

    async def viewer(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        async with session:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                started = time.perf_counter()
                async with session.get(path, headers={"Accept-Encoding": "gzip"}) as response:
                    body = await response.read()
                    if response.status != 200:
                        errors += 1
                        continue
                latencies.append((time.perf_counter() - started) * 1000)
                sizes.append(len(body))

    await asyncio.gather(*(viewer(session) for session in sessions))
    if not latencies:
        return {"requests": 0, "errors": errors}
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(_quantile(latencies, 0.95), 1),
        "max_ms": round(max(latencies), 1),
        "wire_bytes": sizes[0],
    }


async def run(sites: int, viewer_counts: list[int], seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pantau-bench-") as tmp:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.dashboard", "--serve", "--data-dir", tmp,
             "--sites", str(sites)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            info = json.loads(proc.stdout.readline())
            base = f"http://127.0.0.1:{info['web_port']}"
            await load(base, "/api/v1/map", 1, 1.0)  # warm-up
            figures: dict[str, Any] = {}
            for viewers in viewer_counts:
                figures[f"map_{viewers}_viewers"] = await load(
                    base, "/api/v1/map", viewers, seconds
                )
                figures[f"baseline_me_{viewers}_viewers"] = await load(
                    base, "/api/v1/me", viewers, seconds
                )
        finally:
            if proc.stdin:
                proc.stdin.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.terminate()
                proc.wait(timeout=10)
            if proc.stdout:
                proc.stdout.close()
    most = f"map_{max(viewer_counts)}_viewers"
    p95 = figures[most].get("p95_ms")
    return {
        "target": f"/api/v1/map p95 < {TARGET_P95_MS:.0f} ms with {max(viewer_counts)} viewers",
        "sites": sites,
        "seconds": seconds,
        "cores": os.cpu_count(),
        **figures,
        "meets_target": p95 is not None and p95 < TARGET_P95_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.mapload")
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--viewers", default="1,30", help="concurrent viewers, comma-separated")
    parser.add_argument("--seconds", type=float, default=8.0, help="per load level")
    args = parser.parse_args()
    counts = [int(c) for c in args.viewers.split(",")]
    print(json.dumps({"mapload": asyncio.run(run(args.sites, counts, args.seconds))}, indent=2))


if __name__ == "__main__":
    main()
