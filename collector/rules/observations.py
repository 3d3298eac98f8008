"""Observations: the typed facts the rules reason about (the rules see nothing else).

They are built at the edge, from pantau.v1 Records and stored rows, by
:mod:`collector.observe`; this package imports neither the store nor pantau.v1.

Each observation carries its *event time* (``event_ns``, ns since the Unix epoch,
as corrected by the collector: :mod:`collector.clocks`) and, where known, the
operator it concerns as ``"MCC-MNC"`` (``"510-10"``). A signal reading names its
serving operator itself; a ping or a throughput result does not (unless it came
from one modem of a kit with a modem per operator: then its modem's SIM operator,
as for a reading without service), so its ``operator`` is None and the rules
attribute it, by event time, to the site's
serving operator at that moment (the nearest earlier reading that named one:
see :meth:`collector.rules.window.OperatorTimeline.at`). Doing that at
evaluation rather than at conversion keeps the attribution right when readings
arrive out of order.

:class:`Heard` is different: it is "the collector heard from the agent at t", and
its time is the *arrival* time (``received_ns``): AGENT_SILENT is about what the
collector heard, like Zabbix ``nodata()``.

Records that no rule reads (tcp, dns, http, trace, and agent events other than the
modem/SIM ones) give no observation (:data:`KIT_EVENT_KINDS`: the agent events read).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Signal:
    event_ns: int
    operator: str | None  # "510-10"; None when the modem named no operator
    operator_name: str | None
    rat: str | None  # "lte", "umts", "gsm", "none", ... (RAT_ labels); None: not reported
    reg_state: str | None  # "home", "roaming", "searching", "denied", ...
    sim_state: str | None  # "ready", "absent", "pin-required", ...
    cell_id: int | None = None
    rsrp_dbm: float | None = None
    rsrq_db: float | None = None
    sinr_db: float | None = None
    rssi_dbm: float | None = None
    rscp_dbm: float | None = None
    ecio_db: float | None = None
    modem: str = ""  # the kit's modem that read it (Record.modem.name); "" for one modem


@dataclass(frozen=True, slots=True)
class Ping:
    event_ns: int
    operator: str | None
    target: str
    status: str  # "ok", "timeout", "unreachable", ... (PROBE_STATUS_ labels)
    loss_ratio: float
    median_ms: float | None = None
    avg_ms: float | None = None
    sent: int = 0
    received: int = 0


@dataclass(frozen=True, slots=True)
class Throughput:
    event_ns: int
    operator: str | None
    direction: str | None  # "download" | "upload"
    status: str  # "skipped-budget" is not a measurement: the rules ignore it
    goodput_bps: float | None


@dataclass(frozen=True, slots=True)
class KitEvent:
    event_ns: int
    kind: str  # "modem-lost", "modem-back", "sim-problem", "reboot", "agent-started"
    message: str = ""
    modem: str = ""  # the kit's modem it concerns (Record.modem.name); "" for one modem


@dataclass(frozen=True, slots=True)
class Heard:
    """The collector received something from the agent at ``event_ns`` (arrival time);
    ``by_sms``: an authentic SMS lifeline message (collector.lifeline), which proves the
    kit alive for ``[agent_silent] sms_alive_s`` though its data path is down."""

    event_ns: int
    by_sms: bool = False


Observation = Signal | Ping | Throughput | KitEvent | Heard

#: Agent events the rules read (the others describe the spool or the clock).
KIT_EVENT_KINDS = frozenset({"modem-lost", "modem-back", "sim-problem", "reboot", "agent-started"})


def operator_key(mcc: str | None, mnc: str | None) -> str | None:
    """``("510", "010")`` -> ``"510-10"`` (a three-digit MNC with a leading zero is its
    two-digit form, as modems print both); None unless both are digits."""
    if mcc is None or mnc is None:
        return None
    mcc, mnc = mcc.strip(), mnc.strip()
    if not (mcc.isdigit() and mnc.isdigit()):
        return None
    if len(mnc) == 3 and mnc.startswith("0"):
        mnc = mnc[1:]
    return f"{mcc}-{mnc}"
