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
- ``records``: made by the fleet, stored, lost (made and not stored) and stored twice
  (per (agent, seq)): both must be 0.

The fleet is then stopped (SIGTERM: it delivers what it holds) and the accounts are
compared per agent. Prints one JSON object (strict: no NaN).

    python -m bench.storm [--kits 2000] [--store sqlite|postgres] [--speed 10]
                          [--down 20] [--handshakes N] [--handshake-queue N] [--drains N]

``--store postgres`` uses ``PANTAU_TEST_PG_DSN`` (a schema of its own, dropped after).
``--speed`` is the fleet's: simulated seconds per real second (cadence and back-off
run that much faster, so a short run holds a realistic backlog); a refused kit's
``retry-after-ms`` is real time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from collector.config import IngestSection

ROOT = Path(__file__).resolve().parent.parent
PROGRESS = re.compile(r"kits (\d+)/(\d+) joined, (\d+) streaming; records (\d+) made, (\d+) acked")

SCENARIO = """\
# bench.storm: every kit joins within a simulated minute, then streams steadily.
[day]
start = "08:00"
seed = 3

[fleet]
join_at = "08:00"
join_over_min = 1

[[phase]]
name = "voting"
start = "07:00"
end = "13:00"
"""


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout_s: float) -> float:
    """Seconds until ``port`` accepts a connection (at most ``timeout_s``)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return time.monotonic() - start
        time.sleep(0.05)
    raise SystemExit(f"bench.storm: the collector did not listen on {port} in {timeout_s:g} s")


class Store:
    """Read-only queries on the collector's store (SQLite file or PostgreSQL URL)."""

    def __init__(self, sqlite_path: Path | None, url: str) -> None:
        self._url = url
        self._path = sqlite_path
        self._p = "?" if sqlite_path is not None else "%s"

    def rows(self, sql: str, *params: int) -> list[tuple[Any, ...]]:
        sql = sql.replace("{p}", self._p)
        if self._path is not None:
            import sqlite3

            db = sqlite3.connect(f"file:{self._path}?mode=ro", uri=True, timeout=30)
            try:
                return db.execute(sql, params).fetchall()
            finally:
                db.close()
        import psycopg

        with psycopg.connect(self._url, autocommit=True) as db:
            return list(db.execute(sql, params).fetchall())  # type: ignore[arg-type]


class Fleet:
    """The fleet process and the latest figures of its progress lines."""

    def __init__(self, argv: list[str], log: Path) -> None:
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     cwd=ROOT, text=True)  # fmt: skip
        self.joined = self.streaming = self.made = self.acked = 0
        self._log = log.open("w", encoding="utf-8")
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._log.write(line)
            self._log.flush()
            match = PROGRESS.search(line)
            if match:
                self.joined, _, self.streaming, self.made, self.acked = map(int, match.groups())

    def stop(self, timeout_s: float) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._reader.join(5)
        self._log.close()
        return code


def _until(what: str, deadline: float, check: Any, every_s: float = 0.5) -> None:
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench.storm: timed out waiting for {what}")
        time.sleep(every_s)


@contextmanager
def _postgres_schema() -> Iterator[str]:
    import psycopg

    dsn = os.environ.get("PANTAU_TEST_PG_DSN")
    if not dsn:
        raise SystemExit("bench.storm: --store postgres needs PANTAU_TEST_PG_DSN")
    schema = f"pantau_storm_{secrets.token_hex(4)}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        sep = "&" if "?" in dsn else "?"
        yield f"{dsn}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def run(args: argparse.Namespace, tmp: Path, url: str) -> dict[str, Any]:
    ingest = IngestSection(
        **{k: v for k, v in (("handshakes", args.handshakes), ("drains", args.drains),
                             ("handshake_queue", args.handshake_queue)) if v is not None}
    )  # fmt: skip
    config = tmp / "collector.toml"
    config.write_text(
        "[ingest]\n" + "".join(f"{k} = {v}\n" for k, v in asdict(ingest).items()),
        encoding="utf-8",
    )
    scenario = tmp / "storm.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    port = _free_port()
    store_arg = ["--store", url] if url else []
    serve = [_bin("pantau-collector"), "serve", "--data-dir", str(tmp), *store_arg,
             "--listen", f"127.0.0.1:{port}", "--http-listen", "off",
             "--throughput-listen", "off", "--config", str(config)]  # fmt: skip
    collector_log = (tmp / "collector.log").open("a", encoding="utf-8")

    def start_collector() -> subprocess.Popen[bytes]:
        return subprocess.Popen(serve, stdout=collector_log, stderr=collector_log, cwd=ROOT)

    store = Store(None if url else tmp / "collector.sqlite", url)
    summary_file = tmp / "fleet.json"
    collector = start_collector()
    fleet: Fleet | None = None
    try:
        _wait_port(port, 60)
        t0 = time.monotonic()
        fleet = Fleet(
            [_bin("pantau-agent"), "fleet", "--collector", f"127.0.0.1:{port}",
             "--enroll", url or str(tmp), "--credentials", str(tmp / "credentials.csv"),
             "--kits", str(args.kits), "--speed", str(args.speed), "--duration", "86400",
             "--progress", "1", "--drain", str(args.drain), "--scenario", str(scenario),
             "--json", str(summary_file)],
            tmp / "fleet.log",
        )  # fmt: skip
        deadline = time.monotonic() + args.timeout
        _until("every kit streaming", deadline, lambda: fleet.streaming == args.kits)
        streaming_s = time.monotonic() - t0
        time.sleep(args.steady)
        made_before = fleet.made

        collector.send_signal(signal.SIGKILL)
        collector.wait()
        killed = time.monotonic()
        time.sleep(args.down)
        restart_ns = time.time_ns()
        restarted = time.monotonic()
        collector = start_collector()
        up_s = _wait_port(port, 60)

        live_s = again_s = None
        backlog = (0, 0)
        grew = time.monotonic()
        while True:
            now = time.monotonic()
            if now > deadline:
                break
            if live_s is None:
                (live,) = store.rows("SELECT count(*) FROM site_state WHERE last_seen_ns >= {p}",
                                     restart_ns)[0]  # fmt: skip
                if int(live) >= args.kits:
                    live_s = now - restarted
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
        fleet_code = fleet.stop(args.drain + 60)
        fleet = None
    finally:
        if fleet is not None:
            fleet.stop(10)
        collector.send_signal(signal.SIGTERM)
        try:
            collector.wait(30)
        except subprocess.TimeoutExpired:
            collector.kill()
        collector_log.close()

    summary = json.loads(summary_file.read_text(encoding="utf-8"))
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
        "fleet_exit": fleet_code,
        "all_streaming_first_s": round(streaming_s, 1),
        "collector_listening_s": round(up_s, 2),
        "live_back_s": None if live_s is None else round(live_s, 1),
        "streaming_again_s": None if again_s is None else round(again_s, 1),
        "backlog_drained_s": round((backlog[1] - restart_ns) / 1e9, 1) if backlog[1] else None,
        "backlog_records": backlog[0],
        "records": {
            "made_before_kill": made_before,
            "produced": summary["records"]["produced"],
            "stored": sum(d for _, d in stored.values()),
            "lost": lost,
            "stored_twice": twice,
        },
        "refused": summary["refused"],
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
    parser.add_argument("--keep", type=Path, help="copy the collector's and fleet's logs here")
    args = parser.parse_args()
    if args.kits < 1 or args.speed <= 0 or args.down < 0:
        parser.error("--kits must be >= 1, --speed > 0, --down >= 0")
    with tempfile.TemporaryDirectory(prefix="pantau-storm-") as tmp:
        if args.store == "postgres":
            with _postgres_schema() as url:
                result = run(args, Path(tmp), url)
        else:
            result = run(args, Path(tmp), "")
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            for name in ("collector.log", "fleet.log", "fleet.json"):
                if (Path(tmp) / name).exists():
                    shutil.copy(Path(tmp) / name, args.keep / name)
    print(json.dumps({"storm": result}, indent=2, allow_nan=False))


if __name__ == "__main__":
    main()
