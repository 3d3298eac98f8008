"""The incidents view in a real browser (headless Chromium against a real collector): a
cell outage raised while the page is open appears live as one incident; the filters by
operator and area; one incident with its TPS listed and on the map and its timeline; a
ticket (tickets page, site page) links to its incident; the export downloads; both
languages show every word translated (Indonesian titles in Indonesian)."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import CHROMIUM, STEP_MS, Browsing
from i18nkit import english_words
from test_browser_i18n import PAGE_WORDS, screenshot

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

_S = 1_000_000_000
TRI = "510-89"
#: The cell the outage takes down (evidence: the cell that served the sites last).
CELL = 4242


@pytest.fixture
def browsing(browser: Any, web_site: Any) -> Iterator[Callable[..., Browsing]]:
    """``browsing(lang, width)``: a fresh logged-in admin context; afterwards no page may
    have thrown or asked for an untranslated key."""
    opened: list[Browsing] = []

    def make(lang: str, width: int = 1400) -> Browsing:
        viewport = {"width": width, "height": 950}
        context = browser.new_context(viewport=viewport, accept_downloads=True)
        context.set_default_timeout(STEP_MS)
        b = Browsing(context, web_site.url, lang=lang)
        name = f"kominfo{len(opened)}"
        b.login(name, web_site.add_user(name, "admin"))
        opened.append(b)
        return b

    yield make
    for b in opened:
        b.context.close()
    problems = [p for b in opened for p in b.problems]
    assert not problems, problems


def cell_outage(web_site: Any) -> list[str]:
    """Three TPS of Bali served by one Tri cell lose service together: their codes."""
    sites = [s.code for s in web_site.seeded.sites if s.code.startswith("51")][:3]
    assert len(sites) == 3, [s.code for s in web_site.seeded.sites]
    now = time.time_ns()
    changes = [
        web_site.store.raise_problem(
            code, TRI, "NO_SERVICE", route="noc", first_bad_ns=now - (60 - i) * _S,
            last_bad_ns=now, evidence={"last_cell_id": CELL}, historical=False, now_ns=now,
            reopen_window_ns=0,
        )
        for i, code in enumerate(sites)
    ]  # fmt: skip

    async def tell() -> None:
        web_site.collector.web.hub.tickets_changed([c.ticket for c in changes])

    web_site.call(tell())
    return sites


#: Whether the list shows n incidents (a function: the page's policy allows no eval).
COUNT = "(n) => document.querySelectorAll('#incidents tr[data-incident]').length === n"


def rows(page: Any) -> list[dict[str, str]]:
    return page.eval_on_selector_all(
        "#incidents tbody tr[data-incident]", "(rs) => rs.map((r) => ({...r.dataset}))"
    )


def test_incidents_view_lists_filters_and_shows_one_incident_live(
    web_site: Any, browsing: Callable[..., Browsing], tmp_path: Path
) -> None:
    b = browsing("en")
    page = b.page()
    page.goto(f"{b.base}/incidents")
    page.wait_for_selector("body[data-loaded='1']")
    page.wait_for_selector("#live[data-state='live']")
    api = web_site.user("admin")
    listed = api.get("/api/v1/incidents").json()["incidents"]
    assert [int(r["incident"]) for r in rows(page)] == [i["id"] for i in listed]
    assert page.locator("nav a[aria-current='page']").inner_text() == "Incidents"

    # A tower goes down while the page is open: one cell incident appears by itself.
    sites = cell_outage(web_site)
    page.wait_for_selector("#incidents tr[data-kind='cell']")
    cell = next(i for i in api.get("/api/v1/incidents").json()["incidents"] if i["kind"] == "cell")
    assert cell["scope"]["cell"] == f"{TRI}:{CELL}" and cell["affected"] == 3
    row = page.locator(f"#incident-row-{cell['id']}")
    assert row.locator(".incident-title").inner_text() == cell["title"]
    assert row.locator("[data-field='affected']").inner_text() == "3"
    assert row.locator("time").get_attribute("title").endswith(" UTC")

    # Filters: by operator (the API) and by area (province, kabupaten).
    page.select_option("#f-operator", TRI)
    page.wait_for_function(COUNT, arg=1)
    page.select_option("#f-operator", "")
    province = sites[0][:2]
    page.select_option("#f-province", province)
    page.wait_for_function(
        "(id) => !!document.getElementById('incident-row-' + id)", arg=cell["id"]
    )
    wanted = [i["id"] for i in [*listed, cell] if i["scope"]["province"] == province]
    page.wait_for_function(COUNT, arg=len(wanted))
    page.fill("#f-kabupaten", "9999")
    page.click("#filters button[type='submit']")
    page.wait_for_function(COUNT, arg=0)
    assert page.locator("#incidents tbody").inner_text() == "No incidents match."
    page.fill("#f-kabupaten", "")
    page.select_option("#f-province", "")
    page.wait_for_selector(f"#incident-row-{cell['id']}")

    # One incident: its TPS listed and drawn on the map, its timeline.
    row.locator("a[data-open]").click()
    page.wait_for_selector(f"#detail[data-incident='{cell['id']}'][data-loaded='1']")
    assert page.locator("#detail-title").inner_text() == cell["title"]
    listed_sites = page.eval_on_selector_all(
        "#detail-sites li", "(ls) => ls.map((l) => l.dataset.site)"
    )
    assert sorted(listed_sites) == sorted(sites)
    events = page.eval_on_selector_all(
        "#detail-timeline li", "(ls) => ls.map((l) => [l.dataset.event, l.dataset.site])"
    )
    assert events[0] == ["opened", ""]
    assert [site for kind, site in events if kind == "joined"] == sites  # in the order they failed
    drawn = int(page.locator("#map-canvas").get_attribute("data-drawn") or "0")
    located = sum(
        1 for li in page.locator("#detail-sites li").all() if "no location" not in li.inner_text()
    )
    assert drawn == located
    screenshot(page, "incidents-en.png")

    # The export: the link downloads this account's incidents as CSV.
    with page.expect_download() as got:
        page.click("#export-csv")
    saved = tmp_path / "incidents.csv"
    got.value.save_as(saved)
    exported = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert cell["id"] in {int(r["id"]) for r in exported}
    assert page.get_attribute("#export-json", "href").endswith("format=json")

    # A ticket links to its incident: on the tickets page (its history) and its site page.
    ticket = api.get("/api/v1/tickets", params={"site": sites[0]}).json()["tickets"][0]
    page.goto(f"{b.base}/tickets?state=all&site={sites[0]}")
    page.wait_for_selector("body[data-loaded='1']")
    page.locator(f"#ticket-{ticket['id']} button[data-action='history']").click()
    link = page.locator(f"#history-{ticket['id']} a.incident-link")
    assert link.get_attribute("data-incident") == str(cell["id"])
    link.click()
    page.wait_for_selector(f"#detail[data-incident='{cell['id']}'][data-loaded='1']")
    assert page.url.endswith(f"/incidents#incident-{cell['id']}")
    page.goto(f"{b.base}/site/{sites[1]}")
    page.wait_for_selector(f"#site-tickets a.incident-link[data-incident='{cell['id']}']")


def test_incidents_view_in_both_languages_is_translated(
    web_site: Any, browsing: Callable[..., Browsing]
) -> None:
    cell_outage(web_site)
    api = web_site.user("admin")
    cell = next(i for i in api.get("/api/v1/incidents").json()["incidents"] if i["kind"] == "cell")
    words = {}
    for lang in ("id", "en"):
        b = browsing(lang)
        page = b.page()
        page.goto(f"{b.base}/incidents#incident-{cell['id']}")
        page.wait_for_selector(f"#detail[data-incident='{cell['id']}'][data-loaded='1']")
        page.wait_for_selector("#live[data-state='live']")
        words[lang] = page.evaluate(PAGE_WORDS)
        expected = cell["title_id"] if lang == "id" else cell["title"]
        assert page.locator("#detail-title").inner_text() == expected
        assert page.locator(f"#incident-row-{cell['id']} .incident-title").inner_text() == expected
        screenshot(page, f"incidents-{lang}.png")
        assert not b.problems, b.problems  # no untranslated key in this language
    assert english_words(words["id"]) == [], english_words(words["id"])
    assert (
        "Insiden" in words["id"] and "Kronologi" in words["id"] and "TPS terdampak" in words["id"]
    )
    assert "Incidents" in words["en"] and "Timeline" in words["en"]


def test_incidents_fit_a_phone(web_site: Any, browsing: Callable[..., Browsing]) -> None:
    cell_outage(web_site)
    b = browsing("id", 390)
    page = b.page()
    page.goto(f"{b.base}/incidents")
    page.wait_for_selector("#incidents tr[data-kind='cell'] td[data-label]")
    width = page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
    )
    assert width <= 390, width
    labels = page.eval_on_selector_all(
        "#incidents tbody tr[data-incident] td", "(c) => c.map((x) => x.dataset.label)"
    )
    assert labels and all(labels)
    screenshot(page, "incidents-phone.png")


def test_acknowledge_and_escalate_from_the_incidents_page(
    web_site: Any, browsing: Callable[..., Browsing]
) -> None:
    """An operator acknowledges an incident (who and when shown, in the TPS's zone),
    escalates it twice (one level a click), in Indonesian; a viewer sees no buttons."""
    cell_outage(web_site)
    api = web_site.user("admin")
    cell = next(i for i in api.get("/api/v1/incidents").json()["incidents"] if i["kind"] == "cell")
    b = browsing("id")
    page = b.page()
    page.goto(f"{b.base}/incidents#incident-{cell['id']}")
    page.wait_for_selector(f"#detail[data-incident='{cell['id']}'][data-loaded='1']")
    assert page.locator("#detail-acked").inner_text() == "belum ditangani"

    page.click("#detail-ack button[data-action='ack']")
    page.fill("#detail-ack textarea", "tim menuju menara")
    page.click("#detail-ack button[type='submit'][data-action='ack']")
    page.wait_for_selector("#detail-acked[data-acked-by]")
    who = page.locator("#detail-acked").get_attribute("data-acked-by")
    acked = api.get(f"/api/v1/incidents/{cell['id']}").json()
    assert acked["acked_by"] == who and acked["ack_note"] == "tim menuju menara"
    shown = page.locator("#detail-acked").inner_text()
    assert shown.startswith(f"ditangani oleh {who}") and shown.endswith("— tim menuju menara")
    stamp = page.locator("#detail-acked time")
    assert stamp.get_attribute("data-zone") == "WITA"  # Bali
    assert stamp.get_attribute("title").endswith(" UTC")
    assert page.locator("#detail-ack button[data-action='ack']").count() == 0  # done once
    page.wait_for_selector(f"#incident-row-{cell['id']} [data-acked-by='{who}']")

    for level in (1, 2):
        page.click("#detail-ack button[data-action='escalate']")
        page.click("#detail-ack button[type='submit'][data-action='escalate']")
        page.wait_for_selector(f"#detail-escalation[data-escalation='{level}']")
    page.wait_for_selector("#detail-timeline li[data-event='escalated']")
    timeline = page.eval_on_selector_all(
        "#detail-timeline li", "(ls) => ls.map((l) => l.dataset.event)"
    )
    assert timeline.count("escalated") == 2 and timeline.count("acknowledged") == 1
    after = api.get(f"/api/v1/incidents/{cell['id']}").json()
    assert (after["escalation"], after["acked_by"]) == (2, who)
    assert [e["action"] for e in after["events"]] == ["acknowledged", "escalated", "escalated"]
    page.wait_for_selector(f"#incident-row-{cell['id']} [data-escalation='2']")
    words = page.evaluate(PAGE_WORDS)
    assert english_words(words) == [], english_words(words)
    screenshot(page, "incidents-acked-id.png")

    viewer = browsing("en")
    name = "viewer-incidents"
    viewer.context.clear_cookies()
    viewer.login(name, web_site.add_user(name, "viewer"))
    look = viewer.page()
    look.goto(f"{viewer.base}/incidents#incident-{cell['id']}")
    look.wait_for_selector(f"#detail[data-incident='{cell['id']}'][data-loaded='1']")
    assert look.locator("#detail-acked").inner_text().startswith(f"acknowledged by {who}")
    assert look.locator("#detail-ack button").count() == 0
    look.wait_for_selector("#live[data-state='live']")
    assert api.post(f"/api/v1/incidents/{cell['id']}/escalate", json={}).status_code == 200
    look.wait_for_selector("#detail-escalation[data-escalation='3']")  # live, by itself
