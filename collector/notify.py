"""Webhook notifications: the outbox dispatcher.

Ticket changes write a row to the outbox in the same transaction (see the store);
this dispatcher claims due rows (a lease, so a crashed collector's claims expire;
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so replicas never send the same row),
POSTs them as JSON to the route's webhook and marks them delivered on any 2xx.
Anything else is retried with capped exponential back-off, across restarts,
until the receiver accepts it. Notifications of one ticket go out in order.

Every request carries:

- ``Idempotency-Key``: the notification's stable dedup key plus its action and
  outbox id, so a receiver that saw it already can drop the repeat;
- ``X-Pantau-Timestamp`` and ``X-Pantau-Signature: sha256=<hex>``, an HMAC-SHA256
  of ``<timestamp>.<body>`` with the route's secret (Stripe style: the receiver
  checks both, and rejects old timestamps to stop replays).

The body is the route's format (:mod:`collector.notify_formats`: Pantau's own,
PagerDuty Events v2, Alertmanager webhook v4, TMF642). Each route gets at most its
``max_per_minute`` calls in any minute; what is over waits in the outbox, and a run of
waiting updates of one incident collapses into its newest (:mod:`collector.notify_limits`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import random
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from collector.notify_formats import FORMATS, PayloadError, Target, alert_from_row, dumps
from collector.notify_limits import COLLAPSIBLE, MinuteBudget, Waiting, collapse_updates
from collector.store import OutboxStore
from collector.store.model import Notification
from pantau.core.aio import wait_event

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Pantau-Signature"
TIMESTAMP_HEADER = "X-Pantau-Timestamp"


@dataclass(frozen=True, slots=True)
class Route:
    """Where one queue's notifications go."""

    name: str
    url: str
    secret: str = field(default="", repr=False)
    timeout_s: float = 10.0
    format: str = "pantau"  # a key of collector.notify_formats.FORMATS
    routing_key: str = field(default="", repr=False)  # PagerDuty's integration key
    max_per_minute: int = 100  # calls in any 60 s (PagerDuty allows 120 a key)

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            known = ", ".join(FORMATS)
            raise ValueError(f"route {self.name}: format {self.format!r} is not one of {known}")
        if self.max_per_minute < 1:
            raise ValueError(f"route {self.name}: max_per_minute must be at least 1")


@dataclass(frozen=True, slots=True)
class Delivery:
    ok: bool
    status: int | None
    error: str


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """For receivers (and tests): constant-time check of a signature header."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def post(
    route: Route, body: bytes, headers: Mapping[str, str], *, url: str = "", method: str = "POST"
) -> Delivery:
    """One request (to ``url``, default the route's); blocking (run it in a thread).
    Never raises for network trouble."""
    url = url or route.url
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=route.timeout_s) as response:  # noqa: S310
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return Delivery(False, exc.code, f"HTTP {exc.code} {exc.reason}")
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Delivery(False, None, f"cannot reach {url}: {reason}")
    return Delivery(200 <= status < 300, status, "" if status < 300 else f"HTTP {status}")


@dataclass
class Dispatcher:
    store: OutboxStore
    routes: Mapping[str, Route]
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    lease_s: float = 60.0
    poll_s: float = 1.0
    batch: int = 50
    backoff_base_s: float = 2.0
    backoff_cap_s: float = 300.0
    clock: Callable[[], int] = time.time_ns  # wall clock, ns; tests drive it
    delivered: int = 0
    failed: int = 0
    held: int = 0  # claims given back for a route's rate limit
    superseded: int = 0  # updates settled by a newer one
    _wakeup: asyncio.Event | None = field(default=None, repr=False)
    _budgets: dict[str, MinuteBudget] = field(default_factory=dict, repr=False)

    def backoff_s(self, attempts: int) -> float:
        """Capped exponential back-off with jitter (attempts counts earlier tries)."""
        ceiling = min(self.backoff_cap_s, self.backoff_base_s * 2.0 ** min(attempts, 20))
        return float(ceiling * (0.5 + random.random() / 2))

    def wake(self) -> None:
        """A notification was just written: look now rather than at the next poll."""
        if self._wakeup is not None:
            self._wakeup.set()

    async def run(self) -> None:
        self._wakeup = asyncio.Event()
        while True:
            sent = await self.run_once()
            if not sent:
                await wait_event(self._wakeup, self.poll_s)
                self._wakeup.clear()

    def budget(self, route: Route) -> MinuteBudget:
        """The route's calls in the last minute (one per route, kept across claims)."""
        budget = self._budgets.get(route.name)
        if budget is None or budget.per_minute != route.max_per_minute:
            budget = self._budgets[route.name] = MinuteBudget(route.max_per_minute)
        return budget

    async def run_once(self) -> int:
        """Claim every due notification and try each once, within the routes' limits.

        Returns how many were settled or tried; those over a route's limit are given
        back, due when the route may be called again.
        """
        now = self.clock()
        claimed = await asyncio.to_thread(
            self.store.claim_notifications,
            self.worker_id,
            now_ns=now,
            lease_ns=int(self.lease_s * 1e9),
            limit=self.batch,
        )
        tried = 0
        held: dict[str, list[int]] = {}
        for notification in claimed:
            route = self.routes.get(notification.route)
            if route is not None:
                if notification.action in COLLAPSIBLE and await self._collapse(notification):
                    tried += 1
                    continue
                if not self.budget(route).take(self.clock()):
                    held.setdefault(route.name, []).append(notification.id)
                    continue
            tried += 1
            await self._deliver(notification, route)
        for name, ids in held.items():
            self.held += len(ids)
            # Due one by one as the route's tokens come back, not all at once.
            by_time: dict[int, list[int]] = {}
            for notification_id, due in zip(
                ids, self._budgets[name].schedule(self.clock(), len(ids)), strict=True
            ):
                by_time.setdefault(due, []).append(notification_id)
            for due, group in sorted(by_time.items()):
                await asyncio.to_thread(
                    self.store.release_notifications, group, self.worker_id, next_attempt_ns=due
                )
        return tried

    async def _collapse(self, notification: Notification) -> bool:
        """Settle a run of waiting updates by its newest; True if this row was settled."""
        waiting = await asyncio.to_thread(
            self.store.waiting_notifications, notification.dedup_key, notification.id
        )
        plan = collapse_updates(
            Waiting(notification.id, notification.action),
            [Waiting(n.id, n.action) for n in waiting],
        )
        if plan is None:
            return False
        settled = await asyncio.to_thread(
            self.store.mark_superseded, plan.superseded, plan.by, self.worker_id, self.clock()
        )
        self.superseded += settled
        return True

    async def _deliver(self, notification: Notification, route: Route | None) -> None:
        if route is None:
            result = Delivery(
                False, None, f"no webhook configured for route {notification.route!r}"
            )
        else:
            try:
                url, method, body, headers = self.render(notification, route)
            except PayloadError as exc:
                result = Delivery(False, None, f"cannot render for {route.format}: {exc}")
            else:
                result = await asyncio.to_thread(post, route, body, headers, url=url, method=method)
        now = self.clock()
        if result.ok:
            self.delivered += 1
            await asyncio.to_thread(self.store.mark_delivered, notification.id, self.worker_id, now)
            return
        self.failed += 1
        retry_at = now + int(self.backoff_s(notification.attempts) * 1e9)
        log.warning(
            "notification %s (%s) not delivered: %s; retrying",
            notification.id, notification.action, result.error,
        )  # fmt: skip
        await asyncio.to_thread(
            self.store.mark_failed,
            notification.id,
            self.worker_id,
            error=result.error,
            next_attempt_ns=retry_at,
        )

    @staticmethod
    def render(notification: Notification, route: Route) -> tuple[str, str, bytes, dict[str, str]]:
        """The request for ``notification`` in the route's format: URL, method, body,
        headers. Raises :class:`PayloadError` for a row no format can read."""
        alert = alert_from_row(
            dedup_key=notification.dedup_key,
            action=notification.action,
            notification_id=notification.id,
            created_ns=notification.created_ns,
            route=notification.route,
            payload=notification.payload,
        )
        target = Target(route.name, routing_key=route.routing_key)
        request = FORMATS[route.format].render(alert, target)
        body = dumps(request.document)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "pantau-collector",
            "Idempotency-Key": f"{notification.dedup_key}:{notification.action}:{notification.id}",
            TIMESTAMP_HEADER: timestamp,
        }
        if route.secret:
            headers[SIGNATURE_HEADER] = sign(route.secret, timestamp, body)
        url = route.url.rstrip("/") + request.path if request.path else route.url
        return url, request.method, body, headers
