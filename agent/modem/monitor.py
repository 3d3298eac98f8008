"""The modem monitor: reads the modem every ``interval_s`` and reports what it sees.

Each reading becomes a SignalReading; a modem that stops answering becomes an
AgentEvent MODEM_LOST (once), and its return a MODEM_BACK carrying the gap. The
monitor never parses anything itself: the reader (:mod:`agent.modem.reader`) does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from agent.config import ModemSection
from agent.modem.errors import ModemError, PortUnavailable
from agent.modem.model import identity_to_proto, signal_to_proto
from agent.modem.reader import Modem
from agent.records import Body, event
from pantau.v1 import records_pb2, telemetry_pb2

Kind = records_pb2.AgentEvent.Kind

#: Consecutive failures (timeouts, errors) before the modem counts as lost.
FAILURES_BEFORE_LOST = 3


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
        self.identity: telemetry_pb2.ModemIdentity | None = None
        self.lost = False
        self.last_reading_monotonic: float | None = None

    async def run(self) -> None:
        cfg = self.config
        modem: Modem | None = None
        failures = 0
        lost_since: float | None = None
        while True:
            started = time.monotonic()
            try:
                if modem is None:
                    modem = Modem(
                        cfg.port, dialect=cfg.dialect, command_timeout_s=cfg.command_timeout_s
                    )
                    self.identity = identity_to_proto(await asyncio.to_thread(modem.open))
                sample = await asyncio.to_thread(modem.read_signal)
            except ModemError as exc:
                failures += 1
                if isinstance(exc, PortUnavailable) or failures >= FAILURES_BEFORE_LOST:
                    if lost_since is None:
                        lost_since = time.monotonic()
                        self.lost = True
                        self._emit(event(Kind.KIND_MODEM_LOST, str(exc), port=cfg.port))
                    if modem is not None:
                        await asyncio.to_thread(modem.close)
                        modem = None
                self._on_error(str(exc))
            else:
                failures = 0
                if lost_since is not None:
                    back = event(Kind.KIND_MODEM_BACK, "the modem answers again", port=cfg.port)
                    back.gap_s = time.monotonic() - lost_since
                    self._emit(back)
                    lost_since = None
                    self.lost = False
                self._emit(signal_to_proto(sample))
                self.last_reading_monotonic = time.monotonic()
            await asyncio.sleep(max(0.0, cfg.interval_s - (time.monotonic() - started)))
