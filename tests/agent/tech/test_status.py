"""``pantau-agent status``: against a real running agent (``pantau-agent run`` reading a
simulated modem, streaming to a real collector), a stopped one, a killed one and none."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from techkit import CLI, LTE, collector, run_cli, sim_modem, wait_for, write_config

from agent.tech import status


def status_json(config: Path, lang: str = "en") -> tuple[int, dict[str, Any]]:
    proc = run_cli("status", "--config", str(config), "--json", "--lang", lang)
    assert proc.stdout.strip(), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("systemd", [False, True], ids=["plain", "systemd-runtime-dir"])
def test_status_of_a_running_agent_then_a_stopped_one(tmp_path: Path, systemd: bool) -> None:
    """Under systemd (``$RUNTIME_DIRECTORY`` set) the file lives there, in RAM, and the
    data directory links to it; readers are the same either way."""
    env = dict(os.environ)
    env.pop("RUNTIME_DIRECTORY", None)
    run_dir = tmp_path / "run"
    if systemd:
        run_dir.mkdir()  # systemd makes it (RuntimeDirectory=pantau)
        env["RUNTIME_DIRECTORY"] = str(run_dir)
    with collector(tmp_path / "c") as running, sim_modem({"steps": [LTE]}) as sim:
        config = write_config(
            tmp_path, port=sim.port_path, address=f"127.0.0.1:{running.port}",
            token=running.token,
        )  # fmt: skip
        agent = subprocess.Popen(
            [CLI, "run", "--config", str(config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        try:

            def ready() -> bool:
                code, doc = status_json(config)
                st = doc["status"] or {}
                return (
                    code == 0
                    and st.get("last_reading") is not None
                    and (st.get("uplink") or {}).get("last_ack_seq", 0) > 0
                )

            wait_for(ready, 60, "a running agent with a reading and an ack")
            code, doc = status_json(config)
            assert (code, doc["state"], doc["why"]) == (0, "running", None)
            st = doc["status"]
            assert st["pid"] == agent.pid and st["site"] == "3171011001005"
            assert st["agent_id"] == "kit-tech" and st["version"]
            assert st["uplink"]["connected"] is True
            assert st["uplink"]["last_ack_unix"] <= time.time()
            reading = st["last_reading"]["reading"]
            assert (reading["rat"], reading["rsrp_dbm"], reading["mnc"]) == ("lte", -85.0, "10")
            assert st["modem"]["identity"]["model"] == "EC25"
            assert st["uptime_s"] > 0 and doc["age_s"] < 15
            assert st["data_today"]["daily_bytes"] == 20_000_000
            assert st["spool"]["records"] >= 0

            en = run_cli("status", "--config", str(config), "--lang", "en")
            assert en.returncode == 0
            assert "Pantau agent: RUNNING" in en.stdout and "Telkomsel" in en.stdout
            assert "connected" in en.stdout and "-85 dBm" in en.stdout
            id_ = run_cli("status", "--config", str(config), "--lang", "id")
            assert "Agen Pantau: BERJALAN" in id_.stdout and "terhubung" in id_.stdout

            # check on a kit whose agent holds the modem: its last reading stands in.
            proc = run_cli(
                "check", "--config", str(config), "--json", "--samples", "1",
                "--ping-interval", "0.01", "--no-throughput",
            )  # fmt: skip
            doc = json.loads(proc.stdout)
            assert doc["modem"]["status"] == "ok" and doc["modem"]["from_agent_unix"]
            assert "MODEM_FROM_AGENT" in {r["code"] for r in doc["reasons"]}
            assert doc["signal"]["metrics"]["rsrp_dbm"]["value"] == -85.0
            assert doc["collector"]["status"] == "ok" and doc["verdict"] == "READY"
            assert proc.returncode == 0
        finally:
            agent.send_signal(signal.SIGTERM)
            agent.communicate(timeout=20)
    assert agent.returncode == 0
    code, doc = status_json(config, "id")
    assert (code, doc["state"], doc["why"]) == (4, "not-running", "stopped")
    assert doc["state_text"] == "TIDAK BERJALAN"
    link = status.status_path(tmp_path / "kit")
    assert link.is_symlink() is systemd
    if systemd:
        assert link.resolve() == (run_dir / status.FILENAME).resolve()
        (run_dir / status.FILENAME).unlink()  # a reboot empties /run
        code, doc = status_json(config)
        assert (code, doc["state"], doc["why"]) == (4, "not-running", "no-file")


def test_the_service_status_path_links_the_data_dir_to_the_runtime_dir(tmp_path: Path) -> None:
    data, run = tmp_path / "kit", tmp_path / "run"
    data.mkdir()
    run.mkdir()
    assert status.service_status_path(data, None) == data / status.FILENAME
    assert status.service_status_path(data, "") == data / status.FILENAME
    (data / status.FILENAME).write_text("{}")  # left by a run outside systemd
    target = status.service_status_path(data, f"{run}:/run/other")
    assert target == run / status.FILENAME
    assert (data / status.FILENAME).is_symlink()
    assert status.service_status_path(data, str(run)) == target  # idempotent
    assert sorted(p.name for p in data.iterdir()) == [status.FILENAME]  # no temporary left
    doc = {"schema": 1, "pid": os.getpid(), "written_unix": time.time(), "write_interval_s": 5}
    status.write_status(target, doc)
    assert status.read_status(status.status_path(data))["state"] == status.RUNNING
    gone = tmp_path / "no-such-dir"  # a link that cannot be made: the data directory
    assert status.service_status_path(gone, str(run)) == gone / status.FILENAME


def test_status_without_an_agent(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    code, doc = status_json(config)
    assert (code, doc["state"], doc["why"], doc["status"]) == (4, "not-running", "no-file", None)
    human = run_cli("status", "--data-dir", str(tmp_path / "kit"), "--lang", "en")
    assert human.returncode == 4 and "Pantau agent: NOT RUNNING" in human.stdout
    assert "No status file" in human.stdout


def _doc(pid: int, written: float, **extra: Any) -> dict[str, Any]:
    return {"schema": 1, "pid": pid, "written_unix": written, "write_interval_s": 1.0} | extra


def test_a_dead_pid_or_an_old_file_is_not_running_or_stale(tmp_path: Path) -> None:
    path = tmp_path / status.FILENAME
    child = subprocess.Popen(["true"])
    child.wait()  # a pid that is gone
    status.write_status(path, _doc(child.pid, time.time()))
    assert status.read_status(path)["why"] == "pid-gone"
    proc = run_cli("status", "--data-dir", str(tmp_path), "--lang", "en")
    assert proc.returncode == 4 and "process is gone" in proc.stdout

    status.write_status(path, _doc(os.getpid(), time.time() - 60))
    state = status.read_status(path)
    assert (state["state"], state["why"]) == ("stale", "old")
    proc = run_cli("status", "--data-dir", str(tmp_path), "--json")
    assert proc.returncode == 3 and json.loads(proc.stdout)["state"] == "stale"

    status.write_status(path, _doc(os.getpid(), time.time()))
    assert status.read_status(path)["state"] == "running"
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed

    path.write_text("{not json", encoding="utf-8")
    assert status.read_status(path)["why"] == "unreadable"


def test_status_usage() -> None:
    proc = run_cli("status")
    assert proc.returncode == 2 and "--config" in proc.stderr
