"""The operations centre's dashboard with 10,000 sites: first paint and live-update size.

A collector (its own process, SQLite store) is seeded with synthetic sites across
every province and three networks, a share of them with open tickets (so the map
shows every status), and serves the web app on a free loopback port. Headless
Chromium (Debian's, at /usr/bin/chromium) logs in and loads the dashboard; the
figure is ``window.pantauFirstPaint`` (ms after navigation start, set once the
province outlines and every site dot are drawn), median of ``--loads`` loads.
Baselines, measured in the same run on the same server: the login page's first
contentful paint (a static page of the same app: what any page costs) and the
``/api/v1/map`` fetch alone (the data the dashboard cannot do without).

Then the live stream: a raw HTTP client follows ``/api/v1/events`` while K sites
(1, 10, 100) change status; the bytes of the ``sites`` events it receives are
compared with refetching the whole map. Prints one JSON object.

    python -m bench.dashboard [--sites 10000] [--loads 3] [--changes 1,10,100]
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

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
]
USER, PASSWORD = "bench", "bench-password-1"
TARGET_MS = 2000.0
_S = 1_000_000_000

#: Problems given to a share of the seeded sites: (every n-th site, problem).
SEEDED_PROBLEMS = ((23, "NO_SERVICE"), (17, "WEAK_SIGNAL"), (29, "AGENT_SILENT"), (31, "HIGH_LOSS"))


# -- the server side (run in a child process) ---------------------------------------


def _raise(store: Any, code: str, operator: str, problem: str, now: int) -> Any:
    return store.raise_problem(
        code,
        operator,
        problem,
        route="bench",
        first_bad_ns=now - 60 * _S,
        last_bad_ns=now,
        evidence={"bench": True},
        historical=True,  # pages nobody
        now_ns=now,
        reopen_window_ns=0,
    )


async def serve(data_dir: Path, sites: int) -> None:
    """Seed, start the collector with its web app, then obey ``change K`` lines on stdin
    (K sites not yet changed get a WEAK_SIGNAL ticket and go out on the live stream)."""
    from collector.server import Collector
    from collector.store.sqlite import SqliteStore
    from collector.web.accounts import hash_password
    from collector.web.seed import seed_sites

    store = SqliteStore(data_dir / "collector.sqlite")
    started = time.monotonic()
    seeded = seed_sites(store, sites, history=2)
    now = time.time_ns()
    changeable = []
    tickets = 0
    for i, site in enumerate(seeded):
        problem = next((p for every, p in SEEDED_PROBLEMS if i % every == 0), None)
        if problem is not None:
            _raise(store, site.code, site.operator, problem, now)
            tickets += 1
        else:
            changeable.append(site)
    store.add_user(USER, hash_password(PASSWORD), "operator", None, now)
    seed_s = time.monotonic() - started
    collector = Collector(store)
    grpc_port = await collector.start("127.0.0.1:0")
    web_port = await collector.start_web("127.0.0.1:0")
    info = {"web_port": web_port, "grpc_port": grpc_port, "tickets": tickets, "seed_s": seed_s}
    print(json.dumps(info), flush=True)
    assert collector.web is not None
    hub = collector.web.hub
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            break
        command, _, count = line.strip().partition(" ")
        if command != "change":
            continue
        now = time.time_ns()
        batch, changeable = changeable[: int(count)], changeable[int(count) :]
        changes = await asyncio.to_thread(
            lambda b=batch, t=now: [_raise(store, s.code, s.operator, "WEAK_SIGNAL", t) for s in b]
        )
        hub.tickets_changed(c.ticket for c in changes)
        print(json.dumps({"changed": [s.code for s in batch]}), flush=True)
    await collector.stop(0)
    store.close()


# -- the browser side -------------------------------------------------------------------


async def login(context: Any, base: str) -> None:
    response = await context.request.post(
        f"{base}/api/v1/login", data={"username": USER, "password": PASSWORD}
    )
    assert response.ok, await response.text()


async def dashboard_load(context: Any, base: str) -> dict[str, float]:
    page = await context.new_page()
    try:
        await page.goto(f"{base}/", wait_until="commit")
        await page.wait_for_selector("body[data-painted='1']", timeout=60_000)
        timings = await page.evaluate(
            """() => {
              const nav = performance.getEntriesByType('navigation')[0];
              const map = performance.getEntriesByType('resource')
                .find((e) => e.name.endsWith('/api/v1/map'));
              const fcp = performance.getEntriesByName('first-contentful-paint')[0];
              return {
                first_paint_ms: window.pantauFirstPaint,
                fcp_ms: fcp ? fcp.startTime : null,
                dom_content_loaded_ms: nav ? nav.domContentLoadedEventEnd : null,
                map_fetch_end_ms: map ? map.responseEnd : null,
                map_transfer_bytes: map ? map.encodedBodySize : null,
                sites: window.pantauSites.size,
                drawn: Number(document.querySelector('#map-canvas').dataset.drawn),
                clusters: Number(document.querySelector('#map-canvas').dataset.clusters || 0),
                clustered: Number(document.querySelector('#map-canvas').dataset.clustered || 0),
              };
            }"""
        )
        return timings
    finally:
        await page.close()


async def login_page_paint(context: Any, base: str) -> float:
    page = await context.new_page()
    try:
        await page.goto(f"{base}/login", wait_until="load")
        value = await page.evaluate(
            """() => new Promise((resolve) => {
              const found = () => performance.getEntriesByName('first-contentful-paint')[0];
              if (found()) return resolve(found().startTime);
              new PerformanceObserver(() => found() && resolve(found().startTime))
                .observe({ type: 'paint', buffered: true });
            })"""
        )
        return float(value)
    finally:
        await page.close()


async def map_fetch(context: Any, base: str) -> dict[str, float]:
    page = await context.new_page()
    try:
        await page.goto(f"{base}/static/favicon.svg")
        return await page.evaluate(
            """async () => {
              const t0 = performance.now();
              const r = await fetch('/api/v1/map', {credentials: 'same-origin'});
              const text = await r.text();
              const t1 = performance.now();
              JSON.parse(text);
              return {fetch_ms: t1 - t0, parse_ms: performance.now() - t1, bytes: text.length};
            }"""
        )
    finally:
        await page.close()


async def browser_figures(base: str, loads: int) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1400, "height": 900})
            await login(context, base)
            runs, login_paints, fetches = [], [], []
            for _ in range(loads):  # interleaved, so drift in the machine hits all three
                runs.append(await dashboard_load(context, base))
                login_paints.append(await login_page_paint(context, base))
                fetches.append(await map_fetch(context, base))
            await context.close()
        finally:
            await browser.close()
    paint = [r["first_paint_ms"] for r in runs]
    median = statistics.median(paint)
    middle = sorted(runs, key=lambda r: r["first_paint_ms"])[len(runs) // 2]
    return {
        "first_paint_ms": round(median, 1),
        "runs_first_paint_ms": [round(x, 1) for x in paint],
        "breakdown_of_median_ms": {
            k: None if v is None else round(v, 1) for k, v in middle.items() if k.endswith("_ms")
        },
        # what the page itself costs once the map data is in (parse, project, draw)
        "paint_after_map_data_ms": round(
            middle["first_paint_ms"] - (middle["map_fetch_end_ms"] or 0.0), 1
        ),
        "sites_in_page": middle["sites"],
        # zoomed out, most sites are drawn as clusters (count and status shares)
        "dots_drawn": middle["drawn"],
        "clusters_drawn": middle["clusters"],
        "sites_in_clusters": middle["clustered"],
        "baseline_login_page_fcp_ms": round(statistics.median(login_paints), 1),
        "baseline_map_fetch_ms": round(statistics.median(f["fetch_ms"] for f in fetches), 1),
        "baseline_map_parse_ms": round(statistics.median(f["parse_ms"] for f in fetches), 1),
        "map_bytes": fetches[0]["bytes"],
        "ratio_to_map_fetch": round(
            median / max(1.0, statistics.median(f["fetch_ms"] for f in fetches)), 2
        ),
    }


# -- the live stream -------------------------------------------------------------------------


async def change(proc: subprocess.Popen[str], count: int) -> set[str]:
    """Has the server change ``count`` sites; their codes."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(f"change {count}\n")
    proc.stdin.flush()
    line = await asyncio.to_thread(proc.stdout.readline)
    return set(json.loads(line)["changed"])


async def drain(events: asyncio.Queue[Any], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            await asyncio.wait_for(events.get(), left)
        except TimeoutError:
            return


async def sse_figures(base: str, proc: subprocess.Popen[str], counts: list[int]) -> dict[str, Any]:
    """Bytes of the ``sites`` events a raw client receives when K sites change."""
    import aiohttp

    out: dict[str, Any] = {}
    # unsafe=True: keep cookies from an IP-address host (127.0.0.1)
    async with aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.post(
            "/api/v1/login", json={"username": USER, "password": PASSWORD}
        ) as response:
            assert response.status == 200, await response.text()
        async with session.get("/api/v1/map") as response:
            assert response.status == 200, await response.text()
            map_bytes = len(await response.read())
        async with session.get(
            "/api/v1/events", timeout=aiohttp.ClientTimeout(total=None, sock_read=60)
        ) as stream:
            assert stream.status == 200, await stream.text()
            events: asyncio.Queue[tuple[str, int, Any]] = asyncio.Queue()

            async def reader() -> None:
                name, size, data = "", 0, ""
                async for raw in stream.content:
                    size += len(raw)
                    line = raw.decode().rstrip("\n")
                    if line.startswith("event:"):
                        name = line[6:].strip()
                    elif line.startswith("data:"):
                        data += line[5:].strip()
                    elif line == "":
                        if name:
                            await events.put((name, size, json.loads(data) if data else None))
                        name, size, data = "", 0, ""

            task = asyncio.create_task(reader())
            try:
                name, _, _ = await asyncio.wait_for(events.get(), 10)
                assert name == "hello", name
                # Warm-up: one change goes by before the measured ones, so that the
                # hub has its reference rows loaded whatever it does at start.
                await change(proc, 1)
                while (await asyncio.wait_for(events.get(), 60))[0] != "tickets":
                    pass
                await drain(events, 1.5)
                for count in counts:
                    started = time.monotonic()
                    changed = await change(proc, count)
                    seen: set[str] = set()
                    ticketed: set[str] = set()
                    site_bytes = ticket_bytes = messages = 0
                    latency = 0.0
                    deadline = time.monotonic() + 15
                    while (seen < changed or ticketed < changed) and time.monotonic() < deadline:
                        try:
                            name, size, data = await asyncio.wait_for(
                                events.get(), deadline - time.monotonic()
                            )
                        except TimeoutError:
                            break
                        if name == "sites":
                            rows = [r[0] for r in data["rows"]]
                            seen.update(r for r in rows if r in changed)
                            site_bytes += size
                            messages += 1
                            if seen == changed:
                                latency = time.monotonic() - started
                        elif name == "tickets":
                            ticketed.update(t["site_code"] for t in data["tickets"])
                            ticket_bytes += size
                    assert seen == changed, f"{len(changed - seen)} changed sites never arrived"
                    out[f"changed_{count}"] = {
                        "sites_event_bytes": site_bytes,
                        "bytes_per_site": round(site_bytes / count, 1),
                        "sites_messages": messages,
                        "tickets_event_bytes": ticket_bytes,
                        "delivered_within_s": round(latency, 2),
                        "ratio_to_full_map": round(site_bytes / map_bytes, 5),
                    }
            finally:
                task.cancel()
    out["baseline_full_map_bytes"] = map_bytes
    return out


async def run(sites: int, loads: int, counts: list[int]) -> dict[str, Any]:
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
            browser = await browser_figures(base, loads)
            live = await sse_figures(base, proc, counts)
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
    return {
        "target": "first paint < 2 s with 10,000 sites",
        "sites": sites,
        "tickets": info["tickets"],
        "seed_s": round(info["seed_s"], 1),
        "loads": loads,
        "cores": os.cpu_count(),
        "first_paint": browser,
        "meets_target": browser["first_paint_ms"] < TARGET_MS,
        "live_updates": live,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard")
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--loads", type=int, default=3, help="dashboard loads; the median counts")
    parser.add_argument("--changes", default="1,10,100", help="sites changed per live update")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.data_dir, args.sites))
        return
    if not Path(CHROMIUM).exists():
        print(json.dumps({"dashboard": {"skipped": f"no Chromium at {CHROMIUM}"}}))
        return
    counts = [int(c) for c in args.changes.split(",")]
    print(json.dumps({"dashboard": asyncio.run(run(args.sites, args.loads, counts))}, indent=2))


if __name__ == "__main__":
    main()
