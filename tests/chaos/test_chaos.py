"""Chaos: 20 kits streaming through a link we control, the collector SIGKILLed and
restarted twice, one kit SIGKILLed mid-batch and restarted, one kit's data disk
full (a real tmpfs) while the collector hangs (SIGSTOP) for 25 s, the link cut for
60 s, then, while the kits drain their backlogs through 4 drain slots, every
connection left half-open (nothing passes, nothing is closed: the kits reconnect on
new connections, the collector still holds the old streams). Afterwards every record
produced is stored exactly once, with the right content, or counted in a drop report
the collector stored, every spool is empty, and every kit drained in time: the
half-open streams did not keep the drain slots (each kit's new stream ended its old
one).

The collector judges silence with short rules (a site silent for 15 s): its own hang
opens no AGENT_SILENT ticket, the cut does (the collector restarted while the kits
were silent still reports them), and once the kits stream again no ticket is left
open.

The kits are tests/chaos/driver.py processes: the real Spool and Uplink, producing
records whose content is a function of (agent, seq), so that every stored record
can be checked without a modem (20 simulated modems would only add CPU load).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from machine import tmpfs

from agent.spool import Spool
from collector import auth
from collector.session import MAX_BATCHES_IN_FLIGHT
from collector.store.sqlite import SqliteStore
from pantau.v1 import records_pb2

from .procs import ROOT, CollectorProcess, fill, tail

AGENTS = 20
SITE = "3171011001005"
DRIVER = Path(__file__).with_name("driver.py")
#: The kit whose data disk fills up, and its spool's reserve (small, so that the
#: spool has to drop by priority while the collector hangs, and report it).
FULL_KIT = 5
FULL_KIT_RESERVE = 128 * 1024
#: Silence after 3 x 5 s; recovery held 4 s.
RULES = "[agent_silent]\nexpected_interval_s = 5\nintervals = 3\nhold_s = 4\n"
#: Fewer drain slots than kits (backlog drain gating as configured by default
#: otherwise): a slot held by a half-open stream leaves a kit trickling.
INGEST = "[ingest]\ndrains = 4\n"
#: Records a kit can have on their way at once: its batches in flight, 1,000 records each.
IN_FLIGHT_MAX = MAX_BATCHES_IN_FLIGHT * 1000


def silent_tickets(data: Path, *, states: tuple[str, ...]) -> list[object]:
    """The site's AGENT_SILENT tickets in ``states``, read while the collector runs."""
    store = SqliteStore(data / "collector.sqlite")
    try:
        return list(
            store.list_tickets(site_code=SITE, problem="AGENT_SILENT", states=states, limit=50)
        )
    finally:
        store.close()


def wait_for(what: str, predicate: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:.0f} s: {what}")
        time.sleep(0.5)


class Link:
    """A TCP relay on loopback between the kits and the collector that can be cut."""

    def __init__(self) -> None:
        self.upstream_port = 0
        self.port = 0
        self._up = True
        self._writers: set[asyncio.StreamWriter] = set()
        #: Connections left half-open: nothing passes either way and nothing is closed
        #: (as a dead path looks to both ends until their keepalive gives up).
        self._stalled: set[asyncio.StreamWriter] = set()
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
                    if dst in self._stalled:
                        continue  # lost on the way
                    dst.write(data)
                    await dst.drain()
            if dst not in self._stalled:  # a half-open path tells nobody it closed
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    def cut(self) -> None:
        async def down() -> None:
            self._up = False
            for writer in list(self._writers | self._stalled):
                writer.transport.abort()
            self._writers.clear()
            self._stalled.clear()

        asyncio.run_coroutine_threadsafe(down(), self._loop).result(10)

    def stall(self) -> None:
        """Leave every open connection half-open; new connections pass as usual."""

        async def dead() -> None:
            self._stalled |= self._writers

        asyncio.run_coroutine_threadsafe(dead(), self._loop).result(10)

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


def start_kit(
    tmp: Path, index: int, port: int, token: str, spool: Path | None = None
) -> subprocess.Popen[str]:
    spool = spool or tmp / f"spool-{index}.sqlite"
    reserve = [str(FULL_KIT_RESERVE)] if index == FULL_KIT else []
    with (tmp / f"kit-{index}.log").open("a", encoding="utf-8") as log:  # the uplink's warnings
        proc = subprocess.Popen(
            [sys.executable, str(DRIVER), str(spool), f"127.0.0.1:{port}", token, str(index),
             *reserve],
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
@pytest.mark.timeout(360)
def test_nothing_lost_nothing_doubled_through_kills_restarts_a_hang_a_full_disk_and_a_cut(
    tmp_path: Path,
) -> None:
    data = tmp_path / "collector"
    store = SqliteStore(data / "collector.sqlite")
    tokens = []
    for i in range(AGENTS):
        credential = auth.new_credential(f"chaos-{i}")
        store.add_agent(credential.agent_id, SITE, auth.hash_secret(credential.secret))
        tokens.append(credential.token())
    store.close()

    (tmp_path / "rules.toml").write_text(RULES)
    config = tmp_path / "collector.toml"
    config.write_text(f'[rules]\nfile = "{tmp_path / "rules.toml"}"\n{INGEST}')
    collector = CollectorProcess(data, config=config)
    link = Link()
    kits: dict[int, subprocess.Popen[str]] = {}
    spools = {i: tmp_path / f"spool-{i}.sqlite" for i in range(AGENTS)}
    with tmpfs(tmp_path / "disk", "8m") as disk, cleanup(kits, collector, link):
        spools[FULL_KIT] = disk / "spool.sqlite"
        link.upstream_port = collector.start()
        port = link.start()
        for i in range(AGENTS):
            kits[i] = start_kit(tmp_path, i, port, tokens[i], spools[i])
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

        filler = fill(disk)  # a kit's data disk fills up ...
        time.sleep(2)
        collector.freeze()  # ... and the collector hangs for 25 s meanwhile
        try:
            time.sleep(25)
        finally:
            collector.thaw()
        time.sleep(5)
        filler.unlink()  # room again
        time.sleep(2)
        # The collector's own 25 s hang was not the kits' silence.
        assert silent_tickets(data, states=("open", "acknowledged", "resolved")) == []

        link.cut()  # the link goes down for 60 s ...
        time.sleep(20)
        collector.kill()  # ... and the collector crashes meanwhile (2nd)
        time.sleep(1)
        link.upstream_port = collector.start()
        time.sleep(39)
        # Silent for 60 s, across a restart: reported.
        assert silent_tickets(data, states=("open",)), tail(tmp_path / "collector.log")
        link.restore()
        time.sleep(4)  # the kits are back, draining a minute's backlog each ...
        link.stall()  # ... when every path dies half-open: the kits reconnect once their
        time.sleep(25)  # keepalive gives up (about 18 s); the collector still holds the old
        # streams (its keepalive: minutes), unless a kit's new stream ends its old one.
        # Streaming again: no ticket left open for them.
        wait_for(
            "the AGENT_SILENT ticket resolves once the kits stream",
            lambda: not silent_tickets(data, states=("open", "acknowledged")),
            60,
        )

        heads, full = {}, {}
        for proc in kits.values():
            proc.send_signal(signal.SIGTERM)
        for i, proc in kits.items():
            out, _ = proc.communicate(timeout=120)
            assert proc.returncode == 0, (
                f"kit {i}: {out}\nkit log:\n{tail(tmp_path / f'kit-{i}.log')}\n"
                f"collector log:\n{tail(tmp_path / 'collector.log')}"
            )
            heads[i], full[i] = map(int, out.split()[-2:])
        collector.stop()
        assert full == {i: int(i == FULL_KIT) for i in range(AGENTS)}  # the fault happened

        store = SqliteStore(data / "collector.sqlite")
        total = 0
        for i in range(AGENTS):
            stored = list(store.records(agent_id=f"chaos-{i}"))
            seqs = [r.seq for r in stored]
            assert seqs == sorted(set(seqs)), f"kit {i}: a seq stored twice"
            reported = 0
            for row in stored:
                record = records_pb2.Record.FromString(row.payload)
                if record.WhichOneof("body") == "event":
                    assert record.event.kind == records_pb2.AgentEvent.KIND_SPOOL_OVERFLOW
                    reported += record.event.dropped_records
                    continue
                assert record.signal.operator_name == f"a{i}-r{row.seq}"
                assert record.signal.rsrp_dbm == -60.0 - row.seq % 50
            # Every seq the kit made is stored, or counted in a drop report. A record the
            # full spool dropped while it was on its way (sent, not yet acked) may have been
            # stored all the same: the kit cannot know, so it counts it as dropped. Never
            # fewer reported than missing (nothing lost unsaid), and the excess at most
            # what can be in flight.
            missing = set(range(1, heads[i] + 1)) - set(seqs)
            assert len(missing) <= reported <= len(missing) + IN_FLIGHT_MAX, (
                f"kit {i}: {len(missing)} missing, {reported} reported"
            )
            assert i == FULL_KIT or not missing, f"kit {i} dropped records"
            spool = Spool(spools[i], max_bytes=1 << 30, reserve_bytes=0,
                          overflow_record=lambda *a: ("event", 3, b""))  # fmt: skip
            assert spool.backlog().records == 0
            spool.close()
            total += heads[i]
        store.close()
    assert total > AGENTS * 100  # the kits really produced through it all
