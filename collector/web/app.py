"""The operations centre's HTTP server: pages, the REST API (v1), the live stream, metrics.

docs/operations.md is the contract; :mod:`collector.web.openapi` describes every
response. The app runs on the collector's event loop; every store call that may
block runs in a worker thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import asyncio
import csv
import hmac
import io
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from aiohttp import web

from collector.config import WebSection
from collector.store import Store
from collector.store.model import Ticket, User, WebSession
from collector.web import measurements
from collector.web.accounts import (
    AccountError,
    LoginThrottle,
    SessionPolicy,
    operator_label,
    parse_operator,
    token_hash,
    verify_password,
)
from collector.web.live import LiveHub
from collector.web.metrics import CONTENT_TYPE, Metrics
from collector.web.openapi import openapi_document
from collector.web.present import (
    OPEN_STATES,
    STATUSES,
    SiteRow,
    iso,
    site_row,
    site_summary,
    ticket_event_json,
    ticket_json,
)
from pantau.core.sites import PROVINCES

log = logging.getLogger(__name__)

_S = 1_000_000_000
COOKIE = "pantau_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TICKET_STATES = ("open", "acknowledged", "resolved")
MAX_NOTE = 2000
MAX_BODY = 64 * 1024
MAX_HOURS = 168
MAX_TICKETS = 1000
MAX_ITEMS = 10_000
MAX_ID = 2**63 - 1
PROBLEM_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")

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

PAGES = {"/": "index.html", "/tickets": "tickets.html"}


def static_dir() -> Path:
    return Path(str(resources.files("collector.web").joinpath("static")))


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def bad(message: str) -> NoReturn:
    raise ApiError(400, "bad_request", message)


def not_found(message: str) -> NoReturn:
    raise ApiError(404, "not_found", message)


def error_response(status: int, code: str, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status, headers=headers)


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    session: WebSession

    @property
    def scoped(self) -> bool:
        return self.user.operator is not None

    def sees(self, operator: str | None) -> bool:
        return self.user.operator is None or operator == self.user.operator

    def account(self, policy: SessionPolicy) -> dict[str, Any]:
        return {
            "username": self.user.username,
            "role": self.user.role,
            "operator": self.user.operator,
            "operator_name": operator_label(self.user.operator),
            "csrf_token": self.session.csrf_token,
            "expires": iso(policy.ends_ns(self.session)),
        }


class WebContext:
    """Everything the handlers share: the store, the settings, the clock, the hub."""

    def __init__(
        self,
        store: Store,
        config: WebSection | None = None,
        *,
        clock: Callable[[], int] = time.time_ns,
        secure_cookies: bool = False,
        stats: Callable[[], Any] = lambda: None,
    ) -> None:
        self.store = store
        self.config = config or WebSection()
        self.clock = clock
        self.secure_cookies = secure_cookies
        self.policy = SessionPolicy(
            idle_ns=int(self.config.session_idle_s * _S), max_ns=int(self.config.session_max_s * _S)
        )
        self.throttle = LoginThrottle(
            self.config.login_failures, self.config.login_window_s, self.now
        )
        self.hub = LiveHub(self.load_rows, queue_size=self.config.sse_queue)
        self.metrics = Metrics(
            store,
            stats=stats,
            live=lambda: (
                len(self.hub.subscribers),
                sum(s.resyncs for s in self.hub.subscribers),
            ),
        )
        self.static = static_dir()

    def now(self) -> int:
        """The current time (ns): ``clock`` may be replaced, e.g. by a test's."""
        return self.clock()

    # -- reading the sites ---------------------------------------------------------------

    def rows_now(self, codes: Sequence[str] | None = None) -> dict[str, SiteRow]:
        """The sites' rows (all, or ``codes``) with their open tickets: blocking."""
        sites = self.store.sites(codes)
        if codes is not None and len(codes) <= 16:
            tickets: list[Ticket] = []
            for code in codes:
                tickets += self.store.list_tickets(site_code=code, states=OPEN_STATES, limit=10_000)
        else:
            tickets = self.store.list_tickets(states=OPEN_STATES, limit=10**9)
        by_site: dict[str, list[Ticket]] = {}
        for ticket in tickets:
            by_site.setdefault(ticket.site_code, []).append(ticket)
        now = self.clock()
        silent_ns = int(self.config.silent_after_s * _S)
        return {
            s.site_code: site_row(
                s, by_site.get(s.site_code, []), now_ns=now, silent_after_ns=silent_ns
            )
            for s in sites
        }

    async def load_rows(self, codes: Sequence[str] | None) -> dict[str, SiteRow]:
        return await asyncio.to_thread(self.rows_now, codes)

    # -- sessions --------------------------------------------------------------------------

    async def principal(self, request: web.Request) -> Principal | None:
        token = request.cookies.get(COOKIE)
        if not token or len(token) > 200:
            return None
        hashed = token_hash(token)
        found = await asyncio.to_thread(self.store.get_session, hashed)
        if found is None:
            return None
        session, user = found
        now = self.clock()
        if user.disabled or not self.policy.alive(session, now):
            await asyncio.to_thread(self.store.delete_session, hashed)
            return None
        if now - session.last_used_ns >= _S:
            await asyncio.to_thread(self.store.touch_session, hashed, now)
            session = WebSession(
                session.token_hash,
                session.username,
                session.csrf_token,
                session.created_ns,
                now,
                session.expires_ns,
            )
        return Principal(user, session)

    async def require(self, request: web.Request, *, role: str | None = None) -> Principal:
        principal = await self.principal(request)
        if principal is None:
            raise ApiError(401, "unauthorized", "not logged in (or the session has ended)")
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent or sent != principal.session.csrf_token:
                raise ApiError(
                    403, "csrf", f"missing or wrong {CSRF_HEADER} header (see GET /api/v1/me)"
                )
        if role == "operator" and principal.user.role not in ("operator", "admin"):
            raise ApiError(
                403, "forbidden", f"the {principal.user.role} role may not change tickets"
            )
        return principal


# -- parameters -----------------------------------------------------------------------------


def _known(request: web.Request, allowed: Sequence[str]) -> None:
    for key in request.query:
        if key not in allowed:
            bad(f"unknown parameter {key!r} (allowed: {', '.join(allowed) or 'none'})")
    for key in allowed:
        if len(request.query.getall(key, [])) > 1:
            bad(f"parameter {key!r} given more than once")


def _text(request: web.Request, key: str) -> str | None:
    value = request.query.get(key)
    if value is None or value == "":
        return None
    return value


def _choice(request: web.Request, key: str, choices: Sequence[str]) -> str | None:
    value = _text(request, key)
    if value is not None and value not in choices:
        bad(f"{key} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _int(request: web.Request, key: str, default: int, low: int, high: int) -> int:
    value = _text(request, key)
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        bad(f"{key} must be a whole number from {low} to {high}, got {value!r}")
    number = int(value)
    if not low <= number <= high:
        bad(f"{key} must be from {low} to {high}, got {number}")
    return number


#: Ticket queues that are not a network (collector.rules.model).
QUEUES = ("field-team", "satellite", "unknown")


def _operator(request: web.Request, *, queues: bool = False) -> str | None:
    value = _text(request, "operator")
    if value is None:
        return None
    if queues and value in QUEUES:
        return value
    try:
        return parse_operator(value)
    except AccountError as exc:
        bad(str(exc))


def _province(request: web.Request) -> str | None:
    value = _text(request, "province")
    if value is not None and value not in PROVINCES:
        bad(f"province must be a two-digit province code (e.g. 31), got {value!r}")
    return value


def _problem(request: web.Request) -> str | None:
    value = _text(request, "problem")
    if value is not None and (len(value) > 64 or not set(value) <= PROBLEM_CHARS):
        bad(f"problem must be a problem name such as WEAK_SIGNAL, got {value!r}")
    return value


def _site_code(value: str) -> str:
    if len(value) != 13 or not value.isascii() or not value.isdigit():
        bad(f"a site code is 13 digits (a TPS code such as 3171011001005), got {value!r}")
    return value


def _ticket_id(request: web.Request) -> int:
    value = request.match_info["id"]
    if not value.isascii() or not value.isdigit() or len(value) > 19 or int(value) > MAX_ID:
        bad(f"a ticket id is a positive whole number, got {value!r}")
    number = int(value)
    if number < 1:
        bad(f"a ticket id is a positive whole number, got {value!r}")
    return number


async def _json_body(request: web.Request, *, required: bool) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        if required:
            bad("the request needs a JSON object body")
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        bad("the body is not valid JSON")
    if not isinstance(body, dict):
        bad("the body must be a JSON object")
    return body


def _clean(value: str, field: str) -> str:
    """Refuse text no store can keep: NUL characters and lone surrogates."""
    if "\x00" in value:
        bad(f"{field} must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        bad(f"{field} is not valid Unicode text")
    return value


def _note(body: dict[str, Any]) -> str:
    unknown = set(body) - {"note"}
    if unknown:
        bad(f"unknown field(s): {', '.join(sorted(unknown))} (allowed: note)")
    note = body.get("note", "")
    if note is None:
        note = ""
    if not isinstance(note, str):
        bad("note must be a string")
    if len(note) > MAX_NOTE:
        bad(f"note must be at most {MAX_NOTE} characters, got {len(note)}")
    return _clean(note, "note")


def _compressed(response: web.Response) -> web.Response:
    """Large lists (10,000 sites) go gzip-compressed to clients that accept it."""
    body = response.body
    if isinstance(body, bytes) and len(body) > 16 * 1024:
        response.enable_compression()
    return response


# -- the handlers ----------------------------------------------------------------------------


class Handlers:
    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx

    # pages

    async def page(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path == "/login":
            return self._file("login.html")
        if await self.ctx.principal(request) is None:
            raise web.HTTPFound("/login")
        if path.startswith("/site/"):
            return self._file("site.html")
        return self._file(PAGES[path])

    def _file(self, name: str) -> web.StreamResponse:
        path = self.ctx.static / name
        if not path.is_file():
            return web.Response(status=404, text=f"{name} is not installed\n")
        return web.FileResponse(path, headers={"Cache-Control": "no-store"})

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def metrics(self, request: web.Request) -> web.Response:
        token = self.ctx.config.metrics_token
        if token:
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.strip().encode(), token.encode()
            ):
                return web.json_response(
                    {"error": "unauthorized", "message": "metrics need 'Authorization: Bearer "
                     "<token>' ([web] metrics_token_file)"},
                    status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                )  # fmt: skip
        body = await asyncio.to_thread(self.ctx.metrics.render)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    async def openapi(self, request: web.Request) -> web.Response:
        return web.json_response(openapi_document())

    # accounts

    async def login(self, request: web.Request) -> web.Response:
        ctx = self.ctx
        body = await _json_body(request, required=True)
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            bad('the body must be {"username": string, "password": string}')
        if len(username) > 200 or len(password) > 1024:
            bad("username (200) or password (1024 characters) too long")
        _clean(username, "username")
        _clean(password, "password")
        if ctx.throttle.blocked(username):
            retry = ctx.throttle.retry_after_s(username)
            raise ApiError(
                429,
                "too_many_attempts",
                f"too many failed logins for this account; try again in {retry} s",
                {"Retry-After": str(retry)},
            )
        user = await asyncio.to_thread(ctx.store.get_user, username)
        ok = await asyncio.to_thread(
            verify_password, user.password_hash if user else None, password
        )
        if user is None or user.disabled or not ok:
            ctx.throttle.failed(username)
            raise ApiError(401, "login_failed", "wrong user name or password")
        ctx.throttle.succeeded(username)
        now = ctx.clock()
        token, session = ctx.policy.new(user.username, now)
        await asyncio.to_thread(ctx.store.create_session, session)
        idle_before = now - ctx.policy.idle_ns
        await asyncio.to_thread(
            lambda: ctx.store.delete_stale_sessions(now_ns=now, idle_before_ns=idle_before)
        )
        response = web.json_response(Principal(user, session).account(ctx.policy))
        response.set_cookie(
            COOKIE,
            token,
            path="/",
            httponly=True,
            samesite="Strict",
            secure=ctx.secure_cookies,
        )
        return response

    async def logout(self, request: web.Request) -> web.Response:
        principal = await self.ctx.require(request)
        await asyncio.to_thread(self.ctx.store.delete_session, principal.session.token_hash)
        response = web.Response(status=204)
        response.del_cookie(COOKIE, path="/")
        return response

    async def me(self, request: web.Request) -> web.Response:
        _known(request, ())
        principal = await self.ctx.require(request)
        return web.json_response(principal.account(self.ctx.policy))

    # sites

    async def _visible_rows(
        self,
        principal: Principal,
        *,
        operator: str | None = None,
        province: str | None = None,
        status: str | None = None,
        problem: str | None = None,
    ) -> list[SiteRow]:
        rows = await self.ctx.load_rows(None)
        out = []
        for row in rows.values():
            if not principal.sees(row.operator):
                continue
            if operator is not None and row.operator != operator:
                continue
            if province is not None and row.province != province:
                continue
            if status is not None and row.status != status:
                continue
            if problem is not None and problem not in row.problems:
                continue
            out.append(row)
        out.sort(key=lambda r: r.code)
        return out

    async def map(self, request: web.Request) -> web.Response:
        _known(request, ())
        principal = await self.ctx.require(request)
        version = self.ctx.hub.version
        rows = await self._visible_rows(principal)
        return _compressed(
            web.json_response(
                {
                    "version": version,
                    "columns": ["code", "lat", "lon", "status", "operator", "province", "problems"],
                    "rows": [r.map_row() for r in rows],
                }
            )
        )

    async def sites(self, request: web.Request) -> web.Response:
        _known(request, ("operator", "province", "status", "problem"))
        principal = await self.ctx.require(request)
        rows = await self._visible_rows(
            principal,
            operator=_operator(request),
            province=_province(request),
            status=_choice(request, "status", STATUSES),
            problem=_problem(request),
        )
        return _compressed(web.json_response({"sites": [site_summary(r) for r in rows]}))

    async def _site_row(self, principal: Principal, code: str) -> SiteRow:
        rows = await self.ctx.load_rows([code])
        row = rows.get(code)
        if row is None or not principal.sees(row.operator):
            not_found(f"no site {code}")
        return row

    async def site(self, request: web.Request) -> web.Response:
        _known(request, ())
        principal = await self.ctx.require(request)
        code = _site_code(request.match_info["code"])
        row = await self._site_row(principal, code)
        tickets = await asyncio.to_thread(
            self.ctx.store.list_tickets,
            site_code=code,
            operator=principal.user.operator,
            limit=100,
        )
        s = row.site.signal
        body = site_summary(row)
        body["agents"] = list(row.site.agent_ids)
        body["cell"] = (
            None
            if s is None
            else {
                "cell_id": s.cell_id,
                "rat": s.rat,
                "reg_state": s.reg_state,
                "operator": row.operator,
                "operator_name": body["operator_name"],
                "time": iso(s.event_ns),
            }
        )
        body["tickets"] = [ticket_json(t) for t in tickets]
        return web.json_response(body)

    async def site_measurements(self, request: web.Request) -> web.Response:
        _known(request, ("kind", "hours", "limit"))
        principal = await self.ctx.require(request)
        code = _site_code(request.match_info["code"])
        kind = _choice(request, "kind", measurements.KINDS) or "signal"
        hours = _int(request, "hours", 24, 1, MAX_HOURS)
        limit = _int(request, "limit", 2000, 1, MAX_ITEMS)
        await self._site_row(principal, code)
        since = self.ctx.clock() - hours * 3600 * _S
        records = await asyncio.to_thread(self.ctx.store.site_window, code, since)
        items = await asyncio.to_thread(measurements.items, kind, records, limit=limit)
        return web.json_response({"site": code, "kind": kind, "hours": hours, "items": items})

    async def provinces(self, request: web.Request) -> web.Response:
        _known(request, ())
        principal = await self.ctx.require(request)
        rows = await self._visible_rows(principal)
        counts = {code: dict.fromkeys(STATUSES, 0) for code in PROVINCES}
        for row in rows:
            if row.province in counts:
                counts[row.province][row.status] += 1
        return web.json_response(
            [
                {"code": code, "name": name, "counts": counts[code]}
                for code, name in PROVINCES.items()
            ]
        )

    # tickets

    async def tickets(self, request: web.Request) -> web.Response:
        _known(request, ("state", "operator", "problem", "site", "province", "limit"))
        principal = await self.ctx.require(request)
        state = _choice(request, "state", (*TICKET_STATES, "active", "all")) or "active"
        operator = _operator(request, queues=True)
        problem = _problem(request)
        site = _text(request, "site")
        if site is not None:
            _site_code(site)
        province = _province(request)
        limit = _int(request, "limit", 100, 1, MAX_TICKETS)
        scope = principal.user.operator
        if scope is not None and operator is not None and operator != scope:
            return web.json_response({"tickets": []})
        states: Sequence[str] | None = {
            "active": OPEN_STATES,
            "all": None,
        }.get(state, (state,))
        tickets = await asyncio.to_thread(
            lambda: self.ctx.store.list_tickets(
                operator=scope or operator,
                problem=problem,
                site_code=site,
                site_prefix=province,
                states=states,
                limit=limit,
            )
        )
        return web.json_response({"tickets": [ticket_json(t) for t in tickets]})

    async def _ticket(self, principal: Principal, ticket_id: int) -> dict[str, Any]:
        found = await asyncio.to_thread(self.ctx.store.get_ticket, ticket_id)
        if found is None or not principal.sees(found[0].operator):
            not_found(f"no ticket {ticket_id}")
        ticket, events = found
        body = ticket_json(ticket)
        body["events"] = [ticket_event_json(e) for e in events]
        return body

    async def ticket(self, request: web.Request) -> web.Response:
        _known(request, ())
        principal = await self.ctx.require(request)
        return web.json_response(await self._ticket(principal, _ticket_id(request)))

    async def ack(self, request: web.Request) -> web.Response:
        return await self._act(request, "acknowledge")

    async def resolve(self, request: web.Request) -> web.Response:
        return await self._act(request, "resolve")

    async def _act(self, request: web.Request, action: str) -> web.Response:
        _known(request, ())
        principal = await self.ctx.require(request, role="operator")
        ticket_id = _ticket_id(request)
        note = _note(await _json_body(request, required=False))
        current = await self._ticket(principal, ticket_id)  # 404 unless visible
        store, now = self.ctx.store, self.ctx.clock()
        actor = principal.user.username
        if action == "acknowledge":
            change = await asyncio.to_thread(
                lambda: store.acknowledge_ticket(ticket_id, actor=actor, note=note, now_ns=now)
            )
        else:
            change = await asyncio.to_thread(
                lambda: store.resolve_ticket(ticket_id, actor=actor, note=note, now_ns=now)
            )
        if change is None:
            raise ApiError(
                409,
                "conflict",
                f"ticket {ticket_id} is {current['state']}: it cannot be "
                f"{'acknowledged' if action == 'acknowledge' else 'resolved'}",
            )
        self.ctx.hub.tickets_changed([change.ticket])
        if self.on_ticket_action is not None:
            self.on_ticket_action()
        return web.json_response(await self._ticket(principal, ticket_id))

    on_ticket_action: Callable[[], None] | None = None

    # coverage

    async def coverage(self, request: web.Request) -> web.StreamResponse:
        _known(request, ("operator", "province", "format", "hours"))
        principal = await self.ctx.require(request)
        operator = _operator(request)
        province = _province(request)
        fmt = _choice(request, "format", ("geojson", "csv")) or "geojson"
        hours = _int(request, "hours", 24, 1, MAX_HOURS)
        rows = await self._visible_rows(principal, operator=operator, province=province)
        since = self.ctx.clock() - hours * 3600 * _S
        entries = await asyncio.to_thread(self._coverage_entries, rows, since)
        if fmt == "csv":
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=COVERAGE_COLUMNS, lineterminator="\n")
            writer.writeheader()
            for entry in entries:
                writer.writerow({k: "" if v is None else v for k, v in entry.items()})
            return web.Response(
                text=out.getvalue(),
                content_type="text/csv",
                headers={"Content-Disposition": 'attachment; filename="pantau-coverage.csv"'},
            )
        features = [
            {
                "type": "Feature",
                "geometry": None
                if entry["lat"] is None or entry["lon"] is None
                else {"type": "Point", "coordinates": [entry["lon"], entry["lat"]]},
                "properties": entry,
            }
            for entry in entries
        ]
        return web.Response(
            text=json.dumps({"type": "FeatureCollection", "features": features}),
            content_type="application/geo+json",
            headers={"Content-Disposition": 'attachment; filename="pantau-coverage.geojson"'},
        )

    def _coverage_entries(self, rows: Sequence[SiteRow], since_ns: int) -> list[dict[str, Any]]:
        out = []
        for row in rows:
            records = self.ctx.store.site_window(row.code, since_ns)
            rsrp: list[float] = []
            rsrq: list[float] = []
            sinr: list[float] = []
            ping: list[float] = []
            loss: list[float] = []
            samples = 0
            signals = [r for r in records if r.kind == "signal"][-COVERAGE_READINGS:]
            pings = [r for r in records if r.kind == "ping"][-COVERAGE_READINGS:]
            for stored in signals + pings:
                record = measurements.decode(stored)
                if record is None:
                    continue
                if stored.kind == "signal" and record.HasField("signal"):
                    s = record.signal
                    samples += 1
                    if s.HasField("rsrp_dbm"):
                        rsrp.append(s.rsrp_dbm)
                    if s.HasField("rsrq_db"):
                        rsrq.append(s.rsrq_db)
                    if s.HasField("sinr_db"):
                        sinr.append(s.sinr_db)
                elif stored.kind == "ping" and record.HasField("ping"):
                    p = record.ping
                    if p.HasField("median_ms"):
                        ping.append(p.median_ms)
                    loss.append(p.loss_ratio)
            summary = site_summary(row)
            rsrp_median = measurements.median(rsrp)
            out.append(
                {
                    "site_code": row.code,
                    "province": row.province,
                    "province_name": PROVINCES.get(row.province),
                    "operator": row.operator,
                    "operator_name": summary["operator_name"],
                    "rat": summary["rat"],
                    "lat": row.lat,
                    "lon": row.lon,
                    "located": row.located,
                    "rsrp_dbm": rsrp_median,
                    "rsrq_db": measurements.median(rsrq),
                    "sinr_db": measurements.median(sinr),
                    "ping_median_ms": measurements.median(ping),
                    "loss_ratio": sum(loss) / len(loss) if loss else None,
                    "samples": samples,
                    "grade": grade(rsrp_median, samples),
                }
            )
        return out

    # live

    async def events(self, request: web.Request) -> web.StreamResponse:
        _known(request, ("site",))
        principal = await self.ctx.require(request)
        site = _text(request, "site")
        if site is not None:
            await self._site_row(principal, _site_code(site))
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        hub = self.ctx.hub
        sub = hub.subscribe(scoped=principal.scoped, operator=principal.user.operator, site=site)
        heartbeat = self.ctx.config.heartbeat_s
        try:
            while True:
                try:
                    message = await asyncio.wait_for(sub.queue.get(), heartbeat)
                except TimeoutError:
                    if await self.ctx.principal(request) is None:
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


#: Readings of each kind (signal, ping) a site's coverage figures use at most: the
#: newest in the window (a day at one a minute), so that a large export stays quick.
COVERAGE_READINGS = 1440

COVERAGE_COLUMNS = [
    "site_code",
    "province",
    "province_name",
    "operator",
    "operator_name",
    "rat",
    "lat",
    "lon",
    "located",
    "rsrp_dbm",
    "rsrq_db",
    "sinr_db",
    "ping_median_ms",
    "loss_ratio",
    "samples",
    "grade",
]


def grade(rsrp_median: float | None, samples: int) -> str:
    """good (RSRP >= -90 dBm), fair (>= -105), poor (below), none (readings but no
    RSRP: no LTE service), unknown (no readings in the window)."""
    if samples == 0:
        return "unknown"
    if rsrp_median is None:
        return "none"
    if rsrp_median >= -90:
        return "good"
    if rsrp_median >= -105:
        return "fair"
    return "poor"


# -- the app --------------------------------------------------------------------------------


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
    except Exception:
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
    app = web.Application(middlewares=[_errors], client_max_size=MAX_BODY)
    app[CONTEXT] = ctx
    h = Handlers(ctx)
    h.on_ticket_action = on_ticket_action
    r = app.router
    for path in ("/", "/login", "/tickets", "/site/{code}"):
        r.add_get(path, h.page)
    r.add_get("/healthz", h.healthz)
    r.add_get("/metrics", h.metrics)
    r.add_get("/api/v1/openapi.json", h.openapi)
    r.add_post("/api/v1/login", h.login)
    r.add_post("/api/v1/logout", h.logout)
    r.add_get("/api/v1/me", h.me)
    r.add_get("/api/v1/map", h.map)
    r.add_get("/api/v1/sites", h.sites)
    r.add_get("/api/v1/sites/{code}", h.site)
    r.add_get("/api/v1/sites/{code}/measurements", h.site_measurements)
    r.add_get("/api/v1/provinces", h.provinces)
    r.add_get("/api/v1/tickets", h.tickets)
    r.add_get("/api/v1/tickets/{id}", h.ticket)
    r.add_post("/api/v1/tickets/{id}/ack", h.ack)
    r.add_post("/api/v1/tickets/{id}/resolve", h.resolve)
    r.add_get("/api/v1/coverage", h.coverage)
    r.add_get("/api/v1/events", h.events)
    r.add_static("/static", ctx.static, follow_symlinks=False, append_version=False)
    app.on_response_prepare.append(_security_headers)
    return app
