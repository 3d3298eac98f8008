"""Ingest throughput: records/s and ack latency through the real gRPC ingest.

The collector runs in its own process (so the load generator does not steal its
CPU on the same interpreter), storing durably in SQLite (synchronous=FULL, one
fsync per group commit) before acking, with one kit per TPS site. The same load
runs, in the same run, against two baselines: ``null_store`` (the real servicer,
auth, checks, time correction and the rules' passes, with a store that acks without
writing: the ratio is what durability costs) and ``noop`` (a bare servicer that acks
without even looking: the gRPC ceiling). Prints one JSON object.

Each child runs as ``pantau-collector serve`` does (its GIL switch interval). Every
agent connects and sends one batch, and the clock starts once the collector has
settled after that (its rules have rebuilt every site in the background: the CPU it
uses falls below :data:`SETTLED_CORES`): the figures are steady state. Each mode's
CPU per record is split into user and system time, and the load generator's own CPU
per record is reported too: on a machine whose cores the two share, the records/s a
mode can reach is bounded by cores / (collector + load generator CPU per record),
reported as ``cpu_bound_records_per_s``.

    python -m bench.ingest [--agents 1,100,1000] [--seconds 4] [--batch 100] [--repeat 3]
                           [--profile FILE]

``--profile FILE`` profiles the SQLite collector child (every thread, CPU time, with
yappi when it is installed, else the event loop's thread with cProfile) and writes
a pstats file (``python -m pstats FILE``), one per run: FILE.1, FILE.2, ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import grpc

from agent.clock import now
from agent.fleet.wire import encode_batch, open_stream
from agent.records import make_record
from collector.store.model import Agent, BatchOutcome, IngestBatch
from pantau.v1 import records_pb2, telemetry_pb2, telemetry_pb2_grpc

SITE = "3171011001005"


# -- the server side (run in a child process) ---------------------------------------


class NoopService(telemetry_pb2_grpc.TelemetryServicer):
    """Acks every batch without storing: the ceiling the real ingest is compared to."""

    async def Stream(self, request_iterator, context):  # type: ignore[no-untyped-def]
        async for message in request_iterator:
            if message.WhichOneof("msg") == "hello":
                yield telemetry_pb2.CollectorMessage(
                    welcome=telemetry_pb2.Welcome(
                        max_batch_bytes=256 * 1024, max_batches_in_flight=4
                    )
                )
            else:
                top = message.batch.records[-1].seq
                yield telemetry_pb2.CollectorMessage(
                    ack=telemetry_pb2.Ack(through_seq=top, stored=len(message.batch.records))
                )


class NullStore:
    """The store interface the ingest uses, keeping nothing: acks without writing."""

    def __init__(self) -> None:
        self.agents: dict[str, Agent] = {}
        self.acked: dict[str, int] = {}
        self.incident_settings: object = None  # the collector sets it (its rules' incidents)

    def add_agent(self, agent_id: str, site_code: str, secret_hash: str) -> None:
        self.agents[agent_id] = Agent(agent_id, site_code, secret_hash, False, 0)

    def get_agent(self, agent_id: str) -> Agent | None:
        return self.agents.get(agent_id)

    def get_agents(self, agent_ids: Sequence[str]) -> dict[str, Agent]:
        return {a: self.agents[a] for a in agent_ids if a in self.agents}

    def credential_epoch(self) -> int:
        return 0

    def save_anchor(self, *args: object) -> None:
        pass

    def anchors(self, agent_id: str) -> dict[str, tuple[int, int]]:
        return {}

    def anchors_of(self, agent_ids: Sequence[str]) -> dict[str, dict[str, tuple[int, int]]]:
        return {a: {} for a in agent_ids}

    def site_window(self, site_code: str, since_ns: int) -> list[object]:
        return []

    def site_windows(self, site_codes: Sequence[str], since_ns: int) -> dict[str, list[object]]:
        return {code: [] for code in site_codes}

    def list_tickets(self, **filters: object) -> list[object]:
        return []

    def last_heard_of_active_sites(self) -> dict[str, int]:
        return {}

    def sms_heard(self, site_codes: object = None) -> dict[str, object]:
        return {}

    def incidents_tick(self, now_ns: int) -> int:
        return 0

    def nothing(self, *args: object, **kwargs: object) -> list[object]:
        return []

    sites_without_networks = tickets_of_sites = claim_notifications = escalate_due = nothing

    def commit(self, batches: list[IngestBatch]) -> list[BatchOutcome]:
        out = []
        for b in batches:
            top = max(self.acked.get(b.agent_id, 0), b.rows[-1].seq if b.rows else 0)
            self.acked[b.agent_id] = top
            out.append(BatchOutcome(stored=len(b.rows), duplicates=0, acked_through=top))
        return out


async def serve(mode: str, data_dir: Path, agents: int, profile: Path | None = None) -> None:
    from collector import auth
    from collector.cli import SWITCH_INTERVAL_S
    from collector.server import Collector, server_options
    from collector.store.sqlite import SqliteStore

    sys.setswitchinterval(SWITCH_INTERVAL_S)  # as `pantau-collector serve` runs
    if mode == "noop":
        server = grpc.aio.server(options=server_options())
        telemetry_pb2_grpc.add_TelemetryServicer_to_server(NoopService(), server)  # type: ignore[no-untyped-call]
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        print(json.dumps({"port": port, "credentials": ["x.y"] * agents}), flush=True)
        await server.wait_for_termination()
        return
    store = NullStore() if mode == "null_store" else SqliteStore(data_dir / "collector.sqlite")
    tokens = []
    for i in range(agents):
        credential = auth.new_credential(f"bench-{i}")
        site = f"3171{i // 999 + 1:06d}{i % 999 + 1:03d}"  # one kit per TPS, as deployed
        store.add_agent(credential.agent_id, site, auth.hash_secret(credential.secret))
        tokens.append(credential.token())
    collector = Collector(store)  # type: ignore[arg-type]
    port = await collector.start("127.0.0.1:0")
    if profile is None:
        print(json.dumps({"port": port, "credentials": tokens}), flush=True)
        await collector.server.wait_for_termination()
        return
    loop = asyncio.get_running_loop()
    go, stop = asyncio.Event(), asyncio.Event()
    loop.add_signal_handler(signal.SIGUSR1, go.set)  # the clock started: steady state
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print(json.dumps({"port": port, "credentials": tokens}), flush=True)
    await go.wait()
    save = _start_profile()
    await stop.wait()
    save(profile)
    os._exit(0)  # the streams are not ours to wind down: the load generator is gone


def _start_profile() -> Callable[[Path], None]:
    """Start profiling this process; the function that stops it and writes pstats."""
    try:
        import yappi  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()

        def dump(path: Path) -> None:
            profiler.disable()
            profiler.dump_stats(path)

        return dump

    yappi.set_clock_type("cpu")
    yappi.start()

    def save(path: Path) -> None:
        yappi.stop()
        yappi.get_func_stats().save(str(path), type="pstat")

    return save


# -- the load generator ----------------------------------------------------------------


def sample_batch(size: int) -> list[records_pb2.Record]:
    base = make_record(
        now(), records_pb2.SignalReading(rsrp_dbm=-95.0, rsrq_db=-11.5, sinr_db=12.0)
    )
    return [base] * size


#: The collector has settled after the warm-up when it uses less than this many cores
#: over :data:`SETTLE_STEP_S` ...
SETTLED_CORES = 0.15
SETTLE_STEP_S = 0.25
#: ... or after this long in any case (the figures then say it had not).
SETTLE_MAX_S = 30.0


async def settle(pid: int) -> float:
    """Wait until the process ``pid`` is quiet (see :data:`SETTLED_CORES`); the seconds
    waited."""
    began = time.monotonic()
    before = cpu_s(pid)
    while time.monotonic() - began < SETTLE_MAX_S:
        await asyncio.sleep(SETTLE_STEP_S)
        now = cpu_s(pid)
        if now - before < SETTLED_CORES * SETTLE_STEP_S:
            break
        before = now
    return time.monotonic() - began


class Start:
    """Every agent connects (Hello, Welcome) and sends its warm-up batch first; the clock
    starts when all have and the collector has settled (``settled``: waits for it)."""

    def __init__(
        self, agents: int, seconds: float, settled: Callable[[], Awaitable[float]]
    ) -> None:
        self.waiting = agents
        self.seconds = seconds
        self.settled = settled
        self.settle_s = 0.0
        self.go = asyncio.Event()
        self.started = self.deadline = 0.0

    async def ready(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.settle_s = await self.settled()
            self.started = time.monotonic()
            self.deadline = self.started + self.seconds
            self.go.set()
        await self.go.wait()


async def one_agent(
    port: int,
    token: str,
    template: list[records_pb2.Record],
    start: Start,
    latencies: list[float],
) -> int:
    bodies = [r.SerializeToString() for r in template]  # seq 0: not serialized
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = open_stream(channel, token)
        hello = telemetry_pb2.Hello(agent_id=token.split(".", maxsplit=1)[0])
        await call.write(telemetry_pb2.AgentMessage(hello=hello).SerializeToString())
        await call.read()
        # Warm-up: one batch each before the clock starts (the collector meets each site
        # once, rebuilding its rules window from the store, as after a restart).
        await call.write(encode_batch(bodies, 1))
        await call.read()
        await start.ready()
        seq = len(bodies)
        sent = 0
        while time.monotonic() < start.deadline:
            message = encode_batch(bodies, seq + 1)
            seq += len(bodies)
            started = time.perf_counter()
            await call.write(message)
            reply = await call.read()
            latencies.append(time.perf_counter() - started)
            assert reply.ack.through_seq == seq, reply
            sent += len(bodies)
        await call.done_writing()
        return sent


def cpu_s(pid: int) -> float:
    """CPU seconds (user and system, every thread) the process has used so far."""
    user, system = cpu_split_s(pid)
    return user + system


def cpu_split_s(pid: int) -> tuple[float, float]:
    """CPU seconds in user and in system (kernel) mode, every thread, so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def measure(
    mode: str, agents: int, seconds: float, batch: int, profile: Path | None = None
) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="pantau-bench-") as tmp:
        extra = ["--profile", str(profile)] if profile is not None else []
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.ingest",
                "--serve",
                mode,
                "--data-dir",
                tmp,
                "--agents",
                str(agents),
                *extra,
            ],
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parent.parent,
        )
        try:
            assert proc.stdout is not None
            info = json.loads(proc.stdout.readline())
            template = sample_batch(batch)
            latencies: list[float] = []
            start = Start(len(info["credentials"]), seconds, lambda: settle(proc.pid))
            at_start = (0.0, 0.0)
            own_at_start = 0.0

            def started(_: object) -> None:
                nonlocal at_start, own_at_start
                at_start = cpu_split_s(proc.pid)
                own_at_start = time.process_time()
                if profile is not None:
                    proc.send_signal(signal.SIGUSR1)

            watch = asyncio.create_task(start.go.wait())
            watch.add_done_callback(started)
            counts = await asyncio.gather(
                *(
                    one_agent(info["port"], tok, template, start, latencies)
                    for tok in info["credentials"]
                )
            )
            elapsed = time.monotonic() - start.started
            own = time.process_time() - own_at_start
            user, system = (b - a for a, b in zip(at_start, cpu_split_s(proc.pid), strict=True))
            records = max(1, sum(counts))
            quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
            return {
                "records_per_s": round(sum(counts) / elapsed),
                "ack_p50_ms": round(quantiles[49] * 1000, 2),
                "ack_p99_ms": round(quantiles[98] * 1000, 2),
                "collector_rss_kb": rss_kb(proc.pid),
                # The collector's own CPU per record: steadier than records/s on a
                # machine whose load varies (the load generator shares the cores).
                "collector_cpu_us_per_record": round((user + system) / records * 1e6, 1),
                "collector_system_us_per_record": round(system / records * 1e6, 1),
                "load_generator_cpu_us_per_record": round(own / records * 1e6, 1),
                # What these cores could carry if the collector and the load generator
                # used every one of them and nothing else did.
                "cpu_bound_records_per_s": round(
                    (os.cpu_count() or 1) * records / max(1e-9, user + system + own)
                ),
                "settled_after_s": round(start.settle_s, 2),
            }
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            if proc.stdout:
                proc.stdout.close()


async def idle_streams(count: int) -> dict[str, float]:
    """Collector RSS per connected but idle stream (Hello, Welcome, then nothing)."""
    with tempfile.TemporaryDirectory(prefix="pantau-bench-") as tmp:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.ingest", "--serve", "sqlite", "--data-dir", tmp,
             "--agents", str(count)],
            stdout=subprocess.PIPE, cwd=Path(__file__).resolve().parent.parent,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            info = json.loads(proc.stdout.readline())
            await asyncio.sleep(0.5)
            before = rss_kb(proc.pid)
            channel = grpc.aio.insecure_channel(f"127.0.0.1:{info['port']}")
            stub = telemetry_pb2_grpc.TelemetryStub(channel)  # type: ignore[no-untyped-call]
            calls = []
            for token in info["credentials"]:
                call = stub.Stream(metadata=(("authorization", f"Bearer {token}"),))
                hello = telemetry_pb2.Hello(agent_id=token.split(".", maxsplit=1)[0])
                await call.write(telemetry_pb2.AgentMessage(hello=hello))
                calls.append(call)
            for call in calls:
                await call.read()
            await asyncio.sleep(1.0)
            after = rss_kb(proc.pid)
            for call in calls:
                call.cancel()
            await channel.close()
            return {
                "streams": count,
                "rss_before_kb": before,
                "rss_after_kb": after,
                "kb_per_idle_stream": round((after - before) / count, 1),
            }
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            if proc.stdout:
                proc.stdout.close()


async def run(
    agent_counts: list[int],
    seconds: float,
    batch: int,
    repeat: int = 3,
    profile: Path | None = None,
) -> dict[str, object]:
    results: dict[str, object] = {
        "batch_records": batch,
        "seconds": seconds,
        "repeat": repeat,
        "cores": os.cpu_count(),
    }
    for agents in agent_counts:
        stored, null, noop = [], [], []
        for n in range(repeat):  # interleaved, so drift in the machine hits all three
            where = None if profile is None else profile.with_name(f"{profile.name}.{n + 1}")
            stored.append(await measure("sqlite", agents, seconds, batch, where))
            null.append(await measure("null_store", agents, seconds, batch))
            noop.append(await measure("noop", agents, seconds, batch))
        stored, null, noop = _median(stored), _median(null), _median(noop)
        results[f"agents_{agents}"] = {
            "sqlite": stored,
            "null_store_baseline": null,
            "noop_ceiling": noop,
            "ratio_to_null_store": round(
                stored["records_per_s"] / max(1, null["records_per_s"]), 3
            ),
            "ratio_to_noop": round(stored["records_per_s"] / max(1, noop["records_per_s"]), 3),
        }
    results["idle_streams"] = await idle_streams(max(agent_counts))
    return results


def _median(runs: list[dict[str, float]]) -> dict[str, Any]:
    """The run with the median records/s, and every run's records/s."""
    ordered = sorted(runs, key=lambda r: r["records_per_s"])
    return {**ordered[len(ordered) // 2], "runs_records_per_s": [r["records_per_s"] for r in runs]}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest")
    parser.add_argument("--agents", default="1,100,1000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode; the median counts")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--serve", choices=["sqlite", "null_store", "noop"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--profile", type=Path, help="write a pstats file of the SQLite collector (FILE.1, ...)"
    )
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.data_dir, int(args.agents), args.profile))
        return
    counts = [int(a) for a in args.agents.split(",")]
    print(
        json.dumps(
            {
                "ingest": asyncio.run(
                    run(counts, args.seconds, args.batch, args.repeat, args.profile)
                )
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
