"""The collector's configuration file: routes' secrets kept in files of their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config import load_collector_config
from pantau.core.tomlconfig import ConfigError

ROUTE = '[routes.telkomsel]\nurl = "https://noc.example/hook"\n'


def test_a_routes_secret_comes_from_its_file(tmp_path: Path) -> None:
    (tmp_path / "tsel.secret").write_text("hmac-key-1\n", encoding="utf-8")
    path = tmp_path / "collector.toml"
    path.write_text(ROUTE + f'secret_file = "{tmp_path / "tsel.secret"}"\n', encoding="utf-8")
    route = load_collector_config(path).routes["telkomsel"]
    assert (route.url, route.secret) == ("https://noc.example/hook", "hmac-key-1")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, r"\[routes.telkomsel\] secret_file: cannot read .*missing.secret"),
        ("  \n", r"\[routes.telkomsel\] secret_file: .*empty.secret is empty"),
    ],
)
def test_a_bad_secret_file_is_a_clear_error(
    tmp_path: Path, content: str | None, message: str
) -> None:
    secret = tmp_path / ("missing.secret" if content is None else "empty.secret")
    if content is not None:
        secret.write_text(content, encoding="utf-8")
    path = tmp_path / "collector.toml"
    path.write_text(ROUTE + f'secret_file = "{secret}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_collector_config(path)
