"""The upload rule of ``check`` (pure): a measured upload under the result photos' need
is DEGRADED with its advice; an upload not measured is said, never taken as good; the
speed test's plan follows the kit's ``[check]`` table."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import pytest

from agent.i18n import Messages
from agent.tech import check, check_view, render, speedtest
from agent.tech.render import Style
from agent.tech.report import (
    ClockSection,
    CollectorSection,
    ModemSection,
    NetworkSection,
    ProbesSection,
    Report,
    SignalSection,
    SimSection,
    Throughput,
)
from agent.tech.verdict import UPLOAD_NEED_BPS, advice_for, verdict_of

PLAIN = Style(io.StringIO(), colour=False)


def report(tp: Throughput) -> Report:
    return Report(
        modem=ModemSection("ok", port="/dev/ttyUSB2"),
        sim=SimSection(state="ready"),
        network=NetworkSection(registered=True, reg_state="home", rat="lte", generation="4G"),
        signal=SignalSection(grade="good"),
        probes=ProbesSection({}, tp),
        collector=CollectorSection("c:7600", "ok", reachable=True),
        clock=ClockSection(synced=True, offset_ms=1.0),
    )


def measured(up_bps: float, need: float | None = None) -> Throughput:
    figures = {"goodput_bps": up_bps, "latency_ms": 80.0, "jitter_ms": 12.0}
    down = Throughput("ok", details={**figures, "goodput_bps": 9e6, "direction": "download"})
    return Throughput(
        "ok", details={**figures, "direction": "upload"}, download=down, need_bps=need
    )


def codes(tp: Throughput) -> list[str]:
    return [f.code for f in check.assess(report(tp))]


def test_the_default_need_is_3_mbit() -> None:
    assert UPLOAD_NEED_BPS == 3e6
    assert codes(measured(3.1e6)) == []
    found = check.assess(report(measured(2.9e6)))
    assert [f.code for f in found] == ["THROUGHPUT_LOW"]
    assert found[0].fields == {"mbps": 2.9, "need_mbps": 3.0}
    assert verdict_of(found) == "DEGRADED"
    assert advice_for(found) == ["MOVE_ANTENNA", "TRY_OTHER_OPERATOR", "PLAN_PHOTO_UPLOAD"]


def test_the_need_comes_from_the_config() -> None:
    assert codes(measured(3.5e6, need=4e6)) == ["THROUGHPUT_LOW"]
    assert codes(measured(1.5e6, need=1e6)) == []


@pytest.mark.parametrize("status", ["declined", "skipped", "not-configured"])
def test_not_measured_is_said(status: str) -> None:
    found = check.assess(report(Throughput(status, need_bps=3e6)))
    assert [f.code for f in found] == ["UPLOAD_NOT_MEASURED"]
    assert verdict_of(found) == "READY"  # a note: the line says it was not measured
    for lang in ("en", "id"):
        doc = check_view.document(report(Throughput(status)), found, Messages(lang), "")
        text = check_view.human(doc, Messages(lang), PLAIN)
        assert ("NOT MEASURED" if lang == "en" else "TIDAK DIUKUR") in text, text


def test_the_report_reads_like_a_speed_test() -> None:
    tp = measured(2.0e6, need=3e6)
    found = check.assess(report(tp))
    en = Messages("en")
    doc = check_view.document(report(tp), found, en, "")
    assert doc["probes"]["throughput"]["download"]["goodput_bps"] == 9e6
    assert doc["probes"]["throughput"]["need_bps"] == 3e6
    text = check_view.human(doc, en, PLAIN)
    assert "Download speed" in text and "9.0 Mbit/s (measured)" in text, text
    assert "2.0 Mbit/s (measured); latency under load 80 ms, jitter 12 ms" in text, text
    assert "the result photos need 3 Mbit/s" in text, text
    reason = doc["reasons"][0]["message"]
    assert reason.startswith(
        "Upload speed 2.0 Mbit/s is under what the result photos need (3.0 Mbit/s;"
    ), reason
    idn = Messages("id")
    render.use_lang("id")
    text_id = check_view.human(check_view.document(report(tp), found, idn, ""), idn, PLAIN)
    render.use_lang("en")
    assert "2,0 Mbit/s (diukur); latensi saat beban penuh 80 ms" in text_id, text_id


def options(**over: Any) -> check.CheckOptions:
    base = check.CheckOptions(collector="collector.example:7600", credential="kit.c2VjcmV0")
    return dataclasses.replace(base, **over)


def test_the_plan_follows_the_config() -> None:
    assert speedtest.plan(options()) == "not-configured"  # no config: no [check] table
    assert speedtest.plan(options(upload_test=False)) == "declined"
    assert speedtest.plan(options(upload_test=True, throughput=False)) == "skipped"
    plain = speedtest.plan(options(upload_test=True))
    assert not isinstance(plain, str)
    assert (plain.target, plain.port, plain.tls) == ("collector.example", 7601, False)
    assert (plain.max_bytes, plain.max_time_s, plain.timeout_s) == (2_000_000, 6.0, 5.0)
    tls = speedtest.plan(
        options(upload_test=True, ca_file="/etc/pantau/ca.crt", throughput_port=7700,
                test_max_bytes=500_000, throughput_time_s=3.0)
    )  # fmt: skip
    assert not isinstance(tls, str)
    assert (tls.port, tls.tls, tls.ca_file) == (7700, True, "/etc/pantau/ca.crt")
    assert (tls.max_bytes, tls.start_bytes, tls.max_time_s) == (500_000, 262_144, 3.0)
    assert tls.credential == "kit.c2VjcmV0"
