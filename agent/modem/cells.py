"""Neighbour cells and component carriers: Quectel ``AT+QENG="neighbourcell"`` and
``AT+QCAINFO``, SIMCom ``AT+CENG?`` (pure functions).

Layouts (Quectel EC25&EC21 / EG25-G and RG50xQ/RM5xxQ AT Commands Manuals, +QENG and
+QCAINFO; SIMCom SIM7000/SIM7070/SIM7080 Series AT Command Manuals, +CENG)::

    LTE serving cell:
      +QENG: "neighbourcell intra","LTE",earfcn,PCID,RSRQ,RSRP,RSSI,SINR,srxlev,...
      +QENG: "neighbourcell inter","LTE",earfcn,PCID,RSRQ,RSRP,RSSI,SINR,srxlev,...
      +QENG: "neighbourcell","WCDMA",uarfcn,resel_prio,thresh_Xhigh,thresh_Xlow,PSC,RSCP,ecno,srxlev
    WCDMA serving cell:
      +QENG: "neighbourcell","WCDMA",uarfcn,srxqual,PSC,RSCP,ecno,set,rank,srxlev
      +QENG: "neighbourcell","LTE",earfcn,PCID,RSRP,RSRQ,s_rxlev      (RSRP before RSRQ)
    GSM serving cell:
      +QENG: "neighbourcell","GSM",MCC,MNC,LAC(hex),cellID(hex),BSIC,arfcn,rxlev,c1,c2,c31,c32
      +QENG: "neighbourcell","WCDMA",uarfcn,PSC,RSCP,ecno
      +QENG: "neighbourcell","LTE",earfcn,PCID,RSRP,RSRQ
    +QCAINFO: "PCC",earfcn,bw(RB),"LTE BAND n",pcell_state,PCI,RSRP,RSRQ,RSSI,RSSNR
    +QCAINFO: "SCC",earfcn,bw(RB),"LTE BAND n",scell_state,PCI,RSRP,RSRQ,RSSI,RSSNR[,ul...]
    +QCAINFO: "SCC",NR-ARFCN,bw(index),"NR5G BAND n",PCI            (5G NSA NR carrier)
    +QCAINFO: "PCC",NR-ARFCN,bw(index),"NR5G BAND n",PCI,RSRP,RSRQ,SNR   (5G SA)
    +QCAINFO: "SCC",NR-ARFCN,bw(index),"NR5G BAND n",scell_state,PCI,...  (5G SA CA)
    +CENG: <mode>,<Ncell>,<cell num>,<system mode>
    +CENG: 0,"earfcn,pci,rsrp,rssi,rsrq,sinr,tac,cellid,mcc,mnc,tx_power"   (LTE serving)
    +CENG: n,"earfcn,pci,rsrp,rssi,rsrq,sinr"                              (LTE neighbour)
    +CENG: n,"arfcn,rxl,bsic,cellid(hex),mcc,mnc,lac(hex)"                 (GSM, n = 0 serving)
    !LTEINFO: (Sierra Wireless EM74xx/MC73xx) column tables: see :func:`parse_lteinfo`

Quirks handled: the WCDMA neighbour line has two layouts of the same length, told apart
by the serving RAT (``serving_rat``, else "LTE" when the answer has intra/inter lines);
LTE bandwidth in +QCAINFO counts resource blocks (6, 15, 25, 50, 75, 100 -> 1.4..20
MHz) while NR's is an index (0..14 -> 5..400 MHz, RM5xxQ manual); an SCC in state 0
("DECONFIGURED") is not in use and left out; RSSNR in +QCAINFO is in dB on the
firmware seen (RM5xx captures), unlike the x/5 - 20 serving-cell SINR of EC2x, so
an EC2x-scale raw value (0..250) falls outside the SINR range and is left absent.
"-" and empty fields are absent. An inter-frequency "neighbour" with neither a cell
identity nor a level is a frequency the modem is told to measure, not a cell it
hears: left out. Lines without the command's prefix, unknown tags and garbage are
skipped (never an error); every value is range-checked (:mod:`agent.modem.ranges`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from agent.modem import ranges
from agent.modem.fields import field_at, split_fields, to_int
from agent.modem.model import CarrierComponent, NeighbourCell

__all__ = [
    "LTE_BANDWIDTH_RB_MHZ",
    "NR_BANDWIDTH_INDEX_MHZ",
    "parse_ceng",
    "parse_lteinfo",
    "parse_qcainfo",
    "parse_qeng_neighbourcell",
    "relate",
]

log = logging.getLogger(__name__)

#: +QCAINFO LTE <bandwidth> in resource blocks -> MHz (TS 36.101 table 5.6-1).
LTE_BANDWIDTH_RB_MHZ: dict[int, float] = {6: 1.4, 15: 3.0, 25: 5.0, 50: 10.0, 75: 15.0, 100: 20.0}
#: +QCAINFO / +QENG NR <NR_DL_bandwidth> index -> MHz (Quectel RM5xxQ manual).
NR_BANDWIDTH_INDEX_MHZ: dict[int, float] = {
    0: 5.0, 1: 10.0, 2: 15.0, 3: 20.0, 4: 25.0, 5: 30.0, 6: 40.0, 7: 50.0,
    8: 60.0, 9: 70.0, 10: 80.0, 11: 90.0, 12: 100.0, 13: 200.0, 14: 400.0,
}  # fmt: skip

_QENG_RAT = {"LTE": "lte", "WCDMA": "umts", "GSM": "gsm", "NR": "nr", "NR5G": "nr"}


def _num(text: str | None) -> float | None:
    value = to_int(text)
    return None if value is None else float(value)


def _heard(cell: NeighbourCell) -> bool:
    ident = (cell.pci, cell.psc, cell.cell_id)
    return any(v is not None for v in ident) or cell.level_dbm is not None


def _checked(cell: NeighbourCell, source: str) -> NeighbourCell:
    return ranges.drop_invalid(cell, source=source)


def _qeng_line(tag: str, rat: str, f: list[str], mode: str) -> NeighbourCell | None:
    """One +QENG neighbour line (fields after the RAT) in the serving ``mode``."""
    if tag in ("NEIGHBOURCELL INTRA", "NEIGHBOURCELL INTER") and rat == "lte":
        relation = "intra-frequency" if tag.endswith("INTRA") else "inter-frequency"
        return NeighbourCell(
            rat="lte",
            relation=relation,
            earfcn=to_int(field_at(f, 0)),
            pci=to_int(field_at(f, 1)),
            rsrq_db=_num(field_at(f, 2)),
            rsrp_dbm=_num(field_at(f, 3)),
            rssi_dbm=_num(field_at(f, 4)),
            sinr_db=_num(field_at(f, 5)),
        )
    if tag != "NEIGHBOURCELL":
        return None
    other: str | None = "inter-rat" if rat != mode else None
    if rat == "lte":  # seen from WCDMA or GSM: RSRP before RSRQ
        return NeighbourCell(
            rat="lte",
            relation=other,
            earfcn=to_int(field_at(f, 0)),
            pci=to_int(field_at(f, 1)),
            rsrp_dbm=_num(field_at(f, 2)),
            rsrq_db=_num(field_at(f, 3)),
        )
    if rat == "umts":
        if len(f) <= 4:  # GSM mode: uarfcn,PSC,RSCP,ecno
            psc, rscp, ecno = 1, 2, 3
        elif mode == "lte":  # uarfcn,prio,Xhigh,Xlow,PSC,RSCP,ecno,srxlev
            psc, rscp, ecno = 4, 5, 6
        else:  # WCDMA mode: uarfcn,srxqual,PSC,RSCP,ecno,set,rank,srxlev
            psc, rscp, ecno = 2, 3, 4
        return NeighbourCell(
            rat="umts",
            relation=other,
            uarfcn=to_int(field_at(f, 0)),
            psc=to_int(field_at(f, psc)),
            rscp_dbm=_num(field_at(f, rscp)),
            ecio_db=_num(field_at(f, ecno)),
        )
    if rat == "gsm" and len(f) >= 7:  # MCC,MNC,LAC,cellID,BSIC,arfcn,rxlev,...
        return NeighbourCell(
            rat="gsm",
            relation=other,
            lac=to_int(field_at(f, 2), base=16),
            cell_id=to_int(field_at(f, 3), base=16),
            arfcn=to_int(field_at(f, 5)),
            rssi_dbm=_num(field_at(f, 6)),
        )
    return None


def _qeng_mode(parsed: list[tuple[str, str, list[str]]]) -> str:
    """The serving RAT an answer implies: intra/inter lines only come from LTE; a full
    GSM line or a short (4-field) WCDMA line only from GSM; else WCDMA."""
    if any(tag != "NEIGHBOURCELL" for tag, _, _ in parsed):
        return "lte"
    for _, rat, f in parsed:
        if (rat == "gsm" and len(f) >= 7) or (rat == "umts" and len(f) <= 4):
            return "gsm"
    return "umts"


def parse_qeng_neighbourcell(
    lines: tuple[str, ...] | list[str], *, serving_rat: str | None = None
) -> tuple[NeighbourCell, ...]:
    """The cells in an answer to ``AT+QENG="neighbourcell"`` (see the module docstring).

    ``serving_rat`` is the serving cell's family ("lte", "umts", "gsm"; None: implied by
    the lines, see :func:`_qeng_mode`). The GSM line of the WCDMA layout (BSIC, rssi,
    rxlev, rank: no channel, no cell id) is left out. An answer with no neighbour lines
    is an empty tuple: the modem hears none.
    """
    parsed: list[tuple[str, str, list[str]]] = []
    for line in lines:
        if not line.strip().upper().startswith("+QENG:"):
            continue
        f = split_fields(line, "+QENG:")
        tag = re.sub(r"\s+", " ", f[0]).upper()
        rat = _QENG_RAT.get((field_at(f, 1) or "").strip().upper(), "")
        if tag.startswith("NEIGHBOURCELL") and rat:
            parsed.append((tag, rat, f[2:]))
    mode = serving_rat or _qeng_mode(parsed)
    found: list[NeighbourCell] = []
    for tag, rat, f in parsed:
        cell = _qeng_line(tag, rat, f, mode)
        if cell is not None and _heard(cell):
            found.append(_checked(cell, '+QENG: "neighbourcell"'))
    return tuple(found)


def _band(text: str | None) -> tuple[str, int | None] | None:
    """``"LTE BAND 3"`` -> ("lte", 3); ``"NR5G BAND 78"`` / ``NR5G_BAND78`` -> ("nr", 78)."""
    upper = (text or "").upper()
    m = re.search(r"BAND[\s_]*(\d+)", upper)
    number = None if m is None else int(m.group(1))
    if upper.startswith("LTE"):
        return "lte", number
    if upper.startswith("NR"):
        return "nr", number
    return None


def _bandwidth(rat: str, code: int | None) -> float | None:
    if code is None:
        return None
    table = LTE_BANDWIDTH_RB_MHZ if rat == "lte" else NR_BANDWIDTH_INDEX_MHZ
    mhz = table.get(code)
    if mhz is None:
        log.warning("+QCAINFO: bandwidth code %d is not one the %s table knows: left absent",
                    code, rat.upper())  # fmt: skip
    return mhz


def _deconfigured(state: str | None) -> bool:
    text = (state or "").strip().upper()
    return text in ("0", "DECONFIGURED")


def parse_qcainfo(lines: tuple[str, ...] | list[str]) -> tuple[CarrierComponent, ...]:
    """The component carriers of an ``AT+QCAINFO`` answer, the primary first (see the
    module docstring); an answer without carrier lines is an empty tuple."""
    found: list[CarrierComponent] = []
    for line in lines:
        if not line.strip().upper().startswith("+QCAINFO:"):
            continue
        f = split_fields(line, "+QCAINFO:")
        role = f[0].upper()
        band = _band(field_at(f, 3))
        if role not in ("PCC", "SCC") or band is None:
            continue
        rat, number = band
        primary = role == "PCC"
        channel = to_int(field_at(f, 1))
        common = {
            "primary": primary,
            "rat": rat,
            "band": number,
            "bandwidth_mhz": _bandwidth(rat, to_int(field_at(f, 2))),
        }
        if rat == "lte":
            if not primary and _deconfigured(field_at(f, 4)):
                continue
            cc = CarrierComponent(
                **common,  # type: ignore[arg-type]
                earfcn=channel,
                pci=to_int(field_at(f, 5)),
                rsrp_dbm=_num(field_at(f, 6)),
                rsrq_db=_num(field_at(f, 7)),
                rssi_dbm=_num(field_at(f, 8)),
                sinr_db=_num(field_at(f, 9)),
            )
        elif primary:  # NR SA primary: PCI,RSRP,RSRQ,SNR
            cc = CarrierComponent(
                **common,  # type: ignore[arg-type]
                arfcn=channel,
                pci=to_int(field_at(f, 4)),
                rsrp_dbm=_num(field_at(f, 5)),
                rsrq_db=_num(field_at(f, 6)),
                sinr_db=_num(field_at(f, 7)),
            )
        elif len(f) == 5:  # the NR carrier of 5G NSA: PCI only
            cc = CarrierComponent(**common, arfcn=channel, pci=to_int(field_at(f, 4)))  # type: ignore[arg-type]
        else:  # NR SA secondary: scell_state,PCI,...
            if _deconfigured(field_at(f, 4)):
                continue
            cc = CarrierComponent(**common, arfcn=channel, pci=to_int(field_at(f, 5)))  # type: ignore[arg-type]
        found.append(ranges.drop_invalid(cc, source="+QCAINFO"))
    found.sort(key=lambda cc: not cc.primary)
    return tuple(found)


def _ceng_rows(lines: tuple[str, ...] | list[str]) -> tuple[str, list[tuple[int, list[str]]]]:
    mode = ""
    rows: list[tuple[int, list[str]]] = []
    for line in lines:
        if not line.strip().upper().startswith("+CENG:"):
            continue
        head, sep, quoted = line.strip()[len("+CENG:") :].partition(",")
        index = to_int(head)
        if index is None:
            continue
        if '"' in quoted:
            rows.append((index, split_fields(quoted.strip().strip('"'))))
        elif sep:
            f = split_fields(quoted)
            mode = (field_at(f, 2) or mode).upper()
    return mode, rows


def parse_ceng(lines: tuple[str, ...] | list[str]) -> tuple[NeighbourCell, ...]:
    """The neighbour cells of a SIMCom ``AT+CENG?`` answer (cell 0, the serving cell,
    is left out; see the module docstring). GSM rows give rxl on the 0..63 rxlev scale
    (-111 + n dBm, TS 45.008); LTE rows give dBm and dB."""
    mode, rows = _ceng_rows(lines)
    gsm = mode.startswith("GSM") or any(len(f) == 7 for i, f in rows if i == 0)
    serving = next((f for i, f in rows if i == 0), None)
    found: list[NeighbourCell] = []
    for index, f in rows:
        if index == 0:
            continue
        if gsm:
            rxl = to_int(field_at(f, 1))
            cell = NeighbourCell(
                rat="gsm",
                relation=None,
                arfcn=to_int(field_at(f, 0)),
                rssi_dbm=None if rxl is None or not 0 <= rxl <= 63 else float(-111 + rxl),
                cell_id=to_int(field_at(f, 3), base=16) or None,
                lac=to_int(field_at(f, 6), base=16) or None,
            )
        else:
            earfcn = to_int(field_at(f, 0))
            same = serving is not None and earfcn is not None
            relation = None
            if same and serving is not None:
                on = to_int(field_at(serving, 0)) == earfcn
                relation = "intra-frequency" if on else "inter-frequency"
            cell = NeighbourCell(
                rat="lte",
                relation=relation,
                earfcn=earfcn,
                pci=to_int(field_at(f, 1)),
                rsrp_dbm=_num(field_at(f, 2)),
                rssi_dbm=_num(field_at(f, 3)),
                rsrq_db=_num(field_at(f, 4)),
                sinr_db=_num(field_at(f, 5)),
            )
        if _heard(cell):
            found.append(_checked(cell, "+CENG"))
    return tuple(found)


_LTEINFO_SECTIONS = {
    "SERVING": None,
    "INTRAFREQ": "intra-frequency",
    "INTERFREQ": "inter-frequency",
}


def _lteinfo_tables(lines: tuple[str, ...] | list[str]) -> list[tuple[str, dict[str, str]]]:
    """(section, {column: value}) for every row under a ``Label: COL COL ...`` header."""
    rows: list[tuple[str, dict[str, str]]] = []
    section, columns = "", list[str]()
    for raw in lines:
        line = raw.replace("\t", " ").strip()
        if line.upper().startswith("!LTEINFO:"):
            line = line[len("!LTEINFO:") :].strip()
        m = re.match(r"^([A-Za-z]+):\s*(.*)$", line)
        if m:
            section, columns = m.group(1).upper(), m.group(2).upper().split()
            continue
        values = line.split()
        if section and values and len(values) == len(columns):
            rows.append((section, dict(zip(columns, values, strict=True))))
    return rows


def _tenth(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


def parse_lteinfo(lines: tuple[str, ...] | list[str]) -> tuple[NeighbourCell, ...]:
    """The LTE neighbours of a Sierra Wireless ``AT!LTEINFO?`` answer (MC73xx/EM74xx/
    EM75xx): column tables under ``Serving:``, ``IntraFreq:`` and ``InterFreq:``
    headers (RSRQ, RSRP, RSSI in dB/dBm with one decimal; ``--`` absent). The
    intra-frequency table lists the serving cell too: left out by its PCI. Sections
    this parser does not know (WCDMA, GSM tables on some firmware) are skipped."""
    rows = _lteinfo_tables(lines)
    serving = next((r for s, r in rows if s == "SERVING"), {})
    found: list[NeighbourCell] = []
    for section, row in rows:
        if section not in ("INTRAFREQ", "INTERFREQ"):
            continue
        pci = to_int(row.get("PCI"))
        if section == "INTRAFREQ" and pci is not None and pci == to_int(serving.get("PCI")):
            continue
        earfcn = to_int(row.get("EARFCN")) if section == "INTERFREQ" else None
        cell = NeighbourCell(
            rat="lte",
            relation=_LTEINFO_SECTIONS[section],
            pci=pci,
            earfcn=earfcn if earfcn is not None else to_int(serving.get("EARFCN")),
            rsrq_db=_tenth(row.get("RSRQ")),
            rsrp_dbm=_tenth(row.get("RSRP")),
            rssi_dbm=_tenth(row.get("RSSI")),
        )
        if _heard(cell):
            found.append(_checked(cell, "!LTEINFO"))
    return tuple(found)


def relate(
    neighbours: tuple[NeighbourCell, ...], serving_family: str | None, channel: int | None
) -> tuple[NeighbourCell, ...]:
    """Fill the relation the modem left open: another RAT than the serving cell's is
    inter-RAT; the same RAT is intra- or inter-frequency by the serving ``channel``
    (unknown channel: left open)."""
    out: list[NeighbourCell] = []
    for n in neighbours:
        relation = n.relation
        if relation is None and serving_family is not None:
            if n.rat != serving_family:
                relation = "inter-rat"
            elif channel is not None and n.channel is not None:
                relation = "intra-frequency" if n.channel == channel else "inter-frequency"
        out.append(n if relation == n.relation else replace(n, relation=relation))
    return tuple(out)
