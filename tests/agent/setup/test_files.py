"""Atomic, idempotent writes: an unchanged file is not touched, a refused or
interrupted write leaves the old file and no temporary file behind."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from agent.config import load_agent_config
from agent.setup.files import KitConfig, atomic_write


def test_unchanged_content_is_not_rewritten_and_modes_are_exact(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "agent.toml"
    assert atomic_write(path, b"a = 1\n", 0o600) is True
    mtime = path.stat().st_mtime_ns
    assert atomic_write(path, b"a = 1\n", 0o600) is False
    assert path.stat().st_mtime_ns == mtime
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert atomic_write(path, b"a = 1\n", 0o644) is True  # only the mode differs
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


@pytest.mark.parametrize("error", [ValueError("refused"), KeyboardInterrupt()])
def test_a_refused_or_interrupted_write_leaves_the_old_file(
    tmp_path: Path, error: BaseException
) -> None:
    path = tmp_path / "agent.toml"
    path.write_bytes(b"old\n")

    def check(tmp: Path) -> None:
        assert tmp.read_bytes() == b"new\n"  # complete before it could replace anything
        raise error

    with pytest.raises(type(error)):
        atomic_write(path, b"new\n", 0o600, check=check)
    assert path.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agent.toml"]


def test_the_config_names_the_collector_and_probes_it(tmp_path: Path) -> None:
    kit = KitConfig(
        site="3171011001005",
        agent_id="kit-3171011001005",
        data_dir=Path("/var/lib/pantau"),
        collector="collector.example:7600",
        credential_file=Path("/var/lib/pantau/credential"),
        ca_file="/etc/pantau/ca.crt",
        modem_port="usb:2c7c:0125:if02",
    )
    text = kit.render()
    assert 'port = "usb:2c7c:0125:if02"' in text and "dialect" not in text
    assert 'target = "collector.example"' in text and "tcp_fallback_port = 7600" in text
    assert 'query_name = "collector.example"' in text  # a name: DNS is probed too
    assert kit.render() == text  # deterministic: re-runs rewrite nothing
    (tmp_path / "agent.toml").write_text(text, encoding="utf-8")
    config = load_agent_config(tmp_path / "agent.toml")  # the agent's own loader
    assert [p.kind for p in config.probes] == ["icmp", "tcp", "dns"]
    assert config.collector.ca_file == "/etc/pantau/ca.crt"


@pytest.mark.parametrize("collector", ["10.8.0.1:7600", "[2001:db8::1]:7600", "localhost:7600"])
def test_an_address_or_localhost_gets_no_dns_probe(tmp_path: Path, collector: str) -> None:
    kit = KitConfig(
        site="3171011001005",
        agent_id="kit-3171011001005",
        data_dir=Path("/var/lib/pantau"),
        collector=collector,
        credential_file=Path("/var/lib/pantau/credential"),
        insecure=True,
    )
    (tmp_path / "agent.toml").write_text(kit.render(), encoding="utf-8")
    config = load_agent_config(tmp_path / "agent.toml")
    assert [p.kind for p in config.probes] == ["icmp", "tcp"]
