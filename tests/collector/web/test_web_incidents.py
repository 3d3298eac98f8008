"""Incidents and silences over the REST API, scoped per account as tickets are."""

from __future__ import annotations

import csv
import io

from conftest import INDOSAT, TELKOMSEL, WebSite


def test_incidents_list_and_detail_scoped_per_network(any_web_site: WebSite) -> None:
    site = any_web_site
    admin = site.user("admin")
    listed = admin.get("/api/v1/incidents").json()
    everything = listed["incidents"]
    assert everything and listed["next_cursor"] is None
    assert {i["operator"] for i in everything} >= {INDOSAT, TELKOMSEL}
    assert all(i["state"] == "open" and i["parent_id"] is None for i in everything)
    one = everything[0]
    assert set(one["scope"]) == {"cell", "kabupaten", "province"} and one["title_id"]
    detail = admin.get(f"/api/v1/incidents/{one['id']}").json()
    assert detail["tickets"] and all(t["operator"] == one["operator"] for t in detail["tickets"])
    seeded = {t.id for t in site.seeded.tickets}
    assert {t["id"] for t in detail["tickets"]} <= seeded
    member = admin.get(f"/api/v1/tickets/{detail['tickets'][0]['id']}").json()
    assert member["incident_id"] == one["id"]  # a ticket links to its incident

    first = admin.get("/api/v1/incidents", params={"limit": "1"}).json()
    assert len(first["incidents"]) == 1 and first["next_cursor"]
    rest = admin.get("/api/v1/incidents", params={"cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in first["incidents"] + rest["incidents"]] == [
        i["id"] for i in everything
    ]

    indosat = site.user("operator", "indosat")
    mine = indosat.get("/api/v1/incidents").json()["incidents"]
    assert mine and {i["operator"] for i in mine} == {INDOSAT}
    theirs = next(i for i in everything if i["operator"] == TELKOMSEL)
    assert indosat.get(f"/api/v1/incidents/{theirs['id']}").status_code == 404
    assert indosat.get("/api/v1/incidents", params={"operator": "telkomsel"}).json() == {
        "incidents": [], "next_cursor": None,
    }  # fmt: skip
    for bad in ({"state": "closed"}, {"level": "x"}, {"cursor": "abc"}, {"limit": "0"}):
        assert admin.get("/api/v1/incidents", params=bad).status_code == 400, bad
    assert admin.get("/api/v1/incidents/0").status_code == 400
    assert admin.get("/api/v1/incidents/999999").status_code == 404


def test_silences_announced_listed_and_ended_by_their_network(web_site: WebSite) -> None:
    site = web_site
    indosat = site.user("operator", "indosat")
    body = {"operator": "510-01", "kabupaten": "3273", "family": "coverage",
            "start": "2030-01-01T22:00+07:00", "end": "2030-01-02T02:00+07:00",
            "reason": "tower maintenance"}  # fmt: skip
    r = indosat.post("/api/v1/silences", json=body)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["start"] == "2030-01-01T15:00:00.000Z" and made["kabupaten"] == "3273"
    assert made["created_by"] and made["family"] == "coverage"

    r = indosat.post("/api/v1/silences", json={**body, "operator": "telkomsel"})
    assert r.status_code == 403 and "only its own network (510-01)" in r.json()["message"]
    assert site.user("viewer").post("/api/v1/silences", json=body).status_code == 403
    for changes, message in (
        ({"end": "2030-01-01T21:00+07:00"}, "end: expected a time after the start"),
        ({"start": "2030-01-01T22:00"}, "give the time's zone"),
        ({"end": "tomorrow"}, "expected an ISO 8601 time"),
        ({"kabupaten": "32"}, "kabupaten is the TPS code's first 4 digits"),
        ({"reason": ""}, "reason"),
        ({"family": "radio"}, "family"),
    ):
        r = indosat.post("/api/v1/silences", json={**body, **changes})
        assert r.status_code == 400 and message in r.json()["message"], (changes, r.text)

    admin = site.user("admin")
    theirs = admin.post("/api/v1/silences", json={**body, "operator": "510-10"}).json()
    assert [s["id"] for s in indosat.get("/api/v1/silences").json()["silences"]] == [made["id"]]
    assert len(admin.get("/api/v1/silences").json()["silences"]) == 2
    assert indosat.delete(f"/api/v1/silences/{theirs['id']}").status_code == 404

    ended = indosat.delete(f"/api/v1/silences/{made['id']}")
    assert ended.status_code == 200, ended.text
    assert indosat.get("/api/v1/silences").json()["silences"] == []
    everything = indosat.get("/api/v1/silences", params={"state": "all"}).json()["silences"]
    assert [s["id"] for s in everything] == [made["id"]]


def test_incident_export_as_json_and_csv_scoped_per_network(any_web_site: WebSite) -> None:
    site = any_web_site
    admin = site.user("admin")
    listed = admin.get("/api/v1/incidents", params={"level": "all", "state": "all"}).json()
    r = admin.get("/api/v1/incidents/export")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    assert r.headers["Content-Disposition"].startswith('attachment; filename="pantau-incidents-')
    body = r.json()
    assert body["truncated"] is False and body["since"] < body["until"]
    exported = body["incidents"]
    assert sorted(i["id"] for i in exported) == sorted(i["id"] for i in listed["incidents"])
    assert [i["id"] for i in exported] == sorted(i["id"] for i in exported)  # oldest first
    top = admin.get("/api/v1/incidents/export", params={"level": "top"}).json()["incidents"]
    assert top and all(i["parent_id"] is None for i in top)

    r = admin.get("/api/v1/incidents/export", params={"format": "csv", "operator": "indosat"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and {row["operator"] for row in rows} == {INDOSAT}
    assert list(rows[0])[:3] == ["id", "key", "kind"]
    assert {"title_id", "cell", "province", "sites", "others_fine_count"} <= set(rows[0])
    first = next(i for i in exported if i["id"] == int(rows[0]["id"]))
    assert rows[0]["sites"].split() == first["sites"] and rows[0]["title"] == first["title"]

    indosat = site.user("operator", "indosat")
    mine = indosat.get("/api/v1/incidents/export").json()["incidents"]
    assert mine and {i["operator"] for i in mine} == {INDOSAT}
    assert (
        indosat.get("/api/v1/incidents/export", params={"operator": "xl"}).json()["incidents"] == []
    )
    # A window that ended before every incident began has none.
    old = {"since": "2019-12-31T00:00+07:00", "until": "2020-01-01T00:00Z"}
    assert admin.get("/api/v1/incidents/export", params=old).json()["incidents"] == []
    for bad, message in (
        ({"since": "yesterday"}, "ISO 8601"),
        ({"format": "xlsx"}, "format"),
        ({"level": "some"}, "level"),
    ):
        r = admin.get("/api/v1/incidents/export", params=bad)
        assert r.status_code == 400 and message in r.json()["message"], (bad, r.text)
    doc = site.client().get("/api/v1/openapi.json").json()
    assert "/api/v1/incidents/export" in doc["paths"]
