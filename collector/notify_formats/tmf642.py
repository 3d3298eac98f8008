"""TM Forum TMF642 Alarm Management API, version 4: Pantau reports alarms to an
operator's assurance system as an alarm-owning source system (``sourceSystemId``).

The route's URL is the API's base (e.g. ``https://oss.example/tmf-api/alarmManagement/v4``).
The alarm's ``id`` is the receiver's and Pantau does not store it, so every change after
the create names the alarm by pattern (``externalAlarmId`` = the dedup key, plus
``sourceSystemId``), with the API's task resources:

- trigger: ``POST {url}/alarm``, an Alarm (state raised, ackState unacknowledged);
- update: ``POST {url}/commentAlarms``, a comment with the new affected count;
- escalate: ``POST {url}/commentAlarms``, a comment saying it is now critical;
- acknowledge: ``POST {url}/ackAlarms`` (ackSystemId, ackUserId: who acknowledged the
  incident, else the source system);
- resolve: ``POST {url}/clearAlarms`` (alarmClearedTime, clearSystemId, clearUserId).

Severity (``perceivedSeverity``, ITU-T X.733): area critical, cell and field major,
site minor. ``alarmType``: ``equipmentAlarm`` for the field team's kit faults, else
``communicationsAlarm``. ``probableCause`` maps the problem family to an X.733 /
3GPP TS 32.111-2 cause where one fits (see :data:`PROBABLE_CAUSE`).
"""

from __future__ import annotations

from typing import Any

from collector.notify_formats.alert import Alert, rfc3339, severity
from collector.notify_formats.request import Request, Target

PERCEIVED = {"critical": "critical", "error": "major", "warning": "minor", "info": "warning"}
#: Problem family (or problem) to probable cause; anything else is "unspecified".
PROBABLE_CAUSE = {
    "no_service": "lossOfSignal",
    "no_coverage": "lossOfSignal",
    "weak_signal": "degradedSignal",
    "degraded": "degradedSignal",
    "slow": "performanceDegraded",
    "dns": "communicationProtocolError",
    "kit": "equipmentMalfunction",
    "modem": "equipmentMalfunction",
    "power": "powerProblem",
    "silent": "lossOfSignal",
}
REFERRED = {"cell": "Cell", "area": "GeographicArea", "field": "GeographicArea", "site": "Site"}


def _pattern(alert: Alert, target: Target) -> list[dict[str, Any]]:
    return [{"externalAlarmId": alert.dedup_key, "sourceSystemId": target.source}]


def _details(alert: Alert) -> str:
    """English, then the Bahasa Indonesia title after " / " (never mixed in one part)."""
    text = f"{alert.summary}; affected TPS: {alert.affected}"
    if alert.sites:
        text += " (" + " ".join(alert.sites) + ")"
    if alert.others_fine_count:
        operators = ", ".join(alert.others_fine_operators)
        text += f"; other operators fine at {alert.others_fine_count} TPS ({operators})"
    return f"{text} / {alert.title_id}"


def alarm(alert: Alert, target: Target) -> dict[str, Any]:
    cause = PROBABLE_CAUSE.get(alert.family.lower()) or PROBABLE_CAUSE.get(
        alert.problem.lower(), "unspecified"
    )
    document: dict[str, Any] = {
        "@type": "Alarm",
        "externalAlarmId": alert.dedup_key,
        "sourceSystemId": target.source,
        "reportingSystemId": target.source,
        "state": "raised",
        "ackState": "unacknowledged",
        "alarmType": "equipmentAlarm" if alert.kind == "field" else "communicationsAlarm",
        "perceivedSeverity": PERCEIVED[severity(alert)],
        "probableCause": cause,
        "specificProblem": alert.title,
        "alarmDetails": _details(alert),
        "alarmedObjectType": alert.kind,
        "alarmedObject": {
            "id": alert.object_id,
            "@referredType": REFERRED[alert.kind],
        },
        "alarmRaisedTime": rfc3339(alert.opened_ns),
        "alarmReportingTime": rfc3339(alert.created_ns),
        "alarmChangedTime": rfc3339(alert.updated_ns),
        "serviceAffecting": True,
        "isRootCause": alert.kind != "site",
    }
    if alert.silenced_by:
        document["plannedOutageIndicator"] = "outOfService"
    return document


def render(alert: Alert, target: Target) -> Request:
    stamp = rfc3339(alert.created_ns)
    if alert.action == "trigger":
        return Request(alarm(alert, target), path="/alarm")
    if alert.action == "acknowledge":
        return Request(
            {
                "@type": "AckAlarms",
                "ackSystemId": target.source,
                "ackUserId": alert.acked_by or target.source,
                "ackTime": stamp,
                "alarmPattern": _pattern(alert, target),
            },
            path="/ackAlarms",
        )
    if alert.action == "resolve":
        cleared = alert.resolved_ns if alert.resolved_ns is not None else alert.created_ns
        return Request(
            {
                "@type": "ClearAlarms",
                "clearSystemId": target.source,
                "clearUserId": alert.resolved_by or target.source,
                "alarmClearedTime": rfc3339(cleared),
                "alarmPattern": _pattern(alert, target),
            },
            path="/clearAlarms",
        )
    note = "escalated: severity critical. " if alert.action == "escalate" else ""
    return Request(
        {
            "@type": "CommentAlarms",
            "comment": {
                "@type": "Comment",
                "comment": note + _details(alert),
                "systemId": target.source,
                "userId": target.source,
                "time": stamp,
            },
            "alarmPattern": _pattern(alert, target),
        },
        path="/commentAlarms",
    )
