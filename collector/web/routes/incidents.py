"""Incidents (the list, one with its tickets) and silences (list, announce, end).

Operator-role accounts scoped to a network see that network's incidents and silences,
as with tickets, and may silence only it; admins, and unscoped accounts, any.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiohttp import web

from collector.present import iso
from collector.store.silences import StoredSilence
from collector.web import paging
from collector.web.context import ApiError, Principal, WebContext, not_found
from collector.web.incident_models import (
    INCIDENT_COLUMNS,
    Escalation,
    Incident,
    IncidentDetail,
    IncidentEvent,
    IncidentExport,
    IncidentExportQuery,
    IncidentPath,
    Incidents,
    IncidentsQuery,
    NewSilence,
    Silence,
    SilencePath,
    Silences,
    SilencesQuery,
    incident_row,
)
from collector.web.models import Ticket
from collector.web.params import Note
from collector.web.routes.reports import (
    MAX_EXPORT,
    download,
    export_csv,
    export_json,
    export_name,
    export_window,
    scope_of,
)
from collector.web.spec import (
    BAD,
    CSRF_OR_ROLE,
    NOT_FOUND,
    READ_ERRORS,
    UNAUTHORIZED,
    Operation,
    authenticated,
    given,
    json_response,
)

#: Tickets an incident's detail lists at most (the newest).
DETAIL_TICKETS = 200


async def incidents(ctx: WebContext, request: web.Request) -> web.Response:
    q = given(request, "query", IncidentsQuery)
    principal = authenticated(request)
    before = None if q.cursor is None else paging.decode(q.cursor, "incidents", (int,))
    scope = principal.user.operator
    if scope is not None and q.operator is not None and q.operator != scope:
        return json_response(Incidents(incidents=[], next_cursor=None))
    states: Sequence[str] | None = None if q.state == "all" else (q.state,)
    found = await asyncio.to_thread(
        lambda: ctx.store.list_incidents(
            states=states,
            operator=scope or q.operator,
            top_only=q.level == "top",
            before_id=None if before is None else int(before[0]),
            limit=q.limit + 1,
        )
    )
    page = found[: q.limit]
    more = len(found) > q.limit
    last = page[-1].incident.id if page else None
    next_cursor = paging.encode("incidents", [last]) if more and last is not None else None
    return json_response(
        Incidents(incidents=[Incident.of(i) for i in page], next_cursor=next_cursor)
    )


async def incident(ctx: WebContext, request: web.Request) -> web.Response:
    incident_id = given(request, "path", IncidentPath).id
    principal = authenticated(request)
    return json_response(await _detail(ctx, principal, incident_id))


async def _detail(ctx: WebContext, principal: Principal, incident_id: int) -> IncidentDetail:
    """The incident with its tickets and history; 404 unless the account sees it."""

    def read() -> IncidentDetail | None:
        found = ctx.store.get_incident(incident_id)
        if found is None or not principal.sees(found[0].incident.operator):
            return None
        stored, ticket_ids = found
        tickets = []
        for ticket_id in sorted(ticket_ids, reverse=True)[:DETAIL_TICKETS]:
            got = ctx.store.get_ticket(ticket_id)
            if got is not None:
                tickets.append(Ticket.of(got[0]))
        events = [IncidentEvent.of(e) for e in ctx.store.incident_events(incident_id)]
        return IncidentDetail(**Incident.fields_of(stored), tickets=tickets, events=events)

    detail = await asyncio.to_thread(read)
    if detail is None:
        not_found(f"no incident {incident_id}")
    return detail


async def ack(ctx: WebContext, request: web.Request) -> web.Response:
    """Acknowledge: someone is on it. A second acknowledgement changes nothing (200)."""
    incident_id = given(request, "path", IncidentPath).id
    note = given(request, "body", Note).note
    return await _by_hand(ctx, request, incident_id, action="acknowledge", note=note)


async def escalate(ctx: WebContext, request: web.Request) -> web.Response:
    """Escalate: the next level, or the one asked (reached already: no change, 200)."""
    incident_id = given(request, "path", IncidentPath).id
    body = given(request, "body", Escalation)
    return await _by_hand(
        ctx, request, incident_id, action="escalate", note=body.note, level=body.level
    )


async def _by_hand(
    ctx: WebContext,
    request: web.Request,
    incident_id: int,
    *,
    action: str,
    note: str,
    level: int | None = None,
) -> web.Response:
    principal = authenticated(request)
    await _detail(ctx, principal, incident_id)  # 404 unless visible
    store, now, actor = ctx.store, ctx.clock(), principal.user.username
    if action == "acknowledge":
        done = await asyncio.to_thread(
            lambda: store.acknowledge_incident(incident_id, actor=actor, note=note, now_ns=now)
        )
    else:
        done = await asyncio.to_thread(
            lambda: store.escalate_incident(
                incident_id, actor=actor, note=note, now_ns=now, level=level
            )
        )
    if done.stored is None:
        not_found(f"no incident {incident_id}")
    if done.refused is not None:
        raise ApiError(409, "conflict", done.refused)
    if done.changed:
        ctx.hub.incident_changed(incident_id, done.stored.incident.operator)
    if done.pages and ctx.on_ticket_action is not None:
        ctx.on_ticket_action()  # the dispatcher: deliver now
    return json_response(await _detail(ctx, principal, incident_id))


async def incident_export(ctx: WebContext, request: web.Request) -> web.Response:
    q = given(request, "query", IncidentExportQuery)
    principal = authenticated(request)
    since, until = export_window(q, ctx.clock())
    operator, possible = scope_of(principal.user.operator, q.operator)
    found = []
    if possible:
        found = await asyncio.to_thread(
            lambda: ctx.store.list_incidents(
                operator=operator, province=q.province, top_only=q.level == "top",
                window=(since, until), limit=MAX_EXPORT + 1,
            )
        )  # fmt: skip
    truncated = len(found) > MAX_EXPORT
    listed = [Incident.of(i) for i in reversed(found[:MAX_EXPORT])]  # oldest first
    name = export_name("incidents", since, until)
    if q.format == "csv":
        return export_csv(INCIDENT_COLUMNS, (incident_row(i) for i in listed), name)
    document = IncidentExport(
        since=iso(since) or "", until=iso(until) or "", truncated=truncated, incidents=listed
    )
    return export_json(document.model_dump(mode="json"), name)


async def silences(ctx: WebContext, request: web.Request) -> web.Response:
    q = given(request, "query", SilencesQuery)
    principal = authenticated(request)
    scope = principal.user.operator
    now = ctx.clock()
    found = await asyncio.to_thread(
        lambda: ctx.store.list_silences(
            active_after_ns=now if q.state == "active" else None,
            operators=None if scope is None else [scope],
        )
    )
    return json_response(Silences(silences=[Silence.of(s) for s in found]))


def _may_silence(principal: Principal, operator: str) -> None:
    scope = principal.user.operator
    if principal.user.role != "admin" and scope is not None and operator != scope:
        raise ApiError(403, "forbidden", f"this account may silence only its own network ({scope})")


async def add_silence(ctx: WebContext, request: web.Request) -> web.Response:
    body = given(request, "body", NewSilence)
    principal = authenticated(request)
    _may_silence(principal, body.operator)
    now = ctx.clock()
    start = now if body.start is None else body.start
    if body.end <= start:
        raise ApiError(400, "bad_request", "end: expected a time after the start")
    stored = await asyncio.to_thread(
        lambda: ctx.store.add_silence(
            operator=body.operator, start_ns=start, end_ns=body.end,
            created_by=principal.user.username, reason=body.reason, now_ns=now,
            cell=body.cell, kabupaten=body.kabupaten, province=body.province,
            family=body.family,
        )
    )  # fmt: skip
    return json_response(Silence.of(stored), status=201)


async def expire_silence(ctx: WebContext, request: web.Request) -> web.Response:
    silence_id = given(request, "path", SilencePath).id
    principal = authenticated(request)
    now = ctx.clock()

    def expire() -> StoredSilence | None:
        found = ctx.store.get_silence(silence_id)
        if found is None or not principal.sees(found.silence.operator):
            return None
        _may_silence(principal, found.silence.operator)
        ctx.store.expire_silence(silence_id, now)
        return ctx.store.get_silence(silence_id)

    stored = await asyncio.to_thread(expire)
    if stored is None:
        not_found(f"no silence {silence_id}")
    return json_response(Silence.of(stored))


SESSION_CSRF: tuple[dict[str, list[str]], ...] = ({"session": [], "csrf": []},)
BY_HAND_ERRORS = (
    BAD, UNAUTHORIZED, CSRF_OR_ROLE, NOT_FOUND,
    (409, "Resolved, part of an area incident, or at the highest level already"),
)  # fmt: skip

OPERATIONS = [
    Operation(
        "GET", "/api/v1/incidents/export", incident_export, "Incidents of a window",
        "incident_export", "incidents", ok=download(IncidentExport),
        ok_description="A download: every visible incident open at some time in the window",
        ok_headers={"Content-Disposition": {"schema": {"type": "string"}}},
        query=IncidentExportQuery,
    ),
    Operation(
        "GET", "/api/v1/incidents", incidents, "Incidents", "incidents", "incidents",
        ok=Incidents, ok_description="Incidents matching every filter, newest first",
        query=IncidentsQuery,
    ),
    Operation(
        "GET", "/api/v1/incidents/{id}", incident, "An incident", "an_incident", "incidents",
        ok=IncidentDetail, ok_description="The incident and its tickets",
        path_params=IncidentPath, errors=(*READ_ERRORS, NOT_FOUND),
    ),
    Operation(
        "POST", "/api/v1/incidents/{id}/ack", ack, "Acknowledge an incident",
        "acknowledge_incident", "incidents", ok=IncidentDetail,
        ok_description="The incident afterwards (unchanged if acknowledged already)",
        path_params=IncidentPath, body=Note, security=SESSION_CSRF, role="operator",
        errors=BY_HAND_ERRORS,
    ),
    Operation(
        "POST", "/api/v1/incidents/{id}/escalate", escalate, "Escalate an incident",
        "escalate_incident", "incidents", ok=IncidentDetail,
        ok_description="The incident afterwards (unchanged if at the level asked already)",
        path_params=IncidentPath, body=Escalation, security=SESSION_CSRF, role="operator",
        errors=BY_HAND_ERRORS,
    ),
    Operation(
        "GET", "/api/v1/silences", silences, "Silences", "silences", "incidents",
        ok=Silences, ok_description="Silences (planned work), newest first", query=SilencesQuery,
    ),
    Operation(
        "POST", "/api/v1/silences", add_silence, "Announce planned work", "add_silence",
        "incidents", ok=Silence, ok_status=201, ok_description="The silence as recorded",
        body=NewSilence, body_required=True, security=SESSION_CSRF, role="operator",
        errors=(BAD, UNAUTHORIZED, CSRF_OR_ROLE),
    ),
    Operation(
        "DELETE", "/api/v1/silences/{id}", expire_silence, "End a silence now",
        "expire_silence", "incidents", ok=Silence, ok_description="The silence, ended",
        path_params=SilencePath, security=SESSION_CSRF, role="operator",
        errors=(BAD, UNAUTHORIZED, CSRF_OR_ROLE, NOT_FOUND),
    ),
]  # fmt: skip
