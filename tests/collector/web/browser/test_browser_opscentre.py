"""The operations centre for election day in a real browser (headless Chromium): the
trouble list (sorting, live updates), search by code prefix and by name, the map's
clusters zoomed out and markers zoomed in with the province named on hover, the SINR
chart's empty message, the tickets page on a phone (390 px) and its export links; the
site page's charts drawing the 5-minute rollups over a day."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from browserkit import (
    CHROMIUM,
    STEP_MS,
    Browsing,
    assert_png,
    screenshot_dir,
)

from collector.web.seed import seed_sites, signal_record

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

_S = 1_000_000_000
TELKOMSEL, XL = "510-10", "510-11"


@pytest.fixture
def browsing(browser: Any, web_site: Any) -> Iterator[Callable[..., Browsing]]:
    """``browsing(width, height)``: a fresh context; afterwards no page may have thrown."""
    opened: list[Browsing] = []

    def make(width: int = 1400, height: int = 950) -> Browsing:
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(STEP_MS)
        b = Browsing(context, web_site.url)
        name = f"viewer{len(opened)}"
        b.login(name, web_site.add_user(name, "viewer"))
        opened.append(b)
        return b

    yield make
    for b in opened:
        b.context.close()
    problems = [p for b in opened for p in b.problems]
    assert not problems, problems


def raise_ticket(web_site: Any, code: str, operator: str, problem: str, age_s: int) -> int:
    now = time.time_ns()
    change = web_site.store.raise_problem(
        code, operator, problem, route="noc", first_bad_ns=now - age_s * _S, last_bad_ns=now,
        evidence={"why": "test"}, historical=False, now_ns=now, reopen_window_ns=0,
    )  # fmt: skip
    web_site.call(_tickets_changed(web_site, [change.ticket]))
    return int(change.ticket.id)


async def _tickets_changed(web_site: Any, tickets: list[Any]) -> None:
    web_site.collector.web.hub.tickets_changed(tickets)


def screenshot(page: Any, name: str) -> None:
    path = screenshot_dir() / name
    page.screenshot(path=str(path), full_page=True)
    assert_png(path)


def trouble_codes(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#trouble-table tbody tr", "(rows) => rows.map((r) => r.dataset.code)"
    )


def open_overview(b: Browsing, query: str = "") -> Any:
    page = b.page()
    page.goto(f"{b.base}/{query}")
    page.wait_for_selector("body[data-painted='1']")
    return page


def test_trouble_list_sorts_by_each_column_and_follows_the_live_stream(
    web_site: Any, browsing: Callable[..., Browsing]
) -> None:
    seeded = web_site.seeded
    in_trouble = {t.site_code for t in seeded.tickets}
    down = {t.site_code for t in seeded.tickets if t.problem == "NO_SERVICE"}
    page = open_overview(browsing())
    page.wait_for_function(
        "(n) => document.querySelector('#trouble').dataset.total === String(n)", arg=len(in_trouble)
    )
    codes = trouble_codes(page)
    assert set(codes) == in_trouble
    assert set(codes[: len(down)]) == down  # the worst first
    assert page.get_attribute("#trouble th[data-column='status']", "aria-sort") == "ascending"

    page.click("#trouble button[data-sort='site']")
    assert trouble_codes(page) == sorted(in_trouble)
    assert page.get_attribute("#trouble th[data-column='site']", "aria-sort") == "ascending"
    page.click("#trouble button[data-sort='site']")
    assert trouble_codes(page) == sorted(in_trouble, reverse=True)
    assert page.get_attribute("#trouble th[data-column='site']", "aria-sort") == "descending"
    page.click("#trouble button[data-sort='province']")
    provinces = page.eval_on_selector_all(
        "#trouble-table tbody tr td:nth-child(6)", "(c) => c.map((x) => x.textContent)"
    )
    assert provinces == sorted(provinces) and set(provinces) == {
        "DKI Jakarta",
        "Jawa Barat",
        "Bali",
    }
    page.click("#trouble button[data-sort='problem']")
    problems = page.eval_on_selector_all(
        "#trouble td[data-field='problem']", "(c) => c.map((x) => x.textContent)"
    )
    assert problems == sorted(problems)
    page.click("#trouble button[data-sort='since']")
    assert all(
        s.strip() not in ("", "-")
        for s in page.eval_on_selector_all(
            "#trouble td[data-field='since']", "(c) => c.map((x) => x.textContent)"
        )
    )

    # A site falls: it joins the list without a reload; it recovers: it leaves.
    ok_site = next(s for s in seeded.sites if s.code not in in_trouble)
    ticket_id = raise_ticket(web_site, ok_site.code, ok_site.operator, "NO_SERVICE", 120)
    row = page.locator(f"#trouble-table tr[data-code='{ok_site.code}'][data-status='down']")
    row.wait_for()
    assert "NO_SERVICE" in row.inner_text()
    change = web_site.store.resolve_ticket(ticket_id, actor="ops", note="", now_ns=time.time_ns())
    web_site.call(_tickets_changed(web_site, [change.ticket]))
    row.wait_for(state="detached")
    assert page.get_attribute("#trouble", "data-total") == str(len(in_trouble))


def test_search_by_code_prefix_and_by_name(
    web_site: Any, browsing: Callable[..., Browsing]
) -> None:
    seeded = web_site.seeded
    bali = [c for c in seeded.codes() if c.startswith("51")]
    page = open_overview(browsing())
    drawn = "(n) => document.querySelector('#map-canvas').dataset.drawn === String(n)"
    page.wait_for_function(drawn, arg=9)

    page.fill("#f-site", "Bali")
    page.press("#f-site", "Enter")
    page.wait_for_selector("#search-result [data-query='Bali'][data-count='3']")
    page.wait_for_function(drawn, arg=3)
    assert "q=Bali" in page.url
    assert set(page.evaluate("[...window.pantauMap.sites].map((r) => r.code)")) == set(bali)
    assert {c[:2] for c in trouble_codes(page)} <= {"51"}

    jakarta_prefix = seeded.codes(TELKOMSEL)[0][:4]
    page.fill("#f-site", jakarta_prefix)
    page.press("#f-site", "Enter")
    expected = [c for c in seeded.codes() if c.startswith(jakarta_prefix)]
    page.wait_for_selector(
        f"#search-result [data-query='{jakarta_prefix}'][data-count='{len(expected)}']"
    )
    page.wait_for_function(drawn, arg=len(expected))

    page.fill("#f-site", "XL")
    page.press("#f-site", "Enter")
    # The last answer also counted 3: wait for the one that answers "XL".
    page.wait_for_selector("#search-result [data-query='XL'][data-count='3']")
    assert set(page.evaluate("[...window.pantauMap.sites].map((r) => r.code)")) == set(
        seeded.codes(XL)
    )

    page.fill("#f-site", "Kota Denpasar")  # no kabupaten names: found nothing, no error page
    page.press("#f-site", "Enter")
    page.wait_for_selector("#search-result [data-query='Kota Denpasar'][data-count='0']")
    page.wait_for_function(drawn, arg=0)

    page.fill("#f-site", "3171011001005123")  # not a code: said so in the page
    page.press("#f-site", "Enter")
    page.wait_for_selector("#search-result.error-text [data-query='3171011001005123']")
    assert "13 digits" in page.inner_text("#search-result")
    assert page.url.startswith(f"{web_site.url}/")

    page.click("#search-clear")
    page.wait_for_function(drawn, arg=9)
    assert "q=" not in page.url

    # A search in the address (a shared link) is applied when the page opens.
    page = open_overview(browsing(), "?q=Jakarta")
    page.wait_for_selector("#search-result [data-query='Jakarta'][data-count='3']")
    page.wait_for_function(drawn, arg=3)


def test_map_clusters_zoomed_out_and_shows_markers_zoomed_in(
    web_site: Any, browsing: Callable[..., Browsing]
) -> None:
    # 600 more sites in 35 provinces (not those of the fixture's nine), 4 % of them down.
    provinces = [p for p in ("11", "12", "13", "14", "15", "16", "17", "18", "19", "21",
                             "33", "34", "35", "36", "52", "53", "61", "62", "63", "64",
                             "65", "71", "72", "73", "74", "75", "76", "81", "82", "91",
                             "92", "93", "94", "95", "96")]  # fmt: skip
    extra = seed_sites(web_site.store, 600, provinces=provinces, history=1, seed=7)
    down = extra[::25]
    for site in down:
        raise_ticket(web_site, site.code, site.operator, "NO_SERVICE", 300)
    web_site.notify([s.code for s in extra])
    page = open_overview(browsing())
    page.wait_for_function("() => window.pantauSites.size === 609")
    page.wait_for_function(
        "() => document.querySelector('#map-canvas').dataset.mode === 'clusters'"
    )
    canvas = page.locator("#map-canvas")
    clusters = int(canvas.get_attribute("data-clusters") or 0)
    clustered = int(canvas.get_attribute("data-clustered") or 0)
    markers = int(canvas.get_attribute("data-drawn") or 0)
    assert clusters > 0 and clustered + markers == 609 and clusters < 609 / 2
    shares = page.evaluate(
        """() => window.pantauMap.clusters.map((c) => ({n: c.n, down: c.counts.down,
              sum: Object.values(c.counts).reduce((a, b) => a + b, 0)}))"""
    )
    assert all(s["sum"] == s["n"] for s in shares)
    assert sum(s["down"] for s in shares) + page.evaluate(
        "window.pantauMap.drawn.filter((x, i) => i % 3 === 2 && x.status === 'down').length"
    ) == len(down) + sum(t.problem == "NO_SERVICE" for t in web_site.seeded.tickets)
    # A cluster with a down site shows it as its share, not as a red cluster.
    assert any(0 < s["down"] < s["n"] for s in shares)
    screenshot(page, "overview-clusters.png")

    # Clicking a cluster zooms into it.
    zoom = page.evaluate("window.pantauMap.zoom")
    first = page.evaluate(
        """() => { const c = window.pantauMap.clusters[0];
                   const r = window.pantauMap.canvas.getBoundingClientRect();
                   return [r.left + c.x, r.top + c.y]; }"""
    )
    page.mouse.click(first[0], first[1])
    page.wait_for_function("(z) => window.pantauMap.zoom > z", arg=zoom)

    # Zoomed in (fewer sites on screen), every site is its own marker.
    page.evaluate("window.pantauMap.focusProvince('34')")
    page.wait_for_function("() => document.querySelector('#map-canvas').dataset.mode === 'markers'")
    assert (
        canvas.get_attribute("data-clusters") == "0"
        and int(canvas.get_attribute("data-drawn") or 0) > 0
    )

    # The province under the pointer is named.
    page.evaluate("window.pantauMap.reset()")
    bali = next(c for c in web_site.seeded.codes() if c.startswith("51"))
    pos = page.evaluate(
        "(code) => window.pantauMap.screenPosition(window.pantauSites.get(code))", bali
    )
    page.mouse.move(pos["x"], pos["y"])
    page.wait_for_selector("#map-hover:not(.hidden)")
    assert page.get_attribute("#map-hover", "data-province") == "51"
    assert "Bali" in page.inner_text("#map-hover")


def test_the_sinr_chart_says_no_measurements_when_the_modem_reports_none(
    web_site: Any, browsing: Callable[..., Browsing]
) -> None:
    code = "5171011001099"
    now = time.time_ns()
    records = []
    for seq in (1, 2):
        record = signal_record(
            seq, now - (3 - seq) * 60 * _S, mcc="510", mnc="10", name="T", rsrp=-95, cell_id=7
        )
        record.signal.ClearField("sinr_db")
        records.append(record)
    web_site.ingest(code, records)
    page = browsing().page()
    page.goto(f"{web_site.url}/site/{code}")
    page.wait_for_selector("body[data-loaded='1']")
    page.wait_for_function(
        "() => document.querySelector('#chart-sinr canvas').dataset.points === '2'"
    )
    assert page.get_attribute("#chart-sinr canvas", "data-empty") == "1"
    assert page.get_attribute("#chart-rsrp canvas", "data-empty") == "0"


def test_tickets_fit_a_phone_and_link_the_exports(
    web_site: Any, browsing: Callable[..., Browsing]
) -> None:
    b = browsing(390, 844)
    page = b.page()
    page.goto(f"{b.base}/tickets")
    page.wait_for_selector("body[data-loaded='1']")
    page.wait_for_selector("#tickets tbody tr[data-ticket] td[data-label]")
    assert page.locator("#tickets tbody tr[data-ticket]").count() == 6
    width = page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
    )
    assert width <= 390, width
    # Each card says what each value is.
    labels = page.eval_on_selector_all(
        "#tickets tbody tr[data-ticket] td", "(c) => c.map((x) => x.dataset.label)"
    )
    assert all(labels)
    screenshot(page, "tickets-phone.png")
    # The exports follow the page's filters and download what they say.
    page.select_option("#f-operator", TELKOMSEL)
    page.focus("#export-tickets-csv")
    href = page.get_attribute("#export-tickets-csv", "href") or ""
    assert (
        href.startswith("/api/v1/tickets/export?")
        and "operator=510-10" in href
        and "since=" in href
    )
    response = b.context.request.get(f"{b.base}{href}")
    assert response.ok and response.headers["content-type"].startswith("text/csv")
    assert response.text().startswith("id,site_code,province,")
    page.focus("#uptime-province-json")
    href = page.get_attribute("#uptime-province-json", "href") or ""
    response = b.context.request.get(f"{b.base}{href}")
    assert response.ok and response.json()["by"] == "province"


def test_the_site_pages_charts_draw_the_rollups_over_a_day(
    web_site: Any, browsing: Callable[[], Browsing]
) -> None:
    """Rollups covering the whole window (as if kept all along): the charts draw the
    5-minute buckets, and only the newest readings are listed from the records."""
    db = sqlite3.connect(web_site.store.path)
    db.execute("UPDATE rollups_start SET since_ns = 0")
    db.commit()
    db.close()
    site = web_site.seeded.sites[0]
    b = browsing()
    page = b.page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{b.base}/site/{site.code}")
    page.wait_for_selector("body[data-loaded='1']")
    assert any(f"/api/v1/sites/{site.code}/rollups?hours=24" in url for url in asked)
    assert any("kind=signal&hours=24&limit=15" in url for url in asked)
    points = {
        name: int(page.get_attribute(f"#chart-{name} canvas", "data-points") or 0)
        for name in ("rsrp", "latency")
    }
    assert points == {"rsrp": 6, "latency": 6}  # one reading a bucket, every 10 minutes
    # An hour: the readings themselves, every one of them.
    with page.expect_request(lambda r: r.url.endswith("kind=signal&hours=1")):
        page.select_option("#hours", "1")
    assert not any("rollups?hours=1" in url for url in asked)
