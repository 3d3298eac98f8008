"""The collector's brain: committed records in, tickets out.

After each batch commits, the ingest hands its newly stored, trusted-time records
here (the stream session picks them: :mod:`collector.session`); they become rule
observations (:mod:`collector.observe`) in the site's event-time window of the rule
engine (:mod:`collector.rules`, which sees only observations). A loop
judges every site whose window changed (within :data:`JUDGE_EVERY_S`, in one pass
for every site that changed meanwhile, so a site's burst of small batches costs one
evaluation, not one a batch), and every site as time passes (silence and ``for``
durations expire with no new data), and turns the engine's transitions into ticket
calls on the store:

- ``Started`` -> ``raise_problem`` (the outbox row that pages the operator is
  written in the same transaction); when the engine says the problem was found
  only after it had ended (backfill), the ticket is historical and pages nobody;
- ``Updated`` -> ``raise_problem`` (newer evidence, no page);
- ``Cleared`` -> ``clear_problem`` (an automatic resolve, paged).

With incidents on (the rules file's ``[incidents]``, set on the store at start), the
ticket calls page nobody themselves: each reconciles its incident group in the same
transaction, and every pass ticks the incidents (:meth:`tick_incidents`), which pages.

Several collectors may share one PostgreSQL store: the partial unique index makes
their ticket calls agree, a site first seen by this collector (a restart, or an
agent that moved here) is rebuilt from the stored records before new data is
judged, and AGENT_SILENT is confirmed against the shared ``site_state`` so that
an agent streaming to another collector is never reported silent.

Silence is judged for every enrolled, active site, heard here or not: at start and
every ``survey_every_s`` the brain reads when the store last heard each
(:meth:`survey`), and an AGENT_SILENT ticket left open by an earlier run is carried
on in the engine, so it clears when the kit is heard again. Silence the collector
caused is not the kits': its start, a wake-up much later than its tick asked for
(the process stood still: SIGSTOP, a blocked loop) and a pass that failed on the
store each start a grace of the rule's whole silence from when it was back
(:meth:`RuleEngine.resume`).

Replicas on one PostgreSQL split the sites: the brain judges only those
:attr:`Brain.owns` says are its own (:mod:`collector.brain_replica`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from bisect import bisect_left
from collections.abc import Callable, Sequence

from collector.brain_feeding import Feeding, Held, RebuildQueue
from collector.brain_replica import UNRESOLVED as _UNRESOLVED
from collector.brain_replica import ReplicaFeeding
from collector.config import CollectorConfig
from collector.observe import observations_from_stored
from collector.rules import (
    Cleared,
    Heard,
    Problem,
    ProblemKey,
    ProblemName,
    RuleEngine,
    Started,
    Transition,
    Updated,
)
from collector.rules.observations import Signal
from collector.rules.series import has_service
from collector.store import Store
from collector.store.model import StoredRecord, Ticket
from pantau.core.aio import wait_event

log = logging.getLogger(__name__)

_S = 1_000_000_000
PRUNE_EVERY_S = 6 * 3600
#: Sites with new data are judged within this long of its arrival, one pass for all.
JUDGE_EVERY_S = 1.0
#: A pass lets the event loop (the ingest) run after judging for this long.
SLICE_S = 0.01
_NO_SERVICE = ProblemName.NO_SERVICE


def _event_ns(s: Signal) -> int:
    return s.event_ns


class Brain(Feeding, ReplicaFeeding):
    def __init__(
        self,
        store: Store,
        engine: RuleEngine,
        config: CollectorConfig,
        *,
        clock: Callable[[], int] = time.time_ns,
        tick_s: float = 5.0,
        judge_every_s: float = JUDGE_EVERY_S,
        escalate_every_s: float = 30.0,
        survey_every_s: float = 60.0,
        stall_ticks: float = 3.0,
        on_notification: Callable[[], None] = lambda: None,
    ) -> None:
        """``stall_ticks``: waking this many ticks later than asked means the collector
        stood still (nobody was heard meanwhile). ``judge_every_s``: sites with new data
        are judged at most this often, so the batches a site sends meanwhile (a backlog
        drained in small batches, many kits of one site) cost one evaluation."""
        self._on_notification = on_notification
        #: Whether this collector judges a site (replicas split them; alone: every one),
        #: and who hears of data (or a Hello's backhaul) this collector got for a site it
        #: does not judge.
        self.owns: Callable[[str], bool] = lambda _site: True
        self.on_foreign: Callable[[str, str | None], None] | None = None
        #: Observers (the operations centre): tickets changed by the brain, on the loop;
        #: and the seconds each evaluation pass took.
        self.on_tickets: Callable[[Sequence[Ticket]], None] | None = None
        self.on_evaluated: Callable[[float], None] | None = None
        self.store = store
        self.engine = engine
        self.config = config
        self.clock = clock
        self.tick_s = tick_s
        self.judge_every_s = judge_every_s
        self.escalate_every_s = escalate_every_s
        self.survey_every_s = survey_every_s
        self.stall_ticks = stall_ticks
        #: When the running brain last knew the collector was awake (None: not running,
        #: e.g. a test driving evaluate_all with its own clock).
        self._alive_ns: int | None = None
        self._known: set[str] = set()
        self._rebuilding: dict[str, asyncio.Future[None]] = {}
        #: Per site being rebuilt, the batches noted meanwhile (collector.brain_feeding).
        self._held: dict[str, list[Held]] = {}
        self._rebuild_queue: RebuildQueue | None = None  # sites waiting for a rebuild
        #: Per site, each agent's highest seq its rebuild read from the store (a kit's
        #: batches are stored in seq order, so what a waiting batch holds up to it is in).
        self._rebuilt_through: dict[str, dict[str, int]] = {}
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self.transitions = 0
        self.evaluation_s = 0.0  # total time spent judging, for /metrics and the bench

    # -- feeding (on the event loop) -------------------------------------------------------

    def note_backhaul(self, site_code: str, backhaul: str) -> None:
        """The site's kit said, in its Hello, which link it reaches the collector over:
        the rules judge the site against that link (before any of its data, as its
        Hello comes before its batches; a rebuild after a restart keeps it). Of a site
        another replica judges, it is passed on (:attr:`on_foreign`)."""
        if not self.owns(site_code):
            self.engine.set_backhaul(site_code, backhaul)  # kept should the site come here
            if self.on_foreign is not None:
                self.on_foreign(site_code, backhaul)
            return
        if self.engine.set_backhaul(site_code, backhaul):
            log.info("site %s: its kit reaches the collector over %s", site_code, backhaul)
            self._dirty.add(site_code)
            self._wake.set()

    async def _rebuild_sites(self, site_codes: Sequence[str]) -> None:
        """Rebuild ``site_codes`` from the store: their windows and open AGENT_SILENT
        tickets in one read, each site rebuilt and its held batches fed right after
        (letting the event loop run between sites every :data:`SLICE_S`), then their
        tickets reconciled in one more read."""
        now = self.clock()
        since = now - int(self.engine.config.engine.horizon_s * _S)
        read = await asyncio.to_thread(self._read_sites, site_codes, since)
        problems: dict[str, list[Problem]] = {}
        slice_start = time.perf_counter()
        for site_code in site_codes:
            rows, silent = read.get(site_code, ([], []))
            through: dict[str, int] = {}
            for row in rows:
                through[row.agent_id] = max(through.get(row.agent_id, 0), row.seq)
            self._rebuilt_through[site_code] = through
            problems[site_code] = self.engine.rebuild(
                site_code, observations_from_stored(rows), now
            )
            for ticket in silent:  # open across the restart: it clears when the kit is heard
                self._restore(ticket)
            self._known.add(site_code)
            # No await between the site's rebuild and this: a batch noted for it since
            # the read is held (the site was not known), and fed now above what was read.
            self._replay_held(site_code)
            if time.perf_counter() - slice_start >= SLICE_S:
                await asyncio.sleep(0)
                slice_start = time.perf_counter()
        raised = await asyncio.to_thread(self._reconcile_sites, problems, now)
        if raised:
            self._on_notification()
            self._tell(raised)

    def _read_sites(
        self, site_codes: Sequence[str], since_ns: int
    ) -> dict[str, tuple[list[StoredRecord], list[Ticket]]]:
        """Each site's stored window and its unresolved AGENT_SILENT tickets."""
        windows = self.store.site_windows(site_codes, since_ns)
        silent: dict[str, list[Ticket]] = {}
        for ticket in self.store.tickets_of_sites(site_codes, _UNRESOLVED):
            if ticket.problem == ProblemName.AGENT_SILENT:
                silent.setdefault(ticket.site_code, []).append(ticket)
        return {code: (windows.get(code, []), silent.get(code, [])) for code in site_codes}

    def _restore(self, ticket: Ticket) -> None:
        """Carry on an unresolved AGENT_SILENT ticket this engine did not announce."""
        first, last = ticket.evidence.get("first_bad"), ticket.evidence.get("last_bad")
        key = ProblemKey(ticket.site_code, ticket.operator, ProblemName.AGENT_SILENT)
        self.engine.restore(
            key, ticket.first_bad_ns, ticket.last_bad_ns,
            first_figures=first if isinstance(first, dict) else None,
            last_figures=last if isinstance(last, dict) else None,
            historical=ticket.historical,
        )  # fmt: skip

    # -- silence of every site, and the collector's own -------------------------------------

    def resume(self, back_ns: int, why: str, *, down_ns: int | None = None) -> None:
        """The collector heard no kit from ``down_ns`` (None: not known, it is starting)
        until ``back_ns`` (``why``): that silence is not the kits'; AGENT_SILENT waits the
        rule's whole silence from ``back_ns``."""
        level = logging.INFO if down_ns is None else logging.WARNING
        log.log(level, "collector %s: silence until now is not held against any kit", why)
        self.engine.resume(back_ns, down_ns=down_ns)

    def note_wake(self, asleep_ns: int, now_ns: int) -> bool:
        """The brain went to sleep at ``asleep_ns`` for at most a tick; waking later than
        that by ``stall_ticks`` ticks (or by the kits' expected interval, if shorter)
        means the whole collector stood still (SIGSTOP, a blocked event loop, a
        suspended machine) and heard nobody: a grace starts (True)."""
        tick_ns = int(self.tick_s * _S)
        expected_ns = int(self.engine.config.agent_silent.expected_interval_s * _S)
        if now_ns - asleep_ns - tick_ns <= min(self.stall_ticks * tick_ns, expected_ns):
            return False
        stood = (now_ns - asleep_ns) / _S
        self.resume(now_ns, f"stood still for {stood:.1f} s", down_ns=asleep_ns)
        return True

    async def survey(self) -> int:
        """Judge every enrolled, active site for silence, heard by this collector or not:
        a site not in the engine starts from when the store last heard it (by any
        collector), with its unresolved AGENT_SILENT ticket carried on; a site the
        engine holds learns of newer arrivals at other collectors (one it has not heard
        itself starts again from them). Sites whose kits are all revoked are no longer
        judged unless heard here; one last heard by SMS is heard so (``sms_alive_s``).
        Returns how many sites were new to the engine."""
        heard = await asyncio.to_thread(self.store.last_heard_of_active_sites)
        texts = await asyncio.to_thread(self.store.sms_heard)  # a newer one is observed live
        sms = {code: h.last_sms_ns for code, h in texts.items()}
        heard = {code: ns for code, ns in heard.items() if self.owns(code)}
        new = sorted(code for code in heard if self.engine.window(code) is None)
        tickets: list[Ticket] = []
        if new:
            tickets = await asyncio.to_thread(self.store.tickets_of_sites, new, _UNRESOLVED)
        for code in new:  # no await from here on: the engine is not touched meanwhile
            self.engine.observe(code, [Heard(heard[code], sms.get(code) == heard[code])])
        for ticket in tickets:
            if ticket.problem == ProblemName.AGENT_SILENT and ticket.site_code in heard:
                self._restore(ticket)
        for code, last_ns in heard.items():
            window = self.engine.window(code)
            if window is None or (window.heard and window.heard[-1] >= last_ns):
                continue
            if code not in self._known and code not in self._rebuilding:
                self.engine.forget(code)  # heard elsewhere: what this engine held is stale
            self.engine.observe(code, [Heard(last_ns, sms.get(code) == last_ns)])
        for code in self.engine.sites():
            if code not in heard and code not in self._known and code not in self._rebuilding:
                self.engine.forget(code)
        return len(new)

    # -- judging ---------------------------------------------------------------------------

    async def run(self) -> None:
        self.resume(self.clock(), "started")  # nobody was heard before
        last_escalation = last_all = last_prune = last_survey = last_pass = last_incidents = 0.0
        failing_since: int | None = None
        while True:
            asleep_ns = self.clock()
            await wait_event(self._wake, self.tick_s)
            # New data waits for the rest of the interval since the last pass began, and
            # whatever else arrives meanwhile is judged in the same pass.
            await asyncio.sleep(last_pass + self.judge_every_s - time.monotonic())
            self._wake.clear()
            last_pass = time.monotonic()
            woke_ns = self.clock()
            # Since the last pass began, not only since this sleep: the process may have
            # been frozen while the pass waited for the store in a thread.
            self.note_wake(asleep_ns if self._alive_ns is None else self._alive_ns, woke_ns)
            self._alive_ns = woke_ns
            try:
                if time.monotonic() - last_survey >= self.survey_every_s:
                    await self.survey()
                    last_survey = time.monotonic()
                if time.monotonic() - last_all >= self.tick_s:
                    last_all = time.monotonic()
                    await self.evaluate_all()  # silence and `for` durations expire with time
                else:
                    await self.evaluate_all(only_dirty=True)
                if time.monotonic() - last_incidents >= self.tick_s:
                    last_incidents = time.monotonic()
                    await self.tick_incidents()
                if time.monotonic() - last_escalation >= self.escalate_every_s:
                    last_escalation = time.monotonic()
                    await self.escalate()
                if time.monotonic() - last_prune >= PRUNE_EVERY_S:
                    last_prune = time.monotonic()
                    await self.prune()
            except Exception:  # isolation boundary: a failing store (disk full, a database
                # restart) or a bug in one pass must not stop judging for good
                log.exception("the brain's pass failed; trying again in %g s", self.tick_s)
                if failing_since is None:
                    failing_since = asleep_ns
                continue
            if failing_since is not None:  # what the store refused, the ingest could not store
                self.resume(self.clock(), "store is back", down_ns=failing_since)
                failing_since = None

    async def evaluate_all(self, *, only_dirty: bool = False) -> int:
        """Judge every known site (or those with new data) now; returns the number of
        transitions applied."""
        async with self._lock:
            now = self.clock()
            if self._alive_ns is not None:
                # A stall can also come in the middle of a pass (a store read in a
                # thread when the process was frozen): judge nobody silent for it.
                self.note_wake(self._alive_ns, now)
                self._alive_ns = now
            # Sites that get data while this pass lets the ingest run are judged by the next.
            sites = sorted(self._dirty) if only_dirty else self.engine.sites()
            self._dirty.clear()
            # A site being rebuilt is judged once its rebuild has squared its tickets with
            # the data it read: a ticket this pass raised (or cleared) in between would be
            # squared against a stale reading, resolved (or raised) behind the engine's back.
            rebuilding = [code for code in sites if code in self._rebuilding]
            self._dirty.update(rebuilding)
            sites = [code for code in sites if self.owns(code) and code not in self._rebuilding]
            pending, elapsed = await self._judge(sites, now)
            self.evaluation_s += elapsed
            if self.on_evaluated is not None:
                self.on_evaluated(elapsed)
            if pending:
                try:
                    cells = self._last_cells(pending)  # on the loop: the windows are its
                    changed = await asyncio.to_thread(self._apply, pending, now, cells)
                except BaseException:
                    # Tickets are the memory: the engine announced what the store did not
                    # take, so these sites start again from the store when next judged.
                    for site_code in {t.key.site_code for t in pending}:
                        self.engine.forget(site_code)
                        self._known.discard(site_code)
                    raise
                self._on_notification()
                self._tell(changed)
            return len(pending)

    async def _judge(self, sites: Sequence[str], now: int) -> tuple[list[Transition], float]:
        """Judge ``sites`` at ``now``, letting the event loop run every :data:`SLICE_S`
        (a pass over thousands of sites must not hold every stream's ack back until it
        ends); the transitions, and the seconds spent judging."""
        pending: list[Transition] = []
        spent = 0.0
        slice_start = time.perf_counter()
        for done, site_code in enumerate(sites):
            try:
                pending.extend(self.engine.evaluate(site_code, now))
            except BaseException:
                self._dirty.update(sites[done:])  # not judged: the next pass tries again
                raise
            if time.perf_counter() - slice_start >= SLICE_S:
                spent += time.perf_counter() - slice_start
                await asyncio.sleep(0)
                slice_start = time.perf_counter()
        return pending, spent + time.perf_counter() - slice_start

    def _tell(self, tickets: Sequence[Ticket]) -> None:
        if self.on_tickets is not None and tickets:
            try:
                self.on_tickets(tickets)
            except Exception:  # isolation boundary: an observer's failure must never stop the brain
                log.exception("the ticket observer failed")

    async def prune(self) -> None:
        """Retention: records and resolved tickets older than ``[store] retention_days``."""
        cut = self.clock() - int(self.config.store.retention_days * 86_400 * _S)
        counts = await asyncio.to_thread(self.store.prune, cut, cut)
        log.info("retention: pruned %s", counts)

    async def tick_incidents(self) -> int:
        """Incidents as time passes (group wait, hold, updates, silences ending); the
        notifications written. Nothing when incidents are off."""
        if self.store.incident_settings is None:
            return 0
        pages = await asyncio.to_thread(self.store.incidents_tick, self.clock())
        if pages:
            self._on_notification()
        return pages

    async def escalate(self) -> None:
        now = self.clock()
        cut = now - int(self.config.tickets.escalate_after_s * _S)
        changes = await asyncio.to_thread(self.store.escalate_due, cut, now)
        if changes:
            self._on_notification()
            self._tell([c.ticket for c in changes])
        for change in changes:
            log.warning(
                "escalated ticket %d (%s at %s)",
                change.ticket.id, change.ticket.problem, change.ticket.site_code,
            )  # fmt: skip

    # -- tickets (in a worker thread) ----------------------------------------------------------

    def _last_cells(self, transitions: Sequence[Transition]) -> dict[ProblemKey, int]:
        """For NO_SERVICE (no serving cell in its evidence), the cell that served the
        site on that network last before the problem began, from the site's window:
        what the incident of a cell that went down is keyed by."""
        cells: dict[ProblemKey, int] = {}
        for t in transitions:
            if not isinstance(t, Started | Updated) or t.key.problem is not _NO_SERVICE:
                continue
            window = self.engine.window(t.key.site_code)
            if window is None:
                continue
            timeline = window.operators()
            for s in reversed(window.signals[: bisect_left(window.signals, t.first_bad_ns,
                                                           key=_event_ns)]):  # fmt: skip
                network = s.operator or timeline.at(s.event_ns)
                if network == t.key.operator and s.cell_id is not None and has_service(s):
                    cells[t.key] = s.cell_id
                    break
        return cells

    def _apply(
        self, transitions: Sequence[Transition], now_ns: int, cells: dict[ProblemKey, int]
    ) -> list[Ticket]:
        """Apply the transitions (``cells``: :meth:`_last_cells`); the tickets changed."""
        reopen_ns = int(self.config.tickets.reopen_window_s * _S)
        routing = self.config.routing
        changed: list[Ticket] = []
        for t in transitions:
            key = t.key
            route = routing.route_for(key.operator)
            self.transitions += 1
            if isinstance(t, Started | Updated):
                silent = key.problem is ProblemName.AGENT_SILENT
                if silent and self._heard_elsewhere(key.site_code):
                    self.engine.forget(key.site_code)
                    self._known.discard(key.site_code)
                    continue
                evidence = t.evidence.as_dict()
                if key in cells:
                    evidence["last_cell_id"] = cells[key]
                change = self.store.raise_problem(
                    key.site_code, key.operator, str(key.problem), route=route,
                    first_bad_ns=t.first_bad_ns, last_bad_ns=t.last_bad_ns,
                    evidence=evidence, historical=t.historical, now_ns=now_ns,
                    reopen_window_ns=reopen_ns,
                )  # fmt: skip
                changed.append(change.ticket)
            elif isinstance(t, Cleared):
                cleared = self.store.clear_problem(
                    key.site_code, key.operator, str(key.problem), resolved_ns=t.cleared_ns,
                    now_ns=now_ns,
                )  # fmt: skip
                if cleared is not None:
                    changed.append(cleared.ticket)
        return changed

    def _heard_elsewhere(self, site_code: str) -> bool:
        """Has another collector stored data for this site since this one last heard it?"""
        window = self.engine.window(site_code)
        heard_here = window.heard[-1] if window is not None and window.heard else 0
        seen = [s.last_seen_ns for s in self.store.sites([site_code])]
        return bool(seen) and seen[0] is not None and seen[0] > heard_here
