"""Uptime and time to recover for the after-action report (pure: no I/O, no clock).

:func:`uptime_report` takes the tickets of a window and the (site, operator) pairs
to report on, and returns one :class:`UptimeRow` per site, operator or province.

- A **unit** is a (site, operator) pair: a site on each network it is known on, and
  a site in a queue (``field-team``, ``satellite``, ``unknown``) when it had a ticket
  of that queue.
- A unit is **down** while a service-affecting ticket of it is open: the problems in
  :data:`SERVICE_PROBLEMS` (those that make a site's status ``down``). A ticket is
  open from its first bad reading (``first_bad_ns``) to its resolution, or to the
  window's end while it is still open; a ticket reopened and resolved again counts
  as open from its first bad reading to its last resolution. Overlapping tickets of
  one unit (NO_SERVICE and NO_COVERAGE at once) count once: the **down time** is
  the length of the union of the unit's intervals, clipped to the window.
- A group's **uptime** is ``1 - down / (units * window)``: the share of unit-time
  that was up.
- **Time to recover** is a service-affecting ticket's duration (first bad reading to
  resolution), over the tickets resolved inside the window: the median (the mean of
  the two middle values for an even count) and the 90th percentile (nearest rank:
  the smallest duration that at least 90 % of them do not exceed).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from pantau.core.operators import operator_label
from pantau.core.sites import PROVINCES

By = Literal["site", "operator", "province"]
BY: tuple[By, ...] = ("site", "operator", "province")
SERVICE_PROBLEMS = frozenset({"NO_SERVICE", "NO_COVERAGE", "MODEM_FAULT"})
_S = 1_000_000_000

Unit = tuple[str, str]  # (site code, operator or queue)


@dataclass(frozen=True, slots=True)
class Span:
    """What the report needs of a ticket."""

    site_code: str
    operator: str
    problem: str
    first_bad_ns: int
    resolved_ns: int | None


@dataclass(frozen=True, slots=True)
class UptimeRow:
    """One site, operator or province over the window."""

    #: The API's schema of it lists every key (pydantic reads this of a dataclass).
    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    key: str
    name: str | None
    units: int
    down_s: float
    uptime: float
    tickets: int
    recovered: int
    still_open: int
    ttr_median_s: float | None
    ttr_p90_s: float | None


UPTIME_COLUMNS = [
    "key", "name", "units", "down_s", "uptime", "tickets", "recovered", "still_open",
    "ttr_median_s", "ttr_p90_s",
]  # fmt: skip


def union_length(intervals: Iterable[tuple[int, int]]) -> int:
    """The length covered by half-open intervals ``[start, end)`` (empty ones ignored)."""
    total = 0
    end_so_far: int | None = None
    start_so_far = 0
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if end_so_far is None or start > end_so_far:
            if end_so_far is not None:
                total += end_so_far - start_so_far
            start_so_far, end_so_far = start, end
        else:
            end_so_far = max(end_so_far, end)
    if end_so_far is not None:
        total += end_so_far - start_so_far
    return total


def nearest_rank(values: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile of non-empty ``values``."""
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def _group_of(by: By) -> Callable[[Unit], str]:
    if by == "site":
        return lambda unit: unit[0]
    if by == "operator":
        return lambda unit: unit[1]
    return lambda unit: unit[0][:2]


def _name(by: By, key: str) -> str | None:
    if by == "operator":
        return operator_label(key) or key
    return PROVINCES.get(key[:2])


def uptime_report(
    spans: Iterable[Span],
    units: Iterable[Unit],
    *,
    since_ns: int,
    until_ns: int,
    by: By,
    problems: frozenset[str] = SERVICE_PROBLEMS,
) -> list[UptimeRow]:
    """One row per group of ``by``, in key order. ``units`` are the pairs known to be
    watched (a site on each of its networks); a span's own unit is added to them.
    Spans outside the window or of other problems are ignored."""
    if until_ns <= since_ns:
        raise ValueError(f"the window must end after it starts ({since_ns} >= {until_ns})")
    window_ns = until_ns - since_ns
    intervals: dict[Unit, list[tuple[int, int]]] = {unit: [] for unit in units}
    durations: dict[Unit, list[float]] = {}
    counts: dict[Unit, list[int]] = {}  # unit -> [tickets, recovered, still open]
    for span in spans:
        if span.problem not in problems:
            continue
        end = until_ns if span.resolved_ns is None else span.resolved_ns
        if end <= since_ns or span.first_bad_ns >= until_ns:
            continue
        unit = (span.site_code, span.operator)
        intervals.setdefault(unit, []).append(
            (max(span.first_bad_ns, since_ns), min(end, until_ns))
        )
        count = counts.setdefault(unit, [0, 0, 0])
        count[0] += 1
        if span.resolved_ns is None or span.resolved_ns > until_ns:
            count[2] += 1
        else:
            count[1] += 1
            durations.setdefault(unit, []).append((span.resolved_ns - span.first_bad_ns) / _S)
    group_of = _group_of(by)
    grouped: dict[str, list[Unit]] = {}
    for unit in intervals:
        grouped.setdefault(group_of(unit), []).append(unit)
    rows = []
    for key in sorted(grouped):
        members = grouped[key]
        down_ns = sum(union_length(intervals[u]) for u in members)
        recover = [d for u in members for d in durations.get(u, [])]
        tickets, recovered, still_open = (
            sum(counts.get(u, [0, 0, 0])[i] for u in members) for i in range(3)
        )
        rows.append(
            UptimeRow(
                key=key,
                name=_name(by, key),
                units=len(members),
                down_s=down_ns / _S,
                uptime=round(1 - down_ns / (len(members) * window_ns), 6),
                tickets=tickets,
                recovered=recovered,
                still_open=still_open,
                ttr_median_s=float(statistics.median(recover)) if recover else None,
                ttr_p90_s=nearest_rank(recover, 90) if recover else None,
            )
        )
    return rows


def units_of(networks: Mapping[str, Iterable[str]]) -> list[Unit]:
    """Every (site, network) pair of ``{site: networks}``."""
    return [(code, network) for code, found in networks.items() for network in found]
