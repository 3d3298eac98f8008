"""End to end: a satellite kit behind the userspace link emulator is judged against its
backhaul, and its HIGH_LATENCY goes to the satellite queue.

Network namespaces (root): ``client`` runs the real collector (``pantau-collector serve``,
SQLite, a fast rules file) and two real agents (``pantau-agent run``) with no modem,
each pinging the ``server`` namespace with real ICMP through ``router``, where the link
emulator (:mod:`agent.sim.link`) delays every packet. One kit declares
``backhaul = "vsat-geo"``, the other is an ordinary cellular kit (the control: it shows
the collector judged the same pings).

- 600 ms RTT (a geostationary link's normal): the cellular kit gets HIGH_LATENCY, the
  satellite kit none;
- 1,500 ms RTT: the satellite kit gets HIGH_LATENCY, keyed "satellite" and routed by
  ``[routing] satellite``, starting when the link got slow.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from machine import unavailable
from netlab import Chain, NetLab, cleanup_leftovers, netns_unavailable

from collector import auth
from collector.store.sqlite import SqliteStore
from pantau.v1 import records_pb2

pytestmark = [pytest.mark.root, pytest.mark.slow]

BIN = Path(sys.executable).parent
SATELLITE_SITE = "9471011001005"  # a TPS in Papua, on a BAKTI VSAT link
CELLULAR_SITE = "3171011001005"
S = 1_000_000_000

RULES = """
[high_latency]
for_s = 4
hold_s = 4
window_s = 3
flap_changes = 0
"""

COLLECTOR = """
[rules]
file = "{rules}"

[routing]
satellite = "bakti-noc"
default = "noc"
"""

KIT = """
[agent]
site = "{site}"
id = "{agent_id}"
data_dir = "{data_dir}"

[collector]
address = "127.0.0.1:{port}"
credential = "{token}"

[kit]
backhaul = "{backhaul}"

[spool]
flush_interval_s = 0.1

[[probe]]
name = "ping-server"
kind = "icmp"
interval_s = 1
jitter_ratio = 0
target = "{target}"
count = 2
timeout_s = 3
"""


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


@dataclass
class Site:
    db: Path
    site_code: str

    def _query(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10) as db:
            return db.execute(sql, args).fetchall()

    def latency_tickets(self) -> list[dict[str, object]]:
        rows = self._query(
            "SELECT operator, route, first_bad_ns, evidence FROM tickets "
            "WHERE site_code = ? AND problem = 'HIGH_LATENCY' ORDER BY id",
            self.site_code,
        )
        return [
            {"operator": op, "route": route, "first_bad_ns": first, "evidence": json.loads(ev)}
            for op, route, first, ev in rows
        ]

    def problems(self) -> list[tuple[object, ...]]:
        return self._query(
            "SELECT problem, operator, route FROM tickets WHERE site_code = ? ORDER BY id",
            self.site_code,
        )

    def ping_medians_since(self, since_ns: int) -> list[float]:
        rows = self._query(
            "SELECT payload FROM records WHERE site_code = ? AND kind = 'ping' "
            "AND event_ns >= ? ORDER BY event_ns",
            self.site_code,
            since_ns,
        )
        pings = [records_pb2.Record.FromString(bytes(p)).ping for (p,) in rows]  # type: ignore[arg-type]
        return [p.median_ms for p in pings if p.HasField("median_ms")]


@dataclass
class Lab:
    lab: NetLab
    path: Chain
    satellite: Site
    cellular: Site


def _emulator(path: Chain, rtt_ms: float) -> subprocess.Popen[str]:
    """The link emulator on the lab's devices, delaying each direction by half the RTT."""
    router = path.namespaces[1]
    process = subprocess.Popen(
        router.argv(
            sys.executable, "-m", "agent.sim.link_cli", "--up-dev", "lk-up",
            "--down-dev", "lk-dn", "--delay-ms", f"{rtt_ms / 2:g}",
            "--max-runtime-s", "170", "--exit-with-parent",
        ),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready", process.stderr
    return process


def _start(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    reason = netns_unavailable()
    if reason is not None:
        unavailable(reason)
    cleanup_leftovers()
    data = tmp_path / "collector"
    data.mkdir()
    store = SqliteStore(data / "collector.sqlite")
    tokens = {}
    for agent_id, site in (("kit-vsat", SATELLITE_SITE), ("kit-cell", CELLULAR_SITE)):
        credential = auth.new_credential(agent_id)
        store.add_agent(agent_id, site, auth.hash_secret(credential.secret))
        tokens[agent_id] = credential.token()
    store.close()
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    config = tmp_path / "collector.toml"
    config.write_text(COLLECTOR.format(rules=rules), encoding="utf-8")
    processes: list[subprocess.Popen[bytes]] = []
    with NetLab() as netlab:
        path = netlab.chain("client", "router", "server")
        # the emulator's devices and routes; each phase runs an emulator of its own
        netlab.emulate(path.namespaces[1], client_dev=path.links[0].b_dev,
                       server_dev=path.links[1].a_dev)  # fmt: skip
        netlab.stop_emulators()
        log = tmp_path / "collector.log"
        try:
            serve = _start(
                path.client.argv(
                    str(BIN / "pantau-collector"), "serve", "--data-dir", str(data),
                    "--config", str(config), "--listen", "127.0.0.1:0",
                    "--throughput-listen", "off", "--http-listen", "off",
                ),
                log,
            )  # fmt: skip
            processes.append(serve)
            found: list[str] = []

            def listening() -> bool:
                assert serve.poll() is None, log.read_text()
                found[:] = re.findall(r"listening on port (\d+)", log.read_text())
                return bool(found)

            wait_for(listening, 30, "the collector in the client namespace")
            for agent_id, site, backhaul in (
                ("kit-vsat", SATELLITE_SITE, "vsat-geo"),
                ("kit-cell", CELLULAR_SITE, "cellular"),
            ):
                kit = tmp_path / agent_id
                kit.mkdir()
                text = KIT.format(
                    site=site, agent_id=agent_id, data_dir=kit / "data", port=found[0],
                    token=tokens[agent_id], backhaul=backhaul, target=path.server_ip,
                )  # fmt: skip
                (kit / "agent.toml").write_text(text, encoding="utf-8")
                argv = [str(BIN / "pantau-agent"), "run", "--config", str(kit / "agent.toml")]
                processes.append(_start(path.client.argv(*argv), kit / "agent.log"))
            db = data / "collector.sqlite"
            yield Lab(netlab, path, Site(db, SATELLITE_SITE), Site(db, CELLULAR_SITE))
        finally:
            _stop(processes)


@pytest.mark.timeout(180)
def test_a_satellite_kit_is_judged_against_its_link_and_routed_to_the_satellite_queue(
    lab: Lab,
) -> None:
    satellite, cellular = lab.satellite, lab.cellular

    # 600 ms: a geostationary link's normal
    started_ns = time.time_ns()
    link = _emulator(lab.path, rtt_ms=600)
    try:
        wait_for(lambda: bool(cellular.latency_tickets()), 60, "the cellular kit's HIGH_LATENCY")
        # the satellite kit's pings of the same time were judged by the same collector
        medians = satellite.ping_medians_since(started_ns)
        assert len(medians) >= 5 and all(550 <= m < 900 for m in medians), medians
        assert satellite.latency_tickets() == []
        [control] = cellular.latency_tickets()
        assert control["route"] != "bakti-noc"  # a cellular kit's goes to an operator
    finally:
        link.terminate()
        link.communicate(timeout=10)

    # 1,500 ms: too slow even for a geostationary link
    slow_ns = time.time_ns()
    link = _emulator(lab.path, rtt_ms=1500)
    try:
        wait_for(lambda: bool(satellite.latency_tickets()), 60, "the satellite kit's HIGH_LATENCY")
    finally:
        link.terminate()
        link.communicate(timeout=10)
    [ticket] = satellite.latency_tickets()
    assert ticket["operator"] == "satellite" and ticket["route"] == "bakti-noc"
    # it began when the link got slow (a round in flight then may count), not at 600 ms
    assert isinstance(ticket["first_bad_ns"], int) and ticket["first_bad_ns"] >= slow_ns - 2 * S
    evidence = ticket["evidence"]
    assert isinstance(evidence, dict)
    last = evidence["last_bad"]
    assert last["backhaul"] == "vsat-geo" and last["max_rtt_ms"] == 1200
    assert last["window_median_ms"] > 1200
    # no modem: nothing about radio or a modem, and nothing for a mobile operator
    assert satellite.problems() == [("HIGH_LATENCY", "satellite", "bakti-noc")]
