"""``check --json`` over a real link shaped with ``tc tbf`` between network namespaces: an
upload under the result photos' need is DEGRADED with its reason and advice, a fast link
shows both figures and no upload finding, and the bytes ``check`` charges to the daily data
budget are the bytes that crossed the link (IP level), within a small tolerance and the
collector's own retransmissions (a duplicate reaches the kit uncounted).

A simulated modem (a good 4G signal, on a real pty) answers check's AT commands, so the
upload is the only thing wrong on a slow link. server namespace: the real collector (its own process, TLS from ``pantau-collector tls
init``, gRPC and the throughput endpoint on the link's address). client namespace: the
``check`` CLI with a kit config whose ``[check]`` table points the speed test at the
collector's throughput port. The client's end of the link is shaped (uploads go through
it). Needs root (skipped with the reason otherwise).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from netlab import MTU, Chain, NetLab
from techkit import (
    AGENT_ID,
    CLI,
    LTE,
    SITE,
    collector_data_with_kit,
    namespaces_or_skip,
    sim_modem,
    wait_for,
)

pytestmark = [pytest.mark.root, pytest.mark.slow]

COLLECTOR = str(Path(sys.executable).with_name("pantau-collector"))
#: What check moves but does not count: the Telemetry Hello (TLS handshake, HTTP/2 and
#: the Hello itself), ARP and neighbour discovery.
UNCOUNTED_MAX = 30_000
#: Relative tolerance between the budget's count and the link's counters (headers are
#: estimated per segment from TCP_INFO; pings and DNS by their own probes): 0.15 to 0.3 %
#: under on a fast link, 1.4 to 1.8 % on 300 kbit/s both ways.
RELATIVE = 0.03


@dataclass
class Lab:
    netlab: NetLab
    path: Chain
    kit: Path


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    from collector.tls import init_tls

    namespaces_or_skip()
    tmp = tmp_path_factory.mktemp("slowup")
    data, token = collector_data_with_kit(tmp)
    with NetLab() as netlab, sim_modem({"steps": [LTE]}) as modem:
        path = netlab.chain("client", "server")
        ip = path.server_ip
        tls = init_tls(data, [ip])
        log = tmp / "collector.log"
        with log.open("wb") as out:
            serve = subprocess.Popen(
                path.server.argv(
                    COLLECTOR, "serve", "--data-dir", str(data), "--listen", f"{ip}:0",
                    "--throughput-listen", f"{ip}:0", "--http-listen", "off",
                ),
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            ports: list[str] = []

            def listening() -> bool:
                assert serve.poll() is None, log.read_text()
                found = re.findall(r"listening on port (\d+) \(TLS\), throughput tests on port (\d+)",
                                   log.read_text())  # fmt: skip
                ports[:] = found[0] if found else []
                return bool(found)

            wait_for(listening, 30, "the collector in the server namespace")
            kit = tmp / "kit"
            (kit / "data").mkdir(parents=True)
            (kit / "agent.toml").write_text(
                f"""
[agent]
site = "{SITE}"
id = "{AGENT_ID}"
data_dir = "{kit / "data"}"

[collector]
address = "{ip}:{ports[0]}"
credential = "{token}"
ca_file = "{tls.ca_cert}"

[modem]
port = "{modem.port_path}"
dialect = "quectel"

[check]
throughput_port = {ports[1]}
""",
                encoding="utf-8",
            )
            yield Lab(netlab, path, kit)
        finally:
            serve.terminate()
            serve.wait(30)


def busy_sockets(lab: Lab) -> str:
    """The client's TCP sockets to the server that may still send (neither closed by both
    sides nor waiting on the peer alone)."""
    return lab.path.client.run(
        "ss", "-Htn", "exclude", "time-wait", "exclude", "fin-wait-2",
        "dst", lab.path.server_ip,
    ).stdout.strip()  # fmt: skip


def run_check(
    lab: Lab, rate_bit: int | None, down_bit: int | None = None
) -> tuple[int, dict[str, object], int]:
    """(exit code, the JSON, IP bytes that crossed the link) of one check."""
    client, dev = lab.path.client, lab.path.links[0].a_dev
    server, server_dev = lab.path.server, lab.path.links[0].b_dev
    for ns, device, rate in ((client, dev, rate_bit), (server, server_dev, down_bit)):
        if rate is None:
            ns.run("tc", "qdisc", "del", "dev", device, "root", check=False)
        else:
            lab.netlab.tbf(ns, device, rate)
    budget = lab.kit / "data" / "budget.json"
    budget.unlink(missing_ok=True)
    before, resent_before = client.link_bytes(dev), server.tcp_retransmitted_segments()
    done = subprocess.run(
        client.argv(
            CLI, "check", "--json", "--config", str(lab.kit / "agent.toml"), "--lang", "en",
            "--ping-interval", "0.01",
        ),
        capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    # What the kernel still sends after check exits counts too: read the counters once
    # no connection to the collector has anything left to send (a socket closed with
    # data queued goes on sending it; one reset sends nothing more).
    wait_for(lambda: not busy_sockets(lab), 60, "the client's sockets to drain")
    crossed = client.link_bytes(dev) - before
    # The collector's retransmissions: a spurious one (the first copy had arrived; veth
    # reorders under CPU contention, and a stall can time a whole window out) crosses
    # twice and the kit counts it once, as it cannot tell a duplicate apart.
    server_resent = MTU * (server.tcp_retransmitted_segments() - resent_before)
    assert done.stdout.strip(), done.stderr
    doc = json.loads(done.stdout)
    counted = json.loads(budget.read_text())["used_bytes"]
    assert counted == doc["data_today"]["this_check_bytes"]  # type: ignore[index]
    # The budget counts what crossed the link: not less (nothing moved uncounted beyond
    # the Hello and the collector's duplicates), and not more than the link carried plus
    # the kit's retransmissions (no nominal payload, nor segments the kit's own full
    # shaper dropped before the link).
    tp = doc["probes"]["throughput"]  # type: ignore[index]
    resent = MTU * (tp.get("retransmits") or 0)
    low = crossed * (1 - RELATIVE) - UNCOUNTED_MAX - server_resent
    assert low <= counted, (counted, crossed, server_resent)
    assert counted <= crossed * (1 + RELATIVE) + resent, (counted, crossed, resent)
    return done.returncode, doc, crossed


@pytest.mark.timeout(120)
@pytest.mark.parametrize("rate_bit", [1_000_000, 300_000])
def test_a_slow_upload_is_degraded_with_advice(lab: Lab, rate_bit: int) -> None:
    code, doc, _ = run_check(lab, rate_bit)
    tp = doc["probes"]["throughput"]  # type: ignore[index]
    assert tp["status"] == "ok" and tp["direction"] == "upload", tp
    assert tp["goodput_bps"] < 3e6 and tp["need_bps"] == 3e6
    assert tp["latency_ms"] is not None and tp["jitter_ms"] is not None
    assert tp["download"]["status"] == "ok" and tp["download"]["goodput_bps"] > 3e6
    assert (code, doc["verdict"]) == (3, "DEGRADED"), doc["reasons"]
    assert doc["signal"]["grade"] == "good"  # type: ignore[index]
    degraded = {r["code"] for r in doc["reasons"] if r["severity"] != "note"}  # type: ignore[union-attr]
    # Only the upload (and, at 300 kbit/s, the 30 MB of photos taking over 15 minutes).
    assert "THROUGHPUT_LOW" in degraded <= {"THROUGHPUT_LOW", "PHOTOS_SLOW"}, doc["reasons"]
    low = next(r for r in doc["reasons"] if r["code"] == "THROUGHPUT_LOW")  # type: ignore[union-attr]
    assert "is under what the result photos need (3.0 Mbit/s" in low["message"]
    assert "PLAN_PHOTO_UPLOAD" in [a["code"] for a in doc["advice"]]  # type: ignore[union-attr]
    assert doc["photos"]["basis"] == "measured"  # type: ignore[index]


@pytest.mark.timeout(120)
def test_the_budget_counts_the_bytes_of_a_slow_link_both_ways(lab: Lab) -> None:
    """The case of the field report: 300 kbit/s each way, both transfers cut by the time
    cap (a 262 kB first transfer takes 7 s)."""
    _, doc, _ = run_check(lab, 300_000, 300_000)
    tp = doc["probes"]["throughput"]  # type: ignore[index]
    assert tp["stop_reason"] == "time-cap" and tp["download"]["stop_reason"] == "time-cap"
    assert tp["goodput_bps"] < 3e6 and tp["download"]["goodput_bps"] < 3e6


@pytest.mark.timeout(120)
def test_a_fast_link_shows_both_figures_and_no_upload_finding(lab: Lab) -> None:
    code, doc, crossed = run_check(lab, None)
    tp = doc["probes"]["throughput"]  # type: ignore[index]
    assert tp["status"] == "ok" and tp["goodput_bps"] > 3e6, tp
    assert tp["download"]["goodput_bps"] > 3e6
    # Bounded: at most 2 MB of payload each way (the [check] default).
    assert tp["payload_bytes"] <= 2_000_000 and tp["download"]["payload_bytes"] <= 2_000_000
    assert crossed < 4_400_000
    codes = [r["code"] for r in doc["reasons"]]  # type: ignore[union-attr]
    assert "THROUGHPUT_LOW" not in codes and "UPLOAD_NOT_MEASURED" not in codes, codes
    assert doc["verdict"] == "READY" and code == 0, doc["reasons"]
