"""The REST API: sites, map, measurements, tickets, ack/resolve, coverage, scoping, roles."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from conftest import INDOSAT, TELKOMSEL, XL, WebSite, fast_config

from collector.present import iso
from collector.web.seed import ping_record, signal_record

_S = 10**9


def test_map_and_sites_see_everything_unscoped(any_web_site: WebSite) -> None:
    site = any_web_site
    api = site.user("viewer")
    body = api.get("/api/v1/map").json()
    assert body["columns"] == [
        "code", "lat", "lon", "status", "operator", "province", "problems", "networks", "since",
        "operators",
    ]  # fmt: skip
    rows = {r[0]: r for r in body["rows"]}
    assert sorted(rows) == site.seeded.codes()
    for ticket in site.seeded.tickets:
        assert ticket.problem in rows[ticket.site_code][6]
        assert rows[ticket.site_code][8] == iso(ticket.first_bad_ns)  # in trouble since
    for code, row in rows.items():
        assert (row[8] is None) == (row[3] == "ok"), code
    statuses = {r[3] for r in rows.values()}
    assert statuses == {"ok", "degraded", "down"}
    for row in rows.values():
        assert row[5] == row[0][:2] and -11 < row[1] < 6 and 95 < row[2] < 141
    sites = api.get("/api/v1/sites").json()["sites"]
    assert [s["code"] for s in sites] == site.seeded.codes()
    down = api.get("/api/v1/sites", params={"status": "down"}).json()["sites"]
    assert {s["code"] for s in down} == {
        t.site_code for t in site.seeded.tickets if t.problem == "NO_SERVICE"
    }
    jakarta = api.get("/api/v1/sites", params={"province": "31"}).json()["sites"]
    assert jakarta and all(s["province"] == "31" for s in jakarta)
    weak = api.get("/api/v1/sites", params={"problem": "WEAK_SIGNAL"}).json()["sites"]
    assert {s["code"] for s in weak} == {
        t.site_code for t in site.seeded.tickets if t.problem == "WEAK_SIGNAL"
    }
    xl = api.get("/api/v1/sites", params={"operator": "xl"}).json()["sites"]
    assert {s["code"] for s in xl} == set(site.seeded.codes(XL))


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/sites", {"status": "sad"}),
        ("/api/v1/sites", {"province": "99"}),
        ("/api/v1/sites", {"operator": "nokia"}),
        ("/api/v1/sites", {"problem": "weak signal"}),
        ("/api/v1/sites", {"colour": "red"}),
        ("/api/v1/sites/12345", {}),
        ("/api/v1/sites/3101011001001/measurements", {"kind": "radio"}),
        ("/api/v1/sites/3101011001001/measurements", {"hours": "169"}),
        ("/api/v1/sites/3101011001001/measurements", {"hours": "-1"}),
        ("/api/v1/sites/3101011001001/measurements", {"limit": "0"}),
        ("/api/v1/tickets", {"state": "closed"}),
        ("/api/v1/tickets", {"limit": "1001"}),
        ("/api/v1/tickets", {"site": "abc"}),
        ("/api/v1/tickets/abc", {}),
        ("/api/v1/tickets/0", {}),
        ("/api/v1/tickets/99999999999999999999", {}),
        ("/api/v1/coverage", {"format": "xlsx"}),
        ("/api/v1/coverage", {"hours": "1e3"}),
    ],
)
def test_bad_parameters_are_400_with_a_specific_message(
    web_site: WebSite, path: str, params: dict[str, str]
) -> None:
    r = web_site.user("viewer").get(path, params=params)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["error"] == "bad_request" and len(body["message"]) > 10


def test_unknown_things_are_404(web_site: WebSite) -> None:
    api = web_site.user("admin")
    assert api.get("/api/v1/sites/3101011009999").status_code == 404
    assert api.get("/api/v1/tickets/999999").status_code == 404
    r = api.get("/api/v1/nothing")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = api.delete("/api/v1/sites")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"


def test_site_detail_and_measurements_decode_the_records(any_web_site: WebSite) -> None:
    site = any_web_site
    api = site.user("viewer")
    code = site.seeded.codes(TELKOMSEL)[0]
    detail = api.get(f"/api/v1/sites/{code}").json()
    assert detail["code"] == code and detail["agents"] == [f"kit-{code}"]
    assert detail["cell"]["operator"] == TELKOMSEL and detail["cell"]["rat"] == "lte"
    assert detail["records"] == 13 and detail["located"] in ("gnss", "province")
    assert [t["site_code"] for t in detail["tickets"]] == [code]

    signal = api.get(f"/api/v1/sites/{code}/measurements", params={"kind": "signal"}).json()
    assert signal["site"] == code and signal["kind"] == "signal"
    assert len(signal["items"]) == 6
    item = signal["items"][-1]
    assert set(item) == {
        "time", "rat", "rsrp_dbm", "rsrq_db", "sinr_db", "rssi_dbm", "cell_id", "neighbours",
        "operator", "lat", "lon", "invalid",
    }  # fmt: skip
    assert item["neighbours"] is None  # the seeded readings do not say
    assert item["operator"] == TELKOMSEL and item["rat"] == "lte" and item["rsrp_dbm"] < -70
    assert item["invalid"] == []  # every value in its range
    times = [i["time"] for i in signal["items"]]
    assert times == sorted(times)

    ping = api.get(f"/api/v1/sites/{code}/measurements", params={"kind": "ping"}).json()
    p = ping["items"][0]
    assert p["sent"] == 5 and len(p["rtts_ms"]) == 5
    assert p["received"] == sum(x is not None for x in p["rtts_ms"])
    assert p["loss_ratio"] == pytest.approx(1 - p["received"] / 5)
    assert p["min_ms"] <= p["median_ms"] <= p["max_ms"]

    tp = api.get(f"/api/v1/sites/{code}/measurements", params={"kind": "throughput"}).json()
    (t,) = tp["items"]
    assert t["direction"] == "download" and t["duration_s"] == 5.0 and t["mbps"] > 0
    assert t["bytes"] > 0

    limited = api.get(
        f"/api/v1/sites/{code}/measurements", params={"kind": "signal", "limit": "2"}
    ).json()
    assert limited["items"] == signal["items"][-2:]
    site.clock.advance(1500)  # readings every 10 minutes, the newest now 25 minutes old
    recent = api.get(
        f"/api/v1/sites/{code}/measurements", params={"kind": "signal", "hours": "1"}
    ).json()
    assert recent["items"] == signal["items"][-4:]


def test_a_sites_rollups_sum_up_its_readings(any_web_site: WebSite) -> None:
    site = any_web_site
    api = site.user("viewer")
    code = site.seeded.codes(TELKOMSEL)[0]
    signal = api.get(f"/api/v1/sites/{code}/measurements", params={"kind": "signal"}).json()
    ping = api.get(f"/api/v1/sites/{code}/measurements", params={"kind": "ping"}).json()
    body = api.get(f"/api/v1/sites/{code}/rollups", params={"hours": "24"}).json()
    assert (body["site"], body["hours"], body["bucket_s"]) == (code, 24, 300)
    assert body["complete"] is False  # the store (made now) began its rollups after
    items = body["items"]
    assert [i["time"] for i in items] == sorted(i["time"] for i in items)
    signals = [i for i in items if i["kind"] == "signal"]
    assert sum(i["records"] for i in signals) == len(signal["items"])
    assert {i["network"] for i in signals} == {TELKOMSEL}
    medians = sorted(i["figures"]["rsrp_dbm"]["median"] for i in signals)
    assert medians == sorted(i["rsrp_dbm"] for i in signal["items"])  # one a bucket
    pings = [i for i in items if i["kind"] == "ping"]
    assert sum(i["records"] for i in pings) == len(ping["items"])
    for i in pings:
        rtt = i["figures"]["rtt_ms"]
        assert rtt["min"] <= rtt["median"] <= rtt["max"] and rtt["n"] == i["records"]
    theirs = site.seeded.codes(INDOSAT)[0]
    assert (
        site.user("operator", "telkomsel").get(f"/api/v1/sites/{theirs}/rollups").status_code == 404
    )
    assert api.get(f"/api/v1/sites/{code}/rollups", params={"hours": "0"}).status_code == 400


def test_events_are_cell_and_operator_changes(web_site: WebSite) -> None:
    code = "3171011001005"
    now = time.time_ns()
    records = [
        signal_record(1, now - 30 * _S, mcc="510", mnc="10", name="T", rsrp=-90, cell_id=11),
        signal_record(2, now - 20 * _S, mcc="510", mnc="10", name="T", rsrp=-91, cell_id=12),
        signal_record(3, now - 10 * _S, mcc="510", mnc="11", name="XL", rsrp=-95, cell_id=77),
        ping_record(4, now - 5 * _S, rtts=[10.0, None, 12.0]),
    ]
    ack = web_site.ingest(code, records)
    assert ack.stored == 4
    api = web_site.user("viewer")
    events = api.get(f"/api/v1/sites/{code}/measurements", params={"kind": "events"}).json()
    kinds = [(e["kind"], e["from"], e["to"]) for e in events["items"]]
    assert kinds == [("cell", 11, 12), ("operator", "510-10", "510-11"), ("cell", 12, 77)]
    ping = api.get(f"/api/v1/sites/{code}/measurements", params={"kind": "ping"}).json()
    assert ping["items"][0]["rtts_ms"] == [10.0, None, 12.0]


def test_provinces_count_statuses(web_site: WebSite) -> None:
    body = web_site.user("viewer").get("/api/v1/provinces").json()
    assert len(body) == 38
    by_code = {p["code"]: p for p in body}
    assert by_code["94"]["name"] == "Papua Tengah"
    assert sum(by_code["31"]["counts"].values()) == 3
    assert by_code["32"]["counts"]["down"] == 2
    assert sum(sum(p["counts"].values()) for p in body) == 9


def test_tickets_list_detail_ack_resolve(any_web_site: WebSite) -> None:
    site = any_web_site
    api = site.user("operator", name="fajar")
    listed = api.get("/api/v1/tickets").json()["tickets"]
    assert {t["id"] for t in listed} == {t.id for t in site.seeded.tickets}
    no_service = api.get("/api/v1/tickets", params={"problem": "NO_SERVICE"}).json()["tickets"]
    assert {t["problem"] for t in no_service} == {"NO_SERVICE"} and len(no_service) == 2
    bali = api.get("/api/v1/tickets", params={"province": "51"}).json()["tickets"]
    assert len(bali) == 2 and all(t["site_code"].startswith("51") for t in bali)
    assert len(api.get("/api/v1/tickets", params={"limit": "1"}).json()["tickets"]) == 1
    assert api.get("/api/v1/tickets", params={"operator": "field-team"}).json()["tickets"] == []
    assert api.get("/api/v1/tickets", params={"operator": "nokia"}).status_code == 400

    ticket = site.seeded.tickets[0]
    r = api.post(f"/api/v1/tickets/{ticket.id}/ack", json={"note": "on it"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "acknowledged"
    found = site.store.get_ticket(ticket.id)
    assert found is not None and found[0].state == "acknowledged"
    assert (found[1][-1].action, found[1][-1].actor, found[1][-1].note) == (
        "acknowledged", "fajar", "on it",
    )  # fmt: skip
    again = api.post(f"/api/v1/tickets/{ticket.id}/ack", json={"note": ""})
    assert again.status_code == 409 and again.json()["error"] == "conflict"

    r = api.post(f"/api/v1/tickets/{ticket.id}/resolve", json={"note": "tower fixed"})
    assert r.status_code == 200 and r.json()["state"] == "resolved"
    assert r.json()["resolved_by"] == "fajar"
    detail = api.get(f"/api/v1/tickets/{ticket.id}").json()
    assert [e["action"] for e in detail["events"]] == ["opened", "acknowledged", "resolved"]
    assert detail["events"][-1]["actor"] == "fajar"
    assert api.post(f"/api/v1/tickets/{ticket.id}/resolve").status_code == 409
    resolved = api.get("/api/v1/tickets", params={"state": "resolved"}).json()["tickets"]
    assert [t["id"] for t in resolved] == [ticket.id]
    assert ticket.id not in {t["id"] for t in api.get("/api/v1/tickets").json()["tickets"]}

    for body in ({"note": 5}, {"note": "x" * 2001}, {"reason": "x"}):
        r = api.post(f"/api/v1/tickets/{site.seeded.tickets[1].id}/ack", json=body)
        assert r.status_code == 400, body


def test_viewer_cannot_change_tickets(web_site: WebSite) -> None:
    api = web_site.user("viewer")
    ticket = web_site.seeded.tickets[0]
    for action in ("ack", "resolve"):
        r = api.post(f"/api/v1/tickets/{ticket.id}/{action}", json={"note": "x"})
        assert r.status_code == 403 and r.json()["error"] == "forbidden"
    found = web_site.store.get_ticket(ticket.id)
    assert found is not None and found[0].state == "open"
    admin = web_site.user("admin")
    assert admin.post(f"/api/v1/tickets/{ticket.id}/ack", json={}).status_code == 200


def test_operator_scoping_in_every_endpoint(any_web_site: WebSite) -> None:
    site = any_web_site
    api = site.user("operator", "indosat")
    mine = set(site.seeded.codes(INDOSAT))
    theirs = site.seeded.codes(TELKOMSEL)[0]
    assert {r[0] for r in api.get("/api/v1/map").json()["rows"]} == mine
    assert {s["code"] for s in api.get("/api/v1/sites").json()["sites"]} == mine
    assert api.get("/api/v1/sites", params={"operator": "telkomsel"}).json()["sites"] == []
    assert api.get(f"/api/v1/sites/{theirs}").status_code == 404
    assert api.get(f"/api/v1/sites/{theirs}/measurements").status_code == 404
    assert api.get("/api/v1/events", params={"site": theirs}).status_code == 404
    counts = {p["code"]: p["counts"] for p in api.get("/api/v1/provinces").json()}
    assert sum(counts["31"].values()) == 0 and sum(counts["32"].values()) == 3

    tickets = api.get("/api/v1/tickets", params={"state": "all"}).json()["tickets"]
    assert tickets and {t["operator"] for t in tickets} == {INDOSAT}
    other = next(t for t in site.seeded.tickets if t.operator == TELKOMSEL)
    assert api.get(f"/api/v1/tickets/{other.id}").status_code == 404
    for action in ("ack", "resolve"):
        r = api.post(f"/api/v1/tickets/{other.id}/{action}", json={"note": "not mine"})
        assert r.status_code == 404
    found = site.store.get_ticket(other.id)
    assert found is not None and found[0].state == "open"
    own = next(t for t in site.seeded.tickets if t.operator == INDOSAT)
    assert api.post(f"/api/v1/tickets/{own.id}/ack", json={"note": "ok"}).status_code == 200

    geo = api.get("/api/v1/coverage").json()
    assert {f["properties"]["site_code"] for f in geo["features"]} == mine
    text = api.get("/api/v1/coverage", params={"format": "csv"}).text
    assert {row["site_code"] for row in csv.DictReader(io.StringIO(text))} == mine


def test_coverage_geojson_and_csv(web_site: WebSite) -> None:
    api = web_site.user("viewer")
    r = api.get("/api/v1/coverage")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/geo+json")
    assert r.headers["Content-Disposition"].startswith("attachment;")
    body = r.json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 9
    for feature in body["features"]:
        assert feature["type"] == "Feature"
        lon, lat = feature["geometry"]["coordinates"]
        props = feature["properties"]
        assert feature["geometry"]["type"] == "Point"
        assert (props["lat"], props["lon"]) == (lat, lon)
        assert props["samples"] == 6 and props["grade"] in ("good", "fair", "poor")
        assert props["rsrp_dbm"] < -70 and 0 <= props["loss_ratio"] <= 1
        assert props["ping_median_ms"] > 0
    r = api.get("/api/v1/coverage", params={"format": "csv", "operator": "510-11"})
    assert r.headers["Content-Type"].startswith("text/csv")
    assert 'filename="pantau-coverage.csv"' in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 3 and {row["operator"] for row in rows} == {XL}
    assert list(rows[0]) == [
        "site_code", "province", "province_name", "operator", "operator_name", "rat", "lat",
        "lon", "located", "rsrp_dbm", "rsrq_db", "sinr_db", "ping_median_ms", "loss_ratio",
        "samples", "grade",
    ]  # fmt: skip


def test_metrics_behind_a_token_when_one_is_set(tmp_path: Path) -> None:
    from dataclasses import replace

    from collector.store.sqlite import SqliteStore

    base = fast_config()
    config = replace(base, web=replace(base.web, metrics_token="s3cret-scrape"))
    store = SqliteStore(tmp_path / "collector.sqlite")
    site = WebSite(store, config=config, seed=False)
    try:
        anonymous = site.client()
        refused = anonymous.get("/metrics")
        assert refused.status_code == 401 and "Bearer" in refused.headers["WWW-Authenticate"]
        assert "pantau_" not in refused.text
        wrong = anonymous.get("/metrics", headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401
        right = anonymous.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
        assert right.status_code == 200 and "pantau_connected_agents 0.0" in right.text
        assert anonymous.get("/healthz").status_code == 200  # health stays open
    finally:
        site.close()
        store.close()


def test_healthz_and_metrics(web_site: WebSite) -> None:
    anonymous = web_site.client()
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    web_site.user("viewer").get("/api/v1/sites")
    text = anonymous.get("/metrics").text
    assert "pantau_ingest_records_total 0.0" in text
    assert "pantau_ingest_busy_refusals_total 0.0" in text
    assert "pantau_connected_agents 0.0" in text
    assert "pantau_records_stored 117.0" in text  # 9 sites x 13 records
    assert 'pantau_open_tickets{operator="510-01",problem="NO_SERVICE"} 2.0' in text
    # The seeded tickets' incidents page after their group wait (30 s): none yet.
    assert "pantau_outbox_backlog 0.0" in text
    assert "pantau_rule_evaluation_seconds_bucket" in text
    assert 'pantau_http_requests_total{method="GET",status="200"}' in text
    web_site.ingest("3171011001005", [ping_record(1, time.time_ns(), rtts=[5.0])])
    assert "pantau_ingest_records_total 1.0" in anonymous.get("/metrics").text
