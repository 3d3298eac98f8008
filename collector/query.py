"""The site/coverage query service: what the web and the CLI ask about sites.

:class:`SiteQueries` is the one place that reads sites for people and programs: the
site list, one site, the map rows, a site's measurements and the coverage export.
It reads the store in batches (one query for many sites: ``store.sites(codes)``,
``tickets_of_sites``, ``newest_records_of_sites``), decodes the stored protobuf
payloads (through :mod:`collector.measurements`) and returns typed values
(:class:`SiteRow`, :class:`CoverageEntry`); the HTTP handlers and the CLI only
render them. Every method blocks (the web calls it in a worker thread).

A site's status (docs/operations.md, "Site status"):

- ``down``: an open or acknowledged NO_SERVICE, NO_COVERAGE or MODEM_FAULT ticket;
- ``sms``: "data down, kit alive": the site's newest news is an authentic lifeline SMS
  (:mod:`collector.lifeline`), newer than its data and at most ``sms_alive_s`` old;
- ``silent``: nothing heard for ``silent_after_s``, or an AGENT_SILENT ticket;
- ``degraded``: any other open or acknowledged ticket;
- ``ok``: otherwise.
"""

from __future__ import annotations

import bisect
import functools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from collector import measurements, ranges
from collector.coverage_rows import (
    SITE_OPERATORS_WINDOW_S,
    CoverageEntry,
    OperatorCoverageEntry,
    coverage_entry,
    coverage_from_rollups,
)
from collector.geo import fallback_point
from collector.lifeline import ALIVE_BY_SMS, alive_by_sms
from collector.measurements import Key as RecordKey
from collector.per_operator import OperatorFigures, per_operator
from collector.present import iso
from collector.search import SiteSearch
from collector.store import Store
from collector.store.model import SiteView, Ticket
from collector.store.rollups import Rollup
from pantau.core.operators import is_network, mcc_mnc, network_of, operator_label
from pantau.core.sites import PROVINCES

STATUSES = ("ok", "degraded", "down", "silent", ALIVE_BY_SMS)
DOWN_PROBLEMS = frozenset({"NO_SERVICE", "NO_COVERAGE", "MODEM_FAULT"})
SILENT_PROBLEM = "AGENT_SILENT"
OPEN_STATES = ("open", "acknowledged")
MAP_COLUMNS = (
    "code", "lat", "lon", "status", "operator", "province", "problems", "networks", "since",
    "operators",
)  # fmt: skip

#: Readings of each kind (signal, ping) a site's coverage figures use at most: the
#: newest in the window (a day at one a minute), so that a large export stays quick.
COVERAGE_READINGS = 1440
#: Windows up to this long are read from the records, longer ones from the rollups.
RAW_WINDOW_S = 3600

_S = 1_000_000_000


def site_operator(site: SiteView) -> str | None:
    s = site.signal
    return None if s is None else mcc_mnc(s.mcc, s.mnc)


def status_of(
    site: SiteView,
    problems: Iterable[str],
    *,
    now_ns: int,
    silent_after_ns: int,
    last_sms_ns: int | None = None,
    sms_alive_ns: int = 0,
) -> str:
    """The site's status (the module's docstring); ``last_sms_ns``: its newest authentic
    lifeline SMS (None: none)."""
    problems = set(problems)
    if problems & DOWN_PROBLEMS:
        return "down"
    if (
        last_sms_ns is not None
        and alive_by_sms(last_sms_ns, site.last_seen_ns)
        and now_ns - last_sms_ns <= sms_alive_ns
    ):
        return ALIVE_BY_SMS  # even with AGENT_SILENT open: the SMS says the kit is alive
    if SILENT_PROBLEM in problems:
        return "silent"
    if site.last_seen_ns is None or now_ns - site.last_seen_ns > silent_after_ns:
        return "silent"
    if problems:
        return "degraded"
    return "ok"


def _on_globe(lat: float, lon: float) -> bool:
    return ranges.LATITUDE.holds(lat) and ranges.LONGITUDE.holds(lon)


def location(site: SiteView) -> tuple[float | None, float | None, str | None]:
    """(lat, lon, located): the kit's GNSS fix ("gnss"), else a point in its province
    (also when the stored fix is off the globe: stored before the ingest judged it)."""
    s = site.signal
    if s is not None and s.lat is not None and s.lon is not None and _on_globe(s.lat, s.lon):
        return s.lat, s.lon, "gnss"
    point = fallback_point(site.site_code)
    if point is None:
        return None, None, None
    return point[0], point[1], "province"


def signal_fields(site: SiteView, stamp: Callable[[int | None], str | None]) -> dict[str, Any]:
    """The live signal columns every site listing shows (the CLI's and the API's),
    ``signal_time`` written by ``stamp``."""
    s = site.signal
    return {
        "rat": s.rat if s else None,
        "reg_state": s.reg_state if s else None,
        "cell_id": s.cell_id if s else None,
        "rsrp_dbm": s.rsrp_dbm if s else None,
        "rsrq_db": s.rsrq_db if s else None,
        "sinr_db": s.sinr_db if s else None,
        "rssi_dbm": s.rssi_dbm if s else None,
        "signal_time": stamp(s.event_ns) if s else None,
    }


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
    #: Every network the site is known on: each it has been seen on (kept at ingest),
    #: its latest reading's and its tickets' (what an account scoped to a network sees).
    networks: tuple[str, ...] = ()
    #: Since when the site has been in trouble (event time, ns): its oldest open
    #: ticket's first bad reading, or when it was last heard if it fell silent
    #: without one; None while it is ok.
    since_ns: int | None = None
    #: Of a site known on more than one network: each network's own status (its own
    #: tickets and the kit's, :func:`network_statuses`); empty otherwise.
    by_network: tuple[tuple[str, str], ...] = ()

    @property
    def code(self) -> str:
        return self.site.site_code

    @property
    def province(self) -> str:
        return self.site.site_code[:2]

    @property
    def operator_name(self) -> str | None:
        """The network's name as the modem reported it, else as Pantau knows it."""
        s = self.site.signal
        return (s.operator_name if s and s.operator_name else None) or operator_label(self.operator)

    def map_row(self) -> list[Any]:
        return [
            self.code,
            self.lat,
            self.lon,
            self.status,
            self.operator,
            self.province,
            list(self.problems),
            list(self.networks),
            iso(self.since_ns),
            dict(self.by_network),
        ]


def site_networks(
    site: SiteView, seen: Iterable[str], tickets: Iterable[Ticket]
) -> tuple[str, ...]:
    """The networks a site is known on: those it has been ``seen`` on, its latest
    reading's, and those its ``tickets`` are about (not a queue's), sorted. Never only
    the latest reading's: while the modem searches, that names none."""
    found = set(seen)
    found.update(t.operator for t in tickets if is_network(t.operator))
    s = site.signal
    current = None if s is None else network_of(s.mcc, s.mnc)  # a network, not a kit's garbage
    if current is not None:
        found.add(current)
    return tuple(sorted(found))


def site_row(
    site: SiteView,
    open_tickets: Sequence[Ticket],
    *,
    now_ns: int,
    silent_after_ns: int,
    seen_on: Iterable[str] = (),
    last_sms_ns: int | None = None,
    sms_alive_ns: int = 0,
) -> SiteRow:
    problems = tuple(sorted({t.problem for t in open_tickets}))
    lat, lon, located = location(site)
    judge = functools.partial(
        status_of,
        site,
        now_ns=now_ns,
        silent_after_ns=silent_after_ns,
        last_sms_ns=last_sms_ns,
        sms_alive_ns=sms_alive_ns,
    )
    status = judge(problems)
    networks = site_networks(site, seen_on, open_tickets)
    return SiteRow(
        site=site,
        networks=networks,
        by_network=network_statuses(networks, open_tickets, judge),
        operator=site_operator(site),
        status=status,
        problems=problems,
        lat=lat,
        lon=lon,
        located=located,
        since_ns=trouble_since(status, open_tickets, site.last_seen_ns),
    )


def network_statuses(
    networks: Sequence[str], open_tickets: Sequence[Ticket], judge: Callable[[set[str]], str]
) -> tuple[tuple[str, str], ...]:
    """Each of ``networks``' own status (when there are several): ``judge`` of the
    problems of its tickets and of the kit's (those not about a network: silence, the
    lifeline and a kit's fault are every network's)."""
    if len(networks) < 2:
        return ()
    kit = {t.problem for t in open_tickets if not is_network(t.operator)}
    return tuple(
        (n, judge(kit | {t.problem for t in open_tickets if t.operator == n})) for n in networks
    )


def trouble_since(
    status: str, open_tickets: Sequence[Ticket], last_seen_ns: int | None
) -> int | None:
    """Since when a site in ``status`` has been in trouble (None while ok)."""
    if status == "ok":
        return None
    if open_tickets:
        return min(t.first_bad_ns for t in open_tickets)
    return last_seen_ns


@dataclass(frozen=True, slots=True)
class SiteFilter:
    """Which rows a listing keeps: every condition given must hold (``operator``: one
    of the networks the site is known on)."""

    operator: str | None = None
    province: str | None = None
    status: str | None = None
    problem: str | None = None
    #: What a person typed (:mod:`collector.search`): a code prefix, names.
    search: SiteSearch | None = None

    def keeps(self, row: SiteRow) -> bool:
        return (
            (self.search is None or self.search.keeps(row.code, row.networks))
            and (self.operator is None or self.operator in row.networks)
            and (self.province is None or row.province == self.province)
            and (self.status is None or row.status == self.status)
            and (self.problem is None or self.problem in row.problems)
        )


class SiteQueries:
    """Sites, one site, the map rows, measurements and coverage, over one store."""

    def __init__(
        self,
        store: Store,
        *,
        silent_after_s: float = 300.0,
        sms_alive_s: float = 3900.0,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.store = store
        self.silent_after_s = silent_after_s
        #: How long a lifeline SMS shows its site alive (the rules' ``[agent_silent]``).
        self.sms_alive_s = sms_alive_s
        self.clock = clock

    def views(self, codes: Sequence[str] | None = None) -> list[SiteView]:
        """The sites' stored state (all, or ``codes``), in code order."""
        return self.store.sites(codes)

    def rows(self, codes: Sequence[str] | None = None) -> dict[str, SiteRow]:
        """The sites' rows (all, or ``codes``) with their open tickets, networks and
        newest lifeline SMS: four queries."""
        sites = self.store.sites(codes)
        tickets = self.store.tickets_of_sites(codes, OPEN_STATES)
        networks = self.store.networks_of_sites(codes)
        texts = self.store.sms_heard(None if codes is None else list(codes))
        by_site: dict[str, list[Ticket]] = {}
        for ticket in tickets:
            by_site.setdefault(ticket.site_code, []).append(ticket)
        now = self.clock()
        silent_ns = int(self.silent_after_s * _S)
        return {
            s.site_code: site_row(
                s,
                by_site.get(s.site_code, []),
                now_ns=now,
                silent_after_ns=silent_ns,
                seen_on=networks.get(s.site_code, ()),
                last_sms_ns=texts[s.site_code].last_sms_ns if s.site_code in texts else None,
                sms_alive_ns=int(self.sms_alive_s * _S),
            )
            for s in sites
        }

    def row(self, code: str) -> SiteRow | None:
        return self.rows([code]).get(code)

    def listing(
        self, where: SiteFilter, *, sees: Callable[[SiteRow], bool] = lambda _: True
    ) -> list[SiteRow]:
        """The rows ``sees`` lets through that ``where`` keeps, in code order."""
        rows = [r for r in self.rows().values() if sees(r) and where.keeps(r)]
        rows.sort(key=lambda r: r.code)
        return rows

    def province_counts(self, rows: Iterable[SiteRow]) -> dict[str, dict[str, int]]:
        """Every province with its ``rows`` counted by status."""
        counts = {code: dict.fromkeys(STATUSES, 0) for code in PROVINCES}
        for row in rows:
            if row.province in counts:
                counts[row.province][row.status] += 1
        return counts

    def site_tickets(self, code: str, *, operator: str | None, limit: int = 100) -> list[Ticket]:
        return self.store.list_tickets(site_code=code, operator=operator, limit=limit)

    def active_tickets(self, limit: int = 200) -> list[Ticket]:
        """Open and acknowledged tickets, newest first."""
        return self.store.list_tickets(states=OPEN_STATES, limit=limit)

    def measurements(self, code: str, kind: str, *, hours: int, limit: int) -> list[Any]:
        """A site's newest ``limit`` items of ``kind`` in the last ``hours``, oldest first."""
        since = self.clock() - hours * 3600 * _S
        return measurements.items(kind, self.store.site_window(code, since), limit=limit)

    def measurements_page(
        self,
        code: str,
        kind: str,
        *,
        hours: int,
        limit: int,
        before: RecordKey | None = None,
    ) -> tuple[list[Any], RecordKey | None]:
        """A site's newest ``limit`` items of ``kind`` in the last ``hours`` that come
        before the key ``before`` (all with None), oldest first, and the key to ask the
        older ones from (None: there are none)."""
        since = self.clock() - hours * 3600 * _S
        keyed = measurements.keyed_items(kind, self.store.site_window(code, since))
        if before is not None:
            keyed = keyed[: bisect.bisect_left([key for key, _ in keyed], before)]
        page = keyed[-limit:]
        older = page[0][0] if len(keyed) > limit else None
        return [item for _, item in page], older

    def rollups(self, code: str, *, hours: int) -> tuple[list[Rollup], bool]:
        """A site's 5-minute rollups of the last ``hours`` (from the bucket holding the
        window's start), in bucket order: what its charts draw; and whether they cover
        the whole window (False: the rollups began after it did, e.g. on an upgrade)."""
        since = self.clock() - hours * 3600 * _S
        begun = self.store.rollups_since()
        found = self.store.rollups_of_sites([code], since)[code]
        return found, begun is not None and begun <= since

    def coverage(self, rows: Sequence[SiteRow], *, hours: int) -> list[CoverageEntry]:
        """The coverage figures of ``rows`` over the last ``hours``: one batched read,
        of the sites' rollups for a window over :data:`RAW_WINDOW_S` that they cover
        (its 5-minute buckets: up to 5 minutes more), else of their records."""
        since = self.clock() - hours * 3600 * _S
        begun = self.store.rollups_since()
        if hours * 3600 > RAW_WINDOW_S and begun is not None and begun <= since:
            found = self.store.rollups_of_sites([r.code for r in rows], since)
            return [coverage_from_rollups(row, found.get(row.code, [])) for row in rows]
        records = self.store.newest_records_of_sites(
            [r.code for r in rows], since, ("signal", "ping"), COVERAGE_READINGS
        )
        return [coverage_entry(row, records.get(row.code, [])) for row in rows]

    def _per_operator(self, codes: Sequence[str], since: int) -> dict[str, list[OperatorFigures]]:
        kinds = ("signal", "ping", "throughput")
        records = self.store.newest_records_of_sites(codes, since, kinds, COVERAGE_READINGS)
        return {code: per_operator(records.get(code, [])) for code in codes}

    def site_operators(self, code: str) -> list[OperatorFigures]:
        """The site's operators side by side over the last hour (site page)."""
        since = self.clock() - SITE_OPERATORS_WINDOW_S * _S
        return self._per_operator([code], since)[code]

    def coverage_by_operator(
        self, rows: Sequence[SiteRow], *, hours: int, operator: str | None = None
    ) -> list[OperatorCoverageEntry]:
        """One entry per (site, operator) measured over the last ``hours`` (only
        ``operator``'s when given): one batched read."""
        since = self.clock() - hours * 3600 * _S
        found = self._per_operator([r.code for r in rows], since)
        return [
            OperatorCoverageEntry.of(row, f)
            for row in rows
            for f in found[row.code]
            if operator is None or f.operator == operator
        ]
