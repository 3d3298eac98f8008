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

The JSON body follows PagerDuty Events v2 where it can: ``dedup_key``,
``event_action`` (trigger / acknowledge / resolve / escalate), and the ticket.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import random
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

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
    secret: str = ""
    timeout_s: float = 10.0


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


def post(route: Route, body: bytes, headers: Mapping[str, str]) -> Delivery:
    """One POST; blocking (run it in a thread). Never raises for network trouble."""
    request = urllib.request.Request(route.url, data=body, method="POST")  # noqa: S310
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=route.timeout_s) as response:  # noqa: S310
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return Delivery(False, exc.code, f"HTTP {exc.code} {exc.reason}")
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Delivery(False, None, f"cannot reach {route.url}: {reason}")
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
    _wakeup: asyncio.Event | None = field(default=None, repr=False)

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

    async def run_once(self) -> int:
        """Claim and try every due notification once; returns how many were tried."""
        now = self.clock()
        claimed = await asyncio.to_thread(
            self.store.claim_notifications,
            self.worker_id,
            now_ns=now,
            lease_ns=int(self.lease_s * 1e9),
            limit=self.batch,
        )
        for notification in claimed:
            await self._deliver(notification)
        return len(claimed)

    async def _deliver(self, notification: Notification) -> None:
        route = self.routes.get(notification.route)
        if route is None:
            result = Delivery(
                False, None, f"no webhook configured for route {notification.route!r}"
            )
        else:
            body, headers = self.render(notification, route)
            result = await asyncio.to_thread(post, route, body, headers)
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
    def render(notification: Notification, route: Route) -> tuple[bytes, dict[str, str]]:
        payload = (
            json.loads(notification.payload, parse_constant=lambda _: None)
            if notification.payload
            else {}
        )
        document = {
            "dedup_key": notification.dedup_key,
            "event_action": notification.action,
            "notification_id": notification.id,
            **payload,
        }
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)
        body = text.encode("utf-8")
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "pantau-collector",
            "Idempotency-Key": f"{notification.dedup_key}:{notification.action}:{notification.id}",
            TIMESTAMP_HEADER: timestamp,
        }
        if route.secret:
            headers[SIGNATURE_HEADER] = sign(route.secret, timestamp, body)
        return body, headers
