"""Reconnect storm: N simulated kits on one collector, the collector SIGKILLed and
restarted; how long until every site's live view is back and every backlog drained,
and whether anything was lost or stored twice.

The collector (``pantau-collector serve``) and the fleet (``pantau-agent fleet``) run
as processes of their own, the fleet enrolling its kits in the collector's store
first. Once every kit streams, the collector is SIGKILLed; the kits keep measuring
into their spools for ``--down`` seconds; the collector is started again on the same
port and the same store, and the kits all come back at once with a backlog each.
Measured from the restart (the store is read, not the fleet's word):

- ``live_back_s``: every site's live state updated after the restart (its kit's
  Snapshot or first batch committed: ``site_state.last_seen_ns``);
- ``streaming_again_s``: the fleet reports every kit streaming again (its progress
  line, once a second: a second's resolution);
- ``backlog_drained_s``: the last record made before the restart stored (the store's
  ``received_ns`` of records whose event time is before the restart), once no more
  such records came for ``--quiet`` seconds;
- ``recovery``: every :data:`TIMELINE_STEP_S` from the restart, the kits streaming,
  the sites live again and the backlog records stored so far;
- ``records``: made by the fleet, stored, lost (made and not stored) and stored twice
  (per (agent, seq)): both must be 0 (a run that did not recover also counts what the
  kits still held, ``unacked_at_end``, as lost).

A run that does not get every kit streaming within ``--timeout`` says so (``null``
times) with what it reached: kits streaming, sites live, refusals.

The fleet is then stopped (SIGTERM: it delivers what it holds) and the accounts are
compared per agent. Prints one JSON object (strict: no NaN).

    python -m bench.storm [--kits 2000] [--store sqlite|postgres] [--speed 10]
                          [--down 20] [--handshakes N] [--handshake-queue N] [--drains N]
                          [--fleets K] [--kits-per-connection N]

The kits are enrolled first (the collector's CLI, then ``Enrollment.Enroll``) and their
credentials split over ``--fleets`` fleet processes (one process cannot open thousands
of connections again in time); their progress is summed and their summaries merged for
the per-agent accounting. ``--kits-per-connection`` is the fleet's (above the open-files
limit, kits must share connections). ``--store postgres`` uses ``PANTAU_TEST_PG_DSN``
(a schema of its own, dropped after).
``--speed`` is the fleet's: simulated seconds per real second (cadence and back-off
run that much faster, so a short run holds a realistic backlog); a refused kit's
``retry-after-ms`` is real time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.procs import (
    STEADY_SCENARIO,
    BenchError,
    CollectorProc,
    Fleets,
    Store,
    collector_config,
    enroll_kits,
    exit_on_signals,
    postgres_schema,
    run_dir,
    split_credentials,
    until,
    wait_port,
)
from collector.config import IngestSection

#: The recovery's ``timeline``: kits streaming, sites live and backlog records stored,
#: every this many seconds from the restart.
TIMELINE_STEP_S = 10


def run(args: argparse.Namespace, tmp: Path, url: str) -> dict[str, Any]:
    from agent.fleet.scenario import load_scenario

    ingest = IngestSection(
        **{k: v for k, v in (("handshakes", args.handshakes), ("drains", args.drains),
                             ("handshake_queue", args.handshake_queue)) if v is not None}
    )  # fmt: skip
    config = collector_config(tmp / "collector.toml", ingest)
    scenario = tmp / "storm.toml"
    scenario.write_text(
        STEADY_SCENARIO.replace("join_over_min = 1", f"join_over_min = {args.join_min:g}"),
        encoding="utf-8",
    )
    collector = CollectorProc(tmp, url, config, tmp / "collector.log")
    store = Store(None if url else tmp / "collector.sqlite", url)
    collector.start()
    fleet: Fleets | None = None
    try:
        wait_port(collector.port, 60)
        t0 = time.monotonic()
        provinces = load_scenario(scenario).fleet.provinces
        kits = enroll_kits(url or str(tmp), collector.address, args.kits, provinces)
        enroll_s = time.monotonic() - t0
        credentials = split_credentials(kits, args.fleets, tmp, "credentials")
        t0 = time.monotonic()
        fleet = Fleets(
            credentials, [collector.address], tmp,
            "--speed", str(args.speed), "--duration", "86400", "--progress", "1",
            "--drain", str(args.drain), "--scenario", str(scenario),
            "--kits-per-connection", str(args.kits_per_connection),
        )  # fmt: skip
        deadline = time.monotonic() + args.timeout
        streaming_s: float | None = None
        killed = restarted = time.monotonic()
        up_s = live_s = again_s = None
        backlog = (0, 0)
        timeline: list[dict[str, int]] = []  # every TIMELINE_STEP_S from the restart
        restart_ns = time.time_ns()
        made_before = acked_at_restart = peak_again = 0
        try:
            until("every kit streaming", deadline, lambda: fleet.streaming == args.kits)
            streaming_s = time.monotonic() - t0
        except BenchError as exc:  # reported: where it breaks
            print(exc, file=sys.stderr)
        if streaming_s is not None:
            time.sleep(args.steady)
            made_before = fleet.made

            collector.kill()
            killed = time.monotonic()
            time.sleep(args.down)
            restart_ns = time.time_ns()
            restarted = time.monotonic()
            acked_at_restart = fleet.acked
            collector.start()
            up_s = wait_port(collector.port, 60)

            grew = time.monotonic()
            live = 0
            while True:
                now = time.monotonic()
                if now > deadline:
                    break
                peak_again = max(peak_again, fleet.streaming)
                if live_s is None:
                    (live,) = store.rows(
                        "SELECT count(*) FROM site_state WHERE last_seen_ns >= {p}", restart_ns
                    )[0]
                    if int(live) >= args.kits:
                        live_s = now - restarted
                if now - restarted >= TIMELINE_STEP_S * (len(timeline) + 1):
                    timeline.append({
                        "t_s": round(now - restarted), "streaming": fleet.streaming,
                        "sites_live": int(live) if live_s is None else args.kits,
                        "backlog_stored": backlog[0],
                    })  # fmt: skip
                if again_s is None and fleet.streaming == args.kits:
                    again_s = now - restarted
                count, last = store.rows(
                    "SELECT count(*), max(received_ns) FROM records "
                    "WHERE event_ns < {p} AND received_ns >= {p}", restart_ns, restart_ns,
                )[0]  # fmt: skip
                if int(count) != backlog[0]:
                    backlog, grew = (int(count), int(last or 0)), now
                if live_s is not None and again_s is not None and now - grew > args.quiet:
                    break
                time.sleep(0.5)
        at_end = {"streaming": fleet.streaming, "acked": fleet.acked - acked_at_restart}
        fleet_codes = fleet.stop(args.drain + 60)
        summary = fleet.summary()
        fleet = None
    finally:
        if fleet is not None:
            fleet.stop(10)
        collector.close()
    stored = {
        str(agent): (int(n), int(distinct))
        for agent, n, distinct in store.rows(
            "SELECT agent_id, count(*), count(DISTINCT seq) FROM records GROUP BY agent_id"
        )
    }
    lost = twice = 0
    for agent_id, account in summary["agents"].items():
        made = account["last_seq"] - account["first_seq"] + 1
        n, distinct = stored.get(agent_id, (0, 0))
        lost += made - distinct
        twice += n - distinct
    return {
        "kits": args.kits,
        "store": args.store,
        "speed": args.speed,
        "down_s": round(restarted - killed, 2),
        "ingest": asdict(ingest),
        "join_over_min": args.join_min,
        "fleets": args.fleets,
        "kits_per_connection": args.kits_per_connection,
        "enroll_s": round(enroll_s, 1),
        "fleet_exit": fleet_codes,
        "all_streaming_first_s": None if streaming_s is None else round(streaming_s, 1),
        "collector_listening_s": None if up_s is None else round(up_s, 2),
        "live_back_s": None if live_s is None else round(live_s, 1),
        "streaming_again_s": None if again_s is None else round(again_s, 1),
        "backlog_drained_s": round((backlog[1] - restart_ns) / 1e9, 1) if backlog[1] else None,
        "backlog_records": backlog[0],
        "streaming_peak_after_restart": peak_again,
        "recovery": timeline,
        "fleet_at_end": at_end,
        "sites_live_after_restart": int(
            store.rows("SELECT count(*) FROM site_state WHERE last_seen_ns >= {p}", restart_ns)[0][
                0
            ]
        ),
        "records": {
            "made_before_kill": made_before,
            "produced": summary["records"]["produced"],
            "stored": sum(d for _, d in stored.values()),
            "lost": lost,
            "stored_twice": twice,
            "unacked_at_end": summary["records"]["unacked"],
        },
        "refused": summary["refused"],
        "refusal_examples": summary["refusal_examples"],
        "retry_after_ms": summary["retry_after"],
        "connects": summary["connects"],
        "ack_latency_ms": summary["ack_latency_ms"],
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.storm")
    parser.add_argument("--kits", type=int, default=2000)
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--speed", type=float, default=10.0, help="the fleet's --speed")
    parser.add_argument("--down", type=float, default=20.0, help="seconds the collector is down")
    parser.add_argument("--steady", type=float, default=5.0, help="seconds streaming before")
    parser.add_argument("--quiet", type=float, default=10.0,
                        help="backlog drained: no older record stored for this long")  # fmt: skip
    parser.add_argument("--drain", type=float, default=60.0, help="the fleet's --drain")
    parser.add_argument("--timeout", type=float, default=900.0, help="the whole run's bound")
    parser.add_argument("--handshakes", type=int, help="[ingest] handshakes (default: config's)")
    parser.add_argument("--handshake-queue", type=int, help="[ingest] handshake_queue")
    parser.add_argument("--drains", type=int, help="[ingest] drains")
    parser.add_argument("--join-min", type=float, default=1.0,
                        help="simulated minutes the kits' first joins are spread over")  # fmt: skip
    parser.add_argument("--fleets", type=int, default=1,
                        help="fleet processes, each with a share of the kits")  # fmt: skip
    parser.add_argument("--kits-per-connection", type=int, default=1,
                        help="the fleet's --kits-per-connection")  # fmt: skip
    parser.add_argument("--keep", type=Path, help="copy the collector's and fleet's logs here")
    args = parser.parse_args()
    if args.kits < 1 or args.speed <= 0 or args.down < 0:
        parser.error("--kits must be >= 1, --speed > 0, --down >= 0")
    if not 1 <= args.fleets <= args.kits or args.kits_per_connection < 1:
        parser.error("--fleets must be 1..--kits, --kits-per-connection >= 1")
    with exit_on_signals(), run_dir("pantau-storm-", args.keep) as tmp:
        if args.store == "postgres":
            with postgres_schema("pantau_storm") as url:
                result = run(args, tmp, url)
        else:
            result = run(args, tmp, "")
    print(json.dumps({"storm": result}, indent=2, allow_nan=False))


if __name__ == "__main__":
    main()
