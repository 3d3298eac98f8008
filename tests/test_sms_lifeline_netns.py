"""The SMS lifeline across a real link going down (network namespaces, root).

``server`` runs the real collector (``pantau-collector serve``: gRPC on the link, its
web on loopback) and the real gateway reader (``pantau-agent sms-gateway``) on a
simulated gateway modem; ``kit`` runs the real agent (``pantau-agent run``) on a
simulated modem that stays registered. The simulated SMS centre (in this process)
carries SMS between the two modems' ptys. The kit's veth is set down: the agent notices
(gRPC keepalive), texts after ``[sms] after_s``; the collector hears the kit alive, so
no AGENT_SILENT opens though nothing comes over data for longer than its window; a
forged and a replayed SMS are refused; the link comes up, the spool drains, no more SMS.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from machine import unavailable
from netlab import NetLab, netns_unavailable

from agent.sim.modem import SimModem
from agent.sim.scenario import bundled_scenario, load_scenario
from agent.sim.sms import SmsCentre
from collector import auth
from collector.store.sqlite import SqliteStore
from pantau.core import lifeline
from pantau.core.smspdu import decode_submit

pytestmark = [pytest.mark.root, pytest.mark.slow]

BIN = Path(sys.executable).parent
SITE = "3171011001005"
KIT_NUMBER = "+628120000001"
GATEWAY_NUMBER = "+628110000099"

RULES = """
[agent_silent]
expected_interval_s = 5
intervals = 6
hold_s = 5
sms_alive_s = 600
"""
COLLECTOR = """
[rules]
file = "{rules}"

[sms]
secret_file = "{secret}"
webhook_secret_file = "{hook}"
"""
KIT = """
[agent]
site = "{site}"
id = "kit-1"
data_dir = "{data_dir}"

[collector]
address = "{address}"
credential = "{token}"
insecure = true

[modem]
port = "{modem}"
interval_s = 1

[spool]
flush_interval_s = 0.1

[sms]
enabled = true
collector_number = "{gateway}"
after_s = 2
repeat_s = 600
check_s = 0.2
"""


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def _query(db: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute(sql, args).fetchall()


def _start(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)


@pytest.mark.timeout(240)
def test_the_lifeline_across_a_link_that_goes_down(tmp_path: Path) -> None:
    if (why := netns_unavailable()) is not None:
        unavailable(why)
    data = tmp_path / "collector"
    data.mkdir()
    store = SqliteStore(data / "collector.sqlite")
    credential = auth.new_credential("kit-1")
    store.add_agent("kit-1", SITE, auth.hash_secret(credential.secret))
    store.close()
    db = data / "collector.sqlite"
    (tmp_path / "rules.toml").write_text(RULES, encoding="utf-8")
    (tmp_path / "sms.secret").write_text("collector-sms-secret-0123456789\n", encoding="utf-8")
    (tmp_path / "hook.secret").write_text("gateway-webhook-secret\n", encoding="utf-8")
    (tmp_path / "collector.toml").write_text(
        COLLECTOR.format(
            rules=tmp_path / "rules.toml", secret=tmp_path / "sms.secret",
            hook=tmp_path / "hook.secret",
        ),
        encoding="utf-8",
    )  # fmt: skip
    centre = SmsCentre(delay_s=0.2)
    strong = load_scenario(bundled_scenario("strong-lte"))
    kit_modem = SimModem(strong, sms=centre.attach(KIT_NUMBER))
    gateway_modem = SimModem(strong, sms=centre.attach(GATEWAY_NUMBER))
    processes: list[subprocess.Popen[bytes]] = []
    with kit_modem, gateway_modem, NetLab() as lab:
        path = lab.chain("kit", "server")
        kit_dev = path.links[0].a_dev
        try:
            log = tmp_path / "collector.log"
            serve = _start(
                path.server.argv(
                    str(BIN / "pantau-collector"), "serve", "--data-dir", str(data),
                    "--config", str(tmp_path / "collector.toml"), "--insecure",
                    "--listen", f"{path.server_ip}:0", "--throughput-listen", "off",
                    "--http-listen", "127.0.0.1:0",
                ),
                log,
            )  # fmt: skip
            processes.append(serve)
            ports: dict[str, str] = {}

            def listening() -> bool:
                assert serve.poll() is None, log.read_text()
                text = log.read_text()
                grpc_port = re.findall(r"listening on port (\d+)", text)
                web = re.findall(r"operations centre: http://127\.0\.0\.1:(\d+)/", text)
                if grpc_port and web:
                    ports.update(grpc=grpc_port[0], web=web[0])
                return bool(ports)

            wait_for(listening, 30, "the collector")
            gateway_log = tmp_path / "gateway.log"
            gateway_argv = path.server.argv(
                str(BIN / "pantau-agent"), "sms-gateway", "--port", gateway_modem.port_path,
                "--url", f"http://127.0.0.1:{ports['web']}/api/v1/sms",
                "--secret-file", str(tmp_path / "hook.secret"), "--interval", "0.5",
            )  # fmt: skip
            processes.append(_start(gateway_argv, gateway_log))
            kit_dir = tmp_path / "kit"
            kit_dir.mkdir()
            (kit_dir / "agent.toml").write_text(
                KIT.format(
                    site=SITE, data_dir=kit_dir / "data", token=credential.token(),
                    address=f"{path.server_ip}:{ports['grpc']}", modem=kit_modem.port_path,
                    gateway=GATEWAY_NUMBER,
                ),
                encoding="utf-8",
            )  # fmt: skip
            kit_log = kit_dir / "agent.log"
            argv = [str(BIN / "pantau-agent"), "run", "--config", str(kit_dir / "agent.toml")]
            processes.append(_start(path.client.argv(*argv), kit_log))

            def key_kept() -> bool:
                return (kit_dir / "data" / "sms.key").exists()

            wait_for(key_kept, 60, "the kit's SMS key from its Welcome")
            wait_for(lambda: bool(_query(db, "SELECT 1 FROM records LIMIT 1")), 30, "data")

            # the link goes down; the modem stays registered
            path.client.ip("link", "set", kit_dev, "down")
            cut = time.monotonic()
            wait_for(
                lambda: bool(_query(db, "SELECT 1 FROM sms_kits")), 60,
                f"the kit's SMS (kit log: {kit_log})",
            )  # fmt: skip
            texted_after_s = time.monotonic() - cut
            assert texted_after_s < 30, texted_after_s  # inside AGENT_SILENT's window

            def silent() -> bool:
                rows = _query(db, "SELECT 1 FROM tickets WHERE problem = 'AGENT_SILENT'")
                assert rows == [], "AGENT_SILENT opened for a kit alive by SMS"
                return time.monotonic() - cut > 45  # beyond the 30 s window, and then some

            wait_for(silent, 60, "the silence window to pass")

            (submitted,) = kit_modem.sms.sent if kit_modem.sms else []
            real = decode_submit(submitted).text
            forged = lifeline.encode(
                lifeline.Status("kit-1", 99), lifeline.kit_key(b"someone-elses-secret-000", "kit-1")
            )
            centre.inject(GATEWAY_NUMBER, KIT_NUMBER, forged)
            centre.inject(GATEWAY_NUMBER, KIT_NUMBER, real)

            def verdicts() -> list[object]:
                return [v for (v,) in _query(db, "SELECT verdict FROM sms_received ORDER BY id")]

            wait_for(lambda: len(verdicts()) == 3, 30, "the forged and replayed SMS")
            assert verdicts() == ["accepted", "forged", "replayed"]

            # the link comes back: the spool drains, the kit stops texting
            path.client.ip("link", "set", kit_dev, "up")
            (sms_ns,) = _query(db, "SELECT last_sms_ns FROM sms_kits")[0]

            def data_again() -> bool:
                rows = _query(db, "SELECT last_seen_ns FROM site_state WHERE site_code = ?", SITE)
                return bool(rows) and int(rows[0][0]) > int(sms_ns)  # type: ignore[call-overload]

            wait_for(data_again, 90, "data over the link again")
            assert centre.submitted == 1
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
