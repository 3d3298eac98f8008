"""The uptime report's computation (collector.uptime), table by table: down time is
the union of a unit's service-affecting intervals clipped to the window, uptime the
share of unit-time up, time to recover the median and nearest-rank p90 of the
durations of tickets resolved inside the window."""

from __future__ import annotations

import pytest

from collector.uptime import Span, UptimeRow, nearest_rank, union_length, uptime_report

_S = 1_000_000_000
H = 3600
A, B = "3171011001001", "5171011001002"  # DKI Jakarta, Bali
TSEL, XL = "510-10", "510-11"


def span(site: str, op: str, start_s: int, end_s: int | None, problem: str = "NO_SERVICE") -> Span:
    return Span(site, op, problem, start_s * _S, None if end_s is None else end_s * _S)


@pytest.mark.parametrize(
    ("intervals", "length"),
    [
        ([], 0),
        ([(0, 10)], 10),
        ([(0, 10), (5, 15)], 15),  # overlapping
        ([(0, 10), (10, 20)], 20),  # touching
        ([(0, 10), (20, 30)], 20),  # apart
        ([(20, 30), (0, 40)], 40),  # one inside another, out of order
        ([(5, 5), (7, 3)], 0),  # empty and backwards
    ],
)
def test_union_length(intervals: list[tuple[int, int]], length: int) -> None:
    assert union_length(intervals) == length


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [([5.0], 90, 5.0), ([1.0, 2.0], 90, 2.0), ([float(i) for i in range(1, 11)], 90, 9.0),
     ([float(i) for i in range(1, 21)], 90, 18.0), ([3.0, 1.0, 2.0], 50, 2.0)],
)  # fmt: skip
def test_nearest_rank(values: list[float], percent: float, expected: float) -> None:
    assert nearest_rank(values, percent) == expected


WINDOW = {"since_ns": 0, "until_ns": 10 * H * _S}

CASES = [
    pytest.param(
        [], [(A, TSEL)], "site",
        [UptimeRow(A, "DKI Jakarta", 1, 0.0, 1.0, 0, 0, 0, None, None)],
        id="no tickets: up all the time",
    ),
    pytest.param(
        [span(A, TSEL, 1 * H, 2 * H)], [(A, TSEL)], "site",
        [UptimeRow(A, "DKI Jakarta", 1, 3600.0, 0.9, 1, 1, 0, 3600.0, 3600.0)],
        id="one hour down in ten",
    ),
    pytest.param(
        [span(A, TSEL, 1 * H, 3 * H), span(A, TSEL, 2 * H, 4 * H, "NO_COVERAGE")],
        [(A, TSEL)], "site",
        [UptimeRow(A, "DKI Jakarta", 1, 3 * 3600.0, 0.7, 2, 2, 0, 7200.0, 7200.0)],
        id="overlapping problems count once",
    ),
    pytest.param(
        [span(A, TSEL, 1 * H, 2 * H, "WEAK_SIGNAL")], [(A, TSEL)], "site",
        [UptimeRow(A, "DKI Jakarta", 1, 0.0, 1.0, 0, 0, 0, None, None)],
        id="a degradation is not down time",
    ),
    pytest.param(
        [span(A, TSEL, -2 * H, 1 * H), span(A, TSEL, 9 * H, None)], [(A, TSEL)], "site",
        [UptimeRow(A, "DKI Jakarta", 1, 2 * 3600.0, 0.8, 2, 1, 1, 3 * 3600.0, 3 * 3600.0)],
        id="clipped at both ends; the recovery counts its whole duration; one still open",
    ),
    pytest.param(
        [span(A, TSEL, 8 * H, 12 * H)], [(A, TSEL)], "site",
        [UptimeRow(A, "DKI Jakarta", 1, 2 * 3600.0, 0.8, 1, 0, 1, None, None)],
        id="resolved after the window: open at its end",
    ),
    pytest.param(
        [span(A, TSEL, -5 * H, -1 * H), span(A, TSEL, 11 * H, 12 * H)], [(A, TSEL)], "site",
        [UptimeRow(A, "DKI Jakarta", 1, 0.0, 1.0, 0, 0, 0, None, None)],
        id="outside the window: ignored",
    ),
    pytest.param(
        [span(A, TSEL, 0, 5 * H)], [(A, TSEL), (A, XL)], "site",
        [UptimeRow(A, "DKI Jakarta", 2, 5 * 3600.0, 0.75, 1, 1, 0, 18000.0, 18000.0)],
        id="a site on two networks, one down half the time",
    ),
    pytest.param(
        [span(A, TSEL, 0, 1 * H), span(B, TSEL, 0, 3 * H), span(B, XL, 0, 2 * H)],
        [(A, TSEL), (B, TSEL), (B, XL)], "operator",
        [
            UptimeRow(TSEL, "Telkomsel", 2, 4 * 3600.0, 0.8, 2, 2, 0, 7200.0, 10800.0),
            UptimeRow(XL, "XL Axiata", 1, 2 * 3600.0, 0.8, 1, 1, 0, 7200.0, 7200.0),
        ],
        id="by operator",
    ),
    pytest.param(
        [span(A, TSEL, 0, 1 * H), span(B, TSEL, 0, 3 * H), span(B, "field-team", 0, 1 * H, "MODEM_FAULT")],
        [(A, TSEL), (B, TSEL)], "province",
        [
            UptimeRow("31", "DKI Jakarta", 1, 3600.0, 0.9, 1, 1, 0, 3600.0, 3600.0),
            UptimeRow("51", "Bali", 2, 4 * 3600.0, 0.8, 2, 2, 0, 7200.0, 10800.0),
        ],
        id="by province; a queue's ticket adds its unit",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("spans", "units", "by", "expected"), CASES)
def test_uptime_report(
    spans: list[Span], units: list[tuple[str, str]], by: str, expected: list[UptimeRow]
) -> None:
    assert uptime_report(spans, units, by=by, **WINDOW) == expected  # type: ignore[arg-type]


def test_time_to_recover_median_and_p90_over_many_tickets() -> None:
    spans = [span(A, TSEL, 0, minutes * 60) for minutes in range(1, 11)]  # 1..10 min
    (row,) = uptime_report(spans, [], by="operator", **WINDOW)
    assert (row.ttr_median_s, row.ttr_p90_s) == (330.0, 540.0)
    assert row.down_s == 600.0 and row.recovered == 10


def test_an_empty_window_is_refused() -> None:
    with pytest.raises(ValueError, match="must end after it starts"):
        uptime_report([], [], since_ns=5, until_ns=5, by="site")
