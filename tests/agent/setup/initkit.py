"""Fixtures for ``pantau-agent init``: a real collector on a free loopback port (its
own process), enrollment codes made through its store, and a
simulated modem on a real pty reachable through a by-id style link."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.sim.modem import SimModem
from agent.sim.scenario import Scenario
from collector.enrollment import create_code
from collector.store.sqlite import SqliteStore

SITE = "3171011001005"
AGENT = str(Path(sys.executable).with_name("pantau-agent"))
COLLECTOR = str(Path(sys.executable).with_name("pantau-collector"))

SCENARIO = {
    "identity": {"manufacturer": "Quectel", "model": "EC25", "imei": "867698041234567"},
    "steps": [
        {
            "at_s": 0,
            "rat": "lte",
            "reg_state": "home",
            "mcc": "510",
            "mnc": "10",
            "rsrp_dbm": -93,
            "rsrq_db": -11.5,
            "sinr_db": 14,
            "cell_id": 0x1A2B3C4,
            "tac": 0x2F1,
            "pci": 123,
            "earfcn": 1850,
            "band": 3,
        }
    ],
}


@dataclass
class RunningCollector:
    address: str
    db: Path

    def code(self, site: str = SITE, *, agent_id: str | None = None, ttl_s: float = 3600) -> str:
        """A one-time enrollment code, made through the store as `pantau-collector enroll`."""
        store = SqliteStore(self.db)
        try:
            code, _ = create_code(store, site, agent_id=agent_id, ttl_s=ttl_s)
        finally:
            store.close()
        return code

    def records(self, agent_id: str) -> list[object]:
        store = SqliteStore(self.db)
        try:
            return list(store.records(agent_id=agent_id))
        finally:
            store.close()


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[RunningCollector]:
    """``pantau-collector serve`` on a free loopback port, in its own process: the test
    process then runs no gRPC threads, so forking it (pexpect) stays safe."""
    data = tmp_path / "collector"
    data.mkdir()
    log = tmp_path / "collector.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [COLLECTOR, "serve", "--data-dir", str(data), "--listen", "127.0.0.1:0",
             "--throughput-listen", "off", "--http-listen", "off"],
            stdout=out, stderr=subprocess.STDOUT, env=clean_env(),
        )  # fmt: skip
    try:
        found: list[str] = []

        def listening() -> bool:
            assert proc.poll() is None, log.read_text()
            found[:] = re.findall(r"listening on port (\d+)", log.read_text())
            return bool(found)

        wait_for(listening, 30, "the test collector to listen")
        yield RunningCollector(f"127.0.0.1:{found[0]}", data / "collector.sqlite")
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture
def modem(tmp_path: Path) -> Iterator[tuple[SimModem, Path]]:
    """A simulated Quectel EC25 on a pty, with a stable link in a by-id style directory."""
    by_id = tmp_path / "by-id"
    by_id.mkdir()
    link = by_id / "usb-Quectel_EC25-if02-port0"
    sim = SimModem(Scenario.from_dict(SCENARIO), "quectel", link_path=link)
    sim.start()
    try:
        yield sim, link
    finally:
        sim.stop()


def wait_for(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.1)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a child: no systemd variables, a neutral locale."""
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    env.update({"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PANTAU_LANG": "", "TERM": "dumb"})
    env.update(extra)
    return env
