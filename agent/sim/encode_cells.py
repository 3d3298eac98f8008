"""The simulated modem's neighbour-cell and carrier answers: pure functions from a
RadioState to Quectel ``+QENG: "neighbourcell"`` / ``+QCAINFO``, SIMCom ``+CENG`` and
Sierra ``!LTEINFO`` lines, in the layouts :mod:`agent.modem.cells` documents (and parses
back exactly: levels in whole dB like a real EC25, bandwidths on the manuals' RB / index
tables).

Defaults: a scenario without ``neighbours`` hears none (the answer is OK alone); the
primary carrier is the serving cell (20 MHz unless ``bandwidth_mhz`` says otherwise);
a 5G NSA state adds its NR carrier (100 MHz) after the scenario's secondaries.
"""

from __future__ import annotations

import math
import re

from agent.modem.cells import LTE_BANDWIDTH_RB_MHZ, NR_BANDWIDTH_INDEX_MHZ
from agent.modem.model import CarrierComponent, NeighbourCell
from agent.sim.encode import registered
from agent.sim.scenario import RadioState

_LTE = ("lte", "ltem", "nbiot", "nr5g-nsa")
_UMTS = ("umts", "hspa")
_GSM = ("gsm", "edge")
_RB = {mhz: rb for rb, mhz in LTE_BANDWIDTH_RB_MHZ.items()}
_NR_INDEX = {mhz: index for index, mhz in NR_BANDWIDTH_INDEX_MHZ.items()}
#: SIMCom models whose manual documents AT+CENG (SIM7000, SIM7070, SIM7080 series).
_CENG_MODEL = re.compile(r"SIM70[0-9]0|SIM80[0-9]0", re.IGNORECASE)


def _n(value: float | None) -> str:
    return "-" if value is None else str(math.floor(value + 0.5))


def _hex(value: int | None) -> str:
    return "-" if value is None else f"{value:X}"


def _qeng_lte_mode(state: RadioState, n: NeighbourCell) -> str | None:
    if n.rat == "lte":
        kind = "intra" if n.earfcn == state.earfcn else "inter"
        return (
            f'+QENG: "neighbourcell {kind}","LTE",{_n(n.earfcn)},{_n(n.pci)},'
            f"{_n(n.rsrq_db)},{_n(n.rsrp_dbm)},{_n(n.rssi_dbm)},{_n(n.sinr_db)},30,5,62,10,62"
        )
    if n.rat == "umts":
        return (
            f'+QENG: "neighbourcell","WCDMA",{_n(n.uarfcn)},3,16,2,{_n(n.psc)},'
            f"{_n(n.rscp_dbm)},{_n(n.ecio_db)},22"
        )
    return None  # the LTE-mode layout has no GSM neighbour line


def _qeng_other_mode(state: RadioState, n: NeighbourCell) -> str | None:
    gsm_mode = state.rat in _GSM
    if n.rat == "lte":
        tail = "" if gsm_mode else ",18"
        return (
            f'+QENG: "neighbourcell","LTE",{_n(n.earfcn)},{_n(n.pci)},'
            f"{_n(n.rsrp_dbm)},{_n(n.rsrq_db)}{tail}"
        )
    if n.rat == "umts":
        if gsm_mode:
            return (
                f'+QENG: "neighbourcell","WCDMA",{_n(n.uarfcn)},{_n(n.psc)},'
                f"{_n(n.rscp_dbm)},{_n(n.ecio_db)}"
            )
        return (
            f'+QENG: "neighbourcell","WCDMA",{_n(n.uarfcn)},20,{_n(n.psc)},'
            f"{_n(n.rscp_dbm)},{_n(n.ecio_db)},1,1,24"
        )
    if gsm_mode:
        return (
            f'+QENG: "neighbourcell","GSM",{state.mcc},{state.mnc},{_hex(n.lac)},'
            f"{_hex(n.cell_id)},21,{_n(n.arfcn)},{_n(n.rssi_dbm)},30,30,0,0"
        )
    return None


def encode_qeng_neighbours(state: RadioState) -> list[str]:
    """``+QENG: "neighbourcell..."`` lines for the serving RAT's layout (none off
    service or on 5G SA, whose neighbour layout the manuals leave open)."""
    if not registered(state) or state.rat in ("none", "nr5g-sa"):
        return []
    encode = _qeng_lte_mode if state.rat in _LTE else _qeng_other_mode
    return [line for n in state.neighbours if (line := encode(state, n)) is not None]


def _lte_cc(role: str, cc: CarrierComponent, state_word: str) -> str:
    rb = _RB.get(cc.bandwidth_mhz or 20.0, 100)
    return (
        f'+QCAINFO: "{role}",{_n(cc.earfcn)},{rb},"LTE BAND {_n(cc.band)}",{state_word},'
        f"{_n(cc.pci)},{_n(cc.rsrp_dbm)},{_n(cc.rsrq_db)},{_n(cc.rssi_dbm)},{_n(cc.sinr_db)}"
    )


def _nr_scc(cc: CarrierComponent) -> str:
    index = _NR_INDEX.get(cc.bandwidth_mhz or 100.0, 12)
    return f'+QCAINFO: "SCC",{_n(cc.arfcn)},{index},"NR5G BAND {_n(cc.band)}",{_n(cc.pci)}'


def encode_qcainfo(state: RadioState) -> list[str]:
    """``+QCAINFO:`` lines: the serving cell as PCC, the scenario's secondaries, and on
    5G NSA the NR carrier; nothing off service or off LTE/NR."""
    if not registered(state) or state.rat not in (*_LTE, "nr5g-sa"):
        return []
    if state.rat == "nr5g-sa":
        index = _NR_INDEX.get(state.bandwidth_mhz or 100.0, 12)
        return [
            f'+QCAINFO: "PCC",{_n(state.earfcn)},{index},"NR5G BAND {_n(state.band)}",'
            f"{_n(state.pci)},{_n(state.rsrp_dbm)},{_n(state.rsrq_db)},{_n(state.sinr_db)}"
        ]
    pcc = CarrierComponent(
        primary=True,
        rat="lte",
        band=state.band,
        earfcn=state.earfcn,
        bandwidth_mhz=state.bandwidth_mhz,
        pci=state.pci,
        rsrp_dbm=state.rsrp_dbm,
        rsrq_db=state.rsrq_db,
        rssi_dbm=state.rssi_dbm,
        sinr_db=state.sinr_db,
    )
    lines = [_lte_cc("PCC", pcc, "1")]
    for cc in state.carriers:
        lines.append(_lte_cc("SCC", cc, "2") + ",0,-,-" if cc.rat == "lte" else _nr_scc(cc))
    if state.rat == "nr5g-nsa":
        nr = CarrierComponent(
            primary=False, rat="nr", band=state.nr_band, arfcn=state.nr_arfcn, pci=state.nr_pci
        )
        lines.append(_nr_scc(nr))
    return lines


def ceng_documented(model: str) -> bool:
    """True for the SIMCom models whose manual documents AT+CENG (SIM7000/7070/7080)."""
    return _CENG_MODEL.search(model) is not None


_CENG_MODE = {"lte": "LTE", "ltem": "LTE CAT-M1", "nbiot": "LTE NB-IOT", "gsm": "GSM"}


def encode_ceng(state: RadioState) -> list[str]:
    """``+CENG:`` (SIM7000 layout): the header, the serving cell as row 0 and its
    neighbours (LTE rows on LTE, GSM rows with rxl on 0..63 on GSM)."""
    mode = _CENG_MODE.get(state.rat) if registered(state) else None
    if mode is None:
        return ["+CENG: 1,1,0,NO SERVICE"]
    if mode == "GSM":
        rows = [(None, state.rssi_dbm, state.cell_id, state.lac)] + [
            (n.arfcn, n.rssi_dbm, n.cell_id, n.lac) for n in state.neighbours if n.rat == "gsm"
        ]
        lines = [f"+CENG: 1,1,{len(rows)},GSM"]
        for i, (arfcn, rssi, cid, lac) in enumerate(rows):
            rxl = "-" if rssi is None else str(max(0, min(63, math.floor(rssi + 111.5))))
            lines.append(
                f'+CENG: {i},"{_n(arfcn)},{rxl},21,{(cid or 0):04x},'
                f'{state.mcc},{state.mnc},{(lac or 0):04x}"'
            )
        return lines
    lte = [n for n in state.neighbours if n.rat == "lte"]
    lines = [f"+CENG: 1,1,{len(lte) + 1},{mode}"]
    lines.append(
        f'+CENG: 0,"{_n(state.earfcn)},{_n(state.pci)},{_n(state.rsrp_dbm)},'
        f"{_n(state.rssi_dbm)},{_n(state.rsrq_db)},{_n(state.sinr_db)},{_n(state.tac)},"
        f'{_n(state.cell_id)},{state.mcc},{state.mnc},255"'
    )
    for i, n in enumerate(lte, start=1):
        lines.append(
            f'+CENG: {i},"{_n(n.earfcn)},{_n(n.pci)},{_n(n.rsrp_dbm)},{_n(n.rssi_dbm)},'
            f'{_n(n.rsrq_db)},{_n(n.sinr_db)}"'
        )
    return lines


def _f(value: float | None) -> str:
    return "--" if value is None else f"{value:.1f}"


def encode_lteinfo(state: RadioState) -> list[str]:
    """``!LTEINFO:`` (Sierra EM7455): the serving table, then the intra-frequency table
    (the serving cell first, as the modem lists it) and the inter-frequency table; LTE
    only (off LTE the answer is the header alone)."""
    lines = ["!LTEINFO: "]
    if not registered(state) or state.rat not in _LTE:
        return lines
    lte = [n for n in state.neighbours if n.rat == "lte"]
    intra = [n for n in lte if n.earfcn in (None, state.earfcn)]
    inter = [n for n in lte if n.earfcn not in (None, state.earfcn)]
    cid = "--" if state.cell_id is None else f"{state.cell_id:08X}"
    lines += [
        "Serving:   EARFCN MCC MNC   TAC      CID Bd D U SNR PCI  RSRQ   RSRP   RSSI RXLV",
        f"{_n(state.earfcn):>17} {state.mcc} {state.mnc:>3} {_n(state.tac):>5} {cid} "
        f"{_n(state.band):>2} 5 5 {_n(state.sinr_db):>3} {_n(state.pci):>3} "
        f"{_f(state.rsrq_db):>5} {_f(state.rsrp_dbm):>6} {_f(state.rssi_dbm):>6} --",
        "",
        "IntraFreq:                                          PCI  RSRQ   RSRP   RSSI RXLV",
    ]
    rows = [(state.pci, state.rsrq_db, state.rsrp_dbm, state.rssi_dbm)]
    rows += [(n.pci, n.rsrq_db, n.rsrp_dbm, n.rssi_dbm) for n in intra]
    for pci, rsrq, rsrp, rssi in rows:
        lines.append(f"{_n(pci):>55} {_f(rsrq):>5} {_f(rsrp):>6} {_f(rssi):>6} --")
    lines += [
        "",
        "InterFreq: EARFCN ThresholdLow ThresholdHi Priority PCI  RSRQ   RSRP   RSSI RXLV",
    ]
    for n in inter:
        lines.append(
            f"{_n(n.earfcn):>17} {0:>12} {0:>11} {0:>8} {_n(n.pci):>3} {_f(n.rsrq_db):>5} "
            f"{_f(n.rsrp_dbm):>6} {_f(n.rssi_dbm):>6}   0"
        )
    return lines
