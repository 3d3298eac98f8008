"""Quectel vendor commands: ``AT+QENG="servingcell"`` (layouts from the Quectel
EC2x/EG2x and RG50xQ/RM5xxQ AT manuals; a real EC25 answer is in tests/data/at)."""

from __future__ import annotations

from dataclasses import dataclass

from agent.modem.fields import field_at, split_fields, to_int

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
    NR5G-NSA answers ``+QENG: "servingcell",<state>`` then ``+QENG: "LTE",...`` (same
    LTE layout without the state) and ``+QENG: "NR5G-NSA",MCC,MNC,PCID,RSRP,SINR,RSRQ,
    ARFCN,band``. ``sinr_scaled`` selects the x/5 - 20 LTE SINR encoding (see
    :func:`quectel_sinr_scaled`). A state of SEARCH/LIMSRV alone gives rat "none".
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
    return ServingCell(**values)  # type: ignore[arg-type]
