"""Logging in through the real login page (headless Chromium) with a hostile ``next``:
the browser stays on the collector's origin, and a harmless ``next`` is followed.
The same page's login also shows that Chromium's own POST (its Origin header, a JSON
body) passes the collector's same-origin checks."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from browserkit import CHROMIUM, STEP_MS, Browsing

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

HOSTILE = [
    "/\\evil.example/",
    "/%5Cevil.example/",
    "/\\/evil.example/",
    "//evil.example/",
    "/%2F/evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "https://evil.example/",
    "javascript:alert(document.domain)",
]


def _log_in_from(browser: Any, web_site: Any, login_url: str) -> tuple[str, list[str]]:
    """Logs in through the page at ``login_url``; where the browser ends up, and the
    requests it tried to send anywhere but the collector (refused)."""
    context = browser.new_context()
    context.set_default_timeout(STEP_MS)
    origin = web_site.url
    elsewhere: list[str] = []

    def only_the_collector(route: Any) -> None:
        url = route.request.url
        if url.startswith(origin + "/"):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    context.route("**/*", only_the_collector)
    browsing = Browsing(context, origin)
    try:
        page = browsing.page()
        page.on("dialog", lambda dialog: (elsewhere.append("dialog"), dialog.dismiss()))
        page.goto(login_url)
        page.fill("#username", "gita")
        page.fill("#password", web_site.password)
        page.click("#login-submit")
        page.wait_for_url(lambda url: urlsplit(url).path != "/login")
        page.wait_for_load_state("load")
        assert not browsing.problems, browsing.problems
        return page.url, elsewhere
    finally:
        context.close()


@pytest.fixture
def site_with_user(web_site: Any) -> Any:
    web_site.password = web_site.add_user("gita", "viewer")
    return web_site


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_next_keeps_the_browser_on_the_collector(
    browser: Any, site_with_user: Any, hostile: str
) -> None:
    site = site_with_user
    url, elsewhere = _log_in_from(browser, site, f"{site.url}/login?next={quote(hostile, safe='')}")
    assert url == f"{site.url}/", url
    assert elsewhere == []


def test_a_raw_backslash_next_in_the_address_bar(browser: Any, site_with_user: Any) -> None:
    site = site_with_user
    url, elsewhere = _log_in_from(browser, site, f"{site.url}/login?next=/\\evil.example/")
    assert url == f"{site.url}/", url
    assert elsewhere == []


def test_a_page_on_the_collector_is_where_the_login_goes(browser: Any, site_with_user: Any) -> None:
    site = site_with_user
    url, elsewhere = _log_in_from(browser, site, f"{site.url}/login?next={quote('/tickets')}")
    # the tickets page may write its own filters into the query once it has loaded
    where = urlsplit(url)
    assert f"{where.scheme}://{where.netloc}{where.path}" == f"{site.url}/tickets", url
    assert elsewhere == []


def test_a_throttled_login_says_how_long_to_wait(browser: Any, site_with_user: Any) -> None:
    site = site_with_user
    api = site.client()  # the same client address as the browser: 127.0.0.1
    failures = 0
    while failures < site.config.web.login_client_failures + 7:  # then a wait of 2 min
        body = {"username": f"nobody-{failures}", "password": "wrong-password"}
        r = api.post("/api/v1/login", json=body)
        if r.status_code == 429:
            site.clock.advance(int(r.headers["Retry-After"]))
        else:
            assert r.status_code == 401
            failures += 1
    context = browser.new_context()
    context.set_default_timeout(STEP_MS)
    browsing = Browsing(context, site.url)
    try:
        page = browsing.page()
        page.goto(f"{site.url}/login")
        page.fill("#username", "gita")
        page.fill("#password", site.password)
        page.click("#login-submit")
        from playwright.sync_api import expect

        expect(page.locator("#login-error")).to_have_text(
            re.compile(r"Too many failed attempts; try again in 1[0-2]\d s\.")
        )
        assert urlsplit(page.url).path == "/login"
    finally:
        context.close()
