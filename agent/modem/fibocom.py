"""Fibocom / Intel XMM (L850-GL, L860-GL, XMM7360) ``AT+XCESQ?`` (pure function).

Format from ModemManager's XMM plugin (``mm_xmm_parse_xcesq_query_response`` and its
test table in ``plugins/xmm/tests/test-modem-helpers-xmm.c``)::

    +XCESQ: <n>,<rxlev>,<ber>,<rscp>,<ecno>,<rsrq>,<rsrp>,<rssnr>[,...]

The first six measurements are +CESQ's (3GPP TS 27.007 8.69) with the same codes;
``rssnr`` is a signed integer in half-dB steps (SINR = rssnr / 2 dB, 32 -> 16.0,
-32 -> -16.0), 255 = unknown. Some L860 firmware appends four more fields (NR
measurements, usually 255); they are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.modem import ranges
from agent.modem.fields import ParseError, first_line, split_fields, to_int
from agent.modem.parsers import parse_cesq

__all__ = ["Xcesq", "parse_xcesq"]


@dataclass(frozen=True, slots=True)
class Xcesq:
    rxlev_dbm: float | None  # GSM RSSI
    ber_percent: float | None
    rscp_dbm: float | None
    ecno_db: float | None
    rsrq_db: float | None
    rsrp_dbm: float | None
    sinr_db: float | None


def parse_xcesq(lines: tuple[str, ...] | list[str] | str) -> Xcesq:
    """``+XCESQ: n,rxlev,ber,rscp,ecno,rsrq,rsrp,rssnr`` -> Xcesq.

    rxlev 0..63 -> -111+n dBm (99); rscp 0..96 -> -121+n dBm (255); ecno 0..49 ->
    -24.5+n/2 dB (255); rsrq 0..34 -> -20+n/2 dB (255); rsrp 0..97 -> -141+n dBm
    (255); rssnr -> n/2 dB (255 unknown), then range-checked like every parser's
    values (:mod:`agent.modem.ranges`).
    """
    f = split_fields(first_line(lines, "+XCESQ:"), "+XCESQ:")
    if len(f) < 8:
        raise ParseError(f"+XCESQ needs 8 fields, got {len(f)}: {f!r}")
    cesq = parse_cesq("+CESQ: " + ",".join(f[1:7]))
    rssnr = to_int(f[7], unknown=(255,))
    xcesq = Xcesq(
        rxlev_dbm=cesq.rxlev_dbm,
        ber_percent=cesq.ber_percent,
        rscp_dbm=cesq.rscp_dbm,
        ecno_db=cesq.ecno_db,
        rsrq_db=cesq.rsrq_db,
        rsrp_dbm=cesq.rsrp_dbm,
        sinr_db=None if rssnr is None or abs(rssnr) > 200 else rssnr / 2,
    )
    return ranges.drop_invalid(xcesq, source="+XCESQ")
