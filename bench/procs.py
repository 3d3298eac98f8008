"""Processes shared by the fleet benchmarks (``bench.storm``, ``bench.fleet``): collectors
(``pantau-collector serve``) and fleets (``pantau-agent fleet``) as processes of their own,
a PostgreSQL schema of the run's own, the kits' credentials enrolled once and split over
several fleet processes, and a CPU quota (a cgroup) to hold a collector to part of a core.
"""

from __future__ import annotations

import asyncio
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
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from collector.config import IngestSection

ROOT = Path(__file__).resolve().parent.parent
PROGRESS = re.compile(
    r"kits (\d+)/(\d+) joined, (\d+) streaming; records (\d+) made, (\d+) acked.*?"
    r"ack p99 (-|[\d.]+ ms)"
)

STEADY_SCENARIO = """\
# Every kit joins within a simulated minute, then streams steadily (voting hours).
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


class BenchError(SystemExit):
    """The benchmark cannot go on (printed, exit status 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


def bin_path(name: str) -> str:
    """A console script of this interpreter's environment."""
    return str(Path(sys.executable).with_name(name))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout_s: float) -> float:
    """Seconds until ``port`` accepts a connection (at most ``timeout_s``)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return time.monotonic() - start
        time.sleep(0.05)
    raise BenchError(f"bench: the collector did not listen on {port} in {timeout_s:g} s")


def until(what: str, deadline: float, check: Callable[[], bool], every_s: float = 0.5) -> None:
    while not check():
        if time.monotonic() > deadline:
            raise BenchError(f"bench: timed out waiting for {what}")
        time.sleep(every_s)


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


@contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """A schema of its own on ``PANTAU_TEST_PG_DSN`` (dropped after): its URL."""
    import psycopg

    dsn = os.environ.get("PANTAU_TEST_PG_DSN")
    if not dsn:
        raise BenchError("bench: PostgreSQL needs PANTAU_TEST_PG_DSN")
    schema = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        sep = "&" if "?" in dsn else "?"
        yield f"{dsn}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def collector_config(path: Path, ingest: IngestSection) -> Path:
    path.write_text(
        "[ingest]\n" + "".join(f"{k} = {v}\n" for k, v in asdict(ingest).items()),
        encoding="utf-8",
    )
    return path


class CollectorProc:
    """``pantau-collector serve`` on ``port`` (loopback), its log appended to ``log``;
    started inside ``quota`` (a :class:`CpuQuota`) when given."""

    def __init__(
        self, data_dir: Path, url: str, config: Path, log: Path, *, quota: CpuQuota | None = None
    ) -> None:
        self.port = free_port()
        store_arg = ["--store", url] if url else []
        self.argv = [bin_path("pantau-collector"), "serve", "--data-dir", str(data_dir),
                     *store_arg, "--listen", f"127.0.0.1:{self.port}", "--http-listen", "off",
                     "--throughput-listen", "off", "--config", str(config)]  # fmt: skip
        self.quota = quota
        self._log: IO[str] = log.open("a", encoding="utf-8")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        argv = self.quota.wrap(self.argv) if self.quota is not None else self.argv
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=self._log, cwd=ROOT)

    def cpu_s(self) -> float:
        """CPU seconds the process has used (user + system, its threads included)."""
        if self.proc is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout_s: float = 30) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()

    def close(self) -> None:
        self.stop()
        self._log.close()


class FleetProc:
    """One fleet process and the latest figures of its progress lines."""

    def __init__(self, argv: list[str], log: Path) -> None:
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     cwd=ROOT, text=True)  # fmt: skip
        self.joined = self.streaming = self.made = self.acked = 0
        self.peak_streaming = 0
        #: The progress lines' ack p99 (ms, over the last 2,000 acks), one per line.
        self.ack_p99_ms: list[float] = []
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
                self.joined, _, self.streaming, self.made, self.acked = map(int, match.groups()[:5])
                self.peak_streaming = max(self.peak_streaming, self.streaming)
                if match.group(6) != "-":
                    self.ack_p99_ms.append(float(match.group(6).split()[0]))

    def stop(self, timeout_s: float) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._reader.join(5)
        self._log.close()
        return code


class Fleets:
    """K fleet processes, each with a part of the kits' credentials; progress summed."""

    def __init__(
        self, credentials: list[Path], collectors: list[str], tmp: Path, *extra: str
    ) -> None:
        self.summaries = [tmp / f"fleet-{k}.json" for k in range(len(credentials))]
        for path in self.summaries:
            path.unlink(missing_ok=True)
        self.procs = [
            FleetProc(
                [
                    bin_path("pantau-agent"),
                    "fleet",
                    *(a for c in collectors for a in ("--collector", c)),
                    "--credentials",
                    str(creds),
                    "--json",
                    str(summary),
                    *extra,
                ],
                tmp / f"fleet-{k}.log",
            )
            for k, (creds, summary) in enumerate(zip(credentials, self.summaries, strict=True))
        ]

    @property
    def joined(self) -> int:
        return sum(p.joined for p in self.procs)

    @property
    def streaming(self) -> int:
        return sum(p.streaming for p in self.procs)

    @property
    def made(self) -> int:
        return sum(p.made for p in self.procs)

    @property
    def acked(self) -> int:
        return sum(p.acked for p in self.procs)

    def stop(self, timeout_s: float) -> list[int]:
        for p in self.procs:  # all at once: each delivers what it holds
            if p.proc.poll() is None:
                p.proc.send_signal(signal.SIGTERM)
        return [p.stop(timeout_s) for p in self.procs]

    def wait(self, timeout_s: float) -> list[int]:
        deadline = time.monotonic() + timeout_s
        for p in self.procs:
            with suppress(subprocess.TimeoutExpired):
                p.proc.wait(max(0.1, deadline - time.monotonic()))
        return [p.stop(10) for p in self.procs]

    def summary(self) -> dict[str, Any]:
        """The fleets' summaries merged: counts summed, quantiles the worst fleet's."""
        import json

        parts = [json.loads(p.read_text(encoding="utf-8")) for p in self.summaries if p.exists()]
        if len(parts) != len(self.summaries):
            raise BenchError(f"bench: {len(self.summaries) - len(parts)} fleet(s) wrote no summary")
        refused: Counter[str] = Counter()
        agents: dict[str, Any] = {}
        examples: list[str] = []
        for part in parts:
            refused.update(part["refused"])
            examples.extend(part["refusal_examples"][:2])
            agents.update(part["agents"])

        def worst(key: str, q: str) -> float | None:
            values = [p[key][q] for p in parts if p[key][q] is not None]
            return max(values) if values else None

        return {
            "kits": sum(p["kits"] for p in parts),
            "records": {
                k: sum(p["records"][k] for p in parts) for k in ("produced", "acked", "unacked")
            },
            "batches": sum(p["batches"] for p in parts),
            "connects": sum(p["connects"] for p in parts),
            "reconnects": sum(p["reconnects"] for p in parts),
            "refused": dict(sorted(refused.items())),
            "refusal_examples": examples,
            "retry_after": {
                "refusals": sum(p["retry_after"]["refusals"] for p in parts),
                "p50": worst("retry_after", "p50"),
                "p99": worst("retry_after", "p99"),
            },
            "ack_latency_ms": {q: worst("ack_latency_ms", q) for q in ("p50", "p99")},
            "lag_ms": {q: worst("lag_ms", q) for q in ("p50", "p99")},
            "agents": agents,
        }


def enroll_kits(url: str, address: str, count: int, provinces: list[str]) -> list[Any]:
    """``count`` synthetic sites enrolled in the store at ``url`` (the collector's CLI) and
    their codes traded for credentials at ``address``: the kits' identities."""
    from agent.fleet import credentials as creds

    codes = creds.enroll_with_collector_cli(url, creds.synthetic_sites(count, provinces))
    return asyncio.run(creds.redeem(address, codes, ca_file="", insecure=False, concurrency=64))


def split_credentials(kits: list[Any], parts: int, tmp: Path, name: str) -> list[Path]:
    """``kits`` in ``parts`` contiguous shares, a credentials file each (new files)."""
    from agent.fleet import credentials as creds

    size = -(-len(kits) // parts)
    paths = []
    for k in range(parts):
        share = kits[k * size : (k + 1) * size]
        if not share:
            break
        path = tmp / f"{name}-{k}.csv"
        path.unlink(missing_ok=True)
        creds.write_credentials(path, share)
        paths.append(path)
    return paths


# -- a CPU quota ------------------------------------------------------------------------------


class CpuQuota:
    """A cgroup of its own holding its processes to ``cores`` of CPU: cgroup v1's ``cpu``
    controller (``cpu.cfs_quota_us`` over ``cpu.cfs_period_us``) or cgroup v2's ``cpu.max``.

    :meth:`wrap` starts a command inside it (a shell writes its own pid into the group,
    then execs the command, so every thread and child is held from the start);
    :meth:`close` kills what is left in it and removes it. Use as a context manager, or
    call :meth:`close` on every exit path (``bench.fleet`` also turns SIGTERM and SIGHUP
    into an exit, so ``finally`` runs).
    """

    PERIOD_US = 100_000

    def __init__(self, name: str, cores: float) -> None:
        self.cores = cores
        root, self.version = self.find_root()
        self.path = root / f"{name}-{os.getpid()}-{secrets.token_hex(3)}"
        try:
            self.path.mkdir()
        except OSError as exc:
            raise BenchError(
                f"bench: cannot make a cgroup at {self.path} ({exc.strerror}): "
                "a CPU quota needs root (or a delegated cgroup)"
            ) from None
        try:
            self.set(cores)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def find_root() -> tuple[Path, int]:
        """Where a group with a CPU quota can be made: v1's cpu hierarchy, else a v2 tree
        with the cpu controller (enabled for its children if it is not yet)."""
        v1 = Path("/sys/fs/cgroup/cpu")
        if (v1 / "cpu.cfs_quota_us").exists():
            if not os.access(v1, os.W_OK):
                raise BenchError(f"bench: {v1} is not writable: a CPU quota needs root")
            return v1, 1
        for v2 in (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup")):
            controllers = v2 / "cgroup.controllers"
            if not controllers.exists() or "cpu" not in controllers.read_text().split():
                continue
            subtree = v2 / "cgroup.subtree_control"
            if "cpu" not in subtree.read_text().split():
                try:
                    subtree.write_text("+cpu")
                except OSError as exc:
                    raise BenchError(
                        f"bench: cannot enable the cpu controller in {subtree} "
                        f"({exc.strerror}): a CPU quota needs root (or a delegated cgroup)"
                    ) from None
            return v2, 2
        raise BenchError("bench: no cgroup with a CPU controller (v1 cpu or v2 cpu.max) found")

    def set(self, cores: float | None) -> None:
        """Hold the group to ``cores`` (None: no limit)."""
        quota = -1 if cores is None else max(1000, int(cores * self.PERIOD_US))
        try:
            if self.version == 1:
                (self.path / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
                (self.path / "cpu.cfs_quota_us").write_text(str(quota))
            else:
                limit = "max" if quota < 0 else str(quota)
                (self.path / "cpu.max").write_text(f"{limit} {self.PERIOD_US}")
        except OSError as exc:
            raise BenchError(f"bench: cannot set the CPU quota in {self.path}: {exc}") from None

    def wrap(self, argv: list[str]) -> list[str]:
        procs = self.path / "cgroup.procs"
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(procs), *argv]

    def throttled(self) -> dict[str, int]:
        """``cpu.stat``: periods, the periods the group was throttled in, and for how long."""
        out = {}
        try:
            for line in (self.path / "cpu.stat").read_text().splitlines():
                key, _, value = line.partition(" ")
                out[key] = int(value)
        except (OSError, ValueError):
            pass
        return out

    def pids(self) -> list[int]:
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def close(self) -> None:
        if not self.path.exists():
            return
        deadline = time.monotonic() + 10
        while True:
            for pid in self.pids():
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            try:
                self.path.rmdir()
                return
            except OSError as exc:
                if time.monotonic() > deadline:
                    print(f"bench: could not remove the cgroup {self.path}: {exc}",
                          file=sys.stderr)  # fmt: skip
                    return
                time.sleep(0.1)

    def __enter__(self) -> CpuQuota:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def exit_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP end the run as SystemExit does, so cleanup (``finally``) runs."""

    def leave(signum: int, _frame: object) -> None:
        raise SystemExit(f"bench: stopped by {signal.Signals(signum).name}")

    previous = {s: signal.signal(s, leave) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextmanager
def run_dir(prefix: str, keep: Path | None) -> Iterator[Path]:
    """A temporary directory for one run; its logs and JSON files are copied to ``keep``
    (if given) when the block ends, however it ends, before it is removed."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        try:
            yield Path(tmp)
        finally:
            if keep is not None:
                keep.mkdir(parents=True, exist_ok=True)
                for path in Path(tmp).iterdir():
                    if path.suffix in (".log", ".json"):
                        shutil.copy(path, keep / path.name)
