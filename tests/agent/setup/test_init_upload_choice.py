"""``init`` and the speed test of ``check``: on by default (``[check] upload_test = true``),
declined with ``--no-upload-test`` (kept on a re-run without the flag, turned on again with
``--upload-test``); the key the agent's own loader reads."""

from __future__ import annotations

from pathlib import Path

from initkit import SITE, RunningCollector
from test_init_scripted import init

from agent.config import load_agent_config


def test_the_upload_test_is_on_unless_declined(
    tmp_path: Path, collector: RunningCollector, modem: tuple[object, Path]
) -> None:
    _, link = modem
    args = ["--site", SITE, "--collector", collector.address, "--modem", str(link)]
    config_path = tmp_path / "etc" / "agent.toml"
    first = init(tmp_path, *args, "--code", collector.code(), "--no-upload-test", lang="id")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Uji kecepatan: tidak aktif ([check] upload_test = false)" in first.stdout
    assert load_agent_config(config_path).check.upload_test is False
    assert "upload_test = false" in config_path.read_text()

    kept = init(tmp_path, *args)  # no flag: the technician's choice stands
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "Speed test: off ([check] upload_test = false)" in kept.stdout
    assert load_agent_config(config_path).check.upload_test is False

    on = init(tmp_path, *args, "--upload-test")
    assert on.returncode == 0, on.stdout + on.stderr
    assert "Speed test: on ([check] upload_test = true)" in on.stdout
    check = load_agent_config(config_path).check
    assert (check.upload_test, check.throughput_port, check.upload_need_mbps) == (True, 7601, 3.0)
