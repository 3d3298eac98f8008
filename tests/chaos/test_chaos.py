"""Chaos: 20 kits streaming through a link we control, the collector SIGKILLed and
restarted twice, one kit SIGKILLed mid-batch and restarted, the link cut for 60 s.
Afterwards every record produced is stored exactly once, with the right content,
and every spool is empty.

The kits are tests/chaos/driver.py processes: the real Spool and Uplink, producing
records whose content is a function of (agent, seq), so that every stored record
can be checked without a modem (20 simulated modems would only add CPU load).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from agent.spool import Spool
from collector import auth
from collector.store.sqlite import SqliteStore
from pantau.v1 import records_pb2

AGENTS = 20
SITE = "3171011001005"
DRIVER = Path(__file__).with_name("driver.py")
ROOT = Path(__file__).resolve().parents[2]


class Link:
    """A TCP relay on loopback between the kits and the collector that can be cut."""

    def __init__(self) -> None:
        self.upstream_port = 0
        self.port = 0
        self._up = True
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> int:
        self._thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._listen(0), self._loop).result(10)
        return self.port

    async def _listen(self, port: int) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", port)
        return int(self._server.sockets[0].getsockname()[1])

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._up:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    def cut(self) -> None:
        async def down() -> None:
            self._up = False
            for writer in list(self._writers):
                writer.transport.abort()
            self._writers.clear()

        asyncio.run_coroutine_threadsafe(down(), self._loop).result(10)

    def restore(self) -> None:
        async def up() -> None:
            self._up = True

        asyncio.run_coroutine_threadsafe(up(), self._loop).result(10)

    def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


class CollectorProcess:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> int:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "collector.cli", "serve", "--data-dir", str(self.data_dir),
             "--listen", "127.0.0.1:0", "--throughput-listen", "off", "--http-listen", "off"],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=ROOT,
        )  # fmt: skip
        assert self.proc.stderr is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if match := re.search(r"collector listening on port (\d+)", line):
                log = self.data_dir.parent / "collector.log"  # every run, appended
                threading.Thread(target=_copy, args=(self.proc.stderr, log), daemon=True).start()
                return int(match.group(1))
            if not line and self.proc.poll() is not None:
                break
        raise AssertionError("the collector did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        if self.proc.stderr:
            self.proc.stderr.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()


def _copy(stream: IO[str], path: Path) -> None:
    """Keep a process's log (the pipe drained, the lines kept for a failure's message)."""
    with path.open("a", encoding="utf-8") as out:
        for line in stream:
            out.write(line)
            out.flush()


def tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return f"(no {path.name})"
    return "\n".join(path.read_text(encoding="utf-8").splitlines()[-lines:])


def start_kit(tmp: Path, index: int, port: int, token: str) -> subprocess.Popen[str]:
    with (tmp / f"kit-{index}.log").open("a", encoding="utf-8") as log:  # the uplink's warnings
        proc = subprocess.Popen(
            [sys.executable, str(DRIVER), str(tmp / f"spool-{index}.sqlite"),
             f"127.0.0.1:{port}", token, str(index)],
            stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


@contextlib.contextmanager
def cleanup(*things: object) -> Iterator[None]:
    try:
        yield
    finally:
        for thing in things:
            if isinstance(thing, dict):
                for proc in thing.values():
                    if proc.poll() is None:
                        proc.kill()
                    proc.wait()
                    if proc.stdout:
                        proc.stdout.close()
            else:
                thing.stop()  # type: ignore[attr-defined]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_nothing_lost_nothing_doubled_through_kills_restarts_and_a_60s_cut(tmp_path: Path) -> None:
    data = tmp_path / "collector"
    store = SqliteStore(data / "collector.sqlite")
    tokens = []
    for i in range(AGENTS):
        credential = auth.new_credential(f"chaos-{i}")
        store.add_agent(credential.agent_id, SITE, auth.hash_secret(credential.secret))
        tokens.append(credential.token())
    store.close()

    collector = CollectorProcess(data)
    link = Link()
    kits: dict[int, subprocess.Popen[str]] = {}
    with cleanup(kits, collector, link):
        link.upstream_port = collector.start()
        port = link.start()
        for i in range(AGENTS):
            kits[i] = start_kit(tmp_path, i, port, tokens[i])
        time.sleep(4)  # the scenario's timeline: everyone streaming

        collector.kill()  # 1st collector crash
        time.sleep(1)
        link.upstream_port = collector.start()
        time.sleep(3)

        kits[3].send_signal(signal.SIGKILL)  # a kit dies mid-batch
        kits[3].wait(10)
        kits[3].stdout.close()  # type: ignore[union-attr]
        kits[3] = start_kit(tmp_path, 3, port, tokens[3])
        time.sleep(2)

        link.cut()  # the link goes down for 60 s ...
        time.sleep(20)
        collector.kill()  # ... and the collector crashes meanwhile (2nd)
        time.sleep(1)
        link.upstream_port = collector.start()
        time.sleep(39)
        link.restore()
        time.sleep(3)

        heads = {}
        for proc in kits.values():
            proc.send_signal(signal.SIGTERM)
        for i, proc in kits.items():
            out, _ = proc.communicate(timeout=120)
            assert proc.returncode == 0, (
                f"kit {i}: {out}\nkit log:\n{tail(tmp_path / f'kit-{i}.log')}\n"
                f"collector log:\n{tail(tmp_path / 'collector.log')}"
            )
            heads[i] = int(out.split()[-1])
        collector.stop()

    store = SqliteStore(data / "collector.sqlite")
    total = 0
    for i in range(AGENTS):
        stored = list(store.records(agent_id=f"chaos-{i}"))
        assert [r.seq for r in stored] == list(range(1, heads[i] + 1)), f"kit {i}"
        for row in stored:
            signal_reading = records_pb2.Record.FromString(row.payload).signal
            assert signal_reading.operator_name == f"a{i}-r{row.seq}"
            assert signal_reading.rsrp_dbm == -60.0 - row.seq % 50
        spool = Spool(tmp_path / f"spool-{i}.sqlite", max_bytes=1 << 30,
                      overflow_record=lambda *a: ("event", 3, b""))  # fmt: skip
        assert spool.backlog().records == 0
        spool.close()
        total += heads[i]
    store.close()
    assert total > AGENTS * 100  # the kits really produced through it all
