"""``/api/v1/map`` served from the live hub's maintained rows: one body per version and
scope, fresh after every change the hub is told of, the same rows the query service
computes, gzip when accepted."""

from __future__ import annotations

import gzip
import json
import time
from typing import Any

import pytest
from aiohttp.test_utils import make_mocked_request
from conftest import WebSite

from collector.query import SiteFilter
from collector.web.mapcache import accepts_gzip
from collector.web.models import MapState
from collector.web.seed import signal_record

_S = 10**9


def rows_of(site: WebSite, operator: str | None) -> list[list[Any]]:
    """What the query service computes from the store for an account on ``operator``."""
    rows = site.web.queries.listing(
        SiteFilter(), sees=lambda r: operator is None or operator in r.networks
    )
    return [r.map_row() for r in rows]


@pytest.mark.parametrize("operator", [None, "510-01"])
def test_the_map_is_the_query_services_rows_for_the_accounts_scope(
    web_site: WebSite, operator: str | None
) -> None:
    api = web_site.user("operator" if operator else "viewer", operator)
    response = api.get("/api/v1/map")
    assert response.status_code == 200
    state = MapState.model_validate_json(response.content)  # the documented shape
    assert state.rows == rows_of(web_site, operator)
    assert state.version == web_site.web.hub.version


def test_viewers_share_one_body_until_something_changes(web_site: WebSite) -> None:
    api = web_site.user("viewer")
    cache = web_site.web.map_cache
    first = api.get("/api/v1/map").content
    builds = cache.builds
    for _ in range(5):
        assert api.get("/api/v1/map").content == first
    assert cache.builds == builds  # served from the cache, not rebuilt

    code = web_site.seeded.codes()[0]
    reading = signal_record(1, time.time_ns(), mcc="510", mnc="11", name="XL", rsrp=-71,
                            cell_id=4242)  # fmt: skip
    web_site.ingest(code, [reading])
    after = json.loads(api.get("/api/v1/map").content)  # at once: no waiting for a tick
    (row,) = [r for r in after["rows"] if r[0] == code]
    assert "510-11" in row[7]
    assert after["version"] > json.loads(first)["version"]
    assert cache.builds == builds + 1


def test_gzip_when_accepted_plain_otherwise(web_site: WebSite) -> None:
    api = web_site.user("viewer")
    zipped = api.get("/api/v1/map", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    raw = zipped.raw.read(decode_content=False)
    plain = api.get("/api/v1/map", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert json.loads(gzip.decompress(raw)) == plain.json()


@pytest.mark.parametrize(
    ("header", "gzip_ok"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, GZIP;q=0.5", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip;q=0.0", False),
        ("deflate", False),
        ("gzip;q=nonsense", True),  # a q it cannot read: gzip was named
        ("", False),
    ],
)
def test_accepts_gzip(header: str, gzip_ok: bool) -> None:
    request = make_mocked_request("GET", "/", headers={"Accept-Encoding": header})
    assert accepts_gzip(request) is gzip_ok
