"""Search on /api/v1/sites (?q=) and the after-action exports (tickets of a window,
uptime per site, operator and province), on each store backend."""

from __future__ import annotations

import csv
import gzip
import io
import time

import pytest
from conftest import INDOSAT, TELKOMSEL, XL, WebSite

_S = 1_000_000_000


def codes(api: object, q: str) -> list[str]:
    r = api.get("/api/v1/sites", params={"q": q})  # type: ignore[attr-defined]
    assert r.status_code == 200, r.text
    return [s["code"] for s in r.json()["sites"]]


def test_search_by_code_prefix_province_and_operator(any_web_site: WebSite) -> None:
    seeded = any_web_site.seeded
    api = any_web_site.user("viewer")
    jakarta = [c for c in seeded.codes() if c.startswith("31")]
    assert jakarta and codes(api, "31") == jakarta
    assert codes(api, jakarta[0][:6]) == [c for c in jakarta if c.startswith(jakarta[0][:6])]
    assert codes(api, jakarta[0]) == [jakarta[0]]
    assert codes(api, "Jakarta") == jakarta
    assert codes(api, "bali") == [c for c in seeded.codes() if c.startswith("51")]
    assert codes(api, "Telkomsel") == seeded.codes(TELKOMSEL)
    assert codes(api, "XL") == seeded.codes(XL)
    assert codes(api, "Indosat Jawa Barat") == seeded.codes(INDOSAT)
    assert codes(api, "Telkomsel Bali") == []  # every word must match
    assert codes(api, "Kota Denpasar") == []  # a plain word naming nothing: found nothing


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("31710110010051", "a TPS code has 13 digits"),
        ("x" * 101, "at most 100 characters"),
        ("Jakarta\u202e", "control characters"),
    ],
)
def test_a_search_nobody_types_is_a_clear_400(web_site: WebSite, q: str, message: str) -> None:
    r = web_site.user("viewer").get("/api/v1/sites", params={"q": q})
    assert r.status_code == 400 and r.headers["Content-Type"].startswith("application/json")
    assert r.json()["error"] == "bad_request" and message in r.json()["message"]
    assert "'q'" in r.json()["message"] or "q" in r.json()["message"]


def test_search_is_scoped_to_the_accounts_network(web_site: WebSite) -> None:
    api = web_site.user("viewer", operator="xl")
    assert codes(api, "Telkomsel") == []
    assert codes(api, "51") == web_site.seeded.codes(XL)


def _raise(
    site: WebSite, code: str, operator: str, problem: str, start_s: int, *, note: str = ""
) -> int:
    now = time.time_ns()
    change = site.store.raise_problem(
        code, operator, problem, route="noc", first_bad_ns=now - start_s * _S, last_bad_ns=now,
        evidence={"why": note or "test"}, historical=False, now_ns=now, reopen_window_ns=0,
    )  # fmt: skip
    return change.ticket.id


def test_ticket_export_as_json_and_csv(any_web_site: WebSite) -> None:
    site = any_web_site
    seeded = site.seeded
    api = site.user("viewer")
    r = api.get("/api/v1/tickets/export", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    assert r.headers["Content-Encoding"] == "gzip"  # requests decoded it
    assert r.headers["Content-Disposition"].startswith('attachment; filename="pantau-tickets-')
    body = r.json()
    assert body["truncated"] is False
    assert sorted(t["id"] for t in body["tickets"]) == sorted(t.id for t in seeded.tickets)
    # A formula in a ticket's evidence reaches a spreadsheet as text.
    target = seeded.codes(XL)[-1]
    _raise(site, target, XL, "NO_SERVICE", 60, note='=HYPERLINK("http://x")')
    r = api.get("/api/v1/tickets/export", params={"format": "csv", "operator": "xl"})
    assert r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["operator"] for row in rows} == {XL}
    assert any(row["site_code"] == target and row["problem"] == "NO_SERVICE" for row in rows)
    assert list(rows[0])[:3] == ["id", "site_code", "province"] and list(rows[0])[-1] == "evidence"
    for row in rows:
        assert not row["evidence"].startswith(("=", "+", "-", "@"))
    # A window that ended before every ticket began has none.
    r = api.get(
        "/api/v1/tickets/export",
        params={"until": "2020-01-01T00:00Z", "since": "2019-12-31T00:00+07:00"},
    )
    assert r.status_code == 200 and r.json()["tickets"] == []


def test_ticket_export_is_scoped_like_tickets(web_site: WebSite) -> None:
    api = web_site.user("viewer", operator="indosat")
    body = api.get("/api/v1/tickets/export").json()
    assert body["tickets"] and {t["operator"] for t in body["tickets"]} == {INDOSAT}
    assert api.get("/api/v1/tickets/export", params={"operator": "xl"}).json()["tickets"] == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2024-02-14 07:00"}, "needs its zone"),
        ({"since": "yesterday"}, "ISO 8601 with its zone"),
        (
            {"since": "2024-02-14T08:00Z", "until": "2024-02-14T07:00Z"},
            "since must be before until",
        ),
        ({"since": "2024-01-01T00:00Z", "until": "2024-06-01T00:00Z"}, "at most 62 days"),
        ({"format": "xlsx"}, "format"),
        ({"by": "kecamatan"}, "by"),
    ],
)
def test_bad_windows_are_clear_400s(
    web_site: WebSite, params: dict[str, str], message: str
) -> None:
    api = web_site.user("viewer")
    path = "/api/v1/reports/uptime" if "by" in params else "/api/v1/tickets/export"
    r = api.get(path, params=params)
    assert r.status_code == 400, r.text
    assert message in r.json()["message"]


def test_uptime_by_site_operator_and_province(any_web_site: WebSite) -> None:
    site = any_web_site
    seeded = site.seeded
    api = site.user("viewer")
    # The seed's NO_SERVICE tickets (two Indosat sites in Jawa Barat) began 600 s ago.
    down = sorted(t.site_code for t in seeded.tickets if t.problem == "NO_SERVICE")
    assert len(down) == 2
    hour = {"since": _iso(time.time() - 3600), "until": _iso(time.time())}
    r = api.get("/api/v1/reports/uptime", params={**hour, "by": "site"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["by"] == "site" and abs(body["window_s"] - 3600) < 2
    rows = {row["key"]: row for row in body["rows"]}
    assert sorted(rows) == seeded.codes()
    for code, row in rows.items():
        if code in down:
            assert 590 <= row["down_s"] <= 620 and row["still_open"] == 1
            assert row["ttr_median_s"] is None and 0.82 < row["uptime"] < 0.84
        else:
            assert row["down_s"] == 0 and row["uptime"] == 1.0
    by_operator = {
        row["key"]: row
        for row in api.get("/api/v1/reports/uptime", params={**hour, "by": "operator"}).json()[
            "rows"
        ]
    }
    assert set(by_operator) == {TELKOMSEL, INDOSAT, XL}
    assert by_operator[INDOSAT]["units"] == 3 and by_operator[INDOSAT]["tickets"] == 2
    assert by_operator[INDOSAT]["name"] == "Indosat Ooredoo Hutchison"
    assert by_operator[TELKOMSEL]["uptime"] == 1.0
    r = api.get("/api/v1/reports/uptime", params={**hour, "by": "province", "format": "csv"})
    rows_csv = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["key"] for row in rows_csv] == ["31", "32", "51"]
    assert rows_csv[1]["name"] == "Jawa Barat" and float(rows_csv[1]["uptime"]) < 1
    assert rows_csv[0]["ttr_median_s"] == ""


def test_uptime_counts_recovery_times(web_site: WebSite) -> None:
    site = web_site
    code = site.seeded.codes(TELKOMSEL)[0]
    ticket_id = _raise(site, code, TELKOMSEL, "NO_COVERAGE", 1200)
    now = time.time_ns()
    assert site.store.resolve_ticket(ticket_id, actor="ops", note="", now_ns=now) is not None
    hour = {"since": _iso(time.time() - 3600), "until": _iso(time.time() + 1)}
    rows = (
        site.user("viewer")
        .get("/api/v1/reports/uptime", params={**hour, "by": "site", "operator": "telkomsel"})
        .json()["rows"]
    )
    row = next(r for r in rows if r["key"] == code)
    assert row["recovered"] == 1 and 1195 <= row["ttr_median_s"] <= 1205
    assert row["ttr_p90_s"] == row["ttr_median_s"] and row["units"] == 1
    assert {r["key"][:2] for r in rows} == {"31"}  # only Telkomsel's sites


def test_export_links_are_in_the_openapi_document(web_site: WebSite) -> None:
    doc = web_site.client().get("/api/v1/openapi.json").json()
    assert "/api/v1/tickets/export" in doc["paths"] and "/api/v1/reports/uptime" in doc["paths"]
    names = [p["name"] for p in doc["paths"]["/api/v1/sites"]["get"]["parameters"]]
    assert "q" in names


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def test_a_large_export_is_sent_gzipped(web_site: WebSite) -> None:
    api = web_site.user("viewer")
    r = api.get(
        "/api/v1/tickets/export",
        params={"format": "csv"},
        headers={"Accept-Encoding": "gzip"},
        stream=True,
    )
    assert r.headers["Content-Encoding"] == "gzip"
    text = gzip.decompress(r.raw.read(decode_content=False)).decode()
    assert text.startswith("id,site_code,province,")
