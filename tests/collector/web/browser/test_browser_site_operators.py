"""The site page's "Operators at this TPS" table in a real browser (headless Chromium)
against a real collector: a kit with a modem per operator streams Telkomsel strong,
Indosat weak and XL searching; the table shows the three side by side with their
coverage class, in English and in Indonesian, times in the site's local time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from browserkit import CHROMIUM, STEP_MS, Browsing

from collector.web.seed import ping_record, signal_record
from pantau.v1 import records_pb2

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

CODE = "5171011003077"  # Denpasar: WITA


@pytest.fixture
def browsing(browser: Any, web_site: Any) -> Iterator[Callable[[str], Browsing]]:
    opened: list[Browsing] = []

    def make(lang: str) -> Browsing:
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


def of_modem(record: records_pb2.Record, name: str, network: str) -> records_pb2.Record:
    record.modem.name, record.modem.network = name, network
    return record


def three_modems(now: int) -> list[records_pb2.Record]:
    xl = signal_record(3, now + 2, mcc="510", mnc="11", name="XL", rsrp=-100, cell_id=1)
    xl.signal.ClearField("mcc"), xl.signal.ClearField("mnc"), xl.signal.ClearField("rsrp_dbm")
    xl.signal.ClearField("sinr_db"), xl.signal.ClearField("operator_name")
    xl.signal.reg_state, xl.signal.rat = records_pb2.REG_STATE_SEARCHING, records_pb2.RAT_NONE
    return [
        of_modem(
            signal_record(1, now, mcc="510", mnc="10", name="Telkomsel", rsrp=-80, cell_id=7),
            "tsel", "510-10",
        ),
        of_modem(
            signal_record(2, now + 1, mcc="510", mnc="01", name="Indosat", rsrp=-116, cell_id=8),
            "isat", "510-01",
        ),
        of_modem(xl, "xl", "510-11"),
        of_modem(ping_record(4, now + 3, rtts=[20.0, 22.0, 24.0]), "tsel", "510-10"),
    ]  # fmt: skip


def test_the_site_page_shows_its_operators_side_by_side(
    web_site: Any, browsing: Callable[[str], Browsing]
) -> None:
    assert web_site.ingest(CODE, three_modems(time.time_ns())).through_seq == 4
    password = web_site.add_user("noc", "viewer")
    seen: dict[str, list[tuple[str | None, str | None, str]]] = {}
    for lang in ("en", "id"):
        b = browsing(lang)
        b.login("noc", password)
        page = b.page()
        page.goto(f"{b.base}/site/{CODE}")
        page.wait_for_selector("body[data-loaded='1']")
        rows = page.locator("#site-operators tbody tr")
        assert rows.count() == 3
        seen[lang] = [
            (
                rows.nth(i).get_attribute("data-operator"),
                rows.nth(i).get_attribute("data-coverage"),
                rows.nth(i).locator("td").nth(1).inner_text(),
            )
            for i in range(3)
        ]
        tsel = rows.nth(1)
        assert "22" in tsel.locator("td").nth(5).inner_text()  # ping median, ms
        assert "WITA" in tsel.locator("td").nth(7).inner_text()  # the site's local time
        assert page.inner_text("#operators-title") == (
            "Operators at this TPS" if lang == "en" else "Operator di TPS ini"
        )
    assert seen["en"] == [
        ("510-01", "weak", "weak"),
        ("510-10", "strong", "strong"),
        ("510-11", "none", "none"),
    ]
    assert [c for _, _, c in seen["id"]] == ["lemah", "kuat", "tidak ada"]
