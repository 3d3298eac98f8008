"""``pantau-agent check`` end to end: the real CLI against simulated modems on real ptys
and a real collector (enrolled kit, throughput endpoint) on free loopback ports."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from techkit import (
    CLI,
    LTE,
    SCENARIOS,
    RunningCollector,
    check_json,
    codes,
    collector,
    run_cli,
    sim_modem,
    write_config,
)

FAST = ("--samples", "2", "--register-wait", "1", "--ping-interval", "0.01")

WEAK: dict[str, Any] = {
    **LTE,
    "mnc": "01",
    "rssi_dbm": -85,
    "rsrp_dbm": -117,
    "rsrq_db": -17,
    "sinr_db": -4,
}
NO_SERVICE: dict[str, Any] = {**LTE, "rat": "none", "reg_state": "searching"}


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    with collector(tmp_path_factory.mktemp("collector")) as c:
        yield c


def kit(tmp: Path, running: RunningCollector, pty: str, **kw: Any) -> Path:
    return write_config(
        tmp,
        port=pty,
        address=f"127.0.0.1:{running.port}",
        token=running.token,
        throughput_port=running.throughput_port,
        **kw,
    )


def severities(doc: dict[str, Any]) -> set[str]:
    return {r["severity"] for r in doc["reasons"]}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_strong_lte_is_ready(tmp_path: Path, running: RunningCollector) -> None:
    with sim_modem({"identity": {"imei": "867698041234567"}, "steps": [LTE]}) as sim:
        config = kit(tmp_path, running, sim.port_path)
        (tmp_path / "kit").mkdir(exist_ok=True)  # as `init` leaves it (else nothing to charge)
        code, doc = check_json("--config", str(config), "--lang", "en", *FAST)
        assert doc["verdict"] == "READY", doc["reasons"]
        assert code == 0
        assert severities(doc) <= {"note"}
        assert doc["modem"]["status"] == "ok"
        assert doc["modem"]["model"] == "EC25" and doc["modem"]["imei"] == "867698041234567"
        assert doc["sim"]["state"] == "ready"
        net = doc["network"]
        assert net["registered"] and net["rat"] == "lte" and net["generation"] == "4G"
        assert (net["operator"], net["mcc"], net["mnc"]) == ("Telkomsel", "510", "10")
        sig = doc["signal"]
        assert sig["samples"] == 2
        assert sig["metrics"]["rsrp_dbm"] == {"value": -85.0, "unit": "dBm", "grade": "good"}
        assert sig["metrics"]["rsrq_db"]["grade"] == "excellent"
        assert sig["metrics"]["sinr_db"] == {"value": 18.0, "unit": "dB", "grade": "good"}
        assert (sig["grade"], sig["bars"]) == ("good", 3)
        c = doc["collector"]
        assert (c["status"], c["reachable"], c["enrolled"]) == ("ok", True, True)
        assert (c["agent_id"], c["site"]) == ("kit-tech", "3171011001005")
        assert abs(c["clock_offset_ms"]) < 5000
        probes = doc["probes"]["results"]
        assert probes["collector-tcp"]["status"] == "ok"
        assert probes["collector-ping"]["received"] == 100  # enough for the loss rule
        tp = doc["probes"]["throughput"]
        assert tp["status"] == "ok" and tp["direction"] == "upload" and tp["goodput_bps"] > 0
        photos = doc["photos"]
        assert photos["basis"] == "measured" and photos["total_bytes"] == 30_000_000
        assert photos["seconds"] == pytest.approx(30e6 * 8 / tp["goodput_bps"] * 1.15)
        assert doc["spool"]["records"] == 0
        # What this check sent and received is counted in the kit's daily budget.
        spent = sum(r["bytes_used"] for r in probes.values()) + tp["bytes_used"]
        assert spent > tp["payload_bytes"] > 0
        data = doc["data_today"]
        assert data["this_check_bytes"] == spent and data["used_bytes"] == spent
        budget = json.loads((tmp_path / "kit" / "budget.json").read_text())
        assert budget["used_bytes"] == spent
        assert doc["lang"] == "en" and doc["verdict_text"] == "READY"
        assert doc["site"] == "3171011001005" and doc["duration_s"] < 60

        # The human table, both languages.
        en = run_cli("check", "--config", str(config), "--lang", "en", "--no-throughput", *FAST)
        assert en.returncode == 0, en.stderr
        assert "RESULT: READY" in en.stdout
        assert "Telkomsel (510-10), 4G (LTE), registered" in en.stdout
        assert "-85 dBm" in en.stdout and "good" in en.stdout
        assert "skipped" in en.stdout  # --no-throughput
        assert "for this check)" in en.stdout  # the probes' bytes, counted again
        assert "\033[" not in en.stdout  # no colour off a terminal
        id_ = run_cli("check", "--config", str(config), "--lang", "id", "--no-throughput", *FAST)
        assert id_.returncode == 0, id_.stderr
        assert "HASIL: SIAP" in id_.stdout and "untuk pemeriksaan ini)" in id_.stdout
        assert "terdaftar" in id_.stdout and "baik" in id_.stdout
        assert "READY" not in id_.stdout


def test_weak_signal_is_degraded_with_antenna_and_operator_advice(
    tmp_path: Path, running: RunningCollector
) -> None:
    with sim_modem({"steps": [WEAK]}) as sim:
        config = kit(tmp_path, running, sim.port_path)
        code, doc = check_json("--config", str(config), "--lang", "id", "--no-throughput", *FAST)
        assert (code, doc["verdict"]) == (3, "DEGRADED")
        assert {"SIGNAL_WEAK", "SIGNAL_NOISY"} <= codes(doc, "reasons")
        assert "not-ready" not in severities(doc)
        assert {"MOVE_ANTENNA", "TRY_OTHER_OPERATOR"} <= codes(doc, "advice")
        assert "USE_SATELLITE" not in codes(doc, "advice")
        weak = next(r for r in doc["reasons"] if r["code"] == "SIGNAL_WEAK")
        assert weak["message"] == "Sinyal lemah: RSRP -117 dBm"
        assert doc["signal"]["grade"] == "poor" and doc["signal"]["bars"] == 1
        assert doc["network"]["operator"] == "Indosat Ooredoo Hutchison" or doc["network"][
            "operator"
        ].startswith("Indosat")
        assert doc["verdict_text"] == "KURANG BAIK"
        assert doc["photos"]["basis"] == "estimated"

        human = run_cli("check", "--config", str(config), "--lang", "en", "--no-throughput", *FAST)
        assert human.returncode == 3
        assert "RESULT: DEGRADED" in human.stdout
        assert "Move the antenna or the kit higher or near a window" in human.stdout
        assert "Try another operator's SIM" in human.stdout
        human_id = run_cli(
            "check", "--config", str(config), "--lang", "id", "--no-throughput", *FAST
        )
        assert "HASIL: KURANG BAIK" in human_id.stdout
        assert "Pindahkan antena atau kit" in human_id.stdout


def test_no_service_is_not_ready_with_other_sim_and_satellite_advice(
    tmp_path: Path, running: RunningCollector
) -> None:
    with sim_modem({"steps": [NO_SERVICE]}) as sim:
        config = kit(tmp_path, running, sim.port_path)
        code, doc = check_json("--config", str(config), "--lang", "en", "--no-throughput", *FAST)
        assert (code, doc["verdict"]) == (4, "NOT_READY")
        assert "NO_SERVICE" in codes(doc, "reasons")
        assert {"TRY_OTHER_OPERATOR", "USE_SATELLITE", "MOVE_ANTENNA"} <= codes(doc, "advice")
        assert not doc["network"]["registered"] and doc["signal"]["bars"] == 0
        assert doc["photos"]["seconds"] is None
        advice = {a["code"]: a["message"] for a in doc["advice"]}
        assert "BAKTI satellite" in advice["USE_SATELLITE"]
        human = run_cli("check", "--config", str(config), "--lang", "id", "--no-throughput", *FAST)
        assert human.returncode == 4
        assert "HASIL: TIDAK SIAP" in human.stdout and "satelit BAKTI" in human.stdout


def test_sim_missing_is_not_ready_with_insert_sim_advice(
    tmp_path: Path, running: RunningCollector
) -> None:
    with sim_modem(SCENARIOS / "sim-missing.toml") as sim:
        config = kit(tmp_path, running, sim.port_path)
        code, doc = check_json("--config", str(config), "--lang", "en", "--no-throughput", *FAST)
        assert (code, doc["verdict"]) == (4, "NOT_READY")
        assert doc["sim"]["state"] == "absent"
        assert "SIM_MISSING" in codes(doc, "reasons")
        assert "NO_SERVICE" not in codes(doc, "reasons")  # the SIM is the cause
        assert codes(doc, "advice") >= {"INSERT_SIM"}
        human = run_cli("check", "--config", str(config), "--lang", "en", "--no-throughput", *FAST)
        assert "RESULT: NOT READY" in human.stdout and "No SIM card detected" in human.stdout
        human_id = run_cli(
            "check", "--config", str(config), "--lang", "id", "--no-throughput", *FAST
        )
        assert "TIDAK SIAP" in human_id.stdout and "pasang kartu SIM" in human_id.stdout


def test_sim_pin_is_not_ready_with_enter_pin_advice(tmp_path: Path) -> None:
    with sim_modem(SCENARIOS / "sim-pin.toml") as sim:
        code, doc = check_json("--port", sim.port_path, "--lang", "en", *FAST)
        assert (code, doc["verdict"]) == (4, "NOT_READY")
        assert "SIM_PIN" in codes(doc, "reasons") and "ENTER_PIN" in codes(doc, "advice")
        assert doc["collector"]["status"] == "not-configured"
        assert doc["spool"] is None and doc["data_today"] is None


def test_collector_unreachable_is_not_ready_naming_the_address(tmp_path: Path) -> None:
    port = closed_port()
    with sim_modem({"steps": [LTE]}) as sim:
        config = write_config(tmp_path, port=sim.port_path, address=f"127.0.0.1:{port}")
        code, doc = check_json("--config", str(config), "--lang", "en", *FAST)
        assert (code, doc["verdict"]) == (4, "NOT_READY")
        reason = next(r for r in doc["reasons"] if r["code"] == "COLLECTOR_UNREACHABLE")
        assert reason["severity"] == "not-ready"
        assert f"127.0.0.1:{port}" in reason["message"]
        assert "refused" in reason["message"]
        assert "CHECK_COLLECTOR_ADDRESS" in codes(doc, "advice")
        assert doc["collector"]["reachable"] is False
        assert doc["network"]["registered"]  # the radio side is still reported
        human = run_cli("check", "--config", str(config), "--lang", "id", *FAST)
        assert human.returncode == 4
        assert f"Kolektor 127.0.0.1:{port} tidak terjangkau" in human.stdout


def test_wrong_credential_is_rejected_and_a_missing_one_is_not_enrolled(
    tmp_path: Path, running: RunningCollector
) -> None:
    address = f"127.0.0.1:{running.port}"
    wrong = write_config(tmp_path / "a", address=address, token="kit-tech.d3Jvbmc")
    code, doc = check_json("--config", str(wrong), "--lang", "en", *FAST)
    assert (code, doc["verdict"]) == (4, "NOT_READY")
    assert "COLLECTOR_REJECTED" in codes(doc, "reasons"), doc["collector"]
    assert "ENROLL" in codes(doc, "advice")
    assert doc["collector"]["reachable"] is True and doc["collector"]["enrolled"] is False
    assert "MODEM_NOT_CONFIGURED" in codes(doc, "reasons")

    missing = write_config(tmp_path / "b", address=address, token=None)
    code, doc = check_json("--config", str(missing), "--lang", "en", *FAST)
    assert code == 4 and "NOT_ENROLLED" in codes(doc, "reasons")
    assert doc["collector"]["status"] == "no-credential" and doc["collector"]["reachable"]


def test_a_missing_modem_and_a_garbled_one_are_findings_not_tracebacks(tmp_path: Path) -> None:
    code, doc = check_json("--port", str(tmp_path / "ttyUSB9"), "--lang", "en", *FAST)
    assert (code, doc["verdict"]) == (4, "NOT_READY")
    assert "MODEM_NOT_FOUND" in codes(doc, "reasons") and "CHECK_MODEM" in codes(doc, "advice")

    garbled = {"steps": [{**LTE, "garbage_bytes": 200, "urc_per_s": 50}]}
    with sim_modem(garbled) as sim:
        proc = run_cli("check", "--json", "--port", sim.port_path, "--lang", "en", *FAST)
    assert proc.returncode in (0, 3, 4)
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--port", "usb:zzzz:0125:if02"), "--port"),
        (("--collector", "no-port-here"), "--collector: expected HOST:PORT"),
        (("--lang", "fr"), "language must be one of id, en"),
        (("--port", "/dev/null", "--samples", "0"), "--samples"),
        ((), "nothing to check"),
    ],
)
def test_bad_usage_exits_2_with_the_message(argv: tuple[str, ...], message: str) -> None:
    proc = run_cli("check", *argv)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_a_bad_config_exits_2_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "agent.toml"
    bad.write_text('[agent]\nsite = "123"\n[collector]\naddress = "x:1"\ncredential = "a"\n')
    proc = run_cli("check", "--config", str(bad))
    assert proc.returncode == 2
    assert str(bad) in proc.stderr and "Traceback" not in proc.stderr


def test_on_a_terminal_colour_and_a_progress_bar(tmp_path: Path, running: RunningCollector) -> None:
    import os

    import pexpect

    with sim_modem({"steps": [LTE]}) as sim:
        config = kit(tmp_path, running, sim.port_path)
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        child = pexpect.spawn(
            CLI, ["check", "--config", str(config), "--lang", "en", *FAST],
            env={**env, "LANG": "C.UTF-8"}, encoding="utf-8", timeout=90,
        )  # fmt: skip
        try:
            child.expect(r"Speed test \[[#.]+\]")  # the speed test's progress bar
            child.expect(pexpect.EOF)
            out = child.before or ""
        finally:
            child.close(force=True)
    assert child.exitstatus == 0, out  # (what the check said, should it say NOT READY)
    assert "\033[32mRESULT: READY\033[0m" in out  # green on a terminal
    assert "▂▄▆·" in out  # three bars of four


def test_a_failing_configured_probe_degrades_naming_it(
    tmp_path: Path, running: RunningCollector
) -> None:
    dead = closed_port()
    extra = f"""
[[probe]]
name = "tcp-sirekap"
kind = "tcp"
target = "127.0.0.1"
port = {dead}

[[probe]]
name = "ping-loopback"
kind = "icmp"
target = "127.0.0.1"
count = 2
tcp_fallback_port = {running.port}
"""
    with sim_modem({"steps": [LTE]}) as sim:
        config = kit(tmp_path, running, sim.port_path, extra=extra)
        code, doc = check_json("--config", str(config), "--lang", "en", "--no-throughput", *FAST)
    assert (code, doc["verdict"]) == (3, "DEGRADED")
    failed = [r for r in doc["reasons"] if r["code"] == "PROBE_FAILED"]
    assert len(failed) == 1 and "tcp-sirekap" in failed[0]["message"]
    results = doc["probes"]["results"]
    assert results["tcp-sirekap"]["status"] == "refused"
    assert results["ping-loopback"]["status"] == "ok" and results["ping-loopback"]["sent"] == 100


def test_3g_is_graded_on_rscp_and_ecio() -> None:
    umts = {**LTE, "rat": "umts", "lac": 0x2B1, "rscp_dbm": -92, "ecio_db": -7, "rssi_dbm": -71}
    for key in ("rsrp_dbm", "rsrq_db", "sinr_db", "tac"):
        umts.pop(key)
    with sim_modem({"steps": [umts]}, dialect="3gpp") as sim:
        code, doc = check_json("--port", sim.port_path, "--lang", "en", *FAST)
    assert doc["network"]["generation"] == "3G" and doc["network"]["rat"] == "umts"
    metrics = doc["signal"]["metrics"]
    assert metrics["rscp_dbm"] == {"value": -92.0, "unit": "dBm", "grade": "fair"}
    assert metrics["ecio_db"] == {"value": -7.0, "unit": "dB", "grade": "good"}
    assert "rsrp_dbm" not in metrics and doc["signal"]["grade"] == "fair"
    assert (code, doc["verdict"]) == (0, "READY")  # a fair 3G signal is a note
    assert "SIGNAL_FAIR" in codes(doc, "reasons")
