"""The after-action report: tickets of a window (CSV, JSON) and uptime per site,
operator or province (:mod:`collector.uptime` computes it; this module translates)."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

from collector.present import iso
from collector.query import SiteFilter
from collector.store.model import Ticket as StoredTicket
from collector.uptime import UPTIME_COLUMNS, Span, units_of, uptime_report
from collector.web.context import ApiError, WebContext
from collector.web.models import Ticket as TicketModel
from collector.web.models import TicketExport, UptimeReport
from collector.web.params import TicketExportQuery, UptimeQuery, WindowQuery
from collector.web.routes.sites import visible_rows
from collector.web.spec import Operation, authenticated, given, strict_json
from pantau.core.untrusted import csv_row

#: At most this many tickets in one export (a window this busy: ask for a shorter one).
MAX_EXPORT = 100_000
TICKET_COLUMNS = [name for name in TicketModel.model_fields if name != "evidence"] + ["evidence"]


def export_window(q: WindowQuery, now_ns: int) -> tuple[int, int]:
    try:
        return q.window(now_ns)
    except ValueError as exc:
        raise ApiError(400, "bad_request", str(exc)) from None


def scope_of(operator: str | None, wanted: str | None) -> tuple[str | None, bool]:
    """(operator to read, whether anything can match) for an account scoped to
    ``operator`` asking for ``wanted``."""
    if operator is not None and wanted is not None and wanted != operator:
        return operator, False
    return operator or wanted, True


def export_csv(
    columns: list[str], rows: Iterable[Mapping[str, Any]], filename: str
) -> web.Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(csv_row(row))
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def export_json(document: Any, filename: str) -> web.Response:
    return web.Response(
        text=strict_json(document),
        content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}.json"'},
    )


def export_name(kind: str, since: int, until: int) -> str:
    def day(ns: int) -> str:
        return (iso(ns) or "")[:16].replace(":", "")

    return f"pantau-{kind}-{day(since)}-{day(until)}"


async def _tickets(
    ctx: WebContext, q: WindowQuery, scope: str | None, since: int, until: int
) -> list[StoredTicket]:
    operator, possible = scope_of(scope, q.operator)
    if not possible:
        return []
    return await asyncio.to_thread(
        lambda: ctx.store.tickets_in_window(
            since, until, operator=operator, site_prefix=q.province, limit=MAX_EXPORT + 1
        )
    )


async def ticket_export(ctx: WebContext, request: web.Request) -> web.Response:
    q = given(request, "query", TicketExportQuery)
    principal = authenticated(request)
    since, until = export_window(q, ctx.clock())
    found = await _tickets(ctx, q, principal.user.operator, since, until)
    truncated = len(found) > MAX_EXPORT
    tickets = [TicketModel.of(t) for t in found[:MAX_EXPORT]]
    name = export_name("tickets", since, until)
    if q.format == "csv":
        rows = []
        for ticket in tickets:
            row = ticket.model_dump(mode="json")
            row["evidence"] = json.dumps(row["evidence"], separators=(",", ":"), allow_nan=False)
            rows.append(row)
        return export_csv(TICKET_COLUMNS, rows, name)
    document = TicketExport(
        since=iso(since) or "", until=iso(until) or "", truncated=truncated, tickets=tickets
    )
    return export_json(document.model_dump(mode="json"), name)


async def uptime(ctx: WebContext, request: web.Request) -> web.Response:
    q = given(request, "query", UptimeQuery)
    principal = authenticated(request)
    since, until = export_window(q, ctx.clock())
    found = await _tickets(ctx, q, principal.user.operator, since, until)
    if len(found) > MAX_EXPORT:
        raise ApiError(400, "bad_request", "too many tickets in this window: ask for a shorter one")
    scope, possible = scope_of(principal.user.operator, q.operator)
    networks: dict[str, tuple[str, ...]] = {}
    if possible:
        rows = await visible_rows(ctx, principal, SiteFilter(province=q.province))
        for row in rows:
            networks[row.code] = tuple(n for n in row.networks if scope is None or n == scope)
    spans = [Span(t.site_code, t.operator, t.problem, t.first_bad_ns, t.resolved_ns) for t in found]
    report = uptime_report(spans, units_of(networks), since_ns=since, until_ns=until, by=q.by)
    name = export_name(f"uptime-by-{q.by}", since, until)
    if q.format == "csv":
        return export_csv(UPTIME_COLUMNS, (dataclasses.asdict(r) for r in report), name)
    document = UptimeReport(
        since=iso(since) or "",
        until=iso(until) or "",
        by=q.by,
        window_s=(until - since) / 1e9,
        rows=report,
    )
    return export_json(document.model_dump(mode="json"), name)


def download(model: type[Any]) -> dict[str, Any]:
    return {"application/json": {"model": model}, "text/csv": {"schema": {"type": "string"}}}


OPERATIONS = [
    Operation(
        "GET", "/api/v1/tickets/export", ticket_export, "Tickets of a window",
        "ticket_export", "tickets", ok=download(TicketExport),
        ok_description="A download: every visible ticket whose trouble overlaps the window",
        ok_headers={"Content-Disposition": {"schema": {"type": "string"}}},
        query=TicketExportQuery,
    ),
    Operation(
        "GET", "/api/v1/reports/uptime", uptime, "Uptime and time to recover",
        "uptime_report", "tickets", ok=download(UptimeReport),
        ok_description="A download: uptime and time to recover per site, operator or province",
        ok_headers={"Content-Disposition": {"schema": {"type": "string"}}},
        query=UptimeQuery,
    ),
]  # fmt: skip
