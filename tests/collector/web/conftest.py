"""The operations centre under test: a real collector (gRPC and web) on free loopback ports.

``web_site`` is a started :class:`WebSite` on SQLite in tmp_path (``web_site_pg``: the
same on PostgreSQL; ``any_web_site``: each backend in turn), seeded with nine sites on
three networks (three Telkomsel, three Indosat, three XL) and tickets, plus helpers:

- ``site.add_user(name, role, operator=None) -> password``
- ``site.login(name, password) -> Api`` (a ``requests.Session`` holding the cookie, with
  the CSRF header set; ``api.get/post`` take paths)
- ``site.user(role, operator=None) -> Api``: both at once
- ``site.clock.advance(seconds)``: the web's clock (sessions, throttling, silence)
- ``site.ingest(code, records)``: a real gRPC stream from a fake kit
- ``site.call(coro)``: run a coroutine on the collector's event loop

The collector runs on its own event loop in a background thread, so synchronous tests
(and Playwright's sync API) can use it directly.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
import requests

from collector import auth
from collector.config import CollectorConfig, WebSection, default_config
from collector.server import Collector
from collector.store import Store
from collector.store.model import Ticket
from collector.web.accounts import hash_password, parse_operator
from collector.web.seed import SeededSite, seed_sites
from pantau.v1 import records_pb2, telemetry_pb2, telemetry_pb2_grpc

T = TypeVar("T")
_S = 1_000_000_000

TELKOMSEL, INDOSAT, XL = "510-10", "510-01", "510-11"
#: Provinces the seeded sites are in: DKI Jakarta, Jawa Barat, Bali.
SEED_PROVINCES = ("31", "32", "51")


class FakeClock:
    """Real time plus an offset the test moves forward (never sleeps)."""

    def __init__(self) -> None:
        self.offset_ns = 0

    def __call__(self) -> int:
        return time.time_ns() + self.offset_ns

    def advance(self, seconds: float) -> None:
        self.offset_ns += int(seconds * _S)


class Api(requests.Session):
    """A logged-in (or not) client of one operations centre."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.csrf = ""

    def request(  # type: ignore[override]
        self, method: str, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        target = url.decode() if isinstance(url, bytes) else url
        if target.startswith("/"):
            target = self.base + target
        headers = dict(kwargs.pop("headers", None) or {})
        if self.csrf and method.upper() not in ("GET", "HEAD", "OPTIONS"):
            headers.setdefault("X-CSRF-Token", self.csrf)
        kwargs.setdefault("timeout", 30)
        kwargs["allow_redirects"] = False  # redirects are part of what the tests check
        return super().request(method, target, *args, headers=headers, **kwargs)


@dataclass
class Seeded:
    sites: list[SeededSite]
    tickets: list[Ticket]

    def codes(self, operator: str | None = None) -> list[str]:
        return sorted(s.code for s in self.sites if operator is None or s.operator == operator)


class WebSite:
    """A collector with its web, started on a loop of its own in a background thread."""

    def __init__(
        self, store: Store, *, config: CollectorConfig | None = None, seed: bool = True
    ) -> None:
        self.store = store
        self.clock = FakeClock()
        self.config = config or default_config()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="web-site", daemon=True)
        self._thread.start()
        self.collector: Collector = self.call(self._make())
        self.grpc_port = self.call(self.collector.start("127.0.0.1:0"))
        self.port = self.call(self.collector.start_web("127.0.0.1:0", clock=self.clock))
        self.url = f"http://127.0.0.1:{self.port}"
        self.seeded = self.seed() if seed else Seeded([], [])
        self._clients: list[Api] = []

    async def _make(self) -> Collector:
        return Collector(self.store, config=self.config)

    @property
    def web(self) -> Any:
        return self.collector.web

    @property
    def web_app(self) -> Any:
        return self.collector.web_app

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def on_loop(self, fn: Callable[[], T]) -> T:
        async def run() -> T:
            return fn()

        return self.call(run())

    def seed(self) -> Seeded:
        sites = seed_sites(self.store, 9, provinces=SEED_PROVINCES, now_ns=time.time_ns())
        now = time.time_ns()
        tickets = []
        for site, problem in zip(
            sites[:6],
            ("WEAK_SIGNAL", "NO_SERVICE", "HIGH_LOSS", "WEAK_SIGNAL", "NO_SERVICE", "HIGH_LATENCY"),
            strict=True,
        ):
            change = self.store.raise_problem(
                site.code, site.operator, problem, route="noc", first_bad_ns=now - 600 * _S,
                last_bad_ns=now, evidence={"why": "seeded"}, historical=False, now_ns=now,
                reopen_window_ns=0,
            )  # fmt: skip
            tickets.append(change.ticket)
        self.notify([s.code for s in sites])
        return Seeded(sites, tickets)

    def notify(self, codes: Sequence[str]) -> None:
        """Tell the live stream these sites changed (as the ingest does after a commit)."""
        hub = self.collector.web.hub
        self.on_loop(lambda: hub.sites_changed(codes))

    # -- accounts ------------------------------------------------------------------------

    def add_user(self, name: str, role: str, operator: str | None = None) -> str:
        password = secrets.token_urlsafe(12)
        scope = None if operator is None else parse_operator(operator)
        assert self.store.add_user(name, hash_password(password), role, scope, time.time_ns())
        return password

    def client(self) -> Api:
        api = Api(self.url)
        self._clients.append(api)
        return api

    def login(self, name: str, password: str) -> Api:
        api = self.client()
        response = api.post("/api/v1/login", json={"username": name, "password": password})
        assert response.status_code == 200, response.text
        api.csrf = response.json()["csrf_token"]
        return api

    def user(self, role: str, operator: str | None = None, name: str | None = None) -> Api:
        name = name or f"{role}-{operator or 'all'}-{secrets.token_hex(3)}"
        return self.login(name, self.add_user(name, role, operator))

    # -- a fake kit over real gRPC -------------------------------------------------------------

    def enroll(self, code: str, agent_id: str | None = None) -> str:
        agent_id = agent_id or f"fake-{code}"
        credential = auth.new_credential(agent_id)
        self.store.add_agent(agent_id, code, auth.hash_secret(credential.secret))
        return credential.token()

    def ingest(
        self, code: str, records: Sequence[records_pb2.Record], *, token: str | None = None
    ) -> telemetry_pb2.Ack:
        """Stream ``records`` (kit wall clock trusted as synced) as one batch; the ack,
        once the brain has taken the batch in (a site new to it is rebuilt first, and
        the rebuild squares the site's tickets with its data: a ticket a test raises
        by hand before that could be resolved by it)."""
        token = token or self.enroll(code)
        boot = records[0].time.boot_id if records else "boot"
        hello = telemetry_pb2.AgentMessage(
            hello=telemetry_pb2.Hello(
                claimed_site=code,
                sent_at=records_pb2.RecordTime(
                    wall_unix_ns=time.time_ns(), monotonic_ns=time.time_ns(), boot_id=boot,
                    clock_synced=True,
                ),
            )
        )  # fmt: skip
        batch = telemetry_pb2.AgentMessage(batch=telemetry_pb2.Batch(records=records))
        with grpc.insecure_channel(f"127.0.0.1:{self.grpc_port}") as channel:
            stub = telemetry_pb2_grpc.TelemetryStub(channel)
            replies = list(
                stub.Stream(
                    iter([hello, batch]),
                    metadata=(("authorization", f"Bearer {token}"),),
                    timeout=30,
                )
            )
        acks = [r.ack for r in replies if r.WhichOneof("msg") == "ack"]
        assert acks, replies
        self.call(self.collector.brain.settled(code))
        return acks[-1]

    def close(self) -> None:
        for api in self._clients:
            api.close()
        try:
            self.call(self.collector.stop(0))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)
            self.loop.close()


def fast_config() -> CollectorConfig:
    """Defaults, with a short heartbeat so that streams end quickly at shutdown, and
    refused logins answered at once (their Retry-After is then exact)."""
    base = default_config()
    return CollectorConfig(
        base.store, base.rules, base.tickets, base.routing, base.routes, base.source,
        # many logins in a test, at once: the checks' rate is tested on its own
        web=WebSection(heartbeat_s=1.0, login_hold_s=0, login_checks_per_s=10_000,
                       login_checks_burst=10_000),
    )  # fmt: skip


@pytest.fixture
def web_site(tmp_path: Path) -> Iterator[WebSite]:
    """The operations centre on SQLite, seeded (see the module docstring)."""
    from collector.store.sqlite import SqliteStore

    store = SqliteStore(tmp_path / "collector.sqlite")
    site = WebSite(store, config=fast_config())
    try:
        yield site
    finally:
        site.close()
        store.close()


@pytest.fixture
def web_site_pg(postgres_backend: Any) -> Iterator[WebSite]:
    """The operations centre on PostgreSQL (a fresh schema), seeded."""
    store = postgres_backend.open()
    site = WebSite(store, config=fast_config())
    try:
        yield site
    finally:
        site.close()
        store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_web_site(request: pytest.FixtureRequest) -> WebSite:
    """The operations centre on each store backend in turn."""
    name = "web_site" if request.param == "sqlite" else "web_site_pg"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright, one per browser-test module (skipped,
    visibly, where the machine has none; CI installs it)."""
    from browserkit import CHROMIUM, CHROMIUM_ARGS, skip_without_chromium  # browser/ tests

    skip_without_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
