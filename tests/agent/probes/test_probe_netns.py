"""Probes in a throwaway network namespace: loss, timeouts, unreachable routes, privileges.

Each test runs ``_probe_child.py`` under ``unshare --net`` (a fresh namespace that vanishes
with the process; nothing leaves the machine), after setting up routes inside it:

- 10.0.0.0/24 is routed into ``lo`` but only 10.0.0.1 is local: packets to 10.0.0.2 loop
  back and are dropped, so nothing ever answers (a blackhole that still accepts packets).
- 10.9.0.0/16 has an ``unreachable`` route: the kernel refuses to send (EHOSTUNREACH).
- ``net.ipv4.ping_group_range`` is per namespace, so unprivileged ICMP can be allowed there
  without touching the host; ``setpriv`` drops to ``nobody`` (no CAP_NET_RAW).
"""

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CHILD = Path(__file__).with_name("_probe_child.py")
BLACKHOLE = ("ip addr add 10.0.0.1/32 dev lo", "ip route add 10.0.0.0/24 dev lo src 10.0.0.1")
NO_ROUTE = ("ip route add unreachable 10.9.0.0/16",)
ALLOW_PING_SOCKETS = ("echo '0 2147483647' > /proc/sys/net/ipv4/ping_group_range",)
NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")


@functools.cache
def _netns_unavailable() -> str | None:
    if os.geteuid() != 0:
        return "needs root: network namespaces"
    if not (shutil.which("unshare") and shutil.which("ip") and shutil.which("setpriv")):
        return "needs unshare, ip and setpriv (util-linux, iproute2)"
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        return f"cannot create a network namespace: {probe.stderr.decode().strip()}"
    return None


pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(_netns_unavailable() is not None, reason=str(_netns_unavailable())),
]


def in_netns(
    kind: str, options: dict[str, Any], setup: tuple[str, ...] = (), *, nobody: bool = False
) -> dict[str, Any]:
    script = "; ".join(("set -e", "ip link set lo up", *setup, 'exec "$@"'))
    command = ["unshare", "--net", "--", "sh", "-c", script, "sh"]
    if nobody:
        command += NOBODY
    command += [sys.executable, "-W", "error", str(CHILD), kind, json.dumps(options)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_ping_with_no_answer_is_100_percent_loss() -> None:
    options = {"target": "10.0.0.2", "count": 3, "interval_s": 0.02, "timeout_s": 0.2}
    outcome = in_netns("icmp", options, BLACKHOLE)["outcome"]
    assert outcome["method"] == "icmp-raw"
    assert outcome["common"]["status"] == "timeout"
    assert outcome["common"]["reason"] == "100% packet loss (3/3)"
    assert outcome["packets"] == [
        {"icmp_seq": seq, "rtt_ms": None, "duplicates": 0} for seq in (1, 2, 3)
    ]
    assert (outcome["sent"], outcome["received"], outcome["loss_ratio"]) == (3, 0, 1.0)
    assert outcome["min_ms"] is None and outcome["jitter_ms"] is None
    # our own requests loop back to the raw socket: they are not replies, nor counted twice
    assert outcome["common"]["bytes_used"] == 3 * 84


def test_tcp_connect_with_no_answer_times_out() -> None:
    outcome = in_netns("tcp", {"target": "10.0.0.2", "port": 80, "timeout_s": 0.2}, BLACKHOLE)
    assert outcome["outcome"]["common"]["status"] == "timeout"
    assert outcome["outcome"]["common"]["reason"] == "no answer from 10.0.0.2:80 within 0.2 s"
    assert outcome["outcome"]["connect_ms"] is None
    assert outcome["outcome"]["common"]["bytes_used"] == 60  # one SYN


def test_tcp_fallback_ping_with_no_answer_is_100_percent_loss() -> None:
    options = {
        "target": "10.0.0.2",
        "count": 2,
        "interval_s": 0.01,
        "timeout_s": 0.2,
        "method": "tcp-connect",
        "tcp_fallback_port": 443,
    }
    outcome = in_netns("icmp", options, BLACKHOLE)["outcome"]
    assert outcome["common"]["status"] == "timeout"
    assert outcome["common"]["reason"] == "100% packet loss (2/2)"
    assert outcome["tcp_port"] == 443


def test_ping_without_route_is_unreachable() -> None:
    options = {"target": "10.9.0.2", "count": 2, "interval_s": 0.01, "timeout_s": 0.2}
    outcome = in_netns("icmp", options, NO_ROUTE)["outcome"]
    assert outcome["common"]["status"] == "unreachable"
    assert outcome["common"]["reason"] == (
        "100% packet loss (2/2): sending echo request 1 failed: No route to host (EHOSTUNREACH)"
    )
    assert outcome["sent"] == 2 and outcome["common"]["bytes_used"] == 0


def test_tcp_without_route_is_unreachable() -> None:
    outcome = in_netns("tcp", {"target": "10.9.0.2", "port": 80}, NO_ROUTE)["outcome"]
    assert outcome["common"]["status"] == "unreachable"
    assert outcome["common"]["reason"] == "connect to 10.9.0.2:80: No route to host (EHOSTUNREACH)"


def test_forced_dgram_ping_where_allowed() -> None:
    options = {"target": "127.0.0.1", "count": 3, "interval_s": 0.01, "method": "icmp-dgram"}
    outcome = in_netns("icmp", options, ALLOW_PING_SOCKETS)["outcome"]
    assert outcome["common"]["status"] == "ok", outcome["common"]["reason"]
    assert outcome["method"] == "icmp-dgram"
    assert (outcome["sent"], outcome["received"]) == (3, 3)
    assert outcome["common"]["bytes_used"] == 3 * 2 * 84


def test_unprivileged_auto_picks_dgram_where_allowed() -> None:
    options = {"target": "127.0.0.1", "count": 2, "interval_s": 0.01}
    result = in_netns("icmp", options, ALLOW_PING_SOCKETS, nobody=True)
    assert result["available"] == "icmp-dgram"
    assert result["outcome"]["method"] == "icmp-dgram"
    assert result["outcome"]["received"] == 2


def test_unprivileged_auto_without_icmp_is_not_permitted() -> None:
    result = in_netns("icmp", {"target": "127.0.0.1"}, nobody=True)
    assert result["available"] is None
    outcome = result["outcome"]
    assert outcome["method"] == ""
    assert outcome["common"]["status"] == "not-permitted"
    assert outcome["common"]["reason"] == (
        "no ICMP socket permitted (raw ICMP sockets need root or CAP_NET_RAW; unprivileged "
        "ICMP sockets are not allowed: net.ipv4.ping_group_range is '1 0', which excludes "
        "this process's groups); set tcp_fallback_port to measure TCP connect time instead"
    )
    assert outcome["sent"] == 0


def test_unprivileged_auto_falls_back_to_tcp_connect() -> None:
    options = {"target": "127.0.0.1", "count": 2, "interval_s": 0.01, "tcp_fallback_port": 9}
    result = in_netns("icmp", options, nobody=True)
    outcome = result["outcome"]
    assert result["available"] is None
    assert outcome["method"] == "tcp-connect"
    assert outcome["tcp_port"] == 9
    # nothing listens on port 9 in the new namespace: the RST still measures a round trip
    assert outcome["common"]["status"] == "ok"
    assert outcome["received"] == 2
