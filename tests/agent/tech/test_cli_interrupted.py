"""Ctrl-C and a closed pipe, for the real ``pantau-agent`` in its own process: a SIGINT
sent while the command is busy (a modem that does not answer, a status file that is a
FIFO nobody writes) ends it with exit 130, said in the technician's language (and with
``--json`` a JSON object saying so); a reader that closed the pipe ends it with exit 141
and nothing on stderr: no traceback, no "Exception ignored"."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from techkit import CLI, LTE, sim_modem, wait_for, write_config

from agent.sim.modem import SimModem

#: A modem that takes every command and answers none within the test.
SILENT: dict[str, Any] = {"steps": [{**LTE, "answer_delay_s": 30}]}


def strict_json(text: str) -> Any:
    def reject(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=reject)


def env(lang: str = "C.UTF-8") -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("PANTAU_LANG", "NO_COLOR")}
    return {**out, "LANG": lang, "LC_ALL": lang, "PYTHONUNBUFFERED": "1"}


@contextmanager
def started(*argv: str) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [CLI, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env()
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


def interrupt(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def modem_config(tmp_path: Path, sim: SimModem) -> Path:
    """A kit config whose modem commands may take 60 s (the check waits on the modem)."""
    path = tmp_path / "agent.toml"
    path.write_text(
        f"""[agent]
site = "3171011001005"
id = "kit-tech"
data_dir = "{tmp_path / "kit"}"

[collector]
address = "127.0.0.1:1"
credential = "kit-tech.c2VjcmV0"

[modem]
port = "{sim.port_path}"
dialect = "quectel"
command_timeout_s = 60
""",
        encoding="utf-8",
    )
    return path


@pytest.mark.timeout(120)
@pytest.mark.parametrize("as_json", [True, False])
def test_ctrl_c_during_check_exits_130_and_says_so(tmp_path: Path, as_json: bool) -> None:
    with sim_modem(SILENT) as sim:
        config = modem_config(tmp_path, sim)
        lang = "en" if as_json else "id"
        flags = ["--json"] if as_json else []
        with started("check", "--config", str(config), "--lang", lang, *flags) as proc:
            wait_for(lambda: bool(sim.commands), 60, "check to talk to the modem")
            code, out, err = interrupt(proc)
    assert code == 130, (out, err)
    assert "Traceback" not in err
    if as_json:
        doc = strict_json(out)
        assert doc["interrupted"] is True and doc["exit_code"] == 130
        assert doc["command"] == "pantau-agent check"
        assert doc["message"] == "Interrupted (Ctrl-C): pantau-agent check did not finish."
        assert err.strip().endswith(doc["message"])
    else:
        assert out == ""
        assert err.strip().endswith("Dihentikan (Ctrl-C): pantau-agent check tidak selesai.")


@pytest.mark.timeout(120)
def test_ctrl_c_during_modem_read_exits_130(tmp_path: Path) -> None:
    with sim_modem(SILENT) as sim:
        argv = ("modem", "read", "--port", sim.port_path, "--timeout", "60", "--json")
        with started(*argv) as proc:
            wait_for(lambda: bool(sim.commands), 60, "modem read to talk to the modem")
            code, out, err = interrupt(proc)
    assert code == 130, (out, err)
    doc = strict_json(out)
    assert doc["interrupted"] is True and doc["command"] == "pantau-agent modem read"
    assert "Traceback" not in err and "Interrupted (Ctrl-C)" in err


@contextmanager
def fifo_status(data_dir: Path) -> Iterator[Path]:
    """The agent's status file as a FIFO: ``status`` blocks reading it until a writer
    closes it; the writer end opens (non-blocking) only once ``status`` has it open."""
    data_dir.mkdir()
    path = data_dir / "status.json"
    os.mkfifo(path)
    yield path


def reader_waiting(path: Path, held: list[int]) -> bool:
    try:
        held.append(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError as exc:
        assert exc.errno == errno.ENXIO  # no reader yet
        return False
    return True


@pytest.mark.timeout(120)
def test_ctrl_c_during_status_exits_130_in_indonesian(tmp_path: Path) -> None:
    held: list[int] = []
    with fifo_status(tmp_path / "kit") as path:
        with started("status", "--data-dir", str(tmp_path / "kit"), "--lang", "id") as proc:
            wait_for(lambda: reader_waiting(path, held), 60, "status to open its status file")
            code, out, err = interrupt(proc)
        for fd in held:
            os.close(fd)
    assert code == 130, (out, err)
    assert out == "" and "Traceback" not in err
    assert err.strip() == "Dihentikan (Ctrl-C): pantau-agent status tidak selesai."


def into_closed_pipe(*argv: str) -> subprocess.CompletedProcess[bytes]:
    """Run with stdout a pipe whose reader has gone (as ``| head -1`` after one line)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [CLI, *argv], stdout=write_end, stderr=subprocess.PIPE, env=env(), timeout=60,
            check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)


@pytest.mark.parametrize(
    "argv",
    [
        ("status", "--data-dir", "{tmp}"),
        ("status", "--data-dir", "{tmp}", "--json"),
        ("check", "--port", "{tmp}/ttyUSB9", "--samples", "1", "--json"),
        ("config-check", "{tmp}/agent.toml"),
        ("--help",),
    ],
)
def test_a_closed_pipe_ends_quietly_with_141(tmp_path: Path, argv: tuple[str, ...]) -> None:
    (tmp_path / "agent.toml").write_text(
        '[agent]\nsite = "3171011001005"\nid = "kit-x"\ndata_dir = "/tmp/x"\n'
        '[collector]\naddress = "127.0.0.1:1"\ncredential = "kit-x.c2VjcmV0"\n',
        encoding="utf-8",
    )
    result = into_closed_pipe(*(a.format(tmp=tmp_path) for a in argv))
    # argparse swallows the failed write of its help itself: then 0, as quietly.
    assert result.returncode == (0 if argv == ("--help",) else 141), result.stderr.decode()
    assert result.stderr == b"", result.stderr.decode()


def test_status_into_head_keeps_its_first_line(tmp_path: Path) -> None:
    """The shell pipeline from the field: ``pantau-agent status | head -1``."""
    result = subprocess.run(
        f"set -o pipefail; {CLI} status --data-dir {tmp_path} --lang en | head -1",
        shell=True, executable="/bin/bash", capture_output=True, text=True, env=env(),
        timeout=60, check=False,
    )  # fmt: skip
    assert result.stdout.count("\n") == 1 and result.stdout.strip()
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
    assert result.returncode in (4, 141)  # not running (all read), or the pipe closed first


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 0)])
def test_the_agent_run_by_hand_and_stopped(tmp_path: Path, sig: int, code: int) -> None:
    """``run`` stopped with Ctrl-C by hand says it was interrupted (130); stopped by
    systemd (SIGTERM) it is a clean stop (0)."""
    config = write_config(tmp_path)  # no modem, a collector nobody listens on
    status = tmp_path / "kit" / "status.json"
    with started("run", "--config", str(config)) as proc:
        wait_for(status.exists, 60, "the agent to write its status file")
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert ("Interrupted (Ctrl-C): pantau-agent run did not finish." in err) == (code == 130)
