"""ICMP echo packets as bytes: build, parse, and ignore what is not ours."""

import socket
import struct

from hypothesis import given
from hypothesis import strategies as st

from agent.probes.icmp_wire import (
    EchoReply,
    IcmpError,
    build_echo_request,
    checksum,
    parse_icmp,
)

V4, V6 = socket.AF_INET, socket.AF_INET6


def ipv4_header(payload_len: int, options: bytes = b"", proto: int = 1) -> bytes:
    ihl = 5 + len(options) // 4
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x40 | ihl,
        0,
        ihl * 4 + payload_len,
        0,
        0,
        64,
        proto,
        0,
        socket.inet_aton("10.0.0.2"),
        socket.inet_aton("10.0.0.1"),
    )
    return header + options


def reply_from(request: bytes, reply_type: int) -> bytes:
    """The echo reply a host sends for ``request`` (same id, seq, payload)."""
    body = bytes([reply_type, 0, 0, 0]) + request[4:]
    total = checksum(body)
    return body[:2] + struct.pack("!H", total) + body[4:]


def test_checksum_of_built_request_verifies() -> None:
    packet = build_echo_request(V4, 0x1234, 7, b"abcdefg")  # odd length
    assert checksum(packet) == 0
    assert packet[:2] == b"\x08\x00"
    assert struct.unpack("!HH", packet[4:8]) == (0x1234, 7)
    assert packet[8:] == b"abcdefg"


def test_known_checksum() -> None:
    # RFC 1071 example words: 0x0001 0xf203 0xf4f5 0xf6f7 -> sum 0x2ddf0 -> 0xddf2 -> ~ 0x220d
    assert checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D


def test_ipv6_request_type() -> None:
    assert build_echo_request(V6, 1, 1, b"")[0] == 128


def test_parse_raw_ipv4_reply_with_and_without_ip_options() -> None:
    request = build_echo_request(V4, 4242, 3, bytes(56))
    reply = reply_from(request, 0)
    for options in (b"", b"\x01\x01\x01\x00"):
        packet = ipv4_header(len(reply), options) + reply
        assert parse_icmp(packet, family=V4, has_ip_header=True) == EchoReply(4242, 3, 64)


def test_parse_datagram_reply_has_no_ip_header() -> None:
    reply = reply_from(build_echo_request(V4, 9, 1, b"xy"), 0)
    assert parse_icmp(reply, family=V4, has_ip_header=False) == EchoReply(9, 1, 10)


def test_parse_ipv6_reply() -> None:
    reply = reply_from(build_echo_request(V6, 77, 5, bytes(8)), 129)
    assert parse_icmp(reply, family=V6, has_ip_header=False) == EchoReply(77, 5, 16)


def test_own_echo_request_is_ignored() -> None:
    request = build_echo_request(V4, 4242, 3, bytes(56))
    packet = ipv4_header(len(request)) + request
    assert parse_icmp(packet, family=V4, has_ip_header=True) is None
    assert parse_icmp(build_echo_request(V6, 1, 1, b""), family=V6, has_ip_header=False) is None


def test_ipv4_host_unreachable_quoting_our_request() -> None:
    request = build_echo_request(V4, 4242, 3, bytes(56))
    quoted = ipv4_header(len(request)) + request[:8]
    error = bytes([3, 1, 0, 0, 0, 0, 0, 0]) + quoted
    packet = ipv4_header(len(error)) + error
    assert parse_icmp(packet, family=V4, has_ip_header=True) == IcmpError(
        "host unreachable", 4242, 3, len(error)
    )


def test_ipv4_time_exceeded_and_unknown_code() -> None:
    request = build_echo_request(V4, 1, 2, b"")
    quoted = ipv4_header(len(request)) + request[:8]
    exceeded = bytes([11, 0, 0, 0, 0, 0, 0, 0]) + quoted
    weird = bytes([3, 15, 0, 0, 0, 0, 0, 0]) + quoted
    assert parse_icmp(exceeded, family=V4, has_ip_header=False) == IcmpError(
        "time exceeded in transit", 1, 2, len(exceeded)
    )
    parsed = parse_icmp(weird, family=V4, has_ip_header=False)
    assert isinstance(parsed, IcmpError)
    assert parsed.description == "destination unreachable (code 15)"


def test_ipv6_unreachable_quoting_our_request() -> None:
    request = build_echo_request(V6, 5, 6, bytes(4))
    ipv6_header = bytes([0x60]) + bytes(39)
    error = bytes([1, 3, 0, 0, 0, 0, 0, 0]) + ipv6_header + request
    assert parse_icmp(error, family=V6, has_ip_header=False) == IcmpError(
        "address unreachable", 5, 6, len(error)
    )


def test_errors_quoting_something_else_are_ignored() -> None:
    udp = ipv4_header(8, proto=17) + bytes(8)
    error = bytes([3, 3, 0, 0, 0, 0, 0, 0]) + udp
    assert parse_icmp(error, family=V4, has_ip_header=False) is None


def test_truncated_and_garbage() -> None:
    reply = reply_from(build_echo_request(V4, 9, 1, b""), 0)
    assert parse_icmp(reply[:7], family=V4, has_ip_header=False) is None
    assert parse_icmp(b"", family=V4, has_ip_header=True) is None
    assert parse_icmp(b"\x45" + bytes(10), family=V4, has_ip_header=True) is None
    assert parse_icmp(b"\x60" + bytes(40), family=V4, has_ip_header=True) is None  # not IPv4
    assert parse_icmp(b"\x4f" + bytes(30), family=V4, has_ip_header=True) is None  # IHL past end


@given(st.binary(max_size=200), st.sampled_from([V4, V6]), st.booleans())
def test_parse_never_raises(data: bytes, family: int, has_ip_header: bool) -> None:
    result = parse_icmp(data, family=family, has_ip_header=has_ip_header)
    assert result is None or isinstance(result, EchoReply | IcmpError)
