"""The TCP connect prober against real loopback sockets."""

import asyncio
import os
import socket
from collections.abc import Iterator

import pytest

from agent.probes.base import ProbeStatus
from agent.probes.tcp import TcpConfig, TcpOutcome, probe, syn_transmissions


def run(config: TcpConfig, name: str = "tcp-test") -> TcpOutcome:
    return asyncio.run(probe(config, name=name))


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


def test_connect_to_listening_port(listening_port: int) -> None:
    outcome = run(TcpConfig("127.0.0.1", listening_port))
    common = outcome.common
    assert common.status is ProbeStatus.OK
    assert common.reason == ""
    assert common.probe_name == "tcp-test"
    assert common.target == f"127.0.0.1:{listening_port}"
    assert common.target_address == "127.0.0.1"
    assert common.resolve_ms is None  # literal address: nothing resolved
    assert outcome.port == listening_port
    assert outcome.connect_ms is not None and 0 < outcome.connect_ms < 1000
    # SYN + SYN-ACK (60 each) + ACK and FIN/ACK both ways (52 each)
    assert common.bytes_used == 2 * 60 + 5 * 52


def test_host_name_is_resolved_and_timed(listening_port: int) -> None:
    outcome = run(TcpConfig("localhost", listening_port, source="127.0.0.1"))
    assert outcome.common.status is ProbeStatus.OK
    assert outcome.common.target_address == "127.0.0.1"  # IPv4 only: the source is IPv4
    assert outcome.common.resolve_ms is not None and outcome.common.resolve_ms >= 0
    assert outcome.common.source == "127.0.0.1"


def test_ipv6_loopback() -> None:
    with socket.create_server(("::1", 0), family=socket.AF_INET6) as server:
        port = server.getsockname()[1]
        outcome = run(TcpConfig("::1", port))
    assert outcome.common.status is ProbeStatus.OK
    assert outcome.common.target == f"[::1]:{port}"


def test_closed_port_is_refused(closed_port: int) -> None:
    outcome = run(TcpConfig("127.0.0.1", closed_port))
    assert outcome.common.status is ProbeStatus.REFUSED
    assert outcome.common.reason == f"connection to 127.0.0.1:{closed_port} refused"
    assert outcome.connect_ms is None
    assert outcome.common.bytes_used == 60 + 40  # SYN, RST


def test_unresolvable_name() -> None:
    outcome = run(TcpConfig("no-such-host.invalid", 443))
    assert outcome.common.status is ProbeStatus.UNRESOLVABLE
    assert outcome.common.reason.startswith("'no-such-host.invalid' has no address: ")
    assert outcome.common.target_address is None
    assert outcome.common.resolve_ms is not None  # the failed lookup is timed too
    assert outcome.common.bytes_used == 0
    assert outcome.connect_ms is None


def test_missing_source_interface(listening_port: int) -> None:
    outcome = run(TcpConfig("127.0.0.1", listening_port, source="nosuch0"))
    assert outcome.common.status is ProbeStatus.ERROR
    assert outcome.common.reason == "source interface 'nosuch0' does not exist on this kit"


def test_source_address_not_on_this_kit(listening_port: int) -> None:
    # 192.0.2.1 (TEST-NET-1) is never assigned here; bind() fails before any packet leaves.
    outcome = run(TcpConfig("127.0.0.1", listening_port, source="192.0.2.1"))
    assert outcome.common.status is ProbeStatus.ERROR
    assert outcome.common.reason == (
        "source address 192.0.2.1 is not assigned to any interface of this kit"
    )


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: SO_BINDTODEVICE on older kernels")
def test_source_interface_lo(listening_port: int) -> None:
    outcome = run(TcpConfig("127.0.0.1", listening_port, source="lo"))
    assert outcome.common.status is ProbeStatus.OK
    assert outcome.common.source == "lo"


def test_syn_transmissions() -> None:
    assert syn_transmissions(0.2) == 1
    assert syn_transmissions(1.0) == 1
    assert syn_transmissions(1.5) == 2
    assert syn_transmissions(3.0) == 2
    assert syn_transmissions(3.5) == 3
    assert syn_transmissions(10.0) == 4
