"""The ping prober: real ICMP to loopback (root), TCP-connect fallback, round bookkeeping."""

import asyncio
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from machine import unavailable

from agent.probes import icmp
from agent.probes._net import Resolved
from agent.probes.base import ProbeStatus
from agent.probes.icmp import IcmpConfig, PingOutcome, PingPacket, icmp_method_available, probe
from agent.probes.icmp_wire import EchoReply, IcmpError
from agent.probes.stats import rtt_statistics

IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root: raw ICMP sockets")


def run(config: IcmpConfig, name: str = "ping-test") -> PingOutcome:
    return asyncio.run(probe(config, name=name))


def assert_consistent(outcome: PingOutcome) -> None:
    """Counters and statistics agree with the packets kept."""
    stats = rtt_statistics([p.rtt_ms for p in outcome.packets])
    assert outcome.sent == len(outcome.packets) == stats.sent
    assert outcome.received == stats.received
    assert outcome.duplicates == sum(p.duplicates for p in outcome.packets)
    assert [p.icmp_seq for p in outcome.packets] == list(range(1, outcome.sent + 1))
    assert (outcome.min_ms, outcome.median_ms, outcome.avg_ms, outcome.max_ms) == (
        stats.min_ms,
        stats.median_ms,
        stats.avg_ms,
        stats.max_ms,
    )
    assert (outcome.stddev_ms, outcome.jitter_ms, outcome.loss_ratio) == (
        stats.stddev_ms,
        stats.jitter_ms,
        stats.loss_ratio,
    )


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0), backlog=16) as server:
        yield server.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.root
@needs_root
def test_root_gets_raw_sockets() -> None:
    assert icmp_method_available() == "icmp-raw"


@pytest.mark.root
@needs_root
def test_ping_loopback_keeps_every_packet() -> None:
    outcome = run(IcmpConfig("127.0.0.1", count=5, interval_s=0.02, timeout_s=1.0))
    common = outcome.common
    assert common.status is ProbeStatus.OK, common.reason
    assert common.reason == ""
    assert (common.probe_name, common.target, common.target_address) == (
        "ping-test",
        "127.0.0.1",
        "127.0.0.1",
    )
    assert common.resolve_ms is None
    assert outcome.method == "icmp-raw"
    assert outcome.tcp_port is None
    assert (outcome.sent, outcome.received, outcome.duplicates) == (5, 5, 0)
    assert outcome.loss_ratio == 0.0
    assert all(p.rtt_ms is not None and 0 < p.rtt_ms < 100 for p in outcome.packets)
    assert outcome.min_ms is not None and outcome.max_ms is not None
    assert 0 < outcome.min_ms <= outcome.max_ms < 100
    assert outcome.jitter_ms is not None
    assert (outcome.payload_bytes, outcome.interval_ms) == (56, 20.0)
    # 5 requests and 5 replies of 20 (IPv4) + 8 (ICMP) + 56 bytes
    assert common.bytes_used == 5 * 2 * 84
    assert_consistent(outcome)


@pytest.mark.root
@needs_root
def test_ping_ipv6_loopback_and_payload_sizes() -> None:
    outcome = run(IcmpConfig("::1", count=2, interval_s=0.01, payload_bytes=0))
    assert outcome.common.status is ProbeStatus.OK, outcome.common.reason
    assert outcome.received == 2
    assert outcome.common.bytes_used == 2 * 2 * (40 + 8)
    big = run(IcmpConfig("127.0.0.1", count=1, payload_bytes=1472))
    assert big.received == 1
    assert big.common.bytes_used == 2 * 1500


@pytest.mark.root
@needs_root
def test_ping_host_name_times_resolution() -> None:
    outcome = run(IcmpConfig("localhost", count=1, source="127.0.0.1"))
    assert outcome.common.status is ProbeStatus.OK, outcome.common.reason
    assert outcome.common.target == "localhost"
    assert outcome.common.target_address == "127.0.0.1"
    assert outcome.common.resolve_ms is not None and outcome.common.resolve_ms >= 0
    assert outcome.common.source == "127.0.0.1"


@pytest.mark.root
@needs_root
def test_ping_bound_to_interface() -> None:
    outcome = run(IcmpConfig("127.0.0.1", count=1, source="lo"))
    assert outcome.common.status is ProbeStatus.OK, outcome.common.reason
    missing = run(IcmpConfig("127.0.0.1", count=1, source="nosuch0"))
    assert missing.common.status is ProbeStatus.ERROR
    assert missing.common.reason == "source interface 'nosuch0' does not exist on this kit"
    assert missing.sent == 0


@pytest.mark.root
@needs_root
def test_concurrent_rounds_do_not_steal_replies() -> None:
    async def three() -> list[PingOutcome]:
        config = IcmpConfig("127.0.0.1", count=4, interval_s=0.01)
        return list(await asyncio.gather(*(probe(config, name=f"p{i}") for i in range(3))))

    for outcome in asyncio.run(three()):
        assert (outcome.sent, outcome.received, outcome.duplicates) == (4, 4, 0)
    assert not icmp._idents_in_use


@pytest.mark.root
@needs_root
def test_cancelled_round_closes_its_socket() -> None:
    async def cancel_mid_round() -> None:
        config = IcmpConfig("127.0.0.1", count=10, interval_s=0.05)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(probe(config, name="cut"), 0.08)

    open_fds = len(os.listdir("/proc/self/fd"))
    asyncio.run(cancel_mid_round())
    assert len(os.listdir("/proc/self/fd")) == open_fds  # the ICMP socket was closed
    assert not icmp._idents_in_use


def test_unresolvable_name() -> None:
    # tcp-connect so that this runs without ICMP privileges too; the name fails first.
    config = IcmpConfig("no-such-host.invalid", method="tcp-connect", tcp_fallback_port=9)
    outcome = run(config)
    assert outcome.common.status is ProbeStatus.UNRESOLVABLE
    assert outcome.common.reason.startswith("'no-such-host.invalid' has no address: ")
    assert outcome.common.target_address is None
    assert (outcome.sent, outcome.received, outcome.packets) == (0, 0, ())
    assert outcome.min_ms is None
    assert outcome.common.bytes_used == 0


def test_tcp_connect_method_to_listening_port(listening_port: int) -> None:
    config = IcmpConfig(
        "127.0.0.1",
        count=3,
        interval_s=0.01,
        method="tcp-connect",
        tcp_fallback_port=listening_port,
    )
    outcome = run(config)
    assert outcome.common.status is ProbeStatus.OK, outcome.common.reason
    assert outcome.method == "tcp-connect"
    assert outcome.tcp_port == listening_port
    assert (outcome.sent, outcome.received) == (3, 3)
    assert outcome.common.bytes_used == 3 * (2 * 60 + 5 * 52)
    assert_consistent(outcome)


def test_tcp_connect_method_counts_refusal_as_an_answer(closed_port: int) -> None:
    config = IcmpConfig(
        "127.0.0.1", count=2, interval_s=0.01, method="tcp-connect", tcp_fallback_port=closed_port
    )
    outcome = run(config)
    assert outcome.common.status is ProbeStatus.OK  # a RST is a round trip
    assert outcome.received == 2
    assert all(p.rtt_ms is not None for p in outcome.packets)


def test_forced_dgram_without_permission_is_not_permitted() -> None:
    low, high = (int(v) for v in Path("/proc/sys/net/ipv4/ping_group_range").read_text().split())
    if any(low <= gid <= high for gid in {os.getgid(), *os.getgroups()}):
        unavailable("ping_group_range allows this process: unprivileged ICMP works here")
    outcome = run(IcmpConfig("127.0.0.1", count=1, method="icmp-dgram"))
    assert outcome.common.status is ProbeStatus.NOT_PERMITTED
    assert outcome.common.reason == (
        f"unprivileged ICMP sockets are not allowed: net.ipv4.ping_group_range is "
        f"'{low} {high}', which excludes this process's groups"
    )
    assert outcome.method == "icmp-dgram"
    assert outcome.sent == 0 and outcome.loss_ratio == 1.0


# --- the round's bookkeeping, fed directly --------------------------------------------------


def test_round_bookkeeping() -> None:
    rnd = icmp._Round(timeout_s=1.0)
    rnd.sent_at.update({1: 10.0, 2: 10.2, 3: 10.4, 4: 10.6})
    rnd.on_message(EchoReply(7, 1, 64), "127.0.0.1", 10.005, 84)
    rnd.on_message(EchoReply(7, 1, 64), "127.0.0.1", 10.006, 84)  # duplicate
    rnd.on_message(EchoReply(7, 2, 64), "127.0.0.1", 11.3, 84)  # after its timeout: lost
    rnd.on_message(IcmpError("host unreachable", 7, 3, 92), "10.0.0.254", 10.41, 112)
    rnd.on_message(EchoReply(7, 9, 64), "127.0.0.1", 10.5, 84)  # never sent: ignored
    assert rnd.rtt_ms == {1: pytest.approx(5.0)}
    assert rnd.duplicates == {1: 1}
    assert rnd.failures == {
        3: (ProbeStatus.UNREACHABLE, "host unreachable (reported by 10.0.0.254)")
    }
    assert rnd.bytes_used == 4 * 84 + 112 - 84
    assert rnd.settled(1, 10.5) and rnd.settled(3, 10.5)
    assert not rnd.settled(4, 11.0)
    assert rnd.settled(4, 11.6)


def test_finish_with_all_packets_lost() -> None:
    config = IcmpConfig("127.0.0.1", count=5)
    rnd = icmp._Round(timeout_s=1.0)
    rnd.sent_at.update({seq: float(seq) for seq in range(1, 6)})
    outcome = icmp._finish(config, "p", "icmp-raw", _resolved_loopback(), rnd)
    assert outcome.common.status is ProbeStatus.TIMEOUT
    assert outcome.common.reason == "100% packet loss (5/5)"
    assert outcome.packets == tuple(PingPacket(seq, None, 0) for seq in range(1, 6))
    assert (outcome.sent, outcome.received, outcome.loss_ratio) == (5, 0, 1.0)
    assert outcome.min_ms is None and outcome.jitter_ms is None


def test_finish_with_all_lost_and_an_icmp_error_is_unreachable() -> None:
    config = IcmpConfig("127.0.0.1", count=2)
    rnd = icmp._Round(timeout_s=1.0)
    rnd.sent_at.update({1: 1.0, 2: 2.0})
    rnd.failures[2] = (ProbeStatus.UNREACHABLE, "host unreachable (reported by 10.0.0.254)")
    outcome = icmp._finish(config, "p", "icmp-raw", _resolved_loopback(), rnd)
    assert outcome.common.status is ProbeStatus.UNREACHABLE
    assert outcome.common.reason == (
        "100% packet loss (2/2): host unreachable (reported by 10.0.0.254)"
    )


def test_finish_with_partial_loss_is_ok() -> None:
    config = IcmpConfig("127.0.0.1", count=3)
    rnd = icmp._Round(timeout_s=1.0)
    rnd.sent_at.update({1: 1.0, 2: 2.0, 3: 3.0})
    rnd.rtt_ms.update({1: 12.0, 3: 14.0})
    outcome = icmp._finish(config, "p", "icmp-raw", _resolved_loopback(), rnd)
    assert outcome.common.status is ProbeStatus.OK
    assert outcome.packets[1] == PingPacket(2, None, 0)
    assert outcome.loss_ratio == pytest.approx(1 / 3)
    assert outcome.jitter_ms == 2.0


def _resolved_loopback() -> Resolved:
    return Resolved("127.0.0.1", socket.AF_INET, ("127.0.0.1", 0), None)
