"""The collector process: its gRPC server with every service, on one event loop."""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
from aiohttp import web

from collector.brain import Brain
from collector.committer import Committer
from collector.config import CollectorConfig, default_config
from collector.enrollment import EnrollmentService
from collector.gates import Admission
from collector.ingest import MAX_MESSAGE_BYTES, TelemetryService
from collector.notify import Dispatcher
from collector.replicas import LeaseStore, Replicas
from collector.rules import RuleEngine, load_rules
from collector.site_networks import backfill as find_site_networks
from collector.sms_intake import SmsIntake
from collector.store import Store
from collector.throughput import ThroughputServer
from collector.tls import TlsPaths, server_credentials
from pantau.v1 import telemetry_pb2_grpc

if TYPE_CHECKING:
    from collector.web.app import WebContext


def server_options() -> list[tuple[str, int]]:
    """Message caps and keepalive enforcement matching the agent's client settings.

    The agent pings 8 s after it last heard the collector (agent.channel: it notices
    a hung collector within about 20 s). The server never answers a kit's keepalive
    with GOAWAY "too_many_pings" (which drops the stream and makes the kit double
    its keepalive time): the minimum interval is 1 s and misbehaving pings are
    tolerated without limit (``max_ping_strikes = 0``), since pings bunched by a
    loaded machine were seen to strike out at 5 s. A ping flood costs only ping
    acks, which gRPC core bounds itself (its cap on pending induced frames).
    """
    return [
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.keepalive_time_ms", 300_000),
        ("grpc.keepalive_timeout_ms", 20_000),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_recv_ping_interval_without_data_ms", 1_000),
        ("grpc.http2.max_ping_strikes", 0),
        # gRPC sets SO_REUSEPORT by default: a second collector on the same address
        # would then start silently and take half the connections. Refuse it instead.
        ("grpc.so_reuseport", 0),
    ]


class ListenError(OSError):
    """An address the collector cannot listen on (in use, or not this machine's)."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"cannot listen on {address}: {reason}")
        self.address = address
        self.reason = reason


class Collector:
    """A running collector: gRPC services, committer and store, on one event loop."""

    def __init__(
        self, store: Store, *, tls: TlsPaths | None = None, config: CollectorConfig | None = None
    ) -> None:
        self.store = store
        self.tls = tls
        self.config = config or default_config()
        self._tasks: list[asyncio.Task[None]] = []
        self.committer = Committer(store)
        self.web: WebContext | None = None
        self.web_port = 0
        self._web_runner: web.AppRunner | None = None
        self.web_app: web.Application | None = None
        self._web_host = "127.0.0.1"
        self.dispatcher = Dispatcher(store, self.config.routes)
        rules = load_rules(Path(self.config.rules.file) if self.config.rules.file else None)
        if rules.incidents.enabled:  # tickets group into incidents, which page
            store.incident_settings = rules.incidents.settings()
        self.brain = Brain(
            store, RuleEngine(rules), self.config, on_notification=self.dispatcher.wake
        )
        #: Replicas on one PostgreSQL split the sites; alone (SQLite) this one judges all.
        self.replicas: Replicas | None = None
        if isinstance(store, LeaseStore):
            self.replicas = Replicas(store, self.brain, lease_s=self.config.replicas.lease_s)
        self.service = TelemetryService(
            store,
            self.committer,
            brain=self.brain,
            future_tolerance_ns=int(self.config.ingest.future_tolerance_s * 1e9),
            sms_secret=self.config.sms.secret,
            admission=Admission.from_settings(self.config.ingest),
        )
        self.server = grpc.aio.server(options=server_options())
        telemetry_pb2_grpc.add_TelemetryServicer_to_server(self.service, self.server)  # type: ignore[no-untyped-call]
        telemetry_pb2_grpc.add_EnrollmentServicer_to_server(  # type: ignore[no-untyped-call]
            EnrollmentService(store), self.server
        )
        self.sms_intake = SmsIntake(store, self.config.sms.secret, on_alive=self._alive_by_sms)
        self.port = 0
        self.throughput: ThroughputServer | None = None
        self.throughput_port = 0

    async def _alive_by_sms(self, site_code: str, agent_id: str, received_ns: int) -> None:
        """An authentic SMS from a kit: the rules hear it (its silence is not
        AGENT_SILENT), and the live view shows the site again."""
        self.brain.note(site_code, received_ns, [], agent_id=agent_id, by_sms=True)
        if self.web is not None:
            self.web.hub.sites_changed([site_code])

    async def start_throughput(self, listen: str) -> int:
        """Serve the kits' throughput tests on ``listen`` (TLS too when the collector has it)."""
        host, _, port = listen.rpartition(":")
        context = None
        if self.tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.tls.server_cert, self.tls.server_key)
        throughput = ThroughputServer(self.store, ssl_context=context)
        try:
            self.throughput_port = await throughput.start(host.strip("[]"), int(port))
        except OSError as exc:
            raise ListenError(listen, exc.strerror or str(exc)) from None
        self.throughput = throughput
        return self.throughput_port

    async def start_web(self, listen: str, *, clock: Callable[[], int] | None = None) -> int:
        """Serve the operations centre on ``listen`` (HOST:PORT; port 0 picks a free one),
        over TLS when the collector has it; returns the port."""
        from collector.web.app import WebContext, make_app

        host, _, port = listen.rpartition(":")
        if not host or not port.isdigit():
            raise ListenError(listen, "the web listen address must be HOST:PORT")
        context = None
        if self.tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.tls.server_cert, self.tls.server_key)
        ctx = WebContext(
            self.store,
            self.config.web,
            secure_cookies=context is not None,
            stats=lambda: self.service.stats,
            **({"clock": clock} if clock is not None else {}),
        )
        ctx.sms_intake = self.sms_intake
        ctx.queries.sms_alive_s = self.brain.engine.config.agent_silent.sms_alive_s
        ctx.sms_webhook_secret = self.config.sms.webhook_secret
        ctx.sms_max_age_s = self.config.sms.webhook_max_age_s
        self.committer.on_commit = ctx.hub.committed
        self.brain.on_tickets = ctx.hub.tickets_changed
        self.brain.on_evaluated = ctx.metrics.rule_evaluation.observe
        self.web_app = make_app(ctx, on_ticket_action=self.dispatcher.wake)
        runner = web.AppRunner(
            self.web_app,
            access_log=None,
            shutdown_timeout=1.0,
        )
        await runner.setup()
        site = web.TCPSite(runner, host.strip("[]"), int(port), ssl_context=context)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise ListenError(listen, exc.strerror or str(exc)) from None
        await ctx.hub.start()
        self.web, self._web_runner = ctx, runner
        self._web_host = host.strip("[]")
        server = site._server  # aiohttp exposes the bound port only here
        sockets = getattr(server, "sockets", None) or []
        self.web_port = int(sockets[0].getsockname()[1]) if sockets else int(port)
        return self.web_port

    @property
    def web_url(self) -> str:
        host = self._web_host
        if host in ("", "0.0.0.0", "::"):  # noqa: S104 - naming, not binding
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{host}:{self.web_port}"

    async def start(self, listen: str) -> int:
        """Listen on ``listen`` (HOST:PORT; port 0 picks a free one); returns the port."""
        try:
            if self.tls is not None:
                key, chain = server_credentials(self.tls)
                credentials = grpc.ssl_server_credentials([(key, chain)])
                self.port = self.server.add_secure_port(listen, credentials)
            else:
                self.port = self.server.add_insecure_port(listen)
        except RuntimeError:  # grpc raises RuntimeError when it cannot bind (and logs why)
            raise ListenError(listen, "address in use or not available") from None
        if self.port == 0:
            raise ListenError(listen, "address in use or not available")
        await self._site_networks()  # before any stream: nothing to race with
        await self.server.start()
        loop = asyncio.get_running_loop()

        def deaf(down_ns: int, back_ns: int) -> None:  # in the committer's thread
            why = f"could not store for {(back_ns - down_ns) / 1e9:.1f} s"
            loop.call_soon_threadsafe(
                functools.partial(self.brain.resume, back_ns, why, down_ns=down_ns)
            )

        self.committer.on_outage = deaf
        self._tasks.append(asyncio.create_task(self.dispatcher.run(), name="dispatcher"))
        self._tasks.append(asyncio.create_task(self.brain.run(), name="brain"))
        if self.replicas is not None:
            self._tasks.append(asyncio.create_task(self.replicas.run(), name="replica leases"))
        self._tasks.append(
            asyncio.create_task(self.service.open_streams.run(), name="credential re-checks")
        )
        return self.port

    async def _site_networks(self) -> None:
        """At start: the networks of sites that have none, from their stored readings
        (one query when every site has one)."""
        try:
            await asyncio.to_thread(find_site_networks, self.store, now_ns=time.time_ns())
        except Exception:  # isolation boundary: the collector serves without it
            logging.getLogger(__name__).exception("cannot read the sites' networks")

    async def stop(self, grace_s: float = 2.0) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.replicas is not None:
            await self.replicas.leave()
        if self.web is not None:
            await self.web.hub.stop()
        if self._web_runner is not None:
            await self._web_runner.cleanup()
            self._web_runner = None
        if self.web is not None:
            self.web.passwords.close()  # after the web: no login is left to check
        if self.throughput is not None:
            await self.throughput.stop()
        await self.server.stop(grace_s)
        self.service.close()
        self.committer.close()
