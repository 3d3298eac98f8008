"""Signal grades, the verdict policy, the photo estimate and the typed report (pure)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from agent.tech import check, grades
from agent.tech.report import (
    ClockSection,
    CollectorSection,
    DataToday,
    ModemSection,
    NetworkSection,
    Photos,
    ProbeResult,
    ProbesSection,
    Report,
    SignalSection,
    SimSection,
    SpoolSection,
    Throughput,
    Welcome,
)
from agent.tech.verdict import ADVICE, REASONS, Finding, advice_for, ordered, verdict_of


@pytest.mark.parametrize(
    ("field", "value", "grade"),
    [
        ("rsrp_dbm", -79, "excellent"), ("rsrp_dbm", -80, "excellent"),
        ("rsrp_dbm", -85, "good"), ("rsrp_dbm", -95, "fair"), ("rsrp_dbm", -100, "fair"),
        ("rsrp_dbm", -100.5, "poor"), ("sinr_db", 20, "excellent"), ("sinr_db", 13, "good"),
        ("sinr_db", 0, "fair"), ("sinr_db", -0.5, "poor"), ("rsrq_db", -10, "excellent"),
        ("rsrq_db", -16, "fair"), ("rsrq_db", -21, "poor"), ("rscp_dbm", -95, "fair"),
        ("ecio_db", -8, "good"), ("rssi_dbm", -101, "poor"), ("rsrp_dbm", None, None),
        ("csq", 20, None),
    ],
)  # fmt: skip
def test_grades(field: str, value: float | None, grade: str | None) -> None:
    assert grades.grade(field, value) == grade


def test_overall_grade_is_the_worst_of_the_serving_rats_quantities() -> None:
    lte = {"rsrp_dbm": -85.0, "rsrq_db": -8.0, "sinr_db": -2.0, "rscp_dbm": -120.0}
    assert grades.overall("lte", lte) == "poor"  # SINR; RSCP is not LTE's
    assert grades.overall("umts", {"rscp_dbm": -75.0, "ecio_db": -4.0}) == "good"
    assert grades.overall("gsm", {"rssi_dbm": -60.0, "rsrp_dbm": -130.0}) == "excellent"
    assert grades.overall("lte", {}) is None
    assert [grades.bars(g) for g in (*grades.GRADES, None)] == [4, 3, 2, 1, 0]


def test_verdict_policy() -> None:
    assert verdict_of([]) == "READY"
    assert verdict_of([Finding("CLOCK_UNSYNCED"), Finding("SIGNAL_FAIR")]) == "READY"
    assert verdict_of([Finding("SIGNAL_WEAK"), Finding("ROAMING")]) == "DEGRADED"
    assert verdict_of([Finding("SIGNAL_WEAK"), Finding("SIM_MISSING")]) == "NOT_READY"
    findings = [Finding("SPOOL_BACKLOG"), Finding("SIGNAL_NOISY"), Finding("NO_SERVICE")]
    assert [f.code for f in ordered(findings)] == ["NO_SERVICE", "SIGNAL_NOISY", "SPOOL_BACKLOG"]
    assert advice_for(findings) == [
        "MOVE_ANTENNA",
        "TRY_OTHER_OPERATOR",
        "USE_SATELLITE",
        "KEEP_AGENT_RUNNING",
    ]
    assert set(REASONS.values()) == {"not-ready", "degraded", "note"}
    assert len(set(ADVICE)) == len(ADVICE)


def report(**over: Any) -> Report:
    base = Report(
        modem=ModemSection("ok", port="/dev/ttyUSB2"),
        sim=SimSection(state="ready"),
        network=NetworkSection(registered=True, reg_state="home", rat="lte", generation="4G"),
        signal=SignalSection(grade="good"),
        probes=ProbesSection({}, Throughput("ok", details={"goodput_bps": 8e6})),
        collector=CollectorSection("c:7600", "ok", reachable=True),
        spool=SpoolSection("spool.sqlite", exists=True, records=0),
        clock=ClockSection(synced=True, offset_ms=10.0),
        data_today=DataToday(used_bytes=0, ratio=0.0),
        photos=Photos(30_000_000, seconds=60.0),
    )
    return dataclasses.replace(base, **over)


def test_assess() -> None:
    assert check.assess(report()) == []
    ping = ProbeResult(
        "icmp", "c", "ok",
        details={"sent": 100, "received": 60, "loss_ratio": 0.4, "median_ms": 1500.0},
    )  # fmt: skip
    found = check.assess(
        report(
            probes=ProbesSection({"collector-ping": ping},
                                 Throughput("ok", details={"goodput_bps": 100_000.0})),
            photos=Photos(30_000_000, seconds=3600.0),
            clock=ClockSection(synced=False, offset_ms=-120_000.0),
            data_today=DataToday(used_bytes=21_000_000, ratio=1.05),
            spool=SpoolSection("spool.sqlite", exists=True, records=12),
            network=NetworkSection(registered=True, reg_state="roaming", rat="edge",
                                   generation="2G", roaming=True, operator="XL", mcc="510",
                                   mnc="11"),
        )
    )  # fmt: skip
    assert [f.code for f in found] == [
        "RAT_2G", "ROAMING", "PING_LOSS", "PING_SLOW", "THROUGHPUT_LOW", "PHOTOS_SLOW",
        "SPOOL_BACKLOG", "CLOCK_OFFSET", "BUDGET_SPENT",
    ]  # fmt: skip
    assert verdict_of(found) == "DEGRADED"
    assert found[-2].fields == {"seconds": -120}
    denied = check.assess(report(network=NetworkSection(registered=False, reg_state="denied")))
    assert [f.code for f in denied] == ["REGISTRATION_DENIED"]
    puk = check.assess(report(sim=SimSection(state="puk")))
    assert [f.code for f in puk] == ["SIM_PUK"] and advice_for(puk) == ["CALL_OPERATOR"]


def test_photo_estimate() -> None:
    measured = check.photos_estimate(
        30, Throughput("ok", details={"goodput_bps": 8e6}), NetworkSection(), None
    )
    assert measured.basis == "measured"
    assert measured.seconds == pytest.approx(30e6 * 8 / 8e6 * check.UPLOAD_OVERHEAD)
    lte = NetworkSection(registered=True, generation="4G")
    estimated = check.photos_estimate(30, Throughput("skipped"), lte, "fair")
    assert (estimated.basis, estimated.uplink_bps) == ("estimated", 2e6)
    none = check.photos_estimate(30, Throughput("error", "x"), NetworkSection(), None)
    assert none.basis == "none" and none.seconds is None


def test_the_report_json_keeps_its_shapes() -> None:
    """The ``--json`` document is generated from the dataclasses; the sections whose
    shape depends on what happened keep the keys they always had."""
    r = report(
        probes=ProbesSection(
            {
                "up": ProbeResult("tcp", "c", "ok", None, 120, address="10.0.0.1",
                                  details={"port": 7600, "connect_ms": 3.5}),
                "late": ProbeResult("dns", "c", "timeout", "no result", measured=False),
            },
            Throughput("skipped"),
        ),
        collector=CollectorSection("c:7600", "ok", True, True, welcome=Welcome(
            "kit", "3171011001005", 7, "0.1.0", rtt_ms=2.0, clock_offset_ms=-1.5)),
    )  # fmt: skip
    doc = r.to_json()
    assert list(doc) == [
        "modem", "sim", "network", "signal", "cells", "probes", "collector", "spool",
        "data_today", "disk", "clock", "photos", "duration_s", "site", "agent_id",
    ]  # fmt: skip
    assert doc["cells"] == {
        "serving": {}, "neighbours_reported": False, "neighbour_count": 0,
        "strongest_neighbour": None, "neighbours": [], "carriers": [],
    }  # fmt: skip
    assert doc["probes"]["results"]["up"] == {
        "kind": "tcp", "target": "c", "address": "10.0.0.1", "status": "ok", "reason": None,
        "bytes_used": 120, "port": 7600, "connect_ms": 3.5,
    }  # fmt: skip
    assert doc["probes"]["results"]["late"] == {
        "kind": "dns", "target": "c", "status": "timeout", "reason": "no result", "bytes_used": 0
    }  # fmt: skip
    assert doc["probes"]["throughput"] == {"status": "skipped"}
    assert Throughput("timeout", "slow").to_json() == {"status": "timeout", "reason": "slow"}
    measured = Throughput("ok", None, "c:7601", {"goodput_bps": 1e6}, bytes_used=9).to_json()
    assert measured == {"status": "ok", "reason": None, "target": "c:7601",
                        "goodput_bps": 1e6, "bytes_used": 9}  # fmt: skip
    assert doc["collector"] == {
        "address": "c:7600", "status": "ok", "reachable": True, "enrolled": True,
        "error": None, "agent_id": "kit", "site": "3171011001005", "acked_through_seq": 7,
        "collector_version": "0.1.0", "rtt_ms": 2.0, "clock_offset_ms": -1.5,
    }  # fmt: skip
    assert CollectorSection().to_json() == {
        "address": None, "status": "not-configured", "reachable": None, "enrolled": None,
        "error": None,
    }  # fmt: skip
    assert doc["signal"] == {"grade": "good", "bars": 0, "samples": 0, "metrics": {}}
    assert json.loads(json.dumps(doc)) == doc  # plain JSON all the way down


def test_the_help_states_the_thresholds_in_force() -> None:
    from agent.cli_tech import CHECK_EPILOG

    for field, label in (("rsrp_dbm", "RSRP dBm"), ("sinr_db", "SINR dB"),
                         ("rscp_dbm", "RSCP dBm"), ("rssi_dbm", "RSSI dBm")):  # fmt: skip
        bounds = " / ".join(f"{b:g}" for b in grades.THRESHOLDS[field])
        assert f"{label}" in CHECK_EPILOG and f">= {bounds} / below" in CHECK_EPILOG


def test_a_hung_blocking_call_does_not_hold_the_check_at_exit() -> None:
    import asyncio
    import threading
    import time

    from agent.tech import facts

    release = threading.Event()

    async def main() -> None:
        asyncio.get_running_loop().set_default_executor(facts.DaemonExecutor())
        with pytest.raises(TimeoutError):  # like a getaddrinfo on a dead link
            await asyncio.wait_for(asyncio.to_thread(release.wait, 30), 0.2)
        with pytest.raises(TimeoutError):
            await facts.in_thread(lambda: release.wait(30), 0.2)
        assert await asyncio.to_thread(lambda: 42) == 42

    started = time.monotonic()
    asyncio.run(main())  # returns without waiting for the blocked threads
    assert time.monotonic() - started < 5
    release.set()


def test_the_guides_grade_tables_match_the_thresholds() -> None:
    """docs/technician.md shows the grades in both languages: they must stay true."""
    import re
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[3] / "docs" / "technician.md").read_text()
    field = {"RSRP": "rsrp_dbm", "RSRQ": "rsrq_db", "SINR": "sinr_db", "RSCP": "rscp_dbm",
             "Ec/Io": "ecio_db", "RSSI": "rssi_dbm"}  # fmt: skip
    rows = re.findall(r"^\| (RSRP|RSRQ|SINR|RSCP|Ec/Io|RSSI) .*\| ≥ (-?\d+) \| (-?\d+)\.\.(-?\d+) "
                      r"\| (-?\d+)\.\.(-?\d+) \| < (-?\d+) \|$", guide, re.MULTILINE)  # fmt: skip
    assert len(rows) == 12  # six quantities, two languages
    for name, excellent, *ranges, poor in rows:
        best, good, fair = grades.THRESHOLDS[field[name]]
        good_range, fair_range = sorted(map(float, ranges[:2])), sorted(map(float, ranges[2:]))
        assert float(excellent) == best and good_range == [good, best], name
        assert fair_range == [fair, good] and float(poor) == fair, name
