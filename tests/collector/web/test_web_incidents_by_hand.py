"""Incidents acknowledged and escalated over the REST API, on both stores: roles and
scoping as for tickets, the history, 404 and 409 with their reasons."""

from __future__ import annotations

import time
from typing import Any

from conftest import INDOSAT, TELKOMSEL, WebSite

_S = 1_000_000_000


def incident_of(site: WebSite, operator: str) -> dict[str, Any]:
    admin = site.user("admin")
    listed = admin.get("/api/v1/incidents", params={"operator": operator}).json()["incidents"]
    assert listed, operator
    return listed[0]  # type: ignore[no-any-return]


def resolve(site: WebSite, incident_id: int) -> None:
    """Every member ticket recovers, and the hold passes."""
    found = site.store.get_incident(incident_id)
    assert found is not None
    now = time.time_ns()
    for ticket_id in found[1]:
        got = site.store.get_ticket(ticket_id)
        assert got is not None
        t = got[0]
        site.store.clear_problem(t.site_code, t.operator, t.problem, resolved_ns=now, now_ns=now)
    site.store.incidents_tick(now + 3600 * _S)
    after = site.store.get_incident(incident_id)
    assert after is not None and after[0].incident.state == "resolved"


def test_acknowledge_and_escalate_an_incident(any_web_site: WebSite) -> None:
    site = any_web_site
    inc = incident_of(site, INDOSAT)
    assert (inc["acked_by"], inc["acked"], inc["escalation"], inc["escalated"]) == (
        None, None, 0, None,
    )  # fmt: skip
    api = site.user("operator", "indosat", name="fajar")
    r = api.post(f"/api/v1/incidents/{inc['id']}/ack", json={"note": "on it"})
    assert r.status_code == 200, r.text
    acked = r.json()
    assert (acked["acked_by"], acked["ack_note"]) == ("fajar", "on it") and acked["acked"]
    assert [(e["action"], e["actor"], e["note"]) for e in acked["events"]] == [
        ("acknowledged", "fajar", "on it"),
    ]  # fmt: skip
    other = site.user("operator", "indosat", name="sari")
    again = other.post(f"/api/v1/incidents/{inc['id']}/ack", json={})
    assert again.status_code == 200 and again.json()["acked_by"] == "fajar"  # nothing changed
    assert len(again.json()["events"]) == 1

    r = other.post(f"/api/v1/incidents/{inc['id']}/escalate", json={"note": "worse", "level": 1})
    assert r.status_code == 200, r.text
    up = r.json()
    assert up["escalation"] == 1 and up["escalated"] and up["paged"] == "triggered"
    assert up["acked_by"] == "fajar"  # an escalation keeps the acknowledgement
    twice = other.post(f"/api/v1/incidents/{inc['id']}/escalate", json={"level": 1})
    assert twice.status_code == 200 and len(twice.json()["events"]) == 2  # a double click
    r = other.post(f"/api/v1/incidents/{inc['id']}/escalate")  # no body: the next level
    assert r.status_code == 200 and r.json()["escalation"] == 2
    assert [(e["action"], e["level"]) for e in r.json()["events"]] == [
        ("acknowledged", None), ("escalated", 1), ("escalated", 2),
    ]  # fmt: skip
    listed = api.get("/api/v1/incidents").json()["incidents"]
    shown = next(i for i in listed if i["id"] == inc["id"])
    assert (shown["acked_by"], shown["escalation"]) == ("fajar", 2)
    r = other.post(f"/api/v1/incidents/{inc['id']}/escalate", json={"level": 3})
    assert r.status_code == 200 and r.json()["escalation"] == 3
    top = other.post(f"/api/v1/incidents/{inc['id']}/escalate", json={})
    assert top.status_code == 409 and top.json()["error"] == "conflict"
    assert "highest level (3)" in top.json()["message"]

    resolve(site, inc["id"])
    for verb, word in (("ack", "acknowledged"), ("escalate", "escalated")):
        r = api.post(f"/api/v1/incidents/{inc['id']}/{verb}", json={"note": "late"})
        assert r.status_code == 409, r.text
        assert r.json()["message"] == f"incident {inc['id']} is resolved: it cannot be {word}"


def test_who_may_acknowledge_and_escalate(any_web_site: WebSite) -> None:
    site = any_web_site
    theirs = incident_of(site, TELKOMSEL)
    indosat = site.user("operator", "indosat")
    for verb in ("ack", "escalate"):
        r = indosat.post(f"/api/v1/incidents/{theirs['id']}/{verb}", json={"note": "x"})
        assert r.status_code == 404 and r.json()["error"] == "not_found", r.text
        r = site.user("viewer").post(f"/api/v1/incidents/{theirs['id']}/{verb}", json={})
        assert r.status_code == 403 and r.json()["error"] == "forbidden"
        assert indosat.post(f"/api/v1/incidents/999999/{verb}", json={}).status_code == 404
        assert indosat.post(f"/api/v1/incidents/0/{verb}", json={}).status_code == 400
        for body in ({"note": 5}, {"note": "x" * 2001}, {"reason": "x"}):
            r = indosat.post(f"/api/v1/incidents/{theirs['id']}/{verb}", json=body)
            assert r.status_code == 400, (verb, body)
    for level in (0, 4, "high"):
        r = indosat.post(f"/api/v1/incidents/{theirs['id']}/escalate", json={"level": level})
        assert r.status_code == 400, level
    telkomsel = site.user("operator", "telkomsel", name="dewi")
    r = telkomsel.post(f"/api/v1/incidents/{theirs['id']}/ack", json={"note": "ours"})
    assert r.status_code == 200 and r.json()["acked_by"] == "dewi"
    admin = site.user("admin", name="admin-ani")
    r = admin.post(f"/api/v1/incidents/{theirs['id']}/escalate", json={})
    assert r.status_code == 200 and r.json()["escalation"] == 1
    assert (
        site.user("operator")
        .post(  # an unscoped operator account: any network's
            f"/api/v1/incidents/{theirs['id']}/escalate", json={}
        )
        .json()["escalation"]
        == 2
    )
    viewer = site.user("viewer").get(f"/api/v1/incidents/{theirs['id']}").json()
    assert viewer["acked_by"] == "dewi" and [e["actor"] for e in viewer["events"]][:2] == [
        "dewi", "admin-ani",
    ]  # fmt: skip
