"""The coverage export's rows: per site, and per site and operator.

What a coverage row holds and how it is computed, from a site's newest records or
from its rollups (:mod:`collector.store.rollups`), is one job apart from the query
service that reads them (:mod:`collector.query`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from collector import measurements, ranges
from collector.clocks import FUTURE
from collector.per_operator import OperatorFigures
from collector.store import rollups
from collector.store.rollups import Rollup
from pantau.core.coverage import CoverageClass
from pantau.core.sites import PROVINCES

if TYPE_CHECKING:
    from collector.query import SiteRow

Grade = Literal["good", "fair", "poor", "none", "unknown"]


@dataclass(frozen=True, slots=True)
class CoverageEntry:
    """One site of the coverage export (a GeoJSON feature's properties, a CSV row)."""

    #: The API's schema of it lists every key (pydantic reads this of a dataclass).
    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    site_code: str
    province: str
    province_name: str | None
    operator: str | None
    operator_name: str | None
    rat: str | None
    lat: float | None
    lon: float | None
    located: str | None
    rsrp_dbm: float | None
    rsrq_db: float | None
    sinr_db: float | None
    ping_median_ms: float | None
    loss_ratio: float | None
    samples: int
    grade: Grade


COVERAGE_COLUMNS = [f.name for f in fields(CoverageEntry)]


@dataclass(frozen=True, slots=True)
class OperatorCoverageEntry:
    """One (site, operator) of the per-operator coverage export: does this operator
    work at this TPS (``coverage``: :func:`collector.per_operator.coverage_class`)."""

    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "forbid"}

    site_code: str
    province: str
    operator: str
    operator_name: str | None
    lat: float | None
    lon: float | None
    located: str | None
    rsrp_dbm: float | None  # median over the window
    sinr_db: float | None  # median over the window
    ping_median_ms: float | None  # the latest round's
    loss_ratio: float | None  # the latest round's
    readings: int
    registered: int
    coverage: CoverageClass

    @classmethod
    def of(cls, row: SiteRow, f: OperatorFigures) -> OperatorCoverageEntry:
        return cls(
            site_code=row.code,
            province=row.province,
            operator=f.operator,
            operator_name=f.operator_name,
            lat=row.lat,
            lon=row.lon,
            located=row.located,
            rsrp_dbm=f.rsrp_median_dbm,
            sinr_db=f.sinr_median_db,
            ping_median_ms=f.ping_median_ms,
            loss_ratio=f.loss_ratio,
            readings=f.readings,
            registered=f.registered,
            coverage=f.coverage,
        )


OPERATOR_COVERAGE_COLUMNS = [f.name for f in fields(OperatorCoverageEntry)]
#: The site page compares its operators over this last stretch.
SITE_OPERATORS_WINDOW_S = 3600


def grade(rsrp_median: float | None, samples: int) -> Grade:
    """good (RSRP >= -90 dBm), fair (>= -105), poor (below), none (readings but no
    RSRP: no LTE service), unknown (no readings in the window)."""
    if samples == 0:
        return "unknown"
    if rsrp_median is None:
        return "none"
    if rsrp_median >= -90:
        return "good"
    if rsrp_median >= -105:
        return "fair"
    return "poor"


def _add(values: list[float], message: Any, name: str) -> None:
    found = ranges.value(message, name)  # None: absent or out of its range
    if found is not None:
        values.append(found)


def coverage_entry(row: SiteRow, records: Sequence[Any]) -> CoverageEntry:
    """A site's coverage figures from its stored signal and ping records; figures
    outside their valid range (:mod:`collector.ranges`) and records from the future
    are left out."""
    rsrp: list[float] = []
    rsrq: list[float] = []
    sinr: list[float] = []
    ping: list[float] = []
    loss: list[float] = []
    samples = 0
    for stored in records:
        if stored.time_quality == FUTURE:  # not in the window, whatever the kit's clock says
            continue
        record = measurements.decode(stored)
        if record is None:
            continue
        if stored.kind == "signal" and record.HasField("signal"):
            s = record.signal
            samples += 1
            _add(rsrp, s, "rsrp_dbm")
            _add(rsrq, s, "rsrq_db")
            _add(sinr, s, "sinr_db")
        elif stored.kind == "ping" and record.HasField("ping"):
            p = record.ping
            _add(ping, p, "median_ms")
            _add(loss, p, "loss_ratio")
    return _entry(
        row,
        rsrp=measurements.median(rsrp),
        rsrq=measurements.median(rsrq),
        sinr=measurements.median(sinr),
        ping=measurements.median(ping),
        loss=sum(loss) / len(loss) if loss else None,
        samples=samples,
    )


def coverage_from_rollups(row: SiteRow, rollup_rows: Sequence[Rollup]) -> CoverageEntry:
    """A site's coverage figures from its rollups (every network's): the medians of
    the values the buckets keep (see :mod:`collector.store.rollups` for the
    tolerance), the loss's mean and the count of signal readings, exact."""
    figures = rollups.merge(rollup_rows)
    return _entry(
        row,
        rsrp=figures["rsrp_dbm"].median if "rsrp_dbm" in figures else None,
        rsrq=figures["rsrq_db"].median if "rsrq_db" in figures else None,
        sinr=figures["sinr_db"].median if "sinr_db" in figures else None,
        ping=figures["rtt_ms"].median if "rtt_ms" in figures else None,
        loss=figures["loss_ratio"].mean if "loss_ratio" in figures else None,
        samples=rollups.records_of(rollup_rows, "signal"),
    )


def _entry(
    row: SiteRow,
    *,
    rsrp: float | None,
    rsrq: float | None,
    sinr: float | None,
    ping: float | None,
    loss: float | None,
    samples: int,
) -> CoverageEntry:
    return CoverageEntry(
        site_code=row.code,
        province=row.province,
        province_name=PROVINCES.get(row.province),
        operator=row.operator,
        operator_name=row.operator_name,
        rat=row.site.signal.rat if row.site.signal else None,
        lat=row.lat,
        lon=row.lon,
        located=row.located,
        rsrp_dbm=rsrp,
        rsrq_db=rsrq,
        sinr_db=sinr,
        ping_median_ms=ping,
        loss_ratio=loss,
        samples=samples,
        grade=grade(rsrp, samples),
    )
