"""What a brain that shares the sites with other replicas adds: the data of its sites
stored by other replicas, and sites handed over (:mod:`collector.replicas` calls these;
:class:`collector.brain.Brain` mixes them in)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence

from collector.observe import observations_from_stored
from collector.rules import Heard, RuleEngine
from collector.store.model import StoredRecord


class ReplicaFeeding:
    """Mixed into the brain, whose state it shares."""

    engine: RuleEngine
    owns: Callable[[str], bool]
    _known: set[str]
    _rebuilt_through: dict[str, dict[str, int]]
    _dirty: set[str]
    _wake: asyncio.Event

    def fed(self, site_code: str) -> dict[str, int]:
        """Per kit, the highest seq of the site this engine has been fed."""
        return dict(self._rebuilt_through.get(site_code, {}))

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
