"""The link emulator on real TUN devices between namespaces, measured with iputils and iperf3.

client -> router (emulator: lk-up / lk-dn TUN devices, policy routing) -> server.
Needs root (skipped with the reason otherwise); about 15 s.
"""

import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from machine import unavailable
from netlab import NETNS_DIR, Chain, NetLab, cleanup_leftovers

pytestmark = [pytest.mark.root, pytest.mark.slow]

_PING_LINE = re.compile(r"icmp_seq=(\d+) ttl=\d+ time=([\d.]+) ms")


def emulated(lab: NetLab, *args: str, max_runtime_s: float = 60.0) -> Chain:
    path = lab.chain("client", "router", "server")
    lab.emulate(
        path.namespaces[1],
        client_dev=path.links[0].b_dev,
        server_dev=path.links[1].a_dev,
        args=args,
        max_runtime_s=max_runtime_s,
    )
    return path


def ping(path: Chain, count: int, interval_s: float, *extra: str) -> dict[int, float]:
    """icmp_seq -> RTT ms of the replies iputils ping got."""
    done = path.client.run(
        "ping", "-n", "-c", str(count), "-i", f"{interval_s:g}", "-W", "1", *extra,
        path.server_ip, check=False, timeout_s=count * interval_s + 10,
    )  # fmt: skip
    return {int(seq): float(ms) for seq, ms in _PING_LINE.findall(done.stdout)}


def test_fixed_delay_is_what_ping_sees(netlab: NetLab) -> None:
    path = emulated(netlab, "--delay-ms", "30")
    rtts = ping(path, 50, 0.01)
    assert len(rtts) == 50
    median = statistics.median(rtts.values())
    print(f"emulated 2 x 30 ms: ping median {median:.2f} ms")
    assert 60.0 <= median <= 62.5  # userspace forwarding adds well under 1 ms per direction
    assert min(rtts.values()) >= 60.0


def test_the_router_counts_as_one_hop_only_with_ttl_restored(netlab: NetLab) -> None:
    path = emulated(netlab, "--delay-ms", "1")
    assert len(ping(path, 1, 0.1, "-t", "2")) == 1  # client -> router -> server: 2 hops
    other = netlab.chain("client2", "router2", "server2")
    netlab.emulate(
        other.namespaces[1],
        client_dev=other.links[0].b_dev,
        server_dev=other.links[1].a_dev,
        args=["--no-restore-ttl"],
    )
    done = other.client.run(
        "ping", "-n", "-c", "1", "-W", "1", "-t", "2", other.server_ip, check=False
    )
    assert "Time to live exceeded" in done.stdout


def test_link_follows_the_modem_scenario(netlab: NetLab, tmp_path: Path) -> None:
    """Good LTE for 1 s, no service for 1 s, then weak signal: the link drops, then is slow."""
    scenario = tmp_path / "outage.toml"
    scenario.write_text(
        "[[steps]]\nat_s = 0\nrat = 'lte'\nreg_state = 'home'\nrsrp_dbm = -85\nsinr_db = 22\n"
        "[[steps]]\nat_s = 1.0\nrat = 'none'\nreg_state = 'searching'\n"
        "[[steps]]\nat_s = 2.0\nrat = 'lte'\nreg_state = 'home'\nrsrp_dbm = -112\nsinr_db = 10\n"
    )
    path = emulated(netlab, "--scenario", str(scenario), "--seed", "1")
    rtts = ping(path, 40, 0.1)
    lost = [seq for seq in range(1, 41) if seq not in rtts]
    print(f"scenario: lost icmp_seq {lost}")
    # the outage: about ten consecutive requests (1 s at 0.1 s) from around seq 11; the weak
    # signal afterwards loses a few more (2% each way), the good signal before loses none
    runs: list[list[int]] = []
    for seq in lost:
        if runs and seq == runs[-1][-1] + 1:
            runs[-1].append(seq)
        else:
            runs.append([seq])
    outage = max(runs, key=len)
    assert 8 <= len(outage) <= 12 and 9 <= outage[0] <= 13
    assert runs[0] is outage  # nothing lost before it
    assert len(lost) - len(outage) <= 4
    before = [rtts[s] for s in range(1, outage[0])]
    after = [rtts[s] for s in range(outage[-1] + 1, 41) if s in rtts]
    # good LTE: 2 x 15 ms ± 2 x 2 ms; weak (-112 dBm, SINR 10): 2 x 39 ms ± 2 x 17 ms, 2% loss
    print(
        f"scenario: RTT median {statistics.median(before):.1f} ms before, "
        f"{statistics.median(after):.1f} ms after ({len(after)} replies)"
    )
    assert 25.0 <= statistics.median(before) <= 37.0
    assert statistics.median(after) >= 60.0
    assert len(after) >= 15
    assert max(after) - min(after) > 15.0  # SINR 10 dB: visible jitter


def test_emulator_rate_limit_under_iperf3(netlab: NetLab) -> None:
    if shutil.which("iperf3") is None:
        unavailable("needs iperf3 (Debian: iperf3)")
    path = emulated(netlab, "--rate-bps", "4000000", "--limit-packets", "60")
    server = netlab.popen(path.server, "iperf3", "-s", "-1", "-B", path.server_ip)
    for _ in range(100):
        if path.server.run("ss", "-Htln", "sport = :5201").stdout.strip() or server.poll():
            break
        time.sleep(0.02)
    done = path.client.run("iperf3", "-c", path.server_ip, "-R", "-t", "3", "-J", timeout_s=20)
    bps = json.loads(done.stdout)["end"]["sum_received"]["bits_per_second"]
    print(f"emulator at 4 Mbit/s (IP level): iperf3 {bps / 1e6:.3f} Mbit/s")
    expected = 4e6 * 1448 / 1500  # payload share of each 1500-byte IP packet
    assert abs(bps - expected) <= 0.10 * expected


def test_emulator_stops_by_itself_and_reports(netlab: NetLab) -> None:
    path = netlab.chain("client", "router", "server")
    started = time.monotonic()
    emulator = netlab.emulate(
        path.namespaces[1],
        client_dev=path.links[0].b_dev,
        server_dev=path.links[1].a_dev,
        max_runtime_s=0.5,
    )
    emulator.process.wait(timeout=5)
    assert time.monotonic() - started < 4.0
    stats = emulator.stop()
    assert set(stats) == {"up", "down"} and stats["up"]["dropped_write"] == 0


def test_cli_rejects_a_bad_tun_device_name() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "agent.sim.link_cli", "--up-dev", "x" * 16, "--down-dev", "y"],
        capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "TUN device name must be 1 to 15 bytes" in done.stderr


# --- the namespace lab itself ----------------------------------------------------------------


def test_lab_deletes_its_namespaces_and_stops_its_processes(netlab: NetLab) -> None:
    with NetLab() as lab:
        path = emulated(lab, "--delay-ms", "1")
        sleeper = lab.popen(path.server, "sleep", "30")
        names = [ns.name for ns in path.namespaces]
        assert all(name in netlab_names() for name in names)
    assert not set(names) & set(netlab_names())
    assert sleeper.returncode is not None


def test_leftovers_of_dead_runs_are_cleaned_but_live_ones_kept(netlab: NetLab) -> None:
    live = netlab.namespace("live")
    dead = "pt-999999999-1-crashed"  # no such pid
    subprocess.run(["ip", "netns", "add", dead], check=True)
    try:
        assert dead in cleanup_leftovers()
        assert live.name in netlab_names() and dead not in netlab_names()
    finally:
        subprocess.run(["ip", "netns", "del", dead], capture_output=True, check=False)


def netlab_names() -> list[str]:
    return [p.name for p in NETNS_DIR.iterdir()] if NETNS_DIR.is_dir() else []
