"""Silence across the collector's own faults, with real processes: a real collector
(``pantau-collector serve``) SIGKILLed and started again, or frozen with SIGSTOP, and
real kits (the agent's Spool and Uplink: ``silence_kit.py``) on three sites.

Demo-sized rules (silence after 3 s) keep each test within a minute. Every wait is
bounded; the collector and the kits are killed (and a frozen collector continued)
even when a test fails.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from collector import auth
from collector.store.model import Ticket
from collector.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[2]
KIT = Path(__file__).with_name("silence_kit.py")
SITES = {"kit-a": "3171011001005", "kit-b": "3273011002012", "kit-c": "5171011003001"}

RULES = """
[engine]
historical_after_s = 120
[agent_silent]
expected_interval_s = 1
intervals = 3
hold_s = 1
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Rig:
    """One collector (same data directory and port across restarts) and its kits."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.data = tmp / "collector"
        self.store = SqliteStore(self.data / "collector.sqlite")
        self.tokens: dict[str, str] = {}
        for name, site in SITES.items():
            credential = auth.new_credential(name)
            self.store.add_agent(credential.agent_id, site, auth.hash_secret(credential.secret))
            self.tokens[name] = credential.token()
        (tmp / "rules.toml").write_text(RULES)
        self.config = tmp / "collector.toml"
        self.config.write_text(f'[rules]\nfile = "{tmp / "rules.toml"}"\n')
        self.port = free_port()
        self.collector: subprocess.Popen[str] | None = None
        self._copier: threading.Thread | None = None
        self.kits: dict[str, subprocess.Popen[str]] = {}

    def start_collector(self) -> None:
        proc = self.collector = subprocess.Popen(
            [sys.executable, "-m", "collector.cli", "serve", "--config", str(self.config),
             "--data-dir", str(self.data), "--listen", f"127.0.0.1:{self.port}",
             "--throughput-listen", "off", "--http-listen", "off"],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=ROOT,
        )  # fmt: skip
        assert proc.stderr is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if re.search(r"collector listening on port \d+", line):
                log = self.tmp / "collector.log"
                self._copier = threading.Thread(target=_copy, args=(proc.stderr, log), daemon=True)
                self._copier.start()
                return
            if not line and proc.poll() is not None:
                break
        raise AssertionError("the collector did not start")

    def kill_collector(self) -> None:
        proc = self.collector
        assert proc is not None
        proc.send_signal(signal.SIGCONT)  # a frozen collector ends only once continued
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        if self._copier is not None:
            self._copier.join(10)  # the pipe's end: the log is complete
        if proc.stderr:
            proc.stderr.close()

    def start_kit(self, name: str) -> None:
        with (self.tmp / f"{name}.log").open("a", encoding="utf-8") as log:
            proc = subprocess.Popen(
                [sys.executable, str(KIT), str(self.tmp / f"{name}.spool"),
                 f"127.0.0.1:{self.port}", self.tokens[name], SITES[name]],
                stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )  # fmt: skip
        self.kits[name] = proc
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"

    def kill_kit(self, name: str) -> None:
        proc = self.kits.pop(name)
        proc.kill()
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()

    def silent_tickets(self, name: str) -> list[Ticket]:
        return self.store.list_tickets(site_code=SITES[name], problem="AGENT_SILENT")

    def heard_after(self, name: str, t_ns: int) -> bool:
        return self.store.last_heard_of_active_sites().get(SITES[name], 0) > t_ns

    def close(self) -> None:
        for name in list(self.kits):
            self.kill_kit(name)
        if self.collector is not None and self.collector.poll() is None:
            self.kill_collector()
        self.store.close()

    def log(self, lines: int = 20) -> str:
        path = self.tmp / "collector.log"
        text = path.read_text(encoding="utf-8") if path.exists() else "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def _copy(stream: object, path: Path) -> None:
    with path.open("a", encoding="utf-8") as out:
        for line in stream:  # type: ignore[attr-defined]
            out.write(line)
            out.flush()


@contextlib.contextmanager
def rig(tmp: Path) -> Iterator[Rig]:
    r = Rig(tmp)
    try:
        yield r
    finally:
        r.close()


def wait_until(what: str, check: Callable[[], bool], rig: Rig, timeout_s: float = 40) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout_s} s: {what}\n{rig.log()}")


def _open(tickets: list[Ticket]) -> list[Ticket]:
    return [t for t in tickets if t.is_open]


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_silence_is_judged_and_cleared_across_a_collector_restart(tmp_path: Path) -> None:
    with rig(tmp_path) as r:
        r.start_collector()
        for name in SITES:
            r.start_kit(name)
        wait_until("every kit heard", lambda: all(r.heard_after(n, 0) for n in SITES), r)
        # kit-b falls silent: its ticket opens while this collector runs
        r.kill_kit("kit-b")
        wait_until("kit-b reported silent", lambda: bool(_open(r.silent_tickets("kit-b"))), r)
        # kit-c falls silent just before the collector is killed: nobody reported it yet
        r.kill_kit("kit-c")
        r.kill_collector()
        assert r.silent_tickets("kit-c") == []
        r.start_collector()
        # item 12: the restarted collector reports kit-c, which it has never heard
        wait_until("kit-c reported silent", lambda: bool(_open(r.silent_tickets("kit-c"))), r)
        # item 11: kit-b's ticket, open across the restart, clears once it streams again
        r.start_kit("kit-b")
        wait_until("kit-b's ticket resolved", lambda: not _open(r.silent_tickets("kit-b")), r)
        (ticket,) = r.silent_tickets("kit-b")
        assert ticket.state == "resolved" and ticket.resolved_by == "auto"
        assert _open(r.silent_tickets("kit-a")) == []  # it kept streaming


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_collector_frozen_longer_than_the_silence_reports_no_kit_silent(
    tmp_path: Path,
) -> None:
    with rig(tmp_path) as r:
        r.start_collector()
        for name in ("kit-a", "kit-b"):
            r.start_kit(name)
        wait_until(
            "both kits heard", lambda: r.heard_after("kit-a", 0) and r.heard_after("kit-b", 0), r
        )
        assert r.collector is not None
        r.collector.send_signal(signal.SIGSTOP)
        try:
            time.sleep(10)  # the fault: frozen for over three times the rule's silence
        finally:
            r.collector.send_signal(signal.SIGCONT)
        thawed = time.time_ns()
        wait_until(
            "both kits heard after the thaw",
            lambda: r.heard_after("kit-a", thawed) and r.heard_after("kit-b", thawed),
            r,
        )
        # two ticks of the brain (5 s each) and the rule's silence: a ticket would show now
        deadline = time.monotonic() + 13
        while time.monotonic() < deadline:
            assert r.silent_tickets("kit-a") == [] and r.silent_tickets("kit-b") == [], r.log()
            time.sleep(0.5)
        assert "stood still" in r.log(lines=100_000)
