"""``pantau-agent probe``: one-off runs from the command line, in a real subprocess."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "agent.cli", "probe", *args],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def test_tcp_probe_as_json(listening_port: int) -> None:
    done = cli("tcp", "127.0.0.1", "--port", str(listening_port), "--timeout", "2", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["kind"] == "tcp"
    assert result["common"]["status"] == "ok"
    assert result["common"]["target"] == f"127.0.0.1:{listening_port}"
    assert result["connect_ms"] > 0


def test_refused_probe_is_readable_and_exits_1() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = cli("tcp", "127.0.0.1", "--port", str(port))
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == (
        f"tcp 127.0.0.1:{port}: refused (connection to 127.0.0.1:{port} refused)"
    )
    assert "  bytes_used: 100" in done.stdout.splitlines()


def test_bad_option_value_exits_2_with_the_config_message() -> None:
    done = cli("icmp", "127.0.0.1", "--count", "0")
    assert done.returncode == 2
    assert done.stderr.strip() == "pantau-agent probe: count must be between 1 and 100, got 0"


def test_unknown_option_and_kind_exit_2() -> None:
    assert cli("tcp", "127.0.0.1", "--port", "80", "--colour", "red").returncode == 2
    done = cli("smtp", "x")
    assert done.returncode == 2
    assert "unknown probe kind 'smtp' (known: dns, http, icmp, tcp, throughput, trace)" in (
        done.stderr
    )


def test_throughput_without_credential_says_so() -> None:
    done = cli("throughput", "127.0.0.1", "--port", "9", "--json")
    assert done.returncode == 1
    common = json.loads(done.stdout)["common"]
    assert common["status"] == "error"
    assert common["reason"].startswith("no agent credential")


def test_handler_directly(listening_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    """The same path without a subprocess (in case agent.cli cannot import)."""
    import argparse

    from agent.cli_probe import _handle

    args = argparse.Namespace(kind="tcp", rest=["127.0.0.1", "--port", str(listening_port)])
    assert _handle(args) == 0
    assert capsys.readouterr().out.startswith(f"tcp 127.0.0.1:{listening_port}: ok")
