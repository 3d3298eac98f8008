"""Cursor paging of every list, and gzip for large answers (both store backends).

2,500 tickets listed through the cursor come out once each, newest first, while
tickets are opened between pages; sites and a site's measurements page the same way;
a cursor that is not one the API gave out is a 400 ``bad_cursor``. Large answers are
gzip-compressed for clients that accept it, and the live stream never is."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import TELKOMSEL, WebSite

from collector.store.sql import Tx
from collector.web.compression import PRECOMPRESSED, gzipped
from collector.web.context import static_dir

_S = 10**9
MANY = 2500


def add_tickets(site: WebSite, n: int, *, start: int = 0) -> None:
    """``n`` resolved tickets in one transaction (a ticket a call would take minutes)."""
    codes = site.seeded.codes()

    def body(tx: Tx) -> None:
        for i in range(start, start + n):
            tx.run(
                "INSERT INTO tickets (site_code, operator, problem, state, route, first_bad_ns, "
                "last_bad_ns, opened_ns, updated_ns, resolved_ns, resolved_by) "
                "VALUES (?, ?, ?, 'resolved', 'noc', ?, ?, ?, ?, ?, 'auto')",
                (codes[i % len(codes)], TELKOMSEL, "WEAK_SIGNAL", i, i, i, i, i),
            )

    site.store._retrying(body)  # type: ignore[attr-defined]


def cursor_of(*value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(value)).encode()).rstrip(b"=").decode()


@pytest.mark.timeout(180)
def test_2500_tickets_page_through_once_each_while_tickets_open(any_web_site: WebSite) -> None:
    site = any_web_site
    add_tickets(site, MANY)
    api = site.user("viewer")
    expected = [t.id for t in site.store.list_tickets(limit=10_000)]
    assert len(expected) == MANY + len(site.seeded.tickets)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"state": "all", "limit": 1000}
        if cursor is not None:
            params["cursor"] = cursor
        body = api.get("/api/v1/tickets", params=params).json()
        seen += [t["id"] for t in body["tickets"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        add_tickets(site, 50, start=MANY + 50 * pages)  # opened between pages: newer ids
    assert pages == 3
    assert seen == expected  # every one, once, newest first
    # Without a cursor the newest come first, the ones opened meanwhile included.
    first = api.get("/api/v1/tickets", params={"state": "all", "limit": 1}).json()
    assert first["tickets"][0]["id"] > max(expected) and first["next_cursor"] is not None
    # Filters and scoping hold across pages.
    scoped = site.user("operator", "indosat")
    ids, cursor = [], None
    while True:
        params = {"state": "all", "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = scoped.get("/api/v1/tickets", params=params).json()
        assert {t["operator"] for t in body["tickets"]} <= {"510-01"}
        ids += [t["id"] for t in body["tickets"]]
        if (cursor := body["next_cursor"]) is None:
            break
    assert ids == [t.id for t in site.seeded.tickets if t.operator == "510-01"][::-1]


def test_a_bad_cursor_or_limit_is_a_specific_400(web_site: WebSite) -> None:
    api = web_site.user("viewer")
    good = api.get("/api/v1/sites", params={"limit": 1}).json()["next_cursor"]
    code = web_site.seeded.codes()[0]
    measurements = f"/api/v1/sites/{code}/measurements"
    for path, cursor in [
        ("/api/v1/tickets", "!!not-base64!!"),
        ("/api/v1/tickets", "bm90IGpzb24"),  # "not json"
        ("/api/v1/tickets", good),  # a sites cursor
        ("/api/v1/tickets", cursor_of("tickets", "12")),  # a position of the wrong type
        ("/api/v1/tickets", cursor_of("tickets", 2**64)),
        ("/api/v1/tickets", cursor_of("tickets", True)),
        ("/api/v1/tickets", cursor_of("tickets")),
        ("/api/v1/tickets", "A" * 500),
        ("/api/v1/sites", cursor_of("sites", 5)),
        (measurements, cursor_of(f"measurements/{code}/ping", 1, "a", 1)),  # another kind
        (measurements, cursor_of(f"measurements/{code}/signal", 1, "a")),
    ]:
        r = api.get(path, params={"cursor": cursor})
        assert r.status_code == 400, (path, cursor, r.text)
        assert r.json()["error"] == "bad_cursor" and "cursor" in r.json()["message"]
    for path, limit in [("/api/v1/tickets", 1001), ("/api/v1/sites", 10_001), (measurements, 0)]:
        r = api.get(path, params={"limit": limit})
        assert r.status_code == 400 and "limit" in r.json()["message"]


def test_sites_page_in_code_order(any_web_site: WebSite) -> None:
    site = any_web_site
    api = site.user("viewer")
    codes, cursor, pages = [], None, 0
    while True:
        params: dict[str, Any] = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        body = api.get("/api/v1/sites", params=params).json()
        codes += [s["code"] for s in body["sites"]]
        pages += 1
        if (cursor := body["next_cursor"]) is None:
            break
    assert pages == 3 and codes == sorted(site.seeded.codes())
    whole = api.get("/api/v1/sites").json()
    assert whole["next_cursor"] is None and len(whole["sites"]) == 9
    xl = site.user("viewer", "xl")
    first = xl.get("/api/v1/sites", params={"limit": 2}).json()
    rest = xl.get("/api/v1/sites", params={"cursor": first["next_cursor"]}).json()
    assert [s["code"] for s in first["sites"] + rest["sites"]] == site.seeded.codes("510-11")
    assert rest["next_cursor"] is None


def test_measurements_page_back_in_time(web_site: WebSite) -> None:
    api = web_site.user("viewer")
    code = web_site.seeded.codes()[0]
    path = f"/api/v1/sites/{code}/measurements"
    for kind in ("signal", "ping", "events"):
        whole = api.get(path, params={"kind": kind}).json()
        assert whole["next_cursor"] is None
        items, cursor, pages = [], None, 0
        while True:
            params = {"kind": kind, "limit": 4, **({"cursor": cursor} if cursor else {})}
            body = api.get(path, params=params).json()
            assert len(body["items"]) <= 4
            items = body["items"] + items  # each page is older, oldest first within it
            pages += 1
            if (cursor := body["next_cursor"]) is None:
                break
        assert items == whole["items"], kind
        assert pages == max(1, -(-len(items) // 4)), kind
        if kind == "signal":
            assert pages == 2  # six readings


def _raw(api: Any, path: str, **params: Any) -> requests.Response:
    return api.get(path, params=params, headers={"Accept-Encoding": "gzip"}, stream=True)


def test_large_answers_are_gzip_for_clients_that_accept_it(web_site: WebSite) -> None:
    add_tickets(web_site, 300)
    api = web_site.user("viewer")
    for path, params in [
        ("/api/v1/tickets", {"state": "all", "limit": 1000}),
        ("/api/v1/sites", {}),
        ("/api/v1/coverage", {}),
        ("/api/v1/coverage", {"format": "csv"}),
        ("/api/v1/openapi.json", {}),
    ]:
        r = _raw(api, path, **params)
        assert r.status_code == 200, r.text
        assert r.headers.get("Content-Encoding") == "gzip", (path, r.headers)
        assert "Accept-Encoding" in r.headers.get("Vary", "")
        body = gzip.decompress(r.raw.read(decode_content=False))
        plain = api.get(path, params=params, headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers
        if params.get("format") == "csv":
            assert body.decode() == plain.text
        else:
            assert json.loads(body) == plain.json()
    # The province outlines come from their precompressed copy.
    r = _raw(api, "/static/provinces.geojson")
    assert r.headers.get("Content-Encoding") == "gzip"
    outlines = json.loads(gzip.decompress(r.raw.read(decode_content=False)))
    assert outlines["type"] == "FeatureCollection" and len(outlines["features"]) == 38
    # Small answers are not worth it; the live stream is never compressed (or held back).
    small = _raw(api, "/api/v1/me")
    assert "Content-Encoding" not in small.headers
    stream = _raw(api, "/api/v1/events")
    try:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        assert "Content-Encoding" not in stream.headers
        assert next(stream.iter_lines()).startswith(b"event: hello")
    finally:
        stream.close()


def test_precompressed_static_files_are_fresh() -> None:
    """Run ``python -m collector.web.compression`` after changing one of them."""
    static = static_dir()
    for name in PRECOMPRESSED:
        source = (static / name).read_bytes()
        packed = Path(static / f"{name}.gz").read_bytes()
        assert gzip.decompress(packed) == source, f"{name}.gz is stale"
        assert packed == gzipped(source)
