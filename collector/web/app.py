"""The operations centre's HTTP server: the application, its middlewares and its routes.

docs/operations.md is the contract. Each resource has its routes module under
:mod:`collector.web.routes` (auth, sites, measurements, tickets, coverage, events,
metrics, pages), listing its :class:`~collector.web.spec.Operation` s with their typed
models (:mod:`collector.web.models`); this module wires them, adds the error,
security-header and session/CSRF handling, and serves the OpenAPI document generated
from the same table (:mod:`collector.web.spec`). The app runs on the collector's
event loop; every store call that may block runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from aiohttp import web

from collector.web.compression import compress
from collector.web.context import ApiError, WebContext
from collector.web.models import Error
from collector.web.routes import auth, coverage, events, measurements, metrics, pages, sites, sms
from collector.web.routes import incidents as incident_routes
from collector.web.routes import reports as report_routes
from collector.web.routes import tickets as ticket_routes
from collector.web.spec import DOCUMENT, Operation, bind, json_response
from collector.web.spec import openapi_document as document_of

__all__ = ["ROUTES", "WebContext", "make_app", "openapi_document"]

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: Every route, in the order the document lists them.
ROUTES: list[Operation] = [
    *pages.OPERATIONS,
    *metrics.OPERATIONS,
    *auth.OPERATIONS,
    *sites.OPERATIONS,
    *measurements.OPERATIONS,
    *report_routes.OPERATIONS,  # before /api/v1/tickets/{id}, which would take "export" for an id
    *ticket_routes.OPERATIONS,
    *incident_routes.OPERATIONS,
    *coverage.OPERATIONS,
    *events.OPERATIONS,
    *sms.OPERATIONS,
]

_TAG_ORDER = ("accounts", "sites", "tickets", "incidents", "live", "meta")


@cache
def _document() -> dict[str, Any]:
    doc = document_of(ROUTES)
    doc["tags"] = sorted(doc["tags"], key=lambda t: _TAG_ORDER.index(t["name"]))
    return doc


def openapi_document() -> dict[str, Any]:
    """A fresh copy of the served OpenAPI document (callers may change theirs)."""
    return copy.deepcopy(_document())


def error_response(status: int, code: str, message: str, **headers: str) -> web.Response:
    response = json_response(Error(error=code, message=message), status=status)  # type: ignore[arg-type]
    response.headers.update(headers)
    return response


@web.middleware
async def _errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    ctx: WebContext = request.app[CONTEXT]
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except ApiError as exc:
        status = exc.status
        return error_response(exc.status, exc.code, exc.message, **exc.headers)
    except web.HTTPException as exc:
        status = exc.status
        if not request.path.startswith("/api/") or exc.status < 400:
            raise
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            exc.status, "bad_request"
        )
        message = {
            404: f"no such endpoint {request.path}",
            405: f"{request.method} is not allowed on {request.path}",
        }.get(exc.status, exc.reason)
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else {}
        return error_response(exc.status, code, message, **headers)
    except (asyncio.CancelledError, ConnectionError):
        raise
    except Exception:  # an isolation boundary: a bug in one handler must not end the server
        log.exception("%s %s failed", request.method, request.path)
        return error_response(500, "internal", "the collector failed to answer; see its log")
    finally:
        ctx.metrics.http_requests.labels(request.method, str(status)).inc()


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/api/") and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"


CONTEXT: web.AppKey[WebContext] = web.AppKey("pantau_web", WebContext)


def make_app(
    ctx: WebContext, *, on_ticket_action: Callable[[], None] | None = None
) -> web.Application:
    """The aiohttp application over ``ctx`` (start ``ctx.hub`` on the same loop)."""
    app = web.Application(middlewares=[compress, _errors], client_max_size=MAX_BODY)
    app[CONTEXT] = ctx
    app[DOCUMENT] = _document()
    ctx.on_ticket_action = on_ticket_action
    for op in ROUTES:
        if op.method == "GET":  # and HEAD, as aiohttp's add_get does
            app.router.add_get(op.path, bind(op, ctx))
        else:
            app.router.add_route(op.method, op.path, bind(op, ctx))
    app.router.add_static("/static", ctx.static, follow_symlinks=False, append_version=False)
    app.on_response_prepare.append(_security_headers)
    return app
