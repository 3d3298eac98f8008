"""What a TCP connection cost on the wire (:func:`agent.probes.tcpinfo.wire_bytes`): the
payload the peer acknowledged, retransmitted or has in flight, not every send attempt
(segments the kit's own full queue dropped never reached the link)."""

from __future__ import annotations

import socket
import struct

from agent.probes.tcpinfo import TCP_INFO_BYTES, TcpInfo, parse_tcp_info, wire_bytes

HEADER = 20 + 32  # IPv4 + TCP with timestamps


def info(**over: int | None) -> TcpInfo:
    base: dict[str, int | None] = {
        "bytes_acked": 262_144, "bytes_received": 500, "segs_out": 200, "segs_in": 100,
        "bytes_sent": 371_000, "bytes_retrans": 2_896,
    }  # fmt: skip
    base.update(over)
    return TcpInfo(rtt_ms=50.0, rttvar_ms=5.0, snd_cwnd=10, snd_mss=1448, total_retrans=2,
                   **base)  # type: ignore[arg-type]  # fmt: skip


def test_acknowledged_plus_retransmitted_not_every_attempt() -> None:
    used = wire_bytes(info(), socket.AF_INET)
    assert used == 262_144 + 2_896 + 500 + (200 + 100 + 4) * HEADER


def test_in_flight_segments_count_and_bytes_sent_caps() -> None:
    with_flight = TcpInfo(50.0, 5.0, 10, 1448, 0, None, 1000, 0, 10, 5, 1_000_000, 0, unacked=3)
    assert wire_bytes(with_flight, socket.AF_INET) == 1000 + 3 * 1448 + 19 * HEADER
    capped = info(bytes_sent=100_000)  # an older counter set: never above bytes_sent
    assert wire_bytes(capped, socket.AF_INET) == 100_000 + 500 + 304 * HEADER


def test_older_kernels_fall_back() -> None:
    assert wire_bytes(info(bytes_retrans=None), socket.AF_INET) == 371_000 + 500 + 304 * HEADER
    assert wire_bytes(info(segs_in=None), socket.AF_INET) is None


def test_parsing_reads_retransmitted_bytes_and_unacked() -> None:
    raw = bytearray(TCP_INFO_BYTES)
    struct.pack_into("=I", raw, 24, 7)  # unacked
    struct.pack_into("=2Q", raw, 200, 9_000, 1_448)
    parsed = parse_tcp_info(bytes(raw))
    assert parsed is not None
    assert (parsed.unacked, parsed.bytes_sent, parsed.bytes_retrans) == (7, 9_000, 1_448)
