"""Helpers the rules share: sliding event-time windows and service classification."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from statistics import median
from typing import TypeVar

from collector.rules.model import UNKNOWN_OPERATOR, Figure, Sample
from collector.rules.observations import Signal
from collector.rules.window import OperatorTimeline

T = TypeVar("T")

#: SIM states that make the kit, not the operator, the problem (MODEM_FAULT).
SIM_FAULT = frozenset({"absent", "pin-required", "puk-required", "error"})
_NO_SERVICE = frozenset(
    {"not-registered", "searching", "denied", "unknown", "emergency-only", "sms-only"}
)
_SERVICE = frozenset({"home", "roaming", "other"})


def has_service(s: Signal) -> bool | None:
    """True: registered with a serving cell; False: no service (not registered, or
    RAT none); None: cannot tell, or the SIM is at fault (a kit problem)."""
    if s.sim_state in SIM_FAULT or s.sim_state == "busy":
        return None
    if s.rat == "none" or s.reg_state in _NO_SERVICE:
        return False
    if s.reg_state in _SERVICE:
        return True
    if s.reg_state is None and s.rat is not None:
        return True  # a serving RAT, no registration reported
    return None


def sliding(
    items: Sequence[T], t_of: Callable[[T], int], window_ns: int
) -> Iterator[tuple[T, deque[T]]]:
    """Each item (sorted by time) with the items within ``window_ns`` up to it,
    itself included (the window ``(t - window_ns, t]``)."""
    win: deque[T] = deque()
    for item in items:
        t = t_of(item)
        win.append(item)
        while t_of(win[0]) <= t - window_ns:
            win.popleft()
        yield item, win


def median_of(values: Sequence[float | None]) -> tuple[float | None, int]:
    present = [v for v in values if v is not None]
    return (median(present) if present else None), len(present)


def signal_figures(s: Signal, timeline: OperatorTimeline) -> dict[str, Figure]:
    return {
        "t_ns": s.event_ns,
        "operator": s.operator or timeline.at(s.event_ns) or UNKNOWN_OPERATOR,
        "operator_name": s.operator_name,
        "rat": s.rat,
        "reg_state": s.reg_state,
        "cell_id": s.cell_id,
    }


def add(streams: dict[str, list[Sample]], key: str, sample: Sample) -> None:
    streams.setdefault(key, []).append(sample)


def sort_streams(streams: dict[str, list[Sample]]) -> dict[str, list[Sample]]:
    """Sort every stream by time; the "unknown" operator's stream (problems seen before
    any reading named an operator) also gets every other operator's healthy samples,
    so it clears when service is healthy again, whoever turns out to serve the site."""
    unknown = streams.get(UNKNOWN_OPERATOR)
    if unknown is not None:
        for operator, samples in streams.items():
            if operator != UNKNOWN_OPERATOR:
                unknown.extend(s for s in samples if not s.bad)
    for samples in streams.values():
        samples.sort(key=lambda s: s.t_ns)
    return streams
