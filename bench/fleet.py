"""Kits one collector replica sustains at half a core, and two replicas on one PostgreSQL.

Each replica (``pantau-collector serve`` on PostgreSQL, leases on: each site judged by
the replica holding its bucket) runs in a cgroup of its own held to ``--cores`` of CPU
(cgroup v1 ``cpu.cfs_quota_us``, or v2 ``cpu.max``), so its figure does not depend on
the load generator sharing the machine; the fleets (``pantau-agent fleet``, ``--fleets``
processes with a share of the kits each) and PostgreSQL run outside the quota.

For one replica, then two (the kits spread over both, kit ``i`` to replica ``i mod 2``),
the number of kits is stepped (doubling from ``--start``, then ``--refine`` rounds of
bisection), each step a fresh fleet run of ``--step-s`` seconds; a step is sustained
when the fleet's p99 ack latency (a batch's write to its Ack, the worst fleet process's)
is under ``--p99-ms`` and every kit streamed. Reported: the largest sustained N for
each, and the ratio N2 / N1 (the baseline is the one-replica search of the same run).
Each step also gives the replicas' CPU (cores, from /proc) and their CPU per batch; from
the best step's CPU per batch, ``kits_filling_the_quota`` is the kits whose batches
would use every replica's whole quota, and ``ratio_by_replica_cpu`` the two replicas'
over one's: a derived figure, for when the machine, not the quota, limits the
measured N (the replicas well under their quota at the first unsustained step).

Election-day cadence at ``--speed 1`` is about 2.4 records a minute per kit (signal and
ping each minute, DNS and HTTP each 5 minutes, one batch a minute), so a half-core
replica would sustain far more kits than a 2-core machine can simulate. The fleet runs
``--speed`` times faster (at 60, each kit sends its minute's batch every second), and
the figure is also given in kit-equivalents: kits x speed, the election-day kits that
send as many batches and records a second. (Not equivalent: the number of open
streams, which is the raw kits.)

    python -m bench.fleet [--speed 60] [--cores 0.5] [--start 100] [--max-kits 3200]
                          [--step-s 20] [--refine 3] [--fleets 2] [--p99-ms 1000]

Needs root (or a delegated cgroup) for the quota, and ``PANTAU_TEST_PG_DSN`` (a schema
of its own, dropped after). The cgroups are removed on every way out (SIGTERM and
SIGHUP included). Prints one JSON object (strict: no NaN).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.procs import (
    STEADY_SCENARIO,
    BenchError,
    CollectorProc,
    CpuQuota,
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


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path, url: str, stack: ExitStack) -> None:
        self.args = args
        self.tmp = tmp
        self.url = url
        self.store = Store(None, url)
        self.config = collector_config(tmp / "collector.toml", IngestSection())
        self.scenario = tmp / "steady.toml"
        self.scenario.write_text(STEADY_SCENARIO, encoding="utf-8")
        self.quotas = [
            stack.enter_context(CpuQuota("pantau-bench-fleet", args.cores)) for _ in range(2)
        ]
        self.kits: list[Any] = []
        self.steps: list[dict[str, Any]] = []

    def replicas(self, count: int) -> list[CollectorProc]:
        procs = []
        for i in range(count):
            data = self.tmp / f"replica-{i}"
            data.mkdir(exist_ok=True)
            procs.append(
                CollectorProc(
                    data, self.url, self.config, self.tmp / f"replica-{i}.log", quota=self.quotas[i]
                )
            )
        return procs

    def enroll(self) -> float:
        """Every kit the search may use, enrolled once through an unlimited replica."""
        from agent.fleet.scenario import load_scenario

        (replica,) = self.replicas(1)
        self.quotas[0].set(None)
        replica.start()
        try:
            wait_port(replica.port, 60)
            t0 = time.monotonic()
            provinces = load_scenario(self.scenario).fleet.provinces
            self.kits = enroll_kits(self.url, replica.address, self.args.max_kits, provinces)
            return time.monotonic() - t0
        finally:
            replica.close()
            self.quotas[0].set(self.args.cores)

    def leases(self) -> dict[str, int]:
        rows = self.store.rows(
            "SELECT owner, count(*) FROM site_leases WHERE owner IS NOT NULL GROUP BY owner"
        )
        return {str(owner): int(n) for owner, n in rows}

    def step(self, replicas: list[CollectorProc], n: int) -> dict[str, Any]:
        a = self.args
        credentials = split_credentials(self.kits[:n], a.fleets, self.tmp, "step")
        cpu0 = [r.cpu_s() for r in replicas]
        thr0 = [q.throttled() for q in self.quotas[: len(replicas)]]
        t0 = time.monotonic()
        fleets = Fleets(
            credentials, [r.address for r in replicas], self.tmp,
            "--speed", str(a.speed), "--duration", str(a.step_s), "--progress", "1",
            "--drain", "5", "--scenario", str(self.scenario),
            "--kits-per-connection", str(a.kits_per_connection),
        )  # fmt: skip
        try:
            codes = fleets.wait(a.step_s + 60)
        finally:
            fleets.stop(10)
        wall = time.monotonic() - t0
        summary = fleets.summary()
        for r in replicas:
            if r.proc is None or r.proc.poll() is not None:
                raise BenchError("bench.fleet: a replica ended during a step (see its log)")
        used = [r.cpu_s() - c for r, c in zip(replicas, cpu0, strict=True)]
        cpu = [round(u / wall, 2) for u in used]
        throttled = [
            q.throttled().get("nr_throttled", 0) - t.get("nr_throttled", 0)
            for q, t in zip(self.quotas, thr0, strict=False)
        ]
        p99 = summary["ack_latency_ms"]["p99"]
        peak = sum(p.peak_streaming for p in fleets.procs)
        windows = [v for p in fleets.procs for v in p.ack_p99_ms[2:]]
        ok = p99 is not None and p99 < a.p99_ms and peak == n and all(c == 0 for c in codes)
        result = {
            "replicas": len(replicas),
            "kits": n,
            "kit_equivalents": round(n * a.speed),
            "sustained": ok,
            "ack_p99_ms": p99,
            "ack_p50_ms": summary["ack_latency_ms"]["p50"],
            "ack_p99_worst_window_ms": max(windows) if windows else None,
            "peak_streaming": peak,
            "batches_per_s": round(summary["batches"] / wall, 1),
            "records_per_s": round(summary["records"]["acked"] / wall, 1),
            "unacked": summary["records"]["unacked"],
            "refused": summary["refused"],
            "replica_cpu_cores": cpu,
            "replica_cpu_ms_per_batch": (
                round(sum(used) * 1000 / summary["batches"], 3) if summary["batches"] else None
            ),
            "throttled_periods": throttled,
            "load_average_1m": round(os.getloadavg()[0], 2),
        }
        self.steps.append(result)
        print(f"bench.fleet: {json.dumps(result)}", file=sys.stderr, flush=True)
        return result

    def search(self, count: int, start: int) -> dict[str, Any]:
        a = self.args
        replicas = self.replicas(count)
        try:
            for r in replicas:
                r.start()
            for r in replicas:
                wait_port(r.port, 60)
            settle = time.monotonic()
            if count > 1:  # each replica holds its share of the sites' leases
                until(
                    "the replicas to share the leases",
                    time.monotonic() + 90,
                    lambda: (
                        len(self.leases()) == count
                        and min(self.leases().values()) >= 256 // count - 8
                    ),
                    every_s=1.0,
                )
            settle_s = time.monotonic() - settle
            good, bad = 0, None
            n = min(start, len(self.kits))
            while True:
                if self.step(replicas, n)["sustained"]:
                    good = n
                    if n >= len(self.kits):
                        break
                    n = min(2 * n, len(self.kits))
                else:
                    bad = n
                    break
            rounds = 0
            while bad is not None and rounds < a.refine and bad - good > max(10, good // 20):
                mid = (good + bad) // 2
                if self.step(replicas, mid)["sustained"]:
                    good = mid
                else:
                    bad = mid
                rounds += 1
            best = [s for s in self.steps if s["replicas"] == count and s["kits"] == good]
            per_batch = best[-1]["replica_cpu_ms_per_batch"] if best else None
            # Derived, not measured: the kits whose batches would fill every replica's
            # quota at the CPU a batch cost in the best sustained step.
            at_quota = (
                round(count * a.cores * 1000 / per_batch / (a.speed / 60)) if per_batch else None
            )
            return {
                "replicas": count,
                "sustained_kits": good,
                "kit_equivalents": round(good * a.speed),
                "first_unsustained_kits": bad,
                "capped_by_enrolled_kits": bad is None,
                "replica_cpu_ms_per_batch": per_batch,
                "kits_filling_the_quota": at_quota,
                "leases": self.leases(),
                "leases_settled_s": round(settle_s, 1),
            }
        finally:
            for r in replicas:
                r.close()


def run(args: argparse.Namespace, tmp: Path, url: str) -> dict[str, Any]:
    with ExitStack() as stack:
        bench = Bench(args, tmp, url, stack)
        enroll_s = bench.enroll()
        one = bench.search(1, args.start)
        two = bench.search(2, max(args.start, one["sustained_kits"]))
        n1, n2 = one["sustained_kits"], two["sustained_kits"]
        return {
            "speed": args.speed,
            "cores_per_replica": args.cores,
            "cgroup": f"v{bench.quotas[0].version}",
            "p99_ms_bound": args.p99_ms,
            "step_s": args.step_s,
            "fleets": args.fleets,
            "kits_per_connection": args.kits_per_connection,
            "enrolled_kits": len(bench.kits),
            "enroll_s": round(enroll_s, 1),
            "one_replica": one,
            "two_replicas": two,
            "N1": n1,
            "N2": n2,
            "N1_kit_equivalents": round(n1 * args.speed),
            "N2_kit_equivalents": round(n2 * args.speed),
            "ratio": round(n2 / n1, 2) if n1 else None,
            "ratio_by_replica_cpu": (
                round(two["kits_filling_the_quota"] / one["kits_filling_the_quota"], 2)
                if one["kits_filling_the_quota"] and two["kits_filling_the_quota"]
                else None
            ),
            "steps": bench.steps,
            "cpus": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 2),
        }
    raise AssertionError("unreachable")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet")
    parser.add_argument("--speed", type=float, default=60.0, help="the fleet's --speed")
    parser.add_argument("--cores", type=float, default=0.5, help="CPU quota of each replica")
    parser.add_argument("--start", type=int, default=100, help="kits of the first step")
    parser.add_argument("--max-kits", type=int, default=3200, help="kits enrolled (the cap)")
    parser.add_argument("--step-s", type=float, default=20.0, help="seconds of each step")
    parser.add_argument("--refine", type=int, default=3, help="bisection rounds after the ramp")
    parser.add_argument("--fleets", type=int, default=2, help="fleet processes per step")
    parser.add_argument("--kits-per-connection", type=int, default=1,
                        help="the fleet's --kits-per-connection")  # fmt: skip
    parser.add_argument("--p99-ms", type=float, default=1000.0, help="sustained: ack p99 under")
    parser.add_argument("--keep", type=Path, help="copy the replicas' and fleets' logs here")
    args = parser.parse_args()
    if not (0 < args.cores <= (os.cpu_count() or 1) and args.speed > 0 and args.step_s > 0):
        parser.error("--cores must be in (0, cpus], --speed and --step-s > 0")
    if not 1 <= args.start <= args.max_kits or args.fleets < 1 or args.refine < 0:
        parser.error("--start must be 1..--max-kits, --fleets >= 1, --refine >= 0")
    with (
        exit_on_signals(),
        run_dir("pantau-fleetbench-", args.keep) as tmp,
        postgres_schema("pantau_fleetbench") as url,
    ):
        result = run(args, tmp, url)
    print(json.dumps({"fleet": result}, indent=2, allow_nan=False))


if __name__ == "__main__":
    main()
