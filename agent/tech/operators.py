"""``pantau-agent check`` on a kit with a modem per operator: every modem's operator
side by side, and the one to recommend for the site.

Each ``[[modems]]`` entry is read on its own (:func:`look_at`: identity, then a few
readings; a modem that cannot be opened or read is a row saying so, never an
exception), and graded with the coverage classes the collector uses
(:mod:`pantau.core.coverage`). :func:`recommend` is pure: the best class wins, then
the higher median RSRP, then the higher SINR; a kit where no operator is registered
gets no recommendation (check says to consider a satellite link).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from agent.config import ModemSection
from agent.i18n import Messages
from agent.modem.model import signal_to_proto
from agent.modem.monitor import sim_network
from pantau.core.coverage import RANK, CoverageClass, coverage_class
from pantau.core.operators import operator_name

_REGISTERED = frozenset({"home", "roaming"})


@dataclass(frozen=True, slots=True)
class ModemLook:
    """One modem of the kit as ``check`` saw it (figures are medians of its readings)."""

    name: str
    port: str
    status: str  # "ok", or why not: "not-found", "busy", "no-answer", "error"
    network: str = ""  # its SIM's MCC-MNC
    operator_name: str | None = None
    rat: str | None = None
    reg_state: str | None = None  # of the last reading
    rsrp_dbm: float | None = None
    sinr_db: float | None = None
    readings: int = 0
    registered: int = 0
    coverage: CoverageClass = "unknown"
    error: str = ""


def recommend(looks: Sequence[ModemLook]) -> ModemLook | None:
    """The modem (operator) to use at this site, None when none is registered."""
    usable = [look for look in looks if look.coverage in ("strong", "medium", "weak")]
    if not usable:
        return None
    return min(
        usable,
        key=lambda look: (
            RANK.index(look.coverage),
            -(look.rsrp_dbm if look.rsrp_dbm is not None else -200.0),
            -(look.sinr_db if look.sinr_db is not None else -50.0),
        ),
    )


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def unreadable(name: str, port: str, exc: Exception) -> ModemLook:
    """The row of a modem that could not be opened: why, as a status."""
    from agent.modem.errors import ModemTimeout, PortBusy, PortUnavailable

    status = {PortBusy: "busy", PortUnavailable: "not-found", ModemTimeout: "no-answer"}
    why = next((v for k, v in status.items() if isinstance(exc, k)), "error")
    return ModemLook(name, port, why, error=str(exc))


def summarise(
    name: str, port: str, identity: Any, readings: Sequence[Any], errors: Sequence[str]
) -> ModemLook:
    """Pure: one modem's look from its identity and its readings (``SignalSample``s, in
    order); ``errors``: the readings that failed. Figures are medians, the operator and
    the network those of the last reading."""
    if not readings:
        return ModemLook(name, port, "error", error=errors[-1] if errors else "no reading")
    last = readings[-1]
    rsrp = [r.rsrp_dbm for r in readings if r.rsrp_dbm is not None]
    sinr = [r.sinr_db for r in readings if r.sinr_db is not None]
    registered = sum(r.reg_state in _REGISTERED for r in readings)
    network = sim_network(identity, signal_to_proto(last))
    mcc, _, mnc = network.partition("-")
    named = last.operator_name if last.reg_state in _REGISTERED else None
    return ModemLook(
        name=name,
        port=port,
        status="ok",
        network=network,
        operator_name=named or operator_name(mcc, mnc),
        rat=last.rat,
        reg_state=last.reg_state,
        rsrp_dbm=_median(rsrp),
        sinr_db=_median(sinr),
        readings=len(readings),
        registered=registered,
        coverage=coverage_class(_median(rsrp), _median(sinr), len(readings), registered),
    )


def look_at(modem: ModemSection, samples: int = 3) -> ModemLook:
    """Blocking: open ``modem``, read it ``samples`` times, close it."""
    from agent.modem.errors import ModemError
    from agent.modem.reader import Modem

    reader = Modem(modem.port, dialect=modem.dialect, command_timeout_s=modem.command_timeout_s)
    try:
        try:
            identity = reader.open()
        except (ModemError, OSError, ValueError) as exc:
            return unreadable(modem.name, modem.port, exc)
        readings = []
        errors: list[str] = []
        for _ in range(samples):
            try:
                readings.append(reader.read_signal())
            except ModemError as exc:
                errors.append(str(exc))
        return summarise(modem.name, modem.port, identity, readings, errors)
    finally:
        reader.close()


def compare(modems: Sequence[ModemSection], samples: int = 3) -> list[ModemLook]:
    """Blocking: :func:`look_at` each modem, one after the other."""
    return [look_at(modem, samples) for modem in modems]


def to_json(looks: Sequence[ModemLook], m: Messages) -> dict[str, Any]:
    """``check --json``'s ``operators``: each modem and the recommendation."""
    best = recommend(looks)
    return {
        "modems": [asdict(look) for look in looks],
        "recommended": None if best is None else best.name,
        "recommended_network": None if best is None else best.network,
        "recommendation": _recommendation(best, m),
    }


def _label(look: ModemLook) -> str:
    if look.operator_name and look.network:
        return f"{look.operator_name} ({look.network})"
    return look.network or "?"


def _recommendation(best: ModemLook | None, m: Messages) -> str:
    if best is None:
        return m("operators.recommend_none")
    return m("operators.recommend", operator=_label(best), name=best.name)


def human_lines(looks: Sequence[ModemLook], m: Messages) -> list[str]:
    """The side-by-side block under check's table."""
    lines = ["", m("operators.title")]
    for look in looks:
        if look.status != "ok":
            lines.append("  " + m("operators.unreadable", name=look.name, port=look.port))
            continue
        lines.append(
            "  "
            + m(
                "operators.row",
                name=look.name,
                operator=_label(look),
                coverage=m(f"operators.class.{look.coverage}"),
                rsrp="-" if look.rsrp_dbm is None else f"{look.rsrp_dbm:.0f} dBm",
                sinr="-" if look.sinr_db is None else f"{look.sinr_db:.0f} dB",
            )
        )
    lines.append(_recommendation(recommend(looks), m))
    return lines
