"""Does the trace prober list the path? Namespaces as routers, in a known order.

client -> r1 -> r2 -> server, routed, each router forwarding. The prober runs in a
subprocess inside the client namespace (scapy reads the routing table from /proc/net, which
only a process inside the namespace sees). Through the userspace link emulator the path
must look the same (it gives back the TTL its TUN detour costs) and the hops behind it must
show its delay.

Needs root and scapy (skipped with the reason otherwise); about 5 s.
"""

import importlib.util
import json
import sys

import pytest
from netlab import Chain, NetLab

pytestmark = [
    pytest.mark.root,
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("scapy") is None, reason="needs scapy (pip install pantau[trace])"
    ),
]

CHILD = """
import asyncio, dataclasses, json, sys
from agent.probes.trace import TraceConfig, probe
config = TraceConfig(**json.loads(sys.argv[1]))
print(json.dumps(dataclasses.asdict(asyncio.run(probe(config, name="accuracy")))))
"""


def trace_from_client(path: Chain, **options: object) -> dict:
    options = {"target": path.server_ip, **options}
    done = path.client.run(sys.executable, "-c", CHILD, json.dumps(options), timeout_s=30)
    return json.loads(done.stdout)


def test_trace_lists_the_namespace_hops_in_order(netlab: NetLab) -> None:
    path = netlab.chain("client", "r1", "r2", "server")
    outcome = trace_from_client(path, max_hops=8, queries=2, timeout_s=1.0)
    assert outcome["common"]["status"] == "ok", outcome["common"]["reason"]
    assert outcome["reached"] is True
    hops = outcome["hops"]
    assert [hop["address"] for hop in hops] == list(path.hop_ips)
    assert [hop["ttl"] for hop in hops] == [1, 2, 3]
    assert [hop["reached_target"] for hop in hops] == [False, False, True]
    assert all(len(hop["rtts_ms"]) == 2 for hop in hops)


@pytest.mark.parametrize("method", ["icmp", "tcp-syn"])
def test_trace_through_the_emulator_sees_one_router_and_its_delay(
    netlab: NetLab, method: str
) -> None:
    path = netlab.chain("client", "r1", "r2", "server")
    r1 = path.namespaces[1]
    netlab.emulate(
        r1, client_dev=path.links[0].b_dev, server_dev=path.links[1].a_dev,
        args=["--delay-ms", "25"],
    )  # fmt: skip
    outcome = trace_from_client(path, method=method, port=9, max_hops=8, timeout_s=1.0)
    assert outcome["reached"] is True, outcome["common"]["reason"]
    hops = outcome["hops"]
    assert [hop["address"] for hop in hops] == list(path.hop_ips)
    first, *behind = [min(hop["rtts_ms"]) for hop in hops]
    print(f"{method} trace RTTs: {[round(min(h['rtts_ms']), 2) for h in hops]} ms")
    assert first < 10.0  # r1 answers before its emulated link
    assert all(50.0 <= rtt <= 70.0 for rtt in behind)  # 25 ms each way, + scheduling
