"""``pantau-collector demo``: a collector and five simulated kits on one machine.

The collector runs on the embedded default (SQLite in the data directory, gRPC on
a free loopback port). Each kit is a real ``pantau-agent run`` process reading
its own simulated modem through a real pty and pinging 127.0.0.1 (or, where this
user may not send ICMP, timing TCP connects to the collector instead). The
terminal shows the sites as they update; at the end a summary is printed.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TextIO

from agent import probes
from agent.sim.modem import SimModem
from agent.sim.scenario import load_scenario
from collector import auth
from collector.cli_incidents import incidents_table
from collector.cli_tickets import tickets_table
from collector.config import RulesSection
from collector.demo_noc import DemoNoc
from collector.server import Collector
from collector.store import open_store
from collector.views import sites_table
from pantau.core.aio import wait_event


@dataclass(frozen=True, slots=True)
class DemoKit:
    site: str
    scenario: str
    dialect: str


#: The demo's kits: Jakarta on strong Telkomsel LTE, Bandung on Indosat with a
#: signal that fades, and three TPS in Denpasar served by one XL cell that goes off
#: air for a while (a tower outage: one cell incident, one page to XL's NOC).
KITS = (
    DemoKit("3171011001005", "strong-lte.toml", "quectel"),
    DemoKit("3273011002012", "weak-signal.toml", "3gpp"),
    DemoKit("5171011003001", "tower-outage.toml", "3gpp"),
    DemoKit("5171011003002", "tower-outage.toml", "3gpp"),
    DemoKit("5171011003003", "tower-outage.toml", "3gpp"),
)


#: The signals that stop the demo as Ctrl-C does: kits stopped, summary printed.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def scenario_path(name: str) -> Path:
    return Path(str(resources.files("agent.sim").joinpath("scenarios", name)))


def kit_config(kit: DemoKit, *, kit_dir: Path, port: str, collector_port: int, token: str) -> str:
    return f"""\
# Written by pantau-collector demo.
[agent]
site = "{kit.site}"
id = "demo-{kit.site}"
data_dir = "{kit_dir}"

[collector]
address = "127.0.0.1:{collector_port}"
credential = "{token}"

[modem]
port = "{port}"
interval_s = 2

[spool]
flush_interval_s = 0.5

[[probe]]
name = "ping-loopback"
kind = "icmp"
interval_s = 5
target = "127.0.0.1"
count = 5
tcp_fallback_port = {collector_port}
"""


class Demo:
    def __init__(
        self, data_dir: Path, *, out: TextIO = sys.stdout, http_listen: str = "127.0.0.1:8080"
    ) -> None:
        self.data_dir = data_dir
        self.out = out
        self.http_listen = http_listen
        self.web_header = ""
        self.store = open_store(data_dir / "collector.sqlite")
        self.modems: list[SimModem] = []
        self.agents: list[tuple[DemoKit, subprocess.Popen[bytes]]] = []
        #: The signal that stopped the demo (Ctrl-C, kill, a closed terminal), if any.
        self.stopped_by: int | None = None
        self._stop = asyncio.Event()

    def _stop_on(self, signum: int) -> None:
        if self.stopped_by is None:
            self.stopped_by = signum
            self._say(f"\n{signal.Signals(signum).name}: stopping the kits and the collector")
        self._stop.set()

    async def run(self, duration_s: float | None) -> int:
        """Runs until ``duration_s`` has passed (0) or a kit fails (1), or until SIGINT,
        SIGTERM or SIGHUP (128 + the signal's number); the kits are stopped either way."""
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, self._stop_on, signum)
        try:
            status = await self._run(duration_s)
        finally:
            for signum in STOP_SIGNALS:
                loop.remove_signal_handler(signum)
        return status if self.stopped_by is None else 128 + self.stopped_by

    async def _run(self, duration_s: float | None) -> int:
        noc = DemoNoc(self._say)
        config = noc.config(noc.start())
        rules = str(resources.files("collector").joinpath("demo_rules.toml"))
        config = replace(config, rules=RulesSection(file=rules))
        collector = Collector(self.store, config=config)
        port = await collector.start("127.0.0.1:0")
        self._say(f"collector listening on 127.0.0.1:{port}, data in {self.data_dir}")
        await self._start_web(collector)
        self._say(
            "incidents go to the operators' webhooks (demo stand-ins, lines marked ->); "
            f"see them at {collector.web_url}/incidents"
        )
        if probes.icmp_method_available() is None:
            self._say(
                "ICMP is not permitted for this user: the kits time TCP connects to the "
                "collector instead of pinging"
            )
        try:
            for kit in KITS:
                if not self._stop.is_set():
                    self._start_kit(kit, port)
            return await self._watch(duration_s)
        finally:
            self._stop_kits()
            await collector.stop()
            noc.stop()
            self._summary()
            self.store.close()

    async def _start_web(self, collector: Collector) -> None:
        """The operations centre on --http-listen (a free port if that one is taken), and
        a demo admin account with a fresh random password."""
        from collector.web.accounts import hash_password

        try:
            await collector.start_web(self.http_listen)
        except OSError:
            host = self.http_listen.rpartition(":")[0] or "127.0.0.1"
            await collector.start_web(f"{host}:0")
        password = secrets.token_urlsafe(12)
        self.store.remove_user("demo")
        self.store.add_user("demo", hash_password(password), "admin", None, time.time_ns())
        self.web_header = (
            f"operations centre: {collector.web_url}/  (login: demo / password: {password})"
        )
        self._say(self.web_header)

    def _start_kit(self, kit: DemoKit, collector_port: int) -> None:
        modem = SimModem(load_scenario(scenario_path(kit.scenario)), kit.dialect)
        pty_path = modem.start()
        self.modems.append(modem)
        agent_id = f"demo-{kit.site}"
        credential = auth.new_credential(agent_id)
        self.store.add_agent(agent_id, kit.site, auth.hash_secret(credential.secret))
        kit_dir = self.data_dir / "kits" / agent_id
        kit_dir.mkdir(parents=True, exist_ok=True)
        config = kit_dir / "agent.toml"
        config.write_text(
            kit_config(
                kit,
                kit_dir=kit_dir,
                port=pty_path,
                collector_port=collector_port,
                token=credential.token(),
            ),
            encoding="utf-8",
        )
        config.chmod(0o600)
        with (kit_dir / "agent.log").open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "agent.cli", "run", "--config", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.agents.append((kit, proc))
        self._say(f"kit {kit.site}: {kit.scenario} ({kit.dialect}) on {pty_path}, pid {proc.pid}")

    async def _watch(self, duration_s: float | None) -> int:
        deadline = None if duration_s is None else time.monotonic() + duration_s
        tty = self.out.isatty()
        while (deadline is None or time.monotonic() < deadline) and not self._stop.is_set():
            for kit, proc in self.agents:
                if proc.poll() is not None:
                    self._say(
                        f"kit {kit.site}: agent exited with code {proc.returncode}; "
                        f"see {self.data_dir / 'kits' / f'demo-{kit.site}' / 'agent.log'}"
                    )
                    return 1
            table = sites_table(self.store.sites(), now_ns=time.time_ns())
            if tty:
                self.out.write("\x1b[H\x1b[2J")
            self.out.write(
                f"{time.strftime('%H:%M:%S')}  Pantau demo (Ctrl-C stops)\n{self.web_header}\n"
                f"{table}\n\n"
            )
            self.out.flush()
            wait = 2.0 if deadline is None else min(2.0, max(0.0, deadline - time.monotonic()))
            await wait_event(self._stop, wait)
        return 0

    def _stop_kits(self) -> None:
        for _, proc in self.agents:
            if proc.poll() is None:
                proc.terminate()
        for _, proc in self.agents:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for modem in self.modems:
            modem.stop()

    def _summary(self) -> None:
        sites = self.store.sites()
        self._say("\nSummary:")
        self._say(sites_table(sites, now_ns=time.time_ns()))
        tickets = self.store.list_tickets(limit=50)
        self._say("\nTickets:")
        self._say(tickets_table(sorted(tickets, key=lambda t: t.id)))
        found = self.store.list_incidents(states=None, top_only=True, limit=50)
        self._say("\nIncidents / Insiden:")
        self._say(incidents_table(sorted(found, key=lambda i: i.incident.id or 0)))
        total = sum(s.records for s in sites)
        self._say(
            f"\n{total} records stored from {len(sites)} sites in {self.data_dir}. "
            f"See them with: pantau-collector sites --data-dir {self.data_dir} --json, and "
            f"pantau-collector tickets list --state all --data-dir {self.data_dir}, and "
            f"pantau-collector incidents list --state all --data-dir {self.data_dir}"
        )

    def _say(self, text: str) -> None:
        try:
            self.out.write(text + "\n")
            self.out.flush()
        except OSError:  # the terminal has gone (SIGHUP): stopping goes on without it
            pass


def run_demo(
    data_dir: Path, duration_s: float | None, *, http_listen: str = "127.0.0.1:8080"
) -> int:
    """The demo's exit status: 0 when ``duration_s`` has passed, 1 when a kit failed,
    128 + the signal's number when SIGINT (130), SIGTERM (143) or SIGHUP (129) ended it
    (the kits and the collector are stopped and the summary printed all the same)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    demo = Demo(data_dir.resolve(), http_listen=http_listen)
    try:
        return asyncio.run(demo.run(duration_s))
    except KeyboardInterrupt:  # before the handlers were installed or after they were removed
        return 128 + signal.SIGINT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_demo(Path(os.environ.get("PANTAU_DEMO_DIR", "demo-data")), 30))
