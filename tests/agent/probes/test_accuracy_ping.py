"""Does the ping prober measure what the network does? Real namespaces, real impairments.

- loss: nftables drops a known share of echo requests at the server; the prober's loss must
  be within 3 binomial standard deviations of it and equal to what nftables counted;
- RTT: the prober's median agrees with iputils ``ping`` on the same path (within 10% or
  0.2 ms, whichever is larger), on a plain veth path and through the userspace link
  emulator (agent.sim.link) at 80 ms ± 20 ms;
- loss through the emulator: every packet the prober lost is one the emulator dropped.

Needs root (skipped with the reason otherwise); about 15 s.
"""

import asyncio
import math
import re
import shutil
import statistics

import pytest
from machine import unavailable
from netlab import Chain, Namespace, NetLab

from agent.probes import icmp
from agent.probes.icmp import IcmpConfig, PingOutcome

pytestmark = [pytest.mark.root, pytest.mark.slow]

_PING_LINE = re.compile(r"icmp_seq=(\d+) ttl=\d+ time=([\d.]+) ms")


def prober_ping(ns: Namespace, config: IcmpConfig) -> PingOutcome:
    """Run the icmp prober inside ``ns``."""
    return ns.call(lambda: asyncio.run(icmp.probe(config, name="accuracy")), timeout_s=60)


def iputils_ping(ns: Namespace, target: str, count: int, interval_s: float) -> list[float]:
    """RTTs (ms) of the replies iputils ping got, from its per-packet lines."""
    if shutil.which("ping") is None:
        unavailable("iputils ping is not installed (Debian package iputils-ping)")
    done = ns.run(
        "ping", "-n", "-c", str(count), "-i", f"{interval_s:g}", "-W", "1", target, check=False
    )
    return [float(ms) for _, ms in _PING_LINE.findall(done.stdout)]


def rtt_tolerance_ms(reference_ms: float) -> float:
    return max(0.1 * reference_ms, 0.2)


def emulated_path(lab: NetLab, *emulator_args: str) -> Chain:
    path = lab.chain("client", "router", "server")
    router = path.namespaces[1]
    lab.emulate(
        router,
        client_dev=path.links[0].b_dev,
        server_dev=path.links[1].a_dev,
        args=emulator_args,
    )
    return path


def test_loss_matches_the_nftables_drop_rate(netlab: NetLab) -> None:
    path = netlab.chain("client", "server")
    netlab.random_drop(path.server, 20)  # echo requests, at the server's input hook
    rounds = [
        prober_ping(path.client, IcmpConfig(path.server_ip, count=100, interval_s=0.01))
        for _ in range(2)
    ]
    sent = sum(r.sent for r in rounds)
    lost = sum(r.sent - r.received for r in rounds)
    assert sent == 200
    print(f"loss: prober {lost}/{sent}, nftables 20%")
    bound = 3 * math.sqrt(0.2 * 0.8 / sent)
    assert abs(lost / sent - 0.2) <= bound, f"loss {lost / sent:.3f}, expected 0.2 ± {bound:.3f}"
    # not only statistically right: exactly the packets nftables dropped
    assert lost == netlab.dropped_packets(path.server)
    for r in rounds:
        assert r.loss_ratio == pytest.approx((r.sent - r.received) / r.sent)
        assert r.duplicates == 0


def test_rtt_median_agrees_with_iputils_on_veth(netlab: NetLab) -> None:
    path = netlab.chain("client", "server")
    reference = iputils_ping(path.client, path.server_ip, 50, 0.01)
    ours = prober_ping(path.client, IcmpConfig(path.server_ip, count=50, interval_s=0.01))
    assert len(reference) == 50 and ours.received == 50
    assert ours.median_ms is not None
    ref_median = statistics.median(reference)
    print(f"veth RTT median: prober {ours.median_ms:.3f} ms, iputils {ref_median:.3f} ms")
    assert abs(ours.median_ms - ref_median) <= rtt_tolerance_ms(ref_median), (
        f"prober median {ours.median_ms:.3f} ms, iputils {ref_median:.3f} ms"
    )


def test_rtt_median_agrees_with_iputils_through_the_emulator(netlab: NetLab) -> None:
    # 40 ms ± 10 ms each way: RTT 80 ms ± 20 ms
    path = emulated_path(netlab, "--delay-ms", "40", "--jitter-ms", "10")
    reference = iputils_ping(path.client, path.server_ip, 100, 0.02)
    ours = prober_ping(path.client, IcmpConfig(path.server_ip, count=100, interval_s=0.02))
    assert len(reference) == 100 and ours.received == 100
    assert ours.median_ms is not None and ours.min_ms is not None and ours.max_ms is not None
    ref_median = statistics.median(reference)
    print(f"emulated RTT median: prober {ours.median_ms:.2f} ms, iputils {ref_median:.2f} ms")
    assert abs(ours.median_ms - ref_median) <= rtt_tolerance_ms(ref_median), (
        f"prober median {ours.median_ms:.2f} ms, iputils {ref_median:.2f} ms"
    )
    # and the emulator does what it was told (+ up to 2 ms of userspace forwarding)
    assert 78.0 <= ours.median_ms <= 86.0
    assert ours.min_ms >= 60.0 and ours.max_ms <= 104.0
    assert ours.jitter_ms is not None and ours.jitter_ms > 3.0


def test_every_packet_the_prober_lost_was_dropped_by_the_emulator(netlab: NetLab) -> None:
    path = emulated_path(netlab, "--delay-ms", "5", "--loss", "0.1", "--burst", "0.05,0.3,0,0.5")
    outcome = prober_ping(path.client, IcmpConfig(path.server_ip, count=100, interval_s=0.01))
    stats = netlab.stop_emulators()[0]
    dropped = sum(stats[d][k] for d in ("up", "down") for k in ("dropped_loss", "dropped_burst"))
    print(f"emulated loss: prober {outcome.sent - outcome.received}/100, emulator {dropped}")
    assert outcome.sent == 100 and outcome.duplicates == 0
    assert outcome.sent - outcome.received == dropped
    assert stats["up"]["packets"] == 100  # only our echo requests crossed the link
    assert stats["down"]["packets"] == stats["up"]["delivered"]
