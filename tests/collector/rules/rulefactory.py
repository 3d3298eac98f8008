"""Observations and drivers for the rules tests: times in seconds from T0, no clock."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from collector.rules import (
    Cleared,
    Heard,
    KitEvent,
    Observation,
    Ping,
    RuleEngine,
    Signal,
    Started,
    Throughput,
    Transition,
    Updated,
)
from collector.rules.config import rules_from_mapping

S = 1_000_000_000
T0 = 1_700_000_000 * S
SITE = "3171011001005"
TSEL = "510-10"


def at(t_s: float) -> int:
    return T0 + int(t_s * S)


def lte(
    t_s: float,
    *,
    rsrp: float = -85.0,
    sinr: float | None = 15.0,
    rsrq: float | None = -9.0,
    op: str | None = TSEL,
    rat: str = "lte",
    reg: str | None = "home",
    sim: str | None = "ready",
    cell: int | None = 1234,
) -> Signal:
    return Signal(
        event_ns=at(t_s),
        operator=op,
        operator_name="Telkomsel" if op == TSEL else None,
        rat=rat,
        reg_state=reg,
        sim_state=sim,
        cell_id=cell,
        rsrp_dbm=rsrp,
        rsrq_db=rsrq,
        sinr_db=sinr,
    )


def umts(t_s: float, rscp: float, op: str | None = TSEL) -> Signal:
    return Signal(at(t_s), op, None, "umts", "home", "ready", 77, rscp_dbm=rscp, ecio_db=-6.0)


def gsm(t_s: float, rssi: float, op: str | None = TSEL) -> Signal:
    return Signal(at(t_s), op, None, "gsm", "home", "ready", 55, rssi_dbm=rssi)


def no_service(t_s: float, reg: str = "searching", sim: str | None = "ready") -> Signal:
    return Signal(at(t_s), None, None, "none", reg, sim)


def ping(t_s: float, *, loss: float = 0.0, rtt: float | None = 40.0, status: str = "ok") -> Ping:
    sent = 10
    return Ping(at(t_s), None, "collector", status, loss, rtt, rtt, sent, round(sent * (1 - loss)))


def tput(
    t_s: float, bps: float | None, direction: str = "download", status: str = "ok"
) -> Throughput:
    return Throughput(at(t_s), None, direction, status, bps)


def event(t_s: float, kind: str, message: str = "") -> KitEvent:
    return KitEvent(at(t_s), kind, message)


def heard(t_s: float) -> Heard:
    return Heard(at(t_s))


def engine_with(**tables: dict[str, Any]) -> RuleEngine:
    return RuleEngine(rules_from_mapping(dict(tables), source="test.toml"))


def live(
    engine: RuleEngine,
    steps: Iterable[tuple[float, Sequence[Observation]]],
    *,
    site: str = SITE,
    lag_s: float = 0.0,
) -> list[tuple[float, Transition]]:
    """Feed each step's observations, then evaluate at the step's time + lag (live)."""
    out: list[tuple[float, Transition]] = []
    for t_s, observations in steps:
        engine.observe(site, observations)
        out.extend((t_s, tr) for tr in engine.evaluate(site, at(t_s + lag_s)))
    return out


def every(
    start_s: float, stop_s: float, step_s: float, make: Callable[[float], Sequence[Observation]]
) -> list[tuple[float, Sequence[Observation]]]:
    steps = []
    t = start_s
    while t < stop_s:
        steps.append((t, make(t)))
        t += step_s
    return steps


def of(
    transitions: Iterable[tuple[float, Transition]], problem: str
) -> list[tuple[float, Transition]]:
    return [(t, tr) for t, tr in transitions if tr.key.problem == problem]


def kinds(transitions: Iterable[tuple[float, Transition]]) -> list[str]:
    names = {Started: "started", Updated: "updated", Cleared: "cleared"}
    return [names[type(tr)] for _, tr in transitions]
