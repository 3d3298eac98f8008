"""Liveness, Prometheus metrics and the OpenAPI document."""

from __future__ import annotations

import asyncio
import hmac

from aiohttp import web

from collector.web.context import WebContext
from collector.web.metrics import CONTENT_TYPE
from collector.web.models import Error, Health
from collector.web.spec import DOCUMENT, Operation, json_response, strict_json


async def healthz(ctx: WebContext, request: web.Request) -> web.Response:
    return json_response(Health(status="ok"))


async def metrics(ctx: WebContext, request: web.Request) -> web.Response:
    token = ctx.config.metrics_token
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            message = "metrics need 'Authorization: Bearer <token>' ([web] metrics_token_file)"
            response = json_response(Error(error="unauthorized", message=message), status=401)
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    body = await asyncio.to_thread(ctx.metrics.render)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


async def openapi(ctx: WebContext, request: web.Request) -> web.Response:
    return web.json_response(request.app[DOCUMENT], dumps=strict_json)


OPERATIONS = [
    Operation(
        "GET", "/api/v1/openapi.json", openapi, "This document", "openapi", "meta",
        ok={"application/json": {"schema": {"type": "object"}}},
        ok_description="The OpenAPI 3.0.3 document", query=None, security=(), errors=(),
    ),
    Operation(
        "GET", "/healthz", healthz, "Liveness", "healthz", "meta", ok=Health,
        ok_description="The server runs", query=None, security=(), errors=(),
    ),
    Operation(
        "GET", "/metrics", metrics, "Prometheus metrics", "metrics", "meta",
        ok={"text/plain": {"schema": {"type": "string"}}},
        ok_description="The text exposition format", query=None, security=(), errors=(),
    ),
]  # fmt: skip
