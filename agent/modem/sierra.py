"""Sierra Wireless ``AT!GSTATUS?`` (MC73xx, EM74xx/75xx, EM9xxx): labelled free text.

The answer is a block of ``Label: value`` pairs, one or two per line, separated by
tabs or runs of spaces; the set of labels, their order, the column padding and the
spelling of some values change with firmware (``Reset Counter`` vs ``Bootup Time``,
``PCC RxM RSSI`` vs ``RSSI (dBm)``, a ``PCC:`` / ``SCC1:`` section layout on EM919x).
So the text is parsed by label, never by position. Example (EM7455)::

    !GSTATUS:
    Current Time:  22016        Temperature: 40
    System mode:   LTE          PS state:    Attached
    LTE band:      B3           LTE bw:      20 MHz
    LTE Rx chan:   1850         LTE Tx chan: 19850
    PCC RxM RSSI:  -65          RSRP (dBm):  -95
    Tx Power:      15           TAC:         03E8 (1000)
    RSRQ (dB):     -10.0        Cell ID:     01A2D001 (27447297)
    SINR (dB):     12.4

Garbage tolerated: tabs and spaces mixed, missing space after a colon
(``GMM (PS) state:REGISTERED``), ``---`` / ``--`` for "no value", trailing blanks,
blank lines, unknown labels (kept in :func:`gstatus_labels`, ignored by
:func:`parse_gstatus`). Repeated labels (``RSRP (dBm)`` for RxM then RxD, then the
secondary carrier) keep their first value: the primary carrier's main antenna.
"""

from __future__ import annotations

import re

from agent.modem import ranges
from agent.modem.quectel import ServingCell

__all__ = ["gstatus_labels", "parse_gstatus"]

# A label starts at the line start or after whitespace, begins with a letter, holds
# words separated by single spaces (columns are padded with runs of blanks) and ends at
# a colon; the value runs to the next label.
_LABEL = re.compile(r"(?:^|(?<=\s))([A-Za-z][\w()/#.-]*(?: [\w()/#.-]+)*):")
_SYSTEM_MODE_RAT = {
    "LTE": "lte",
    "WCDMA": "umts",
    "HSPA": "hspa",
    "GSM": "gsm",
    "EDGE": "edge",
    "NR5G": "nr5g-sa",
    "ENDC": "nr5g-nsa",
    "EN-DC": "nr5g-nsa",
}
_NONE_VALUES = frozenset({"", "-", "--", "---", "N/A", "NA"})


def gstatus_labels(lines: tuple[str, ...] | list[str] | str) -> dict[str, str]:
    """Every ``Label: value`` pair of a !GSTATUS answer (first occurrence wins).

    Labels are returned as printed (inner whitespace collapsed); a ``PCC:``/``SCC1:``
    section header with nothing after it is skipped; values are stripped.
    """
    text_lines = [lines] if isinstance(lines, str) else list(lines)
    out: dict[str, str] = {}
    for raw in text_lines:
        line = raw.replace("\t", "    ").rstrip()
        if line.upper().startswith("!GSTATUS:"):
            line = line[len("!GSTATUS:") :]
        matches = list(_LABEL.finditer(line))
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
            label = " ".join(m.group(1).split())
            value = " ".join(line[m.end() : end].split())
            if value or label not in ("PCC", "SCC1", "SCC2", "SCC3"):
                out.setdefault(label, value)
    return out


def _value(labels: dict[str, str], *names: str) -> str | None:
    for name in names:
        value = labels.get(name)
        if value is not None and value.upper() not in _NONE_VALUES:
            return value
    return None


def _number(labels: dict[str, str], *names: str) -> float | None:
    value = _value(labels, *names)
    m = re.match(r"-?\d+(\.\d+)?", value or "")
    return None if m is None else float(m.group(0))


def _integer(labels: dict[str, str], *names: str) -> int | None:
    value = _value(labels, *names)
    m = re.match(r"\d+", value or "")
    return None if m is None else int(m.group(0))


def _hex_with_decimal(labels: dict[str, str], *names: str) -> int | None:
    """``03E8 (1000)`` -> 1000: the decimal in brackets when present, else the hex."""
    value = _value(labels, *names)
    if value is None:
        return None
    m = re.search(r"\((\d+)\)", value)
    if m is not None:
        return int(m.group(1))
    h = re.match(r"(?:0x)?([0-9A-Fa-f]+)", value)
    return None if h is None else int(h.group(1), 16)


def parse_gstatus(lines: tuple[str, ...] | list[str] | str) -> ServingCell:
    """Serving-cell values from ``AT!GSTATUS?`` (see the module docstring).

    Labels read: ``System mode`` (LTE -> "lte", WCDMA -> "umts", GSM -> "gsm";
    "No service"/absent -> "none"), ``Mode`` (-> state), ``LTE band`` (``B3`` -> 3),
    ``LTE Rx chan`` / ``LTE channel`` (earfcn), ``PCC RxM RSSI`` / ``RSSI (dBm)``,
    ``RSRP (dBm)``, ``RSRQ (dB)``, ``SINR (dB)`` / ``RSSNR (dB)``, ``TAC`` and
    ``Cell ID`` (hex with the decimal in brackets), ``WCDMA channel`` (uarfcn),
    ``LAC``, ``RxM RSSI C0`` (WCDMA RSSI). Units are as printed (dBm, dB). Every value
    is range-checked (:mod:`agent.modem.ranges`): an impossible one is left absent and
    logged.
    """
    return ranges.drop_invalid(_gstatus(gstatus_labels(lines)), source="!GSTATUS")


def _gstatus(labels: dict[str, str]) -> ServingCell:
    if not labels:
        return ServingCell(rat="none")
    mode = (_value(labels, "System mode") or "").upper()
    rat = next((r for key, r in _SYSTEM_MODE_RAT.items() if mode.startswith(key)), "none")
    band = re.search(r"(\d+)", _value(labels, "LTE band") or "")
    cell = ServingCell(
        state=_value(labels, "Mode"),
        rat=rat,
        band=None if band is None else int(band.group(1)),
        cell_id=_hex_with_decimal(labels, "Cell ID", "LTE Cell ID"),
    )
    if rat == "lte":
        return ServingCell(
            state=cell.state,
            rat=rat,
            band=cell.band,
            cell_id=cell.cell_id,
            earfcn=_integer(labels, "LTE Rx chan", "LTE channel"),
            tac=_hex_with_decimal(labels, "TAC"),
            pci=_integer(labels, "Physical Cell ID"),
            rssi_dbm=_number(labels, "PCC RxM RSSI", "RSSI (dBm)"),
            rsrp_dbm=_number(labels, "RSRP (dBm)"),
            rsrq_db=_number(labels, "RSRQ (dB)"),
            sinr_db=_number(labels, "SINR (dB)", "RSSNR (dB)"),
        )
    if rat in ("umts", "hspa"):
        return ServingCell(
            state=cell.state,
            rat=rat,
            cell_id=cell.cell_id,
            uarfcn=_integer(labels, "WCDMA channel"),
            lac=_hex_with_decimal(labels, "LAC"),
            rssi_dbm=_number(labels, "RxM RSSI C0"),
        )
    return cell
