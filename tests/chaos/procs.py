"""Real processes and real faults for the tests that need them: a collector process
to SIGKILL or SIGSTOP, and a small tmpfs to fill up (needs root: mount)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]


class CollectorProcess:
    """``pantau-collector serve`` on a free loopback port, its log appended to
    ``<data_dir>/../collector.log``. :meth:`stop` also resumes a stopped one."""

    def __init__(self, data_dir: Path, *, config: Path | None = None) -> None:
        self.data_dir = data_dir
        self.config = config
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> int:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "collector.cli", "serve", "--data-dir", str(self.data_dir),
             "--listen", "127.0.0.1:0", "--throughput-listen", "off", "--http-listen", "off",
             *(["--config", str(self.config)] if self.config else [])],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=ROOT,
        )  # fmt: skip
        assert self.proc.stderr is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if match := re.search(r"collector listening on port (\d+)", line):
                log = self.data_dir.parent / "collector.log"  # every run, appended
                threading.Thread(target=_copy, args=(self.proc.stderr, log), daemon=True).start()
                return int(match.group(1))
            if not line and self.proc.poll() is not None:
                break
        raise AssertionError("the collector did not start")

    def freeze(self) -> None:
        """SIGSTOP: the process holds its sockets and answers nothing (a hung collector)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        if self.proc.stderr:
            self.proc.stderr.close()

    def stop(self) -> None:
        self.thaw()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()


def _copy(stream: IO[str], path: Path) -> None:
    """Keep a process's log (the pipe drained, the lines kept for a failure's message)."""
    with path.open("a", encoding="utf-8") as out:
        for line in stream:
            out.write(line)
            out.flush()


def tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return f"(no {path.name})"
    return "\n".join(path.read_text(encoding="utf-8").splitlines()[-lines:])


def fill(disk: Path) -> Path:
    """Fill the filesystem of ``disk`` to the last byte with one file; returns it."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for chunk in (1 << 20, 65536, 4096, 512):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * chunk) == chunk:
                    pass
    finally:
        os.close(fd)
    return filler
