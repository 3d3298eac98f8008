"""A small simulated SMS centre, and the SMS side of a simulated modem.

:class:`SmsCentre` carries messages between simulated modems by number: a modem's
``AT+CMGS`` hands it an SMS-SUBMIT; after ``delay_s`` (on the injected clock) the
centre stores an SMS-DELIVER in the addressee's memory, unless the message is lost
(``loss``, a probability drawn from a seeded generator, so a test is repeatable) or
nobody has that number. Tests may :meth:`~SmsCentre.inject` a message from any number
(a forged SMS, an operator's promotion).

:class:`SimSms` is one modem's SMS memory and PDU-mode command set, used by
:class:`agent.sim.modem.SimModem`: ``AT+CMGF``, ``AT+CNMI`` (``mt=1``: store and
announce with ``+CMTI: "SM",<index>``), ``AT+CPMS?``, ``AT+CMGS=<length>`` (the ``> ``
prompt, then the PDU and Ctrl-Z, or ESC to abort), ``AT+CMGL=<stat>``, ``AT+CMGR=<i>``,
``AT+CMGD=<i>``. Sending needs registration (home or roaming, as the scenario says);
otherwise ``+CMS ERROR: 331`` (no network service). A malformed PDU gets
``+CMS ERROR: 304``, a full memory drops the message (``+CMS ERROR: 322`` at the
sender's side is not simulated: the network accepted it).
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from pantau.core.smspdu import (
    Address,
    AddressType,
    Deliver,
    PduError,
    decode_submit,
    encode_deliver,
)

_WIB = dt.timezone(dt.timedelta(hours=7))
_SENDING_STATES = frozenset({"home", "roaming", "sms-only"})


@dataclass
class _InFlight:
    due_s: float
    to: str
    pdu: str


@dataclass
class SmsCentre:
    """Delivers between attached memories after ``delay_s``, losing ``loss`` of them."""

    delay_s: float = 0.0
    loss: float = 0.0
    seed: int = 0
    number: str = "6281100000"  # the centre's own address, in every DELIVER
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    submitted: int = 0
    delivered: int = 0
    lost: int = 0
    _memories: dict[str, SimSms] = field(default_factory=dict)
    _queue: list[_InFlight] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.loss <= 1.0:
            raise ValueError(f"loss={self.loss}: expected a probability, 0 to 1")
        if self.delay_s < 0:
            raise ValueError(f"delay_s={self.delay_s}: expected >= 0")
        self._rng = random.Random(self.seed)

    def attach(self, number: str, capacity: int = 30) -> SimSms:
        """A new SIM memory reachable at ``number`` (digits, ``+`` allowed)."""
        key = Address.parse(number).value
        memory = SimSms(self, key, capacity)
        with self._lock:
            self._memories[key] = memory
        return memory

    def submit(self, sender: str, pdu: str) -> None:
        """Take an SMS-SUBMIT (hex, SMSC prefix first) from ``sender``; PduError if bad."""
        message = decode_submit(pdu)
        deliver = Deliver(
            Address(sender, AddressType.INTERNATIONAL),
            dt.datetime.fromtimestamp(int(self.wall_clock()), _WIB),
            message.text,
            message.data,
            Address(self.number),
            udh=message.udh,
        )
        with self._lock:
            self.submitted += 1
            if self._rng.random() < self.loss:
                self.lost += 1
                return
            self._queue.append(
                _InFlight(
                    self.clock() + self.delay_s, message.destination.value, encode_deliver(deliver)
                )
            )

    def inject(self, to: str, sender: str, text: str) -> None:
        """Deliver ``text`` from ``sender`` to ``to`` now (no delay, no loss)."""
        stamp = dt.datetime.fromtimestamp(int(self.wall_clock()), _WIB)
        kind = (
            AddressType.ALPHANUMERIC
            if not sender.lstrip("+").isdigit()
            else AddressType.INTERNATIONAL
        )
        pdu = encode_deliver(
            Deliver(Address(sender.lstrip("+"), kind), stamp, text, smsc=Address(self.number))
        )
        with self._lock:
            self._queue.append(_InFlight(self.clock(), Address.parse(to).value, pdu))
        self.pump()

    def pump(self) -> None:
        """Store every message that is due (called by the modems' serving loops)."""
        now = self.clock()
        with self._lock:
            due = [m for m in self._queue if m.due_s <= now]
            self._queue = [m for m in self._queue if m.due_s > now]
            for m in due:
                memory = self._memories.get(m.to)
                if memory is None or not memory.store(m.pdu):
                    self.lost += 1
                else:
                    self.delivered += 1


class SimSms:
    """One SIM's message memory and the modem's SMS commands (see the module docstring)."""

    def __init__(self, centre: SmsCentre, number: str, capacity: int) -> None:
        self.centre = centre
        self.number = number
        self.capacity = capacity
        self.slots: dict[int, tuple[int, str]] = {}  # index -> (stat, pdu)
        self._indications: deque[int] = deque()
        self._lock = threading.Lock()
        self.announce = False  # AT+CNMI=...,1: +CMTI for each stored message
        self.pdu_mode = False
        self.awaiting_payload = False
        self.sent: list[str] = []  # SUBMIT PDUs accepted, for tests

    def store(self, pdu: str) -> bool:
        """Keep a delivered message; False when the memory is full."""
        with self._lock:
            free = next((i for i in range(self.capacity) if i not in self.slots), None)
            if free is None:
                return False
            self.slots[free] = (0, pdu)
            self._indications.append(free)
            return True

    def snapshot(self) -> dict[int, tuple[int, str]]:
        """The memory now (index -> (stat, PDU)), for an SMS service reading it directly."""
        with self._lock:
            return dict(self.slots)

    def delete(self, index: int) -> None:
        with self._lock:
            self.slots.pop(index, None)

    def urcs(self) -> list[str]:
        """``+CMTI`` lines due (only when indications are on)."""
        with self._lock:
            due = list(self._indications)
            self._indications.clear()
        return [f'+CMTI: "SM",{i}' for i in due] if self.announce else []

    def answer(self, command: str, reg_state: str) -> tuple[list[str], str] | None:
        """Lines and final result for an SMS command; None when it is not one.

        ``AT+CMGS=<n>`` answers ``([], ">")``: the caller writes the prompt and hands
        the bytes up to Ctrl-Z to :meth:`payload`."""
        cmd = command.strip().upper()
        if cmd.startswith("AT+CMGF="):
            if cmd[8:] not in ("0", "1"):
                return [], "+CMS ERROR: 302"
            self.pdu_mode = cmd[8:] == "0"
            return [], "OK"
        if cmd.startswith("AT+CNMI="):
            parts = cmd[8:].split(",")
            self.announce = len(parts) > 1 and parts[1] == "1"
            return [], "OK"
        if cmd == "AT+CPMS?":
            with self._lock:
                used = len(self.slots)
            n = self.capacity
            return [f'+CPMS: "SM",{used},{n},"SM",{used},{n},"SM",{used},{n}'], "OK"
        if not cmd.startswith(("AT+CMGS=", "AT+CMGL", "AT+CMGR=", "AT+CMGD=")):
            return None
        if not self.pdu_mode:
            return [], "+CMS ERROR: 302"  # text mode is not simulated
        if cmd.startswith("AT+CMGS="):
            if reg_state not in _SENDING_STATES:
                return [], "+CMS ERROR: 331"
            self.awaiting_payload = True
            return [], ">"
        if cmd.startswith("AT+CMGL"):
            want = cmd.partition("=")[2] or "0"
            if want not in ("0", "1", "2", "3", "4"):
                return [], "+CMS ERROR: 302"
            lines: list[str] = []
            with self._lock:
                for index in sorted(self.slots):
                    stat, pdu = self.slots[index]
                    if want == "4" or int(want) == stat:
                        lines += [
                            f"+CMGL: {index},{stat},,{len(pdu) // 2 - 1 - int(pdu[:2], 16)}",
                            pdu,
                        ]
                        if stat == 0:
                            self.slots[index] = (1, pdu)
            return lines, "OK"
        try:
            index = int(cmd.partition("=")[2])
        except ValueError:
            return [], "+CMS ERROR: 302"
        with self._lock:
            if cmd.startswith("AT+CMGD="):
                self.slots.pop(index, None)
                return [], "OK"
            if not 0 <= index < self.capacity:
                return [], "+CMS ERROR: 321"  # invalid memory index
            if index not in self.slots:
                return [], "OK"
            stat, pdu = self.slots[index]
            self.slots[index] = (1, pdu)
        return [f"+CMGR: {stat},,{len(pdu) // 2 - 1 - int(pdu[:2], 16)}", pdu], "OK"

    def payload(self, data: bytes) -> tuple[list[str], str]:
        """The bytes after the prompt, up to (without) Ctrl-Z: the PDU to send."""
        self.awaiting_payload = False
        try:
            self.centre.submit(self.number, data.decode("ascii").strip())
        except (PduError, UnicodeDecodeError):
            return [], "+CMS ERROR: 304"
        self.sent.append(data.decode("ascii").strip())
        return [f"+CMGS: {len(self.sent) % 256}"], "OK"

    def abort(self) -> None:
        """ESC after the prompt: nothing is sent."""
        self.awaiting_payload = False
