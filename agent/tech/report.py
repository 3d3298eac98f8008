"""``pantau-agent check``'s report, typed: one frozen dataclass per section.

:func:`agent.tech.check.gather` builds a :class:`Report`, :func:`agent.tech.assess.assess`
reads it, and :meth:`Report.to_json` gives the sections of the ``--json`` document
(schema in :mod:`agent.cli_tech`; ``null`` where a value is unknown). Sections whose
shape depends on what happened say so on their ``to_json``: a probe that gave no
outcome has no ``address``; a throughput test that did not run reports only its
``status`` (and ``reason`` when it failed); the collector's Welcome facts appear only
once a Welcome came. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agent.diskroom import Room


def _plain(section: object) -> dict[str, Any]:
    """A flat section as a JSON object, its fields in declaration order."""
    return {f.name: getattr(section, f.name) for f in dataclasses.fields(section)}  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class ModemSection:
    status: str  # ok | not-configured | not-found | busy | no-answer | error
    port: str | None = None
    error: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    firmware: str | None = None
    imei: str | None = None
    dialect: str | None = None
    from_agent_unix: float | None = None  # the running agent's reading stood in


@dataclass(frozen=True, slots=True)
class SimSection:
    state: str | None = None
    imsi: str | None = None
    iccid: str | None = None


@dataclass(frozen=True, slots=True)
class NetworkSection:
    registered: bool = False
    reg_state: str | None = None
    rat: str | None = None
    generation: str | None = None
    operator: str | None = None
    mcc: str | None = None
    mnc: str | None = None
    roaming: bool = False
    cell_id: int | None = None
    tac: int | None = None
    lac: int | None = None
    band: int | None = None


def _rank(n: Mapping[str, Any]) -> tuple[int, float]:
    """An RSRP beats an RSCP beats an RSSI (levels of kinds that do not compare), then
    the higher level wins; -1 without a level."""
    for tier, name in ((2, "rsrp_dbm"), (1, "rscp_dbm"), (0, "rssi_dbm")):
        if n.get(name) is not None:
            return tier, float(n[name])
    return -1, 0.0


@dataclass(frozen=True, slots=True)
class CellsSection:
    """The serving cell as NetMonster shows it, the neighbours the modem hears and the
    component carriers (from the last reading; see :mod:`agent.tech.cells_view`).
    ``neighbours_reported`` False: the modem cannot say (not: it hears none)."""

    serving: Mapping[str, Any] = field(default_factory=dict)
    neighbours_reported: bool = False
    neighbours: tuple[Mapping[str, Any], ...] = ()
    carriers: tuple[Mapping[str, Any], ...] = ()

    @property
    def strongest(self) -> Mapping[str, Any] | None:
        ranked = [n for n in self.neighbours if _rank(n)[0] >= 0]
        return max(ranked, key=_rank) if ranked else None

    def to_json(self) -> dict[str, Any]:
        strongest = self.strongest
        return {
            "serving": dict(self.serving),
            "neighbours_reported": self.neighbours_reported,
            "neighbour_count": len(self.neighbours),
            "strongest_neighbour": None if strongest is None else dict(strongest),
            "neighbours": [dict(n) for n in self.neighbours],
            "carriers": [dict(c) for c in self.carriers],
        }


@dataclass(frozen=True, slots=True)
class Metric:
    value: float | None
    unit: str
    grade: str | None


@dataclass(frozen=True, slots=True)
class SignalSection:
    grade: str | None = None
    bars: int = 0
    samples: int = 0
    metrics: Mapping[str, Metric] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "grade": self.grade,
            "bars": self.bars,
            "samples": self.samples,
            "metrics": {name: _plain(metric) for name, metric in self.metrics.items()},
        }


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One probe run once: the fields every probe has, then the kind's own
    (``details``, from the prober registry's ``summarize``).

    ``address`` is None when the target was not resolved; ``measured`` False when the
    prober gave no outcome at all (it overran or raised), and then the JSON has no
    ``address``."""

    kind: str
    target: str
    status: str
    reason: str | None = None
    bytes_used: int = 0
    address: str | None = None
    measured: bool = True
    details: Mapping[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def detail(self, name: str) -> Any:
        """One of the kind's own fields (None when this kind has no such field)."""
        return self.details.get(name)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "target": self.target}
        if self.measured:
            out["address"] = self.address
        out.update(status=self.status, reason=self.reason, bytes_used=self.bytes_used)
        out.update(self.details)
        return out


@dataclass(frozen=True, slots=True)
class Throughput:
    """The speed test (:mod:`agent.tech.speedtest`): the upload's figures, the download's
    under ``download``. ``status`` not-configured / skipped / declined: it did not run
    (the JSON has the status and ``need_bps``); timeout / error: no outcome (status and
    reason); otherwise an outcome: ``target``, the figures and ``bytes_used`` as well
    (both directions: what the kernel counted on the sockets)."""

    status: str
    reason: str | None = None
    target: str | None = None
    details: Mapping[str, object] | None = None  # None: no outcome
    bytes_used: int = 0
    download: Throughput | None = None
    need_bps: float | None = None  # the upload the result photos need (the verdict's rule)

    @property
    def goodput_bps(self) -> float | None:
        value = (self.details or {}).get("goodput_bps")
        return float(value) if isinstance(value, int | float) else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.details is None:
            if self.reason is not None:
                out["reason"] = self.reason
        else:
            out.update(reason=self.reason, target=self.target)
            out.update(self.details)
            out["bytes_used"] = self.bytes_used
        if self.need_bps is not None:
            out["need_bps"] = self.need_bps
        if self.download is not None:
            out["download"] = self.download.to_json()
        return out


@dataclass(frozen=True, slots=True)
class ProbesSection:
    results: Mapping[str, ProbeResult] = field(default_factory=dict)
    throughput: Throughput = field(default_factory=lambda: Throughput("not-configured"))

    def to_json(self) -> dict[str, Any]:
        return {
            "results": {name: r.to_json() for name, r in self.results.items()},
            "throughput": self.throughput.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Welcome:
    """What the collector's Welcome said, and the clock offset NTP-style."""

    agent_id: str
    site: str
    acked_through_seq: int
    collector_version: str
    rtt_ms: float
    clock_offset_ms: float


@dataclass(frozen=True, slots=True)
class CollectorSection:
    """``status``: ok | unreachable | rejected | no-credential | reachability-only |
    ca-file | not-configured. The Welcome's fields appear in the JSON only once one
    came; ``ca_file`` only with ``ca-file`` (the CA file cannot serve: ``error`` is the
    problem's code from :mod:`agent.kitfiles`)."""

    address: str | None = None
    status: str = "not-configured"
    reachable: bool | None = None
    enrolled: bool | None = None
    error: str | None = None
    welcome: Welcome | None = None
    ca_file: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "address": self.address,
            "status": self.status,
            "reachable": self.reachable,
            "enrolled": self.enrolled,
            "error": self.error,
        }
        if self.welcome is not None:
            out.update(_plain(self.welcome))
        if self.ca_file is not None:
            out["ca_file"] = self.ca_file
        return out


@dataclass(frozen=True, slots=True)
class SpoolSection:
    path: str
    exists: bool = False
    records: int = 0
    bytes: int = 0
    oldest_age_s: float | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ClockSection:
    synced: bool
    offset_ms: float | None = None


@dataclass(frozen=True, slots=True)
class DataToday:
    """Bytes the probes used today (UTC day); ``this_check_bytes`` are counted in."""

    used_bytes: int = 0
    daily_bytes: int | None = None
    ratio: float | None = None
    day: str | None = None
    error: str | None = None
    this_check_bytes: int = 0


@dataclass(frozen=True, slots=True)
class Photos:
    """Seconds to upload the result photos; ``basis`` measured | estimated | none."""

    total_bytes: int
    uplink_bps: float | None = None
    basis: str = "none"
    seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """Every section of a check, without verdict, reasons and advice (those follow from
    :func:`agent.tech.assess.assess`). ``spool``, ``data_today`` and ``disk`` are None
    without a data directory; ``site`` and ``agent_id`` None without a configuration."""

    modem: ModemSection
    sim: SimSection = field(default_factory=SimSection)
    network: NetworkSection = field(default_factory=NetworkSection)
    signal: SignalSection = field(default_factory=SignalSection)
    cells: CellsSection = field(default_factory=CellsSection)
    probes: ProbesSection = field(default_factory=ProbesSection)
    collector: CollectorSection = field(default_factory=CollectorSection)
    spool: SpoolSection | None = None
    data_today: DataToday | None = None
    disk: Room | None = None  # the data directory's room (None: no data directory)
    clock: ClockSection = field(default_factory=lambda: ClockSection(synced=True))
    photos: Photos = field(default_factory=lambda: Photos(total_bytes=0))
    duration_s: float = 0.0
    site: str | None = None
    agent_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The report's part of the ``--json`` document."""
        return {
            "modem": _plain(self.modem),
            "sim": _plain(self.sim),
            "network": _plain(self.network),
            "signal": self.signal.to_json(),
            "cells": self.cells.to_json(),
            "probes": self.probes.to_json(),
            "collector": self.collector.to_json(),
            "spool": None if self.spool is None else _plain(self.spool),
            "data_today": None if self.data_today is None else _plain(self.data_today),
            "disk": None if self.disk is None else _plain(self.disk),
            "clock": _plain(self.clock),
            "photos": _plain(self.photos),
            "duration_s": self.duration_s,
            "site": self.site,
            "agent_id": self.agent_id,
        }
