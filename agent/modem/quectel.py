"""Quectel vendor commands: ``AT+QENG="servingcell"`` and ``AT+QNWINFO`` (layouts from the
Quectel EC2x/EG2x, BG96/BG95 and RG50xQ/RM5xxQ AT manuals; a real EC25 answer is in
tests/data/at)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.modem import ranges
from agent.modem.fields import ParseError, field_at, first_line, split_fields, to_int

#: Models whose +QENG LTE SINR is reported as x with SINR = x/5 - 20 dB (EC2x/EG2x
#: firmware, as OpenWrt/ROOter scripts decode it); others (RM5xx, EC200) report dB.
#: A per-model setting, never a guess: add models here when a manual says so.
QUECTEL_SCALED_SINR_MODELS: set[str] = {"EC25", "EC21", "EC20", "EG25", "EG21", "EG06", "EP06"}


def quectel_sinr_scaled(model: str | None) -> bool:
    """True when ``model`` (e.g. "EC25", "EC25-E") reports LTE SINR as x/5 - 20."""
    if model is None:
        return False
    base = model.strip().upper().split("-")[0]
    return base in QUECTEL_SCALED_SINR_MODELS


@dataclass(frozen=True, slots=True)
class ServingCell:
    """Values from +QENG "servingcell"; field names match SignalSample."""

    state: str | None = None  # SEARCH, LIMSRV, NOCONN, CONNECT
    rat: str | None = None
    mcc: str | None = None
    mnc: str | None = None
    lac: int | None = None
    tac: int | None = None
    cell_id: int | None = None
    pci: int | None = None
    psc: int | None = None
    earfcn: int | None = None
    uarfcn: int | None = None
    arfcn: int | None = None
    band: int | None = None
    rssi_dbm: float | None = None
    rsrp_dbm: float | None = None
    rsrq_db: float | None = None
    sinr_db: float | None = None
    rscp_dbm: float | None = None
    ecio_db: float | None = None
    nr_rsrp_dbm: float | None = None
    nr_rsrq_db: float | None = None
    nr_sinr_db: float | None = None
    nr_pci: int | None = None  # the NR cell's own PCI and NR-ARFCN in 5G NSA
    nr_arfcn: int | None = None
    nr_band: int | None = None  # the NR cell's band in 5G NSA (78 for n78)


#: +QENG tags of the LTE-M / NB-IoT layouts (BG96: CAT-M, CAT-NB; BG95/BG77: eMTC, NBIoT).
_LPWA_RAT: dict[str, str] = {
    "CAT-M": "ltem",
    "CAT-M1": "ltem",
    "EMTC": "ltem",
    "CAT-NB": "nbiot",
    "CAT-NB1": "nbiot",
    "NBIOT": "nbiot",
}


def _num(text: str | None) -> float | None:
    value = to_int(text)
    return None if value is None else float(value)


def _mnc(text: str | None) -> str | None:
    text = (text or "").strip()
    return text if text.isdigit() else None


def _lte(f: list[str], sinr_scaled: bool) -> dict[str, object]:
    # "LTE",is_tdd,MCC,MNC,cellID,PCID,earfcn,band,UL_bw,DL_bw,TAC,RSRP,RSRQ,RSSI,SINR,...
    sinr = to_int(field_at(f, 14))
    return {
        "rat": "lte",
        "mcc": _mnc(field_at(f, 2)),
        "mnc": _mnc(field_at(f, 3)),
        "cell_id": to_int(field_at(f, 4), base=16),
        "pci": to_int(field_at(f, 5)),
        "earfcn": to_int(field_at(f, 6)),
        "band": to_int(field_at(f, 7)),
        "tac": to_int(field_at(f, 10), base=16),
        "rsrp_dbm": _num(field_at(f, 11)),
        "rsrq_db": _num(field_at(f, 12)),
        "rssi_dbm": _num(field_at(f, 13)),
        "sinr_db": (
            None if sinr is None else (round(sinr / 5 - 20, 2) if sinr_scaled else float(sinr))
        ),
    }


def parse_qeng_servingcell(
    lines: tuple[str, ...] | list[str], *, sinr_scaled: bool = False
) -> ServingCell:
    """Parse the answer to ``AT+QENG="servingcell"`` (one line, or three for NR5G-NSA).

    Layouts (after ``+QENG: "servingcell",<state>``; "-" means absent)::

        "LTE",is_tdd,MCC,MNC,cellID(hex),PCID,earfcn,band,UL_bw,DL_bw,TAC(hex),
              RSRP,RSRQ,RSSI,SINR[,CQI,tx_power,srxlev]
        "NR5G-SA",duplex,MCC,MNC,cellID(hex),PCID,TAC(hex),ARFCN,band,NR_DL_bw,
              RSRP,RSRQ,SINR[,scs,srxlev]
        "WCDMA",MCC,MNC,LAC(hex),cellID(hex),uarfcn,PSC,RAC,RSCP,ecio,...
        "GSM",MCC,MNC,LAC(hex),cellID(hex),BSIC,arfcn,band,rxlev,...
    BG96/BG95 LTE-M and NB-IoT use the LTE layout under ``"CAT-M"`` / ``"eMTC"`` (rat
    "ltem") and ``"CAT-NB"`` / ``"NBIoT"`` (rat "nbiot"), ending at srxlev.
    NR5G-NSA answers ``+QENG: "servingcell",<state>`` then ``+QENG: "LTE",...`` (same
    LTE layout without the state) and ``+QENG: "NR5G-NSA",MCC,MNC,PCID,RSRP,SINR,RSRQ,
    ARFCN,band`` (the NR cell's own PCI and ARFCN go to nr_pci / nr_arfcn, next to the
    LTE anchor's pci / earfcn, its band to nr_band). ``sinr_scaled`` selects the x/5 - 20
    LTE SINR encoding (see :func:`quectel_sinr_scaled`). A state of SEARCH/LIMSRV alone
    gives rat "none".
    Every value is range-checked (:mod:`agent.modem.ranges`): an impossible one (an
    unscaled SINR of 160 dB, an RSRP of +50 dBm) is left absent and logged.
    """
    values: dict[str, object] = {}
    nsa = False
    for line in lines:
        if not line.upper().startswith("+QENG:"):
            continue
        f = split_fields(line, "+QENG:")
        tag = f[0].upper()
        if tag == "SERVINGCELL":
            values["state"] = field_at(f, 1)
            f = f[2:]
            tag = f[0].upper() if f else ""
        if tag == "LTE":
            values.update(_lte(f, sinr_scaled))
        elif tag in _LPWA_RAT:
            values.update(_lte(f, sinr_scaled), rat=_LPWA_RAT[tag])
        elif tag == "NR5G-SA":
            values.update(
                rat="nr5g-sa",
                mcc=_mnc(field_at(f, 2)),
                mnc=_mnc(field_at(f, 3)),
                cell_id=to_int(field_at(f, 4), base=16),
                pci=to_int(field_at(f, 5)),
                tac=to_int(field_at(f, 6), base=16),
                arfcn=to_int(field_at(f, 7)),
                band=to_int(field_at(f, 8)),
                rsrp_dbm=_num(field_at(f, 10)),
                rsrq_db=_num(field_at(f, 11)),
                sinr_db=_num(field_at(f, 12)),
            )
        elif tag == "NR5G-NSA":
            nsa = True
            values.update(
                nr_pci=to_int(field_at(f, 3)),
                nr_arfcn=to_int(field_at(f, 7)),
                nr_band=to_int(field_at(f, 8)),
                nr_rsrp_dbm=_num(field_at(f, 4)),
                nr_sinr_db=_num(field_at(f, 5)),
                nr_rsrq_db=_num(field_at(f, 6)),
            )
        elif tag == "WCDMA":
            values.update(
                rat="umts",
                mcc=_mnc(field_at(f, 1)),
                mnc=_mnc(field_at(f, 2)),
                lac=to_int(field_at(f, 3), base=16),
                cell_id=to_int(field_at(f, 4), base=16),
                uarfcn=to_int(field_at(f, 5)),
                psc=to_int(field_at(f, 6)),
                rscp_dbm=_num(field_at(f, 8)),
                ecio_db=_num(field_at(f, 9)),
            )
        elif tag == "GSM":
            values.update(
                rat="gsm",
                mcc=_mnc(field_at(f, 1)),
                mnc=_mnc(field_at(f, 2)),
                lac=to_int(field_at(f, 3), base=16),
                cell_id=to_int(field_at(f, 4), base=16),
                arfcn=to_int(field_at(f, 6)),
                rssi_dbm=_num(field_at(f, 8)),
            )
    if nsa:
        values["rat"] = "nr5g-nsa"
    state = str(values.get("state") or "").upper()
    if "rat" not in values and state in ("SEARCH", "LIMSRV"):
        values["rat"] = "none"
    cell = ServingCell(**values)  # type: ignore[arg-type]
    return ranges.drop_invalid(cell, source='+QENG: "servingcell"')


#: +QNWINFO <Act> -> rat (Quectel EC2x/BG96/RM5xx manuals, "AT+QNWINFO").
QNWINFO_ACT_RAT: dict[str, str] = {
    "NONE": "none",
    "NO SERVICE": "none",
    "GSM": "gsm",
    "GPRS": "gsm",
    "EDGE": "edge",
    "WCDMA": "umts",
    "TDSCDMA": "umts",
    "HSDPA": "hspa",
    "HSUPA": "hspa",
    "HSPA+": "hspa",
    "HSDPA&HSUPA": "hspa",
    "TDD LTE": "lte",
    "FDD LTE": "lte",
    "CAT-M1": "ltem",
    "EMTC": "ltem",
    "CAT-NB1": "nbiot",
    "NBIOT": "nbiot",
    "TDD NR5G": "nr5g-sa",
    "FDD NR5G": "nr5g-sa",
}


def parse_qnwinfo(lines: tuple[str, ...] | list[str] | str) -> ServingCell:
    """``+QNWINFO: <Act>,<oper>,<band>,<channel>`` (Quectel).

    ``"FDD LTE","51010","LTE BAND 3",1850`` -> rat "lte", mcc "510", mnc "10", band 3,
    earfcn 1850. ``<oper>`` is numeric (quoted or not) unless +COPS was set to a name
    format, in which case mcc/mnc stay None. The channel goes to earfcn (LTE, LTE-M,
    NB-IoT), uarfcn (UMTS/HSPA) or arfcn (GSM, NR). Band numbers are read from "LTE
    BAND n" / "NR5G BAND n" (also "NR5G_BAND n"); "WCDMA 2100" / "GSM 1800" name a
    frequency, not a band number, so band stays None. ``+QNWINFO: No Service`` gives
    rat "none". An unknown <Act> is a ParseError (the message quotes it).
    """
    f = split_fields(first_line(lines, "+QNWINFO:"), "+QNWINFO:")
    act = f[0].upper()
    rat = QNWINFO_ACT_RAT.get(act)
    if rat is None:
        raise ParseError(f"+QNWINFO: unknown access technology {f[0]!r}")
    if rat == "none":
        return ServingCell(rat="none")
    oper = re.sub(r"\s", "", field_at(f, 1) or "")
    mcc = mnc = None
    if oper.isdigit() and len(oper) in (5, 6):
        mcc, mnc = oper[:3], oper[3:]
    band = re.search(r"BAND[\s_]*(\d+)", (field_at(f, 2) or "").upper())
    channel = to_int(field_at(f, 3))
    on_lte = rat in ("lte", "ltem", "nbiot")
    on_umts = rat in ("umts", "hspa")
    cell = ServingCell(
        rat=rat,
        mcc=mcc,
        mnc=mnc,
        band=None if band is None else int(band.group(1)),
        earfcn=channel if on_lte else None,
        uarfcn=channel if on_umts else None,
        arfcn=None if on_lte or on_umts else channel,
    )
    return ranges.drop_invalid(cell, source="+QNWINFO")
