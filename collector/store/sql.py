"""What the portable SQL of tickets, outbox and retention runs on.

:class:`Transactional` is the base of both stores' ticket and outbox methods: a
backend supplies :meth:`~Transactional._transact` (one write transaction, turning a
lost race into :class:`Conflict`) and :meth:`~Transactional._read`, and hands the
body a :class:`Tx`. Dialect differences live in the ``Tx``: placeholders (SQL here
always uses ``?``) and row locks (``FOR UPDATE`` on PostgreSQL; SQLite's single
writer needs none).
"""

from __future__ import annotations

import math
import operator
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from collector.errors import CollectorError
from collector.store.base import StoreError
from collector.store.model import IngestBatch, PingState, SignalState, SiteView, StoredRecord
from pantau.core.operators import network_of

T = TypeVar("T")

#: How often a transaction that lost a race (unique violation, deadlock) is retried.
MAX_ATTEMPTS = 8

TICKET_COLUMNS = (
    "id, site_code, operator, problem, state, route, first_bad_ns, last_bad_ns, opened_ns, "
    "updated_ns, resolved_ns, historical, escalated_ns, reopen_count, reopened_ns, evidence, "
    "resolved_by"
)
OUTBOX_COLUMNS = (
    "id, ticket_id, dedup_key, action, route, payload, created_ns, attempts, next_attempt_ns, "
    "delivered_ns, last_error, claimed_by, claim_until_ns, incident_id"
)
RECORD_COLUMNS = (
    "agent_id, site_code, seq, kind, event_ns, agent_wall_ns, time_quality, received_ns, payload"
)


def stored_record(r: Sequence[Any]) -> StoredRecord:
    """A row of :data:`RECORD_COLUMNS` as read back (either driver's types)."""
    return StoredRecord(
        r[0], r[1], int(r[2]), r[3], int(r[4]), int(r[5]), r[6], int(r[7]), bytes(r[8])
    )


#: The live signal columns of ``site_state``, in the order of :class:`SignalState`.
SIGNAL_COLUMNS = (
    "rat",
    "reg_state",
    "mcc",
    "mnc",
    "operator_name",
    "cell_id",
    "rsrp_dbm",
    "rsrq_db",
    "sinr_db",
    "rssi_dbm",
    "lat",
    "lon",
)


#: A site's latest signal, applied only if newer than the one it has (event time), or
#: if the one it has is from the future (stored before the collector judged future
#: times: it would pin the live view for ever).
UPDATE_SIGNAL = (
    "UPDATE site_state SET signal_ns = ?, "  # noqa: S608 - column names are constants
    + ", ".join(f"{c} = ?" for c in SIGNAL_COLUMNS)
    + " WHERE site_code = ? AND (signal_ns IS NULL OR signal_ns <= ? OR signal_ns > ?)"
)
#: A site's latest ping summary, applied only if newer than the one it has (or that
#: one is from the future).
UPDATE_PING = (
    "UPDATE site_state SET ping_ns = ?, ping_target = ?, ping_method = ?, "
    "ping_median_ms = ?, ping_loss_ratio = ? "
    "WHERE site_code = ? AND (ping_ns IS NULL OR ping_ns <= ? OR ping_ns > ?)"
)


#: A network the site is seen on, kept once (the first time it was heard).
ADD_SITE_OPERATOR = (
    "INSERT INTO site_operators (site_code, operator, first_seen_ns) VALUES (?, ?, ?) "
    "ON CONFLICT (site_code, operator) DO NOTHING"
)


def batch_networks(batch: IngestBatch) -> list[str]:
    """The networks a batch shows its site on: every one its readings name, and its
    live signal's (a Snapshot's), as MCC-MNC, sorted."""
    found = set(batch.operators)
    if batch.signal is not None:
        network = network_of(batch.signal.mcc, batch.signal.mnc)
        if network is not None:
            found.add(network)
    return sorted(found)


#: A SignalState's values in the order of SIGNAL_COLUMNS (one call: a commit's hot path).
live_signal_values = operator.attrgetter(*SIGNAL_COLUMNS)


def live_state_updates(batch: IngestBatch) -> list[tuple[str, tuple[object, ...]]]:
    """The statements (``?`` placeholders) and parameters that move a site's live state
    to the signal and ping a batch carries, and add the networks its readings name to
    the site's; both backends' group commits run them."""
    updates: list[tuple[str, tuple[object, ...]]] = [
        (ADD_SITE_OPERATOR, (batch.site_code, network, batch.received_ns))
        for network in batch_networks(batch)
    ]
    if batch.signal is not None:
        s = batch.signal
        future = batch.future_after_ns
        values = live_signal_values(s)
        updates.append((UPDATE_SIGNAL, (s.event_ns, *values, batch.site_code, s.event_ns, future)))
    if batch.ping is not None:
        p = batch.ping
        ping = (p.event_ns, p.target, p.method, p.median_ms, p.loss_ratio)
        updates.append((UPDATE_PING, (*ping, batch.site_code, p.event_ns, batch.future_after_ns)))
    return updates


def finite(value: Any) -> Any:
    """A stored figure, or None for a non-finite one (stored before the collector judged
    values: no non-finite number reaches a JSON writer)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def site_view_from_row(row: Sequence[Any]) -> SiteView:
    """A ``sites()`` row: site, last seen, signal_ns, SIGNAL_COLUMNS, ping, agents, count."""
    n = len(SIGNAL_COLUMNS)
    site_code, last_seen, signal_ns = row[0], row[1], row[2]
    sig = [finite(value) for value in row[3 : 3 + n]]
    ping_ns, target, method, median, loss, agents, count = row[3 + n :]
    signal = None
    if signal_ns is not None:
        signal = SignalState(int(signal_ns), *sig)
    ping = None
    if ping_ns is not None:
        loss = finite(loss)
        ping = PingState(
            int(ping_ns), str(target), str(method), finite(median),
            None if loss is None else float(loss),
        )  # fmt: skip
    return SiteView(
        site_code=str(site_code),
        agent_ids=tuple(str(agents).split()) if agents else (),
        last_seen_ns=None if last_seen is None else int(last_seen),
        signal=signal,
        ping=ping,
        records=int(count),
    )


class Conflict(CollectorError):
    """A concurrent writer changed what this transaction read: run it again.

    Raised inside a transaction and caught by :meth:`Transactional._retrying`."""


class Tx(Protocol):
    """One open transaction. SQL uses ``?`` placeholders on every backend."""

    #: Appended to a SELECT that reads rows it will then change (" FOR UPDATE" or "").
    lock_rows: str
    #: Appended to the outbox claim query (" FOR UPDATE OF o SKIP LOCKED" or "").
    skip_locked: str

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]: ...
    def one(self, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None: ...
    def run(self, sql: str, params: Sequence[object] = ()) -> int:
        """Execute; the number of rows changed."""
        ...


def opt_int(value: Any) -> int | None:
    """A nullable integer column."""
    return None if value is None else int(value)


def opt_str(value: Any) -> str | None:
    """A nullable text column."""
    return None if value is None else str(value)


def placeholders(n: int) -> str:
    return ", ".join("?" * n)


class Transactional(ABC):
    """The transactions a backend provides to the portable methods."""

    @abstractmethod
    def _transact(self, body: Callable[[Tx], T]) -> T:
        """Run ``body`` in one write transaction; raise :class:`Conflict` on a lost race."""

    @abstractmethod
    def _read(self, body: Callable[[Tx], T]) -> T:
        """Run ``body`` in one read-only transaction."""

    def _retrying(self, body: Callable[[Tx], T]) -> T:
        """:meth:`_transact`, run again (from the start) while it loses races."""
        for _ in range(MAX_ATTEMPTS):
            try:
                return self._transact(body)
            except Conflict:
                continue
        raise StoreError(
            f"a transaction lost {MAX_ATTEMPTS} races in a row to concurrent writers; "
            "the database is overloaded or a writer is looping"
        )
