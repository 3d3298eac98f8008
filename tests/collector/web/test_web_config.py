"""The [web] section of the collector's configuration file."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config import default_config, load_collector_config
from pantau.core.tomlconfig import ConfigError


def test_web_section_defaults_and_values(tmp_path: Path) -> None:
    web = default_config().web
    assert (web.listen, web.session_idle_s, web.session_max_s) == ("127.0.0.1:8080", 1800, 43200)
    assert (web.silent_after_s, web.login_failures, web.heartbeat_s) == (300, 5, 15)
    path = tmp_path / "collector.toml"
    path.write_text('[web]\nlisten = "0.0.0.0:9090"\nsession_idle_s = 600\n', encoding="utf-8")
    loaded = load_collector_config(path).web
    assert (loaded.listen, loaded.session_idle_s, loaded.session_max_s) == (
        "0.0.0.0:9090",
        600,
        43200,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[web]\nsession_idle_s = 1\n", "session_idle_s"),
        ("[web]\nsesion_idle_s = 100\n", "did you mean 'session_idle_s'"),
    ],
)
def test_bad_web_settings_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "collector.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_collector_config(path)


def test_the_metrics_token_comes_from_its_file(tmp_path: Path) -> None:
    (tmp_path / "metrics.token").write_text("s3cret-scrape\n", encoding="utf-8")
    path = tmp_path / "collector.toml"
    path.write_text(f'[web]\nmetrics_token_file = "{tmp_path / "metrics.token"}"\n')
    web = load_collector_config(path).web
    assert web.metrics_token == "s3cret-scrape"
    assert "s3cret" not in repr(web)  # never in a log line
    assert default_config().web.metrics_token == ""  # open by default, as documented


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "metrics_token_file: cannot read .*missing.token"), ("\n", "is empty")],
)
def test_a_bad_metrics_token_file_is_a_clear_error(
    tmp_path: Path, content: str | None, message: str
) -> None:
    token = tmp_path / ("missing.token" if content is None else "empty.token")
    if content is not None:
        token.write_text(content, encoding="utf-8")
    path = tmp_path / "collector.toml"
    path.write_text(f'[web]\nmetrics_token_file = "{token}"\n')
    with pytest.raises(ConfigError, match=message):
        load_collector_config(path)
