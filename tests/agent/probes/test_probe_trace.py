"""The traceroute prober: needs root (raw sockets); without it, a clear not-permitted result."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from machine import unavailable

from agent.probes import ProbeConfigError, build_config
from agent.probes.base import ProbeStatus
from agent.probes.trace import TraceConfig, probe

CHILD = Path(__file__).with_name("_probe_child.py")
ROOT = Path(__file__).parents[3]
NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def _nobody_unavailable() -> str | None:
    if os.geteuid() != 0:
        return "needs root to switch to the user nobody"
    if shutil.which("setpriv") is None:
        return "needs setpriv (util-linux)"
    return None


@pytest.mark.skipif(_nobody_unavailable() is not None, reason=str(_nobody_unavailable()))
def test_trace_without_root_is_not_permitted(tmp_path: Path) -> None:
    options = {"target": "127.0.0.1", "max_hops": 2, "timeout_s": 0.1}
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'proto'}", "HOME": str(tmp_path)}
    done = subprocess.run(
        [*NOBODY, sys.executable, "-W", "error", str(CHILD), "trace", json.dumps(options)],
        capture_output=True, text=True, timeout=30, check=False, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    common = json.loads(done.stdout)["outcome"]["common"]
    assert common["status"] == "not-permitted"
    assert common["reason"] == (
        "traceroute sends crafted packets and needs raw sockets: run the agent as root "
        "or give it CAP_NET_RAW"
    )


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: raw sockets")
@pytest.mark.parametrize("method", ["icmp", "tcp-syn"])
def test_trace_to_loopback_reaches_it_at_hop_one(method: str) -> None:
    config = TraceConfig("127.0.0.1", method=method, port=9, max_hops=4, timeout_s=0.5)
    outcome = asyncio.run(probe(config, name="trace-test"))
    assert outcome.common.status is ProbeStatus.OK, outcome.common.reason
    assert outcome.reached
    assert len(outcome.hops) == 1
    hop = outcome.hops[0]
    assert (hop.ttl, hop.address, hop.reached_target, hop.probes_sent) == (1, "127.0.0.1", True, 2)
    assert len(hop.rtts_ms) >= 1 and all(0 <= rtt < 500 for rtt in hop.rtts_ms)
    assert outcome.port == (9 if method == "tcp-syn" else None)
    assert outcome.common.bytes_used > 0


def test_unresolvable_target() -> None:
    if os.geteuid() != 0:
        unavailable("without root the probe stops at not-permitted before resolving")
    outcome = asyncio.run(probe(TraceConfig("nothing.invalid"), name="t"))
    assert outcome.common.status is ProbeStatus.UNRESOLVABLE
    assert outcome.hops == () and not outcome.reached


def test_bad_trace_config() -> None:
    with pytest.raises(ProbeConfigError, match="method must be 'icmp' or 'tcp-syn', got 'udp'"):
        build_config("trace", {"target": "x", "method": "udp"}, "test")
