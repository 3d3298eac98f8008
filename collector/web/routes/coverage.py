"""The coverage export: one entry per visible site, as GeoJSON or CSV."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io

from aiohttp import web

from collector.coverage_rows import COVERAGE_COLUMNS, OPERATOR_COVERAGE_COLUMNS
from collector.query import SiteFilter, SiteRow
from collector.web.context import WebContext
from collector.web.models import Coverage, Feature, OperatorFeature
from collector.web.params import CoverageQuery
from collector.web.routes.sites import visible_rows
from collector.web.spec import Operation, authenticated, given, strict_json
from pantau.core.untrusted import csv_row


async def coverage(ctx: WebContext, request: web.Request) -> web.StreamResponse:
    q = given(request, "query", CoverageQuery)
    principal = authenticated(request)
    rows = await visible_rows(ctx, principal, SiteFilter(operator=q.operator, province=q.province))
    if q.by == "operator":  # an operator's account sees its own network only
        return await _by_operator(ctx, rows, q, principal.user.operator or q.operator)
    entries = await asyncio.to_thread(ctx.queries.coverage, rows, hours=q.hours)
    if q.format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COVERAGE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for entry in entries:
            writer.writerow(csv_row(dataclasses.asdict(entry)))
        return web.Response(
            text=out.getvalue(),
            content_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="pantau-coverage.csv"'},
        )
    collection = Coverage(type="FeatureCollection", features=[Feature.of(e) for e in entries])
    return web.Response(
        text=strict_json(collection.model_dump(mode="json")),
        content_type="application/geo+json",
        headers={"Content-Disposition": 'attachment; filename="pantau-coverage.geojson"'},
    )


async def _by_operator(
    ctx: WebContext, rows: list[SiteRow], q: CoverageQuery, operator: str | None
) -> web.StreamResponse:
    """One entry per (site, operator): which operators work at each TPS."""
    entries = await asyncio.to_thread(
        ctx.queries.coverage_by_operator, rows, hours=q.hours, operator=operator
    )
    name = "pantau-coverage-operators"
    if q.format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=OPERATOR_COVERAGE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for entry in entries:
            writer.writerow(csv_row(dataclasses.asdict(entry)))
        return web.Response(
            text=out.getvalue(),
            content_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    features = [OperatorFeature.of(e) for e in entries]
    collection = Coverage(type="FeatureCollection", features=features)
    return web.Response(
        text=strict_json(collection.model_dump(mode="json")),
        content_type="application/geo+json",
        headers={"Content-Disposition": f'attachment; filename="{name}.geojson"'},
    )


OPERATIONS = [
    Operation(
        "GET", "/api/v1/coverage", coverage, "Coverage", "coverage", "sites",
        ok={
            "application/geo+json": {"model": Coverage},
            "text/csv": {"schema": {"type": "string"}},
        },
        ok_description="A download: one entry per visible site (by=operator: per site "
        "and operator, with its coverage class)",
        ok_headers={"Content-Disposition": {"schema": {"type": "string"}}},
        query=CoverageQuery,
    ),
]  # fmt: skip
