"""Sites: the map, the list, one site with its cell and tickets, the provinces."""

from __future__ import annotations

import asyncio
import bisect
import json

from aiohttp import web

from collector.lifeline import LABELS, LIFELINE_FIELDS, alive_by_sms
from collector.present import iso
from collector.query import SiteFilter, SiteRow
from collector.search import parse_search
from collector.store.model import SiteView
from collector.web import paging
from collector.web.context import Principal, WebContext
from collector.web.models import (
    Cell,
    Lifeline,
    MapState,
    OperatorAtSite,
    ProvinceCounts,
    SiteDetail,
    Sites,
    SiteSummary,
    Ticket,
)
from collector.web.params import SitePath, SitesQuery
from collector.web.spec import (
    NOT_FOUND,
    READ_ERRORS,
    Operation,
    authenticated,
    given,
    json_response,
)
from pantau.core.sites import PROVINCES


async def visible_rows(
    ctx: WebContext, principal: Principal, where: SiteFilter | None = None
) -> list[SiteRow]:
    """The rows the account may see that ``where`` keeps, in code order."""
    return await asyncio.to_thread(
        ctx.queries.listing, where or SiteFilter(), sees=principal.sees_site
    )


async def map_state(ctx: WebContext, request: web.Request) -> web.Response:
    """The hub's maintained rows, one body per version and scope (collector.web.mapcache)."""
    principal = authenticated(request)
    scope = (principal.scoped, principal.user.operator)
    return await ctx.map_cache.respond(request, scope, principal.sees_networks)


async def sites(ctx: WebContext, request: web.Request) -> web.Response:
    q = given(request, "query", SitesQuery)
    principal = authenticated(request)
    after = None if q.cursor is None else str(paging.decode(q.cursor, "sites", (str,))[0])
    where = SiteFilter(
        operator=q.operator,
        province=q.province,
        status=q.status,
        problem=q.problem,
        search=None if q.q is None else parse_search(q.q),
    )
    rows = await visible_rows(ctx, principal, where)  # in code order
    if after is not None:
        rows = rows[bisect.bisect_right([r.code for r in rows], after) :]
    page = rows[: q.limit]
    next_cursor = paging.encode("sites", [page[-1].code]) if len(rows) > q.limit else None
    return json_response(Sites(sites=[SiteSummary.of(r) for r in page], next_cursor=next_cursor))


async def site(ctx: WebContext, request: web.Request) -> web.Response:
    code = given(request, "path", SitePath).code
    principal = authenticated(request)
    row = await ctx.site_row(principal, code)
    tickets = await asyncio.to_thread(
        ctx.queries.site_tickets, code, operator=principal.user.operator
    )
    operators = await asyncio.to_thread(ctx.queries.site_operators, code)
    if principal.user.operator is not None:  # an operator's account sees its own network
        operators = [f for f in operators if f.operator == principal.user.operator]
    s = row.site.signal
    cell = None
    if s is not None:
        cell = Cell(
            cell_id=s.cell_id,
            rat=s.rat,
            reg_state=s.reg_state,
            operator=row.operator,
            operator_name=row.operator_name,
            time=SiteSummary.fields_of(row)["signal_time"],
        )
    detail = SiteDetail(
        **SiteSummary.fields_of(row),
        agents=list(row.site.agent_ids),
        cell=cell,
        tickets=[Ticket.of(t) for t in tickets],
        operators=[OperatorAtSite.of(f) for f in operators],
        lifeline=await _lifeline(ctx, row.site),
    )
    return json_response(detail)


async def _lifeline(ctx: WebContext, site: SiteView) -> Lifeline | None:
    """The site's SMS lifeline state: its newest authentic SMS, when that is newer than
    its newest data (collector.lifeline)."""
    heard = (await asyncio.to_thread(ctx.store.sms_heard, [site.site_code])).get(site.site_code)
    if heard is None or not alive_by_sms(heard.last_sms_ns, site.last_seen_ns):
        return None
    status = json.loads(heard.status_json)
    return Lifeline(
        state="data-down-kit-alive",
        label=dict(LABELS),
        last_sms=iso(heard.last_sms_ns) or "",
        agent_id=heard.agent_id,
        counter=heard.counter,
        **{k: status.get(k) for k in LIFELINE_FIELDS},
    )


async def provinces(ctx: WebContext, request: web.Request) -> web.Response:
    principal = authenticated(request)
    rows = await visible_rows(ctx, principal)
    counts = ctx.queries.province_counts(rows)
    return json_response(
        [
            ProvinceCounts.model_validate({"code": code, "name": name, "counts": counts[code]})
            for code, name in PROVINCES.items()
        ]
    )


OPERATIONS = [
    Operation(
        "GET", "/api/v1/map", map_state, "The map", "the_map", "sites", ok=MapState,
        ok_description="One row per visible site",
    ),
    Operation(
        "GET", "/api/v1/sites", sites, "Sites", "sites", "sites", ok=Sites,
        ok_description="The visible sites matching every filter", query=SitesQuery,
    ),
    Operation(
        "GET", "/api/v1/sites/{code}", site, "A site", "a_site", "sites", ok=SiteDetail,
        ok_description="The site, its kits, cell and tickets", path_params=SitePath,
        errors=(*READ_ERRORS, NOT_FOUND),
    ),
    Operation(
        "GET", "/api/v1/provinces", provinces, "Provinces", "provinces", "sites",
        ok=(ProvinceCounts, "list"),
        ok_description="Every province with its visible sites counted by status",
    ),
]  # fmt: skip
