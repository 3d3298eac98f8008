"""What every handler shares: the store, the settings, the clock, the hub, the session.

:class:`WebContext` holds them; :meth:`WebContext.require` turns a request's cookie
(and, for changes, its CSRF header) into a :class:`Principal` or an :class:`ApiError`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from aiohttp import web

from collector.config import WebSection
from collector.errors import CollectorError
from collector.present import iso
from collector.query import SiteQueries, SiteRow
from collector.sms_intake import SmsIntake
from collector.store import Store
from collector.store.model import User, WebSession
from collector.web.accounts import SessionPolicy, token_hash, verify_password
from collector.web.live import LiveHub
from collector.web.mapcache import MapCache
from collector.web.metrics import Metrics
from collector.web.models import Account
from collector.web.throttle import Backoff, LoginThrottle, PasswordGate
from pantau.core.operators import operator_label

_S = 1_000_000_000
COOKIE = "pantau_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def static_dir() -> Path:
    return Path(str(resources.files("collector.web").joinpath("static")))


class ApiError(CollectorError):
    """A request the API refuses: the HTTP status, a code and a message for a person."""

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


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    session: WebSession

    @property
    def scoped(self) -> bool:
        return self.user.operator is not None

    def sees(self, operator: str | None) -> bool:
        """A ticket (about ``operator``) the account may see."""
        return self.user.operator is None or operator == self.user.operator

    def sees_site(self, row: SiteRow) -> bool:
        """A site the account may see: one known on its network (``SiteRow.networks``:
        every network it has been seen on, not only its latest reading's)."""
        return self.sees_networks(row.networks)

    def sees_networks(self, networks: tuple[str, ...]) -> bool:
        """A site known on ``networks`` (unscoped accounts see every site)."""
        return self.user.operator is None or self.user.operator in networks

    def account(self, policy: SessionPolicy) -> Account:
        return Account(
            username=self.user.username,
            role=self.user.role,  # type: ignore[arg-type]
            operator=self.user.operator,
            operator_name=operator_label(self.user.operator),
            csrf_token=self.session.csrf_token,
            expires=iso(policy.ends_ns(self.session)) or "",
        )


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
        self.queries = SiteQueries(store, silent_after_s=self.config.silent_after_s, clock=self.now)
        self.policy = SessionPolicy(
            idle_ns=int(self.config.session_idle_s * _S), max_ns=int(self.config.session_max_s * _S)
        )
        web = self.config
        self.throttle = LoginThrottle(
            clients=Backoff(
                web.login_client_failures,
                web.login_delay_s,
                web.login_client_max_delay_s,
                web.login_window_s,
            ),
            names=Backoff(
                web.login_failures, web.login_delay_s, web.login_max_delay_s, web.login_window_s
            ),
            clock=self.now,
        )
        self.passwords = PasswordGate(
            verify_password,
            concurrency=web.login_concurrency,
            queue=web.login_queue,
            per_s=web.login_checks_per_s,
            burst=web.login_checks_burst,
        )
        self.hub = LiveHub(self.load_rows, queue_size=self.config.sse_queue)
        self.map_cache = MapCache(self.hub)
        self.metrics = Metrics(
            store,
            stats=stats,
            live=lambda: (
                len(self.hub.subscribers),
                sum(s.resyncs for s in self.hub.subscribers),
            ),
        )
        self.static = static_dir()
        self.on_ticket_action: Callable[[], None] | None = None
        #: The SMS lifeline's webhook (collector.web.routes.sms); None: not served.
        self.sms_intake: SmsIntake | None = None
        self.sms_webhook_secret = ""
        self.sms_max_age_s = 300.0

    def now(self) -> int:
        """The current time (ns): ``clock`` may be replaced, e.g. by a test's."""
        return self.clock()

    async def load_rows(self, codes: Sequence[str] | None) -> dict[str, SiteRow]:
        return await asyncio.to_thread(self.queries.rows, codes)

    async def site_row(self, principal: Principal, code: str) -> SiteRow:
        """The site's row, or a 404 when there is none or the account may not see it."""
        row = await asyncio.to_thread(self.queries.row, code)
        if row is None or not principal.sees_site(row):
            not_found(f"no site {code}")
        return row

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
