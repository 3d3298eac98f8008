"""The agent's own cost: memory, CPU and data per day on the default schedule; start-up time.

Servers for every probe (a TCP listener, an HTTP server, a DNS resolver and the collector's
real ThroughputServer with an enrolled agent) run in this process on loopback; the probes run
in a child process that imports only what the agent imports (no scapy: trace is not on the
default schedule), so its RSS and CPU are the agent's. Each probe runs ``--rounds`` times;
bytes per day are the measured ``bytes_used`` times the runs per day of the schedule below
(a proposal for the config defaults). On loopback the throughput ramp always reaches its byte
cap, so its bytes are the worst case. Prints one JSON object.

    python -m bench.agent [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DAY_S = 86400.0

# The proposed default schedule: kind, interval_s, options (targets filled in at run time).
SCHEDULE: list[tuple[str, str, float, dict[str, Any]]] = [
    ("ping-collector", "icmp", 60, {"count": 5, "interval_s": 0.2, "timeout_s": 1.0}),
    ("tcp-collector", "tcp", 60, {"timeout_s": 3.0}),
    ("dns-system", "dns", 300, {"query_name": "collector.example", "timeout_s": 2.0}),
    ("http-collector", "http", 300, {"max_body_bytes": 16_384, "timeout_s": 10.0}),
    ("throughput-down", "throughput", 6 * 3600, {"direction": "download", "max_bytes": 2_000_000}),
    ("throughput-up", "throughput", 12 * 3600, {"direction": "upload", "max_bytes": 1_000_000}),
]
CHEAP = {"icmp", "tcp", "dns", "http"}


def _rss_kb() -> tuple[int, int]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields["VmRSS"], fields["VmHWM"]


def child(ports: dict[str, Any], rounds: int) -> dict[str, Any]:
    """Run every probe of the schedule ``rounds`` times; CPU and bytes per run."""
    import agent.service  # noqa: F401  (the whole agent's imports: gRPC, spool, modem)
    from agent import probes

    async def main() -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, kind, _interval, defaults in SCHEDULE:
            options = dict(defaults)
            if kind in ("icmp", "tcp", "throughput"):
                options["target"] = "127.0.0.1"
            if kind == "tcp":
                options["port"] = ports["tcp"]
            if kind == "throughput":
                options.update(port=ports["throughput"], credential=ports["token"])
            if kind == "dns":
                options.update(resolver="127.0.0.1", port=ports["dns"])
            if kind == "http":
                options["url"] = f"http://127.0.0.1:{ports['http']}/health"
            spec = probes.PROBERS[kind]
            config = probes.build_config(kind, options, name)
            cpu, used, statuses = [], [], []
            for _ in range(rounds if kind in CHEAP else 1):
                started = time.process_time()
                outcome = await spec.probe(config, name=name)
                cpu.append(time.process_time() - started)
                used.append(outcome.common.bytes_used)
                statuses.append(str(outcome.common.status))
            out[name] = {"cpu_s": statistics.median(cpu), "bytes": max(used), "status": statuses}
        return out

    result = asyncio.run(main())
    rss, hwm = _rss_kb()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "probes": result,
        "rss_kb": rss,
        "peak_rss_kb": hwm,
        "cpu_total_s": usage.ru_utime + usage.ru_stime,
    }


async def _servers(tmp: Path) -> tuple[dict[str, Any], list[Any]]:
    import dns.message
    import dns.rrset

    from collector.auth import hash_secret, new_credential
    from collector.store.sqlite import SqliteStore
    from collector.throughput import ThroughputServer

    store = SqliteStore(tmp / "collector.db")
    credential = new_credential("bench-kit")
    store.add_agent("bench-kit", "3171011001005", hash_secret(credential.secret))
    throughput = ThroughputServer(store, tests_per_hour=1000)
    tp_port = await throughput.start("127.0.0.1", 0)

    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = b'{"status": "ok"}\n' + b" " * 1000
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        writer.close()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    http_server = await asyncio.start_server(http, "127.0.0.1", 0)
    tcp_server = await asyncio.start_server(accept, "127.0.0.1", 0)

    class Resolver(asyncio.DatagramProtocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport

        def datagram_received(self, data: bytes, addr: Any) -> None:
            query = dns.message.from_wire(data)
            response = dns.message.make_response(query)
            qname = query.question[0].name.to_text()
            response.answer.append(dns.rrset.from_text(qname, 300, "IN", "A", "192.0.2.7"))
            self.transport.sendto(response.to_wire(), addr)

    loop = asyncio.get_running_loop()
    dns_transport, _ = await loop.create_datagram_endpoint(Resolver, local_addr=("127.0.0.1", 0))
    ports = {
        "throughput": tp_port,
        "token": credential.token(),
        "http": http_server.sockets[0].getsockname()[1],
        "tcp": tcp_server.sockets[0].getsockname()[1],
        "dns": dns_transport.get_extra_info("sockname")[1],
    }
    return ports, [throughput, http_server, tcp_server, dns_transport, store]


def _startup_s(command: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.monotonic()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.monotonic() - started)
    return round(statistics.median(times), 3)


async def _measure(rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        ports, closers = await _servers(Path(folder))
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.agent", "--child", json.dumps(ports), str(rounds),
                stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, _ = await proc.communicate()
        finally:
            throughput, http_server, tcp_server, dns_transport, store = closers
            await throughput.stop()
            http_server.close()
            tcp_server.close()
            dns_transport.close()
            store.close()
    measured: dict[str, Any] = json.loads(out)
    return measured


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.agent")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("PORTS", "ROUNDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child[0]), int(args.child[1]))))
        return 0
    measured = asyncio.run(_measure(args.rounds))
    per_day: dict[str, Any] = {}
    bytes_day = cpu_day = 0.0
    for name, kind, interval, _ in SCHEDULE:
        runs = DAY_S / interval
        probe = measured["probes"][name]
        bytes_day += probe["bytes"] * runs
        cpu_day += probe["cpu_s"] * runs
        per_day[name] = {
            "kind": kind,
            "interval_s": interval,
            "bytes_per_run": probe["bytes"],
            "cpu_ms_per_run": round(probe["cpu_s"] * 1000, 2),
            "bytes_per_day": round(probe["bytes"] * runs),
            "status": probe["status"][0],
        }
    # Loopback's 64 kB MTU hides header overhead; on a cellular link (MSS ~1400) a bulk
    # transfer adds ~52 bytes per data segment and per ACK (one per two segments).
    cellular_extra = sum(
        measured["probes"][n]["bytes"] / 1400 * 1.5 * 52 * DAY_S / i
        for n, k, i, _ in SCHEDULE
        if k == "throughput"
    )
    cheap_round_cpu = sum(measured["probes"][n]["cpu_s"] for n, k, _, _ in SCHEDULE if k in CHEAP)
    agent_cli = Path(sys.executable).with_name("pantau-agent")
    help_cmd = (
        [str(agent_cli), "--help"]
        if agent_cli.exists()
        else [sys.executable, "-m", "agent.cli", "--help"]
    )
    report = {
        "benchmark": "agent",
        "schedule": per_day,
        "bytes_per_day": round(bytes_day),
        "bytes_per_day_at_mss_1400": round(bytes_day + cellular_extra),
        "bytes_per_day_target": 15_000_000,
        "cpu_ms_per_cheap_round": round(cheap_round_cpu * 1000, 2),
        "cpu_percent_of_one_core_avg": round(cpu_day / DAY_S * 100, 4),
        "cpu_percent_target": 2.0,
        "rss_mb_after_all_probes": round(measured["rss_kb"] / 1024, 1),
        "peak_rss_mb": round(measured["peak_rss_kb"] / 1024, 1),
        "rss_mb_target": 50,
        "startup_import_agent_cli_s": _startup_s([sys.executable, "-c", "import agent.cli"]),
        "startup_help_s": _startup_s(help_cmd),
        "note": "loopback: throughput reaches its byte cap (worst case); trace not scheduled",
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
