"""The REST API's response models (pydantic v2); the requests' are in :mod:`.params`.

Handlers build every JSON response from these models; :mod:`collector.web.spec` makes
the OpenAPI document from them and the route table: the two cannot drift apart.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
)

from collector.coverage_rows import CoverageEntry, OperatorCoverageEntry
from collector.per_operator import OperatorFigures
from collector.present import iso
from collector.query import SiteRow, signal_fields
from collector.store import model
from collector.store.rollups import Rollup
from collector.uptime import UptimeRow
from pantau.core.operators import operator_label
from pantau.core.sites import PROVINCES

Time = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Status = Literal["ok", "degraded", "down", "silent", "sms"]  # sms: data down, kit alive
TicketState = Literal["open", "acknowledged", "resolved"]
Invalid = Annotated[
    list[str],
    Field(
        description="The record's fields outside their valid range (docs/proto.md), e.g. "
        '"rsrp_dbm" or "packets[2].rtt_ms", and "time" for an event time from the future: '
        "stored as received, shown here as null"
    ),
]
SITE_CODE_SCHEMA = {"type": "string", "pattern": "^[0-9]{13}$", "example": "3171011001005"}


class Strict(BaseModel):
    """A JSON object that lists every key it may have."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# -- responses -------------------------------------------------------------------------------


class Error(Strict):
    error: Literal[
        "bad_request", "unauthorized", "login_failed", "csrf", "forbidden", "not_found",
        "method_not_allowed", "conflict", "too_many_attempts", "too_large", "internal",
        "busy", "unsupported_media_type", "cross_origin", "bad_cursor",
    ]  # fmt: skip
    message: str


class Health(Strict):
    status: Literal["ok"]


class Account(Strict):
    username: str
    role: Literal["viewer", "operator", "admin"]
    operator: str | None
    operator_name: str | None
    csrf_token: str
    expires: Time


class LoginAnswer(Account):
    #: Where to go now: the login's ``next`` when it is a path on this site, else ``/``.
    next: str


class MapState(Strict):
    version: int
    columns: list[
        Literal[
            "code", "lat", "lon", "status", "operator", "province", "problems", "networks",
            "since", "operators",
        ]
    ]  # fmt: skip
    rows: list[
        Annotated[
            list[Any],
            Field(
                min_length=10,
                max_length=10,
                description="code, lat, lon, status, operator (the latest reading's), province, "
                "problems, networks (every network the site is known on), since (when its "
                "trouble began: oldest open ticket's first bad reading, or last heard; null "
                "while ok), operators (each network's own status, when it has several)",
            ),
        ]
    ]


class SiteSummary(Strict):
    code: Annotated[str, WithJsonSchema(SITE_CODE_SCHEMA)]
    province: str
    province_name: str | None
    operator: str | None = Field(description="the network of the latest reading")
    operator_name: str | None
    networks: list[str] = Field(
        description="every network the site is known on (seen on, or a ticket about)"
    )
    status: Status
    problems: list[str]
    lat: float | None
    lon: float | None
    located: Literal["gnss", "province"] | None
    rat: str | None
    reg_state: str | None
    cell_id: int | None
    rsrp_dbm: float | None
    rsrq_db: float | None
    sinr_db: float | None
    rssi_dbm: float | None
    signal_time: Time | None
    ping_median_ms: float | None
    loss_ratio: float | None
    ping_time: Time | None
    last_seen: Time | None
    records: int

    @classmethod
    def fields_of(cls, row: SiteRow) -> dict[str, Any]:
        site, p = row.site, row.site.ping
        return {
            "code": row.code,
            "province": row.province,
            "province_name": PROVINCES.get(row.province),
            "operator": row.operator,
            "operator_name": row.operator_name,
            "networks": list(row.networks),
            "status": row.status,
            "problems": list(row.problems),
            "lat": row.lat,
            "lon": row.lon,
            "located": row.located,
            **signal_fields(site, iso),
            "ping_median_ms": p.median_ms if p else None,
            "loss_ratio": p.loss_ratio if p else None,
            "ping_time": iso(p.event_ns) if p else None,
            "last_seen": iso(site.last_seen_ns),
            "records": site.records,
        }

    @classmethod
    def of(cls, row: SiteRow) -> SiteSummary:
        return cls(**cls.fields_of(row))


class Sites(Strict):
    sites: list[SiteSummary]
    next_cursor: str | None = Field(
        description="null on the last page; else pass it as cursor for the next"
    )


class Cell(Strict):
    cell_id: int | None
    rat: str | None
    reg_state: str | None
    operator: str | None
    operator_name: str | None
    time: Time


class TicketEvent(Strict):
    time: Time
    action: Literal["opened", "updated", "acknowledged", "resolved", "reopened", "escalated"]
    actor: str
    note: str

    @classmethod
    def of(cls, event: model.TicketEvent) -> TicketEvent:
        return cls.model_validate(
            {"time": iso(event.at_ns), "action": event.action, "actor": event.actor,
             "note": event.note}
        )  # fmt: skip


class Ticket(Strict):
    id: int
    site_code: str
    province: str
    operator: str
    operator_name: str | None
    problem: str
    state: TicketState
    route: str
    first_bad: Time
    last_bad: Time
    opened: Time
    updated: Time
    resolved: Time | None
    resolved_by: str | None
    historical: bool
    escalated: Time | None
    reopen_count: int
    evidence: dict[str, Any]

    @staticmethod
    def fields_of(ticket: model.Ticket) -> dict[str, Any]:
        return {
            "id": ticket.id,
            "site_code": ticket.site_code,
            "province": ticket.site_code[:2],
            "operator": ticket.operator,
            "operator_name": operator_label(ticket.operator),
            "problem": ticket.problem,
            "state": ticket.state,
            "route": ticket.route,
            "first_bad": iso(ticket.first_bad_ns),
            "last_bad": iso(ticket.last_bad_ns),
            "opened": iso(ticket.opened_ns),
            "updated": iso(ticket.updated_ns),
            "resolved": iso(ticket.resolved_ns),
            "resolved_by": ticket.resolved_by,
            "historical": ticket.historical,
            "escalated": iso(ticket.escalated_ns),
            "reopen_count": ticket.reopen_count,
            "evidence": ticket.evidence,
        }

    @classmethod
    def of(cls, ticket: model.Ticket) -> Ticket:
        return cls(**cls.fields_of(ticket))


class TicketDetail(Ticket):
    events: list[TicketEvent]
    incident_id: int | None = Field(
        None, description="The incident it belongs (or last belonged) to: /api/v1/incidents/{id}"
    )

    @classmethod
    def of_history(
        cls,
        ticket: model.Ticket,
        events: list[model.TicketEvent],
        incident_id: int | None = None,
    ) -> TicketDetail:
        return cls(
            **cls.fields_of(ticket),
            events=[TicketEvent.of(e) for e in events],
            incident_id=incident_id,
        )


class Tickets(Strict):
    tickets: list[Ticket]
    next_cursor: str | None = Field(
        description="null on the last page; else pass it as cursor for the next"
    )


class OperatorAtSite(Strict):
    """One operator at a site, as its kit measured it over the last hour
    (:mod:`collector.per_operator`): the latest reading and ping round, the latest
    throughput each way, and the KPU-style coverage class of the hour's readings."""

    operator: str
    operator_name: str | None
    modem: str | None
    time: Time | None
    rat: str | None
    reg_state: str | None
    rsrp_dbm: float | None
    rsrq_db: float | None
    sinr_db: float | None
    ping_time: Time | None
    ping_median_ms: float | None
    loss_ratio: float | None
    download_bps: float | None
    upload_bps: float | None
    readings: int
    coverage: Literal["strong", "medium", "weak", "none", "unknown"]

    @classmethod
    def of(cls, f: OperatorFigures) -> OperatorAtSite:
        return cls(
            operator=f.operator,
            operator_name=f.operator_name,
            modem=f.modem,
            time=iso(f.signal_ns),
            rat=f.rat,
            reg_state=f.reg_state,
            rsrp_dbm=f.rsrp_dbm,
            rsrq_db=f.rsrq_db,
            sinr_db=f.sinr_db,
            ping_time=iso(f.ping_ns),
            ping_median_ms=f.ping_median_ms,
            loss_ratio=f.loss_ratio,
            download_bps=f.download_bps,
            upload_bps=f.upload_bps,
            readings=f.readings,
            coverage=f.coverage,
        )


class Lifeline(Strict):
    """The site's kit texts while its data path is down (the SMS lifeline)."""

    state: Literal["data-down-kit-alive"]
    label: dict[str, str] = Field(description='{"en": ..., "id": ...}')
    last_sms: Time
    agent_id: str
    counter: int
    registration: int | None = Field(description="TS 27.007 <stat> (1 home, 5 roaming)")
    signal_dbm: int | None
    operator: str | None
    backlog: int | None = Field(description="records waiting in the kit's spool")
    down_s: int | None = Field(description="seconds the kit's data path had been down")
    error: str | None


class SiteDetail(SiteSummary):
    agents: list[str]
    cell: Cell | None
    tickets: list[Ticket]
    #: The operators the site's kit measured in the last hour, side by side (a kit
    #: with a modem per operator has several).
    operators: list[OperatorAtSite] = []

    #: Set while the newest thing heard from the site is an authentic SMS (its data is
    #: down but the kit is alive); null once data flows again.
    lifeline: Lifeline | None = None


class SignalItem(Strict):
    time: Time
    rat: str | None
    rsrp_dbm: float | None
    rsrq_db: float | None
    sinr_db: float | None
    rssi_dbm: float | None
    cell_id: int | None
    #: How many neighbour cells the kit's modem heard; null when it cannot say.
    neighbours: int | None
    operator: str | None
    lat: float | None
    lon: float | None
    invalid: Invalid


class PingItem(Strict):
    time: Time
    target: str
    method: str
    sent: int
    received: int
    loss_ratio: float | None
    rtts_ms: list[float | None]
    median_ms: float | None
    min_ms: float | None
    max_ms: float | None
    invalid: Invalid


class ThroughputItem(Strict):
    time: Time
    direction: str | None
    mbps: float | None
    bytes: int | None
    duration_s: float | None
    invalid: Invalid


class EventItem(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    time: Time
    kind: Literal["cell", "operator", "rat"]
    from_: str | int = Field(alias="from")
    to: str | int


class Measurements(Strict):
    site: Annotated[str, WithJsonSchema(SITE_CODE_SCHEMA)]
    kind: Literal["signal", "ping", "throughput", "events"]
    hours: int
    items: list[SignalItem | PingItem | ThroughputItem | EventItem]
    next_cursor: str | None = Field(
        description="null on the last page; else pass it as cursor for the older items"
    )


class FigureSummary(Strict):
    """One figure over a bucket: the median of the values the bucket keeps (its
    first 60), the rest exact."""

    n: int
    min: float | None
    max: float | None
    median: float | None
    mean: float | None


class RollupItem(Strict):
    time: Time = Field(description="The bucket's start")
    network: str | None = Field(description="MCC-MNC; null when the reading named none")
    kind: Literal["signal", "ping"]
    records: int
    figures: dict[str, FigureSummary] = Field(
        description="rsrp_dbm, rsrq_db, sinr_db (signal); rtt_ms, loss_ratio (ping)"
    )

    @classmethod
    def of(cls, r: Rollup) -> RollupItem:
        return cls(
            time=iso(r.bucket_ns) or "",
            network=r.network or None,
            kind=r.kind,  # type: ignore[arg-type]
            records=r.records,
            figures={
                name: FigureSummary(n=f.n, min=f.min, max=f.max, median=f.median, mean=f.mean)
                for name, f in r.figures.items()
            },
        )


class SiteRollups(Strict):
    site: Annotated[str, WithJsonSchema(SITE_CODE_SCHEMA)]
    hours: int
    bucket_s: int
    complete: bool = Field(
        description="false: the rollups began after the window did (read the measurements)"
    )
    items: list[RollupItem]


class Counts(Strict):
    ok: int
    degraded: int
    down: int
    silent: int
    sms: int  # data down, kit alive


class ProvinceCounts(Strict):
    code: str
    name: str
    counts: Counts


class Point(Strict):
    type: Literal["Point"]
    coordinates: Annotated[list[float], Field(min_length=2, max_length=2)]


class Feature(Strict):
    type: Literal["Feature"]
    geometry: Point | None
    properties: CoverageEntry

    @classmethod
    def of(cls, entry: CoverageEntry) -> Feature:
        point = None
        if entry.lat is not None and entry.lon is not None:
            point = Point(type="Point", coordinates=[entry.lon, entry.lat])
        return cls(type="Feature", geometry=point, properties=entry)


class OperatorFeature(Strict):
    type: Literal["Feature"]
    geometry: Point | None
    properties: OperatorCoverageEntry

    @classmethod
    def of(cls, entry: OperatorCoverageEntry) -> OperatorFeature:
        point = None
        if entry.lat is not None and entry.lon is not None:
            point = Point(type="Point", coordinates=[entry.lon, entry.lat])
        return cls(type="Feature", geometry=point, properties=entry)


class Coverage(Strict):
    type: Literal["FeatureCollection"]
    features: list[Feature] | list[OperatorFeature]


class TicketExport(Strict):
    since: Time
    until: Time
    #: More tickets overlap the window than one export holds: ask for a shorter one.
    truncated: bool
    tickets: list[Ticket]


class UptimeReport(Strict):
    since: Time
    until: Time
    by: Literal["site", "operator", "province"]
    window_s: float
    rows: list[UptimeRow]
