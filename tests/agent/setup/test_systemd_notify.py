"""sd_notify: a real ``pantau-agent run`` under a fake systemd (an AF_UNIX datagram
socket as $NOTIFY_SOCKET) says READY=1, pings WATCHDOG=1 at half of $WATCHDOG_USEC
from its event loop, and STOPPING=1 on SIGTERM; a hung loop stops pinging."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from initkit import AGENT, SITE, clean_env

from agent.systemd import Notifier


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(0.2)
    try:
        yield sock, str(path)
    finally:
        sock.close()


def receive(sock: socket.socket, want: str, timeout_s: float) -> list[str]:
    """Datagrams until one holds ``want`` (all of them, in order)."""
    got: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            got.append(sock.recv(4096).decode())
        except TimeoutError:
            continue
        if want in got[-1].splitlines():
            return got
    raise AssertionError(f"no {want} within {timeout_s} s; got {got}")


def test_run_notifies_ready_pings_the_watchdog_and_says_stopping(
    tmp_path: Path, notify_socket: tuple[socket.socket, str]
) -> None:
    sock, path = notify_socket
    with socket.socket() as s:  # a collector that is not there: the agent runs anyway
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "agent.toml"
    config.write_text(
        f'[agent]\nsite = "{SITE}"\ndata_dir = "{tmp_path / "data"}"\n\n'
        f'[collector]\naddress = "127.0.0.1:{port}"\ncredential = "kit-x.secret"\n',
        encoding="utf-8",
    )
    log = tmp_path / "agent.log"
    with log.open("wb") as out:
        agent = subprocess.Popen(
            [AGENT, "run", "--config", str(config)],
            env=clean_env(NOTIFY_SOCKET=path, WATCHDOG_USEC="300000"),
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        first = receive(sock, "READY=1", 30)
        assert len(first) == 1, first  # READY is the first thing systemd hears
        assert f"STATUS=site {SITE}, collector 127.0.0.1:{port}" in first[0]
        start = time.monotonic()
        pings = receive(sock, "WATCHDOG=1", 5)
        pings += receive(sock, "WATCHDOG=1", 5)
        pings += receive(sock, "WATCHDOG=1", 5)
        assert pings.count("WATCHDOG=1") >= 3
        assert time.monotonic() - start < 2.0  # every 0.15 s, half of 300 ms
        agent.send_signal(signal.SIGTERM)
        receive(sock, "STOPPING=1", 10)
        assert agent.wait(30) == 0, log.read_text()
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait(10)


def test_a_hung_event_loop_stops_pinging(notify_socket: tuple[socket.socket, str]) -> None:
    sock, path = notify_socket
    notifier = Notifier(path, watchdog_usec=100_000)  # pings every 50 ms
    arrivals: list[float] = []

    async def main() -> None:
        pinger = asyncio.ensure_future(notifier.ping_forever())
        await asyncio.sleep(0.2)
        time.sleep(0.6)  # noqa: ASYNC251 - the loop hangs on purpose: nothing may ping
        await asyncio.sleep(0.2)
        pinger.cancel()

    asyncio.run(main())
    notifier.close()
    while True:
        try:
            assert sock.recv(64) == b"WATCHDOG=1"
        except TimeoutError:
            break
        arrivals.append(time.monotonic())
    assert len(arrivals) >= 4
    # The datagrams queue up, so measure the hang as the count: ~4 before, ~4 after;
    # during 0.6 s of hang there would be 12 more if anything pinged from elsewhere.
    assert len(arrivals) <= 12


def test_without_notify_socket_nothing_is_sent() -> None:
    notifier = Notifier.from_env({})
    assert not notifier.enabled and notifier.watchdog_interval_s is None
    assert notifier.ready() is False and notifier.watchdog() is False
    other = Notifier.from_env(
        {"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "1"}
    )
    assert other.watchdog_interval_s is None  # the watchdog is another process's


def test_abstract_socket_names_are_supported() -> None:
    name = f"pantau-test-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        notifier = Notifier.from_env({"NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "60000000"})
        assert notifier.watchdog_interval_s == 30.0
        assert notifier.ready("ok")
        assert sock.recv(64) == b"READY=1\nSTATUS=ok"
        notifier.close()
