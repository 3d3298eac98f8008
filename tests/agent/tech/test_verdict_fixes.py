"""Verdicts that were wrong: the ping loss rule, 2G with a good signal (pure, and through
``check --json`` against a simulated modem and a real collector)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from techkit import LTE, RunningCollector, check_json, codes, collector, sim_modem, write_config

from agent.tech import check
from agent.tech.report import ProbeResult, ProbesSection, Throughput
from agent.tech.verdict import (
    PING_LOSS_MAX,
    PING_MIN_PACKETS,
    advice_for,
    loss_above_threshold,
    verdict_of,
    wilson_lower,
)

FAST = ("--samples", "2", "--register-wait", "1", "--ping-interval", "0.01")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    with collector(tmp_path_factory.mktemp("collector")) as c:
        yield c


def test_wilson_lower_bound_known_values() -> None:
    assert wilson_lower(0, 10) == 0.0 and wilson_lower(0, 0) == 0.0
    # 3 of 5 lost: p = 0.6, Wilson 95 % interval 0.231 .. 0.882.
    assert wilson_lower(3, 5) == pytest.approx(0.2307, abs=1e-3)
    assert wilson_lower(2, 5) == pytest.approx(0.1176, abs=1e-3)
    assert wilson_lower(40, 100) == pytest.approx(0.3094, abs=1e-3)


@pytest.mark.parametrize(
    ("sent", "received", "above"),
    [
        (5, 2, True),  # 2 of 5 replies: 60 % lost, proven above 20 %
        (5, 3, False),  # 2 of 5 lost: not proven on 5 packets
        (5, 5, False),
        (5, 0, True),
        (100, 79, True),  # from 100 packets the observed ratio decides
        (100, 80, False),
        (100, 60, True),
        (0, 0, False),
    ],
)
def test_loss_rule(sent: int, received: int, above: bool) -> None:
    assert loss_above_threshold(sent, received) is above


def test_loss_rule_error_rates_on_simulated_links() -> None:
    """With the check's 100 packets a 40 % link is always caught and a 5 % one is not
    flagged (seeded draws: the binomial figures quoted in the guide)."""
    assert PING_MIN_PACKETS == 100 and PING_LOSS_MAX == 0.2
    rng = random.Random(17)

    def run(p: float) -> bool:
        lost = sum(rng.random() < p for _ in range(PING_MIN_PACKETS))
        return loss_above_threshold(PING_MIN_PACKETS, PING_MIN_PACKETS - lost)

    assert all(run(0.4) for _ in range(2000))
    assert not any(run(0.05) for _ in range(2000))


#: An upload measured above the photos' need (no upload finding).
MEASURED = Throughput("ok", details={"goodput_bps": 8e6})


def _ping(sent: int, received: int) -> ProbeResult:
    details = {"sent": sent, "received": received, "median_ms": 40.0}
    return ProbeResult("icmp", "10.0.0.1", "ok" if received else "timeout", details=details)


def test_configured_icmp_probes_count_for_the_loss_verdict() -> None:
    from test_grades_verdict import report

    results = {"collector-ping": _ping(100, 100), "ping-kpu": _ping(100, 58)}
    found = check.assess(report(probes=ProbesSection(results, MEASURED)))
    assert [f.code for f in found] == ["PING_LOSS"]
    assert found[0].fields == {"target": "10.0.0.1", "percent": 42, "lost": 42, "sent": 100}
    assert verdict_of(found) == "DEGRADED"
    # A 5-ping probe with 2 of 5 replies is DEGRADED too (60 % lost, proven).
    few = {"collector-ping": _ping(100, 99), "ping-kpu": _ping(5, 2)}
    found = check.assess(report(probes=ProbesSection(few, MEASURED)))
    assert [f.code for f in found] == ["PING_LOSS"]


def test_2g_only_advises_a_4g_modem_or_sim_not_the_antenna() -> None:
    from test_grades_verdict import report

    from agent.tech.report import NetworkSection

    gsm = NetworkSection(registered=True, reg_state="home", rat="gsm", generation="2G")
    found = check.assess(report(network=gsm))
    assert [f.code for f in found] == ["RAT_2G"]
    assert advice_for(found) == ["USE_4G"]


GSM_GOOD: dict[str, Any] = {**LTE, "rat": "gsm", "lac": 0x2B1, "rssi_dbm": -61}
for _key in ("rsrp_dbm", "rsrq_db", "sinr_db", "tac", "earfcn", "band", "pci"):
    GSM_GOOD.pop(_key)


def test_check_on_a_2g_only_modem_with_a_good_signal(
    tmp_path: Path, running: RunningCollector
) -> None:
    with sim_modem({"steps": [GSM_GOOD]}, dialect="3gpp") as sim:
        config = write_config(
            tmp_path, port=sim.port_path, address=f"127.0.0.1:{running.port}", token=running.token
        )
        code, doc = check_json("--config", str(config), "--lang", "id", "--no-throughput", *FAST)
    assert doc["network"]["generation"] == "2G", doc["network"]
    assert doc["signal"]["grade"] == "excellent"
    assert (code, doc["verdict"]) == (3, "DEGRADED")
    assert codes(doc, "reasons") >= {"RAT_2G"}
    assert [a["code"] for a in doc["advice"]] == ["USE_4G"]
    (advice,) = doc["advice"]
    assert "modem yang mendukung 4G" in advice["message"]
    assert "Memindahkan antena tidak menolong" in advice["message"]


def _with_ca(config: Path, ca: Path) -> Path:
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[collector]\n", f'[collector]\nca_file = "{ca}"\n'), "utf-8")
    return config


def test_file_problems() -> None:
    from agent.kitfiles import file_problem

    system_cas = Path("/etc/ssl/certs/ca-certificates.crt")
    if system_cas.exists():
        assert file_problem(system_cas, pem=True) is None


@pytest.mark.parametrize(
    "case",
    [
        (None, "missing", "the file does not exist", "berkasnya tidak ada"),
        (b"", "empty", "the file is empty", "berkasnya kosong"),
        (
            b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
            "not-pem",
            "the file is not a PEM certificate",
            "bukan sertifikat PEM",
        ),
    ],
)
def test_a_bad_ca_file_is_named_by_config_check_and_check(
    tmp_path: Path, running: RunningCollector, case: tuple[bytes | None, str, str, str]
) -> None:
    from techkit import run_cli

    content, problem, en, id_ = case
    ca = tmp_path / "ca.crt"
    if content is not None:
        ca.write_bytes(content)
    config = _with_ca(
        write_config(tmp_path, address=f"127.0.0.1:{running.port}", token=running.token), ca
    )
    for lang, words in (("en", en), ("id", id_)):
        done = run_cli("config-check", str(config), env={"PANTAU_LANG": lang})
        assert done.returncode == 2, done.stdout + done.stderr
        assert f"[collector] ca_file = {ca}: " in done.stderr and words in done.stderr
        assert "OK" not in done.stdout
    code, doc = check_json("--config", str(config), "--lang", "en", "--no-throughput", *FAST)
    assert (code, doc["verdict"]) == (4, "NOT_READY")
    assert doc["collector"]["status"] == "ca-file" and doc["collector"]["error"] == problem
    assert doc["collector"]["ca_file"] == str(ca)
    reasons = codes(doc, "reasons")
    assert "CA_FILE_BAD" in reasons and "COLLECTOR_UNREACHABLE" not in reasons
    assert [a["code"] for a in doc["advice"]] == ["FIX_CA_FILE"]
    (reason,) = [r for r in doc["reasons"] if r["code"] == "CA_FILE_BAD"]
    assert str(ca) in reason["message"] and en in reason["message"]
    assert f"--ca-file PATH/ca.crt --config {config}" in doc["advice"][0]["message"]
    _, doc_id = check_json("--config", str(config), "--lang", "id", "--no-throughput", *FAST)
    (reason_id,) = [r for r in doc_id["reasons"] if r["code"] == "CA_FILE_BAD"]
    assert id_ in reason_id["message"]
