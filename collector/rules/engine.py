"""The rule engine: per-site windows and per-key problem state, driven by event time.

No I/O and no clock: the caller feeds observations (:meth:`RuleEngine.observe`) and
says what time it is (:meth:`RuleEngine.evaluate`); the engine answers with
transitions. Per key ``(site, operator or queue, problem)`` they always read
``Started (Updated)* Cleared``, never two open problems for one key.

Event time, not arrival time. Every rule judges the site's window sorted by event
time, so data arriving late or out of order lands where it happened and a backfill
after an outage gives problems with their true start and end. What the engine has
announced is fact: a key's open problem keeps its ``first_bad_ns``, and a closed
problem is not reopened by later data about its own time (late data after its
clear can start a new one). The lateness accepted is the window's horizon
(``[engine] horizon_s``, 3 h by default) before the newest event time of the site.

*Historical.* When the engine first finds a problem (at ``now_ns``), it is *late
news* if the sample that confirmed it (``for`` satisfied) is older than
``now_ns - historical_after``. Late news that has already ended (cleared, or a
healthy sample after its last bad one) is ``Started(historical=True)``: the ticket
layer records it and pages nobody. Late news still bad at its newest sample is
live (``historical=False``) when that sample is recent, and otherwise held back
until more data comes (a backfill still draining): it is then reported as one or
the other. So an agent offline 30 minutes with no service, uploading once service
is back, gives one historical NO_SERVICE with the outage's true start and end.

*Flapping*: see :mod:`collector.rules.tracker` (hysteresis by ``hold``, and
Nagios-style flap detection): one problem, not one per flap.

*Restart*: :meth:`RuleEngine.rebuild` recomputes a site from its stored observations
and returns its open problems (the caller reconciles them with its open tickets);
:meth:`RuleEngine.restore` carries on a problem announced before (a ticket still
open), so its clear comes as a transition like any other.

*Backhaul*: :meth:`RuleEngine.set_backhaul` says which link a site's kit reaches the
collector over (its Hello): the network rules judge the site against that link's
baseline and key its problems by the link's queue (:mod:`collector.rules.network`).
It outlives :meth:`forget` and :meth:`rebuild` (a restart rebuilds a site after its
kit's Hello said it); a change makes every rule read the site's window again.

*The collector's own availability*: :meth:`RuleEngine.resume` says the collector
could hear no one for a while (its start, its own stall): AGENT_SILENT counts every
site's silence across it from when the collector was back (:mod:`collector.rules.kit`).

*Work per evaluation.* When the site's window has changed since its last
evaluation only by measurements newer than all it held (:attr:`SiteWindow.appended`)
and by trims that change none of the samples judged again below
(:meth:`collector.rules.series.Cursor.survives_trim`), each rule carries on from
its cursor (it reads only the new measurements, its windowed figures kept as
summaries: :mod:`collector.rules.series`) and each key's tracker carries on from
where it stopped (:class:`collector.rules.tracker.Tracker`) if it is quiescent
(:meth:`~collector.rules.tracker.Tracker.quiescent`: nothing open, pending or
flapping): the cost is that of the new samples, whatever the window holds.
Otherwise (data older than the window's newest, a window trimmed within a rule's
reach, as at its count cap; a key of the rule with a problem open or in the
making; a new operator named, for NO_COVERAGE's evidence) the rule reads its
window again and only what may have changed is judged again: samples from the
oldest event time fed since the last evaluation (``now_ns`` for AGENT_SILENT,
which always works this way), less the rule's lookback (``for``, twice the flap
window), and from each key's open problem, held-back episode and newest sample.
Both are property-tested against judging every window whole
(``recompute_all=True``) and against the brute-force rules (``reference=True``:
:mod:`collector.rules.reference`); ``python -m bench.rules`` measures them.

Memory per site is bounded by the window (time and count per kind) and by the
keys (a key with nothing open is forgotten once its samples have left the window).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from collector.rules.config import RulesConfig, Timing
from collector.rules.model import (
    Cleared,
    Evidence,
    Figure,
    Problem,
    ProblemKey,
    ProblemName,
    Sample,
    Started,
    Transition,
    Updated,
)
from collector.rules.observations import Heard, Observation
from collector.rules.registry import NOTES, READS_HEARD, RULES, TIME_DRIVEN, RuleFunction
from collector.rules.series import Cursor
from collector.rules.tracker import Episode, Tracker
from collector.rules.window import SiteWindow
from pantau.core.backhaul import CELLULAR

_S = 1_000_000_000


@dataclass(slots=True)
class _KeyState:
    since_ns: int | None = None  # the last clear: samples at or before it are settled
    open: Episode | None = None
    announced_last_ns: int = 0  # last_bad_ns of the latest Started/Updated
    historical: bool = False
    deferred_ns: int | None = None  # first_bad of an episode held back (stale backfill)
    newest_ns: int | None = None  # the newest sample of the key at the last evaluation
    tracker: Tracker | None = None  # where tracking stopped, to carry on from


@dataclass(slots=True)
class _Site:
    window: SiteWindow
    keys: dict[tuple[ProblemName, str], _KeyState] = field(default_factory=dict)
    cursors: dict[ProblemName, Cursor] = field(default_factory=dict)
    dirty: bool = True
    changed_from_ns: int | None = None  # oldest event time fed since the last evaluation
    #: ... of the measurements only (not ``Heard``): what the rules that do not read
    #: arrivals (:data:`READS_HEARD`) are judged again from; None: none came.
    measured_from_ns: int | None = None


class RuleEngine:
    """Rules for many sites. Not thread-safe: one engine per worker, sites sharded."""

    def __init__(
        self,
        config: RulesConfig | None = None,
        *,
        recompute_all: bool = False,
        reference: bool = False,
    ) -> None:
        """``recompute_all``: judge every window whole at every evaluation (slow; the
        reference the incremental evaluation is tested against). ``reference``: judge
        with the brute-force rules (:mod:`collector.rules.reference`), never carrying
        on (the reference, and the "before" of ``bench.rules``)."""
        self.config = config or RulesConfig()
        self._recompute_all = recompute_all
        self._carry_on = not (recompute_all or reference)
        self._rules: dict[ProblemName, RuleFunction] = RULES
        if reference:
            from collector.rules import reference as brute

            self._rules = {name: _without_cursor(rule) for name, rule in brute.RULES.items()}
        engine = self.config.engine
        self._horizon_ns = int(engine.horizon_s * _S)
        self._historical_ns = int(engine.historical_after_s * _S)
        self._update_ns = int(engine.update_every_s * _S)
        self._timing: dict[ProblemName, Timing] = {
            name: self.config.section(name).timing() for name in ProblemName
        }
        self._enabled = self.config.enabled()
        # How far before a change a key's verdicts may depend on older samples: a bad
        # run not yet confirmed is shorter than ``for``; flap detection looks back
        # over its window (twice, for the change at the window's edge).
        self._lookback_ns = {
            name: max(t.for_ns, 2 * t.flap_window_ns if t.flap_changes else 0) + 1
            for name, t in self._timing.items()
        }
        self._sites: dict[str, _Site] = {}
        self._backhauls: dict[str, str] = {}  # site -> backhaul, when not cellular
        self._outages: list[tuple[int, int]] = []  # the collector's own, within the horizon

    # -- feeding -----------------------------------------------------------------------

    def observe(self, site_code: str, observations: Iterable[Observation]) -> int:
        """Add a site's observations (any order); returns how many were kept (data older
        than the window's horizon is not). Feed each stored record once."""
        site = self._site(site_code)
        if not isinstance(observations, list | tuple):
            observations = list(observations)
        kept, oldest = site.window.add(observations)
        if oldest is not None:
            site.dirty = True
            if site.changed_from_ns is None or oldest < site.changed_from_ns:
                site.changed_from_ns = oldest
            # A batch of a kit whose clock is not trusted, or an SMS, says only that it
            # was heard: the measurement rules have nothing new to judge. (Measurements
            # the window dropped as too old count here too: judged again, to no change.)
            measured = [o.event_ns for o in observations if not isinstance(o, Heard)]
            if measured:
                first = min(measured)
                if site.measured_from_ns is None or first < site.measured_from_ns:
                    site.measured_from_ns = first
        return kept

    def evaluate(self, site_code: str, now_ns: int) -> list[Transition]:
        """Judge the site at ``now_ns`` (the collector's clock): every rule when data
        came since the last call, else only the time-driven ones (AGENT_SILENT)."""
        site = self._sites.get(site_code)
        if site is None:
            return []
        out: list[Transition] = []
        window = site.window
        appended = self._carry_on and window.appended
        for name in self._enabled:
            from_ns = self._from_ns(site, name, now_ns)
            if from_ns is None:
                continue
            cursor = site.cursors.get(name) if appended else None
            if cursor is not None and not (
                cursor.usable(window)
                and self._tracked(site, name)
                and (window.trimmed_to_ns is None or cursor.survives_trim(window, from_ns))
            ):
                cursor = None
            carry_on = cursor is not None
            streams, cursor = self._rules[name](window, self.config, now_ns, from_ns, cursor)
            if cursor is not None and self._carry_on:
                site.cursors[name] = cursor
            for target in sorted(streams):
                key = ProblemKey(site_code, target, name)
                state = site.keys.setdefault((name, target), _KeyState())
                samples = streams[target]
                if samples:
                    state.newest_ns = max(samples[-1].t_ns, state.newest_ns or samples[-1].t_ns)
                out.extend(self._advance(key, state, samples, now_ns, carry_on))
            if not carry_on and self._carry_on:  # the keys judged afresh next time
                for (rule, target), state in site.keys.items():
                    if rule is name and target not in streams:
                        state.tracker = Tracker(self._timing[name], state.open)
        site.dirty = False
        site.changed_from_ns = site.measured_from_ns = None
        self._prune(site)
        if self._carry_on:
            window.mark()
        return out

    def _tracked(self, site: _Site, name: ProblemName) -> bool:
        """Every key of the rule has a quiescent tracker to carry on from (one with a
        problem open, held back or in the making tracks its lookback again, as the
        engine judges it at the edges of evaluations)."""
        return all(
            state.tracker is not None and state.tracker.quiescent()
            for (rule, _), state in site.keys.items()
            if rule is name
        )

    def _from_ns(self, site: _Site, name: ProblemName, now_ns: int) -> int | None:
        """The earliest event time whose verdicts may differ from the last evaluation's
        (None: nothing to judge). Samples before it are settled: they lead to the
        state the keys already hold."""
        if self._recompute_all:
            return -(2**63)
        starts: list[int] = []
        changed = site.changed_from_ns if name in READS_HEARD else site.measured_from_ns
        if site.dirty and changed is not None:
            starts.append(changed)
        if name in TIME_DRIVEN:
            starts.append(now_ns)
        if not starts:
            return None
        lookback = self._lookback_ns[name]
        start = min(starts) - lookback
        for (rule, _target), state in site.keys.items():
            if rule is not name:
                continue
            if state.open is not None:
                start = min(start, state.open.last_bad_ns)
            if state.deferred_ns is not None:
                start = min(start, state.deferred_ns)
            if state.newest_ns is not None:
                start = min(start, state.newest_ns - lookback)
        return start

    def set_backhaul(self, site_code: str, backhaul: str) -> bool:
        """The site's kit reaches the collector over ``backhaul`` (``"cellular"``,
        ``"vsat-geo"``, ...: :data:`pantau.core.backhaul.BACKHAULS`); True if that
        changed how the site is judged (every rule then reads its window again at the
        next evaluation). Problems open under the old keys stay open until cleared."""
        if backhaul == self.backhaul(site_code):
            return False
        if backhaul == CELLULAR:
            self._backhauls.pop(site_code, None)
        else:
            self._backhauls[site_code] = backhaul
        site = self._sites.get(site_code)
        if site is not None:
            site.window.backhaul = backhaul
            site.cursors.clear()
            for state in site.keys.values():
                state.tracker = None
            site.dirty = True
            site.changed_from_ns = site.measured_from_ns = -(2**63)  # the whole window again
        return True

    def backhaul(self, site_code: str) -> str:
        """The link the site's kit declared (cellular until it says otherwise)."""
        return self._backhauls.get(site_code, CELLULAR)

    # -- reading -----------------------------------------------------------------------

    def open_problems(self, site_code: str) -> list[Problem]:
        site = self._sites.get(site_code)
        if site is None:
            return []
        out = []
        for (name, target), state in sorted(site.keys.items()):
            if state.open is not None:
                key = ProblemKey(site_code, target, name)
                out.append(
                    Problem(
                        key,
                        state.open.first_bad_ns,
                        state.open.last_bad_ns,
                        self._evidence(name, state.open),
                        state.historical,
                    )
                )
        return out

    def sites(self) -> list[str]:
        return sorted(self._sites)

    def window(self, site_code: str) -> SiteWindow | None:
        site = self._sites.get(site_code)
        return None if site is None else site.window

    # -- restart / hand-over ---------------------------------------------------------------

    def forget(self, site_code: str) -> None:
        self._sites.pop(site_code, None)

    def resume(self, back_ns: int, *, down_ns: int | None = None) -> None:
        """The collector could hear no agent from ``down_ns`` (it was frozen, or could
        not store; None: not known, it is starting) until ``back_ns``: silence across
        that time is the collector's, so AGENT_SILENT counts each site's silence from
        ``back_ns`` (sites added later too). ``back_ns`` is now: no older than the last
        evaluation."""
        down = back_ns if down_ns is None else min(down_ns, back_ns)
        self._outages = [o for o in self._outages if o[1] > back_ns - self._horizon_ns]
        self._outages.append((down, back_ns))
        for site in self._sites.values():
            site.window.outage(down, back_ns)

    def restore(
        self,
        key: ProblemKey,
        first_bad_ns: int,
        last_bad_ns: int,
        *,
        first_figures: Mapping[str, Figure] | None = None,
        last_figures: Mapping[str, Figure] | None = None,
        historical: bool = False,
    ) -> bool:
        """Carry on a problem announced before this engine held it (a ticket left open
        across a restart, with its times and evidence): it clears, or is updated, like
        one this engine announced. Returns False (nothing changed) when the engine holds
        the key open already."""
        site = self._site(key.site_code)
        state = site.keys.setdefault((key.problem, key.operator), _KeyState())
        if state.open is not None:
            return False
        first = Sample(first_bad_ns, True, dict(first_figures or {"t_ns": first_bad_ns}))
        last = Sample(last_bad_ns, True, dict(last_figures or {"t_ns": last_bad_ns}))
        state.open = Episode(first, last, last_bad_ns)
        state.since_ns = state.deferred_ns = None
        state.tracker = None
        state.historical = historical
        state.announced_last_ns = last_bad_ns
        return True

    def rebuild(
        self,
        site_code: str,
        observations: Iterable[Observation],
        now_ns: int,
        *,
        heard_grace: bool = True,
    ) -> list[Problem]:
        """Rebuild a site's state from its stored data (a window of it, e.g. the last
        ``horizon_s``, as observations: :func:`collector.observe.observations_from_stored`)
        as if it had been fed and judged at ``now_ns``; returns its open problems.
        Nothing is announced: reconcile with the open tickets.

        ``heard_grace``: the collector was not listening while it was down, so silence
        before ``now_ns`` is not held against the agent: AGENT_SILENT starts afresh
        (counted from ``now_ns``; a ticket still open is carried on by :meth:`restore`)."""
        self.forget(site_code)
        self.observe(site_code, observations)
        self.evaluate(site_code, now_ns)
        site = self._site(site_code)
        if heard_grace:
            site.window.outage(now_ns, now_ns)
            for (name, _target), state in site.keys.items():
                if name is ProblemName.AGENT_SILENT:
                    state.open, state.since_ns, state.historical = None, now_ns, False
                    state.tracker = None
        return self.open_problems(site_code)

    # -- inside ---------------------------------------------------------------------------

    def _site(self, site_code: str) -> _Site:
        site = self._sites.get(site_code)
        if site is None:
            engine = self.config.engine
            window = SiteWindow(self._horizon_ns, engine.max_observations)
            window.outages = list(self._outages)
            window.backhaul = self.backhaul(site_code)
            site = self._sites[site_code] = _Site(window)
        return site

    def _evidence(self, name: ProblemName, ep: Episode) -> Evidence:
        return Evidence(ep.first.figures, ep.last.figures, ep.flapping, NOTES.get(name, ""))

    def _advance(
        self,
        key: ProblemKey,
        state: _KeyState,
        samples: list[Sample],
        now_ns: int,
        carry_on: bool = False,
    ) -> list[Transition]:
        """Track the key's new samples: carrying on from its tracker (``carry_on``: the
        samples are newer than every sample it was fed), else afresh from its open
        problem."""
        cutoff = state.open.last_bad_ns if state.open is not None else state.since_ns
        if cutoff is not None:
            samples = samples[bisect_right(samples, cutoff, key=_sample_t) :]
        tracker = state.tracker if carry_on else None
        if tracker is None:
            tracker = Tracker(self._timing[key.problem], state.open)
        if self._carry_on:
            state.tracker = tracker
        if not samples:
            return []
        out: list[Transition] = []
        stale_before = now_ns - self._historical_ns
        for ep in tracker.feed(samples):
            if state.open is not None:  # the announced problem, carried on
                state.open = ep
                if ep.cleared_ns is not None:
                    out.append(Cleared(key, ep.cleared_ns, ep.last_bad_ns))
                    state.open, state.since_ns = None, ep.cleared_ns
                elif ep.last_bad_ns - state.announced_last_ns >= max(self._update_ns, 1):
                    evidence = self._evidence(key.problem, ep)
                    out.append(
                        Updated(key, ep.first_bad_ns, ep.last_bad_ns, evidence, state.historical)
                    )
                    state.announced_last_ns = ep.last_bad_ns
                continue
            late = ep.confirmed_ns < stale_before
            ended = ep.cleared_ns is not None or ep.recovering
            if late and not ended and ep.last_bad_ns < stale_before:
                state.deferred_ns = ep.first_bad_ns
                break  # stale and still bad: a backfill is draining; wait for more
            state.deferred_ns = None
            historical = late and ended
            evidence = self._evidence(key.problem, ep)
            out.append(Started(key, ep.first_bad_ns, ep.last_bad_ns, evidence, historical))
            if ep.cleared_ns is not None:
                out.append(Cleared(key, ep.cleared_ns, ep.last_bad_ns))
                state.since_ns = ep.cleared_ns
            else:
                state.open, state.historical = ep, historical
                state.announced_last_ns = ep.last_bad_ns
        return out

    def _prune(self, site: _Site) -> None:
        """Forget keys with nothing open or held back whose samples have all left the
        window (a key's newest sample is what bounds the next evaluation's work)."""
        window = site.window
        # each kind of data leaves the window by its own newest (Heard: arrival times)
        gone_measured = (window.newest_ns or 0) - self._horizon_ns
        gone_heard = (window.heard[-1] if window.heard else 0) - self._horizon_ns
        for k, s in list(site.keys.items()):
            gone = gone_heard if k[0] in TIME_DRIVEN else gone_measured
            if s.open is None and s.deferred_ns is None and (s.newest_ns or 0) < gone:
                del site.keys[k]


def _sample_t(sample: Sample) -> int:
    return sample.t_ns


def _without_cursor(
    rule: Callable[[SiteWindow, RulesConfig, int, int], dict[str, list[Sample]]],
) -> RuleFunction:
    def judge(
        window: SiteWindow, config: RulesConfig, now_ns: int, from_ns: int, cursor: Cursor | None
    ) -> tuple[dict[str, list[Sample]], Cursor | None]:
        return rule(window, config, now_ns, from_ns), None

    return judge
