"""The SMS lifeline end to end: a kit whose data path is cut while its (simulated) modem
stays registered texts the collector; the collector's gateway modem (simulated, behind
the simulated SMS centre) receives it, the gateway reader hands it to the collector,
which hears the kit alive and shows "data down, kit alive"; forged and replayed SMS are
refused; when data returns the spool drains and the kit stops texting.

The data path is cut in userspace: the kit reaches the collector through a TCP relay
this test closes (connections dropped, new ones refused) and opens again on the same
port. Everything else is real: gRPC, SQLite, HTTP, ptys, the AT driver.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from agent import clock
from agent.config import ModemSection
from agent.modem.driver import AtPort
from agent.modem.monitor import ModemMonitor
from agent.records import Body, make_record
from agent.sim.modem import SimModem
from agent.sim.scenario import bundled_scenario, load_scenario
from agent.sim.sms import SimSms, SmsCentre
from agent.sms.decide import Reason
from agent.sms.gateway import Gateway, http_post
from agent.sms.settings import SmsSection
from agent.sms.task import Lifeline
from agent.spool import Spool
from agent.uplink import Backoff, Uplink
from collector import auth
from collector.config import SmsSection as CollectorSms
from collector.config import default_config
from collector.lifeline import alive_by_sms
from collector.server import Collector
from collector.store.sqlite import SqliteStore
from pantau.core import lifeline
from pantau.core.smspdu import decode_deliver, decode_submit
from pantau.v1 import records_pb2

SITE = "3171011001005"
SECRET = b"collector-sms-secret-0123456789"
HOOK = "gateway-webhook-secret"
KIT_NUMBER = "+628120000001"
GATEWAY_NUMBER = "+628110000099"


class Relay:
    """A TCP relay to ``target_port`` that can be cut (like a link going down)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for w in list(self._writers):
            w.transport.abort()
        await server.wait_closed()
        while self._writers:  # every connection's handler has finished
            await asyncio.sleep(0.01)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            self._writers.discard(writer)
            return
        self._writers.add(up_w)

        async def pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await r.read(65536):
                    w.write(data)
                    await w.drain()
            w.transport.abort()

        try:
            await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))
        finally:
            for w in (writer, up_w):
                w.transport.abort()
                self._writers.discard(w)


async def _until(condition: Callable[[], object], timeout_s: float = 20.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.02)


class Provider:
    """An SMS gateway service holding the collector's number: it takes each SMS the
    centre delivers to it and posts it to the collector's webhook (the documented
    alternative to a gateway modem), forgetting it once the collector answered 200."""

    def __init__(self, memory: SimSms, post: Callable[[bytes], int]) -> None:
        self.memory = memory
        self.post = post
        self.handed_on = 0
        self.port = AtPort("loop://")  # nothing to close: the same shape as Gateway

    def one_pass(self) -> int:
        taken = 0
        for index, (_, pdu) in sorted(self.memory.snapshot().items()):
            message = decode_deliver(pdu)
            body = json.dumps({"from": str(message.originator), "text": message.text}).encode()
            if self.post(body) == 200:
                self.memory.delete(index)
                taken += 1
        self.handed_on += taken
        return taken


@pytest.mark.parametrize("via", ["gateway", "webhook"])
def test_sms_lifeline_end_to_end(tmp_path: Path, via: str) -> None:
    asyncio.run(_scenario(tmp_path, via))


async def _scenario(tmp_path: Path, via: str) -> None:
    store = SqliteStore(tmp_path / "collector.sqlite")
    credential = auth.new_credential("kit-1")
    store.add_agent("kit-1", SITE, auth.hash_secret(credential.secret))
    config = dataclasses.replace(
        default_config(), sms=CollectorSms(secret=SECRET, webhook_secret=HOOK)
    )
    collector = Collector(store, config=config)
    await collector.start("127.0.0.1:0")
    web_port = await collector.start_web("127.0.0.1:0")
    relay = Relay(collector.port)
    await relay.open()

    centre = SmsCentre(delay_s=0.3)
    strong = load_scenario(bundled_scenario("strong-lte"))
    kit_modem = SimModem(strong, sms=centre.attach(KIT_NUMBER))
    gateway_modem = SimModem(strong, sms=centre.attach(GATEWAY_NUMBER))
    kit_modem.start()
    gateway_modem.start()

    kit_dir = tmp_path / "kit"
    kit_dir.mkdir()
    spool = Spool(
        kit_dir / "spool.sqlite", max_bytes=1 << 20, overflow_record=lambda *a: ("event", 3, b"")
    )
    uplink = Uplink(
        spool, address=f"127.0.0.1:{relay.port}", credential=credential.token(), agent_id="kit-1",
        site=SITE, backoff=Backoff(0.05, 0.2), poll_s=0.05,
    )  # fmt: skip
    readings: list[records_pb2.SignalReading] = []

    def emit(body: Body) -> None:
        if isinstance(body, records_pb2.SignalReading):
            readings.append(body)
        spool.append([("signal", 2, make_record(clock.now(), body).SerializeToString())])

    monitor = ModemMonitor(
        ModemSection(port=kit_modem.port_path, interval_s=0.2), emit=emit, on_error=lambda _: None
    )
    task_config = SmsSection(
        enabled=True, collector_number=GATEWAY_NUMBER, after_s=1.0, repeat_s=3600, check_s=0.05
    )
    kit = Lifeline(
        task_config, kit_dir, "kit-1",
        uplink_up=lambda: uplink.state.connected,
        sms_key=lambda: uplink.state.sms_key,
        reading=lambda: readings[-1] if readings else None,
        backlog=lambda: spool.backlog().records,
        last_error=lambda: uplink.state.last_error,
        send=monitor.send_sms,
    )  # fmt: skip
    post = http_post(f"http://127.0.0.1:{web_port}/api/v1/sms", HOOK)
    gateway: Gateway | Provider
    if via == "gateway":
        gateway = Gateway(AtPort(gateway_modem.port_path, command_timeout_s=5), post)
    else:
        assert gateway_modem.sms is not None
        gateway = Provider(gateway_modem.sms, post)
    tasks = [asyncio.create_task(t) for t in (uplink.run(), monitor.run(), kit.run())]
    stop_gateway = threading.Event()

    def gateway_loop() -> None:
        while not stop_gateway.is_set():
            gateway.one_pass()
            stop_gateway.wait(0.1)

    gateway_thread = threading.Thread(target=gateway_loop, daemon=True)
    try:
        # Data flows: the kit has its SMS key from the Welcome, and texts nobody.
        await _until(lambda: uplink.state.connected and readings)
        assert uplink.state.sms_key == lifeline.kit_key(SECRET, "kit-1")
        await _until(lambda: kit.last_reason is Reason.UPLINK_UP)
        await _until(lambda: spool.backlog().records == 0)
        gateway_thread.start()

        # The data link goes down; the modem stays registered.
        await relay.cut()
        cut_at = time.monotonic()
        await _until(lambda: not uplink.state.connected)
        await _until(lambda: gateway.handed_on >= 1)
        assert kit.sent == 1 and time.monotonic() - cut_at >= task_config.after_s
        heard = store.sms_heard([SITE])[SITE]
        (site,) = store.sites([SITE])
        assert alive_by_sms(heard.last_sms_ns, site.last_seen_ns)  # "data down, kit alive"
        window = collector.brain.engine.window(SITE)
        assert window is not None and heard.last_sms_ns in window.heard  # no AGENT_SILENT
        assert spool.backlog().records > 0  # readings wait for the link

        # A forged SMS and a replay of the real one, through the same gateway.
        (submitted,) = kit_modem.sms.sent if kit_modem.sms else []
        real_text = decode_submit(submitted).text
        forged = lifeline.encode(
            lifeline.Status("kit-1", 99), lifeline.kit_key(b"not-the-collector-secret", "kit-1")
        )
        centre.inject(GATEWAY_NUMBER, KIT_NUMBER, forged)
        centre.inject(GATEWAY_NUMBER, KIT_NUMBER, real_text)
        await _until(lambda: gateway.handed_on >= 3)
        verdicts = [row.verdict for row in reversed(store.sms_log())]
        assert verdicts == ["accepted", "forged", "replayed"]
        assert store.sms_heard([SITE])[SITE].counter == 1

        # Data returns: the spool drains, the lifeline goes quiet.
        await relay.open()
        await _until(lambda: uplink.state.connected)
        await _until(lambda: spool.backlog().records == 0)
        await _until(lambda: kit.last_reason is Reason.UPLINK_UP)
        (site,) = store.sites([SITE])
        assert not alive_by_sms(store.sms_heard([SITE])[SITE].last_sms_ns, site.last_seen_ns)
        assert kit.sent == 1 and centre.submitted == 1
    finally:
        stop_gateway.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await relay.cut()
        if gateway_thread.is_alive():
            gateway_thread.join(timeout=10)
        gateway.port.close()
        kit_modem.stop()
        gateway_modem.stop()
        spool.close()
        await collector.stop(0)
        store.close()
