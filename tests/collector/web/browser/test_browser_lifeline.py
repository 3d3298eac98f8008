"""A site whose newest news is an authentic lifeline SMS, in a real browser (headless
Chromium): "data down, kit alive" (status "sms") in the trouble list, the status
filter, the legend and the province table, in English and in Bahasa Indonesia; it
arrives by the live stream, and leaves it when data flows again. And the operator
filter at a kit with a modem per operator: the marker and the trouble list show that
network's own status."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from browserkit import CHROMIUM, STEP_MS, Browsing

from collector.web.seed import signal_record
from pantau.v1 import records_pb2

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

CODE = "3171011001099"  # DKI Jakarta, not one of the seeded sites


@pytest.fixture
def browsing(browser: Any, web_site: Any) -> Iterator[Callable[..., Browsing]]:
    """``browsing(lang)``: a fresh context; afterwards no page may have thrown."""
    opened: list[Browsing] = []

    def make(lang: str = "en") -> Browsing:
        context = browser.new_context(viewport={"width": 1400, "height": 950})
        context.set_default_timeout(STEP_MS)
        b = Browsing(context, web_site.url, lang=lang)
        name = f"viewer{len(opened)}"
        b.login(name, web_site.add_user(name, "viewer"))
        opened.append(b)
        return b

    yield make
    for b in opened:
        b.context.close()
    problems = [p for b in opened for p in b.problems]
    assert not problems, problems


def _reading(seq: int) -> Any:
    return signal_record(seq, time.time_ns(), mcc="510", mnc="10", name="T", rsrp=-90, cell_id=1)


def _status_is(page: Any, status: str) -> None:
    page.wait_for_function(
        "([c, s]) => window.pantauSites.get(c)?.status === s", arg=[CODE, status]
    )


def test_a_site_heard_by_sms_is_data_down_kit_alive_on_the_overview(
    web_site: Any, browsing: Callable[..., Browsing]
) -> None:
    token = web_site.enroll(CODE, "kit-sms")
    web_site.ingest(CODE, [_reading(1)], token=token)
    b = browsing()
    page = b.page()
    page.goto(f"{b.base}/")
    page.wait_for_selector("body[data-painted='1']")
    _status_is(page, "ok")
    assert page.locator(f"#trouble-table tr[data-code='{CODE}']").count() == 0
    assert page.inner_text(".legend .status.sms") == "data down, kit alive"

    # The SMS arrives (as the intake records it and tells the live stream).
    assert web_site.store.accept_sms("kit-sms", CODE, 1, time.time_ns(), "{}")
    web_site.notify([CODE])
    _status_is(page, "sms")
    row = page.locator(f"#trouble-table tr[data-code='{CODE}'][data-status='sms']")
    row.wait_for()
    assert row.locator(".status.sms").inner_text() == "data down, kit alive"
    assert row.locator("td[data-field='problem']").inner_text() == (
        "data down, kit alive (heard by SMS)"
    )
    # Below the sites that are down, above the degraded ones (the worst first).
    statuses = page.eval_on_selector_all(
        "#trouble-table tbody tr", "(rows) => rows.map((r) => r.dataset.status)"
    )
    assert statuses == sorted(statuses, key=["down", "silent", "sms", "degraded"].index)
    jakarta = page.locator("#province-table tr[data-province='31'] td[data-status='sms']")
    assert jakarta.inner_text() == "1"

    # The status filter keeps only it, on the map and in the list.
    page.select_option("#f-status", "sms")
    page.wait_for_function("() => document.querySelector('#map-canvas').dataset.drawn === '1'")
    codes = page.eval_on_selector_all(
        "#trouble-table tbody tr", "(rows) => rows.map((r) => r.dataset.code)"
    )
    assert codes == [CODE]
    page.select_option("#f-status", "")

    # Data flows again: the site is ok, out of the trouble list.
    web_site.ingest(CODE, [_reading(2)], token=token)
    _status_is(page, "ok")
    assert page.locator(f"#trouble-table tr[data-code='{CODE}']").count() == 0


def test_the_sms_status_speaks_bahasa_indonesia(
    web_site: Any, browsing: Callable[..., Browsing]
) -> None:
    token = web_site.enroll(CODE, "kit-sms")
    web_site.ingest(CODE, [_reading(1)], token=token)
    assert web_site.store.accept_sms("kit-sms", CODE, 1, time.time_ns(), "{}")
    web_site.notify([CODE])
    b = browsing("id")
    page = b.page()
    page.goto(f"{b.base}/")
    page.wait_for_selector("body[data-painted='1']")
    _status_is(page, "sms")
    row = page.locator(f"#trouble-table tr[data-code='{CODE}']")
    row.wait_for()
    assert row.locator(".status.sms").inner_text() == "data terputus, kit hidup"
    assert row.locator("td[data-field='problem']").inner_text() == (
        "data terputus, kit hidup (terdengar lewat SMS)"
    )
    assert page.inner_text(".legend .status.sms") == "data terputus, kit hidup"
    assert page.inner_text("#f-status option[value='sms']") == "data terputus, kit hidup"


def _three_modems() -> list[Any]:
    now = time.time_ns()
    out = []
    for seq, (name, mnc, network) in enumerate(
        (("tsel", "10", "510-10"), ("isat", "01", "510-01"), ("xl", "11", "510-11")), start=1
    ):
        r: records_pb2.Record = signal_record(
            seq, now + seq, mcc="510", mnc=mnc, name=name, rsrp=-85, cell_id=seq
        )
        r.modem.name, r.modem.network = name, network
        out.append(r)
    return out


def test_the_operator_filter_shows_that_networks_own_status(
    web_site: Any, browsing: Callable[..., Browsing]
) -> None:
    multi = "3273011002077"  # Bandung: a kit with a modem per operator
    assert web_site.ingest(multi, _three_modems()).through_seq == 3
    now = time.time_ns()
    change = web_site.store.raise_problem(
        multi, "510-01", "NO_SERVICE", route="noc", first_bad_ns=now - 60 * 10**9,
        last_bad_ns=now, evidence={}, historical=False, now_ns=now, reopen_window_ns=0,
    )  # fmt: skip
    web_site.on_loop(lambda: web_site.web.hub.tickets_changed([change.ticket]))
    b = browsing()
    page = b.page()
    page.goto(f"{b.base}/")
    page.wait_for_selector("body[data-painted='1']")
    page.wait_for_function("(c) => window.pantauSites.get(c)?.status === 'down'", arg=multi)
    drawn = "(c) => window.pantauMap.sites.find((r) => r.code === c)?.status ?? null"
    in_trouble = f"#trouble-table tr[data-code='{multi}']"

    page.select_option("#f-operator", "510-01")  # Indosat's view: down there
    page.wait_for_function(f"(c) => ({drawn})(c) === 'down'", arg=multi)
    page.locator(f"{in_trouble}[data-status='down']").wait_for()

    page.select_option("#f-operator", "510-10")  # Telkomsel's view: fine there
    page.wait_for_function(f"(c) => ({drawn})(c) === 'ok'", arg=multi)
    page.wait_for_function(f'() => !document.querySelector("{in_trouble}")')
    assert page.evaluate("(c) => window.pantauSites.get(c).status", multi) == "down"

    page.select_option("#f-operator", "")  # every network: the site's own status
    page.wait_for_function(f"(c) => ({drawn})(c) === 'down'", arg=multi)
