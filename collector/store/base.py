"""The storage contract every backend keeps, and :func:`open_store` to pick one.

The contract is split by role, so each part of the collector names what it uses:
:class:`IngestStore` (the ingest, the rules' rebuilds), :class:`TicketStore` (tickets
and their :class:`OutboxStore`), :class:`AccountStore` (kits' enrollment, people's
accounts and sessions) and :class:`QueryStore` (what the web and the CLI read).
:class:`Store` is all of them with retention and ``close``.

Two backends implement :class:`Store` with the same semantics, proven by one shared
test suite (``tests/collector/store``):

- :class:`collector.store.sqlite.SqliteStore`: one SQLite file in WAL mode, the
  embedded default (one machine, one collector process);
- :class:`collector.store.postgres.PostgresStore`: PostgreSQL, shared by any number
  of collector replicas.

Errors::

    CollectorError
     +-- StoreError        the store cannot be opened, migrated or written
     +-- Conflict          (collector.store.sql) a transaction lost a race: run it again;
                           retried inside the store, never seen by callers
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from collector.errors import CollectorError
from collector.incidents import Settings
from collector.store.model import (
    Agent,
    BatchOutcome,
    IngestBatch,
    Notification,
    PruneCounts,
    SiteView,
    SmsHeard,
    SmsLogRow,
    StoredRecord,
    Ticket,
    TicketChange,
    TicketEvent,
    User,
    WebSession,
)
from collector.store.rollups import Rollup

if TYPE_CHECKING:  # collector.store.incidents imports this module (through sql)
    from collector.store.incident_actions import ByHandDone, IncidentEvent
    from collector.store.incidents import StoredIncident
    from collector.store.silences import StoredSilence

SQLITE_FILENAME = "collector.sqlite"


class StoreError(CollectorError):
    """The store cannot be opened, migrated or written."""


# -- the roles: each part of the collector asks for the one it uses ------------------------


class OutboxStore(Protocol):
    """The outbox, as the notification dispatcher (:mod:`collector.notify`) drains it."""

    def claim_notifications(
        self, worker_id: str, *, now_ns: int, lease_ns: int, limit: int
    ) -> list[Notification]: ...
    def mark_delivered(self, notification_id: int, worker_id: str, now_ns: int) -> bool: ...
    def mark_failed(
        self, notification_id: int, worker_id: str, *, error: str, next_attempt_ns: int
    ) -> bool: ...
    def waiting_notifications(self, dedup_key: str, after_id: int) -> list[Notification]: ...
    def mark_superseded(
        self, notification_ids: Sequence[int], by_id: int, worker_id: str, now_ns: int
    ) -> int: ...
    def release_notifications(
        self, notification_ids: Sequence[int], worker_id: str, *, next_attempt_ns: int
    ) -> int: ...


class TicketStore(OutboxStore, Protocol):
    """Tickets changed by the rules and by people, with their outbox rows.

    :mod:`collector.lifecycle` holds the rules; :mod:`collector.store.tickets` runs them.
    """

    def raise_problem(
        self,
        site_code: str,
        operator: str,
        problem: str,
        *,
        route: str,
        first_bad_ns: int,
        last_bad_ns: int,
        evidence: dict[str, Any],
        historical: bool,
        now_ns: int,
        reopen_window_ns: int,
    ) -> TicketChange: ...
    def clear_problem(
        self,
        site_code: str,
        operator: str,
        problem: str,
        *,
        resolved_ns: int,
        now_ns: int,
        actor: str = "auto",
        note: str = "",
    ) -> TicketChange | None: ...
    def record_historical_problem(
        self,
        site_code: str,
        operator: str,
        problem: str,
        *,
        route: str,
        first_bad_ns: int,
        last_bad_ns: int,
        evidence: dict[str, Any],
        now_ns: int,
        note: str = "",
    ) -> TicketChange: ...
    def acknowledge_ticket(
        self, ticket_id: int, *, actor: str, note: str, now_ns: int
    ) -> TicketChange | None: ...
    def resolve_ticket(
        self, ticket_id: int, *, actor: str, note: str, now_ns: int
    ) -> TicketChange | None: ...
    def escalate_due(self, older_than_ns: int, now_ns: int) -> list[TicketChange]: ...


class IngestStore(Protocol):
    """What the ingest and the rules' rebuilds need: kits, anchors, records, windows."""

    def get_agent(self, agent_id: str) -> Agent | None: ...
    def get_agents(self, agent_ids: Sequence[str]) -> dict[str, Agent]: ...
    def credential_epoch(self) -> int: ...
    def save_anchor(
        self, agent_id: str, boot_id: str, monotonic_ns: int, collector_ns: int
    ) -> None: ...
    def anchors(self, agent_id: str) -> dict[str, tuple[int, int]]: ...
    def anchors_of(self, agent_ids: Sequence[str]) -> dict[str, dict[str, tuple[int, int]]]: ...
    def commit(self, batches: Sequence[IngestBatch]) -> list[BatchOutcome]: ...
    def records(
        self, *, agent_id: str | None = None, kind: str | None = None
    ) -> Iterator[StoredRecord]: ...
    def site_window(self, site_code: str, since_ns: int) -> list[StoredRecord]: ...
    def site_windows(
        self, site_codes: Sequence[str], since_ns: int
    ) -> dict[str, list[StoredRecord]]: ...
    def last_heard_of_active_sites(self) -> dict[str, int]: ...


class AccountStore(Protocol):
    """Who may talk to the collector: kits (enrollment), people (users, web sessions).

    Kits: :mod:`collector.store.identity`; people: :mod:`collector.store.accounts`.
    """

    def add_agent(self, agent_id: str, site_code: str, secret_hash: str) -> None: ...
    def get_agent(self, agent_id: str) -> Agent | None: ...
    def revoke_agent(self, agent_id: str) -> bool: ...
    def add_enrollment_code(
        self, code_hash: str, site_code: str, agent_id: str, expires_ns: int
    ) -> None: ...
    def add_enrollment_codes(
        self, codes: Sequence[tuple[str, str, str]], expires_ns: int
    ) -> list[str]: ...
    def redeem_enrollment_code(
        self, code_hash: str, secret_hash: str, hostname: str, now_ns: int
    ) -> tuple[str, str] | None: ...
    def add_user(
        self, username: str, password_hash: str, role: str, operator: str | None, now_ns: int
    ) -> bool: ...
    def get_user(self, username: str) -> User | None: ...
    def list_users(self) -> list[User]: ...
    def remove_user(self, username: str) -> bool: ...
    def create_session(self, session: WebSession) -> None: ...
    def get_session(self, token_hash: str) -> tuple[WebSession, User] | None: ...
    def touch_session(self, token_hash: str, last_used_ns: int) -> None: ...
    def delete_session(self, token_hash: str) -> bool: ...
    def delete_stale_sessions(self, *, now_ns: int, idle_before_ns: int) -> int: ...


class QueryStore(Protocol):
    """What the operations centre and the CLI read: sites, tickets, the outbox backlog."""

    def sites(self, site_codes: Sequence[str] | None = None) -> list[SiteView]: ...
    def list_tickets(
        self,
        *,
        state: str | None = None,
        site_code: str | None = None,
        operator: str | None = None,
        problem: str | None = None,
        limit: int = 100,
        site_prefix: str | None = None,
        states: Sequence[str] | None = None,
        before_id: int | None = None,
    ) -> list[Ticket]: ...
    def get_ticket(self, ticket_id: int) -> tuple[Ticket, list[TicketEvent]] | None: ...
    def outbox_backlog(self) -> int: ...
    # -- batched reads for the query service (collector.store.queries.QueryMethods)
    def tickets_of_sites(
        self, site_codes: Sequence[str] | None, states: Sequence[str]
    ) -> list[Ticket]: ...
    def tickets_in_window(
        self,
        since_ns: int,
        until_ns: int,
        *,
        operator: str | None = None,
        site_prefix: str | None = None,
        limit: int = 100_000,
    ) -> list[Ticket]: ...
    def networks_of_sites(self, site_codes: Sequence[str] | None) -> dict[str, set[str]]: ...
    def sites_without_networks(self) -> list[str]: ...
    def add_site_networks(self, found: Sequence[tuple[str, str, int]]) -> None: ...
    def newest_records_of_sites(
        self, site_codes: Sequence[str], since_ns: int, kinds: Sequence[str], newest: int
    ) -> dict[str, list[StoredRecord]]: ...
    # -- the sites' rollups (collector.store.rollup_sql.RollupMethods)
    def rollups_since(self) -> int | None: ...
    def rollups_of_sites(
        self, site_codes: Sequence[str], since_ns: int
    ) -> dict[str, list[Rollup]]: ...


class IncidentStore(Protocol):
    """Incidents and silences (:mod:`collector.store.incidents`)."""

    incident_settings: Settings | None

    def incidents_tick(self, now_ns: int) -> int: ...
    def list_incidents(
        self,
        *,
        states: Sequence[str] | None = None,
        operator: str | None = None,
        operators: Sequence[str] | None = None,
        top_only: bool = False,
        before_id: int | None = None,
        limit: int = 100,
        province: str | None = None,
        window: tuple[int, int] | None = None,
    ) -> list[StoredIncident]: ...
    def get_incident(self, incident_id: int) -> tuple[StoredIncident, list[int]] | None: ...
    def incident_of_ticket(self, ticket_id: int) -> int | None: ...
    def incident_events(self, incident_id: int) -> list[IncidentEvent]: ...
    def acknowledge_incident(
        self, incident_id: int, *, actor: str, note: str, now_ns: int
    ) -> ByHandDone: ...
    def escalate_incident(
        self, incident_id: int, *, actor: str, note: str, now_ns: int, level: int | None = None
    ) -> ByHandDone: ...
    def add_silence(
        self,
        *,
        operator: str,
        start_ns: int,
        end_ns: int,
        created_by: str,
        reason: str,
        now_ns: int,
        cell: str | None = None,
        kabupaten: str | None = None,
        province: str | None = None,
        family: str | None = None,
    ) -> StoredSilence: ...
    def list_silences(
        self,
        *,
        active_after_ns: int | None = None,
        operators: Sequence[str] | None = None,
        limit: int = 500,
    ) -> list[StoredSilence]: ...
    def get_silence(self, silence_id: int) -> StoredSilence | None: ...
    def expire_silence(self, silence_id: int, now_ns: int) -> bool: ...


class SmsStore(Protocol):
    """The SMS lifeline's counters and log (:mod:`collector.store.sms`)."""

    def sms_highest_counter(self, agent_id: str) -> int | None: ...
    def accept_sms(
        self, agent_id: str, site_code: str, counter: int, received_ns: int, status_json: str
    ) -> bool: ...
    def log_sms(self, row: SmsLogRow) -> None: ...
    def sms_heard(self, site_codes: list[str] | None = None) -> dict[str, SmsHeard]: ...
    def sms_log(self, limit: int = 100) -> list[SmsLogRow]: ...


class Store(IngestStore, TicketStore, IncidentStore, AccountStore, QueryStore, SmsStore, Protocol):
    """Every role, plus retention and closing: what a backend implements in full."""

    backend: str  # "sqlite" | "postgres"

    def close(self) -> None: ...
    def prune(
        self, records_older_than_ns: int, resolved_tickets_older_than_ns: int
    ) -> PruneCounts: ...


def is_postgres_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def open_store(target: str | Path) -> Store:
    """Open (creating and migrating as needed) the store named by ``target``.

    - ``postgresql://...`` or ``postgres://...``: a :class:`PostgresStore` (libpq URL;
      ``?options=-csearch_path%3Dmyschema`` picks a schema);
    - an existing directory: the SQLite file ``<target>/collector.sqlite`` in it;
    - anything else: that path is the SQLite file (its directory is created).
    """
    if is_postgres_url(target):
        from collector.store.postgres import PostgresStore

        return PostgresStore(str(target))
    from collector.store.sqlite import SqliteStore

    path = Path(target)
    if path.is_dir():
        path = path / SQLITE_FILENAME
    return SqliteStore(path)
