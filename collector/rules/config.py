"""The rules file (TOML): thresholds, ``for`` and ``hold`` per rule; defaults without one.

Every key is optional; a file holds only what differs from the defaults, e.g.::

    [engine]
    historical_after_s = 600      # learnt of this late and it had ended: historical

    [weak_signal]
    for_s = 300                   # bad this long (event time) before a problem starts
    hold_s = 300                  # healthy this long before it clears
    lte_min_rsrp_dbm = -110       # bad: the windowed median below this
    window_s = 300                # the median's window

    [high_latency]
    enabled = false

    [backhaul.vsat-geo]           # a kit on a geostationary VSAT link (Hello.backhaul)
    max_rtt_ms = 1500             # its HIGH_LATENCY limit instead of [high_latency]'s
    max_loss_ratio = 0.3          # its HIGH_LOSS limit instead of [high_loss]'s
    [incidents]                   # how tickets group into incidents (IncidentsSection)
    group_wait_s = 30

Common keys of every rule: ``enabled``, ``for_s``, ``hold_s`` (both may be 0, and
a few seconds is fine for demos), ``flap_window_s`` and ``flap_changes``
(Nagios-style flap detection: that many good/bad changes within the window open
the problem even though no bad run lasted ``for_s``; 0 turns it off).

How windowed figures are computed (``window_s``): each reading is judged on the
median (WEAK_SIGNAL, POOR_QUALITY, HIGH_LATENCY, LOW_THROUGHPUT) or mean
(HIGH_LOSS) of the readings of its series (operator, and RAT family for the radio
rules) within ``window_s`` before it, itself included. The collector keeps these
as summaries updated as readings enter and leave the window, not recomputed from
the whole window (:mod:`collector.rules.series`), so judging a reading costs the
same whether the window holds 10 readings or 10,000. Medians are exact (no
sampling, no bins). The mean loss is the exact mean rounded once to a float; a
left-to-right float sum can differ from it in the last bits (about 1e-16), so a
mean loss exactly equal to ``max_loss_ratio`` may be judged either side of it.
A rule reads the site's window again, at a cost in proportion to the readings it
holds, when the window changed other than by newer readings (data older than the
site's newest; a trim within the rule's reach, as at ``max_observations`` of a kind:
data leaving ``horizon_s`` is usually beyond it) and while the rule has a problem
open, held back or in the making at the site (its ``for`` and ``hold`` are then
judged over the rule's lookback again, as always); ``python -m bench.rules``
reports both costs.

Backhauls (``[backhaul.NAME]``, NAME one of :data:`pantau.core.backhaul.BACKHAULS`):
a site is judged against the baseline of the link its kit declares (cellular when it
says nothing): HIGH_LATENCY against the backhaul's ``max_rtt_ms``, HIGH_LOSS against
its ``max_loss_ratio``; a key left out keeps the built-in default of that backhaul
(:data:`DEFAULT_BACKHAULS`), and cellular's defaults are the rules' own
(``[high_latency] max_rtt_ms``, ``[high_loss] max_loss_ratio``). Built in::

    backhaul    max_rtt_ms          max_loss_ratio
    cellular    [high_latency] 300  [high_loss] 0.2
    vsat-geo    1200                0.25     RTT 500-700 ms is normal; rain fade
    vsat-leo    250                 0.1      RTT 25-60 ms, loss at satellite handovers
    wired       150                 0.05

A site on a satellite or wired link is judged on its link, not on a mobile operator:
its HIGH_LOSS, HIGH_LATENCY and LOW_THROUGHPUT go to the ``satellite`` queue (vsat-geo,
vsat-leo) or the ``field-team`` queue (wired, which no operator serves), and
NO_COVERAGE (recommend a satellite link) is not judged there; the radio rules judge a
modem kept for readings as at any site (a kit without a modem sends none).

Bad files are refused with :class:`pantau.core.tomlconfig.ConfigError` naming the file,
the key and what is expected; :func:`check_rules_file` is
``pantau-collector rules check FILE``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from collector.incidents import Settings
from collector.rules.model import ProblemName
from pantau.core.backhaul import BACKHAULS, CELLULAR
from pantau.core.tomlconfig import ConfigError, build, read_toml, setting

_S = 1_000_000_000
_DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class Timing:
    """A rule's durations in ns, as the tracker uses them."""

    for_ns: int
    hold_ns: int
    flap_window_ns: int
    flap_changes: int  # 0: flap detection off


@dataclass(frozen=True)
class RuleSection:
    """Keys every rule has."""

    enabled: bool = True
    for_s: float = setting(300.0, min=0, max=_DAY_S)
    hold_s: float = setting(300.0, min=0, max=_DAY_S)
    flap_window_s: float = setting(600.0, min=1, max=_DAY_S)
    flap_changes: int = setting(6, min=0, max=1000)

    def __post_init__(self) -> None:
        if self.flap_changes == 1:
            raise ValueError("flap_changes: expected 0 (off) or at least 2, got 1")

    def timing(self) -> Timing:
        return Timing(
            for_ns=int(self.for_s * _S),
            hold_ns=int(self.hold_s * _S),
            flap_window_ns=int(self.flap_window_s * _S),
            flap_changes=self.flap_changes,
        )

    def span_s(self) -> tuple[float, str]:
        """How much history (event time) the rule needs, and how that is made up."""
        return self.for_s, f"for_s {self.for_s:g}"


@dataclass(frozen=True)
class WindowedSection(RuleSection):
    """A rule judging a windowed figure (median, mean) over ``window_s`` of event time."""

    window_s: float = setting(300.0, min=1, max=_DAY_S)

    def span_s(self) -> tuple[float, str]:
        return self.for_s + self.window_s, f"for_s {self.for_s:g} + window_s {self.window_s:g}"


@dataclass(frozen=True)
class NoServiceSection(RuleSection):
    """Not registered (searching, denied, idle, emergency only, SMS only) or no serving
    cell (RAT none). A SIM fault is MODEM_FAULT, not NO_SERVICE."""

    for_s: float = setting(120.0, min=0, max=_DAY_S)


@dataclass(frozen=True)
class WeakSignalSection(WindowedSection):
    """Bad: the median, over ``window_s``, of the serving RAT's level is below its
    threshold (defaults: FIELD.md LTE grades, -100 dBm is already "poor")."""

    lte_min_rsrp_dbm: float = setting(-110.0, min=-140, max=-44)  # LTE, LTE-M, NB-IoT, NSA
    nr_min_rsrp_dbm: float = setting(-110.0, min=-156, max=-31)  # NR SA
    umts_min_rscp_dbm: float = setting(-105.0, min=-121, max=-25)  # UMTS, HSPA
    gsm_min_rssi_dbm: float = setting(-100.0, min=-113, max=-51)  # GSM, EDGE


@dataclass(frozen=True)
class PoorQualitySection(WindowedSection):
    """Bad: the windowed median SINR or RSRQ (LTE/NR), or Ec/Io (UMTS), below its floor."""

    min_sinr_db: float = setting(0.0, min=-20, max=30)
    min_rsrq_db: float = setting(-15.0, min=-20, max=-3)
    umts_min_ecio_db: float = setting(-15.0, min=-24.5, max=0)


@dataclass(frozen=True)
class HighLossSection(WindowedSection):
    """Bad: the mean loss of the ping rounds within ``window_s`` is above the limit."""

    max_loss_ratio: float = setting(0.2, min=0, max=1)


@dataclass(frozen=True)
class HighLatencySection(WindowedSection):
    """Bad: the median of the rounds' median RTT within ``window_s`` is above the limit."""

    max_rtt_ms: float = setting(300.0, min=1, max=60_000)


@dataclass(frozen=True)
class LowThroughputSection(WindowedSection):
    """Bad: a direction's median goodput within ``window_s`` is below its floor. Tests
    run rarely, so one bad test is enough by default; skipped tests (data budget)
    are no measurement at all."""

    for_s: float = setting(0.0, min=0, max=_DAY_S)
    hold_s: float = setting(0.0, min=0, max=_DAY_S)
    window_s: float = setting(10_800.0, min=1, max=7 * _DAY_S)
    min_download_bps: float = setting(1_000_000.0, min=0)
    min_upload_bps: float = setting(250_000.0, min=0)


@dataclass(frozen=True)
class AgentSilentSection(RuleSection):
    """Bad: nothing heard from the agent for ``intervals`` x ``expected_interval_s``
    (arrival time; judged as time passes, like Zabbix ``nodata()``). ``for_s`` adds
    to that. The problem's first_bad is the first missed report."""

    for_s: float = setting(0.0, min=0, max=_DAY_S)
    hold_s: float = setting(120.0, min=0, max=_DAY_S)
    # Off: an agent reporting at about its expected interval alternates heard / missed
    # samples, which is not flapping of the site but jitter of the schedule.
    flap_changes: int = setting(0, min=0, max=1000)
    expected_interval_s: float = setting(60.0, min=0.1, max=_DAY_S)
    intervals: int = setting(5, min=2, max=1000)
    #: After an authentic SMS lifeline message the kit counts as alive this long (its
    #: data path is down, not the kit): longer than the kits' ``[sms] repeat_s``.
    sms_alive_s: float = setting(3900.0, min=0, max=_DAY_S)

    def timing(self) -> Timing:
        base = RuleSection.timing(self)
        silent_ns = int(self.expected_interval_s * (self.intervals - 1) * _S)
        return Timing(base.for_ns + silent_ns, base.hold_ns, base.flap_window_ns, base.flap_changes)

    def span_s(self) -> tuple[float, str]:
        silent = self.expected_interval_s * self.intervals
        return self.for_s + silent, (
            f"for_s {self.for_s:g} + intervals {self.intervals} x expected_interval_s "
            f"{self.expected_interval_s:g}"
        )


@dataclass(frozen=True)
class ModemFaultSection(RuleSection):
    """Bad: the modem is lost (MODEM_LOST until MODEM_BACK or a reading), or the SIM is
    absent, locked (PIN/PUK) or failing."""

    for_s: float = setting(120.0, min=0, max=_DAY_S)


@dataclass(frozen=True)
class NoCoverageSection(RuleSection):
    """Bad: no reading within ``coverage_window_s`` had service, whatever the operator
    (every operator the kit saw or tried is down here), for ``for_s``: recommend a
    BAKTI / satellite link. Judged per window, so flap detection is off by default."""

    for_s: float = setting(3600.0, min=0, max=7 * _DAY_S)
    hold_s: float = setting(600.0, min=0, max=_DAY_S)
    flap_changes: int = setting(0, min=0, max=1000)
    coverage_window_s: float = setting(600.0, min=1, max=_DAY_S)

    def span_s(self) -> tuple[float, str]:
        return self.for_s + self.coverage_window_s, (
            f"for_s {self.for_s:g} + coverage_window_s {self.coverage_window_s:g}"
        )


@dataclass(frozen=True, slots=True)
class BackhaulSection:
    """A backhaul's baseline (``[backhaul.NAME]``); None: the rule's own limit."""

    max_rtt_ms: float | None = setting(None, min=1, max=60_000)
    max_loss_ratio: float | None = setting(None, min=0, max=1)


#: The built-in baselines (geostationary RTT 500-700 ms is normal, not HIGH_LATENCY).
DEFAULT_BACKHAULS: Mapping[str, BackhaulSection] = MappingProxyType(
    {
        CELLULAR: BackhaulSection(),
        "vsat-geo": BackhaulSection(max_rtt_ms=1200.0, max_loss_ratio=0.25),
        "vsat-leo": BackhaulSection(max_rtt_ms=250.0, max_loss_ratio=0.1),
        "wired": BackhaulSection(max_rtt_ms=150.0, max_loss_ratio=0.05),
    }
)


@dataclass(frozen=True, slots=True)
class Baseline:
    """The limits a site on one backhaul is judged against."""

    max_rtt_ms: float
    max_loss_ratio: float


@dataclass(frozen=True, slots=True)
class EngineSection:
    """``horizon_s``: how much event time a site's window keeps (also the bounded
    lateness: data older than the site's newest minus this is not evaluated);
    ``max_observations``: the cap per kind (signal, ping, ...) per site (a window at
    the cap is trimmed by every new reading, and a trimmed window is read again at
    the next judgement: keep it above what ``horizon_s`` holds at the kits' cadence);
    ``historical_after_s``: learnt of later than this, and already over: historical;
    ``update_every_s``: an open problem's Updated at most once per this much event time."""

    horizon_s: float = setting(10_800.0, min=60, max=7 * _DAY_S)
    max_observations: int = setting(2000, min=10, max=100_000)
    historical_after_s: float = setting(600.0, min=0, max=_DAY_S)
    update_every_s: float = setting(300.0, min=0, max=_DAY_S)


@dataclass(frozen=True, slots=True)
class IncidentsSection:
    """How tickets group into incidents and when incidents page (:mod:`collector.incidents`).

    ``group_wait_s``: an incident waits this long before its first page, so sites
    failing together are one incident first; ``hold_s``: an incident with no live
    ticket stays open this long (a ticket back meanwhile rejoins it); an ``update`` is
    paged when the affected count moved by ``update_min_change_sites`` sites or by
    ``update_min_change_ratio`` of the count last paged, at most once per
    ``update_min_interval_s``; an area incident needs ``area_min_sites`` sites of one
    kabupaten/kota (``field_min_sites`` for kit faults) gone bad within ``area_window_s``
    of each other, and a province-level one area incidents in ``province_min_kabupaten``
    kabupaten; ``outage_grace_s``: a site's network problems (loss, latency,
    throughput) while it has NO_SERVICE on that operator, or within this long after,
    are the outage's (a kit without service reaches nothing, and the rules' windows
    hold that loss for a while): recorded, never an incident of their own; ``enabled =
    false`` pages per ticket, as before incidents."""

    enabled: bool = True
    group_wait_s: float = setting(30.0, min=0, max=3600)
    hold_s: float = setting(300.0, min=0, max=_DAY_S)
    update_min_interval_s: float = setting(300.0, min=0, max=_DAY_S)
    update_min_change_ratio: float = setting(0.25, min=0.01, max=10)
    update_min_change_sites: int = setting(5, min=1, max=1_000_000)
    area_min_sites: int = setting(5, min=2, max=1_000_000)
    area_window_s: float = setting(600.0, min=1, max=_DAY_S)
    province_min_kabupaten: int = setting(3, min=2, max=1000)
    field_min_sites: int = setting(3, min=2, max=1_000_000)
    outage_grace_s: float = setting(600.0, min=0, max=_DAY_S)

    def settings(self) -> Settings:
        return Settings(
            group_wait_ns=int(self.group_wait_s * _S),
            hold_ns=int(self.hold_s * _S),
            update_min_interval_ns=int(self.update_min_interval_s * _S),
            update_min_change_ratio=self.update_min_change_ratio,
            update_min_change_sites=self.update_min_change_sites,
            area_min_sites=self.area_min_sites,
            area_window_ns=int(self.area_window_s * _S),
            province_min_kabupaten=self.province_min_kabupaten,
            field_min_sites=self.field_min_sites,
            outage_grace_ns=int(self.outage_grace_s * _S),
        )


@dataclass(frozen=True)
class RulesConfig:
    """The whole rules file; ``RulesConfig()`` is the built-in defaults."""

    engine: EngineSection = field(default_factory=EngineSection)
    no_service: NoServiceSection = field(default_factory=NoServiceSection)
    weak_signal: WeakSignalSection = field(default_factory=WeakSignalSection)
    poor_quality: PoorQualitySection = field(default_factory=PoorQualitySection)
    high_loss: HighLossSection = field(default_factory=HighLossSection)
    high_latency: HighLatencySection = field(default_factory=HighLatencySection)
    low_throughput: LowThroughputSection = field(default_factory=LowThroughputSection)
    agent_silent: AgentSilentSection = field(default_factory=AgentSilentSection)
    modem_fault: ModemFaultSection = field(default_factory=ModemFaultSection)
    no_coverage: NoCoverageSection = field(default_factory=NoCoverageSection)
    backhaul: Mapping[str, BackhaulSection] = field(default_factory=lambda: DEFAULT_BACKHAULS)

    def baseline(self, backhaul: str) -> Baseline:
        """The limits of a site on ``backhaul`` (an unknown one: cellular's)."""
        own = self.backhaul.get(backhaul) or self.backhaul.get(CELLULAR) or BackhaulSection()
        rtt, loss = own.max_rtt_ms, own.max_loss_ratio
        return Baseline(
            self.high_latency.max_rtt_ms if rtt is None else rtt,
            self.high_loss.max_loss_ratio if loss is None else loss,
        )

    incidents: IncidentsSection = field(default_factory=IncidentsSection)

    def section(self, name: ProblemName) -> RuleSection:
        section: RuleSection = getattr(self, name.value.lower())
        return section

    def enabled(self) -> list[ProblemName]:
        return [name for name in ProblemName if self.section(name).enabled]


def _check_horizon(config: RulesConfig, source: str) -> None:
    needed, why, table = 0.0, "", ""
    for name in config.enabled():
        span, parts = config.section(name).span_s()
        if span > needed:
            needed, why, table = span, parts, name.value.lower()
    horizon = config.engine.horizon_s
    if horizon < needed:
        raise ConfigError(
            source,
            f"[engine] horizon_s: expected at least {needed:g} (the longest rule needs "
            f"[{table}] {why}), got {horizon:g}",
        )


def rules_from_mapping(data: Mapping[str, Any], *, source: str) -> RulesConfig:
    """Build and validate a :class:`RulesConfig` from parsed TOML."""
    rest = dict(data)
    backhauls = _backhauls(rest.pop("backhaul", {}), source)
    config = replace(build(RulesConfig, rest, source=source), backhaul=backhauls)
    _check_horizon(config, source)
    return config


def _backhauls(raw: object, source: str) -> dict[str, BackhaulSection]:
    """``[backhaul.NAME]`` tables laid over :data:`DEFAULT_BACKHAULS`, key by key."""
    if not isinstance(raw, dict):
        raise ConfigError(
            source, f"[backhaul]: expected tables such as [backhaul.vsat-geo], got {raw!r}"
        )
    out = dict(DEFAULT_BACKHAULS)
    table: Any
    for name, table in raw.items():
        if name not in BACKHAULS:
            known = ", ".join(BACKHAULS)
            raise ConfigError(source, f"[backhaul.{name}]: unknown backhaul (known: {known})")
        given = build(BackhaulSection, table, source=source, where=f"[backhaul.{name}]")
        out[name] = replace(out[name], **{key: getattr(given, key) for key in table})
    return out


def load_rules(path: Path | None) -> RulesConfig:
    """The rules of ``path``, or the built-in defaults when ``path`` is None."""
    if path is None:
        return RulesConfig()
    return rules_from_mapping(read_toml(path), source=str(path))


def describe(config: RulesConfig) -> str:
    """``9 rules: NO_SERVICE, ...`` (and which are disabled)."""
    on = config.enabled()
    text = f"{len(on)} rules: {', '.join(on)}" if on else "0 rules"
    off = [name.value for name in ProblemName if name not in on]
    return f"{text}; disabled: {', '.join(off)}" if off else text


def check_rules_file(path: Path) -> tuple[int, str]:
    """``pantau-collector rules check FILE``: (0, ``"FILE: OK (9 rules: ...)"``) or
    (2, the error naming the file, the key and what is expected)."""
    try:
        config = load_rules(path)
    except ConfigError as exc:
        return 2, str(exc)
    return 0, f"{path}: OK ({describe(config)})"


__all__ = [
    "DEFAULT_BACKHAULS",
    "AgentSilentSection",
    "BackhaulSection",
    "Baseline",
    "EngineSection",
    "IncidentsSection",
    "RuleSection",
    "RulesConfig",
    "Timing",
    "check_rules_file",
    "describe",
    "load_rules",
    "rules_from_mapping",
]
