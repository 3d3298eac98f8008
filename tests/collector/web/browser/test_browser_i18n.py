"""The operations centre in Bahasa Indonesia and English (headless Chromium against a
real collector): every page, in both languages, asks for no key its tables lack (t()
logs "untranslated key", which fails the test) and, in Indonesian, shows none of a
list of English words; times show in the site's zone (WITA for a Bali site) with UTC
on hover; the language switch is remembered across reloads; numbers and dates follow
the language (id-ID, en-GB)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from browserkit import (
    CHROMIUM,
    STEP_MS,
    Browsing,
    assert_png,
    screenshot_dir,
)
from i18nkit import english_words

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

#: Every visible word of a page: its text, title and the attributes people read.
PAGE_WORDS = """() => [
  document.title,
  document.body.innerText,
  ...[...document.querySelectorAll('[title], [aria-label], [placeholder]')].flatMap((e) =>
    [e.getAttribute('title'), e.getAttribute('aria-label'), e.getAttribute('placeholder')]),
].filter(Boolean).join('\\n')"""
#: "4 Des 2026 14:05:07 WITA": a date in id-ID's short months and a 24-hour clock.
ID_MONTHS = "Jan|Feb|Mar|Apr|Mei|Jun|Jul|Agu|Sep|Okt|Nov|Des"
EN_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
UTC_TITLE = re.compile(r"^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) UTC$")


@pytest.fixture
def browsing(browser: Any, web_site: Any) -> Iterator[Callable[[str | None], Browsing]]:
    """``browsing(lang)``: a fresh browser context whose pages start in ``lang`` (None:
    the pages' own choice). After the test no page may have thrown, broken the content
    security policy or asked for an untranslated key."""
    opened: list[Browsing] = []

    def make(lang: str | None) -> Browsing:
        context = browser.new_context(viewport={"width": 1400, "height": 950})
        context.set_default_timeout(STEP_MS)
        b = Browsing(context, web_site.url, lang=lang)
        opened.append(b)
        return b

    yield make
    for b in opened:
        b.context.close()
    problems = [p for b in opened for p in b.problems]
    assert not problems, problems


def bali_ticket(web_site: Any) -> Any:
    return next(t for t in web_site.seeded.tickets if t.site_code.startswith("51"))


def jakarta_ticket(web_site: Any) -> Any:
    return next(t for t in web_site.seeded.tickets if t.site_code.startswith("31"))


def screenshot(page: Any, name: str) -> None:
    path = screenshot_dir() / name
    page.screenshot(path=str(path), full_page=True)
    assert_png(path)


def walk(page: Any, base: str, web_site: Any, lang: str) -> dict[str, str]:
    """Every page with its parts opened (popup, history, note form): page -> words."""
    seen: dict[str, str] = {}
    page.goto(f"{base}/")
    page.wait_for_selector("body[data-painted='1']")
    page.wait_for_selector("#live[data-state='live']")
    code = bali_ticket(web_site).site_code
    position = page.evaluate(
        "(code) => window.pantauMap.screenPosition(window.pantauSites.get(code))", code
    )
    page.mouse.click(position["x"], position["y"])
    page.locator("#site-popup").wait_for()
    seen["map"] = page.evaluate(PAGE_WORDS)
    screenshot(page, f"dashboard-{lang}.png")

    ticket = bali_ticket(web_site)
    page.goto(f"{base}/tickets?state=all")
    page.wait_for_selector("body[data-loaded='1']")
    row = page.locator(f"#ticket-{ticket.id}")
    row.locator("button[data-action='history']").click()
    page.locator(f"#history-{ticket.id} li[data-action]").first.wait_for()
    row.locator("button[data-action='ack']").click()
    seen["tickets"] = page.evaluate(PAGE_WORDS)
    screenshot(page, f"tickets-{lang}.png")

    page.goto(f"{base}/site/{code}")
    page.wait_for_selector("body[data-loaded='1']")
    page.locator(
        f"#site-tickets tr[data-ticket='{ticket.id}'] button[data-action='resolve']"
    ).click()
    seen["site"] = page.evaluate(PAGE_WORDS)
    screenshot(page, f"site-{lang}.png")
    return seen


def test_every_page_in_both_languages_is_translated(
    web_site: Any, browsing: Callable[[str | None], Browsing]
) -> None:
    name = "pengawas"
    password = web_site.add_user(name, "admin")
    words: dict[str, dict[str, str]] = {}
    for lang in ("id", "en"):
        b = browsing(lang)
        page = b.page()
        page.goto(f"{b.base}/login")
        page.fill("#username", name)
        page.fill("#password", "not the password")
        page.click("#login-submit")
        page.wait_for_selector("#login-error:not(:empty)")
        words[lang] = {"login": page.evaluate(PAGE_WORDS)}
        assert page.evaluate("document.documentElement.lang") == lang
        b.login(name, password)
        words[lang] |= walk(page, b.base, web_site, lang)
        assert not b.problems, b.problems  # no untranslated key in this language

    for where, text in words["id"].items():
        assert english_words(text) == [], (where, english_words(text))
    assert "Nama pengguna atau kata sandi salah" in words["id"]["login"]
    assert "Wrong username or password" in words["en"]["login"]
    for where in ("map", "tickets", "site"):
        assert "Peta" in words["id"][where] and "Keluar" in words["id"][where]
        assert "Map" in words["en"][where] and "Log out" in words["en"][where]
    assert "terputus" in words["id"]["map"] and "Cari TPS" in words["id"]["map"]
    assert "Terakhir melapor" in words["id"]["site"] and "Last heard" in words["en"]["site"]


def test_times_show_in_the_sites_zone_with_utc_on_hover(
    web_site: Any, browsing: Callable[[str | None], Browsing]
) -> None:
    b = browsing("id")
    b.login("noc", web_site.add_user("noc", "viewer"))
    page = b.page()
    bali, jakarta = bali_ticket(web_site), jakarta_ticket(web_site)
    page.goto(f"{b.base}/tickets?state=all")
    page.wait_for_selector("body[data-loaded='1']")
    for ticket, zone, hours in ((bali, "WITA", 8), (jakarta, "WIB", 7)):
        opened = page.locator(f"#ticket-{ticket.id} td time").first
        shown, utc = opened.inner_text(), opened.get_attribute("title")
        m = re.fullmatch(rf"(\d{{1,2}}) ({ID_MONTHS}) (\d{{4}}) (\d\d):(\d\d):(\d\d) {zone}", shown)
        assert m, shown
        u = UTC_TITLE.fullmatch(utc)
        assert u, utc
        at = datetime(*map(int, u.groups())) + timedelta(hours=hours)
        assert (int(m[1]), int(m[3]), int(m[4]), int(m[5])) == (at.day, at.year, at.hour, at.minute)
        assert ID_MONTHS.split("|")[at.month - 1] == m[2]
        assert opened.get_attribute("data-zone") == zone

    # the site page: its ticket, its history of changes and readings, all in WITA
    page.goto(f"{b.base}/site/{bali.site_code}")
    page.wait_for_selector("body[data-loaded='1']")
    times = page.eval_on_selector_all(
        "main time", "(ts) => ts.map((t) => [t.textContent, t.title, t.dataset.zone])"
    )
    assert len(times) >= 5, times
    for text, title, zone in times:
        assert text.endswith(" WITA") and zone == "WITA", text
        assert UTC_TITLE.fullmatch(title), title
    # the top bar's clock: WIB, with UTC on hover, once the stream has spoken
    page.wait_for_selector("#last-update:not(:empty)")
    clock = page.locator("#last-update")
    assert re.fullmatch(r"diperbarui \d\d:\d\d:\d\d WIB", clock.inner_text()), clock.inner_text()
    assert UTC_TITLE.fullmatch(clock.get_attribute("title") or "")

    # the map's feed of ticket changes: each at its site's local time
    page.goto(f"{b.base}/")
    page.wait_for_selector("body[data-painted='1']")
    page.wait_for_selector("#live[data-state='live']")
    colleague = web_site.user("operator")
    for ticket in (bali, jakarta):
        answer = colleague.post(f"/api/v1/tickets/{ticket.id}/ack", json={"note": "dicek"})
        assert answer.ok, answer.text
    for ticket, zone in ((bali, "WITA"), (jakarta, "WIB")):
        item = page.locator(f"#ticket-feed li[data-ticket='{ticket.id}']")
        item.wait_for()
        assert "ditangani" in item.inner_text()
        assert re.fullmatch(rf"\d\d:\d\d:\d\d {zone}", item.locator("time").inner_text())
        assert UTC_TITLE.fullmatch(item.locator("time").get_attribute("title") or "")


def test_the_language_switch_is_remembered_across_reloads(
    web_site: Any, browsing: Callable[[str | None], Browsing]
) -> None:
    password = web_site.add_user("noc", "viewer")
    b = browsing(None)
    b.login("noc", password)
    page = b.page()
    nav = page.locator("nav a[href='/']")
    page.goto(f"{b.base}/tickets")
    page.wait_for_selector("body[data-loaded='1']")
    assert nav.inner_text() == "Peta", "Indonesian by default"
    assert page.evaluate("document.documentElement.lang") == "id"
    assert page.get_attribute("#lang-switch button[data-lang='id']", "aria-pressed") == "true"

    with page.expect_navigation():
        page.click("#lang-switch button[data-lang='en']")
    page.wait_for_selector("body[data-loaded='1']")
    assert nav.inner_text() == "Map"
    page.reload()
    page.wait_for_selector("body[data-loaded='1']")
    assert nav.inner_text() == "Map"
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.evaluate("localStorage.getItem('pantau.lang')") == "en"
    page.goto(f"{b.base}/")
    page.wait_for_selector("body[data-painted='1']")
    assert page.inner_text("#logout") == "Log out"

    with page.expect_navigation():
        page.click("#lang-switch button[data-lang='id']")
    page.wait_for_selector("body[data-painted='1']")
    assert page.inner_text("#logout") == "Keluar"

    # ?lang=en chooses English too, and the next page keeps it
    other = browsing(None)
    other.login("noc", password)
    page = other.page()
    page.goto(f"{other.base}/tickets?lang=en")
    page.wait_for_selector("body[data-loaded='1']")
    assert page.locator("nav a[href='/']").inner_text() == "Map"
    page.goto(f"{other.base}/")
    page.wait_for_selector("body[data-painted='1']")
    assert page.inner_text("#logout") == "Log out"


def test_numbers_and_dates_follow_the_language(
    web_site: Any, browsing: Callable[[str | None], Browsing]
) -> None:
    site = bali_ticket(web_site).site_code
    probe = """async () => {
      const m = await import('/static/js/i18n.js');
      const at = Date.UTC(2026, 11, 4, 6, 5, 7);
      return [m.formatNumber(1234.5, 1), m.formatTime(at, '5171011001009'),
              m.formatTime(at, '94'), m.formatTime(at, null, {date: false})];
    }"""
    expected = {
        "id": ["1.234,5", "4 Des 2026 14:05:07 WITA", "4 Des 2026 15:05:07 WIT", "13:05:07 WIB"],
        "en": ["1,234.5", "4 Dec 2026 14:05:07 WITA", "4 Dec 2026 15:05:07 WIT", "13:05:07 WIB"],
    }
    for lang, (decimal, month) in (("id", (",", ID_MONTHS)), ("en", (".", EN_MONTHS))):
        b = browsing(lang)
        b.login(f"noc-{lang}", web_site.add_user(f"noc-{lang}", "viewer"))
        page = b.page()
        page.goto(f"{b.base}/site/{site}")
        page.wait_for_selector("body[data-loaded='1']")
        assert page.evaluate(probe) == expected[lang]
        # the page's own figures: RSRQ with one decimal, in the language's style
        rsrq = page.inner_text("[data-field='rsrq']")
        assert re.fullmatch(rf"-\d+\{decimal}\d dB", rsrq), rsrq
        heard = page.inner_text("[data-field='last_seen'] time")
        assert re.fullmatch(rf"\d{{1,2}} ({month}) \d{{4}} \d\d:\d\d:\d\d WITA", heard), heard


def test_the_apis_refusal_is_shown_by_its_code_in_the_readers_language(
    web_site: Any, browsing: Callable[[str | None], Browsing]
) -> None:
    b = browsing("id")
    b.login("shift-malam", web_site.add_user("shift-malam", "operator"))
    page = b.page()
    ticket = bali_ticket(web_site)
    page.goto(f"{b.base}/tickets")
    page.wait_for_selector("body[data-loaded='1']")
    row = page.locator(f"#ticket-{ticket.id}")
    row.locator("button[data-action='ack']").click()
    row.locator("textarea").fill("sedang dicek")
    # meanwhile a colleague resolves it: the API answers 409 "conflict"
    colleague = web_site.user("operator")
    assert colleague.post(f"/api/v1/tickets/{ticket.id}/resolve", json={"note": "beres"}).ok
    row.locator("form button[type='submit']").click()
    alert = page.locator(".message[role='alert']")
    alert.wait_for()
    text = alert.inner_text()
    assert "Tidak bisa dalam status tiket saat ini" in text, text
    assert english_words(text.replace("×", "")) == [], text  # not the server's English detail
    assert page.get_attribute(".message[role='alert'] button", "aria-label") == "Tutup"
    page.wait_for_selector(f"#ticket-{ticket.id}[data-state='resolved']")
    assert page.inner_text(f"#ticket-{ticket.id} [data-field='state']").strip() == "selesai"
