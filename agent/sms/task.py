"""The agent's lifeline task: every ``check_s`` it asks :mod:`agent.sms.decide` whether to
text the collector, and when so sends a signed status (:mod:`pantau.core.lifeline`)
through the modem.

What it needs comes in as callables (the service wires them): ``uplink_up`` (the
stream is welcomed), ``reading`` (the newest SignalReading, for registration, signal
and operator), ``backlog`` (records waiting in the spool), ``last_error`` (the uplink's)
and ``send(number, text)`` (runs on the modem's port, between readings; returns the
message reference).

Files in the data directory:

* ``sms.key``: the kit's key (hex), from the collector's Welcome; written 0600 when a
  Welcome brings a new one. No key, no SMS (the task says so once in the log).
* ``sms.json``: the counter, the UTC day and the SMS sent that day. The counter is
  raised and written *before* the SMS leaves, so a crash never reuses one (the
  collector would refuse it as a replay).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from agent.modem.errors import ModemError
from agent.sms import decide
from agent.sms.at import SmsAtError
from agent.sms.settings import SmsSection
from pantau.core import lifeline
from pantau.v1 import records_pb2

log = logging.getLogger(__name__)

_DAY_S = 86400
#: pantau.v1.RegState -> TS 27.007 <stat> (OTHER is ambiguous: left out).
_STAT = {1: 0, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6, 8: 8}


def registration(reading: records_pb2.SignalReading | None) -> int | None:
    """The 27.007 ``<stat>`` of a reading (None: no reading, or not reported)."""
    return None if reading is None else _STAT.get(int(reading.reg_state))


def status_of(
    agent_id: str,
    counter: int,
    reading: records_pb2.SignalReading | None,
    *,
    backlog: int | None,
    down_s: float,
    error: str | None,
    kit_time_s: int,
) -> lifeline.Status:
    """The status to send, from the newest reading and the uplink's state."""
    signal = operator = act = None
    if reading is not None:
        act = int(reading.rat) or None
        if reading.HasField("rsrp_dbm"):
            signal = round(reading.rsrp_dbm)
        elif reading.HasField("rssi_dbm"):
            signal = round(reading.rssi_dbm)
        if reading.HasField("mcc") and reading.HasField("mnc"):
            operator = f"{reading.mcc}{reading.mnc}"
    return lifeline.Status(
        agent_id=agent_id,
        counter=counter,
        kit_time_s=kit_time_s,
        registration=registration(reading),
        act=act,
        signal_dbm=signal,
        operator=operator if operator and operator.isdigit() else None,
        backlog=backlog,
        down_s=int(down_s),
        error=None if error is None else lifeline.error_code(error),
    )


@dataclass(slots=True)
class _Saved:
    counter: int = 0
    day: int = 0
    sent_today: int = 0


class Lifeline:
    """See the module docstring. :attr:`sent` counts SMS sent since start."""

    def __init__(
        self,
        config: SmsSection,
        data_dir: Path,
        agent_id: str,
        *,
        uplink_up: Callable[[], bool],
        sms_key: Callable[[], bytes],
        reading: Callable[[], records_pb2.SignalReading | None],
        backlog: Callable[[], int | None],
        last_error: Callable[[], str | None],
        send: Callable[[str, str], Awaitable[int]],
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.policy = decide.Policy(config.after_s, config.repeat_s, config.daily_budget)
        self.agent_id = agent_id
        self.key_path = data_dir / "sms.key"
        self.state_path = data_dir / "sms.json"
        self._uplink_up = uplink_up
        self._sms_key = sms_key
        self._reading = reading
        self._backlog = backlog
        self._last_error = last_error
        self._send = send
        self._clock = clock
        self._wall = wall_clock
        saved = self._load()
        self._counter = saved.counter
        self.state = decide.State(day=saved.day, sent_today=saved.sent_today)
        self.sent = 0
        self.last_reason: decide.Reason | None = None
        self.last_problem: str | None = None
        self._key = self._read_key()

    # -- files ------------------------------------------------------------------------

    def _load(self) -> _Saved:
        try:
            raw = json.loads(self.state_path.read_text(encoding="utf-8"))
            return _Saved(int(raw["counter"]), int(raw["day"]), int(raw["sent_today"]))
        except FileNotFoundError:
            return _Saved()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # Never start the counter over from a damaged file: jump far ahead instead.
            log.warning("%s unreadable (%s): the SMS counter jumps ahead", self.state_path, exc)
            return _Saved(counter=int(self._wall()))

    def _save(self) -> None:
        doc = {"counter": self._counter, "day": self.state.day, "sent_today": self.state.sent_today}
        tmp = self.state_path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            json.dump(doc, f)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self.state_path)

    def _read_key(self) -> bytes | None:
        try:
            return bytes.fromhex(self.key_path.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return None

    def _note_key(self) -> None:
        key = self._sms_key()
        if key and key != self._key:
            fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(key.hex() + "\n")
            self._key = key

    # -- running ----------------------------------------------------------------------

    async def run(self) -> None:
        """Check every ``check_s`` until cancelled."""
        while True:
            await self.tick()
            await asyncio.sleep(self.config.check_s)

    async def tick(self) -> bool:
        """One check; True when an SMS went out."""
        self._note_key()
        now, day = self._clock(), int(self._wall() // _DAY_S)
        reading = self._reading()
        decision = decide.decide(
            self.policy,
            self.state,
            now_s=now,
            day=day,
            uplink_up=self._uplink_up(),
            registration=registration(reading),
        )
        self.state = decision.state
        if decision.reason is not self.last_reason:
            log.info("SMS lifeline: %s", decision.reason)
            self.last_reason = decision.reason
        if not decision.send:
            return False
        if self._key is None:
            self._problem("no SMS key yet (the collector gives one on the first connection)")
            return False
        self._counter += 1
        self.state = decide.sent(self.state, now_s=now, day=day)  # counted even if it fails
        self._save()
        status = status_of(
            self.agent_id,
            self._counter,
            reading,
            backlog=self._backlog(),
            down_s=decision.down_for_s,
            error=self._last_error(),
            kit_time_s=int(self._wall()),
        )
        text = lifeline.encode(status, self._key)
        try:
            reference = await self._send(self.config.collector_number, text)
        except (ModemError, SmsAtError) as exc:  # logged; tried again after repeat_s
            self._problem(f"SMS to {self.config.collector_number} failed: {exc}")
            return False
        self.sent += 1
        self.last_problem = None
        log.warning(
            "data path down %d s: status SMS #%d sent to %s (reference %d)",
            decision.down_for_s,
            self._counter,
            self.config.collector_number,
            reference,
        )
        return True

    def _problem(self, text: str) -> None:
        if text != self.last_problem:
            log.warning("SMS lifeline: %s", text)
        self.last_problem = text


async def run_quietly(task: Lifeline) -> None:
    """Run ``task``; an unexpected error is logged, never ends the agent."""
    while True:
        try:
            await task.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("SMS lifeline stopped; restarting in %g s", task.config.check_s)
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(task.config.check_s)
