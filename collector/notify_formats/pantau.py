"""Pantau's own body, as every route got it before formats: the row's payload with
``dedup_key``, ``event_action`` (PagerDuty's words) and ``notification_id``."""

from __future__ import annotations

from collector.notify_formats.alert import Alert
from collector.notify_formats.request import Request, Target


def render(alert: Alert, target: Target) -> Request:
    return Request(
        {
            "dedup_key": alert.dedup_key,
            "event_action": alert.action,
            "notification_id": alert.notification_id,
            **alert.raw,
        }
    )
