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


def test_admission_control_is_set_in_the_ingest_table(tmp_path: Path) -> None:
    path = tmp_path / "collector.toml"
    path.write_text(
        "[ingest]\nhandshakes = 5\nhandshake_queue = 0\nretry_min_ms = 200\ndrains = 2\n",
        encoding="utf-8",
    )
    ingest = load_collector_config(path).ingest
    assert (ingest.handshakes, ingest.handshake_queue, ingest.retry_min_ms) == (5, 0, 200)
    assert (ingest.drains, ingest.retry_max_ms) == (2, 120_000)  # the rest: defaults


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("handshakes = 0", "handshakes"),
        ("handshake_wait_s = 61", "handshake_wait_s"),
        ("retry_max_ms = 600001", "retry_max_ms"),
        ("handshakes = 1.5", "handshakes"),
        ("retry_min_ms = 5000\nretry_max_ms = 1000",
         r"retry_min_ms \(5000\) must not exceed retry_max_ms \(1000\)"),
        ("drain_records_per_s = 5\ndrain_trickle_records_per_s = 50",
         r"drain_trickle_records_per_s \(50\) must not exceed drain_records_per_s \(5\)"),
        ("handshake = 5", "did you mean 'handshakes'"),
    ],
)  # fmt: skip
def test_bad_admission_settings_are_refused_naming_the_key(
    tmp_path: Path, table: str, message: str
) -> None:
    path = tmp_path / "collector.toml"
    path.write_text(f"[ingest]\n{table}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_collector_config(path)
