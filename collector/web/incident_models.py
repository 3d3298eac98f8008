"""The REST API's incident and silence models (pydantic v2): requests and responses.

In the style of :mod:`collector.web.models` (responses) and :mod:`collector.web.params`
(requests); :mod:`collector.web.spec` builds the OpenAPI document from them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema

from collector.incidents import titles
from collector.incidents_by_hand import MAX_ESCALATION
from collector.present import iso
from collector.store.incident_actions import IncidentEvent as StoredEvent
from collector.store.incidents import StoredIncident, names_of
from collector.store.silences import StoredSilence
from collector.web.models import Strict, Ticket, Time
from collector.web.params import (
    MAX_ID,
    MAX_TICKETS,
    Cursor,
    NetworkOrQueue,
    Note,
    Province,
    TicketLimit,
    WindowQuery,
    _digits,
    _text,
)
from pantau.core.operators import operator_label

Family = Literal["coverage", "network", "kit"]
MAX_REASON = 500
_EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def _positive_id(what: str) -> Any:
    def check(value: Any) -> int:
        text = _digits(value)
        digits = text.isascii() and text.isdigit() and len(text) <= 19
        if not digits or not 1 <= int(text) <= MAX_ID:
            raise ValueError(f"{what} id is a positive whole number, got {text!r}")
        return int(text)

    return check


def _kabupaten(value: Any) -> str:
    text = _digits(value)
    if len(text) != 4 or not text.isascii() or not text.isdigit():
        raise ValueError(f"kabupaten is the TPS code's first 4 digits (e.g. 3171), got {text!r}")
    return text


def _instant(value: Any) -> int:
    """ISO 8601 with a zone offset -> ns since the epoch."""
    text = _digits(value)
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        example = "2026-12-04T22:00+07:00"
        raise ValueError(f"expected an ISO 8601 time such as {example}, got {text!r}") from None
    if stamp.tzinfo is None:
        raise ValueError(f"give the time's zone, e.g. {text}+07:00 (WIB) or {text}Z (UTC)")
    if not _EARLIEST <= stamp <= _LATEST:
        raise ValueError(f"expected a time from 2000 to 2200, got {text!r}")
    return int(stamp.timestamp()) * 1_000_000_000 + stamp.microsecond * 1000


Reason = Annotated[
    str,
    BeforeValidator(_text("reason", MAX_REASON)),
    Field(min_length=1, max_length=MAX_REASON),
]
Cell = Annotated[str, BeforeValidator(_text("cell", 64)), Field(min_length=1, max_length=64)]
IncidentId = Annotated[
    int,
    BeforeValidator(_positive_id("an incident")),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID, "example": 1}),
]
SilenceId = Annotated[
    int,
    BeforeValidator(_positive_id("a silence")),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID, "example": 1}),
]
Kabupaten = Annotated[
    str,
    BeforeValidator(_kabupaten),
    WithJsonSchema({"type": "string", "pattern": "^[0-9]{4}$", "example": "3171"}),
]
Instant = Annotated[
    int,
    BeforeValidator(_instant),
    WithJsonSchema({"type": "string", "format": "date-time", "example": "2026-12-04T22:00+07:00"}),
]


# -- requests --------------------------------------------------------------------------------


class IncidentsQuery(Strict):
    state: Literal["open", "resolved", "all"] = Field("open", description="Which incidents")
    level: Literal["top", "all"] = Field(
        "top", description="top: only incidents that page (not those inside an area incident)"
    )
    operator: NetworkOrQueue | None = Field(None, description="A network or a queue")
    limit: TicketLimit = Field(100, description=f"At most this many (at most {MAX_TICKETS})")
    cursor: Cursor | None = Field(None, description="The previous page's next_cursor")


class IncidentExportQuery(WindowQuery):
    level: Literal["top", "all"] = Field(
        "all", description="top: only incidents that page; all: their parts too"
    )


class IncidentPath(Strict):
    id: IncidentId


class Escalation(Note):
    """Escalate: a note for the incident's history and, to make a second click harmless,
    the level wanted (default: the next; a level reached already changes nothing)."""

    level: int | None = Field(
        None, ge=1, le=MAX_ESCALATION, description=f"1 to {MAX_ESCALATION}; default the next"
    )


class SilencesQuery(Strict):
    state: Literal["active", "all"] = Field(
        "active", description="active: not yet ended (running or planned)"
    )


class SilencePath(Strict):
    id: SilenceId


class NewSilence(Strict):
    """Planned work: incidents it matches are recorded but page nobody."""

    operator: NetworkOrQueue
    cell: Cell | None = Field(None, description="A cell, e.g. 510-01:12825858")
    kabupaten: Kabupaten | None = None
    province: Province | None = None
    family: Family | None = Field(None, description="Only this problem family")
    start: Instant | None = Field(None, description="When the work starts (default: now)")
    end: Instant
    reason: Reason = Field(description="The planned work")


# -- responses -------------------------------------------------------------------------------


class IncidentScope(Strict):
    cell: str | None
    kabupaten: str | None
    province: str | None


class OthersFine(Strict):
    count: int = Field(description="Affected TPS where another network is fine")
    operators: list[str]


class Incident(Strict):
    id: int
    key: str
    kind: Literal["site", "cell", "area", "field"]
    operator: str
    operator_name: str | None
    family: Family
    problem: str
    scope: IncidentScope
    title: str
    title_id: str = Field(description="The title in Bahasa Indonesia")
    state: Literal["open", "resolved"]
    parent_id: int | None = Field(description="The area incident this one is part of")
    route: str
    opened: Time
    updated: Time
    resolved: Time | None
    affected: int = Field(description="TPS with a live ticket")
    sites: list[str] = Field(description="Up to 50 of the affected TPS codes")
    others_fine: OthersFine
    silenced_by: int | None
    paged: Literal["no", "triggered", "resolved"]
    acked_by: str | None = Field(description="Who acknowledged it (null: nobody yet)")
    acked: Time | None
    ack_note: str
    escalation: int = Field(description=f"The level escalated to by hand, 0 to {MAX_ESCALATION}")
    escalated: Time | None = Field(description="When it was last escalated")

    @staticmethod
    def fields_of(stored: StoredIncident) -> dict[str, Any]:
        inc = stored.incident
        title, title_id = titles(inc, names_of(inc.operator))
        fine = dict(inc.others_fine) or {"count": 0, "operators": []}
        return {
            "id": inc.id, "key": inc.key, "kind": inc.kind.value, "operator": inc.operator,
            "operator_name": operator_label(inc.operator), "family": inc.family.value,
            "problem": inc.problem,
            "scope": {"cell": inc.scope.cell, "kabupaten": inc.scope.kabupaten,
                      "province": inc.scope.province},
            "title": title, "title_id": title_id, "state": inc.state,
            "parent_id": stored.parent_id, "route": inc.route, "opened": iso(inc.opened_ns),
            "updated": iso(inc.updated_ns), "resolved": iso(inc.resolved_ns),
            "affected": inc.affected, "sites": list(inc.sites), "others_fine": fine,
            "silenced_by": inc.silenced_by, "paged": inc.paged.value, "acked_by": inc.acked_by,
            "acked": iso(inc.acked_ns), "ack_note": inc.ack_note, "escalation": inc.escalation,
            "escalated": iso(inc.escalated_ns),
        }  # fmt: skip

    @classmethod
    def of(cls, stored: StoredIncident) -> Incident:
        return cls.model_validate(cls.fields_of(stored))


class IncidentEvent(Strict):
    time: Time
    action: Literal["acknowledged", "escalated"]
    actor: str
    note: str
    level: int | None = Field(description="The level escalated to")

    @classmethod
    def of(cls, event: StoredEvent) -> IncidentEvent:
        return cls.model_validate(
            {"time": iso(event.at_ns), "action": event.action, "actor": event.actor,
             "note": event.note, "level": event.level}
        )  # fmt: skip


class IncidentDetail(Incident):
    tickets: list[Ticket] = Field(description="Its tickets (and its parts'), newest first")
    events: list[IncidentEvent] = Field(
        description="What people did to it (acknowledged, escalated), oldest first"
    )


class Incidents(Strict):
    incidents: list[Incident]
    next_cursor: str | None = Field(
        description="null on the last page; else pass it as cursor for the next"
    )


class IncidentExport(Strict):
    since: Time
    until: Time
    #: More incidents overlap the window than one export holds: ask for a shorter one.
    truncated: bool
    incidents: list[Incident]


#: The CSV's columns: an incident's fields, its scope and others_fine spread out.
INCIDENT_COLUMNS = [
    *(n for n in Incident.model_fields if n not in ("scope", "sites", "others_fine")),
    "cell", "kabupaten", "province", "sites", "others_fine_count", "others_fine_operators",
]  # fmt: skip


def incident_row(incident: Incident) -> dict[str, Any]:
    """One CSV row: lists joined by spaces (TPS codes and network codes have none)."""
    row = incident.model_dump(mode="json")
    scope = row.pop("scope")
    fine = row.pop("others_fine")
    return {
        **row,
        **scope,
        "sites": " ".join(row["sites"]),
        "others_fine_count": fine["count"],
        "others_fine_operators": " ".join(fine["operators"]),
    }


class Silence(Strict):
    id: int
    operator: str
    cell: str | None
    kabupaten: str | None
    province: str | None
    family: Family | None
    start: Time
    end: Time
    created_by: str
    reason: str
    created: Time

    @classmethod
    def of(cls, stored: StoredSilence) -> Silence:
        s = stored.silence
        return cls.model_validate(
            {"id": s.id, "operator": s.operator, "cell": s.cell, "kabupaten": s.kabupaten,
             "province": s.province, "family": None if s.family is None else s.family.value,
             "start": iso(s.start_ns), "end": iso(s.end_ns), "created_by": stored.created_by,
             "reason": stored.reason, "created": iso(stored.created_ns)}
        )  # fmt: skip


class Silences(Strict):
    silences: list[Silence]
