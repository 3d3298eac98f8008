"""Sites and tickets as the REST API shows them (pure functions, no I/O).

A site's status (docs/operations.md, "Site status"):

- ``down``: an open or acknowledged NO_SERVICE, NO_COVERAGE or MODEM_FAULT ticket;
- ``silent``: nothing heard for ``silent_after_s``, or an AGENT_SILENT ticket;
- ``degraded``: any other open or acknowledged ticket;
- ``ok``: otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from collector.store.model import SiteView, Ticket, TicketEvent
from collector.web.accounts import operator_label
from collector.web.geo import fallback_point
from pantau.core.sites import PROVINCES

STATUSES = ("ok", "degraded", "down", "silent")
DOWN_PROBLEMS = frozenset({"NO_SERVICE", "NO_COVERAGE", "MODEM_FAULT"})
SILENT_PROBLEM = "AGENT_SILENT"
OPEN_STATES = ("open", "acknowledged")
MAP_COLUMNS = ("code", "lat", "lon", "status", "operator", "province", "problems")


def iso(ns: int | None) -> str | None:
    """ns since the epoch -> ISO 8601 UTC with milliseconds, e.g. 2026-02-14T07:30:00.000Z."""
    if ns is None:
        return None
    stamp = dt.datetime.fromtimestamp(ns // 1_000_000 / 1000, tz=dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def mcc_mnc(mcc: str | None, mnc: str | None) -> str | None:
    """The site's network as ``"510-10"`` (a three-digit MNC with a leading zero shortened)."""
    if not mcc or not mnc:
        return None
    mnc = mnc.strip()
    if len(mnc) == 3 and mnc.startswith("0"):
        mnc = mnc[1:]
    return f"{mcc.strip()}-{mnc}"


def site_operator(site: SiteView) -> str | None:
    s = site.signal
    return None if s is None else mcc_mnc(s.mcc, s.mnc)


def status_of(site: SiteView, problems: Iterable[str], *, now_ns: int, silent_after_ns: int) -> str:
    problems = set(problems)
    if problems & DOWN_PROBLEMS:
        return "down"
    if SILENT_PROBLEM in problems:
        return "silent"
    if site.last_seen_ns is None or now_ns - site.last_seen_ns > silent_after_ns:
        return "silent"
    if problems:
        return "degraded"
    return "ok"


def location(site: SiteView) -> tuple[float | None, float | None, str | None]:
    """(lat, lon, located): the kit's GNSS fix ("gnss"), else a point in its province."""
    s = site.signal
    if s is not None and s.lat is not None and s.lon is not None:
        return s.lat, s.lon, "gnss"
    point = fallback_point(site.site_code)
    if point is None:
        return None, None, None
    return point[0], point[1], "province"


@dataclass(frozen=True, slots=True)
class SiteRow:
    """One site as the map and the lists see it, computed once and shared."""

    site: SiteView
    operator: str | None
    status: str
    problems: tuple[str, ...]
    lat: float | None
    lon: float | None
    located: str | None

    @property
    def code(self) -> str:
        return self.site.site_code

    @property
    def province(self) -> str:
        return self.site.site_code[:2]

    def map_row(self) -> list[Any]:
        return [
            self.code,
            self.lat,
            self.lon,
            self.status,
            self.operator,
            self.province,
            list(self.problems),
        ]


def site_row(
    site: SiteView, open_tickets: Sequence[Ticket], *, now_ns: int, silent_after_ns: int
) -> SiteRow:
    problems = tuple(sorted({t.problem for t in open_tickets}))
    lat, lon, located = location(site)
    return SiteRow(
        site=site,
        operator=site_operator(site),
        status=status_of(site, problems, now_ns=now_ns, silent_after_ns=silent_after_ns),
        problems=problems,
        lat=lat,
        lon=lon,
        located=located,
    )


def site_summary(row: SiteRow) -> dict[str, Any]:
    site, s, p = row.site, row.site.signal, row.site.ping
    return {
        "code": row.code,
        "province": row.province,
        "province_name": PROVINCES.get(row.province),
        "operator": row.operator,
        "operator_name": (s.operator_name if s and s.operator_name else None)
        or operator_label(row.operator),
        "status": row.status,
        "problems": list(row.problems),
        "lat": row.lat,
        "lon": row.lon,
        "located": row.located,
        "rat": s.rat if s else None,
        "reg_state": s.reg_state if s else None,
        "cell_id": s.cell_id if s else None,
        "rsrp_dbm": s.rsrp_dbm if s else None,
        "rsrq_db": s.rsrq_db if s else None,
        "sinr_db": s.sinr_db if s else None,
        "rssi_dbm": s.rssi_dbm if s else None,
        "signal_time": iso(s.event_ns) if s else None,
        "ping_median_ms": p.median_ms if p else None,
        "loss_ratio": p.loss_ratio if p else None,
        "ping_time": iso(p.event_ns) if p else None,
        "last_seen": iso(site.last_seen_ns),
        "records": site.records,
    }


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "site_code": ticket.site_code,
        "province": ticket.site_code[:2],
        "operator": ticket.operator,
        "operator_name": operator_label(ticket.operator),
        "problem": ticket.problem,
        "state": ticket.state,
        "route": ticket.route,
        "first_bad": iso(ticket.first_bad_ns),
        "last_bad": iso(ticket.last_bad_ns),
        "opened": iso(ticket.opened_ns),
        "updated": iso(ticket.updated_ns),
        "resolved": iso(ticket.resolved_ns),
        "resolved_by": ticket.resolved_by,
        "historical": ticket.historical,
        "escalated": iso(ticket.escalated_ns),
        "reopen_count": ticket.reopen_count,
        "evidence": ticket.evidence,
    }


def ticket_event_json(event: TicketEvent) -> dict[str, Any]:
    return {
        "time": iso(event.at_ns),
        "action": event.action,
        "actor": event.actor,
        "note": event.note,
    }
