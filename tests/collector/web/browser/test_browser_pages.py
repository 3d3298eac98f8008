"""The operations centre in a real browser (headless Chromium, Playwright's sync API)
against a real collector: the map puts every site inside its province in its status
colour, acknowledging in the page changes the API, a new reading reaches an open page
without a reload, an operator account sees only its own network and keeps its site on
the map while the site is down (its modem searching: no network in the latest reading)."""

from __future__ import annotations

import math
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

from collector.web.seed import ping_record, seed_sites, signal_record
from pantau.v1 import records_pb2

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

_S = 1_000_000_000
TELKOMSEL, INDOSAT, XL = "510-10", "510-01", "510-11"
#: The page's status colours (static/js/api.js), as RGB.
COLOURS = {
    "ok": (0x1E, 0x9E, 0x4A),
    "degraded": (0xE0, 0x9B, 0x00),
    "down": (0xD6, 0x28, 0x28),
    "silent": (0x8A, 0x8F, 0x96),
    "sms": (0x7B, 0x3F, 0xBF),
}
#: Draw order: a worse status is drawn over a better one.
RANK = {"ok": 0, "silent": 1, "sms": 2, "degraded": 3, "down": 4}


@pytest.fixture
def browsing(browser: Any, web_site: Any) -> Iterator[Callable[[], Browsing]]:
    """``browsing()``: a fresh browser context on ``web_site``. After the test, no page
    may have thrown or broken the content security policy."""
    opened: list[Browsing] = []

    def make() -> Browsing:
        context = browser.new_context(viewport={"width": 1400, "height": 950})
        context.set_default_timeout(STEP_MS)
        b = Browsing(context, web_site.url)
        opened.append(b)
        return b

    yield make
    for b in opened:
        b.context.close()
    problems = [p for b in opened for p in b.problems]
    assert not problems, problems


def raise_ticket(web_site: Any, code: str, operator: str, problem: str) -> None:
    now = time.time_ns()
    web_site.store.raise_problem(
        code, operator, problem, route="noc", first_bad_ns=now - 60 * _S, last_bad_ns=now,
        evidence={"why": "test"}, historical=False, now_ns=now, reopen_window_ns=0,
    )  # fmt: skip


def screenshot(page: Any, name: str, **kwargs: Any) -> None:
    path = screenshot_dir() / name
    page.screenshot(path=str(path), **kwargs)
    assert_png(path)


# JS: for each site code, where its dot is, whether that point is inside the outline of
# the site's province (SVGGeometryElement.isPointInFill in the path's own coordinates),
# which other outlines contain it, and the canvas pixel under the dot's centre. Read
# right after a draw (in the same task): a resize clears the canvas until the next one.
PROBE_DOTS = """(codes) => new Promise((done) => window.pantauMap.requestDraw(() => {
  const map = window.pantauMap;
  const dpr = window.devicePixelRatio || 1;
  const ctx = map.canvas.getContext('2d');
  const paths = [...document.querySelectorAll('#map-svg path.province')];
  const contains = (path, x, y) => {
    const point = new DOMPoint(x, y).matrixTransform(path.getScreenCTM().inverse());
    return path.isPointInFill(point);
  };
  done(codes.map((code) => {
    const row = window.pantauSites.get(code);
    const pos = map.screenPosition(row);
    const pixel = ctx.getImageData(Math.floor(pos.local[0] * dpr), Math.floor(pos.local[1] * dpr), 1, 1).data;
    return {
      code,
      status: row.status,
      x: pos.local[0],
      y: pos.local[1],
      provinces: paths.filter((p) => contains(p, pos.x, pos.y)).map((p) => p.dataset.code),
      stacked: document.elementsFromPoint(pos.x, pos.y).map((e) => e.id || e.tagName),
      pixel: [pixel[0], pixel[1], pixel[2], pixel[3]],
      radius: map.dotRadius(),
    };
  }));
}))"""


# JS: whether the map's last draw showed exactly these sites (sorted codes).
DREW = """(codes) => {
  const drawn = window.pantauMap.drawn;
  const shown = [];
  for (let i = 2; i < drawn.length; i += 3) shown.push(drawn[i].code);
  return shown.sort().join() === codes.join();
}"""


def expected_colour(dot: dict[str, Any], dots: list[dict[str, Any]]) -> tuple[int, int, int] | None:
    """The colour the centre of ``dot`` must have: that of the worst status among the
    dots covering it; None when another colour's dot edge (anti-aliased) touches it."""
    r = dot["radius"]
    covering = [dot]
    for other in dots:
        if other is dot:
            continue
        d = math.dist((dot["x"], dot["y"]), (other["x"], other["y"]))
        if d <= r - 1.5:
            covering.append(other)
        elif d <= r + 2.5 and COLOURS[other["status"]] != COLOURS[dot["status"]]:
            return None
    return COLOURS[max(covering, key=lambda o: RANK[o["status"]])["status"]]


def test_map_shows_every_site_inside_its_province_in_its_status_colour(
    web_site: Any, browsing: Callable[[], Browsing]
) -> None:
    # A demo-like spread: the fixture's nine sites (Jakarta, Jawa Barat, Bali) and ten
    # more in Aceh, Nusa Tenggara Timur, Kalimantan Timur and two of the new Papua
    # provinces (whose outlines carry other codes in the shipped file), some placed by
    # their GNSS fix; one silent, one more down, one heard last by SMS (data down, kit alive).
    extra = seed_sites(
        web_site.store, 10, provinces=("11", "53", "64", "94", "96"), seed=7, gnss_every=3
    )
    raise_ticket(web_site, extra[0].code, extra[0].operator, "AGENT_SILENT")
    raise_ticket(web_site, extra[1].code, extra[1].operator, "NO_COVERAGE")
    assert web_site.store.accept_sms("kit-sms", extra[2].code, 1, time.time_ns(), "{}")
    web_site.notify([s.code for s in extra])
    # and a kit in Denpasar reporting its GNSS fix, through the real gRPC ingest
    denpasar = "5171011001009"
    fix = signal_record(
        1, time.time_ns(), mcc="510", mnc="10", name="Telkomsel", rsrp=-85.0, cell_id=77,
        lat=-8.6705, lon=115.2126,
    )  # fmt: skip
    assert web_site.ingest(denpasar, [fix]).through_seq == 1
    password = web_site.add_user("noc-lead", "admin")
    api = web_site.login("noc-lead", password)
    expected = {r[0]: r for r in api.get("/api/v1/map").json()["rows"]}
    assert len(expected) == 20
    assert expected[denpasar][1:3] == [-8.6705, 115.2126]
    assert {r[3] for r in expected.values()} == set(COLOURS), "every status on the map"
    assert len({r[5] for r in expected.values()}) == 8

    b = browsing()
    page = b.page()
    page.goto(f"{b.base}/")
    page.wait_for_url("**/login")
    page.fill("#username", "noc-lead")
    page.fill("#password", "not the password")
    page.click("#login-submit")
    page.wait_for_selector("#login-error:has-text('Wrong username or password')")
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_url(f"{b.base}/")
    page.wait_for_selector("body[data-painted='1']")
    assert page.evaluate("window.pantauFirstPaint") > 0
    assert page.inner_text("#who-name") == "noc-lead"
    assert page.inner_text("#who-role") == "admin"
    assert "Province outlines: denyherianto, CC BY 4.0" in page.inner_text(".attribution")
    statuses = {code: r[3] for code, r in expected.items()}
    page.wait_for_function(
        """(want) => Object.entries(want).every(([c, s]) => window.pantauSites.get(c)?.status === s)
                    && window.pantauSites.size === Object.keys(want).length""",
        arg=statuses,
    )
    assert page.get_attribute("#map-canvas", "data-drawn") == "20"
    assert page.locator("#map-svg path.province").count() == 38
    screenshot(page, "dashboard.png")

    # Province by province (zoomed to it, so that neighbours do not overlap).
    provinces = sorted({r[5] for r in expected.values()})
    for province in provinces:
        codes = sorted(c for c, r in expected.items() if r[5] == province)
        page.select_option("#f-province", province)
        page.wait_for_function(DREW, arg=codes)  # the province's sites, not the last one's
        dots = page.evaluate(PROBE_DOTS, codes)
        for dot in dots:
            assert dot["provinces"] == [province], (dot, "not inside its own province alone")
            assert dot["stacked"][:2] == ["map-canvas", "path"], dot
            want = expected_colour(dot, dots)
            assert want is not None, ("dots too close to tell apart", dot)
            got = tuple(dot["pixel"][:3])
            assert dot["pixel"][3] == 255, dot
            assert all(abs(g - w) <= 6 for g, w in zip(got, want, strict=True)), (
                dot["code"], dot["status"], got, want,
            )  # fmt: skip
        if province == "94":
            screenshot(page, "map-papua-tengah.png")
    page.select_option("#f-province", "")
    page.wait_for_function("() => document.querySelector('#map-canvas').dataset.drawn === '20'")


def test_dashboard_popup_filters_and_exports(
    web_site: Any, browsing: Callable[[], Browsing]
) -> None:
    b = browsing()
    name = "noc-viewer"
    b.login(name, web_site.add_user(name, "viewer"))
    page = b.page()
    page.goto(f"{b.base}/")
    page.wait_for_selector("body[data-painted='1']")
    down = next(t for t in web_site.seeded.tickets if t.problem == "NO_SERVICE")
    page.select_option("#f-status", "down")
    page.wait_for_function("() => document.querySelector('#map-canvas').dataset.drawn === '2'")
    assert "status=down" in page.url
    # click the dot of the down site
    position = page.evaluate(
        "(code) => window.pantauMap.screenPosition(window.pantauSites.get(code))", down.site_code
    )
    page.mouse.click(position["x"], position["y"])
    popup = page.locator("#site-popup")
    popup.wait_for()
    assert down.site_code in popup.inner_text()
    assert popup.locator("[data-field='status']").inner_text() == "down"
    assert "NO_SERVICE" in popup.locator("[data-field='problems']").inner_text()
    link = popup.locator("#popup-link")
    assert link.get_attribute("href") == f"/site/{down.site_code}"
    screenshot(page, "dashboard-popup.png")
    page.keyboard.press("Escape")
    popup.wait_for(state="detached")

    page.select_option("#f-status", "")
    page.select_option("#f-operator", XL)
    page.wait_for_function("() => document.querySelector('#map-canvas').dataset.drawn === '3'")
    assert (
        page.get_attribute("#export-csv", "href") == "/api/v1/coverage?operator=510-11&format=csv"
    )
    page.select_option("#f-province", "51")
    geojson = page.get_attribute("#export-geojson", "href")
    assert geojson == "/api/v1/coverage?operator=510-11&province=51&format=geojson"
    response = page.request.get(f"{b.base}{geojson}")
    assert response.ok and response.json()["type"] == "FeatureCollection"
    # the province table counts the sites of the filtered operator
    row = page.locator("#province-table tbody tr[data-province='51']")
    xl_in_bali = [c for c in web_site.seeded.codes(XL) if c.startswith("51")]
    assert row.locator("td").last.inner_text() == str(len(xl_in_bali))
    # zoom buttons change the view; the dots follow the outlines
    before = page.evaluate("window.pantauMap.zoom")
    page.click("#zoom-in")
    assert page.evaluate("window.pantauMap.zoom") > before


def test_acknowledging_in_the_page_changes_the_ticket_in_the_api(
    web_site: Any, browsing: Callable[[], Browsing]
) -> None:
    name = "duty-operator"
    password = web_site.add_user(name, "operator")
    api = web_site.login(name, password)
    b = browsing()
    b.login(name, password)
    page = b.page()
    ticket = web_site.seeded.tickets[0]
    page.goto(f"{b.base}/tickets")
    page.wait_for_selector("body[data-loaded='1']")
    row = page.locator(f"#ticket-{ticket.id}")
    assert row.get_attribute("data-state") == "open"
    row.locator("button[data-action='ack']").click()
    note = "Telkomsel NOC informed, ref TSEL-4411"
    row.locator("textarea").fill(note)
    row.locator("form button[type='submit']").click()
    page.wait_for_selector(f"#ticket-{ticket.id}[data-state='acknowledged']")

    body = api.get(f"/api/v1/tickets/{ticket.id}").json()
    assert body["state"] == "acknowledged"
    acks = [e for e in body["events"] if e["action"] == "acknowledged"]
    assert acks and acks[-1]["note"] == note and acks[-1]["actor"] == name

    # its history, in the page
    page.locator(f"#ticket-{ticket.id} button[data-action='history']").click()
    history = page.locator(f"#history-{ticket.id}")
    history.locator("li[data-action='acknowledged']").wait_for()
    assert note in history.inner_text()
    screenshot(page, "tickets.png", full_page=True)

    # resolving from the site page, the same way
    other = web_site.seeded.tickets[1]
    page.goto(f"{b.base}/site/{other.site_code}")
    page.wait_for_selector("body[data-loaded='1']")
    row = page.locator(f"#site-tickets tr[data-ticket='{other.id}']")
    row.locator("button[data-action='resolve']").click()
    row.locator("textarea").fill("modem replaced by the field team")
    row.locator("form button[type='submit']").click()
    page.wait_for_selector(f"#site-tickets tr[data-ticket='{other.id}'][data-state='resolved']")
    body = api.get(f"/api/v1/tickets/{other.id}").json()
    assert body["state"] == "resolved"
    assert body["events"][-1]["note"] == "modem replaced by the field team"

    # a viewer gets no buttons
    viewer = browsing()
    viewer.login("watcher", web_site.add_user("watcher", "viewer"))
    page = viewer.page()
    page.goto(f"{viewer.base}/tickets?state=all")
    page.wait_for_selector("body[data-loaded='1']")
    assert page.locator("#tickets tbody tr[data-ticket]").count() == 6
    assert page.locator("button[data-action='ack'], button[data-action='resolve']").count() == 0


def test_a_new_reading_appears_on_the_open_site_page_without_reload(
    web_site: Any, browsing: Callable[[], Browsing]
) -> None:
    site = web_site.seeded.sites[0]
    mcc, mnc = site.operator.split("-")
    b = browsing()
    b.login("viewer", web_site.add_user("viewer", "viewer"))
    page = b.page()
    page.goto(f"{b.base}/site/{site.code}")
    page.wait_for_selector("body[data-loaded='1']")
    # subscribed: the stream's hello has arrived
    page.wait_for_selector("#last-update:not(:empty)")
    assert page.get_attribute("#live", "data-state") == "live"
    before = {
        name: int(page.get_attribute(f"#chart-{name} canvas", "data-points") or 0)
        for name in ("rsrp", "latency")
    }
    assert before == {"rsrp": 6, "latency": 6}
    page.evaluate("window.pantauMarker = 'still the same page'")

    now = time.time_ns()
    records = [
        signal_record(1, now, mcc=mcc, mnc=mnc, name="Test", rsrp=-66.6, cell_id=424242),
        ping_record(2, now + 1_000_000, rtts=[11.1, 12.2, None, 13.3]),
    ]
    ack = web_site.ingest(site.code, records)
    assert ack.through_seq == 2

    page.locator("#readings li[data-kind='signal']", has_text="RSRP -67 dBm").wait_for()
    page.locator("#readings li[data-kind='ping']", has_text="median 12.2 ms").wait_for()
    page.wait_for_function(
        """() => document.querySelector('#chart-rsrp canvas').dataset.points === '7'
                 && document.querySelector('#chart-latency canvas').dataset.points === '7'"""
    )
    assert page.inner_text("[data-field='rsrp']") == "-67 dBm"
    assert page.inner_text("[data-field='cell']") == "424242"
    # the new cell is a change, listed at once (the seeded history's cell was another)
    change = page.locator("#site-events tbody tr").first
    assert "cell" in change.inner_text() and "→ 424242" in change.inner_text()
    assert page.evaluate("window.pantauMarker") == "still the same page"
    screenshot(page, "site.png", full_page=True)


def test_an_operator_account_sees_only_its_own_networks_tickets(
    web_site: Any, browsing: Callable[[], Browsing]
) -> None:
    name = "tsel-noc"
    password = web_site.add_user(name, "operator", TELKOMSEL)
    api = web_site.login(name, password)
    mine = {t.id for t in web_site.seeded.tickets if t.operator == TELKOMSEL}
    theirs = {t.id for t in web_site.seeded.tickets if t.operator != TELKOMSEL}
    assert mine and theirs

    # the API: a list of its own, and another network's ticket does not exist
    listed = {
        t["id"] for t in api.get("/api/v1/tickets", params={"state": "all"}).json()["tickets"]
    }
    assert listed == mine
    for ticket_id in theirs:
        assert api.get(f"/api/v1/tickets/{ticket_id}").status_code == 404

    # the page: the same list, nothing else, even when asked for all
    b = browsing()
    b.login(name, password)
    page = b.page()
    other = min(theirs)
    page.goto(f"{b.base}/tickets?state=all#ticket-{other}")
    page.wait_for_selector("body[data-loaded='1']")
    shown = {
        int(x) for x in page.eval_on_selector_all("#tickets tbody tr[data-ticket]",
                                                  "(rows) => rows.map((r) => r.dataset.ticket)")
    }  # fmt: skip
    assert shown == mine
    assert page.locator(f"#ticket-{other}").count() == 0
    assert "Telkomsel" in page.inner_text("#who-scope")
    assert page.is_disabled("#f-operator")

    # and the map: its own sites only
    page.goto(f"{b.base}/")
    page.wait_for_selector("body[data-painted='1']")
    codes = page.evaluate("[...window.pantauSites.keys()].sort()")
    assert codes == web_site.seeded.codes(TELKOMSEL)
    # another network's site page says it is not there
    foreign = web_site.seeded.codes(XL)[0]
    page.goto(f"{b.base}/site/{foreign}")
    page.locator("#summary", has_text="not visible to your account").wait_for()
    page.wait_for_selector("#live[data-state='offline']")  # no stream for it either


def test_a_ticket_changed_meanwhile_is_a_clear_conflict_in_the_page(
    web_site: Any, browsing: Callable[[], Browsing]
) -> None:
    password = web_site.add_user("night-shift", "operator")
    b = browsing()
    b.login("night-shift", password)
    page = b.page()
    ticket = web_site.seeded.tickets[2]
    page.goto(f"{b.base}/tickets")
    page.wait_for_selector("body[data-loaded='1']")
    row = page.locator(f"#ticket-{ticket.id}")
    row.locator("button[data-action='ack']").click()
    row.locator("textarea").fill("looking into it")
    # meanwhile a colleague resolves it
    colleague = web_site.user("operator")
    assert colleague.post(f"/api/v1/tickets/{ticket.id}/resolve", json={"note": "fixed"}).ok
    row.locator("form button[type='submit']").click()
    alert = page.locator(".message[role='alert']")
    alert.wait_for()
    assert "Not possible in the ticket's current state" in alert.inner_text()
    page.wait_for_selector(f"#ticket-{ticket.id}[data-state='resolved']")
    history = colleague.get(f"/api/v1/tickets/{ticket.id}").json()["events"]
    assert [e["action"] for e in history][-1] == "resolved"
    assert all(e["note"] != "looking into it" for e in history)


SCOPED_CODE = "3171011001005"
STATUS_OF = "(code) => window.pantauSites.get(code)?.status ?? 'absent'"


def test_a_scoped_operators_site_stays_on_its_map_while_down(
    web_site: Any, browsing: Callable[[], Browsing]
) -> None:
    name = "xl-noc"
    password = web_site.add_user(name, "operator", XL)
    token = web_site.enroll(SCOPED_CODE)
    now = time.time_ns()
    reading = signal_record(1, now - 120 * _S, mcc="510", mnc="11", name="XL", rsrp=-95,
                            cell_id=7)  # fmt: skip
    web_site.ingest(SCOPED_CODE, [reading], token=token)
    web_site.notify([SCOPED_CODE])

    b = browsing()
    b.login(name, password)
    page = b.page()
    page.goto(f"{b.base}/")
    page.wait_for_selector("body[data-painted='1']")
    mine = sorted([*web_site.seeded.codes(XL), SCOPED_CODE])
    assert page.evaluate("[...window.pantauSites.keys()].sort()") == mine
    assert page.evaluate(STATUS_OF, SCOPED_CODE) == "ok"

    # The modem loses service: it searches (no operator), and NO_SERVICE opens.
    searching = signal_record(2, now - 60 * _S, mcc="510", mnc="11", name="", rsrp=-95, cell_id=7)
    for field in ("mcc", "mnc", "operator_name", "cell_id", "rsrp_dbm", "rsrq_db", "sinr_db"):
        searching.signal.ClearField(field)
    searching.signal.reg_state = records_pb2.REG_STATE_SEARCHING
    web_site.ingest(SCOPED_CODE, [searching], token=token)
    web_site.store.raise_problem(
        SCOPED_CODE, XL, "NO_SERVICE", route="noc", first_bad_ns=now - 60 * _S, last_bad_ns=now,
        evidence={"why": "searching"}, historical=False, now_ns=now, reopen_window_ns=0,
    )  # fmt: skip
    web_site.notify([SCOPED_CODE])
    page.wait_for_function(f"() => ({STATUS_OF})('{SCOPED_CODE}') === 'down'")  # live, no reload
    assert page.evaluate("[...window.pantauSites.keys()].sort()") == mine

    # Filtered to its own network, the searching site is still drawn.
    page.select_option("#f-operator", XL)
    drawn = len(mine)
    page.wait_for_function(
        f"() => document.querySelector('#map-canvas').dataset.drawn === '{drawn}'"
    )
    # After a reload (the map from the API, not the stream) it is there, red.
    page.goto(f"{b.base}/")
    page.wait_for_selector("body[data-painted='1']")
    assert page.evaluate(STATUS_OF, SCOPED_CODE) == "down"
    page.goto(f"{b.base}/site/{SCOPED_CODE}")
    page.wait_for_selector("body[data-loaded='1']")
    assert "not visible" not in page.inner_text("#summary")
