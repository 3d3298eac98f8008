"""The collector's brain: detection latency end to end, and rule cost per record.

    python -m bench.brain [--runs 2] [--sites 1000] [--records 100000]

Detection latency: a simulated modem loses service at a known moment; a real agent
reads it (every 1 s) and streams to a real collector (SQLite) whose NO_SERVICE rule
has ``for_s = 3``; the clock stops when the operator's webhook (a local HTTP
receiver) gets the trigger. Target: at most ``for`` + one reading interval + 2 s.

Rule cost: synthetic signal and ping records for many sites through the rule
engine (observe + evaluate), as the ingest feeds it; reported per record and as
the share of one core needed at 50,000 records/s. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from agent.config import load_agent_config
from agent.service import AgentService
from agent.sim.modem import SimModem
from agent.sim.scenario import Scenario
from collector import auth
from collector.config import RoutingSection, RulesSection, default_config
from collector.notify import Route
from collector.observe import observations_from_record
from collector.rules import RuleEngine
from collector.server import Collector
from collector.store import open_store
from pantau.v1 import records_pb2

FOR_S = 3.0
INTERVAL_S = 1.0
FAULT_AT_S = 4.0
SITE = "5171011003001"
RULES = f"""
[no_service]
for_s = {FOR_S}
hold_s = 5
[weak_signal]
enabled = false
[poor_quality]
enabled = false
"""


class Receiver:
    def __init__(self) -> None:
        self.first_trigger: float | None = None
        got = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if body.get("event_action") == "trigger" and got.first_trigger is None:
                    got.first_trigger = time.monotonic()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/xl"


async def detection_once(tmp: Path) -> float:
    (tmp / "rules.toml").write_text(RULES)
    receiver = Receiver()
    base = default_config()
    config = type(base)(
        base.store, RulesSection(str(tmp / "rules.toml")), base.tickets,
        RoutingSection(operators={"510-11": "xl"}), {"xl": Route("xl", receiver.url)}, "bench",
    )  # fmt: skip
    store = open_store(tmp / "collector.sqlite")
    credential = auth.new_credential("bench-kit")
    store.add_agent("bench-kit", SITE, auth.hash_secret(credential.secret))
    collector = Collector(store, config=config)
    port = await collector.start("127.0.0.1:0")
    registered = {"at_s": 0, "rat": "lte", "reg_state": "home", "mcc": "510", "mnc": "11",
                  "rsrp_dbm": -90}  # fmt: skip
    lost = {"at_s": FAULT_AT_S, "rat": "none", "reg_state": "searching"}
    modem = SimModem(Scenario.from_dict({"steps": [registered, lost]}), "3gpp")
    fault_at = time.monotonic() + FAULT_AT_S  # the scenario's clock starts with the modem
    pty = modem.start()
    (tmp / "agent.toml").write_text(
        f'[agent]\nsite = "{SITE}"\nid = "bench-kit"\ndata_dir = "{tmp / "kit"}"\n'
        f'[collector]\naddress = "127.0.0.1:{port}"\ncredential = "{credential.token()}"\n'
        f'[modem]\nport = "{pty}"\ninterval_s = {INTERVAL_S}\n[spool]\nflush_interval_s = 0.2\n'
    )
    agent = AgentService(load_agent_config(tmp / "agent.toml"))
    task = asyncio.create_task(agent.run())
    try:
        async with asyncio.timeout(60):
            while receiver.first_trigger is None:  # noqa: ASYNC110 - set by another thread
                await asyncio.sleep(0.02)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        modem.stop()
        await collector.stop(0)
        store.close()
        receiver.server.shutdown()
        receiver.server.server_close()
    assert receiver.first_trigger is not None
    return receiver.first_trigger - fault_at


def rule_cost(sites: int, records: int, per_batch: int = 4) -> dict[str, float]:
    """As the ingest feeds it: each site's batch (``per_batch`` records, a kit's minute:
    signal and ping readings) is observed, then the site is judged once."""
    engine = RuleEngine()
    t0 = 1_800_000_000 * 10**9
    rounds = max(1, records // (sites * per_batch))
    batches: list[tuple[str, int, list[records_pb2.Record]]] = []
    for i in range(rounds):
        for s in range(sites):
            batch = []
            for k in range(per_batch):
                r = records_pb2.Record()
                if k % 2:
                    r.ping.loss_ratio = 0.0
                    r.ping.median_ms = 40.0 + s % 7
                else:
                    r.signal.mcc, r.signal.mnc = "510", "10"
                    r.signal.rat = records_pb2.RAT_LTE
                    r.signal.reg_state = records_pb2.REG_STATE_HOME
                    r.signal.rsrp_dbm = -90.0 - (i + s + k) % 25
                batch.append(r)
            batches.append((f"{3171011001000 + s}", t0 + i * 60 * 10**9, batch))
    observe_s = evaluate_s = 0.0
    for site, event_ns, batch in batches:
        started = time.process_time()
        engine.observe(
            site,
            [o for k, r in enumerate(batch) for o in observations_from_record(r, event_ns + k)],
        )
        middle = time.process_time()
        engine.evaluate(site, event_ns + 10**9)
        observe_s += middle - started
        evaluate_s += time.process_time() - middle
    count = len(batches) * per_batch
    per_record_us = (observe_s + evaluate_s) / count * 1e6
    return {
        "sites": sites,
        "records": count,
        "records_per_batch": per_batch,
        "observe_us_per_record": round(observe_s / count * 1e6, 2),
        "evaluate_us_per_batch": round(evaluate_s / len(batches) * 1e6, 1),
        "cpu_us_per_record": round(per_record_us, 2),
        "core_share_at_50k_records_per_s": round(per_record_us * 50_000 / 1e6, 3),
    }


async def run(runs: int, sites: int, records: int) -> dict[str, object]:
    latencies = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="pantau-bench-") as tmp:
            latencies.append(await detection_once(Path(tmp)))
    target = FOR_S + INTERVAL_S + 2.0
    return {
        "detection": {
            "rule": "NO_SERVICE",
            "for_s": FOR_S,
            "reading_interval_s": INTERVAL_S,
            "latency_s": [round(x, 2) for x in latencies],
            "median_s": round(statistics.median(latencies), 2),
            "target_s": target,
            "within_target": max(latencies) <= target,
        },
        "rule_cost": rule_cost(sites, records),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.brain")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    print(json.dumps({"brain": asyncio.run(run(args.runs, args.sites, args.records))}, indent=2))


if __name__ == "__main__":
    main()
