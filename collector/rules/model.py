"""What the rules produce: problem keys, evidence, samples and transitions (no I/O).

A *problem* is identified by its :class:`ProblemKey` ``(site_code, operator,
problem)``: ``operator`` is the MCC-MNC of the operator it concerns (``"510-10"``),
or a queue for problems that are not an operator's: ``"field-team"`` for the kit
(AGENT_SILENT, MODEM_FAULT), ``"satellite"`` for NO_COVERAGE, and ``"unknown"`` when
no serving operator was ever seen at the site. A site whose kit's data does not travel
over a mobile operator (its backhaul: :func:`link_queue`) has its network problems
(HIGH_LOSS, HIGH_LATENCY, LOW_THROUGHPUT) keyed by its link's queue instead.

The engine reports a problem's life as transitions, always in this order per key::

    Started (Updated)* Cleared      and again, never two open at once

Every time in them is an *event time* (when it happened at the site, corrected by
the collector), never an arrival time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pantau.core.backhaul import SATELLITE_BACKHAULS

#: A figure in the evidence: a number, a label, a flag or absent.
Figure = float | int | str | bool | None

FIELD_TEAM = "field-team"
SATELLITE = "satellite"
UNKNOWN_OPERATOR = "unknown"


def link_queue(backhaul: str) -> str | None:
    """The queue of a site's network problems when its kit's link is no mobile
    operator's: ``"satellite"`` for a VSAT (geostationary or low-orbit) kit,
    ``"field-team"`` for a wired one (the site's own line, which the field team
    arranges); None for a cellular kit (the serving operator's)."""
    if backhaul in SATELLITE_BACKHAULS:
        return SATELLITE
    if backhaul == "wired":
        return FIELD_TEAM
    return None


class ProblemName(StrEnum):
    NO_SERVICE = "NO_SERVICE"
    WEAK_SIGNAL = "WEAK_SIGNAL"
    POOR_QUALITY = "POOR_QUALITY"
    HIGH_LOSS = "HIGH_LOSS"
    HIGH_LATENCY = "HIGH_LATENCY"
    LOW_THROUGHPUT = "LOW_THROUGHPUT"
    AGENT_SILENT = "AGENT_SILENT"
    MODEM_FAULT = "MODEM_FAULT"
    NO_COVERAGE = "NO_COVERAGE"


@dataclass(frozen=True, slots=True, order=True)
class ProblemKey:
    site_code: str
    operator: str  # "510-10", or the queue "field-team" / "satellite" / "unknown"
    problem: ProblemName


@dataclass(frozen=True, slots=True)
class Sample:
    """One verdict of a rule at one event time, with the figures it was based on."""

    t_ns: int
    bad: bool
    figures: Mapping[str, Figure] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a problem is open: the figures at its first and at its last bad sample.

    ``last_bad`` holds the window's figures when the condition was last seen bad
    (e.g. ``median_rsrp_dbm``, ``readings``, ``threshold_dbm``, ``operator``,
    ``cell_id``); ``first_bad`` the same at the start. ``flapping`` is true when the
    problem was opened by flap detection rather than by its ``for`` duration.
    """

    first_bad: Mapping[str, Figure]
    last_bad: Mapping[str, Figure]
    flapping: bool = False
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what a ticket stores)."""
        out: dict[str, Any] = {
            "first_bad": dict(self.first_bad),
            "last_bad": dict(self.last_bad),
            "flapping": self.flapping,
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True)
class Problem:
    """An open problem as the engine knows it."""

    key: ProblemKey
    first_bad_ns: int
    last_bad_ns: int
    evidence: Evidence
    historical: bool


@dataclass(frozen=True, slots=True)
class Started:
    """A problem began at ``first_bad_ns`` (its ``for`` is satisfied or it flaps).

    ``historical``: the engine learnt of it only after it had ended (backfilled data):
    record it, page nobody. See :mod:`collector.rules.engine` for the exact rule.
    """

    key: ProblemKey
    first_bad_ns: int
    last_bad_ns: int
    evidence: Evidence
    historical: bool


@dataclass(frozen=True, slots=True)
class Updated:
    """The open problem was seen bad again, up to ``last_bad_ns`` (newer evidence).
    ``historical`` repeats its Started's flag (an update must not make it page)."""

    key: ProblemKey
    first_bad_ns: int
    last_bad_ns: int
    evidence: Evidence
    historical: bool = False


@dataclass(frozen=True, slots=True)
class Cleared:
    """The problem ended at ``cleared_ns``: the first healthy sample after its last bad
    one, confirmed by healthy samples for the rule's ``hold``."""

    key: ProblemKey
    cleared_ns: int
    last_bad_ns: int


Transition = Started | Updated | Cleared
