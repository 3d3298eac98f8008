"""``init`` on a kit with a modem per operator: a re-run keeps its ``[[modems]]`` (every
key as written); ``--modem`` goes back to one modem."""

from __future__ import annotations

from pathlib import Path

from initkit import SITE, RunningCollector
from test_init_scripted import init

from agent.config import load_agent_config

MODEMS = """[[modems]]
name = "tsel"
port = "/dev/ttyUSB2"
dialect = "quectel"
interface = "wwan0"

[[modems]]
name = "xl"
port = "/dev/ttyUSB6"
interval_s = 60
interface = "wwan1"
"""


def test_a_rerun_keeps_the_modems(tmp_path: Path, collector: RunningCollector) -> None:
    args = ["--site", SITE, "--collector", collector.address]
    config_path = tmp_path / "etc" / "agent.toml"
    first = init(tmp_path, *args, "--modem", "none", "--code", collector.code())
    assert first.returncode == 0, first.stdout + first.stderr
    text = config_path.read_text()
    assert '[modem]\nport = ""\n' in text
    config_path.write_text(text.replace('[modem]\nport = ""\n', MODEMS))
    before = load_agent_config(config_path).modems

    again = init(tmp_path, *args, "--lang", "en")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "This kit has 2 modems (a modem per operator, [[modems]]): all are kept." in again.stdout
    assert load_agent_config(config_path).modems == before
    assert "[modem]\n" not in config_path.read_text()

    single = init(tmp_path, *args, "--modem", "none")
    assert single.returncode == 0, single.stdout + single.stderr
    assert load_agent_config(config_path).modems == ()
