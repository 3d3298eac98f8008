"""Tickets: the list, one ticket with its history, acknowledging and resolving."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiohttp import web

from collector.query import OPEN_STATES
from collector.web import paging
from collector.web.context import ApiError, Principal, WebContext, not_found
from collector.web.models import Ticket, TicketDetail, Tickets
from collector.web.params import Note, TicketPath, TicketsQuery
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


async def tickets(ctx: WebContext, request: web.Request) -> web.Response:
    q = given(request, "query", TicketsQuery)
    principal = authenticated(request)
    before = None if q.cursor is None else paging.decode(q.cursor, "tickets", (int,))
    scope = principal.user.operator
    if scope is not None and q.operator is not None and q.operator != scope:
        return json_response(Tickets(tickets=[], next_cursor=None))
    states: Sequence[str] | None = {"active": OPEN_STATES, "all": None}.get(q.state, (q.state,))
    found = await asyncio.to_thread(
        lambda: ctx.store.list_tickets(
            operator=scope or q.operator,
            problem=q.problem,
            site_code=q.site,
            site_prefix=q.province,
            states=states,
            limit=q.limit + 1,  # one more: is there a next page?
            before_id=None if before is None else int(before[0]),
        )
    )
    page = found[: q.limit]
    more = len(found) > q.limit
    next_cursor = paging.encode("tickets", [page[-1].id]) if more else None
    return json_response(Tickets(tickets=[Ticket.of(t) for t in page], next_cursor=next_cursor))


async def _detail(ctx: WebContext, principal: Principal, ticket_id: int) -> TicketDetail:
    found = await asyncio.to_thread(ctx.store.get_ticket, ticket_id)
    if found is None or not principal.sees(found[0].operator):
        not_found(f"no ticket {ticket_id}")
    incident_id = await asyncio.to_thread(ctx.store.incident_of_ticket, ticket_id)
    return TicketDetail.of_history(*found, incident_id=incident_id)


async def ticket(ctx: WebContext, request: web.Request) -> web.Response:
    ticket_id = given(request, "path", TicketPath).id
    principal = authenticated(request)
    return json_response(await _detail(ctx, principal, ticket_id))


async def ack(ctx: WebContext, request: web.Request) -> web.Response:
    return await _act(ctx, request, "acknowledge")


async def resolve(ctx: WebContext, request: web.Request) -> web.Response:
    return await _act(ctx, request, "resolve")


async def _act(ctx: WebContext, request: web.Request, action: str) -> web.Response:
    ticket_id = given(request, "path", TicketPath).id
    note = given(request, "body", Note).note
    principal = authenticated(request)
    current = await _detail(ctx, principal, ticket_id)  # 404 unless visible
    store, now, actor = ctx.store, ctx.clock(), principal.user.username
    change_fn = store.acknowledge_ticket if action == "acknowledge" else store.resolve_ticket
    change = await asyncio.to_thread(
        lambda: change_fn(ticket_id, actor=actor, note=note, now_ns=now)
    )
    if change is None:
        done = "acknowledged" if action == "acknowledge" else "resolved"
        raise ApiError(
            409, "conflict", f"ticket {ticket_id} is {current.state}: it cannot be {done}"
        )
    ctx.hub.tickets_changed([change.ticket])
    if ctx.on_ticket_action is not None:
        ctx.on_ticket_action()
    return json_response(await _detail(ctx, principal, ticket_id))


SESSION_CSRF: tuple[dict[str, list[str]], ...] = ({"session": [], "csrf": []},)
ACTION_ERRORS = (
    BAD, UNAUTHORIZED, CSRF_OR_ROLE, NOT_FOUND, (409, "Not allowed in the ticket's state")
)  # fmt: skip

OPERATIONS = [
    Operation(
        "GET", "/api/v1/tickets", tickets, "Tickets", "tickets", "tickets", ok=Tickets,
        ok_description="Tickets matching every filter, newest first", query=TicketsQuery,
    ),
    Operation(
        "GET", "/api/v1/tickets/{id}", ticket, "A ticket", "a_ticket", "tickets",
        ok=TicketDetail, ok_description="The ticket and its history", path_params=TicketPath,
        errors=(*READ_ERRORS, NOT_FOUND),
    ),
    *(
        Operation(
            "POST", f"/api/v1/tickets/{{id}}/{verb}", handler, summary, operation_id, "tickets",
            ok=TicketDetail, ok_description="The ticket afterwards, with its history",
            path_params=TicketPath, body=Note, security=SESSION_CSRF, role="operator",
            errors=ACTION_ERRORS,
        )
        for verb, handler, summary, operation_id in (
            ("ack", ack, "Acknowledge a ticket", "acknowledge_ticket"),
            ("resolve", resolve, "Resolve a ticket", "resolve_ticket"),
        )
    ),
]  # fmt: skip
