"""Two collector processes on one PostgreSQL, one site's two kits spread across them:
exactly one ticket for the problem and exactly one notification per transition.

Incidents are off here, so each ticket pages on its own (the mode before incidents):
the failover test (test_failover.py) runs the default, incidents on."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from machine import unavailable

from agent.sim.modem import SimModem
from agent.sim.scenario import load_scenario
from collector import auth
from collector.store import open_store
from tests.webhook import WebhookReceiver

SITE = "3273011002012"
ROOT = Path(__file__).resolve().parents[2]
DSN = os.environ.get("PANTAU_TEST_PG_DSN") or "postgresql://postgres@127.0.0.1:5432/test"


def weak_for_a_while(weak_at_s: int, back_at_s: int) -> str:
    """A simulated modem's scenario: good signal, too weak from ``weak_at_s``, good again
    from ``back_at_s``."""
    return f"""
name = "weak-for-a-while"
loop = false
[[steps]]
at_s = 0
rat = "lte"
reg_state = "home"
mcc = "510"
mnc = "01"
rsrp_dbm = -90
rsrq_db = -10
sinr_db = 12
[[steps]]
at_s = {weak_at_s}
rsrp_dbm = -118
[[steps]]
at_s = {back_at_s}
rsrp_dbm = -90
"""


def replica_rules(hold_s: int) -> str:
    """Rules that open WEAK_SIGNAL after 3 s and clear it after ``hold_s``, everything else
    quiet; the ``[incidents]`` table is last, so a caller may append its ``enabled``."""
    return f"""
[engine]
historical_after_s = 120
update_every_s = 600
[weak_signal]
for_s = 3
hold_s = {hold_s}
window_s = 3
[poor_quality]
enabled = false
[agent_silent]
expected_interval_s = 10
intervals = 6
[incidents]
group_wait_s = 1
hold_s = 1
"""


def pg_schema() -> str | None:
    try:
        import psycopg

        schema = f"pantau_replicas_{secrets.token_hex(5)}"
        with psycopg.connect(DSN, autocommit=True, connect_timeout=3) as admin:
            admin.execute(f"CREATE SCHEMA {schema}")
    except Exception:
        return None
    return schema


@contextlib.contextmanager
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    try:
        yield started
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.terminate()
        for proc in started:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()


def start_collector(procs: list[subprocess.Popen[str]], config: Path, data: Path) -> int:
    proc = subprocess.Popen(
        [sys.executable, "-m", "collector.cli", "serve", "--config", str(config),
         "--listen", "127.0.0.1:0", "--throughput-listen", "off", "--http-listen", "off",
         "--data-dir", str(data)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=ROOT,
    )  # fmt: skip
    procs.append(proc)
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if match := re.search(r"collector listening on port (\d+)", line):
            threading.Thread(target=proc.stderr.read, daemon=True).start()
            return int(match.group(1))
        if not line and proc.poll() is not None:
            break
    raise AssertionError("a collector did not start")


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.timeout(180)
def test_two_collectors_on_one_postgresql_agree_on_one_ticket(tmp_path: Path) -> None:
    schema = pg_schema()
    if schema is None:
        unavailable(f"no PostgreSQL at {DSN} (set PANTAU_TEST_PG_DSN)")
    url = f"{DSN}?options=-csearch_path%3D{schema}"
    (tmp_path / "scenario.toml").write_text(weak_for_a_while(5, 17))
    (tmp_path / "rules.toml").write_text(replica_rules(5) + "enabled = false\n")
    modems: list[SimModem] = []
    try:
        with WebhookReceiver() as hook, processes() as procs:
            config = tmp_path / "collector.toml"
            config.write_text(
                f'[store]\nurl = "{url}"\n[rules]\nfile = "{tmp_path / "rules.toml"}"\n'
                '[routing]\noperators = { "510-01" = "indosat" }\n'
                f'[routes.indosat]\nurl = "{hook.url}"\nsecret = "k"\n'
            )
            store = open_store(url)
            tokens = []
            for name in ("kit-a", "kit-b"):
                credential = auth.new_credential(name)
                store.add_agent(name, SITE, auth.hash_secret(credential.secret))
                tokens.append(credential.token())
            ports = [start_collector(procs, config, tmp_path / f"c{i}") for i in (1, 2)]
            for name, token, port in zip(("kit-a", "kit-b"), tokens, ports, strict=True):
                modem = SimModem(load_scenario(tmp_path / "scenario.toml"), "3gpp")
                modems.append(modem)
                kit = tmp_path / name
                kit.mkdir()
                (kit / "agent.toml").write_text(
                    f'[agent]\nsite = "{SITE}"\nid = "{name}"\ndata_dir = "{kit}"\n'
                    f'[collector]\naddress = "127.0.0.1:{port}"\ncredential = "{token}"\n'
                    f'[modem]\nport = "{modem.start()}"\ninterval_s = 1\n'
                    "[spool]\nflush_interval_s = 0.2\n"
                )
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "agent.cli", "run", "--config", str(kit / "agent.toml")],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                ))  # fmt: skip
            received = hook.wait_for(2, timeout_s=90)  # the trigger and the resolve
            time.sleep(3)  # a second trigger or resolve, were one coming, would show now
            received = list(hook.received)
            tickets = store.list_tickets(problem="WEAK_SIGNAL")
            store.close()
    finally:
        for modem in modems:
            modem.stop()
        with contextlib.suppress(Exception):
            import psycopg

            with psycopg.connect(DSN, autocommit=True) as admin:
                admin.execute(f"DROP SCHEMA {schema} CASCADE")
    assert len(tickets) == 1
    (ticket,) = tickets
    assert (ticket.site_code, ticket.operator, ticket.route) == (SITE, "510-01", "indosat")
    weak = [r.json() for r in received if r.json()["problem"] == "WEAK_SIGNAL"]
    assert [d["event_action"] for d in weak] == ["trigger", "resolve"]
    # One ticket, paged by either replica, each transition once.
    assert {(d["ticket_id"], d["dedup_key"]) for d in weak} == {(ticket.id, f"pantau-{ticket.id}")}
