"""A site's measurements: signal, ping and throughput items, its change events, and its
5-minute rollups (what its charts draw over long windows)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from collector.store.rollups import BUCKET_NS
from collector.web import paging
from collector.web.context import WebContext
from collector.web.models import Measurements, RollupItem, SiteRollups
from collector.web.params import MeasurementsQuery, RollupsQuery, SitePath
from collector.web.spec import (
    NOT_FOUND,
    READ_ERRORS,
    Operation,
    authenticated,
    given,
    json_response,
)


async def site_measurements(ctx: WebContext, request: web.Request) -> web.Response:
    code = given(request, "path", SitePath).code
    q = given(request, "query", MeasurementsQuery)
    principal = authenticated(request)
    before = None
    if q.cursor is not None:
        name = f"measurements/{code}/{q.kind}"
        at_ns, agent_id, seq = paging.decode(q.cursor, name, (int, str, int))
        before = (int(at_ns), str(agent_id), int(seq))
    await ctx.site_row(principal, code)  # 404 unless visible
    items, older = await asyncio.to_thread(
        lambda: ctx.queries.measurements_page(
            code, q.kind, hours=q.hours, limit=q.limit, before=before
        )
    )
    next_cursor = None
    if older is not None:
        next_cursor = paging.encode(f"measurements/{code}/{q.kind}", older)
    body = {
        "site": code, "kind": q.kind, "hours": q.hours, "items": items,
        "next_cursor": next_cursor,
    }  # fmt: skip
    return json_response(Measurements.model_validate(body))


async def site_rollups(ctx: WebContext, request: web.Request) -> web.Response:
    code = given(request, "path", SitePath).code
    q = given(request, "query", RollupsQuery)
    await ctx.site_row(authenticated(request), code)  # 404 unless visible
    found, complete = await asyncio.to_thread(lambda: ctx.queries.rollups(code, hours=q.hours))
    body = SiteRollups(
        site=code, hours=q.hours, bucket_s=BUCKET_NS // 10**9, complete=complete,
        items=[RollupItem.of(r) for r in found],
    )  # fmt: skip
    return json_response(body)


OPERATIONS = [
    Operation(
        "GET", "/api/v1/sites/{code}/measurements", site_measurements, "A site's measurements",
        "a_sites_measurements", "sites", ok=Measurements,
        ok_description="The items of one kind, oldest first", query=MeasurementsQuery,
        path_params=SitePath, errors=(*READ_ERRORS, NOT_FOUND),
    ),
    Operation(
        "GET", "/api/v1/sites/{code}/rollups", site_rollups, "A site's 5-minute rollups",
        "a_sites_rollups", "sites", ok=SiteRollups,
        ok_description="Per 5-minute bucket, network and kind: counts, minimum, median, "
        "maximum and mean of each figure, oldest first (kept at ingest: long windows "
        "without reading the records)", query=RollupsQuery,
        path_params=SitePath, errors=(*READ_ERRORS, NOT_FOUND),
    ),
]  # fmt: skip
