"""``init --backhaul``: a VSAT kit with no modem is set up like any other; the backhaul
is written as ``[kit] backhaul`` (only when it is not cellular), kept on a re-run
without the flag, and read back by the agent's own loader."""

from __future__ import annotations

from pathlib import Path

from initkit import SITE, RunningCollector
from test_init_scripted import init

from agent.config import load_agent_config


def test_a_satellite_kit_without_a_modem(tmp_path: Path, collector: RunningCollector) -> None:
    args = ["--site", SITE, "--collector", collector.address, "--modem", "none"]
    config_path = tmp_path / "etc" / "agent.toml"
    first = init(tmp_path, *args, "--code", collector.code(), "--backhaul", "vsat-geo")
    assert first.returncode == 0, first.stdout + first.stderr
    config = load_agent_config(config_path)
    assert (config.kit.backhaul, config.modem.port) == ("vsat-geo", "")
    assert '[kit]\nbackhaul = "vsat-geo"' in config_path.read_text()

    kept = init(tmp_path, *args)  # no flag: the kit's link stands
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert load_agent_config(config_path).kit.backhaul == "vsat-geo"

    back = init(tmp_path, *args, "--backhaul", "cellular")
    assert back.returncode == 0, back.stdout + back.stderr
    assert load_agent_config(config_path).kit.backhaul == "cellular"
    assert "[kit]" not in config_path.read_text()  # the default is not written


def test_an_unknown_backhaul_is_refused_with_the_choices(tmp_path: Path) -> None:
    done = init(tmp_path, "--site", SITE, "--backhaul", "vsat", "--modem", "none")
    assert done.returncode == 2
    assert "'cellular', 'vsat-geo', 'vsat-leo', 'wired'" in done.stderr
