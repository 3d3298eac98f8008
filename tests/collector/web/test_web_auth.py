"""Accounts and sessions of the operations centre: login, logout, expiry, throttling, CSRF."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from conftest import WebSite


def test_login_me_logout(any_web_site: WebSite) -> None:
    site = any_web_site
    password = site.add_user("ana", "operator", "telkomsel")
    api = site.client()
    assert api.get("/api/v1/me").status_code == 401
    r = api.post("/api/v1/login", json={"username": "ana", "password": password})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["username"] == "ana" and body["role"] == "operator"
    assert body["operator"] == "510-10" and body["operator_name"] == "Telkomsel"
    assert len(body["csrf_token"]) >= 32 and body["expires"].endswith("Z")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    api.csrf = body["csrf_token"]
    me = api.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["csrf_token"] == body["csrf_token"]
    # The token is stored hashed: the cookie's value is nowhere in the database.
    token = api.cookies["pantau_session"]
    assert site.store.get_session(token) is None
    assert api.post("/api/v1/logout").status_code == 204
    assert api.get("/api/v1/me").status_code == 401


def test_wrong_password_and_unknown_user_get_the_same_answer(web_site: WebSite) -> None:
    web_site.add_user("budi", "viewer")
    api = web_site.client()
    wrong = api.post("/api/v1/login", json={"username": "budi", "password": "not-it-at-all"})
    nobody = api.post("/api/v1/login", json={"username": "nobody", "password": "not-it-at-all"})
    assert wrong.status_code == nobody.status_code == 401
    assert (
        wrong.json()
        == nobody.json()
        == {
            "error": "login_failed",
            "message": "wrong user name or password",
        }
    )
    assert "pantau_session" not in api.cookies


def test_bad_login_bodies_are_400(web_site: WebSite) -> None:
    api = web_site.client()
    for body in (b"", b"{", b"[]", b'{"username": 1, "password": "x"}', b'{"username": "a"}'):
        r = api.post("/api/v1/login", data=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"] == "bad_request"


def test_idle_timeout_and_absolute_lifetime(web_site: WebSite) -> None:
    api = web_site.user("viewer")
    web_site.clock.advance(1799)
    assert api.get("/api/v1/me").status_code == 200  # used: the idle clock restarts
    web_site.clock.advance(1799)
    assert api.get("/api/v1/me").status_code == 200
    web_site.clock.advance(1801)
    assert api.get("/api/v1/me").status_code == 401  # idle too long

    api = web_site.user("viewer")
    elapsed = 0
    while True:  # kept busy, but 12 hours after the login it ends all the same
        web_site.clock.advance(1790)
        elapsed += 1790
        status = api.get("/api/v1/me").status_code
        if elapsed < 43200:
            assert status == 200, elapsed
        else:
            assert status == 401
            break


def test_csrf_missing_or_wrong_is_403_and_changes_nothing(web_site: WebSite) -> None:
    api = web_site.user("operator")
    ticket = web_site.seeded.tickets[0]
    csrf, api.csrf = api.csrf, ""
    r = api.post(f"/api/v1/tickets/{ticket.id}/ack", json={"note": "x"})
    assert r.status_code == 403 and r.json()["error"] == "csrf"
    r = api.post(
        f"/api/v1/tickets/{ticket.id}/ack", json={"note": "x"}, headers={"X-CSRF-Token": "nope"}
    )
    assert r.status_code == 403 and r.json()["error"] == "csrf"
    assert api.post("/api/v1/logout").status_code == 403
    found = web_site.store.get_ticket(ticket.id)
    assert found is not None and found[0].state == "open"
    api.csrf = csrf
    assert api.post(f"/api/v1/tickets/{ticket.id}/ack", json={"note": "x"}).status_code == 200


def test_pages_redirect_to_login_and_carry_security_headers(web_site: WebSite) -> None:
    anonymous = web_site.client()
    for path, back in (
        ("/", None),
        ("/tickets", ["/tickets"]),
        ("/site/3101011001001?kind=ping&hours=6", ["/site/3101011001001?kind=ping&hours=6"]),
    ):
        r = anonymous.get(path)
        assert r.status_code == 302, path
        location = urlsplit(r.headers["Location"])
        assert location.path == "/login" and not location.netloc, path
        assert parse_qs(location.query).get("next") == back, r.headers["Location"]
    r = anonymous.get("/login")
    assert r.status_code in (200, 404)  # the page itself ships with the front-end
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    api = web_site.user("viewer")
    assert api.get("/").status_code in (200, 404)
    assert api.get("/").status_code != 302
    r = anonymous.get("/api/v1/sites")
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    assert r.headers["Cache-Control"] == "no-store"


def test_removed_user_loses_the_session(web_site: WebSite) -> None:
    api = web_site.user("admin", name="eko")
    assert web_site.store.remove_user("eko")
    assert api.get("/api/v1/me").status_code == 401


def test_static_files_and_pages(web_site: WebSite) -> None:
    anonymous = web_site.client()
    r = anonymous.get("/static/provinces.geojson")
    assert r.status_code == 200 and r.json()["type"] == "FeatureCollection"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert anonymous.get("/static/../app.py").status_code in (403, 404)
    assert anonymous.get("/static/%2e%2e/app.py").status_code in (403, 404)
    assert anonymous.get("/static/nothing.js").status_code == 404
    api = web_site.user("viewer")
    for path in ("/", "/tickets", "/site/3101011001001", "/login"):
        r = api.get(path)
        assert r.status_code == 200, path
        assert r.headers["Content-Type"].startswith("text/html")
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
