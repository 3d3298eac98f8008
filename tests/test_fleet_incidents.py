"""Incidents under the fleet simulator: a tower outage and a province degradation page
once each, within the route's limit, and a resolve survives a receiver outage.

A real collector runs in this process on SQLite with the demo's rules (durations fit
``--speed 60``: a simulated minute is a real second) and a PagerDuty-format route
with a small ``max_per_minute`` to a real HTTP receiver; ``pantau-agent fleet`` runs
as its own process with codes from ``pantau-collector enroll --sites-file``.

The receiver outage: the receiver refuses from just after the trigger, through the
resolve, while the collector runs; the collector then stops with the resolve
undelivered (the outbox holds it), and a restarted dispatcher on a driven clock keeps
meeting refusals for 5 minutes of its clock before the receiver accepts again.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from agent.fleet.credentials import synthetic_sites
from collector.cli import main as collector_main
from collector.config import RoutingSection, RulesSection, default_config
from collector.incidents import Kind, Paged
from collector.notify import Dispatcher, Route
from collector.server import Collector
from collector.store.sqlite import SqliteStore
from tests.webhook import Received, WebhookReceiver

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "fleet"
S = 10**9
MINUTE = 60 * S
PER_MINUTE = 2  # the route's max_per_minute: small, so that a storm would show


def strict_json(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def enroll(tmp: Path, sites: list[str]) -> None:
    listed = tmp / "sites.csv"
    listed.write_text("tps_code\n" + "".join(f"{s}\n" for s in sites), encoding="utf-8")
    argv = ["enroll", "--data-dir", str(tmp), "--sites-file", str(listed),
            "--out", str(tmp / "codes.csv")]  # fmt: skip
    assert collector_main(argv) == 0


def pd_route(url: str) -> Route:
    return Route("pd", url, format="pagerduty", routing_key="k" * 32, max_per_minute=PER_MINUTE)


@asynccontextmanager
async def collector(tmp: Path, operator: str, url: str) -> AsyncIterator[Collector]:
    store = SqliteStore(tmp / "collector.sqlite")
    rules = str(resources.files("collector").joinpath("demo_rules.toml"))
    config = replace(
        default_config(),
        rules=RulesSection(file=rules),
        routing=RoutingSection(operators={operator: "pd"}),
        routes={"pd": pd_route(url)},
    )
    running = Collector(store, config=config)
    await running.start("127.0.0.1:0")
    try:
        yield running
    finally:
        await running.stop(0)
        store.close()


async def start_fleet(port: int, tmp: Path, scenario: Path, kits: int) -> Any:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "agent.cli", "fleet", "--collector", f"127.0.0.1:{port}",
        "--codes", str(tmp / "codes.csv"), "--credentials", str(tmp / "credentials.csv"),
        "--scenario", str(scenario), "--kits", str(kits), "--speed", "60",
        "--duration", "120", "--drain", "1", "--progress", "5",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip


async def stop_fleet(proc: Any) -> dict[str, Any]:
    os.kill(proc.pid, signal.SIGTERM)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()[-3000:]
    summary: dict[str, Any] = strict_json(out.decode())
    assert summary["records"]["unacked"] == 0 or summary["stopped_by"] == "SIGTERM"
    return summary


def pd_event(r: Received) -> tuple[str, str]:
    body = r.json()
    return str(body["dedup_key"]), str(body["event_action"])


def has(action: str) -> Callable[[list[Received]], bool]:
    return lambda rs: any(pd_event(r)[1] == action for r in rs)


async def until(done: Callable[[], bool], what: str, timeout_s: float) -> None:
    """Look every 0.2 s (the collector runs meanwhile) until ``done()``."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {what} within {timeout_s} s")
        await asyncio.sleep(0.2)


def all_resolved(store: Any, operator: str) -> bool:
    """Every incident of the operator resolved and its resolve queued (at least one)."""
    seen = store.list_incidents(states=["open", "resolved"], operator=operator, limit=1000)
    tops = [i.incident for i in seen if i.parent_id is None]
    return bool(tops) and all(i.state == "resolved" and i.paged != Paged.TRIGGERED for i in tops)


def max_in_any_minute(times: list[int]) -> int:
    times = sorted(times)
    return max((sum(1 for t in times[i:] if t < start + MINUTE) for i, start in
                enumerate(times)), default=0)  # fmt: skip


@pytest.mark.timeout(120)
def test_a_50_site_tower_outage_pages_once_and_its_resolve_outlives_a_receiver_outage(
    tmp_path: Path,
) -> None:
    enroll(tmp_path, synthetic_sites(60, ["31"]))
    with WebhookReceiver() as hook:

        async def run() -> dict[str, Any]:
            async with collector(tmp_path, "510-10", hook.url) as running:
                fleet = await start_fleet(running.port, tmp_path, DATA / "tower-50.toml", 60)
                try:
                    await asyncio.to_thread(hook.wait_until, has("trigger"), "a trigger", 60)
                    hook.status = 503  # the receiver goes down before the tower is back
                    await until(lambda: all_resolved(running.store, "510-10"), "resolved", 60)
                finally:
                    summary = await stop_fleet(fleet)
            return summary

        summary = asyncio.run(run())
        # the collector stopped with the resolve in its outbox; a restarted dispatcher
        # on a driven clock meets 5 more minutes of refusals, then the receiver is back
        store = SqliteStore(tmp_path / "collector.sqlite")
        try:
            assert store.outbox_backlog() >= 1
            now = [time.time_ns()]
            restart = now[0]
            hook.clock = lambda: now[0]
            dispatcher = Dispatcher(store, {"pd": pd_route(hook.url)}, clock=lambda: now[0])

            async def drive() -> None:
                for _ in range(12 * 30):  # up to 30 minutes in 5 s steps
                    if now[0] >= restart + 5 * MINUTE:
                        hook.status = 200
                    await dispatcher.run_once()
                    if hook.status == 200 and store.outbox_backlog() == 0:
                        return
                    now[0] += 5 * S

            asyncio.run(drive())
            assert store.outbox_backlog() == 0, "the resolve was delivered"
            incidents = store.list_incidents(states=["open", "resolved"], limit=1000)
            tops = [i for i in incidents if i.parent_id is None]
            (cell,) = [i for i in incidents if i.incident.kind == Kind.CELL]
            assert cell.incident.id is not None
            got = store.get_incident(cell.incident.id)
            assert got is not None
            tickets = got[1]
        finally:
            store.close()
        requests, accepted = list(hook.requests), list(hook.received)

    (outage,) = [s for s in summary["spells"] if s["what"] == "outage"]
    assert len(outage["sites"]) == 50 and outage["cell_id"]
    incident = cell.incident
    assert incident.scope.cell == f"510-10:{outage['cell_id']}"
    assert len(tickets) == 50 and incident.state == "resolved"
    # the tower's fault is one coverage incident: its cell's. Its kits' pings fail too
    # (a kit without service cannot reach anything): HIGH_LOSS at the same 50 sites,
    # which names no cell, is one area incident of the network family beside it.
    # Known gap: one fault, two pages; when NO_SERVICE takes in the loss, this is one.
    assert {t.incident.key for t in tops} == {incident.key, "area:510-10:network:3101"}
    assert all(t.incident.paged == Paged.RESOLVED for t in tops)
    # at the receiver: one trigger and one resolve per incident, none lost, in order
    assert _by_key(accepted) == {
        f"pantau-incident-{t.incident.id}": ["trigger", "resolve"] for t in tops
    }
    assert len({r.headers["Idempotency-Key"] for r in accepted}) == len(accepted)
    # down from just after the first trigger until 5 minutes of the restarted
    # dispatcher's clock had passed; every resolve came after that
    refused = [r for r in requests if r.status >= 500]
    assert refused and all(r.at_ns < restart + 5 * MINUTE for r in refused)
    resolves = [r.at_ns for r in accepted if pd_event(r)[1] == "resolve"]
    assert min(resolves) >= restart + 5 * MINUTE
    # each dispatcher's calls (refused too) within the route's limit in any minute
    before = [r.at_ns for r in requests if r.at_ns < restart]
    after = [r.at_ns for r in requests if r.at_ns >= restart]
    assert max_in_any_minute(before) <= PER_MINUTE
    assert max_in_any_minute(after) <= PER_MINUTE
    print(
        f"\ntower outage: 50 kits, {len(tickets)} tickets in cell incident {incident.key}; "
        f"{len(tops)} top-level incidents; {len(requests)} calls, {len(refused)} refused, "
        f"max {max_in_any_minute(before)}/{max_in_any_minute(after)} a minute "
        f"(limit {PER_MINUTE}); resolves {(min(resolves) - restart) / MINUTE:.1f} min "
        f"after the restart"
    )


def _by_key(received: list[Received]) -> dict[str, list[str]]:
    actions: dict[str, list[str]] = defaultdict(list)
    for r in received:
        key, action = pd_event(r)
        actions[key].append(action)
    return actions
