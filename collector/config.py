"""The collector's configuration file (TOML), e.g.::

    [store]
    url = "postgresql://pantau@db.example/pantau"   # empty: SQLite in --data-dir

    [rules]
    file = "/etc/pantau/rules.toml"                 # empty: the built-in defaults

    [tickets]
    reopen_window_s = 3600      # a problem back within this reopens the same ticket
    escalate_after_s = 1800     # unacknowledged this long: escalate

    [routing]                   # which queue each operator's tickets go to
    operators = { "510-10" = "telkomsel", "510-01" = "indosat", "510-11" = "xl" }
    field_team = "field-team"   # kit problems (modem, SIM, agent silent)
    satellite = "satellite"     # NO_COVERAGE (recommend a BAKTI / satellite link), and
                                # the network problems of satellite kits
    default = "noc"             # operators not listed

    [ingest]
    future_tolerance_s = 300    # event times further ahead of the collector's clock
                                # are stored judged "future" (docs/proto.md)
    handshakes = 256            # admission control (docs/operations.md): Hellos
                                # answered at once; more wait in a queue, then are
                                # refused UNAVAILABLE with retry-after-ms
    drains = 16                 # kits sending a backlog at full rate at once

    [replicas]                  # several collectors on one PostgreSQL (docs/operations.md)
    lease_s = 15                # a dead replica's sites are judged by another within
                                # about 4/3 of this (a live one renews every lease_s / 3)

    [web]                       # the operations centre (docs/operations.md)
    listen = "127.0.0.1:8080"
    session_idle_s = 1800       # a session unused this long ends
    session_max_s = 43200       # and every session ends this long after login
    silent_after_s = 300        # a site not heard this long shows as silent

    [sms]                       # the SMS lifeline (docs/operations.md)
    secret_file = "/etc/pantau/sms.secret"          # kits' SMS keys derive from it
    webhook_secret_file = "/etc/pantau/sms-webhook.secret"  # POST /api/v1/sms HMAC key

    [routes.telkomsel]
    url = "https://noc.telkomsel.example/pantau"
    secret_file = "/etc/pantau/telkomsel.secret"    # HMAC key for X-Pantau-Signature
    format = "pantau"           # pantau | pagerduty | alertmanager | tmf642
    max_per_minute = 100        # calls in any minute; the rest wait (1-10000)

    [routes.indosat]            # PagerDuty Events API v2
    url = "https://events.pagerduty.com/v2/enqueue"
    format = "pagerduty"
    routing_key_file = "/etc/pantau/indosat.pagerduty"  # the integration key

Bad files are refused with :class:`pantau.core.tomlconfig.ConfigError` naming the file,
the key and what is expected.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collector.notify import Route
from collector.notify_formats import FORMATS
from pantau.core.tomlconfig import ConfigError, build, read_toml, setting

#: A drain threshold no kit reaches: backlog drains are not gated (set it in
#: ``[ingest] drain_threshold_records`` to turn the gating off).
DRAIN_GATING_OFF = 1_000_000_000
#: The default: a kit holding more unstored records than this is draining a backlog.
DRAIN_THRESHOLD_RECORDS = 60


@dataclass(frozen=True, slots=True)
class StoreSection:
    url: str = ""
    retention_days: float = setting(400.0, min=1)


@dataclass(frozen=True, slots=True)
class RulesSection:
    file: str = ""


@dataclass(frozen=True, slots=True)
class TicketsSection:
    reopen_window_s: float = setting(3600.0, min=0)
    escalate_after_s: float = setting(1800.0, min=1)


@dataclass(frozen=True, slots=True)
class RoutingSection:
    operators: dict[str, Any] = field(default_factory=dict)
    field_team: str = "field-team"
    satellite: str = "satellite"
    default: str = "noc"

    def __post_init__(self) -> None:
        for key, value in self.operators.items():
            mcc, dash, mnc = key.partition("-")
            if not dash or not (mcc.isdigit() and len(mcc) == 3 and mnc.isdigit()):
                raise ValueError(f'operators: key {key!r} must be MCC-MNC, e.g. "510-10"')
            if not isinstance(value, str) or not value:
                raise ValueError(f"operators: {key!r} must name a route (a non-empty string)")

    def route_for(self, queue: str) -> str:
        """The route of a ticket's queue: an MCC-MNC, "field-team" or "satellite"."""
        if queue == "field-team":
            return self.field_team
        if queue == "satellite":
            return self.satellite
        return str(self.operators.get(queue, self.default))


@dataclass(frozen=True, slots=True)
class IngestSection:
    """What the ingest accepts (docs/proto.md, "Numeric fields"), and how many kits it
    takes at once (admission control: docs/operations.md, "Reconnect storms")."""

    #: An event time further ahead of the collector's clock at arrival is from the future.
    future_tolerance_s: float = setting(300.0, min=1, max=86_400)
    #: Handshakes doing their store work (credential check, clock anchors) at once; kits
    #: queued for that, and for how long at most; the bound from a stream's start to its
    #: Welcome. Beyond any of them: UNAVAILABLE + retry-after-ms.
    handshakes: int = setting(256, min=1, max=10_000)
    handshake_queue: int = setting(2048, min=0, max=100_000)
    handshake_wait_s: float = setting(10.0, min=0, max=60)
    handshake_timeout_s: float = setting(15.0, min=1, max=120)
    #: A refused kit comes back after retry_min_ms plus a random share of a window of
    #: retry_per_kit_ms per kit recently refused, at most retry_max_ms.
    retry_min_ms: int = setting(1_000, min=0, max=600_000)
    retry_per_kit_ms: float = setting(5.0, min=0, max=60_000)
    retry_max_ms: int = setting(120_000, min=0, max=600_000)
    #: Backlogs: a kit holding more than drain_threshold_records unstored records needs
    #: one of ``drains`` slots to send at drain_records_per_s; the others are told
    #: drain_trickle_records_per_s and their acks paced (held at most max_ack_delay_s).
    #: A kit's reconnect ends its older stream on this collector at once, so a
    #: half-open stream does not keep its slot until keepalive (docs/operations.md).
    drains: int = setting(16, min=1, max=100_000)
    drain_threshold_records: int = setting(DRAIN_THRESHOLD_RECORDS, min=0)
    drain_records_per_s: int = setting(500, min=1, max=1_000_000)
    drain_trickle_records_per_s: int = setting(10, min=1, max=1_000_000)
    max_ack_delay_s: float = setting(5.0, min=0, max=30)

    def __post_init__(self) -> None:
        if self.retry_min_ms > self.retry_max_ms:
            raise ValueError(
                f"retry_min_ms ({self.retry_min_ms}) must not exceed retry_max_ms "
                f"({self.retry_max_ms})"
            )
        if self.drain_trickle_records_per_s > self.drain_records_per_s:
            raise ValueError(
                f"drain_trickle_records_per_s ({self.drain_trickle_records_per_s}) must not "
                f"exceed drain_records_per_s ({self.drain_records_per_s})"
            )


@dataclass(frozen=True, slots=True)
class ReplicasSection:
    """Collector replicas sharing one PostgreSQL store (collector.replicas)."""

    #: A replica's lease on its sites lasts this long unless renewed (every third of it).
    lease_s: float = setting(15.0, min=1, max=600)


@dataclass(frozen=True, slots=True)
class WebSection:
    """The operations centre (docs/operations.md)."""

    listen: str = "127.0.0.1:8080"
    session_idle_s: float = setting(1800.0, min=60)
    session_max_s: float = setting(43200.0, min=60)
    silent_after_s: float = setting(300.0, min=10)
    #: Login throttling (collector.web.throttle): failures of one user name, and of one
    #: client address, before delays start; the first delay, doubling with every further
    #: failure up to the name's and the client's longest; failures are forgotten after
    #: login_window_s without one.
    login_failures: int = setting(5, min=1)
    login_client_failures: int = setting(10, min=1)
    login_delay_s: float = setting(1.0, min=0.01)
    login_max_delay_s: float = setting(60.0, min=0.01)
    login_client_max_delay_s: float = setting(900.0, min=0.01)
    login_window_s: float = setting(900.0, min=1)
    #: Password checks (Argon2) at once, and logins waiting for one; beyond: 503.
    login_concurrency: int = setting(1, min=1, max=64)
    login_queue: int = setting(16, min=0, max=10_000)
    #: Password checks a second on average, and at once after a quiet spell; beyond: 503.
    login_checks_per_s: float = setting(5.0, min=0.1, max=10_000)
    login_checks_burst: int = setting(10, min=1, max=100_000)
    #: A refused login (429, 503) is answered after this pause (0: at once).
    login_hold_s: float = setting(1.0, min=0, max=10)
    #: Messages a live-stream subscriber may fall behind before it is told to resync.
    sse_queue: int = setting(64, min=2)
    heartbeat_s: float = setting(15.0, min=0.05)
    #: When set, /metrics asks for ``Authorization: Bearer <token>`` (Prometheus'
    #: ``authorization`` / ``bearer_token_file``); the file form keeps it out of the config.
    metrics_token: str = field(default="", repr=False)
    metrics_token_file: str = ""


@dataclass(frozen=True, slots=True)
class SmsSection:
    """The SMS lifeline: ``secret_file`` holds the secret every kit's SMS key derives
    from (pantau.core.lifeline.kit_key; each kit gets its key in the Welcome), at least
    16 bytes; ``webhook_secret_file`` the shared secret of an SMS gateway posting to
    ``POST /api/v1/sms`` (X-Pantau-Timestamp / X-Pantau-Signature, as the outbound
    webhooks sign), whose timestamp may be at most ``webhook_max_age_s`` old. Both
    empty: no lifeline."""

    secret_file: str = ""
    webhook_secret_file: str = ""
    webhook_max_age_s: float = setting(300.0, min=10, max=3600)
    secret: bytes = field(default=b"", repr=False)
    webhook_secret: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class _RouteEntry:
    url: str
    secret: str = ""
    secret_file: str = ""
    timeout_s: float = setting(10.0, min=0.5, max=120)
    #: How bodies are written (collector.notify_formats; docs/operations.md).
    format: str = setting("pantau", choices=tuple(FORMATS))
    #: PagerDuty's integration key, in a file of its own (format = "pagerduty").
    routing_key_file: str = ""
    #: Calls in any 60 s; beyond, notifications wait in the outbox (PagerDuty: 120).
    max_per_minute: int = setting(100, min=1, max=10_000)

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url: expected an http:// or https:// URL, got {self.url!r}")
        needs = FORMATS[self.format].needs
        if "routing_key" in needs and not self.routing_key_file:
            raise ValueError(
                f'routing_key_file: required with format = "{self.format}" (a file holding '
                "the integration key of the PagerDuty service's Events API v2 integration)"
            )
        if self.routing_key_file and "routing_key" not in needs:
            raise ValueError(
                f'routing_key_file: only format = "pagerduty" sends a routing key, '
                f'this route\'s format is "{self.format}"'
            )


@dataclass(frozen=True, slots=True)
class _File:
    store: StoreSection = field(default_factory=StoreSection)
    rules: RulesSection = field(default_factory=RulesSection)
    tickets: TicketsSection = field(default_factory=TicketsSection)
    routing: RoutingSection = field(default_factory=RoutingSection)
    routes: dict[str, Any] = field(default_factory=dict)
    web: WebSection = field(default_factory=WebSection)
    ingest: IngestSection = field(default_factory=IngestSection)
    replicas: ReplicasSection = field(default_factory=ReplicasSection)
    sms: SmsSection = field(default_factory=SmsSection)


@dataclass(frozen=True, slots=True)
class CollectorConfig:
    store: StoreSection
    rules: RulesSection
    tickets: TicketsSection
    routing: RoutingSection
    routes: dict[str, Route]
    source: str
    web: WebSection = field(default_factory=WebSection)
    ingest: IngestSection = field(default_factory=IngestSection)
    replicas: ReplicasSection = field(default_factory=ReplicasSection)
    sms: SmsSection = field(default_factory=SmsSection)


def default_config() -> CollectorConfig:
    return CollectorConfig(
        StoreSection(), RulesSection(), TicketsSection(), RoutingSection(), {}, "defaults"
    )


def _read_secret(source: str, key: str, path: str) -> str:
    """A secret kept in a file of its own (``key`` names it in errors): stripped, never empty."""
    try:
        secret = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(source, f"{key}: cannot read {path}: {exc.strerror}") from None
    if not secret:
        raise ConfigError(source, f"{key}: {path} is empty")
    return secret


def load_collector_config(path: Path) -> CollectorConfig:
    source = str(path)
    raw = build(_File, read_toml(path), source=source)
    routes: dict[str, Route] = {}
    for name, table in raw.routes.items():
        entry = build(_RouteEntry, table, source=source, where=f"[routes.{name}]")
        secret = entry.secret
        if entry.secret_file:
            secret = _read_secret(source, f"[routes.{name}] secret_file", entry.secret_file)
        routing_key = ""
        if entry.routing_key_file:
            routing_key = _read_secret(
                source, f"[routes.{name}] routing_key_file", entry.routing_key_file
            )
        routes[name] = Route(
            name=name,
            url=entry.url,
            secret=secret,
            timeout_s=entry.timeout_s,
            format=entry.format,
            routing_key=routing_key,
            max_per_minute=entry.max_per_minute,
        )
    web = raw.web
    if web.metrics_token_file:
        token = _read_secret(source, "[web] metrics_token_file", web.metrics_token_file)
        web = dataclasses.replace(web, metrics_token=token)
    return CollectorConfig(
        raw.store,
        raw.rules,
        raw.tickets,
        raw.routing,
        routes,
        source,
        web=web,
        ingest=raw.ingest,
        replicas=raw.replicas,
        sms=_sms(source, raw.sms),
    )


def _sms(source: str, sms: SmsSection) -> SmsSection:
    """``[sms]`` with its secrets read from their files."""
    secret = b""
    if sms.secret_file:
        secret = _read_secret(source, "[sms] secret_file", sms.secret_file).encode()
        if len(secret) < 16:
            raise ConfigError(
                source,
                f"[sms] secret_file: {sms.secret_file} holds {len(secret)} bytes, "
                "expected at least 16 (e.g. from: head -c 32 /dev/urandom | base64)",
            )
    hook = ""
    if sms.webhook_secret_file:
        hook = _read_secret(source, "[sms] webhook_secret_file", sms.webhook_secret_file)
    return dataclasses.replace(sms, secret=secret, webhook_secret=hook)
