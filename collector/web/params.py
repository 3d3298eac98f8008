"""The REST API's request models (pydantic v2): query strings, path parameters, bodies.

Parameter types carry their own checks (``BeforeValidator``) and messages, so that a
bad value is a 400 whose message names the parameter (:mod:`collector.web.spec`
validates every request with these before its handler runs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator

from collector.search import MAX_CHARS, SearchError, parse_search
from collector.uptime import BY, By
from collector.web.accounts import AccountError, parse_operator
from collector.web.models import SITE_CODE_SCHEMA, Status, Strict
from collector.web.paging import CURSOR_SCHEMA
from pantau.core.sites import PROVINCES

MAX_NOTE = 2000
MAX_HOURS = 168
MAX_TICKETS = 1000
MAX_ITEMS = 10_000
MAX_SITES = 10_000
MAX_ID = 2**63 - 1
MAX_WINDOW_DAYS = 62
PROBLEM_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
#: Ticket queues that are not a network (collector.rules.model).
QUEUES = ("field-team", "satellite", "unknown")
#: Networks the document offers as examples (any MCC-MNC or known name is accepted).
OPERATOR_EXAMPLES = ["510-10", "510-01", "510-11", "telkomsel", "indosat", "xl"]


# -- parameter types ---------------------------------------------------------------------------


def _digits(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    return value


def _site_code(value: Any) -> str:
    text = _digits(value)
    if len(text) != 13 or not text.isascii() or not text.isdigit():
        raise ValueError(
            f"a site code is 13 digits (a TPS code such as 3171011001005), got {text!r}"
        )
    return text


def _ticket_id(value: Any) -> int:
    text = _digits(value)
    if not text.isascii() or not text.isdigit() or len(text) > 19 or not 1 <= int(text) <= MAX_ID:
        raise ValueError(f"a ticket id is a positive whole number, got {text!r}")
    return int(text)


def _province(value: Any) -> str:
    text = _digits(value)
    if text not in PROVINCES:
        raise ValueError(f"province must be a two-digit province code (e.g. 31), got {text!r}")
    return text


def _problem(value: Any) -> str:
    text = _digits(value)
    if len(text) > 64 or not set(text) <= PROBLEM_CHARS:
        raise ValueError(f"problem must be a problem name such as WEAK_SIGNAL, got {text!r}")
    return text


def _network(value: Any) -> str:
    try:
        return parse_operator(_digits(value))
    except AccountError as exc:
        raise ValueError(str(exc)) from None


def _search(value: Any) -> str:
    text = _digits(value)
    try:
        parse_search(text)
    except SearchError as exc:
        raise ValueError(str(exc)) from None
    return text.strip()


def _instant(value: Any) -> int:
    """An ISO 8601 time with its zone -> ns since the epoch."""
    text = _digits(value).strip()
    example = "e.g. 2024-02-14T07:00+07:00 (WIB) or 2024-02-14T00:00Z"
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"a time is ISO 8601 with its zone, {example}; got {text!r}") from None
    if stamp.tzinfo is None:
        raise ValueError(
            "a time needs its zone (Z, +07:00 WIB, +08:00 WITA, +09:00 WIT), "
            f"{example}; got {text!r}"
        )
    if not 2000 <= stamp.year < 2200:
        raise ValueError(f"a time must be from the year 2000 to 2199, got {text!r}")
    return int(stamp.timestamp()) * 1_000_000_000 + stamp.microsecond * 1000


def _network_or_queue(value: Any) -> str:
    return str(value) if value in QUEUES else _network(value)


def _whole(low: int, high: int) -> Callable[[Any], int]:
    """A check: a whole number from ``low`` to ``high`` written in plain digits."""

    def check(value: Any) -> int:
        text = _digits(value)
        if not text.isascii() or not text.isdigit() or len(text) > 12:
            raise ValueError(f"must be a whole number from {low} to {high}, got {text!r}")
        if not low <= int(text) <= high:
            raise ValueError(f"must be from {low} to {high}, got {int(text)}")
        return int(text)

    return check


SiteCode = Annotated[str, BeforeValidator(_site_code), WithJsonSchema(SITE_CODE_SCHEMA)]
TicketId = Annotated[
    int,
    BeforeValidator(_ticket_id),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID, "example": 1}),
]
Province = Annotated[
    str, BeforeValidator(_province), WithJsonSchema({"type": "string", "enum": sorted(PROVINCES)})
]
Problem = Annotated[
    str,
    BeforeValidator(_problem),
    WithJsonSchema({"type": "string", "pattern": "^[A-Z][A-Z0-9_]{0,40}$"}),
]
Network = Annotated[
    str, BeforeValidator(_network), WithJsonSchema({"type": "string", "enum": OPERATOR_EXAMPLES})
]
NetworkOrQueue = Annotated[
    str,
    BeforeValidator(_network_or_queue),
    WithJsonSchema({"type": "string", "enum": [*OPERATOR_EXAMPLES, *QUEUES]}),
]
Search = Annotated[
    str,
    BeforeValidator(_search),
    WithJsonSchema({"type": "string", "maxLength": MAX_CHARS, "examples": ["3171", "Jakarta"]}),
]
Instant = Annotated[
    int,
    BeforeValidator(_instant),
    WithJsonSchema({"type": "string", "format": "date-time", "example": "2024-02-14T07:00+07:00"}),
]
Hours = Annotated[int, BeforeValidator(_whole(1, MAX_HOURS)), Field(ge=1, le=MAX_HOURS)]
ItemLimit = Annotated[int, BeforeValidator(_whole(1, MAX_ITEMS)), Field(ge=1, le=MAX_ITEMS)]
TicketLimit = Annotated[int, BeforeValidator(_whole(1, MAX_TICKETS)), Field(ge=1, le=MAX_TICKETS)]
SiteLimit = Annotated[int, BeforeValidator(_whole(1, MAX_SITES)), Field(ge=1, le=MAX_SITES)]
#: A list's ``next_cursor``, passed back (checked by :mod:`collector.web.paging`).
Cursor = Annotated[str, BeforeValidator(_digits), WithJsonSchema(CURSOR_SCHEMA)]


# -- query strings and path parameters -------------------------------------------------------


class NoQuery(Strict):
    """No query parameters."""


class SitePath(Strict):
    code: SiteCode


class TicketPath(Strict):
    id: TicketId


class SitesQuery(Strict):
    q: Search | None = Field(
        None,
        description="A search: TPS code prefix (3171), province name (Jakarta) or "
        "operator (Telkomsel, XL); every word must match",
    )
    operator: Network | None = Field(None, description="A network: MCC-MNC or a name")
    province: Province | None = Field(None, description="A two-digit province code")
    status: Status | None = Field(None, description="ok, degraded, down, silent or sms")
    problem: Problem | None = Field(None, description="A problem name, e.g. WEAK_SIGNAL")
    limit: SiteLimit = Field(1000, description=f"At most this many (at most {MAX_SITES})")
    cursor: Cursor | None = Field(None, description="The previous page's next_cursor")


class MeasurementsQuery(Strict):
    kind: Literal["signal", "ping", "throughput", "events"] = Field(
        "signal", description="What to list"
    )
    hours: Hours = Field(24, description="The window, in hours back from now")
    limit: ItemLimit = Field(
        2000, description=f"At most this many (the newest; at most {MAX_ITEMS})"
    )
    cursor: Cursor | None = Field(None, description="The previous page's next_cursor (older)")


class TicketsQuery(Strict):
    state: Literal["active", "open", "acknowledged", "resolved", "all"] = Field(
        "active", description="active: open or acknowledged"
    )
    operator: NetworkOrQueue | None = Field(
        None, description="A network (MCC-MNC or a name) or a queue: field-team, satellite, unknown"
    )
    problem: Problem | None = Field(None, description="A problem name, e.g. WEAK_SIGNAL")
    site: SiteCode | None = Field(None, description="A TPS code")
    province: Province | None = Field(None, description="A two-digit province code")
    limit: TicketLimit = Field(100, description=f"At most this many (at most {MAX_TICKETS})")
    cursor: Cursor | None = Field(None, description="The previous page's next_cursor")


class RollupsQuery(Strict):
    hours: Hours = Field(24, description="The window, in hours back from now")


class CoverageQuery(Strict):
    operator: Network | None = Field(None, description="A network: MCC-MNC or a name")
    province: Province | None = Field(None, description="A two-digit province code")
    format: Literal["geojson", "csv"] = Field("geojson", description="GeoJSON or CSV")
    hours: Hours = Field(24, description="The window, in hours back from now")
    by: Literal["site", "operator"] = Field(
        "site",
        description="One entry per site, or per (site, operator) with the KPU-style "
        "coverage class strong / medium / weak / none (docs/operations.md)",
    )


class WindowQuery(Strict):
    """A window of time (default: the last 24 hours), at most :data:`MAX_WINDOW_DAYS`."""

    since: Instant | None = Field(None, description="The window's start (default: until - 24 h)")
    until: Instant | None = Field(None, description="The window's end (default: now)")
    operator: NetworkOrQueue | None = Field(
        None, description="A network (MCC-MNC or a name) or a queue"
    )
    province: Province | None = Field(None, description="A two-digit province code")
    format: Literal["json", "csv"] = Field("json", description="JSON or CSV")

    def window(self, now_ns: int) -> tuple[int, int]:
        """(since, until) in ns; ValueError when it is empty or too long."""
        until = now_ns if self.until is None else self.until
        since = until - 24 * 3600 * 1_000_000_000 if self.since is None else self.since
        if since >= until:
            raise ValueError("since must be before until")
        if until - since > MAX_WINDOW_DAYS * 86400 * 1_000_000_000:
            raise ValueError(f"the window is at most {MAX_WINDOW_DAYS} days")
        return since, until


class TicketExportQuery(WindowQuery):
    pass


class UptimeQuery(WindowQuery):
    by: By = Field("site", description=f"Group by: {', '.join(BY)}")


class EventsQuery(Strict):
    site: SiteCode | None = Field(None, description="Also stream this site's readings")


# -- bodies ------------------------------------------------------------------------------------


def _text(field: str, most: int) -> Callable[[Any], str]:
    """A check: text no store refuses (no NUL, no lone surrogate), at most ``most`` long."""

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"{field} must be a string")
        if len(value) > most:
            raise ValueError(f"{field} must be at most {most} characters, got {len(value)}")
        if "\x00" in value:
            raise ValueError(f"{field} must not contain NUL characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{field} is not valid Unicode text") from None
        return value

    return check


Username = Annotated[str, BeforeValidator(_text("username", 200)), Field(max_length=200)]
Password = Annotated[str, BeforeValidator(_text("password", 1024)), Field(max_length=1024)]
NoteText = Annotated[str, BeforeValidator(_text("note", MAX_NOTE)), Field(max_length=MAX_NOTE)]


class Login(BaseModel):
    model_config = ConfigDict(frozen=True)

    username: Username
    password: Password
    #: Where the page wants to go after logging in (its ``?next=``): the answer's
    #: ``next`` is this when it is a path on this site, else ``/``.
    next: str | None = None


class Note(Strict):
    note: NoteText = ""

    @field_validator("note", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return "" if value is None else value
