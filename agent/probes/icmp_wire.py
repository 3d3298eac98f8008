"""ICMP echo packets as bytes: build requests, parse what an ICMP socket returns. No I/O.

What :func:`parse_icmp` accepts, and what it gives back:

- IPv4 raw sockets return the IP header (any IHL) before the ICMP message; datagram
  ("ping") sockets and all ICMPv6 sockets return the ICMP message alone.
- Echo replies -> :class:`EchoReply` (identifier, sequence, ICMP length).
- Destination unreachable / time exceeded that quote one of *our* echo requests ->
  :class:`IcmpError` (identifier and sequence read from the quoted request).
- Everything else returns ``None`` and is ignored: echo requests (a raw socket sees its own
  requests to a local address), other ICMP types, errors quoting something else, and
  truncated or garbled packets.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

__all__ = ["EchoReply", "IcmpError", "build_echo_request", "checksum", "parse_icmp"]

_ICMP_HEADER = struct.Struct("!BBHHH")  # type, code, checksum, identifier, sequence

_V4_ECHO_REQUEST, _V4_ECHO_REPLY = 8, 0
_V4_UNREACHABLE, _V4_TIME_EXCEEDED = 3, 11
_V6_ECHO_REQUEST, _V6_ECHO_REPLY = 128, 129
_V6_UNREACHABLE, _V6_TIME_EXCEEDED = 1, 3
_V6_HEADER_BYTES = 40

_V4_UNREACHABLE_CODES = {
    0: "network unreachable",
    1: "host unreachable",
    2: "protocol unreachable",
    3: "port unreachable",
    4: "fragmentation needed",
    9: "network administratively prohibited",
    10: "host administratively prohibited",
    13: "communication administratively prohibited",
}
_V6_UNREACHABLE_CODES = {
    0: "no route to destination",
    1: "communication administratively prohibited",
    3: "address unreachable",
    4: "port unreachable",
}


@dataclass(frozen=True, slots=True)
class EchoReply:
    ident: int
    seq: int
    icmp_bytes: int  # ICMP header + payload


@dataclass(frozen=True, slots=True)
class IcmpError:
    """A router (or the target) reported that one of our echo requests went nowhere."""

    description: str  # e.g. "host unreachable", "time exceeded in transit"
    ident: int
    seq: int
    icmp_bytes: int


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of ``data``."""
    if len(data) % 2:
        data += b"\x00"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def build_echo_request(family: int, ident: int, seq: int, payload: bytes) -> bytes:
    """An echo request (ICMPv4 type 8 / ICMPv6 type 128) with its checksum.

    For ICMPv6 the kernel rewrites the checksum (it covers a pseudo-header); for datagram
    sockets it also replaces the identifier.
    """
    kind = _V6_ECHO_REQUEST if family == socket.AF_INET6 else _V4_ECHO_REQUEST
    header = _ICMP_HEADER.pack(kind, 0, 0, ident & 0xFFFF, seq & 0xFFFF)
    total = checksum(header + payload)
    return _ICMP_HEADER.pack(kind, 0, total, ident & 0xFFFF, seq & 0xFFFF) + payload


def _strip_ipv4_header(packet: bytes) -> bytes | None:
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    ihl = (packet[0] & 0x0F) * 4
    if ihl < 20 or len(packet) < ihl:
        return None
    return packet[ihl:]


def _quoted_request(family: int, quoted: bytes) -> tuple[int, int] | None:
    """(ident, seq) of the echo request quoted in an ICMP error, if it is one."""
    if family == socket.AF_INET6:
        if len(quoted) < _V6_HEADER_BYTES or quoted[0] >> 4 != 6:
            return None
        inner = quoted[_V6_HEADER_BYTES:]
        wanted = _V6_ECHO_REQUEST
    else:
        stripped = _strip_ipv4_header(quoted)
        if stripped is None:
            return None
        inner, wanted = stripped, _V4_ECHO_REQUEST
    if len(inner) < _ICMP_HEADER.size or inner[0] != wanted:
        return None
    _type, _code, _sum, ident, seq = _ICMP_HEADER.unpack_from(inner)
    return ident, seq


def _describe_error(family: int, kind: int, code: int) -> str:
    v6 = family == socket.AF_INET6
    if kind == (_V6_TIME_EXCEEDED if v6 else _V4_TIME_EXCEEDED):
        return "time exceeded in transit" if code == 0 else "fragment reassembly time exceeded"
    names = _V6_UNREACHABLE_CODES if v6 else _V4_UNREACHABLE_CODES
    return names.get(code, f"destination unreachable (code {code})")


def parse_icmp(packet: bytes, *, family: int, has_ip_header: bool) -> EchoReply | IcmpError | None:
    """Parse one datagram read from an ICMP socket; see the module docstring."""
    icmp = packet
    if has_ip_header and family == socket.AF_INET:
        stripped = _strip_ipv4_header(packet)
        if stripped is None:
            return None
        icmp = stripped
    if len(icmp) < _ICMP_HEADER.size:
        return None
    kind, code, _sum, ident, seq = _ICMP_HEADER.unpack_from(icmp)
    v6 = family == socket.AF_INET6
    if kind == (_V6_ECHO_REPLY if v6 else _V4_ECHO_REPLY):
        return EchoReply(ident, seq, len(icmp))
    errors = (_V6_UNREACHABLE, _V6_TIME_EXCEEDED) if v6 else (_V4_UNREACHABLE, _V4_TIME_EXCEEDED)
    if kind in errors:
        quoted = _quoted_request(family, icmp[_ICMP_HEADER.size :])
        if quoted is not None:
            return IcmpError(_describe_error(family, kind, code), quoted[0], quoted[1], len(icmp))
    return None
