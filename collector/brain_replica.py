"""What a brain that shares the sites with other replicas adds (:mod:`collector.replicas`
calls these; :class:`collector.brain.Brain` mixes them in).

The brain judges only the sites :attr:`~collector.brain.Brain.owns` says are its own.
Data of another replica's site is stored and announced
(:attr:`~collector.brain.Brain.on_foreign`, with the backhaul a kit's Hello declared);
data of its own sites stored elsewhere comes in through :meth:`ReplicaFeeding.feed_stored`,
a site it takes over is rebuilt from the store
(:meth:`collector.brain_feeding.Feeding.take`) and one it hands over is forgotten
(:meth:`ReplicaFeeding.disown`). A rebuild raises the tickets of
problems the data shows open but nobody announced (the previous owner died, or let the
site go, before their ``for`` was satisfied): :meth:`ReplicaFeeding._raise_unannounced`,
as the rebuild squares each site's tickets with its data (:meth:`ReplicaFeeding._reconcile_sites`,
one read of the tickets for every site rebuilt together).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from collector.config import CollectorConfig
from collector.observe import observations_from_stored
from collector.rules import Heard, Problem, ProblemName, RuleEngine
from collector.store import Store
from collector.store.model import StoredRecord, Ticket

log = logging.getLogger(__name__)

#: The states of a ticket not resolved yet.
UNRESOLVED = ("open", "acknowledged")


class ReplicaFeeding:
    """Mixed into the brain, whose state it shares."""

    engine: RuleEngine
    store: Store
    config: CollectorConfig
    owns: Callable[[str], bool]
    _known: set[str]
    _rebuilding: dict[str, asyncio.Future[None]]
    _rebuilt_through: dict[str, dict[str, int]]
    _dirty: set[str]
    _wake: asyncio.Event

    def feed_stored(
        self, site_code: str, rows: Sequence[StoredRecord], *, heard_ns: int | None = None
    ) -> None:
        """Records of a site this collector judges, stored by another replica (read after
        :meth:`fed`): fed to the rules once each, judged with the next pass; ``heard_ns``:
        when the store last heard the site (a kit's empty batches store no record)."""
        if site_code not in self._known or not self.owns(site_code):
            return
        fed = self._rebuilt_through.setdefault(site_code, {})
        new = [row for row in rows if row.seq > fed.get(row.agent_id, 0)]
        for row in new:
            fed[row.agent_id] = max(fed.get(row.agent_id, 0), row.seq)
        observations = observations_from_stored(new)
        window = self.engine.window(site_code)
        newest = window.heard[-1] if window is not None and window.heard else 0
        newest = max([newest, *(row.received_ns for row in new)])
        if heard_ns is not None and heard_ns > newest:
            observations.append(Heard(heard_ns))
        if not observations:
            return
        self.engine.observe(site_code, observations)
        self._dirty.add(site_code)
        self._wake.set()

    def disown(self, site_codes: Iterable[str]) -> None:
        """Sites another replica judges from now on: forgotten here."""
        for code in site_codes:
            self.engine.forget(code)
            self._known.discard(code)
            self._rebuilt_through.pop(code, None)
            self._dirty.discard(code)

    def _raise_unannounced(
        self,
        site_code: str,
        problems: Sequence[Problem],
        ticketed: Collection[tuple[str, str]],
        now_ns: int,
    ) -> list[Ticket]:
        """After a rebuild (in a worker thread): the problems open in the data with no
        unresolved ticket (``ticketed``: (operator, problem)) are raised now; AGENT_SILENT
        waits for its own silence. Returns the tickets."""
        raised: list[Ticket] = []
        for p in problems:
            key = (p.key.operator, str(p.key.problem))
            if key in ticketed or p.key.problem is ProblemName.AGENT_SILENT:
                continue
            log.info("site %s: %s open in the data with no ticket; raising", site_code, key)
            change = self.store.raise_problem(
                site_code, p.key.operator, str(p.key.problem),
                route=self.config.routing.route_for(p.key.operator),
                first_bad_ns=p.first_bad_ns, last_bad_ns=p.last_bad_ns,
                evidence=p.evidence.as_dict(), historical=p.historical, now_ns=now_ns,
                reopen_window_ns=int(self.config.tickets.reopen_window_s * 1e9),
            )  # fmt: skip
            raised.append(change.ticket)
        return raised

    def _reconcile_sites(
        self, problems: Mapping[str, Sequence[Problem]], now_ns: int
    ) -> list[Ticket]:
        """After a rebuild, each site's tickets against the problems its data shows
        (:meth:`_reconcile`), the sites' unresolved tickets read at once; the tickets
        raised. A site whose tickets cannot be reconciled is logged and left to its
        next rebuild's turn; the others go on."""
        tickets: dict[str, list[Ticket]] = {code: [] for code in problems}
        for ticket in self.store.tickets_of_sites(list(problems), UNRESOLVED):
            tickets[ticket.site_code].append(ticket)
        raised: list[Ticket] = []
        for site_code, found in problems.items():
            try:
                raised += self._reconcile(site_code, found, tickets[site_code], now_ns)
            except Exception:  # isolation boundary: one site's failure must not stop the rest
                log.exception("cannot reconcile the tickets of site %s (rebuilt)", site_code)
        return raised

    def _reconcile(
        self,
        site_code: str,
        problems: Sequence[Problem],
        unresolved: Sequence[Ticket],
        now_ns: int,
    ) -> list[Ticket]:
        """After a rebuild: open tickets the stored data no longer shows are resolved (the
        problem ended while no collector judged the site); AGENT_SILENT is left to clear
        when the agent is heard, so a collector restart does not page twice. Problems open
        in the data with no ticket are raised; returns those tickets. ``unresolved``: the
        site's open and acknowledged tickets, read after the rebuild."""
        still_open = {(p.key.operator, str(p.key.problem)) for p in problems}
        ticketed: set[tuple[str, str]] = set()
        for ticket in unresolved:
            key = (ticket.operator, ticket.problem)
            ticketed.add(key)
            if key in still_open or ticket.problem == ProblemName.AGENT_SILENT:
                continue
            if ticket.problem not in ProblemName.__members__:
                continue
            log.info("site %s: %s no longer in the data; resolving", site_code, key)
            self.store.clear_problem(
                site_code, ticket.operator, ticket.problem, resolved_ns=now_ns, now_ns=now_ns
            )
        return self._raise_unannounced(site_code, problems, ticketed, now_ns)
