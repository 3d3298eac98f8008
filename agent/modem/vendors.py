"""SIMCom ``+CPSI?`` and Huawei ``^HCSQ?`` serving-cell parsers (pure functions).

Sources: SIMCom SIM7500/SIM7600 Series AT Command Manual V1.08 (+CPSI, tenths),
SIM7070/SIM7080 Series AT Command Manual (LTE CAT-M1 / LTE NB-IOT, whole units),
SIM8200 Series AT Command Manual and QModem's SIMCom script (NR5G_SA / NR5G_NSA);
Huawei ME909s AT Command Interface Specification (^HCSQ) and Huawei 5G CPE captures
(``^HCSQ: "NR",...``).

Both return :class:`agent.modem.quectel.ServingCell`, the shared serving-cell result,
so the reader merges every vendor's answer the same way. Formats from the SIMCom
SIM7500/SIM7600 Series AT Command Manual V1.08 / SIM7070 manual and the Huawei
ME909s AT Command Interface Specification; see /work/shared/FIELD.md.
"""

from __future__ import annotations

import re

from agent.modem import ranges
from agent.modem.fields import ParseError, field_at, split_fields, to_int
from agent.modem.quectel import ServingCell

#: SIMCom models that report RSRQ/RSRP/RSSI in tenths of a dB (SIM7500/SIM7600 family,
#: and the SIM8200/SIM8262 5G family, whose NR5G_SA / NR5G_NSA lines are in tenths too);
#: others (SIM7000/SIM7070/SIM7080, whole dB) do not. A per-model setting, never a guess.
SIMCOM_TENTHS_MODELS: tuple[str, ...] = (
    "SIM7500",
    "SIM7600",
    "SIM7100",
    "SIM7900",
    "A7600",
    "SIM8200",
    "SIM8202",
    "SIM8262",
)
#: +CPSI <System Mode> of the LTE layout -> rat.
_CPSI_LTE_MODES: dict[str, str] = {"LTE": "lte", "LTE CAT-M1": "ltem", "LTE NB-IOT": "nbiot"}


def simcom_tenths(model: str | None) -> bool:
    """True when ``model`` (e.g. "SIMCOM_SIM7600E-H") reports LTE levels in tenths."""
    name = (model or "").upper()
    return any(m in name for m in SIMCOM_TENTHS_MODELS)


def tenths_shown(raw: list[int | None], family: str, prior: bool) -> bool:
    """Whether a +CPSI line's levels are in tenths, as the values themselves show it.

    ``raw`` holds the line's RSRP then RSSI as printed (integers). The first one that
    fits exactly one reading decides: RSRP -987 is no dBm figure (LTE RSRP is
    -141..-44 dBm) but -98.7 is, so the line is in tenths; -95 is whole dBm (-9.5 is
    not possible). The ranges do not overlap for RSRP on any RAT; RSSI decides only
    when RSRP is absent and its value fits one reading. When no value decides (both
    absent, or ambiguous), ``prior`` (the model table, :func:`simcom_tenths`) does.
    """
    for name, value in zip(("rsrp_dbm", "rssi_dbm"), raw, strict=True):
        if value is None:
            continue
        valid = ranges.valid_range(name, family)
        assert valid is not None
        whole, tenths = value in valid, value / 10 in valid
        if whole != tenths:
            return tenths
    return prior


def _level(value: int | None, tenths: bool) -> float | None:
    if value is None:
        return None
    return value / 10 if tenths else float(value)


def _mcc_mnc(text: str | None) -> tuple[str | None, str | None]:
    m = re.fullmatch(r"\s*(\d{3})-(\d{2,3})\s*", text or "")
    return (m.group(1), m.group(2)) if m else (None, None)


def _band(text: str | None) -> int | None:
    m = re.search(r"BAND[\s_-]*(\d+)$", (text or "").upper())
    return None if m is None else int(m.group(1))


def _serving_ids(f: list[str], rat: str) -> dict[str, object]:
    """The fields the LTE and NR5G_SA layouts share: ``<mode>,<state>,MCC-MNC,TAC(0x..),
    cellID(dec),PCI,<band>``."""
    mcc, mnc = _mcc_mnc(field_at(f, 2))
    return {
        "state": field_at(f, 1),
        "rat": rat,
        "mcc": mcc,
        "mnc": mnc,
        "tac": to_int(field_at(f, 3), base=16),
        "cell_id": to_int(field_at(f, 4)),
        "pci": to_int(field_at(f, 5)),
        "band": _band(field_at(f, 6)),
    }


def _cpsi_line(f: list[str], tenths: bool) -> dict[str, object]:
    mode = f[0].upper()
    mcc, mnc = _mcc_mnc(field_at(f, 2))
    if mode in _CPSI_LTE_MODES:
        rat = _CPSI_LTE_MODES[mode]
        rsrq, rsrp, rssi = (to_int(field_at(f, i)) for i in (10, 11, 12))
        scale = tenths_shown([rsrp, rssi], ranges.RAT_FAMILY[rat], tenths)
        return {
            **_serving_ids(f, rat),
            "earfcn": to_int(field_at(f, 7)),
            "rsrq_db": _level(rsrq, scale),
            "rsrp_dbm": _level(rsrp, scale),
            "rssi_dbm": _level(rssi, scale),
            "sinr_db": _level(to_int(field_at(f, 13)), False),
        }
    if mode == "NR5G_SA":
        rsrp, rsrq, snr = (to_int(field_at(f, i)) for i in (8, 9, 10))
        scale = tenths_shown([rsrp, None], "nr", tenths)
        return {
            **_serving_ids(f, "nr5g-sa"),
            "arfcn": to_int(field_at(f, 7)),
            "rsrp_dbm": _level(rsrp, scale),
            "rsrq_db": _level(rsrq, scale),
            "sinr_db": _level(snr, scale),
        }
    if mode == "NR5G_NSA":
        rsrp, rsrq, snr = (to_int(field_at(f, i)) for i in (4, 5, 6))
        scale = tenths_shown([rsrp, None], "nr", tenths)
        return {
            "rat": "nr5g-nsa",
            "nr_pci": to_int(field_at(f, 1)),
            "nr_arfcn": to_int(field_at(f, 3)),
            "nr_band": _band(field_at(f, 2)),
            "nr_rsrp_dbm": _level(rsrp, scale),
            "nr_rsrq_db": _level(rsrq, scale),
            "nr_sinr_db": _level(snr, scale),
        }
    if mode == "WCDMA":
        # Levels (EC/IO, RSCP) are printed as magnitudes whose sign differs by firmware:
        # take them from +CESQ instead of guessing.
        return {
            "state": field_at(f, 1),
            "rat": "umts",
            "mcc": mcc,
            "mnc": mnc,
            "lac": to_int(field_at(f, 3), base=16),
            "cell_id": to_int(field_at(f, 4)),
            "psc": to_int(field_at(f, 6)),
            "uarfcn": to_int(field_at(f, 7)),
        }
    if mode == "GSM":
        arfcn = re.match(r"\s*(\d+)", field_at(f, 5) or "")
        return {
            "state": field_at(f, 1),
            "rat": "gsm",
            "mcc": mcc,
            "mnc": mnc,
            "lac": to_int(field_at(f, 3), base=16),
            "cell_id": to_int(field_at(f, 4)),
            "arfcn": None if arfcn is None else int(arfcn.group(1)),
            "rssi_dbm": _level(to_int(field_at(f, 6)), False),
        }
    if mode == "NO SERVICE" or mode.startswith("NOT IN EN-DC"):
        return {"state": field_at(f, 1), "rat": "none"}
    raise ParseError(f"+CPSI: unknown system mode {f[0]!r}")


def parse_cpsi(lines: tuple[str, ...] | list[str] | str, *, tenths: bool = False) -> ServingCell:
    """``+CPSI: <System Mode>,<Operation Mode>[,...]`` (SIMCom), one or two lines.

    LTE, ``LTE CAT-M1`` (rat "ltem") and ``LTE NB-IOT`` (rat "nbiot"): ``<mode>,Online,
    MCC-MNC,TAC(0x..),cellID(dec),PCI,EUTRAN-BANDn,EARFCN,dlbw,ulbw,RSRQ,RSRP,RSSI,
    RSSNR``; RSRQ/RSRP/RSSI in tenths on SIM7600-class models (-1126 -> -112.6 dBm),
    whole dB on SIM7000/SIM7070; RSSNR is whole dB on both.
    NR5G_SA (SIM8200): ``NR5G_SA,Online,MCC-MNC,TAC(0x..),cellID(dec),PCI,NR5G_BANDn,
    ARFCN,RSRP,RSRQ,SNR`` -- note RSRP before RSRQ; all three in tenths likewise.
    EN-DC answers an LTE line and then ``NR5G_NSA,PCI,NR5G_BANDn,ARFCN,RSRP,RSRQ,SNR``
    (tenths likewise): rat "nr5g-nsa", the NR cell's own PCI and ARFCN in nr_pci /
    nr_arfcn (the LTE anchor's stay in pci / earfcn), its levels in nr_rsrp_dbm /
    nr_rsrq_db / nr_sinr_db. ``NOT IN EN-DC CONNECTED MODE`` as the second line is
    ignored.
    WCDMA: ``WCDMA,Online,MCC-MNC,LAC(0x..),cellID(dec),band,PSC,UARFCN,...`` (ids only).
    GSM: ``GSM,Online,MCC-MNC,LAC(0x..),cellID(dec),ARFCN [band],RxLev(dBm),...``.
    ``NO SERVICE,Online`` gives rat "none"; an unknown system mode is a ParseError.

    Units: ``tenths`` is the model table's word (:func:`simcom_tenths`), but each line's
    values have the last say (:func:`tenths_shown`): RSRP -987 can only be -98.7 dBm,
    so an unknown model, or a firmware that changed its unit, still comes out in
    dBm / dB. Every value is then range-checked (:mod:`agent.modem.ranges`): an
    impossible one is left absent and logged.
    """
    text_lines = [lines] if isinstance(lines, str) else list(lines)
    cpsi = [x for x in text_lines if x.upper().startswith("+CPSI:")]
    if not cpsi:
        raise ParseError(f"no +CPSI: line in {text_lines!r}")
    values = _cpsi_line(split_fields(cpsi[0], "+CPSI:"), tenths)
    for extra in cpsi[1:]:
        more = _cpsi_line(split_fields(extra, "+CPSI:"), tenths)
        if more.get("rat") == "nr5g-nsa":
            values.update(more)
    return ranges.drop_invalid(ServingCell(**values), source="+CPSI")  # type: ignore[arg-type]


def _huawei(value: int | None, lo: int, hi: int, offset: float, step: float) -> float | None:
    if value is None or not lo <= value <= hi:
        return None
    return float(round(offset + step * value, 2))


def _hcsq_line(f: list[str]) -> dict[str, object]:
    mode = f[0].upper()
    values = [to_int(x) for x in f[1:]]
    values += [None] * (4 - len(values))
    if mode == "LTE":
        return {
            "rat": "lte",
            "rssi_dbm": _huawei(values[0], 0, 96, -121, 1),
            "rsrp_dbm": _huawei(values[1], 0, 97, -141, 1),
            "sinr_db": _huawei(values[2], 0, 251, -20.2, 0.2),
            "rsrq_db": _huawei(values[3], 0, 34, -20, 0.5),
        }
    if mode == "NR":
        return {
            "rat": "nr5g-sa",
            "rsrp_dbm": _huawei(values[0], 0, 97, -141, 1),
            "sinr_db": _huawei(values[1], 0, 251, -20.2, 0.2),
            "rsrq_db": _huawei(values[2], 0, 34, -20, 0.5),
        }
    if mode in ("WCDMA", "TD-SCDMA"):
        return {
            "rat": "umts",
            "rssi_dbm": _huawei(values[0], 0, 96, -121, 1),
            "rscp_dbm": _huawei(values[1], 0, 96, -121, 1),
            "ecio_db": _huawei(values[2], 0, 65, -32.5, 0.5),
        }
    if mode == "GSM":
        return {"rat": "gsm", "rssi_dbm": _huawei(values[0], 0, 96, -121, 1)}
    if mode == "NOSERVICE":
        return {"rat": "none"}
    raise ParseError(f"^HCSQ: unknown system mode {f[0]!r}")


def parse_hcsq(lines: tuple[str, ...] | list[str] | str) -> ServingCell:
    """``^HCSQ: <sysmode>[,<v1>,...]`` (Huawei; 255 = unknown), answer or URC.

    The URC (``^HCSQ:"LTE",52,48,150,25``, sometimes without the space) has the same
    shape as the answer to ``AT^HCSQ?``.
    LTE ``"LTE",rssi,rsrp,sinr,rsrq``: rssi -121+n dBm (0..96), rsrp -141+n dBm
    (0..97), sinr -20.2+n/5 dB (0..251), rsrq -20+n/2 dB (0..34); firmwares that
    print only three values leave rsrq None.
    NR ``"NR",rsrp,sinr,rsrq`` (Huawei 5G modules; no rssi, a different order): the
    same formulas. Alone it gives rat "nr5g-sa"; after an LTE line in the same answer
    (EN-DC) rat "nr5g-nsa" with the NR values in nr_rsrp_dbm / nr_sinr_db / nr_rsrq_db.
    WCDMA ``"WCDMA",rssi,rscp,ecio``: rssi/rscp -121+n dBm, ecio -32.5+n/2 dB (0..65).
    GSM ``"GSM",rssi``: -121+n dBm. ``"NOSERVICE"`` gives rat "none". Another system
    mode (CDMA, EVDO) is a ParseError.
    """
    text_lines = [lines] if isinstance(lines, str) else list(lines)
    hcsq = [x for x in text_lines if x.upper().startswith("^HCSQ:")]
    if not hcsq:
        raise ParseError(f"no ^HCSQ: line in {text_lines!r}")
    values = _hcsq_line(split_fields(hcsq[0], "^HCSQ:"))
    for extra in hcsq[1:]:
        more = _hcsq_line(split_fields(extra, "^HCSQ:"))
        if values.get("rat") == "lte" and more.get("rat") == "nr5g-sa":
            values.update(
                rat="nr5g-nsa",
                nr_rsrp_dbm=more.get("rsrp_dbm"),
                nr_sinr_db=more.get("sinr_db"),
                nr_rsrq_db=more.get("rsrq_db"),
            )
    return ranges.drop_invalid(ServingCell(**values), source="^HCSQ")  # type: ignore[arg-type]
