"""The Alertmanager webhook payload, version "4": what Alertmanager POSTs to a
``webhook_config`` receiver, so a NOC's existing Alertmanager receivers read Pantau.

One notification is one group holding one alert:

- ``status``: ``firing`` until the resolve, then ``resolved`` (with ``endsAt``);
  acknowledge, update and escalate re-send the firing alert with its new annotations
  (Alertmanager itself has no acknowledgement).
- ``labels`` stay the same for the incident's whole life (``alertname``, ``severity``
  is not one of them because an escalation changes it), so the ``fingerprint`` (16 hex
  digits of a SHA-256 of the sorted labels) and ``groupKey`` are stable.
- ``annotations`` carry what changes: ``summary`` (English), ``summary_id`` (Bahasa
  Indonesia), ``description``, ``severity``, affected TPS, other operators fine.
- ``startsAt`` is when the incident opened; ``endsAt`` is "0001-01-01T00:00:00Z" (Go's
  zero time, as Alertmanager sends it) while firing; ``truncatedAlerts`` is 0.
"""

from __future__ import annotations

import hashlib
from typing import Any

from collector.notify_formats.alert import Alert, rfc3339, severity
from collector.notify_formats.request import Request, Target

ZERO_TIME = "0001-01-01T00:00:00Z"


def labels(alert: Alert) -> dict[str, str]:
    out = {
        "alertname": "PantauIncident",
        "dedup_key": alert.dedup_key,
        "kind": alert.kind,
        "operator": alert.operator,
        "problem": alert.problem,
        "family": alert.family,
        **{name: value for name, value in alert.scope.items()},
    }
    return {name: value for name, value in sorted(out.items()) if value}


def fingerprint(label_set: dict[str, str]) -> str:
    text = "\xff".join(f"{k}\xff{v}" for k, v in sorted(label_set.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def alert_annotations(alert: Alert) -> dict[str, str]:
    out = {
        "summary": alert.title,
        "summary_id": alert.title_id,
        "description": alert.summary,
        "severity": severity(alert),
        "affected_tps": str(alert.affected),
        "tps": " ".join(alert.sites),
        "pantau_action": alert.action,
    }
    if alert.others_fine_count:
        operators = ", ".join(alert.others_fine_operators)
        out["others_fine"] = f"{alert.others_fine_count} TPS ({operators})"
    if alert.silenced_by:
        out["silenced_by"] = alert.silenced_by
    return out


def render(alert: Alert, target: Target) -> Request:
    resolved = alert.action == "resolve"
    status = "resolved" if resolved else "firing"
    label_set = labels(alert)
    ended = alert.resolved_ns if alert.resolved_ns is not None else alert.created_ns
    item: dict[str, Any] = {
        "status": status,
        "labels": label_set,
        "annotations": alert_annotations(alert),
        "startsAt": rfc3339(alert.opened_ns),
        "endsAt": rfc3339(ended) if resolved else ZERO_TIME,
        "generatorURL": "",
        "fingerprint": fingerprint(label_set),
    }
    group = {"dedup_key": alert.dedup_key}
    return Request(
        {
            "version": "4",
            "groupKey": '{}:{dedup_key="' + alert.dedup_key + '"}',
            "truncatedAlerts": 0,
            "status": status,
            "receiver": target.name,
            "groupLabels": group,
            "commonLabels": label_set,
            "commonAnnotations": item["annotations"],
            "externalURL": "",
            "alerts": [item],
        }
    )
