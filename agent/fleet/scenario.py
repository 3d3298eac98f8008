"""The fleet's scenario file: an election day, read from TOML and validated (pure).

Times are local times of the election day, ``"HH:MM"``, or of the day before,
``"D-1 HH:MM"``; internally they are simulated seconds since election-day midnight
(negative the day before). Every table and key is documented in ``docs/fleet.md``;
a bad value is a :class:`pantau.core.tomlconfig.ConfigError` naming the file, the
key and what is expected, as for every other Pantau TOML file.

:func:`plan` turns a scenario and the kits into a :class:`Plan`: which kit joins
when, which kits an outage, a degradation or an offline spell takes, and which kits
have no clock; :meth:`Plan.conditions` then answers, for one kit at one simulated
time, what its link and radio are like. Everything is decided from the scenario's
seed, so two runs of one scenario do the same thing.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from pantau.core.sites import PROVINCES
from pantau.core.tomlconfig import build, load, setting

_TIME = re.compile(r"^(?:D-1\s+)?([01]\d|2[0-3]):([0-5]\d)$")
_OPERATOR = re.compile(r"^\d{3}-\d{2,3}$")
DAY_S = 24 * 3600


def parse_time(text: str) -> int:
    """``"07:00"`` -> 25200; ``"D-1 16:00"`` -> -28800; ValueError otherwise."""
    match = _TIME.match(text.strip())
    if match is None:
        raise ValueError(f'expected a time like "07:00" or "D-1 16:00", got {text!r}')
    seconds = int(match[1]) * 3600 + int(match[2]) * 60
    return seconds - DAY_S if text.strip().startswith("D-1") else seconds


def format_time(sim_s: float) -> str:
    """Simulated seconds -> ``"D-1 16:00:05"`` / ``"09:30:00"`` (``D+1`` past midnight)."""
    day, rest = divmod(int(sim_s), DAY_S)
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return clock if day == 0 else f"D{day:+d} {clock}"


def _time_field(owner: object, name: str) -> None:
    try:
        parse_time(getattr(owner, name))
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _operator_field(owner: object, name: str) -> None:
    if not _OPERATOR.match(getattr(owner, name)):
        raise ValueError(f'{name}: expected MCC-MNC like "510-10", got {getattr(owner, name)!r}')


@dataclass(frozen=True)
class Cadence:
    """How often a kit measures and sends, in simulated seconds."""

    signal_every_s: float = setting(60.0, min=1, max=DAY_S)
    ping_every_s: float = setting(60.0, min=1, max=DAY_S)
    dns_every_s: float = setting(300.0, min=1, max=DAY_S)
    http_every_s: float = setting(300.0, min=1, max=DAY_S)
    batch_every_s: float = setting(60.0, min=1, max=DAY_S)


@dataclass(frozen=True)
class Day:
    date: str = "2024-02-14"
    utc_offset_h: int = setting(7, min=-12, max=14)
    start: str = "D-1 16:00"
    seed: int = 1

    def __post_init__(self) -> None:
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", self.date):
            raise ValueError(f'date: expected a date like "2024-02-14", got {self.date!r}')
        _time_field(self, "start")


@dataclass(frozen=True)
class Fleet:
    #: Share of kits per operator (MCC-MNC); normalised, so weights work too.
    operators: dict[str, float] = field(
        default_factory=lambda: {"510-10": 0.5, "510-01": 0.3, "510-11": 0.2}
    )
    #: Provinces (two-digit codes) the kits' TPS codes are spread over.
    provinces: list[str] = field(default_factory=lambda: ["31", "32", "33", "35", "51", "73"])
    clockless_share: float = setting(0.05, min=0, max=1)
    join_at: str = "D-1 16:00"
    join_over_min: float = setting(60.0, min=0, max=DAY_S / 60)

    def __post_init__(self) -> None:
        if not self.operators:
            raise ValueError("operators: expected at least one operator")
        for key, share in self.operators.items():
            if not _OPERATOR.match(key):
                raise ValueError(f'operators: expected MCC-MNC like "510-10", got {key!r}')
            if type(share) not in (int, float) or not share > 0:
                raise ValueError(f"operators.{key}: expected a share > 0, got {share!r}")
        for code in self.provinces:
            if code not in PROVINCES:
                raise ValueError(f"provinces: {code!r} is not a province code")
        if not self.provinces:
            raise ValueError("provinces: expected at least one province code")
        _time_field(self, "join_at")


@dataclass(frozen=True)
class Phase:
    name: str
    start: str
    end: str
    signal_every_s: float | None = setting(None, min=1, max=DAY_S)
    ping_every_s: float | None = setting(None, min=1, max=DAY_S)
    dns_every_s: float | None = setting(None, min=1, max=DAY_S)
    http_every_s: float | None = setting(None, min=1, max=DAY_S)
    batch_every_s: float | None = setting(None, min=1, max=DAY_S)

    def __post_init__(self) -> None:
        _time_field(self, "start")
        _time_field(self, "end")
        if parse_time(self.end) <= parse_time(self.start):
            raise ValueError(f"end: {self.end!r} is not after start {self.start!r}")


@dataclass(frozen=True)
class Outage:
    """A tower down: ``sites`` kits of ``operator`` lose service (and their link)."""

    operator: str
    sites: int = setting(min=1)
    at: str = setting()
    minutes: float = setting(min=0.1, max=DAY_S / 60)

    def __post_init__(self) -> None:
        _operator_field(self, "operator")
        _time_field(self, "at")


@dataclass(frozen=True)
class Degradation:
    """One operator worse in one province: weaker signal, lossy and slow pings."""

    operator: str
    province: str
    at: str
    minutes: float = setting(min=0.1, max=DAY_S / 60)
    rsrp_drop_db: float = setting(15.0, min=0, max=60)
    loss: float = setting(0.3, min=0, max=1)
    latency_ms: float = setting(400.0, min=0, max=60_000)

    def __post_init__(self) -> None:
        _operator_field(self, "operator")
        _time_field(self, "at")
        if self.province not in PROVINCES:
            raise ValueError(f"province: {self.province!r} is not a province code")


@dataclass(frozen=True)
class Offline:
    """``kits`` kits lose their link (still measuring) and come back with a backlog."""

    kits: int = setting(min=1)
    at: str = setting()
    hours: float = setting(min=0.01, max=48)

    def __post_init__(self) -> None:
        _time_field(self, "at")


@dataclass(frozen=True)
class Scenario:
    day: Day = field(default_factory=Day)
    cadence: Cadence = field(default_factory=Cadence)
    fleet: Fleet = field(default_factory=Fleet)
    phase: list[Phase] = field(default_factory=list)
    outage: list[Outage] = field(default_factory=list)
    degradation: list[Degradation] = field(default_factory=list)
    offline: list[Offline] = field(default_factory=list)

    def __post_init__(self) -> None:
        spans = sorted((parse_time(p.start), parse_time(p.end), p.name) for p in self.phase)
        for (_, end, name), (start, _, other) in itertools.pairwise(spans):
            if start < end:
                raise ValueError(f"[[phase]]: {other!r} starts before {name!r} ends")


#: The scenario ``pantau-agent fleet`` follows unless given one.
DEFAULT_SCENARIO = Path(__file__).with_name("scenarios") / "election-day.toml"


def load_scenario(path: Path = DEFAULT_SCENARIO) -> Scenario:
    """Read and validate a scenario file (ConfigError naming the file and key)."""
    return load(Scenario, path)


def scenario_from(data: dict[str, object], *, source: str = "scenario") -> Scenario:
    return build(Scenario, data, source=source)


# -- the plan: what the scenario does to each kit ----------------------------------------


@dataclass(frozen=True, slots=True)
class KitPlan:
    index: int
    operator: str
    province: str
    join_s: float
    clockless: bool
    #: The serving cell shared with the other kits of a tower outage (None: its own).
    cell_id: int | None = None


@dataclass(frozen=True, slots=True)
class Conditions:
    """What a kit's world is like at one simulated time."""

    link_up: bool = True
    service: bool = True
    rsrp_drop_db: float = 0.0
    loss: float = 0.0
    latency_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class Spell:
    """One scripted event and the kits it takes."""

    what: str  # "outage" | "degradation" | "offline"
    start_s: float
    end_s: float
    kits: frozenset[int]
    operator: str | None = None
    province: str | None = None
    rsrp_drop_db: float = 0.0
    loss: float = 0.0
    latency_ms: float = 0.0
    cell_id: int | None = None  # an outage's tower: the cell its kits share


@dataclass(frozen=True)
class Plan:
    scenario: Scenario
    kits: list[KitPlan]
    spells: list[Spell]

    def cadence(self, sim_s: float) -> Cadence:
        """The cadence at ``sim_s``: the phase's overrides over ``[cadence]``."""
        base = self.scenario.cadence
        phase = self.phase(sim_s)
        if phase is None:
            return base
        return Cadence(
            **{
                name: getattr(phase, name) if getattr(phase, name) is not None else value
                for name, value in vars(base).items()
            }
        )

    def phase(self, sim_s: float) -> Phase | None:
        for start, end, p in self._phases:
            if start <= sim_s < end:
                return p
        return None

    def next_change(self, kit: int, sim_s: float) -> float:
        """The first simulated time after ``sim_s`` at which the kit's
        :meth:`conditions` or the :meth:`cadence` may change (a spell of the kit's, or a
        phase, begins or ends); ``inf`` when nothing is left to change."""
        times: list[float] = [t for t in self._phase_bounds if t > sim_s]
        for spell in self.spells:
            if kit in spell.kits:
                times += [t for t in (spell.start_s, spell.end_s) if t > sim_s]
        return min(times, default=math.inf)

    @cached_property
    def _phases(self) -> list[tuple[int, int, Phase]]:
        return [(parse_time(p.start), parse_time(p.end), p) for p in self.scenario.phase]

    @cached_property
    def _phase_bounds(self) -> list[int]:
        return sorted({t for start, end, _ in self._phases for t in (start, end)})

    def conditions(self, kit: int, sim_s: float) -> Conditions:
        link_up, service = True, True
        drop = loss = latency = 0.0
        for spell in self.spells:
            if kit not in spell.kits or not spell.start_s <= sim_s < spell.end_s:
                continue
            if spell.what == "outage":
                link_up = service = False
            elif spell.what == "offline":
                link_up = False
            else:
                drop, loss, latency = spell.rsrp_drop_db, spell.loss, spell.latency_ms
        return Conditions(link_up, service, drop, loss, latency)


def plan(scenario: Scenario, kits: int, provinces: list[str] | None = None) -> Plan:
    """Decide every kit's operator, province, join time and clock, and who each spell
    takes. ``provinces`` (one per kit) overrides the spread over ``[fleet] provinces``
    (kits enrolled from a sites file have their own)."""
    rng = random.Random(scenario.day.seed)
    fleet = scenario.fleet
    names = sorted(fleet.operators)
    weights = [fleet.operators[n] for n in names]
    join0 = parse_time(fleet.join_at)
    kit_plans = [
        KitPlan(
            index=i,
            operator=rng.choices(names, weights)[0],
            province=provinces[i] if provinces else fleet.provinces[i % len(fleet.provinces)],
            join_s=join0 + rng.random() * fleet.join_over_min * 60,
            clockless=rng.random() < fleet.clockless_share,
        )
        for i in range(kits)
    ]
    spells: list[Spell] = []
    for n, o in enumerate(scenario.outage):
        of_operator = [k.index for k in kit_plans if k.operator == o.operator]
        tower = of_operator[: o.sites]
        # one tower: its kits are served by one cell (its own seed: other draws unchanged)
        cell = random.Random(f"{scenario.day.seed}/outage/{n}").randrange(1, 2**28)
        for i in tower:
            kit_plans[i] = replace(kit_plans[i], cell_id=cell)
        start = parse_time(o.at)
        spells.append(
            Spell("outage", start, start + o.minutes * 60,
                  frozenset(tower), operator=o.operator, cell_id=cell)
        )  # fmt: skip
    for d in scenario.degradation:
        start = parse_time(d.at)
        taken = frozenset(
            k.index for k in kit_plans if k.operator == d.operator and k.province == d.province
        )
        spells.append(Spell("degradation", start, start + d.minutes * 60, taken,
                            operator=d.operator, province=d.province, rsrp_drop_db=d.rsrp_drop_db,
                            loss=d.loss, latency_ms=d.latency_ms))  # fmt: skip
    for off in scenario.offline:
        start = parse_time(off.at)
        taken = frozenset(rng.sample(range(kits), min(off.kits, kits)))
        spells.append(Spell("offline", start, start + off.hours * 3600, taken))
    return Plan(scenario, kit_plans, spells)
