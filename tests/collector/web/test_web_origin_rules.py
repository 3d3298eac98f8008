"""Same-origin rules (collector.web.origin) as tables, and the login and every state
change refusing another site's requests over HTTP."""

from __future__ import annotations

import pytest
from conftest import WebSite

from collector.web.origin import safe_next, same_origin


@pytest.mark.parametrize(
    ("given", "goes_to"),
    [
        (None, "/"),
        ("", "/"),
        ("/", "/"),
        ("/tickets", "/tickets"),
        ("/site/3171011001005", "/site/3171011001005"),
        ("/site/3171011001005?kind=ping#chart", "/site/3171011001005?kind=ping#chart"),
        ("/tickets?note=a%20b", "/tickets?note=a%20b"),  # encoded in the query: harmless
        ("/\\evil.example/", "/"),
        ("/%5Cevil.example/", "/"),
        ("/%5cevil.example/", "/"),
        ("/\\/evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("//evil.example", "/"),
        ("///evil.example", "/"),
        ("/%2F/evil.example", "/"),
        ("/%2f%2fevil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("/\r\n/evil.example", "/"),
        ("/ /evil.example", "/"),
        ("/%09/evil.example", "/"),
        ("/%00", "/"),
        ("https://evil.example/", "/"),
        ("http:evil.example", "/"),
        ("HTTPS://evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("JaVaScRiPt:alert(1)", "/"),
        (" javascript:alert(1)", "/"),
        ("data:text/html,x", "/"),
        ("evil.example", "/"),
        ("tickets", "/"),
        ("/..//evil.example", "/"),
        ("/./evil", "/"),
        ("/%2e%2e/x", "/"),
        ("/login", "/"),
        ("/login?next=/tickets", "/"),
        ("/loginhelp", "/loginhelp"),
        ("/caf\u00e9", "/"),
        ("/\uff0f\uff0fevil.example", "/"),
        ("/" + "a" * 3000, "/"),
    ],
)
def test_safe_next(given: str | None, goes_to: str) -> None:
    assert safe_next(given) == goes_to


@pytest.mark.parametrize(
    ("origin", "host", "same"),
    [
        ("http://127.0.0.1:8080", "127.0.0.1:8080", True),
        ("https://noc.example", "noc.example", True),
        ("https://noc.example", "noc.example:443", True),
        ("http://noc.example", "noc.example", True),
        ("https://NOC.example", "noc.example", True),
        ("http://127.0.0.1:8080/login?next=/", "127.0.0.1:8080", True),  # a Referer
        ("https://noc.example:8443", "noc.example", False),
        ("http://127.0.0.1:8081", "127.0.0.1:8080", False),
        ("https://evil.example", "noc.example", False),
        ("https://noc.example.evil.example", "noc.example", False),
        ("https://user@noc.example", "noc.example", False),
        ("null", "noc.example", False),
        ("", "noc.example", False),
        ("file:///etc/passwd", "noc.example", False),
        ("https://noc.example", "", False),
        ("https://noc.example:99999", "noc.example", False),
        ("http://[::1]:8080", "[::1]:8080", True),
    ],
)
def test_same_origin(origin: str, host: str, same: bool) -> None:
    assert same_origin(origin, host) is same


def _login_body(name: str, password: str) -> str:
    return f'{{"username": "{name}", "password": "{password}"}}'


def test_login_from_another_site_or_not_json_is_refused(web_site: WebSite) -> None:
    site = web_site
    password = site.add_user("fitri", "viewer")
    body = _login_body("fitri", password)
    api = site.client()
    cases = [
        ({"Content-Type": "text/plain", "Origin": "https://evil.example"}, 403, "cross_origin"),
        ({"Content-Type": "application/json", "Origin": "https://evil.example"}, 403, None),
        ({"Content-Type": "application/json", "Origin": "null"}, 403, None),
        ({"Content-Type": "application/json", "Referer": "https://evil.example/x"}, 403, None),
        ({"Content-Type": "text/plain"}, 415, "unsupported_media_type"),
        ({"Content-Type": "text/plain", "Origin": site.url}, 415, None),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415, None),
        ({"Content-Type": "multipart/form-data; boundary=x"}, 415, None),
        ({}, 415, None),
    ]
    for headers, status, code in cases:
        r = api.post("/api/v1/login", data=body, headers=headers)
        assert r.status_code == status, (headers, r.text)
        if code:
            assert r.json()["error"] == code
        assert "pantau_session" not in api.cookies
    for headers in (
        {"Content-Type": "application/json", "Origin": site.url},
        {"Content-Type": "application/json; charset=utf-8", "Referer": f"{site.url}/login"},
        {"Content-Type": "application/json"},  # no browser: a script
    ):
        fresh = site.client()
        r = fresh.post("/api/v1/login", data=body, headers=headers)
        assert r.status_code == 200, (headers, r.text)


def test_every_state_change_refuses_another_site(web_site: WebSite) -> None:
    site = web_site
    api = site.user("operator")
    ticket = site.seeded.tickets[0]
    incident = site.store.incident_of_ticket(ticket.id)
    evil = {"Origin": "https://evil.example"}
    for path in (
        f"/api/v1/tickets/{ticket.id}/ack", f"/api/v1/tickets/{ticket.id}/resolve",
        f"/api/v1/incidents/{incident}/ack", f"/api/v1/incidents/{incident}/escalate",
    ):  # fmt: skip
        r = api.post(path, json={"note": "x"}, headers=evil)
        assert r.status_code == 403 and r.json()["error"] == "cross_origin", r.text
        r = api.post(path, data='{"note": "x"}', headers={"Content-Type": "text/plain"})
        assert r.status_code == 415 and r.json()["error"] == "unsupported_media_type"
    r = api.post("/api/v1/logout", headers=evil)
    assert r.status_code == 403
    assert api.get(f"/api/v1/tickets/{ticket.id}").json()["state"] == "open"
    untouched = api.get(f"/api/v1/incidents/{incident}").json()
    assert (untouched["acked_by"], untouched["escalation"], untouched["events"]) == (None, 0, [])
    assert api.get("/api/v1/me").status_code == 200  # still logged in
    r = api.post(
        f"/api/v1/tickets/{ticket.id}/ack", json={"note": "x"}, headers={"Origin": site.url}
    )
    assert r.status_code == 200, r.text
    assert api.post("/api/v1/logout", headers={"Origin": site.url}).status_code == 204
