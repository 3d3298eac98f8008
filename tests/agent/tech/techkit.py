"""Shared pieces of the technician-tool tests: a real collector on a free loopback port
(in its own thread and event loop, so CLI subprocesses can talk to it), simulated
modems on real ptys, kit configs and running the real ``pantau-agent`` CLI."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agent.sim.modem import SimModem
from agent.sim.scenario import Scenario, load_scenario
from collector import auth
from collector.server import Collector
from collector.store.sqlite import SqliteStore

REPO = Path(__file__).resolve().parents[3]
CLI = str(REPO / ".venv" / "bin" / "pantau-agent")
SITE = "3171011001005"
AGENT_ID = "kit-tech"
SCENARIOS = REPO / "agent" / "sim" / "scenarios"

LTE: dict[str, Any] = {
    "at_s": 0,
    "rat": "lte",
    "reg_state": "home",
    "sim_state": "ready",
    "mcc": "510",
    "mnc": "10",
    "tac": 0x3E8,
    "cell_id": 0x1A2D001,
    "pci": 123,
    "earfcn": 1850,
    "band": 3,
    "rssi_dbm": -57,
    "rsrp_dbm": -85,
    "rsrq_db": -8,
    "sinr_db": 18,
}


class RunningCollector:
    """A collector with an enrolled kit and a throughput endpoint, served from a thread."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.port = 0
        self.throughput_port = 0
        self.token = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)
        self.store: SqliteStore | None = None

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        store = SqliteStore(self.tmp / "collector.sqlite")
        self.store = store
        credential = auth.new_credential(AGENT_ID)
        store.add_agent(AGENT_ID, SITE, auth.hash_secret(credential.secret))
        self.token = credential.token()
        collector = Collector(store)
        self.port = await collector.start("127.0.0.1:0")
        self.throughput_port = await collector.start_throughput("127.0.0.1:0")
        self._stop = asyncio.Event()
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await collector.stop(0)
            store.close()

    def start(self) -> RunningCollector:
        self._thread.start()
        assert self._ready.wait(30), "the collector did not start"
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def call(self, fn: Callable[[SqliteStore], Any]) -> Any:
        """Run ``fn(store)`` (a read) from the test thread."""
        assert self.store is not None
        return fn(self.store)


@contextmanager
def collector(tmp: Path) -> Iterator[RunningCollector]:
    running = RunningCollector(tmp).start()
    try:
        yield running
    finally:
        running.stop()


@contextmanager
def sim_modem(
    scenario: dict[str, Any] | str | Path, dialect: str = "quectel"
) -> Iterator[SimModem]:
    loaded = Scenario.from_dict(scenario) if isinstance(scenario, dict) else load_scenario(scenario)
    modem = SimModem(loaded, dialect)
    modem.start()
    try:
        yield modem
    finally:
        modem.stop()


def write_config(
    tmp: Path,
    *,
    port: str = "",
    address: str = "127.0.0.1:1",
    token: str | None = "kit-tech.c2VjcmV0",
    throughput_port: int | None = None,
    extra: str = "",
    modem_interval_s: float = 1.0,
    gnss: bool = False,
) -> Path:
    credential = f'credential = "{token}"' if token else f'credential_file = "{tmp / "nothing"}"'
    text = f"""
[agent]
site = "{SITE}"
id = "{AGENT_ID}"
data_dir = "{tmp / "kit"}"

[collector]
address = "{address}"
{credential}

[modem]
port = "{port}"
dialect = "quectel"
interval_s = {modem_interval_s}
gnss = {"true" if gnss else "false"}

[spool]
flush_interval_s = 0.1
"""
    if throughput_port is not None:
        text += f"""
[[probe]]
name = "throughput-collector"
kind = "throughput"
interval_s = 3600
target = "127.0.0.1"
port = {throughput_port}
max_bytes = 1000000
max_time_s = 2
"""
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "agent.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def run_cli(
    *argv: str, timeout: float = 90, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    full_env.pop("NO_COLOR", None)
    return subprocess.run(
        [CLI, *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        check=False,
    )


def check_json(*argv: str) -> tuple[int, dict[str, Any]]:
    proc = run_cli("check", "--json", *argv)
    assert proc.stdout.strip(), f"no JSON; stderr: {proc.stderr}"
    try:
        return proc.returncode, json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"not JSON: {proc.stdout!r}; stderr: {proc.stderr}") from None


def codes(doc: dict[str, Any], key: str) -> set[str]:
    return {item["code"] for item in doc[key]}


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


PYTHON = sys.executable


def namespaces_or_skip() -> None:
    """Network namespaces are needed: skip (fail under CI) with the reason, else clear any
    namespaces an earlier run left."""
    from machine import unavailable
    from netlab import cleanup_leftovers, netns_unavailable

    reason = netns_unavailable()
    if reason is not None:
        unavailable(reason)
    cleanup_leftovers()


def collector_data_with_kit(tmp: Path) -> tuple[Path, str]:
    """A collector data directory (``tmp/collector``) whose store has :data:`AGENT_ID`
    enrolled at :data:`SITE`; the directory and the kit's credential token."""
    from collector import auth
    from collector.store.sqlite import SqliteStore

    data = tmp / "collector"
    data.mkdir()
    store = SqliteStore(data / "collector.sqlite")
    credential = auth.new_credential(AGENT_ID)
    store.add_agent(AGENT_ID, SITE, auth.hash_secret(credential.secret))
    store.close()
    return data, credential.token()
