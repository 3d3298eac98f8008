"""A logged-in user's ``/api/v1/me`` while 40 clients flood the login endpoint.

A collector (its own process, SQLite store, the web app on a free loopback port) has one
account. The bench logs in as it, then times ``GET /api/v1/me`` (one request at a time,
``--requests`` of them per phase) without a flood (the baseline), and again while
``--clients`` clients post logins with wrong passwords as fast as they get answers,
ignoring ``Retry-After``: a process of their own (as an attacker's machine would be),
kept off the lowest CPU (as the collector's password checks are), so that the flood's
own work does not count as the collector's, each client from its own loopback address
(127.0.1.N, so each is a client of its own to the throttle). The two phases alternate
over ``--rounds`` rounds and each phase's latencies are pooled, so that the machine's
other load, drifting, hits both alike. Figures: p50/p95/max of ``/me`` in both phases,
their p95 ratio (target under 3), and how the flood was answered (401: a password check
ran; 429: throttled; 503: the password checks were full). With each phase: the share
of a CPU the collector's event loop took (``loop_cpu_share``) and how long it was ready
but waited for a CPU (``loop_waited_for_cpu_ms_per_s``; Linux's schedstat): on a shared
machine the second tells the others' load apart from the flood's.

Two scenarios, each with its own collector: ``default`` (the shipped settings), and
``checks_only`` (the throttle's failure counts set out of reach, so that only the
bound on concurrent password checks, ``[web] login_concurrency`` and ``login_queue``,
and the pause before a refusal, ``login_hold_s``, protect the user). Prints one JSON
object.

    python -m bench.login_flood [--clients 40] [--requests 1000] [--rounds 10]
                                [--scenario default,checks_only]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

USER, PASSWORD = "bench", "bench-password-1"
TARGET_RATIO = 3.0
#: [web] settings per scenario (the rest are the defaults).
SCENARIOS: dict[str, dict[str, Any]] = {
    "default": {},
    "checks_only": {"login_failures": 1_000_000_000, "login_client_failures": 1_000_000_000},
}


# -- the server side (run in a child process) ---------------------------------------


async def serve(data_dir: Path, settings: dict[str, Any]) -> None:
    """Start a collector with one account and the web app; run until stdin closes."""
    import dataclasses

    from collector.config import default_config
    from collector.server import Collector
    from collector.store.sqlite import SqliteStore
    from collector.web.accounts import hash_password

    store = SqliteStore(data_dir / "collector.sqlite")
    store.add_user(USER, hash_password(PASSWORD), "viewer", None, time.time_ns())
    base = default_config()
    config = dataclasses.replace(base, web=dataclasses.replace(base.web, **settings))
    collector = Collector(store, config=config)
    await collector.start("127.0.0.1:0")
    web_port = await collector.start_web("127.0.0.1:0")
    web = config.web
    print(
        json.dumps(
            {
                "web_port": web_port,
                "login_concurrency": web.login_concurrency,
                "login_queue": web.login_queue,
            }
        ),
        flush=True,
    )
    await asyncio.to_thread(sys.stdin.read)
    await collector.stop(0)
    store.close()


# -- the client side --------------------------------------------------------------------


def _summary(latencies_s: list[float]) -> dict[str, float]:
    ms = sorted(x * 1000 for x in latencies_s)
    return {
        "requests": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(ms[max(0, int(len(ms) * 0.95) - 1)], 2),
        "max_ms": round(ms[-1], 2),
    }


async def _me_latencies(session: Any, base: str, count: int) -> list[float]:
    out = []
    for _ in range(count):
        started = time.perf_counter()
        async with session.get(f"{base}/api/v1/me") as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"/api/v1/me answered {response.status}")
        out.append(time.perf_counter() - started)
    return out


async def _flood_client(
    base: str, address: str, n: int, active: asyncio.Event, answers: collections.Counter[int]
) -> None:
    import aiohttp

    connector = aiohttp.TCPConnector(local_addr=(address, 0), limit=1)
    async with aiohttp.ClientSession(connector=connector) as session:
        i = 0
        while True:
            await active.wait()
            i += 1
            body = {"username": f"victim-{n}-{i % 50}", "password": "wrong-password"}
            try:
                async with session.post(f"{base}/api/v1/login", json=body) as response:
                    await response.read()
                    answers[response.status] += 1
            except aiohttp.ClientError:
                answers[0] += 1


async def flood(base: str, clients: int) -> None:
    """The flood (its own process, like an attacker's machine): ``clients`` clients,
    flooding after a ``go`` line on stdin and pausing after ``pause``; at the end of
    stdin, one JSON line: the answers by status and the rate while flooding."""
    from collector.web.throttle import check_cpus

    with contextlib.suppress(OSError, AttributeError):  # where CPU affinity is unknown
        os.sched_setaffinity(0, check_cpus(os.sched_getaffinity(0)))
    active = asyncio.Event()
    answers: collections.Counter[int] = collections.Counter()
    tasks = [
        asyncio.create_task(_flood_client(base, f"127.0.1.{n + 1}", n, active, answers))
        for n in range(clients)
    ]
    print(json.dumps({"clients": clients}), flush=True)
    flooding_s, since = 0.0, 0.0
    while line := await asyncio.to_thread(sys.stdin.readline):
        if line.strip() == "go" and not active.is_set():
            since = time.monotonic()
            active.set()
        elif line.strip() == "pause" and active.is_set():
            active.clear()
            flooding_s += time.monotonic() - since
        print(json.dumps({"ok": line.strip()}), flush=True)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    rate = round(sum(answers.values()) / max(flooding_s, 1e-9), 1)
    answered = {str(k): v for k, v in sorted(answers.items())}
    print(json.dumps({"answers": answered, "per_s": rate}), flush=True)


def _schedstat(pid: int) -> tuple[int, int]:
    """The CPU time and the time spent waiting for a CPU (ns) of a process's main
    thread, the event loop's (Linux; zeros elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()
    except OSError:
        return 0, 0
    return int(fields[0]), int(fields[1])


class _Phase:
    """One phase's ``/me`` latencies, and its event loop's CPU time and wait for a CPU."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.latencies_s: list[float] = []
        self.cpu_ns = self.wait_ns = self.wall_ns = 0

    async def time(self, session: Any, base: str, count: int) -> None:
        cpu, wait, wall = *_schedstat(self.pid), time.monotonic_ns()
        self.latencies_s += await _me_latencies(session, base, count)
        cpu_after, wait_after = _schedstat(self.pid)
        self.cpu_ns += cpu_after - cpu
        self.wait_ns += wait_after - wait
        self.wall_ns += time.monotonic_ns() - wall

    def summary(self) -> dict[str, float]:
        wall_s = max(self.wall_ns, 1) / 1e9
        return {
            **_summary(self.latencies_s),
            "loop_cpu_share": round(self.cpu_ns / 1e9 / wall_s, 3),
            "loop_waited_for_cpu_ms_per_s": round(self.wait_ns / 1e6 / wall_s, 2),
        }


async def measure(
    base: str, clients: int, requests: int, rounds: int, server_pid: int
) -> dict[str, Any]:
    """Rounds of: ``/me`` without the flood, then with it; each phase's latencies pooled
    over the rounds (so that the machine's other load drifting hits both alike), with
    how much CPU the collector's event loop took, and how long it waited for one."""
    import aiohttp

    flooder = subprocess.Popen(
        [sys.executable, "-m", "bench.login_flood", "--flood", base, "--clients", str(clients)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert flooder.stdin is not None and flooder.stdout is not None
    pipe_in, pipe_out = flooder.stdin, flooder.stdout

    async def tell(command: str) -> None:
        pipe_in.write(command + "\n")
        pipe_in.flush()
        await asyncio.to_thread(pipe_out.readline)

    quiet, flooded = _Phase(server_pid), _Phase(server_pid)
    each = max(1, requests // rounds)
    try:
        await asyncio.to_thread(pipe_out.readline)
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            login = {"username": USER, "password": PASSWORD}
            async with session.post(f"{base}/api/v1/login", json=login) as response:
                if response.status != 200:
                    text = await response.text()
                    raise RuntimeError(f"login answered {response.status}: {text}")
            await _me_latencies(session, base, 20)  # warm up
            for _ in range(rounds):
                await quiet.time(session, base, each)
                await tell("go")
                await asyncio.sleep(1.0)  # let the flood reach its pace
                await flooded.time(session, base, each)
                await tell("pause")
                await asyncio.sleep(2.0)  # the held refusals are answered
    finally:
        pipe_in.close()
        report = json.loads(await asyncio.to_thread(pipe_out.readline) or "{}")
        flooder.wait(timeout=60)
    quiet_s, flooded_s = quiet.summary(), flooded.summary()
    ratio = flooded_s["p95_ms"] / quiet_s["p95_ms"]
    return {
        "me_without_flood": quiet_s,
        "me_during_flood": flooded_s,
        "p95_ratio": round(ratio, 2),
        "target_ratio": TARGET_RATIO,
        "ok": ratio < TARGET_RATIO,
        "flood_answers": report.get("answers"),
        "flood_logins_per_s": report.get("per_s"),
    }


def run_scenario(name: str, clients: int, requests: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pantau-bench-login-") as tmp:
        server = subprocess.Popen(
            [sys.executable, "-m", "bench.login_flood", "--serve", tmp,
             "--settings", json.dumps(SCENARIOS[name])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            assert server.stdout is not None and server.stdin is not None
            info = json.loads(server.stdout.readline())
            base = f"http://127.0.0.1:{info['web_port']}"
            result = asyncio.run(measure(base, clients, requests, rounds, server.pid))
        finally:
            if server.stdin is not None:
                server.stdin.close()
            server.wait(timeout=60)
    return {
        "settings": SCENARIOS[name],
        "login_concurrency": info["login_concurrency"],
        "login_queue": info["login_queue"],
        **result,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--scenario", default=",".join(SCENARIOS))
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--settings", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--flood", metavar="BASE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.flood is not None:
        asyncio.run(flood(args.flood, args.clients))
        return 0
    if args.serve is not None:
        asyncio.run(serve(args.serve, json.loads(args.settings)))
        return 0
    names = [n for n in args.scenario.split(",") if n]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {unknown[0]!r} (known: {', '.join(SCENARIOS)})")
    scenarios = {
        name: run_scenario(name, args.clients, args.requests, args.rounds) for name in names
    }
    print(
        json.dumps(
            {
                "bench": "login_flood",
                "clients": args.clients,
                "scenarios": scenarios,
                "ok": all(s["ok"] for s in scenarios.values()),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
