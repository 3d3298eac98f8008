"""SIMCom ``+CPSI?`` and Huawei ``^HCSQ?`` serving-cell parsers (pure functions).

Both return :class:`agent.modem.quectel.ServingCell`, the shared serving-cell result,
so the reader merges every vendor's answer the same way. Formats from the SIMCom
SIM7500/SIM7600 Series AT Command Manual V1.08 / SIM7070 manual and the Huawei
ME909s AT Command Interface Specification; see /work/shared/FIELD.md.
"""

from __future__ import annotations

import re

from agent.modem.fields import ParseError, field_at, first_line, split_fields, to_int
from agent.modem.quectel import ServingCell

#: SIMCom models that report RSRQ/RSRP/RSSI in tenths of a dB (SIM7500/SIM7600 family);
#: others (SIM7000/SIM7070/SIM7080) report whole dB. A per-model setting, never a guess.
SIMCOM_TENTHS_MODELS: tuple[str, ...] = ("SIM7500", "SIM7600", "SIM7100", "SIM7900", "A7600")


def simcom_tenths(model: str | None) -> bool:
    """True when ``model`` (e.g. "SIMCOM_SIM7600E-H") reports LTE levels in tenths."""
    name = (model or "").upper()
    return any(m in name for m in SIMCOM_TENTHS_MODELS)


def _level(text: str | None, tenths: bool) -> float | None:
    value = to_int(text)
    if value is None:
        return None
    return value / 10 if tenths else float(value)


def _mcc_mnc(text: str | None) -> tuple[str | None, str | None]:
    m = re.fullmatch(r"\s*(\d{3})-(\d{2,3})\s*", text or "")
    return (m.group(1), m.group(2)) if m else (None, None)


def parse_cpsi(lines: tuple[str, ...] | list[str] | str, *, tenths: bool = False) -> ServingCell:
    """``+CPSI: <mode>,<op mode>[,...]`` (SIMCom).

    LTE: ``LTE,Online,MCC-MNC,TAC(0x..),cellID(dec),PCI,EUTRAN-BANDn,EARFCN,dlbw,ulbw,
    RSRQ,RSRP,RSSI,RSSNR`` (levels in tenths when ``tenths``). WCDMA: ``WCDMA,Online,
    MCC-MNC,LAC(0x..),cellID(dec),band,PSC,UARFCN,...`` (ids only). GSM: ``GSM,Online,
    MCC-MNC,LAC(0x..),cellID(dec),ARFCN [band],RxLev(dBm),...``. ``NO SERVICE,Online``
    (or any unknown mode) gives rat "none".
    """
    f = split_fields(first_line(lines, "+CPSI:"), "+CPSI:")
    mode = f[0].upper()
    mcc, mnc = _mcc_mnc(field_at(f, 2))
    if mode == "LTE":
        band = re.search(r"(\d+)$", field_at(f, 6) or "")
        return ServingCell(
            state=field_at(f, 1),
            rat="lte",
            mcc=mcc,
            mnc=mnc,
            tac=to_int(field_at(f, 3), base=16),
            cell_id=to_int(field_at(f, 4)),
            pci=to_int(field_at(f, 5)),
            band=None if band is None else int(band.group(1)),
            earfcn=to_int(field_at(f, 7)),
            rsrq_db=_level(field_at(f, 10), tenths),
            rsrp_dbm=_level(field_at(f, 11), tenths),
            rssi_dbm=_level(field_at(f, 12), tenths),
            sinr_db=_level(field_at(f, 13), False),
        )
    if mode == "WCDMA":
        # Levels (EC/IO, RSCP) are printed as magnitudes whose sign differs by firmware:
        # take them from +CESQ instead of guessing.
        return ServingCell(
            state=field_at(f, 1),
            rat="umts",
            mcc=mcc,
            mnc=mnc,
            lac=to_int(field_at(f, 3), base=16),
            cell_id=to_int(field_at(f, 4)),
            psc=to_int(field_at(f, 6)),
            uarfcn=to_int(field_at(f, 7)),
        )
    if mode == "GSM":
        arfcn = re.match(r"\s*(\d+)", field_at(f, 5) or "")
        return ServingCell(
            state=field_at(f, 1),
            rat="gsm",
            mcc=mcc,
            mnc=mnc,
            lac=to_int(field_at(f, 3), base=16),
            cell_id=to_int(field_at(f, 4)),
            arfcn=None if arfcn is None else int(arfcn.group(1)),
            rssi_dbm=_level(field_at(f, 6), False),
        )
    return ServingCell(state=field_at(f, 1), rat="none")


def _huawei(value: int | None, lo: int, hi: int, offset: float, step: float) -> float | None:
    if value is None or not lo <= value <= hi:
        return None
    return float(round(offset + step * value, 2))


def parse_hcsq(lines: tuple[str, ...] | list[str] | str) -> ServingCell:
    """``^HCSQ: <sysmode>[,<v1>,...]`` (Huawei; 255 = unknown).

    LTE ``"LTE",rssi,rsrp,sinr,rsrq``: rssi -121+n dBm (0..96), rsrp -141+n dBm
    (0..97), sinr -20.2+n/5 dB (0..251), rsrq -20+n/2 dB (0..34).
    WCDMA ``"WCDMA",rssi,rscp,ecio``: rssi/rscp -121+n dBm, ecio -32.5+n/2 dB (0..65).
    GSM ``"GSM",rssi``: -121+n dBm. ``"NOSERVICE"`` gives rat "none".
    """
    f = split_fields(first_line(lines, "^HCSQ:"), "^HCSQ:")
    mode = f[0].upper()
    values = [to_int(x) for x in f[1:]]
    values += [None] * (4 - len(values))
    if mode == "LTE":
        return ServingCell(
            rat="lte",
            rssi_dbm=_huawei(values[0], 0, 96, -121, 1),
            rsrp_dbm=_huawei(values[1], 0, 97, -141, 1),
            sinr_db=_huawei(values[2], 0, 251, -20.2, 0.2),
            rsrq_db=_huawei(values[3], 0, 34, -20, 0.5),
        )
    if mode in ("WCDMA", "TD-SCDMA"):
        return ServingCell(
            rat="umts",
            rssi_dbm=_huawei(values[0], 0, 96, -121, 1),
            rscp_dbm=_huawei(values[1], 0, 96, -121, 1),
            ecio_db=_huawei(values[2], 0, 65, -32.5, 0.5),
        )
    if mode == "GSM":
        return ServingCell(rat="gsm", rssi_dbm=_huawei(values[0], 0, 96, -121, 1))
    if mode == "NOSERVICE":
        return ServingCell(rat="none")
    raise ParseError(f"^HCSQ: unknown system mode {f[0]!r}")
