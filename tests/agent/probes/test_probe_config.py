"""Probe configs: defaults, validation, and build_config's messages (exact, for people)."""

import dataclasses
from typing import Any

import pytest

from agent.probes import PROBERS, ProbeConfigError, build_config
from agent.probes.icmp import IcmpConfig
from agent.probes.tcp import TcpConfig
from pantau.v1 import records_pb2

WHERE = "agent.toml: [[probe]] #2"


def error_of(kind: str, options: dict[str, Any]) -> str:
    with pytest.raises(ProbeConfigError) as caught:
        build_config(kind, options, WHERE)
    return str(caught.value)


def test_defaults() -> None:
    assert build_config("icmp", {"target": "collector.example"}, WHERE) == IcmpConfig(
        "collector.example", 5, 0.2, 1.0, 56, None, "auto", None
    )
    assert build_config("tcp", {"target": "10.1.2.3", "port": 443}, WHERE) == TcpConfig(
        "10.1.2.3", 443, 3.0, None
    )


def test_all_keys_and_integer_for_float() -> None:
    options = {
        "target": "8.8.8.8",
        "count": 10,
        "interval_s": 1,  # TOML integer where a number is expected: fine
        "timeout_s": 2.5,
        "payload_bytes": 0,
        "source": "wwan0",
        "method": "tcp-connect",
        "tcp_fallback_port": 53,
    }
    config = build_config("icmp", options, WHERE)
    assert config == IcmpConfig("8.8.8.8", 10, 1.0, 2.5, 0, "wwan0", "tcp-connect", 53)
    assert isinstance(config, IcmpConfig) and type(config.interval_s) is float


BAD_CONFIGS = [
    (
        "icmp",
        {"target": "x", "cnt": 3},
        "unknown key 'cnt' (did you mean 'count'?) for probe kind 'icmp'; allowed keys: "
        "count, interval_s, method, payload_bytes, source, target, tcp_fallback_port, timeout_s",
    ),
    (
        "tcp",
        {"target": "x", "port": 1, "retries": 2, "zzz": 1},
        "unknown keys 'retries', 'zzz' for probe kind 'tcp'; allowed keys: "
        "port, source, target, timeout_s",
    ),
    ("icmp", {"count": 3}, "missing required key 'target' for probe kind 'icmp'"),
    ("tcp", {"target": "x"}, "missing required key 'port' for probe kind 'tcp'"),
    ("icmp", {"target": "x", "count": "5"}, "count must be an integer, got '5' (a string)"),
    ("icmp", {"target": "x", "count": 5.0}, "count must be an integer, got 5.0 (a number)"),
    ("icmp", {"target": "x", "count": True}, "count must be an integer, got true (a boolean)"),
    ("icmp", {"target": 8}, "target must be a string, got 8 (an integer)"),
    ("icmp", {"target": "x", "timeout_s": "1s"}, "timeout_s must be a number, got '1s' (a string)"),
    ("tcp", {"target": "x", "port": [443]}, "port must be an integer, got an array"),
    ("tcp", {"target": "x", "port": 1, "source": {}}, "source must be a string, got a table"),
    ("icmp", {"target": "x", "count": 0}, "count must be between 1 and 100, got 0"),
    ("icmp", {"target": "x", "count": 101}, "count must be between 1 and 100, got 101"),
    (
        "icmp",
        {"target": "x", "interval_s": 0},
        "interval_s must be between 0.01 and 60, got 0.0",
    ),
    ("icmp", {"target": "x", "timeout_s": -1}, "timeout_s must be between 0.01 and 60, got -1.0"),
    (
        "icmp",
        {"target": "x", "payload_bytes": 1473},
        "payload_bytes must be between 0 and 1472, got 1473",
    ),
    (
        "icmp",
        {"target": "x", "method": "icmp"},
        "method must be one of 'auto', 'icmp-raw', 'icmp-dgram', 'tcp-connect', got 'icmp'",
    ),
    (
        "icmp",
        {"target": "x", "method": "tcp-connect"},
        "method 'tcp-connect' needs tcp_fallback_port",
    ),
    (
        "icmp",
        {"target": "x", "tcp_fallback_port": 0},
        "tcp_fallback_port must be between 1 and 65535, got 0",
    ),
    ("tcp", {"target": "x", "port": 70000}, "port must be between 1 and 65535, got 70000"),
    (
        "tcp",
        {"target": "", "port": 1},
        "target must be a host name or IP address, got an empty string",
    ),
    (
        "tcp",
        {"target": "https://example.com", "port": 443},
        "target must be a host name or IP address, not a URL or a prefix, "
        "got 'https://example.com'",
    ),
    (
        "tcp",
        {"target": "example.com:443", "port": 443},
        "target must be a host name or IP address without a port, got 'example.com:443'",
    ),
    ("icmp", {"target": "a b"}, "target must not contain spaces, got 'a b'"),
    (
        "icmp",
        {"target": "x", "source": "eth0/1"},
        "source must be an IP address or a network interface name (e.g. 'wwan0'), got 'eth0/1'",
    ),
    (
        "smtp",
        {"target": "x"},
        "unknown probe kind 'smtp' (known kinds: dns, http, icmp, tcp, throughput, trace)",
    ),
]


@pytest.mark.parametrize(("kind", "options", "message"), BAD_CONFIGS)
def test_bad_config_messages(kind: str, options: dict[str, Any], message: str) -> None:
    assert error_of(kind, options) == f"{WHERE}: {message}"


def test_config_errors_are_value_errors_without_where_when_built_directly() -> None:
    with pytest.raises(ValueError, match=r"^count must be between 1 and 100, got 0$"):
        IcmpConfig("x", count=0)


def test_literal_addresses_and_interfaces_are_accepted() -> None:
    assert IcmpConfig("2001:db8::1", source="2001:db8::2").source == "2001:db8::2"
    assert IcmpConfig("fe80::1%wwan0").target == "fe80::1%wwan0"
    assert TcpConfig("10.0.0.1", 22, source="usb0").source == "usb0"


def test_registry_is_consistent() -> None:
    body = records_pb2.Record.DESCRIPTOR.oneofs_by_name["body"]
    record_fields = {f.name for f in body.fields}
    for kind, spec in PROBERS.items():
        assert dataclasses.is_dataclass(spec.config_type), kind
        assert spec.record_field in record_fields, kind
        assert callable(spec.probe) and callable(spec.to_proto), kind
