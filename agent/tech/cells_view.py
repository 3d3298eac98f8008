"""The serving cell, its neighbours and carriers as a technician reads them, the way
NetMonster shows them: band, channel (EARFCN / UARFCN / ARFCN), PCI, TAC and cell id
(with the eNB id and sector on LTE), how many neighbours the modem hears and the
strongest, and the component carriers. Pure: a reading in, JSON and text out; shared
by ``check``, ``survey`` and ``modem read``.

The identifiers (B3, n78, EARFCN, PCI, TAC, CID, eNB) are the same in both languages,
as on the phone apps technicians already use; the words around them come from
:mod:`agent.messages` (the ``cells`` catalogue).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from agent.i18n import Messages
from agent.tech import render
from agent.tech.report import CellsSection

_SERVING = (
    "rat",
    "band",
    "earfcn",
    "uarfcn",
    "arfcn",
    "pci",
    "psc",
    "tac",
    "lac",
    "cell_id",
    "nr_band",
    "nr_pci",
    "nr_arfcn",
)
_LTE = ("lte", "ltem", "nbiot", "nr5g-nsa")
_UMTS = ("umts", "hspa")
_GSM = ("gsm", "edge")


def _plain(cell: Any) -> dict[str, Any]:
    return {k: v for k, v in asdict(cell).items() if v is not None}


def cells_section(sample: Any) -> CellsSection:
    """The cells of a reading (a ``SignalSample``; None: nothing known)."""
    neighbours = getattr(sample, "neighbours", None)
    return CellsSection(
        serving={k: getattr(sample, k, None) for k in _SERVING},
        neighbours_reported=neighbours is not None,
        neighbours=tuple(_plain(n) for n in neighbours or ()),
        carriers=tuple(_plain(c) for c in getattr(sample, "carriers", None) or ()),
    )


def cells_json(sample: Any) -> dict[str, Any]:
    """The ``cells`` object of a reading (:meth:`CellsSection.to_json`)::

    {"serving": {"rat", "band", "earfcn", "uarfcn", "arfcn", "pci", "psc", "tac", "lac",
                 "cell_id", "nr_band", "nr_pci", "nr_arfcn"},   (null: not reported)
     "neighbours_reported": bool,   (false: the modem cannot say; true with count 0:
                                     it hears none)
     "neighbour_count": int, "strongest_neighbour": {...} | null,
     "neighbours": [{"rat", "relation", "pci", "earfcn", "rsrp_dbm", ...}],
     "carriers": [{"primary", "rat", "band", "earfcn" | "arfcn", "bandwidth_mhz", ...}]}
    """
    return cells_section(sample).to_json()


def _cid(rat: str | None, cid: int) -> str:
    if rat in _LTE:
        return f"CID {cid} (eNB {cid >> 8}-{cid & 0xFF})"
    if rat == "nr5g-sa":
        return f"NCI {cid}"
    return f"CID {cid}"


def serving_text(serving: dict[str, Any]) -> str:
    """``B3 · EARFCN 1850 · PCI 123 · TAC 1000 · CID 27447297 (eNB 107216-1)``; "-"
    when nothing is known."""
    rat = serving.get("rat")
    names: tuple[tuple[str, str], ...]
    if rat in _LTE:
        names = (("band", "B"), ("earfcn", "EARFCN "), ("pci", "PCI "), ("tac", "TAC "))
    elif rat == "nr5g-sa":
        names = (("band", "n"), ("arfcn", "ARFCN "), ("pci", "PCI "), ("tac", "TAC "))
    elif rat in _UMTS:
        names = (("uarfcn", "UARFCN "), ("psc", "PSC "), ("lac", "LAC "))
    elif rat in _GSM:
        names = (("arfcn", "ARFCN "), ("lac", "LAC "))
    else:
        return "-"
    parts = [f"{prefix}{serving[k]}" for k, prefix in names if serving.get(k) is not None]
    if serving.get("cell_id") is not None:
        parts.append(_cid(rat, int(serving["cell_id"])))
    return " · ".join(parts) or "-"


def nr_text(serving: dict[str, Any]) -> str | None:
    """The NR leg of 5G NSA (``n78 · ARFCN 627264 · PCI 501``), None without one."""
    parts = [
        f"{prefix}{serving[k]}"
        for k, prefix in (("nr_band", "n"), ("nr_arfcn", "ARFCN "), ("nr_pci", "PCI "))
        if serving.get(k) is not None
    ]
    return " · ".join(parts) if parts else None


def neighbour_text(n: dict[str, Any], m: Messages) -> str:
    """``PCI 301 · EARFCN 500 · -91 dBm (other frequency)``."""
    parts: list[str] = []
    for key, prefix in (("pci", "PCI "), ("psc", "PSC ")):
        if n.get(key) is not None:
            parts.append(f"{prefix}{n[key]}")
    for key, prefix in (("earfcn", "EARFCN "), ("uarfcn", "UARFCN "), ("arfcn", "ARFCN ")):
        if n.get(key) is not None:
            parts.append(f"{prefix}{n[key]}")
    for key in ("rsrp_dbm", "rscp_dbm", "rssi_dbm"):
        if n.get(key) is not None:
            parts.append(f"{render.num(n[key])} dBm")
            break
    text = " · ".join(parts) or "-"
    relation = n.get("relation")
    if relation:
        text += f" ({m('cells.relation.' + relation.replace('-', '_'))})"
    return text


def neighbours_text(cells: dict[str, Any], m: Messages) -> str:
    """How many neighbours and the strongest; or that the modem hears or says none."""
    if not cells["neighbours_reported"]:
        return m("cells.neighbours.not_reported")
    if cells["neighbour_count"] == 0:
        return m("cells.neighbours.none")
    best = cells["strongest_neighbour"]
    shown = "-" if best is None else neighbour_text(best, m)
    return m("cells.neighbours.some", n=cells["neighbour_count"], best=shown)


def carriers_text(carriers: list[dict[str, Any]], m: Messages) -> str:
    """``B3 20 MHz (primary) + B1 10 MHz + n78 100 MHz``."""
    parts = []
    for cc in carriers:
        band = cc.get("band")
        name = "-" if band is None else ("n" if cc.get("rat") == "nr" else "B") + str(band)
        if cc.get("bandwidth_mhz") is not None:
            name += f" {render.num(cc['bandwidth_mhz'])} MHz"
        if cc.get("primary"):
            name += f" ({m('cells.carrier.primary')})"
        parts.append(name)
    return " + ".join(parts)


def cell_rows(cells: dict[str, Any], m: Messages) -> list[tuple[str, str]]:
    """The table rows: the cell, the 5G NR cell (NSA), the neighbours and, with more
    than one carrier, the carriers."""
    rows = [(m("cells.label.cell"), serving_text(cells["serving"]))]
    nr = nr_text(cells["serving"])
    if nr is not None:
        rows.append((m("cells.label.nr"), nr))
    rows.append((m("cells.label.neighbours"), neighbours_text(cells, m)))
    if len(cells["carriers"]) > 1:
        rows.append((m("cells.label.carriers"), carriers_text(cells["carriers"], m)))
    return rows
