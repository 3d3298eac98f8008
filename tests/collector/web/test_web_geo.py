"""Sites without a GNSS fix are placed inside their province's outline."""

from __future__ import annotations

import time

from conftest import WebSite

from collector import geo
from collector.web.seed import signal_record, site_code
from pantau.core.sites import PROVINCES


def test_every_province_has_an_outline_under_its_official_code() -> None:
    provinces = geo.provinces()
    assert sorted(provinces) == sorted(PROVINCES)
    assert provinces["93"].name == "Papua Selatan" and provinces["96"].name == "Papua Barat Daya"
    assert provinces["94"].name == "Papua Tengah" and provinces["95"].name == "Papua Pegunungan"


def test_fallback_points_are_inside_their_province_spread_and_stable() -> None:
    provinces = geo.provinces()
    for code, province in provinces.items():
        points = set()
        for i in range(25):
            tps = site_code(i, code)
            point = geo.fallback_point(tps)
            assert point is not None
            lat, lon = point
            assert geo.contains(province, lat, lon), (tps, point)
            # ... and in no other province (outlines do not overlap).
            others = [c for c, p in provinces.items() if c != code and geo.contains(p, lat, lon)]
            assert others == [], (tps, others)
            points.add(point)
            assert geo.fallback_point.__wrapped__(tps) == point  # deterministic, not cached luck
        assert len(points) > 1, code  # spread, not stacked
    assert geo.fallback_point("0000000000001") is None


def test_point_in_polygon_with_a_hole() -> None:
    square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
    hole = [(4.0, 4.0), (6.0, 4.0), (6.0, 6.0), (4.0, 6.0)]
    assert geo.in_polygon(1, 1, [square, hole])
    assert not geo.in_polygon(5, 5, [square, hole])
    assert not geo.in_polygon(11, 5, [square])


def test_a_gnss_fix_places_the_site_there(web_site: WebSite) -> None:
    code = "9401011001001"  # Papua Tengah
    now = time.time_ns()
    record = signal_record(
        1, now, mcc="510", mnc="10", name="T", rsrp=-100, cell_id=3, lat=-4.1, lon=137.5
    )
    web_site.ingest(code, [record])
    api = web_site.user("viewer")
    summary = api.get(f"/api/v1/sites/{code}").json()
    assert (summary["lat"], summary["lon"], summary["located"]) == (-4.1, 137.5, "gnss")
    other = web_site.seeded.codes()[1]
    placed = api.get(f"/api/v1/sites/{other}").json()
    assert placed["located"] in ("gnss", "province")
    province = geo.provinces()[other[:2]]
    assert geo.contains(province, placed["lat"], placed["lon"])
