"""The DNS prober against a real UDP resolver on loopback (answers crafted with dnspython)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import dns.message
import dns.rcode
import dns.rrset
import pytest

from agent.probes import ProbeConfigError, build_config
from agent.probes.base import ProbeStatus
from agent.probes.dns import DnsConfig, DnsOutcome, probe, system_resolver


class _Resolver(asyncio.DatagramProtocol):
    """NXDOMAIN for *.invalid, SERVFAIL for broken.test, otherwise one A record."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        qname = query.question[0].name.to_text()
        if qname.endswith(".invalid."):
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif qname == "broken.test.":
            response.set_rcode(dns.rcode.SERVFAIL)
        else:
            response.answer.append(dns.rrset.from_text(qname, 300, "IN", "A", "192.0.2.53"))
        self.transport.sendto(response.to_wire(), addr)


def with_resolver(body: Callable[[int], Awaitable[DnsOutcome]]) -> DnsOutcome:
    async def main() -> DnsOutcome:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(_Resolver, local_addr=("127.0.0.1", 0))
        try:
            port = transport.get_extra_info("sockname")[1]
            return await body(port)
        finally:
            transport.close()

    return asyncio.run(main())


def ask(name: str, **options: object) -> DnsOutcome:
    async def body(port: int) -> DnsOutcome:
        config = DnsConfig(name, resolver="127.0.0.1", port=port, timeout_s=1.0, **options)  # type: ignore[arg-type]
        return await probe(config, name="dns-test")

    return with_resolver(body)


def test_answer_is_timed_and_recorded() -> None:
    outcome = ask("collector.example")
    assert outcome.common.status is ProbeStatus.OK, outcome.common.reason
    assert outcome.rcode == "NOERROR"
    assert [(a.name, a.type, a.data, a.ttl_s) for a in outcome.answers] == [
        ("collector.example.", "A", "192.0.2.53", 300)
    ]
    assert outcome.query_ms is not None and 0 <= outcome.query_ms < 1000
    assert outcome.common.target == "127.0.0.1"
    assert outcome.common.target_address == "127.0.0.1"
    assert outcome.resolver == "127.0.0.1"
    # query and response, each with 28 bytes of IPv4 + UDP headers
    assert outcome.common.bytes_used > 2 * 28 + 2 * len("collector.example")


def test_nxdomain_is_unresolvable() -> None:
    outcome = ask("nothing.invalid")
    assert outcome.common.status is ProbeStatus.UNRESOLVABLE
    assert outcome.common.reason == "nothing.invalid does not exist (NXDOMAIN from 127.0.0.1)"
    assert outcome.rcode == "NXDOMAIN" and outcome.answers == ()


def test_servfail_is_an_error_with_the_rcode() -> None:
    outcome = ask("broken.test")
    assert outcome.common.status is ProbeStatus.ERROR
    assert outcome.common.reason == "resolver 127.0.0.1 answered SERVFAIL"


def test_tcp_transport_against_a_closed_port_is_refused(closed_port: int) -> None:
    config = DnsConfig("x.test", resolver="127.0.0.1", port=closed_port, transport="tcp")
    outcome = asyncio.run(probe(config, name="dns-test"))
    assert outcome.common.status is ProbeStatus.REFUSED


@pytest.fixture
def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_nothing_listening_is_refused(closed_port: int) -> None:
    config = DnsConfig("collector.example", resolver="127.0.0.1", port=closed_port)
    outcome = asyncio.run(probe(config, name="dns-test"))
    assert outcome.common.status is ProbeStatus.REFUSED
    assert outcome.common.reason == (
        f"nothing answers DNS on 127.0.0.1:{closed_port} (port unreachable)"
    )
    assert outcome.rcode is None and outcome.query_ms is None


def test_silent_resolver_times_out() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        config = DnsConfig("collector.example", resolver="127.0.0.1", port=port, timeout_s=0.1)
        outcome = asyncio.run(probe(config, name="dns-test"))
    assert outcome.common.status is ProbeStatus.TIMEOUT
    assert outcome.common.reason == f"no answer from 127.0.0.1:{port} within 0.1 s"
    assert outcome.common.bytes_used > 0  # the query went out


def test_missing_source_interface_is_an_error() -> None:
    outcome = ask("collector.example", source="nosuch0")
    assert outcome.common.status is ProbeStatus.ERROR
    assert outcome.common.reason == "source interface 'nosuch0' does not exist on this kit"


def test_system_resolver_comes_from_resolv_conf(tmp_path: Path) -> None:
    conf = tmp_path / "resolv.conf"
    conf.write_text("# comment\nsearch example\nnameserver fe80::1%eth0\nnameserver 10.0.0.1\n")
    assert system_resolver(conf) == "fe80::1"
    assert system_resolver(tmp_path / "missing") is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"query_name": "x", "query_type": "ANY"}, "query_type must be one of A, AAAA"),
        ({"query_name": "x", "resolver": "dns.google"}, "resolver must be an IP address"),
        ({"query_name": "x", "transport": "doh"}, "transport must be 'udp' or 'tcp'"),
    ],
)
def test_bad_dns_config(options: dict[str, object], message: str) -> None:
    with pytest.raises(ProbeConfigError, match=message):
        build_config("dns", options, "test")
