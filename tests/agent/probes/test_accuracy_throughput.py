"""Does the throughput prober measure the link? Against iperf3 on tbf-shaped veth links.

Client and server namespaces joined by a veth pair whose sending end is shaped with ``tc
tbf``. On the same link, ``iperf3`` (``-R`` for downloads) measures the reference; the
``throughput`` prober measures against the collector's real ``ThroughputServer`` (in the
server namespace). The prober's goodput must be within 10% of iperf3's, its payload within
``max_bytes``, and what crossed the link (IP level) no more than the cap plus TCP/IP
overhead; the prober's ``bytes_used`` never below what crossed the link.

Needs root and iperf3 (skipped with the reason otherwise); about 20 s.
"""

import asyncio
import json
import shutil
import time

import pytest
from netlab import MTU, Chain, NetLab, enter

from agent.probes.throughput import ThroughputConfig, ThroughputOutcome, probe
from collector.auth import hash_secret, new_credential
from collector.store.model import Agent
from collector.throughput import ThroughputServer

pytestmark = [
    pytest.mark.root,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("iperf3") is None, reason="needs iperf3 (Debian: iperf3)"),
]

IPERF_PORT = 5201
OVERHEAD = 1.075  # IP level: TCP/IP headers (52 B per 1448 B segment) and ACKs (at most one each)


class OneAgent:
    """The collector store as far as ThroughputServer cares: one enrolled kit."""

    def __init__(self) -> None:
        self.credential = new_credential("kit-1")
        self.agent = Agent("kit-1", "3171011001005", hash_secret(self.credential.secret), False, 0)

    def get_agent(self, agent_id: str) -> Agent | None:
        return self.agent if agent_id == self.agent.agent_id else None


def shaped_link(lab: NetLab, rate_bit: int, direction: str) -> Chain:
    """client <-> server, shaped at the sending end (the server for downloads).

    Not through a router: on a sub-millisecond path TCP slow start overshoots a router's
    2 Mbit/s queue and retransmits ~70% of the payload, which says nothing about the prober.
    """
    path = lab.chain("client", "server")
    if direction == "download":
        lab.tbf(path.server, path.links[0].b_dev, rate_bit)
    else:
        lab.tbf(path.client, path.links[0].a_dev, rate_bit)
    return path


def iperf3_bps(lab: NetLab, path: Chain, direction: str, seconds: int = 3) -> float:
    """iperf3's receiver-side goodput over ``seconds`` (``-R`` for downloads).

    No ``--omit``: with ``-R`` iperf3 3.12 counts the omitted bytes in ``sum_received`` but
    not the omitted time (10.9 Mbit/s on a 10 Mbit/s shaper).
    """
    server = lab.popen(path.server, "iperf3", "-s", "-1", "-B", path.server_ip)
    for _ in range(100):  # until it listens (at most ~2 s)
        listening = path.server.run("ss", "-Htln", f"sport = :{IPERF_PORT}").stdout
        if listening.strip() or server.poll() is not None:
            break
        time.sleep(0.02)
    reverse = ["-R"] if direction == "download" else []
    done = path.client.run(
        "iperf3", "-c", path.server_ip, *reverse, "-t", str(seconds), "-J",
        timeout_s=seconds + 15,
    )  # fmt: skip
    report = json.loads(done.stdout)
    server.wait(timeout=5)
    return float(report["end"]["sum_received"]["bits_per_second"])


def prober_run(path: Chain, **options: object) -> ThroughputOutcome:
    """Serve from the server namespace and probe from the client one (one event loop)."""
    agents = OneAgent()

    def run() -> ThroughputOutcome:  # starts in the server namespace (Namespace.call)
        async def main() -> ThroughputOutcome:
            server = ThroughputServer(agents, max_request_bytes=8_000_000)
            port = await server.start(path.server_ip, 0)
            enter(path.client)  # the prober's socket belongs to the client
            try:
                config = ThroughputConfig(
                    path.server_ip, port=port, credential=agents.credential.token(), **options
                )
                return await probe(config, name="accuracy")
            finally:
                await server.stop()

        return asyncio.run(main())

    return path.server.call(run, timeout_s=30)


@pytest.mark.parametrize("direction", ["download", "upload"])
@pytest.mark.parametrize(("rate_bit", "max_bytes"), [(10_000_000, 2_000_000), (2_000_000, 600_000)])
def test_goodput_matches_iperf3_within_the_byte_cap(
    netlab: NetLab, rate_bit: int, max_bytes: int, direction: str
) -> None:
    path = shaped_link(netlab, rate_bit, direction)
    reference_bps = iperf3_bps(netlab, path, direction)
    dev = path.links[0].a_dev
    before, resent_before = path.client.link_bytes(dev), path.server.tcp_retransmitted_segments()
    outcome = prober_run(path, direction=direction, max_bytes=max_bytes, max_time_s=8.0)
    on_link = path.client.link_bytes(dev) - before
    # A spurious retransmission by the server crosses twice and reaches the kit counted
    # once (no receiver counter tells a duplicate apart): at most an MTU each.
    server_resent = MTU * (path.server.tcp_retransmitted_segments() - resent_before)
    assert outcome.common.status.value == "ok", outcome.common.reason
    assert outcome.goodput_bps is not None
    print(
        f"{direction} {rate_bit / 1e6:g} Mbit/s tbf: prober {outcome.goodput_bps / 1e6:.3f} Mbit/s "
        f"({outcome.stop_reason}, {outcome.payload_bytes} B payload, {on_link} B on the link, "
        f"bytes_used {outcome.common.bytes_used}), iperf3 {reference_bps / 1e6:.3f} Mbit/s"
    )
    assert abs(outcome.goodput_bps - reference_bps) <= 0.10 * reference_bps
    assert outcome.goodput_bps <= rate_bit * 1.02  # never more than the shaper lets through
    assert outcome.payload_bytes <= max_bytes
    assert on_link <= max_bytes * OVERHEAD + 4_000  # + handshake, greeting, close
    # bytes_used never undercounts; for uploads it also counts what the kit's own shaper
    # dropped before the link (TCP_INFO bytes_sent includes those segments)
    assert outcome.common.bytes_used >= 0.98 * on_link - server_resent
    if direction == "download":
        assert abs(outcome.common.bytes_used - on_link) <= 0.05 * on_link + server_resent
