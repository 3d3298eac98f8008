"""What a notification says, whatever shape its outbox row has: :class:`Alert`.

An outbox row's ``payload`` is JSON text in one of two shapes, and both become the same
typed :class:`Alert` before any route format sees them:

- an incident (``{"incident": {...}, "summary": "..."}``): a fault of one cell, area,
  field team's area or site, with the TPS it affects;
- a ticket (``{"ticket_id": ..., "site_code": ..., ...}``, what the ticket store writes
  per site): read as an incident of kind ``"site"`` affecting that one TPS.

Pure: no I/O, no clock. Bad payloads (not JSON, not an object, a field of the wrong
type) raise :class:`PayloadError` naming the field; the dispatcher then keeps the row
and says why rather than sending half a message.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: The actions an outbox row may carry (``outbox.action``).
ACTIONS = ("trigger", "update", "acknowledge", "escalate", "resolve")
#: Incident kinds: whose fault it is and how far it reaches.
KINDS = ("cell", "area", "field", "site")


class PayloadError(ValueError):
    """An outbox row's payload is not a ticket or an incident (a bug upstream)."""


@dataclass(frozen=True, slots=True)
class Alert:
    """One notification, typed: the incident as it was when the row was written."""

    dedup_key: str  # "pantau-incident-42" or "pantau-<ticket id>": stable per fault
    action: str  # one of ACTIONS
    notification_id: int
    created_ns: int  # when the row was written (the change's wall time)
    incident_id: int
    key: str  # the incident's correlation key
    kind: str  # one of KINDS
    operator: str  # MCC-MNC, or a queue such as "field-team"
    family: str  # the problem family ("no_service", "degraded", "kit", ...)
    problem: str  # e.g. "NO_SERVICE"
    scope: Mapping[str, str]  # {"cell": ..., "kabupaten": ..., "province": ...} or a site
    title: str  # English, one line
    title_id: str  # Bahasa Indonesia, one line
    state: str  # "open" | "resolved"
    opened_ns: int
    updated_ns: int
    resolved_ns: int | None
    affected: int  # TPS affected now
    sites: tuple[str, ...]  # up to 50 TPS codes
    others_fine_count: int  # of those TPS, how many have another operator's kit working
    others_fine_operators: tuple[str, ...]
    silenced_by: str | None
    route: str
    summary: str
    resolved_by: str | None = None
    acked_by: str | None = None  # who acknowledged the incident, by hand
    raw: Mapping[str, Any] = field(default_factory=dict)  # the payload as written

    @property
    def object_id(self) -> str:
        """What is alarmed: the cell, else the narrowest area, else the site."""
        for name in ("cell", "site", "kabupaten", "province"):
            if self.scope.get(name):
                return str(self.scope[name])
        return self.key


def parse_payload(text: str) -> dict[str, Any]:
    """The payload's JSON object ({} when empty); NaN and Infinity are refused."""
    if not text:
        return {}

    def refuse(name: str) -> Any:
        raise PayloadError(f"payload: {name} is not JSON")

    try:
        value = json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"payload: not JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(value, dict):
        raise PayloadError(f"payload: expected a JSON object, got {type(value).__name__}")
    return value


def alert_from_row(
    *,
    dedup_key: str,
    action: str,
    notification_id: int,
    created_ns: int,
    route: str,
    payload: str,
) -> Alert:
    """An outbox row's :class:`Alert` (either payload shape)."""
    if action not in ACTIONS:
        raise PayloadError(f"action: expected one of {', '.join(ACTIONS)}, got {action!r}")
    raw = parse_payload(payload)
    common = {
        "dedup_key": dedup_key,
        "action": action,
        "notification_id": notification_id,
        "created_ns": created_ns,
        "raw": raw,
    }
    if "incident" in raw:
        return _from_incident(raw, route, common)
    return _from_ticket(raw, route, common)


def _get(data: Mapping[str, Any], name: str, kind: type, where: str, default: Any = ...) -> Any:
    if name not in data or data[name] is None:
        if default is ...:
            raise PayloadError(f"{where}{name}: required")
        return default
    value = data[name]
    if kind is int and (type(value) is not int):
        raise PayloadError(f"{where}{name}: expected an integer, got {value!r}")
    if kind is not int and not isinstance(value, kind):
        raise PayloadError(f"{where}{name}: expected {kind.__name__}, got {value!r}")
    return value


def _silence(value: Any) -> str | None:
    """The silence's id (the store writes an integer) or name, as text."""
    if value is None:
        return None
    if type(value) is int or isinstance(value, str):
        return str(value)
    raise PayloadError(f"incident.silenced_by: expected a string or an integer, got {value!r}")


def _strings(values: Any, where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise PayloadError(f"{where}: expected a list of strings")
    return tuple(values)


def _from_incident(raw: Mapping[str, Any], route: str, common: dict[str, Any]) -> Alert:
    incident = raw["incident"]
    if not isinstance(incident, dict):
        raise PayloadError("payload incident: expected an object")
    w = "incident."
    kind = _get(incident, "kind", str, w)
    if kind not in KINDS:
        raise PayloadError(f"incident.kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    scope = _get(incident, "scope", dict, w, {})
    others = _get(incident, "others_fine", dict, w, {})
    opened_ns = _get(incident, "opened_ns", int, w)
    title = _get(incident, "title", str, w)
    return Alert(
        incident_id=_get(incident, "id", int, w),
        key=_get(incident, "key", str, w, ""),
        kind=kind,
        operator=_get(incident, "operator", str, w, ""),
        family=_get(incident, "family", str, w, ""),
        problem=_get(incident, "problem", str, w, ""),
        scope={str(k): str(v) for k, v in scope.items() if v is not None},
        title=title,
        title_id=_get(incident, "title_id", str, w, title),
        state=_get(incident, "state", str, w, "open"),
        opened_ns=opened_ns,
        updated_ns=_get(incident, "updated_ns", int, w, opened_ns),
        resolved_ns=_get(incident, "resolved_ns", int, w, None),
        affected=_get(incident, "affected", int, w, 0),
        sites=_strings(incident.get("sites", []), "incident.sites"),
        others_fine_count=_get(others, "count", int, "incident.others_fine.", 0),
        others_fine_operators=_strings(
            others.get("operators", []), "incident.others_fine.operators"
        ),
        silenced_by=_silence(incident.get("silenced_by")),
        route=_get(incident, "route", str, w, route),
        summary=_get(raw, "summary", str, "payload ", title),
        resolved_by=_get(incident, "resolved_by", str, w, None),
        acked_by=_get(incident, "acked_by", str, w, None),
        **common,
    )


def _from_ticket(raw: Mapping[str, Any], route: str, common: dict[str, Any]) -> Alert:
    """A site ticket, as the ticket store writes it, read as a one-site incident.

    Lenient about missing fields (rows written before a field existed still go out);
    a field of the wrong type is still an error."""
    w = "ticket "
    site = _get(raw, "site_code", str, w, "")
    operator = _get(raw, "operator", str, w, "")
    problem = _get(raw, "problem", str, w, "")
    opened_ns = _get(raw, "opened_ns", int, w, common["created_ns"])
    state = "resolved" if _get(raw, "state", str, w, "open") == "resolved" else "open"
    scope = {"site": site} if site else {}
    if len(site) == 13 and site.isdigit():  # a TPS code starts with its province, kabupaten
        scope |= {"kabupaten": site[:4], "province": site[:2]}
    title = f"{operator} {problem} at TPS {site}"
    title_id = f"{problem} di TPS {site} ({operator})"
    return Alert(
        incident_id=_get(raw, "ticket_id", int, w, 0),
        key=f"{site}/{operator}/{problem}",
        kind="site",
        operator=operator,
        family=problem.lower(),
        problem=problem,
        scope=scope,
        title=title,
        title_id=title_id,
        state=state,
        opened_ns=opened_ns,
        updated_ns=_get(raw, "last_bad_ns", int, w, opened_ns),
        resolved_ns=_get(raw, "resolved_ns", int, w, None),
        affected=1,
        sites=(site,),
        others_fine_count=0,
        others_fine_operators=(),
        silenced_by=None,
        route=route,
        summary=title,
        resolved_by=_get(raw, "resolved_by", str, w, None),
        **common,
    )


#: How bad, in PagerDuty's words (critical / error / warning / info): an area is worst,
#: a cell or a field team's area next, one site least. TMF642 and Alertmanager map it.
SEVERITY_BY_KIND = {"area": "critical", "cell": "error", "field": "error", "site": "warning"}


def severity(alert: Alert) -> str:
    """The alert's severity; an escalation raises it to critical."""
    if alert.action == "escalate":
        return "critical"
    return SEVERITY_BY_KIND[alert.kind]


def rfc3339(ns: int) -> str:
    """ns since the epoch as RFC 3339 / ISO 8601 UTC, millisecond precision."""
    seconds, rest = divmod(ns, 1_000_000_000)
    stamp = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return f"{stamp:%Y-%m-%dT%H:%M:%S}.{rest // 1_000_000:03d}Z"
