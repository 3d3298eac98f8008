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


def test_a_route_chooses_its_format_and_limit(tmp_path: Path) -> None:
    key = tmp_path / "indosat.pagerduty"
    key.write_text("0123456789abcdef0123456789abcdef\n", encoding="utf-8")
    path = tmp_path / "collector.toml"
    path.write_text(
        ROUTE
        + '\n[routes.indosat]\nurl = "https://events.pagerduty.com/v2/enqueue"\n'
        + f'format = "pagerduty"\nrouting_key_file = "{key}"\nmax_per_minute = 110\n'
        + '\n[routes.oss]\nurl = "https://oss.example/tmf-api/alarmManagement/v4"\n'
        + 'format = "tmf642"\n',
        encoding="utf-8",
    )
    routes = load_collector_config(path).routes
    assert (routes["telkomsel"].format, routes["telkomsel"].max_per_minute) == ("pantau", 100)
    indosat = routes["indosat"]
    assert (indosat.format, indosat.max_per_minute) == ("pagerduty", 110)
    assert indosat.routing_key == "0123456789abcdef0123456789abcdef"
    assert "0123456789abcdef" not in repr(indosat)  # keys stay out of logs
    assert routes["oss"].format == "tmf642"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            'format = "opsgenie"',
            r"\[routes.telkomsel\] format: expected one of 'pantau', 'pagerduty', "
            r"'alertmanager', 'tmf642', got 'opsgenie'",
        ),
        (
            'format = "pagerduty"',
            r'\[routes.telkomsel\] routing_key_file: required with format = "pagerduty"',
        ),
        (
            'routing_key_file = "/etc/pantau/key"',
            r'\[routes.telkomsel\] routing_key_file: only format = "pagerduty" sends a '
            r'routing key, this route\'s format is "pantau"',
        ),
        (
            'format = "pagerduty"\nrouting_key_file = "MISSING"',
            r"\[routes.telkomsel\] routing_key_file: cannot read .*none: No such file",
        ),
        (
            "max_per_minute = 0",
            r"\[routes.telkomsel\] max_per_minute: expected an integer between 1 and 10000, "
            r"got 0",
        ),
        (
            "max_per_minute = 10001",
            r"\[routes.telkomsel\] max_per_minute: expected an integer between 1 and 10000, "
            r"got 10001",
        ),
        (
            "max_per_minute = 1.5",
            r"\[routes.telkomsel\] max_per_minute: expected an integer between 1 and 10000, "
            r"got a number \(1.5\)",
        ),
    ],
)
def test_a_bad_route_format_or_limit_is_a_clear_error(
    tmp_path: Path, lines: str, message: str
) -> None:
    path = tmp_path / "collector.toml"
    path.write_text(ROUTE + lines.replace("MISSING", str(tmp_path / "none")) + "\n", "utf-8")
    with pytest.raises(ConfigError, match=message):
        load_collector_config(path)


def test_the_replicas_lease_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "collector.toml"
    assert (
        load_collector_config(_written(path, "[replicas]\nlease_s = 4.5\n")).replicas.lease_s == 4.5
    )
    assert load_collector_config(_written(path, "")).replicas.lease_s == 15.0


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("[replicas]\nlease_s = 0.5", r"\[replicas\] lease_s: expected a number between 1"),
        ("[replicas]\nlease_s = 601", r"\[replicas\] lease_s: expected a number between 1"),
        ('[replicas]\nlease_s = "15"', r"\[replicas\] lease_s: expected a number"),
        ("[replicas]\nleases_s = 15", r"\[replicas\].*leases_s.*lease_s"),
    ],
)
def test_a_bad_replicas_setting_is_a_clear_error(tmp_path: Path, lines: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_collector_config(_written(tmp_path / "collector.toml", lines + "\n"))


def test_the_sms_secrets_come_from_their_files(tmp_path: Path) -> None:
    (tmp_path / "sms.secret").write_text("a-secret-of-enough-bytes\n", encoding="utf-8")
    (tmp_path / "hook.secret").write_text("hook\n", encoding="utf-8")
    path = tmp_path / "collector.toml"
    path.write_text(
        f'[sms]\nsecret_file = "{tmp_path / "sms.secret"}"\n'
        f'webhook_secret_file = "{tmp_path / "hook.secret"}"\n',
        encoding="utf-8",
    )
    sms = load_collector_config(path).sms
    assert (sms.secret, sms.webhook_secret) == (b"a-secret-of-enough-bytes", "hook")
    assert "a-secret" not in repr(sms)
    (tmp_path / "sms.secret").write_text("short\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"\[sms\] secret_file: .* holds 5 bytes, expected at least 16"
    ):
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


def _written(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path
