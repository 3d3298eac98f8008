"""The live stream (Server-Sent Events) of map rows, ticket and incident changes and
readings."""

from __future__ import annotations

from aiohttp import web

from collector.web.context import WebContext
from collector.web.params import EventsQuery
from collector.web.spec import NOT_FOUND, READ_ERRORS, Operation, authenticated, given
from pantau.core.aio import within


async def events(ctx: WebContext, request: web.Request) -> web.StreamResponse:
    site = given(request, "query", EventsQuery).site
    principal = authenticated(request)
    if site is not None:
        await ctx.site_row(principal, site)  # 404 unless visible
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    hub = ctx.hub
    sub = hub.subscribe(scoped=principal.scoped, operator=principal.user.operator, site=site)
    heartbeat = ctx.config.heartbeat_s
    try:
        while True:
            try:
                message = await within(sub.queue.get(), heartbeat)
            except TimeoutError:
                if await ctx.principal(request) is None:
                    break  # logged out or expired: the stream ends with the session
                await response.write(b": keep-alive\n\n")
                continue
            if message is None:
                break
            await response.write(message)
    except (ConnectionResetError, ConnectionError):
        pass
    finally:
        hub.unsubscribe(sub)
    return response


OPERATIONS = [
    Operation(
        "GET", "/api/v1/events", events, "Live changes (Server-Sent Events)", "events", "live",
        ok={"text/event-stream": {"schema": {"type": "string"}}},
        ok_description="event: hello, sites, tickets, incidents, reading, resync",
        query=EventsQuery,
        errors=(*READ_ERRORS, NOT_FOUND),
    ),
]  # fmt: skip
