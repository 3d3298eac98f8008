"""Linux ``TCP_INFO``: what the kernel knows about a TCP connection (RTT, cwnd, retransmits).

``getsockopt(fd, IPPROTO_TCP, TCP_INFO)`` fills ``struct tcp_info``
(``include/uapi/linux/tcp.h``). The struct only ever grows at its end, so we ask for the
layout below and read the fields the running kernel actually returned (older kernels return
fewer bytes; missing fields are ``None``). Native byte order, offsets in bytes::

      0  u8  state, ca_state, retransmits, probes, backoff, options, wscale, app_limited
      8  u32 rto, ato, snd_mss, rcv_mss                       (times in microseconds)
     24  u32 unacked, sacked, lost, retrans, fackets
     44  u32 last_data_sent, last_ack_sent, last_data_recv, last_ack_recv   (ms)
     60  u32 pmtu, rcv_ssthresh, rtt (us), rttvar (us), snd_ssthresh, snd_cwnd (segments),
             advmss, reordering, rcv_rtt, rcv_space, total_retrans
    104  u64 pacing_rate, max_pacing_rate, bytes_acked (4.1), bytes_received (4.1)
    136  u32 segs_out (4.2), segs_in (4.2), notsent_bytes, min_rtt (us, 4.6),
             data_segs_in, data_segs_out
    160  u64 delivery_rate, busy_time, rwnd_limited, sndbuf_limited
    192  u32 delivered, delivered_ce
    200  u64 bytes_sent (4.19, retransmissions included), bytes_retrans (4.19)
    216  (end of what we read)

Pure parsing (:func:`parse_tcp_info`) is separate from the syscall (:func:`read_tcp_info`).
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

__all__ = ["TCP_INFO_BYTES", "TcpInfo", "parse_tcp_info", "read_tcp_info", "wire_bytes"]

_HEAD = struct.Struct("=8B24I")  # 0 .. 104
_COUNTERS = struct.Struct("=4Q")  # 104 .. 136
_SEGS = struct.Struct("=6I")  # 136 .. 160
_BYTES_SENT_AT = 200
_BYTES_SENT = struct.Struct("=2Q")
TCP_INFO_BYTES = 216


@dataclass(frozen=True, slots=True)
class TcpInfo:
    rtt_ms: float
    rttvar_ms: float
    snd_cwnd: int  # segments
    snd_mss: int
    total_retrans: int  # segments retransmitted over the connection's life
    min_rtt_ms: float | None = None
    bytes_acked: int | None = None  # payload bytes the peer acknowledged
    bytes_received: int | None = None  # payload bytes received
    segs_out: int | None = None  # segments sent, retransmissions and pure ACKs included
    segs_in: int | None = None
    bytes_sent: int | None = None  # payload bytes sent, retransmissions included
    bytes_retrans: int | None = None  # payload bytes retransmitted (4.19)
    unacked: int = 0  # segments in flight (sent, not yet acknowledged)


def parse_tcp_info(data: bytes) -> TcpInfo | None:
    """Parse a ``struct tcp_info`` as returned by the kernel; None if it is too short."""
    if len(data) < _HEAD.size:
        return None
    head = _HEAD.unpack_from(data, 0)
    u32 = head[8:]
    snd_mss, rtt_us, rttvar_us, snd_cwnd, total_retrans = u32[2], u32[15], u32[16], u32[18], u32[23]
    info: dict[str, int | float | None] = {}
    if len(data) >= 136:
        _pacing, _max_pacing, acked, received = _COUNTERS.unpack_from(data, 104)
        info["bytes_acked"], info["bytes_received"] = acked, received
    if len(data) >= 160:
        segs_out, segs_in, _notsent, min_rtt_us, _dsi, _dso = _SEGS.unpack_from(data, 136)
        info["segs_out"], info["segs_in"] = segs_out, segs_in
        info["min_rtt_ms"] = min_rtt_us / 1000.0
    if len(data) >= _BYTES_SENT_AT + _BYTES_SENT.size:
        info["bytes_sent"], info["bytes_retrans"] = _BYTES_SENT.unpack_from(data, _BYTES_SENT_AT)
    return TcpInfo(
        rtt_ms=rtt_us / 1000.0,
        rttvar_ms=rttvar_us / 1000.0,
        snd_cwnd=snd_cwnd,
        snd_mss=snd_mss,
        total_retrans=total_retrans,
        unacked=u32[4],
        **info,  # type: ignore[arg-type]
    )


def read_tcp_info(sock: socket.socket) -> TcpInfo | None:
    """TCP_INFO of a connected socket; None where the platform does not provide it."""
    option = getattr(socket, "TCP_INFO", None)
    if option is None:
        return None
    try:
        data = sock.getsockopt(socket.IPPROTO_TCP, option, TCP_INFO_BYTES)
    except OSError:
        return None
    return parse_tcp_info(data)


def wire_bytes(info: TcpInfo | None, family: int, *, closing_segments: int = 4) -> int | None:
    """Bytes on the wire both ways: payload (retransmissions included) plus IP and TCP
    headers of every segment, plus ``closing_segments`` FIN/ACK segments not sent yet.
    None when the kernel does not report segment and byte counters (Linux < 4.19).

    The payload sent is what the peer acknowledged, plus the retransmissions, plus what
    is in flight (``unacked`` segments of ``snd_mss``): ``bytes_sent`` also counts segments
    the kit's own queue dropped before they reached the link (its shaper full), which
    the link never carried, so it is used only where the others are missing.

    Not counted: data the peer sent again although the first copy had arrived (its
    spurious retransmissions) crosses the link twice, but ``bytes_received`` counts new
    bytes only and no receiver counter tells a duplicate apart."""
    if info is None or None in (info.segs_in, info.segs_out, info.bytes_received):
        return None
    if info.bytes_acked is not None and info.bytes_retrans is not None:
        delivered = info.bytes_acked + info.bytes_retrans + info.unacked * info.snd_mss
        sent: int | None = delivered if info.bytes_sent is None else min(delivered, info.bytes_sent)
    else:
        sent = info.bytes_sent if info.bytes_sent is not None else info.bytes_acked
    if sent is None:
        return None
    header = (40 if family == socket.AF_INET6 else 20) + 32  # IP + TCP with timestamps
    segments = (info.segs_in or 0) + (info.segs_out or 0) + closing_segments
    return sent + (info.bytes_received or 0) + segments * header
