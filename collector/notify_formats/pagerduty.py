"""PagerDuty Events API v2 (``POST https://events.pagerduty.com/v2/enqueue``).

- ``event_action``: trigger / acknowledge / resolve. PagerDuty has no update: an update
  is a trigger with the same ``dedup_key``, which PagerDuty folds into the open alert
  (new summary and details); an escalation is a trigger with severity ``critical``.
- ``routing_key``: the service's integration key (``routing_key_file`` in the route).
- ``payload`` (trigger only; PagerDuty ignores it otherwise): ``summary`` (at most 1024
  characters: cut with "..."), ``source`` (the alarmed cell, area or site), ``severity``,
  ``timestamp`` (ISO 8601: when the incident last changed), ``component`` (the
  operator), ``group`` (the kabupaten or province), ``class`` (the problem),
  ``custom_details`` (the incident: affected TPS, scope, other operators fine, Bahasa
  title).
"""

from __future__ import annotations

from typing import Any

from collector.notify_formats.alert import Alert, rfc3339, severity
from collector.notify_formats.request import Request, Target

SUMMARY_MAX = 1024
ACTIONS = {
    "trigger": "trigger",
    "update": "trigger",
    "escalate": "trigger",
    "acknowledge": "acknowledge",
    "resolve": "resolve",
}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render(alert: Alert, target: Target) -> Request:
    action = ACTIONS[alert.action]
    document: dict[str, Any] = {
        "routing_key": target.routing_key,
        "event_action": action,
        "dedup_key": alert.dedup_key,
    }
    if action == "trigger":
        group = alert.scope.get("kabupaten") or alert.scope.get("province")
        payload: dict[str, Any] = {
            "summary": _cut(alert.summary or alert.title, SUMMARY_MAX),
            "source": alert.object_id,
            "severity": severity(alert),
            "timestamp": rfc3339(alert.updated_ns),
            "component": alert.operator or alert.kind,
            "class": alert.problem or alert.family,
            "custom_details": details(alert),
        }
        if group:
            payload["group"] = group
        document["payload"] = payload
        document["client"] = target.source
    return Request(document)


def details(alert: Alert) -> dict[str, Any]:
    """The incident as a NOC reads it (PagerDuty shows these as a table)."""
    out: dict[str, Any] = {
        "incident": alert.incident_id,
        "kind": alert.kind,
        "title": alert.title,
        "title_id": alert.title_id,
        "state": alert.state,
        "affected_tps": alert.affected,
        "tps": list(alert.sites),
        "scope": dict(alert.scope),
        "opened": rfc3339(alert.opened_ns),
        "pantau_action": alert.action,
    }
    if alert.others_fine_count:
        out["others_fine"] = {
            "count": alert.others_fine_count,
            "operators": list(alert.others_fine_operators),
        }
    if alert.silenced_by:
        out["silenced_by"] = alert.silenced_by
    return out
