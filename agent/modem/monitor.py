"""The modem monitor: reads the modem every ``interval_s`` and reports what it sees.

Each reading becomes a SignalReading; a modem that stops answering becomes an
AgentEvent MODEM_LOST (once), and its return a MODEM_BACK carrying the gap (seconds
from the MODEM_LOST to the first reading again). The monitor never parses anything
itself: the reader (:mod:`agent.modem.reader`) does.

When is the modem lost?

* the port vanished or cannot be opened (:class:`PortUnavailable`, including
  :class:`PortBusy`): at once. The reader reopens the *configured* port on the next
  attempt, so a stable name (``/dev/serial/by-id/...``, a ``usb:VID:PID:ifNN``
  identity, the simulator's ``link_path``) follows a modem that re-enumerated;
* it answers too slowly (:class:`ModemTimeout`) or with garbage (``ProtocolError``):
  after ``failures_before_lost`` attempts in a row. The port stays open (the modem is
  there; its late answers must not be lost) and the modem is set up again at the next
  attempt, in case it rebooted without re-enumerating.

MODEM_LOST carries ``details``: ``port``, ``reason`` (vanished, busy, timeout, error)
and ``failures``. Every failure also goes to ``on_error``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TypeVar

from agent.config import ModemSection
from agent.modem.errors import ModemError, ModemTimeout, PortBusy, PortUnavailable
from agent.modem.model import ModemIdentity, identity_to_proto, signal_to_proto
from agent.modem.reader import Modem
from agent.records import Body, event
from pantau.v1 import records_pb2, telemetry_pb2

Kind = records_pb2.AgentEvent.Kind
T = TypeVar("T")


def _reason(exc: ModemError) -> str:
    if isinstance(exc, PortBusy):
        return "busy"
    if isinstance(exc, PortUnavailable):
        return "vanished"
    if isinstance(exc, ModemTimeout):
        return "timeout"
    return "error"


def sim_network(
    identity: ModemIdentity | None, reading: records_pb2.SignalReading | None = None
) -> str:
    """The network of the modem's SIM as MCC-MNC (``"510-10"``): from its IMSI in
    Indonesia (MCC 510, whose network codes are two digits), else the network a reading
    says the modem is registered with at home; ``""`` when neither tells."""
    imsi = identity.imsi if identity is not None else None
    if imsi and imsi.isdigit() and imsi.startswith("510") and len(imsi) >= 5:
        return f"510-{imsi[3:5]}"
    if (
        reading is not None
        and reading.reg_state == records_pb2.REG_STATE_HOME
        and reading.mcc.isdigit()
        and reading.mnc.isdigit()
    ):
        mnc = reading.mnc[1:] if len(reading.mnc) == 3 and reading.mnc[0] == "0" else reading.mnc
        return f"{reading.mcc}-{mnc}"
    return ""


class ModemMonitor:
    def __init__(
        self,
        config: ModemSection,
        *,
        emit: Callable[[Body], None],
        on_error: Callable[[str], None],
    ) -> None:
        self.config = config
        self._emit = emit
        self._on_error = on_error
        self.failures_before_lost = config.failures_before_lost
        self.identity: telemetry_pb2.ModemIdentity | None = None
        #: The network of the modem's SIM (MCC-MNC), once known (:func:`sim_network`).
        self.network = ""
        self.lost = False
        self.last_reading_monotonic: float | None = None
        self._identity_seen: ModemIdentity | None = None
        self._inflight: asyncio.Future[object] | None = None
        self._modem: Modem | None = None
        self._port_lock = asyncio.Lock()

    async def run(self) -> None:
        """Read until cancelled; closes the port on the way out."""
        cfg = self.config
        modem = Modem(
            cfg.port, dialect=cfg.dialect, command_timeout_s=cfg.command_timeout_s, gnss=cfg.gnss
        )
        self._modem = modem
        failures = 0
        lost_since: float | None = None
        try:
            while True:
                started = time.monotonic()
                try:
                    sample = await self._in_thread(modem.read_signal)
                except ModemError as exc:
                    failures += 1
                    vanished = isinstance(exc, PortUnavailable)
                    if lost_since is None and (vanished or failures >= self.failures_before_lost):
                        lost_since = time.monotonic()
                        self.lost = True
                        self._emit(
                            event(
                                Kind.KIND_MODEM_LOST,
                                str(exc),
                                port=cfg.port,
                                reason=_reason(exc),
                                failures=str(failures),
                            )
                        )
                        if not vanished:
                            modem.mark_stale()
                    self._on_error(str(exc))
                else:
                    failures = 0
                    self._note_identity(modem.identity)
                    if lost_since is not None:
                        back = event(Kind.KIND_MODEM_BACK, "the modem answers again", port=cfg.port)
                        back.gap_s = time.monotonic() - lost_since
                        self._emit(back)
                        lost_since = None
                        self.lost = False
                    reading = signal_to_proto(sample)
                    self.network = sim_network(modem.identity, reading) or self.network
                    self._emit(reading)
                    self.last_reading_monotonic = time.monotonic()
                await asyncio.sleep(max(0.0, cfg.interval_s - (time.monotonic() - started)))
        finally:
            await self._settle_inflight()
            modem.close()

    def _note_identity(self, identity: ModemIdentity | None) -> None:
        if identity is not None and identity is not self._identity_seen:
            self._identity_seen = identity
            self.identity = identity_to_proto(identity)

    async def _in_thread(self, fn: Callable[[], T]) -> T:
        """Run blocking reader work in a thread; on cancellation the work finishes
        (bounded by the command timeout) before the port is closed."""
        async with self._port_lock:  # one caller at a time on the port (readings, SMS)
            task: asyncio.Future[T] = asyncio.ensure_future(asyncio.to_thread(fn))
            self._inflight = task  # type: ignore[assignment]
            return await asyncio.shield(task)

    async def send_sms(self, number: str, text: str) -> int:
        """Send an SMS on the modem's port between readings (see :mod:`agent.sms.at`);
        returns the message reference. Raises ModemError when the modem cannot."""
        from agent.sms import at

        modem = self._modem
        if modem is None or modem.identity is None:
            raise PortUnavailable(self.config.port, "the modem is not read yet")

        def send() -> int:
            at.prepare(modem.port)
            return at.send(modem.port, number, text)

        return await self._in_thread(send)

    async def _settle_inflight(self) -> None:
        task, self._inflight = self._inflight, None
        if task is None:
            return
        if not task.done():
            await asyncio.wait({task})
        if not task.cancelled():
            with contextlib.suppress(BaseException):
                task.exception()  # retrieved: no "exception never retrieved" noise
