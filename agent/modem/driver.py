"""The modem's transport: owns the serial port, timeouts and retries. The only module
that imports pyserial.

``AtPort(url)`` opens any pyserial URL through ``serial.serial_for_url``: a device
(``/dev/ttyUSB2``), a pty path, ``socket://host:port``, ``spy:///dev/ttyUSB2`` (logs the
traffic, for field debugging) or ``loop://``; or a USB identity
(``usb:2c7c:0125:if02``, see :mod:`agent.modem.usb`), resolved to the current
``/dev/ttyUSBn`` on every (re)open. Framing and classification are the engine's job
(:mod:`agent.modem.engine`); this module moves bytes and keeps time.

Failure mapping:

* open fails with EBUSY / EAGAIN / "exclusively lock" -> :class:`PortBusy`
  (ModemManager or a terminal program holds the port; the holders this user can see
  are named), and so does an open that succeeds (as root, TIOCEXCL does not stop root)
  on a device ModemManager has open;
* a ``usb:`` identity with no matching tty -> :class:`PortUnavailable` naming it;
* open fails otherwise, or a read/write fails later (the modem re-enumerated) ->
  :class:`PortUnavailable`; the port is closed and may be reopened;
* no final result in time -> :class:`ModemTimeout` (the command is cancelled in the
  engine). The modem still owes that answer: before the next command is written the
  driver waits (up to the command timeout) for the owed final result and discards it,
  and raises ModemTimeout again *without writing* while it is still owed. Otherwise a
  late ``OK`` would be taken as the next command's answer and every answer after it
  would be shifted by one. An owed answer is forgiven after ``forgive_after_s`` (the
  modem dropped the command) or when the port vanishes (the modem rebooted);
* a line over the engine's buffer limit -> :class:`RemoteProtocolError`;
* ``+CME ERROR: 14`` (SIM busy) / ``515`` (please wait) are retried with back-off
  using the injectable ``sleep``; other failures raise :class:`CommandFailed` from
  :meth:`AtPort.command` (or are returned by :meth:`AtPort.exchange`).
"""

from __future__ import annotations

import errno
import logging
import os
import termios
import time
from collections import deque
from collections.abc import Callable, Sequence

import serial

from agent.modem import usb
from agent.modem.engine import (
    NEED_DATA,
    AtEngine,
    BufferOverflow,
    Echo,
    FinalKind,
    Garbage,
    Prompt,
    Response,
    UnknownLine,
    Urc,
    parse_final,
)
from agent.modem.errors import (
    CommandFailed,
    ModemTimeout,
    PortBusy,
    PortUnavailable,
    RemoteProtocolError,
)

log = logging.getLogger(__name__)

#: +CME codes worth a retry: 14 SIM busy, 515 "please wait, init or command processing".
RETRY_CME_CODES: tuple[int, ...] = (14, 515)
DEFAULT_RETRY_DELAYS_S: tuple[float, ...] = (0.5, 1.0, 2.0)
_BUSY_ERRNOS = frozenset({errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK})
_READ_SLICE_S = 0.05
#: What pyserial raises when the device goes away under it (tcdrain/tcflush raise
#: termios.error, which is not an OSError).
_IO_ERRORS = (serial.SerialException, OSError, termios.error)


def _is_busy(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in _BUSY_ERRNOS:
        return True
    text = str(exc).lower()
    return "exclusively lock" in text or "resource busy" in text or "errno 16]" in text


def _in_waiting(port: serial.SerialBase) -> int:
    # Every pyserial URL handler has in_waiting; SerialBase's stub does not declare it.
    return int(getattr(port, "in_waiting", 0))


class AtPort:
    """One AT port. Not thread-safe: one caller at a time.

    ``sleep``, ``clock`` and ``resolve`` (URL -> device path, for ``usb:`` identities)
    are injectable for tests. URCs seen while waiting for answers are kept in
    :attr:`urcs` (bounded; oldest dropped). :attr:`device` is what the URL resolved to
    at the last open.
    """

    def __init__(
        self,
        url: str,
        *,
        command_timeout_s: float = 3.0,
        baudrate: int = 115200,
        retry_delays_s: Sequence[float] = DEFAULT_RETRY_DELAYS_S,
        retry_cme_codes: Sequence[int] = RETRY_CME_CODES,
        max_buffer_bytes: int = 4096,
        exclusive: bool = True,
        forgive_after_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        resolve: Callable[[str], str] = usb.resolve_url,
    ) -> None:
        if command_timeout_s <= 0:
            raise ValueError(f"command_timeout_s={command_timeout_s}: expected > 0")
        if usb.is_usb_url(url):
            usb.UsbIdentity.parse(url)  # a malformed identity fails here, not at open
        self.url = url
        self.device: str | None = None
        self.forgive_after_s = forgive_after_s
        self._resolve = resolve
        self._owed = 0  # final results owed by commands that timed out
        self._owed_since = 0.0
        self.command_timeout_s = command_timeout_s
        self.baudrate = baudrate
        self.retry_delays_s = tuple(retry_delays_s)
        self.retry_cme_codes = frozenset(retry_cme_codes)
        self.max_buffer_bytes = max_buffer_bytes
        self.exclusive = exclusive
        self._sleep = sleep
        self._clock = clock
        self._serial: serial.SerialBase | None = None
        self._engine = AtEngine(max_buffer_bytes)
        self.urcs: deque[str] = deque(maxlen=64)

    # -- lifetime --------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._serial is not None

    def open(self) -> None:
        """Open the port (idempotent). Raises PortBusy / PortUnavailable."""
        if self._serial is not None:
            return
        device = self._resolve(self.url)
        label = self.url if device == self.url else f"{self.url} ({device})"
        try:
            port = serial.serial_for_url(
                device,
                baudrate=self.baudrate,
                timeout=_READ_SLICE_S,
                write_timeout=self.command_timeout_s,
                exclusive=self.exclusive,
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            if _is_busy(exc):
                holders = usb.port_holders(device, exclude_pid=os.getpid())
                held = f"; held by {', '.join(map(str, holders))}" if holders else ""
                raise PortBusy(label, f"{exc}{held}") from exc
            raise PortUnavailable(label, str(exc)) from exc
        if device.startswith("/dev/") and (holder := usb.modem_manager_holder(device)):
            port.close()
            raise PortBusy(label, f"{holder} has it open, and would steal our answers")
        self.device = device
        self._serial = port
        self._engine = AtEngine(self.max_buffer_bytes)
        if self._owed:
            return  # keep what arrived: it may be the answer still owed
        try:
            port.reset_input_buffer()
        except _IO_ERRORS as exc:
            self._lost(exc)

    def close(self) -> None:
        """Close the port (idempotent)."""
        port, self._serial = self._serial, None
        if port is not None:
            # pyserial 3.5's socket:// close() skips socket.close() when shutdown()
            # fails (peer already gone), leaking the socket: close it ourselves.
            sock = getattr(port, "_socket", None)
            try:
                port.close()
            except _IO_ERRORS as exc:
                log.debug("closing %s: %s", self.url, exc)
            if sock is not None and hasattr(sock, "close"):
                sock.close()

    def __enter__(self) -> AtPort:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _lost(self, exc: BaseException) -> None:
        self.close()
        self._owed = 0  # the modem re-enumerated: it rebooted and owes nothing
        raise PortUnavailable(self.url, f"the port vanished ({exc})") from exc

    # -- commands --------------------------------------------------------------------

    def exchange(
        self, command: str, *, timeout_s: float | None = None, payload: bytes | None = None
    ) -> Response:
        """Run ``command`` and return its Response, whatever its final result.

        ``payload`` is written when the modem prompts for it (``> `` after ``AT+CMGS=``),
        followed by Ctrl-Z. Retries +CME 14/515 after the configured delays; raises
        ModemTimeout, PortUnavailable or RemoteProtocolError.
        """
        delays = list(self.retry_delays_s)
        while True:
            response = self._run_once(command, timeout_s or self.command_timeout_s, payload)
            final = response.final
            if final.kind is not FinalKind.CME or final.code not in self.retry_cme_codes:
                return response
            if not delays:
                return response
            delay = delays.pop(0)
            log.info("%s on %s: %s; retrying in %g s", command, self.url, final.code, delay)
            self._sleep(delay)

    def command(
        self, command: str, *, timeout_s: float | None = None, payload: bytes | None = None
    ) -> Response:
        """Like :meth:`exchange`, but a failure final result raises CommandFailed."""
        response = self.exchange(command, timeout_s=timeout_s, payload=payload)
        if not response.final.ok:
            raise CommandFailed(command, response.final, self.url)
        return response

    def setup(self) -> None:
        """Prepare the port: echo off, numeric errors, numeric operator format, and
        registration answers with location (CREG/CGREG/CEREG n=2; refusals tolerated)."""
        try:
            self.command("AT")
        except ModemTimeout:
            # A first command after power-up is often swallowed: wait for its answer a
            # while, then stop expecting it, and try once more.
            port = self._serial
            if port is not None and not self._settle(port, self.command_timeout_s):
                self._owed = 0
            self.command("AT")
        self.command("ATE0")
        self.command("AT+CMEE=1")
        for optional in ("AT+COPS=3,2", "AT+CREG=2", "AT+CGREG=2", "AT+CEREG=2"):
            try:
                self.command(optional)
            except CommandFailed as exc:
                log.info("%s refused on %s: %s", optional, self.url, exc)

    def _run_once(self, command: str, timeout_s: float, payload: bytes | None = None) -> Response:
        port = self._serial
        if port is None:
            raise PortUnavailable(self.url, "the port is not open (call open() first)")
        self._drain(port)
        if self._owed and not self._settle(port, timeout_s):
            if self._clock() - self._owed_since < self.forgive_after_s:
                log.info("%s not sent on %s: an earlier answer is still owed", command, self.url)
                raise ModemTimeout(command, timeout_s, self.url)
            log.warning("%s: forgiving %d unanswered command(s)", self.url, self._owed)
            self._owed = 0
        data = self._engine.send(command)
        try:
            port.write(data)
            port.flush()
        except _IO_ERRORS as exc:
            self._engine.cancel()
            self._lost(exc)
        deadline = self._clock() + timeout_s
        while True:
            event = self._engine.next_event()
            if event is NEED_DATA:
                if self._clock() >= deadline:
                    self._engine.cancel()
                    if not self._owed:
                        self._owed_since = self._clock()
                    self._owed += 1
                    raise ModemTimeout(command, timeout_s, self.url)
                self._read_into_engine(port)
                continue
            if isinstance(event, Response):
                log.debug("%s -> %s %s", command, event.lines, event.final.line)
                return event
            if isinstance(event, Prompt):
                # the payload, or ESC (abort) when there is none; the final result follows
                self._write_raw(port, b"\x1b" if payload is None else payload + b"\x1a")
                continue
            if isinstance(event, BufferOverflow):
                self._engine.cancel()
                raise RemoteProtocolError(
                    f"port {self.url} sent a line longer than {event.limit} bytes while "
                    f"{command} was pending (wrong baud rate, or not an AT port?)"
                )
            self._note(event)

    def _write_raw(self, port: serial.SerialBase, data: bytes) -> None:
        try:
            port.write(data)
            port.flush()
        except _IO_ERRORS as exc:
            self._engine.cancel()
            self._lost(exc)

    def _settle(self, port: serial.SerialBase, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the owed final results; True once none is owed."""
        deadline = self._clock() + timeout_s
        while self._owed:
            if self._clock() >= deadline:
                return False
            self._read_into_engine(port)
            while (event := self._engine.next_event()) is not NEED_DATA:
                self._note(event)  # type: ignore[arg-type]
        return True

    def _drain(self, port: serial.SerialBase) -> None:
        """Consume anything that arrived between commands (URCs, stray late answers)."""
        try:
            waiting = _in_waiting(port)
            if waiting:
                self._engine.receive_data(port.read(waiting))
        except _IO_ERRORS as exc:
            self._lost(exc)
        while (event := self._engine.next_event()) is not NEED_DATA:
            self._note(event)  # type: ignore[arg-type]

    def _read_into_engine(self, port: serial.SerialBase) -> None:
        try:
            data = port.read(max(1, _in_waiting(port)))
        except _IO_ERRORS as exc:
            self._lost(exc)
        if data:
            self._engine.receive_data(data)

    def _note(self, event: Urc | Echo | UnknownLine | Garbage | BufferOverflow | Prompt) -> None:
        if isinstance(event, Urc | UnknownLine) and self._owed and parse_final(event.line):
            self._owed -= 1  # the late final result of a command that timed out
            log.debug("late answer on %s discarded: %s", self.url, event.line)
        elif isinstance(event, Urc):
            self.urcs.append(event.line)
        elif isinstance(event, Echo):
            log.debug("echo on %s: %s", self.url, event.line)
        else:
            log.debug("ignored from %s: %r", self.url, event)
