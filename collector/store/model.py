"""What the store keeps and returns: plain typed rows, no protobuf."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from collector.store.rollups import Sample


@dataclass(frozen=True, slots=True)
class Agent:
    agent_id: str
    site_code: str
    secret_hash: str
    revoked: bool
    acked_through: int


#: The ingest builds a :class:`RecordRow` per record and a live state per batch; a frozen
#: dataclass's ``__init__`` costs about four times a plain one's (each field set through
#: ``object.__setattr__``), so these are plain slotted dataclasses, never changed after
#: they are made (treat them as values).
@dataclass(slots=True)
class RecordRow:
    """One record ready to store: the collector has authenticated and time-corrected it."""

    seq: int
    kind: str
    event_ns: int  # corrected event time, ns since the Unix epoch (collector clock)
    agent_wall_ns: int  # the kit's own wall clock, as sent
    time_quality: str  # "monotonic" | "synced-wall" | "unsynced-wall" | "future"
    payload: bytes  # the serialized pantau.v1.Record, exactly as received


@dataclass(slots=True)  # a value, not frozen: see RecordRow
class SignalState:
    event_ns: int
    rat: str | None
    reg_state: str | None
    mcc: str | None
    mnc: str | None
    operator_name: str | None
    cell_id: int | None
    rsrp_dbm: float | None
    rsrq_db: float | None
    sinr_db: float | None
    rssi_dbm: float | None
    lat: float | None = None  # the kit's GNSS position, when the modem has a fix
    lon: float | None = None


@dataclass(slots=True)  # a value, not frozen: see RecordRow
class PingState:
    event_ns: int
    target: str
    method: str
    median_ms: float | None
    loss_ratio: float | None  # None: the kit's figure was outside 0..1 (collector.ranges)


@dataclass(slots=True)
class IngestBatch:
    """One agent's batch to commit, with the latest live state it carries."""

    agent_id: str
    site_code: str
    rows: list[RecordRow]
    received_ns: int
    signal: SignalState | None = None
    ping: PingState | None = None
    #: A clock anchor (boot_id, agent monotonic_ns, collector_ns) from this stream's
    #: Hello, saved in the same transaction (no commit of its own per connection).
    anchor: tuple[str, int, int] | None = None
    #: Live state with an event time above this is from the future (the collector's
    #: clock at arrival plus the tolerance): this batch's signal or ping replaces it.
    future_after_ns: int = 2**63 - 1
    #: Every network (MCC-MNC) a reading of this batch names: the site's networks
    #: (``site_operators``) gain them in the same transaction.
    operators: tuple[str, ...] = ()
    #: Each row's part of its site's rollups (collector.store.rollups), aligned with
    #: ``rows`` (None: a record of no rolled-up kind); empty: no rollups from this batch.
    samples: tuple[Sample | None, ...] = ()

    def stored_samples(self, stored: Callable[[int], bool]) -> list[tuple[str, Sample]]:
        """(site, sample) of the rows whose seq ``stored`` says this commit stored."""
        return [
            (self.site_code, s)
            for row, s in zip(self.rows, self.samples, strict=False)
            if s is not None and stored(row.seq)
        ]


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    stored: int
    duplicates: int
    acked_through: int


@dataclass(frozen=True, slots=True)
class SiteView:
    site_code: str
    agent_ids: tuple[str, ...]
    last_seen_ns: int | None
    signal: SignalState | None
    ping: PingState | None
    records: int = 0
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredRecord:
    agent_id: str
    site_code: str
    seq: int
    kind: str
    event_ns: int
    agent_wall_ns: int
    time_quality: str
    received_ns: int
    payload: bytes


# -- tickets and their outbox ---------------------------------------------------------
#
# A ticket's key is (site_code, operator, problem); the database allows at most one
# ticket per key that is not 'resolved'. Times ending in ``_ns`` are ns since the
# Unix epoch: ``first_bad_ns``/``last_bad_ns``/``resolved_ns`` of an automatic clear are
# event times (what the data says), the rest are when the collector acted.


class TicketState(StrEnum):
    """A ticket's state (the ``tickets.state`` column holds the value)."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class TicketAction(StrEnum):
    """What happened to a ticket (``ticket_events.action``, ``TicketChange.action``)."""

    OPENED = "opened"
    UPDATED = "updated"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    ESCALATED = "escalated"


class NotifyAction(StrEnum):
    """The ``event_action`` of a notification (``outbox.action``; PagerDuty's words)."""

    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    ESCALATE = "escalate"
    UPDATE = "update"  # an incident's affected count changed (collector.incidents)


TICKET_STATES = tuple(s.value for s in TicketState)
TICKET_ACTIONS = tuple(a.value for a in TicketAction)
NOTIFY_ACTIONS = tuple(a.value for a in NotifyAction)


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    site_code: str
    operator: str  # "510-10" (MCC-MNC), or a queue such as "field-team" or "satellite"
    problem: str  # e.g. "WEAK_SIGNAL"
    state: str  # 'open' | 'acknowledged' | 'resolved'
    route: str  # where notifications go: a key of the notifier's configuration
    first_bad_ns: int  # event time the problem began
    last_bad_ns: int  # newest event time the problem was seen
    opened_ns: int
    updated_ns: int
    resolved_ns: int | None  # event time of an automatic clear; wall time of a manual one
    historical: bool  # raised from backfilled data: recorded, never paged
    escalated_ns: int | None
    reopen_count: int
    reopened_ns: int | None  # the last reopening; escalation counts from here if set
    evidence: dict[str, Any]
    resolved_by: str | None  # 'auto' or a person's name

    @property
    def is_open(self) -> bool:
        return self.state != "resolved"


@dataclass(frozen=True, slots=True)
class TicketEvent:
    ticket_id: int
    at_ns: int
    action: str  # one of TICKET_ACTIONS
    actor: str  # 'auto' or a person's name
    note: str


@dataclass(frozen=True, slots=True)
class TicketChange:
    """What one ticket call did: the ticket afterwards, the history action, the outbox row.

    ``notification_id`` is the outbox row written in the same transaction, or None when
    nobody is paged (an update of an open ticket, or a historical ticket).
    """

    ticket: Ticket
    action: str  # one of TICKET_ACTIONS
    notification_id: int | None


@dataclass(frozen=True, slots=True)
class Notification:
    """One outbox row, as claimed by a notifier worker."""

    id: int
    ticket_id: int | None  # None for an incident's notification
    dedup_key: str  # stable per ticket ("pantau-<ticket id>") or incident
    # ("pantau-incident-<id>"): the receiver's idempotency key
    action: str  # one of NOTIFY_ACTIONS
    route: str
    payload: str  # JSON text: the ticket as it was when the change was made
    created_ns: int
    attempts: int  # deliveries started, this one included
    next_attempt_ns: int
    delivered_ns: int | None
    last_error: str | None
    claimed_by: str | None
    claim_until_ns: int | None
    incident_id: int | None = None  # set for an incident's notification


@dataclass(frozen=True, slots=True)
class PruneCounts:
    records: int
    tickets: int
    ticket_events: int
    outbox: int


# -- the operations centre's accounts -------------------------------------------------

USER_ROLES = ("viewer", "operator", "admin")


@dataclass(frozen=True, slots=True)
class User:
    username: str
    password_hash: str  # Argon2id, as argon2-cffi encodes it
    role: str  # one of USER_ROLES
    operator: str | None  # MCC-MNC the account is scoped to, or None (every network)
    created_ns: int
    disabled: bool


@dataclass(frozen=True, slots=True)
class WebSession:
    token_hash: str  # sha256 hex of the cookie's token: the token itself is never stored
    username: str
    csrf_token: str
    created_ns: int
    last_used_ns: int
    expires_ns: int  # the absolute end of the session


@dataclass(frozen=True, slots=True)
class SmsHeard:
    """A kit's last authentic SMS: when it came and the status it carried (JSON)."""

    agent_id: str
    site_code: str
    counter: int
    last_sms_ns: int
    status_json: str


@dataclass(frozen=True, slots=True)
class SmsLogRow:
    received_ns: int
    sender: str
    via: str
    agent_id: str | None
    verdict: str
    reason: str
    body: str
