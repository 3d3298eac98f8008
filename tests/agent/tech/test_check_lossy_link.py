"""``check --json`` through a link that loses 40 % of the pings (the userspace link
emulator of agent.sim.link between network namespaces): DEGRADED with PING_LOSS in every
one of 20 runs, each with its own loss seed.

client namespace: the real collector (its own process, on the namespace's loopback) and
the ``check`` CLI, whose configured ICMP probe (5 pings in the file: check sends 100)
pings the server namespace through the router, where the emulator drops packets. Needs root (skipped with the reason otherwise).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from netlab import Chain, NetLab
from techkit import (
    CLI,
    collector_data_with_kit,
    namespaces_or_skip,
    wait_for,
    write_config,
)

pytestmark = [pytest.mark.root, pytest.mark.slow]

COLLECTOR = str(Path(sys.executable).with_name("pantau-collector"))
#: One-way loss that makes 40 % of round trips fail: 1 - (1 - p)^2 = 0.4.
ONE_WAY_LOSS = 1 - math.sqrt(0.6)
SEEDS = range(1, 21)


@dataclass
class Lab:
    lab: NetLab
    path: Chain
    config: Path


@pytest.fixture(scope="module")
def lossy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    namespaces_or_skip()
    tmp = tmp_path_factory.mktemp("lossy")
    data, token = collector_data_with_kit(tmp)
    with NetLab() as lab:
        path = lab.chain("client", "router", "server")
        router = path.namespaces[1]
        # The emulator's devices and routes, with a perfect link for now; each run below
        # attaches an emulator of its own (seeded) to the same devices.
        lab.emulate(router, client_dev=path.links[0].b_dev, server_dev=path.links[1].a_dev)
        lab.stop_emulators()
        log = tmp / "collector.log"
        with log.open("wb") as out:
            serve = subprocess.Popen(
                path.client.argv(
                    COLLECTOR, "serve", "--data-dir", str(data), "--listen", "127.0.0.1:0",
                    "--throughput-listen", "off", "--http-listen", "off",
                ),
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            found: list[str] = []

            def listening() -> bool:
                assert serve.poll() is None, log.read_text()
                found[:] = re.findall(r"listening on port (\d+)", log.read_text())
                return bool(found)

            wait_for(listening, 30, "the collector in the client namespace")
            extra = f"""
[[probe]]
name = "ping-kpu"
kind = "icmp"
target = "{path.server_ip}"
count = 5
"""
            config = write_config(
                tmp / "kit",
                address=f"127.0.0.1:{found[0]}",
                token=token,
                extra=extra,
            )
            yield Lab(lab, path, config)
        finally:
            serve.terminate()
            serve.wait(30)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("seed", SEEDS)
def test_40_percent_loss_is_degraded_in_every_run(lossy: Lab, seed: int) -> None:
    router = lossy.path.namespaces[1]
    emulator = subprocess.Popen(
        router.argv(
            sys.executable, "-m", "agent.sim.link_cli", "--up-dev", "lk-up",
            "--down-dev", "lk-dn", "--loss", f"{ONE_WAY_LOSS:.6f}", "--seed", str(seed),
            "--max-runtime-s", "50", "--exit-with-parent",
        ),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert emulator.stdout is not None
        assert emulator.stdout.readline().strip() == "ready", emulator.stderr
        done = subprocess.run(
            lossy.path.client.argv(
                CLI, "check", "--json", "--config", str(lossy.config), "--lang", "en",
                "--no-throughput", "--ping-interval", "0.01",
            ),
            capture_output=True, text=True, timeout=45, check=False,
        )  # fmt: skip
    finally:
        emulator.terminate()
        emulator.communicate(timeout=10)
    assert done.stdout.strip(), done.stderr
    doc = json.loads(done.stdout)
    ping = doc["probes"]["results"]["ping-kpu"]
    assert ping["sent"] == 100
    assert doc["collector"]["status"] == "ok", doc["collector"]
    assert (done.returncode, doc["verdict"]) == (3, "DEGRADED"), (ping, doc["reasons"])
    loss = next(r for r in doc["reasons"] if r["code"] == "PING_LOSS")
    assert f"Pings to {lossy.path.server_ip}: {100 - ping['received']} of 100" in loss["message"]
    # The collector's own pings (over the namespace's loopback) lost nothing.
    assert doc["probes"]["results"]["collector-ping"]["received"] == 100
