"""The rules file: defaults, good files, and every bad file's exact message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from collector.rules import RuleEngine, check_rules_file, load_rules
from collector.rules.config import RulesConfig, describe, rules_from_mapping
from pantau.core.tomlconfig import ConfigError

DATA = Path(__file__).resolve().parents[2] / "data" / "rules"
BAD = DATA / "bad"

EXPECTED = {
    "backhaul-not-a-table.toml": "[backhaul]: expected tables such as [backhaul.vsat-geo], got 'vsat-geo'",
    "backhaul-out-of-range.toml": "[backhaul.wired] max_loss_ratio: expected a number between 0 and 1, got 1.5",
    "backhaul-unknown.toml": "[backhaul.vsat]: unknown backhaul (known: cellular, vsat-geo, vsat-leo, wired)",
    "backhaul-unknown-key.toml": "[backhaul.vsat-geo] high_latency_ms: unknown key (allowed here: max_loss_ratio, max_rtt_ms)",
    "enabled-not-bool.toml": "[high_latency] enabled: expected true or false, got a string ('no')",
    "flap-changes-one.toml": "[high_loss] flap_changes: expected 0 (off) or at least 2, got 1",
    "horizon-too-short.toml": "[engine] horizon_s: expected at least 10800 (the longest rule needs [low_throughput] for_s 0 + window_s 10800), got 3600",
    "incidents-area-of-one.toml": "[incidents] area_min_sites: expected an integer between 2 and 1000000, got 1",
    "incidents-unknown-key.toml": "[incidents] hold: unknown key (did you mean 'hold_s'? allowed here: area_min_sites, area_window_s, enabled, field_min_sites, group_wait_s, hold_s, outage_grace_s, province_min_kabupaten, update_min_change_ratio, update_min_change_sites, update_min_interval_s)",
    "not-toml.toml": "not valid TOML: Expected ']' at the end of a table declaration (at line 1, column 12)",
    "out-of-range.toml": "[weak_signal] lte_min_rsrp_dbm: expected a number between -140 and -44, got -30",
    "rule-not-a-table.toml": "[no_service]: expected a table, got an integer (5)",
    "silent-one-interval.toml": "[agent_silent] intervals: expected an integer between 2 and 1000, got 1",
    "unknown-key.toml": "[weak_signal] lte_min_rsrp: unknown key (did you mean 'lte_min_rsrp_dbm'? allowed here: enabled, flap_changes, flap_window_s, for_s, gsm_min_rssi_dbm, hold_s, lte_min_rsrp_dbm, nr_min_rsrp_dbm, umts_min_rscp_dbm, window_s)",
    "unknown-rule.toml": "weak_sigal: unknown key (did you mean 'weak_signal'? allowed here: agent_silent, backhaul, engine, high_latency, high_loss, incidents, low_throughput, modem_fault, no_coverage, no_service, poor_quality, weak_signal)",
    "wrong-type.toml": "[no_service] for_s: expected a number between 0 and 86400, got a string ('2m')",
}


def test_every_bad_fixture_has_an_expected_message() -> None:
    assert sorted(p.name for p in BAD.glob("*.toml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_rules_file_gives_its_exact_message(name: str) -> None:
    path = BAD / name
    with pytest.raises(ConfigError) as info:
        load_rules(path)
    assert str(info.value) == f"{path}: {EXPECTED[name]}"
    assert check_rules_file(path) == (2, f"{path}: {EXPECTED[name]}")


def test_a_missing_file_is_an_error_not_a_traceback() -> None:
    path = DATA / "nope.toml"
    assert check_rules_file(path) == (2, f"{path}: file not found")


def test_check_a_good_file() -> None:
    path = DATA / "good-rules.toml"
    code, message = check_rules_file(path)
    assert code == 0
    assert message == (
        f"{path}: OK (8 rules: NO_SERVICE, WEAK_SIGNAL, POOR_QUALITY, HIGH_LOSS, "
        "LOW_THROUGHPUT, AGENT_SILENT, MODEM_FAULT, NO_COVERAGE; disabled: HIGH_LATENCY)"
    )
    config = load_rules(path)
    assert config.weak_signal.lte_min_rsrp_dbm == -112
    assert config.weak_signal.for_s == 300  # not in the file: the default
    assert config.high_loss.flap_changes == 8
    assert config.agent_silent.timing().for_ns == 5 * 30 * 1_000_000_000
    assert config.incidents.enabled and config.incidents.settings().group_wait_ns == 30 * 10**9


def test_demo_sized_rules_load() -> None:
    config = load_rules(DATA / "demo-rules.toml")
    assert config.no_service.for_s == 5 and config.no_service.hold_s == 10
    RuleEngine(config)


def test_no_file_means_the_defaults() -> None:
    config = load_rules(None)
    assert config == RulesConfig()
    assert describe(config).startswith("9 rules: NO_SERVICE, WEAK_SIGNAL")
    # FIELD.md grades: LTE RSRP below -100 is already poor; -110 is the default alarm
    assert config.weak_signal.lte_min_rsrp_dbm == -110
    assert config.poor_quality.min_sinr_db == 0


@pytest.mark.parametrize(
    ("rules", "backhaul", "max_rtt_ms", "max_loss_ratio"),
    [
        # built in: cellular is the rules' own limits; a geostationary RTT of 500-700 ms
        # is normal, so its limit is far above it
        ({}, "cellular", 300, 0.2),
        ({}, "vsat-geo", 1200, 0.25),
        ({}, "vsat-leo", 250, 0.1),
        ({}, "wired", 150, 0.05),
        ({}, "a-later-backhaul", 300, 0.2),  # unknown here: judged as cellular
        # cellular follows the rules' own sections; the others keep their own
        ({"high_latency": {"max_rtt_ms": 500}}, "cellular", 500, 0.2),
        ({"high_latency": {"max_rtt_ms": 500}}, "vsat-geo", 1200, 0.25),
        # a key left out of [backhaul.NAME] keeps that backhaul's default
        ({"backhaul": {"vsat-geo": {"max_loss_ratio": 0.3}}}, "vsat-geo", 1200, 0.3),
        ({"backhaul": {"vsat-geo": {"max_rtt_ms": 1500}}}, "vsat-geo", 1500, 0.25),
        ({"backhaul": {"cellular": {"max_rtt_ms": 400}}}, "cellular", 400, 0.2),
        ({"backhaul": {"wired": {}}}, "wired", 150, 0.05),
    ],
)
def test_each_backhaul_has_its_own_baseline(
    rules: dict[str, Any], backhaul: str, max_rtt_ms: float, max_loss_ratio: float
) -> None:
    baseline = rules_from_mapping(rules, source="rules.toml").baseline(backhaul)
    assert (baseline.max_rtt_ms, baseline.max_loss_ratio) == (max_rtt_ms, max_loss_ratio)


def test_the_backhauls_in_a_file() -> None:
    config = load_rules(DATA / "satellite-rules.toml")
    assert config.baseline("vsat-geo").max_rtt_ms == 1500
    assert config.baseline("vsat-geo").max_loss_ratio == 0.25  # not in the file
    assert config.baseline("cellular").max_rtt_ms == 300


def test_the_technicians_guide_states_the_built_in_baselines() -> None:
    """Both languages' tables of docs/technician.md section 2b match the defaults."""
    import re

    guide = (DATA.parents[2] / "docs" / "technician.md").read_text(encoding="utf-8")
    row = re.compile(r"^\| `([a-z-]+)` \| [^|]+ \| ([\d.,]+) ms \| (\d+) % \|$", re.MULTILINE)
    rows = row.findall(guide)
    assert len(rows) == 8  # four backhauls, two languages
    config = RulesConfig()
    for name, rtt, loss in rows:
        baseline = config.baseline(name)
        assert float(re.sub(r"[.,]", "", rtt)) == baseline.max_rtt_ms, name
        assert int(loss) / 100 == baseline.max_loss_ratio, name
