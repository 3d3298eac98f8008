"""A simulated cellular modem on a real pseudo-terminal.

``SimModem(scenario).start()`` opens a pty pair (``os.openpty``, slave in raw mode),
serves the master side in a daemon thread and returns the slave's path (e.g.
``/dev/pts/5``), which any serial program (the agent, minicom, pyserial) opens like a
USB modem's AT port. Answers come from :mod:`agent.sim.responder` for the scenario's
state at ``clock() - start time``; echo is on until ATE0, like a real modem.

``link_path`` keeps a symlink to the current pty (like ``/dev/serial/by-id/...`` for a
USB modem): it is removed while the port is gone and points at the new pty when it
returns, so a program configured with the link survives the vanish fault.

``transport="tcp"`` serves the same modem on a loopback TCP port instead (one client
at a time) and returns a ``socket://127.0.0.1:PORT`` URL, as for a modem behind a
serial-to-network bridge; the vanish fault closes the port and reopens the same one.

Faults from the scenario's steps: ``answer_delay_s`` (wait before each answer, or only
before the commands ``delay_commands`` lists), ``garbage_bytes`` (junk bytes, non-ASCII
and NUL, before each answer), ``urc_per_s`` (``+CEREG: <stat>`` URCs, between commands
and in the middle of answers) and ``vanish_s`` (the pty is closed, as when USB
re-enumerates, and a new one opens when the window ends; :attr:`SimModem.port_path`
then names the new one, whose number may differ, as ttyUSBn does on real hardware).
Output the reader does not take is dropped once the pty's buffer is full, as on a
real modem whose port nobody reads. Per-session settings (echo, +CMEE, the GNSS
receiver's power) reset when the port re-plugs or a new TCP client connects, as after a
modem reboot. Dialects: the keys of :data:`agent.sim.responder.DIALECT_IDENTITY`.

``sms`` (a SIM memory from :meth:`agent.sim.sms.SmsCentre.attach`) gives the modem a
phone number and the PDU-mode SMS commands of :mod:`agent.sim.sms`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import select
import signal
import socket
import sys
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from agent.sim.encode import encode_urc
from agent.sim.responder import DIALECT_IDENTITY, Reply, SessionSettings, answer
from agent.sim.scenario import RadioState, Scenario, ScenarioError, load_scenario
from agent.sim.sms import SimSms

_MAX_COMMAND_BYTES = 512
_IDLE_POLL_S = 0.05
#: At most this many overdue URCs are sent at once (after a long answer delay).
_MAX_URC_BURST = 20


class SimModem:
    """Serve a scenario on a pty; see the module docstring."""

    def __init__(
        self,
        scenario: Scenario,
        dialect: str = "3gpp",
        *,
        clock: Callable[[], float] = time.monotonic,
        link_path: str | Path | None = None,
        transport: str = "pty",
        sms: SimSms | None = None,
    ) -> None:
        if transport not in ("pty", "tcp"):
            raise ValueError(f"transport={transport!r}: expected 'pty' or 'tcp'")
        if dialect not in DIALECT_IDENTITY:
            raise ValueError(f"dialect={dialect!r}: the simulator speaks {tuple(DIALECT_IDENTITY)}")
        self.scenario = scenario
        self.sms = sms
        self.dialect = dialect
        self._clock = clock
        self.link_path = None if link_path is None else Path(link_path)
        self.transport = transport
        self._listener: socket.socket | None = None
        self._client: socket.socket | None = None
        self._tcp_port = 0
        self._master: int | None = None
        self._slave: int | None = None
        self._wake: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._path: str | None = None
        self._started_at = 0.0
        self._next_urc_at: float | None = None
        self._rng = random.Random(0)
        self._settings = SessionSettings()
        #: Set while the pty exists (cleared during a ``vanish_s`` fault).
        self.plugged = threading.Event()
        self.commands: list[str] = []  # every command line received, for tests
        self.urcs_sent = 0  # URC lines written (between and inside answers)

    @property
    def port_path(self) -> str:
        """The slave pty's path; raises RuntimeError before :meth:`start`."""
        if self._path is None:
            raise RuntimeError("SimModem.port_path: call start() first")
        return self._path

    def state(self) -> RadioState:
        """The scenario's state now (by the injected clock)."""
        return self.scenario.state_at(self._clock() - self._started_at)

    def start(self) -> str:
        """Open the pty and serve it in a daemon thread; return the slave path."""
        if self._thread is not None:
            return self.port_path
        self._wake = os.pipe()
        self._started_at = self._clock()
        self._open_port()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._serve, name=f"sim-modem {self._path}", daemon=True
        )
        self._thread.start()
        return self.port_path

    def stop(self) -> None:
        """Stop serving and close the pty (idempotent)."""
        thread, self._thread = self._thread, None
        self._stop.set()
        if self._wake is not None:
            with contextlib.suppress(OSError):
                os.write(self._wake[1], b"x")
        if thread is not None:
            thread.join(timeout=5)
        self._close_port()
        for fd in self._wake or ():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._wake = None

    def _open_port(self) -> None:
        if self.transport == "pty":
            self._open_pty()
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("127.0.0.1", self._tcp_port))
            listener.listen(1)
        except OSError:
            listener.close()
            raise
        self._tcp_port = listener.getsockname()[1]
        self._listener = listener
        self._path = f"socket://127.0.0.1:{self._tcp_port}"
        self._settings = SessionSettings()
        self.plugged.set()

    def _close_port(self) -> None:
        if self.transport == "pty":
            self._close_pty()
            return
        self.plugged.clear()
        self._drop_client()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _accept(self) -> None:
        assert self._listener is not None
        try:
            client, _ = self._listener.accept()
        except OSError:
            return
        self._drop_client()
        client.setblocking(False)
        self._client = client
        self._master = client.fileno()
        self._settings = SessionSettings()  # a new session: echo on again

    def _drop_client(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None
        self._master = None

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        try:
            tty.setraw(slave)
            os.set_blocking(master, False)
            path = os.ttyname(slave)
        except BaseException:
            os.close(master)
            os.close(slave)
            raise
        self._master, self._slave, self._path = master, slave, path
        self._settings = SessionSettings()  # a re-plugged modem has rebooted
        if self.link_path is not None:
            # Atomically (re)point the stable link, as udev does for /dev/serial/by-id.
            tmp = self.link_path.with_name(f".{self.link_path.name}.{os.getpid()}.tmp")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(path)
            tmp.replace(self.link_path)
        self.plugged.set()

    def _close_pty(self) -> None:
        self.plugged.clear()
        if self.link_path is not None and self._path is not None:
            with contextlib.suppress(OSError):
                if str(self.link_path.readlink()) == self._path:
                    self.link_path.unlink()
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None

    def __enter__(self) -> SimModem:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- serving thread --------------------------------------------------------------

    def _serve(self) -> None:
        assert self._wake is not None
        wake = self._wake[0]
        pending = bytearray()
        while not self._stop.is_set():
            gone = self.scenario.port_gone(self._clock() - self._started_at)
            if gone and self.plugged.is_set():
                self._close_port()  # unplugged: the reader's next read/write fails
                pending.clear()
            elif not gone and not self.plugged.is_set():
                self._open_port()  # re-plugged, possibly under a new /dev/pts number
            master = self._master
            watch = [wake] if master is None else [master, wake]
            if self._listener is not None:
                watch.append(self._listener.fileno())
            readable, _, _ = select.select(watch, [], [], self._poll_s())
            if wake in readable:
                return
            if self._listener is not None and self._listener.fileno() in readable:
                self._accept()
                pending.clear()
                continue
            if master is None:
                continue
            self._maybe_urcs()
            if master not in readable:
                continue
            try:
                data = os.read(master, 1024)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EIO):
                    continue
                if self.transport == "tcp":  # the client went away: wait for the next
                    self._drop_client()
                    continue
                return
            if not data and self.transport == "tcp":
                self._drop_client()
                pending.clear()
                continue
            for byte in data:
                if self.sms is not None and self.sms.awaiting_payload:
                    self._sms_payload_byte(byte, pending)
                elif byte == 0x0D:
                    line = pending.decode("ascii", "replace").strip()
                    pending.clear()
                    if line:
                        self._handle(line)
                elif byte != 0x0A and len(pending) < _MAX_COMMAND_BYTES:
                    pending.append(byte)

    def _sms_payload_byte(self, byte: int, pending: bytearray) -> None:
        """After the ``> `` prompt: collect the PDU up to Ctrl-Z (send) or ESC (abort)."""
        assert self.sms is not None
        if byte == 0x1A:
            lines, final = self.sms.payload(bytes(pending))
            pending.clear()
            self._write("".join(f"\r\n{t}\r\n" for t in [*lines, final]).encode())
        elif byte == 0x1B:
            self.sms.abort()
            pending.clear()
            self._write(b"\r\nOK\r\n")
        elif len(pending) < _MAX_COMMAND_BYTES and byte not in (0x0D, 0x0A):
            pending.append(byte)

    def _write(self, data: bytes) -> None:
        if self._master is None:
            return
        try:
            os.write(self._master, data)
        except OSError as exc:
            if self.transport == "tcp" and exc.errno in (errno.EPIPE, errno.ECONNRESET):
                self._drop_client()
            elif exc.errno not in (errno.EAGAIN, errno.EIO):
                raise

    def _poll_s(self) -> float:
        """How long the serving loop may wait: until the next URC is due, at most 50 ms."""
        if self._next_urc_at is None:
            return _IDLE_POLL_S
        return max(0.0, min(_IDLE_POLL_S, self._next_urc_at - self._clock()))

    def _urcs_due(self, state: RadioState) -> int:
        """How many URCs are due now (``urc_per_s`` on the injected clock)."""
        if state.urc_per_s <= 0:
            self._next_urc_at = None
            return 0
        now = self._clock()
        period = 1 / state.urc_per_s
        if self._next_urc_at is None:
            self._next_urc_at = now + period
            return 0
        due = 0
        while now >= self._next_urc_at:
            due += 1
            self._next_urc_at += period
        if due > _MAX_URC_BURST:  # overdue after a long answer delay: skip the backlog
            self._next_urc_at = now + period
            due = _MAX_URC_BURST
        return due

    def _maybe_urcs(self) -> None:
        if self.sms is not None:
            self.sms.centre.pump()
            for line in self.sms.urcs():
                self._write(f"\r\n{line}\r\n".encode())
        state = self.state()
        due = self._urcs_due(state)
        if due:
            self.urcs_sent += due
            self._write(f"\r\n{encode_urc(state)}\r\n".encode() * due)

    def _handle(self, line: str) -> None:
        self.commands.append(line)
        state = self.state()
        if self._settings.echo:
            self._write(line.encode("ascii", "replace") + b"\r")
        delayed = not state.delay_commands or any(
            line.upper().startswith(c.upper()) for c in state.delay_commands
        )
        if state.answer_delay_s > 0 and delayed and self._stop.wait(state.answer_delay_s):
            return
        sms = None if self.sms is None else self.sms.answer(line, state.reg_state)
        if sms is not None and sms[1] == ">":
            self._write(b"\r\n> ")
            return
        if sms is not None:
            reply = Reply(*sms)
        else:
            reply = answer(line, state, self.scenario.identity, self.dialect, self._settings)
        out = bytearray()
        if state.garbage_bytes:
            junk = [*range(0x80, 0x100), 0x00]
            out += bytes(self._rng.choice(junk) for _ in range(state.garbage_bytes))
        body = list(reply.lines)
        for _ in range(self._urcs_due(state)):
            self.urcs_sent += 1
            body.insert(min(1, len(body)), encode_urc(state))  # mid-answer, as in the field
        eol = "\r\r\n" if self.dialect == "huawei" else "\r\n"
        for text in [*body, reply.final]:
            out += f"{eol}{text}{eol}".encode()
        self._write(bytes(out))


def serve_cli(
    dialect: str, scenario_path: str, link_path: str | None = None, transport: str = "pty"
) -> int:
    """Serve ``scenario_path`` until SIGINT/SIGTERM; print the pty path (one line), or
    ``link_path`` when given (a stable symlink that survives the vanish fault), or the
    ``socket://`` URL with ``transport="tcp"``.

    Returns 0 after a signal, 2 if the scenario is invalid (message on stderr).
    """
    try:
        scenario = load_scenario(scenario_path)
        sim = SimModem(scenario, dialect, link_path=link_path, transport=transport)
    except (ScenarioError, ValueError) as exc:
        print(f"pantau-agent sim-modem: {exc}", file=sys.stderr)
        return 2
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        path = sim.start()
        print(link_path or path, flush=True)
        while not done.wait(0.5):
            pass
    finally:
        sim.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
