"""The demo as a real process, stopped by a signal: SIGTERM (kill) and SIGHUP (a closed
terminal) stop its kits and collector as Ctrl-C (SIGINT) does, with 128 + the signal's
number as exit status."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

KIT_LINE = re.compile(r"^kit \d{13}: .* pid (\d+)$")


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_stops_the_demo_and_its_kits(tmp_path: Path, signum: signal.Signals) -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "collector.cli", "demo", "--data-dir", str(tmp_path / "demo"),
         "--http-listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the signal reaches the demo alone, as `kill PID` does
    )  # fmt: skip
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert demo.stdout is not None
        for line in demo.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    kits: list[int] = []
    seen: list[str] = []
    try:
        while len(kits) < 3:
            line = lines.get(timeout=60)
            assert line is not None, "\n".join(seen)
            seen.append(line)
            if m := KIT_LINE.match(line):
                kits.append(int(m.group(1)))
        assert all(_alive(pid) for pid in kits)
        demo.send_signal(signum)
        status = demo.wait(timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        for pid in kits:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    while (line := lines.get(timeout=10)) is not None:
        seen.append(line)
    assert demo.stdout is not None
    demo.stdout.close()
    output = "\n".join(seen)
    assert status == 128 + signum, output
    assert f"{signum.name}: stopping the kits and the collector" in output
    assert "Summary:" in output and "Traceback" not in output
    assert [pid for pid in kits if _alive(pid)] == [], output
