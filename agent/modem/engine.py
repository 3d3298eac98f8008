"""Sans-I/O AT command engine: bytes in, typed events out. No serial port, no clock.

Usage (the caller owns the port and the timeouts)::

    engine = AtEngine()
    port.write(engine.send("AT+CSQ"))
    while True:
        event = engine.next_event()
        if event is NEED_DATA:
            engine.receive_data(port.read(64))
        elif isinstance(event, Response):
            break

Framing: a line ends at ``\\r`` or ``\\n``; empty lines are skipped, so ``\\r\\n``,
``\\r\\r\\n`` (Huawei) and a bare ``\\r`` after an echo all frame the same way.

Classification of a complete line, while a command is pending:

1. the command itself (case-insensitive) -> :class:`Echo` (echo before ATE0 takes effect);
2. a final result (OK, ERROR, ``+CME ERROR: n`` with or without the space, or its text
   form, ``+CMS ERROR``, NO CARRIER, BUSY, NO ANSWER, NO DIALTONE) -> :class:`Response`
   carrying the lines collected so far;
3. a line carrying the command's prefix (``+CSQ:`` for ``AT+CSQ``) -> a response line;
4. for commands that may answer bare lines (``AT+CGSN``, ``AT+CIMI``, ``AT+CGMI``,
   ``AT+CGMM``, ``AT+CGMR``, ``ATI``, ``AT+CCID``, ...), a line that does not look like
   a URC -> a response line;
5. anything else is classified as when idle.

With no command pending (and for rule 5): a line that looks unsolicited (starts with
``+ ^ $ ! * #`` or is a known word such as RING, RDY) -> :class:`Urc`; any other
printable line (including a stray OK after a cancelled command) -> :class:`UnknownLine`.

Garbage recovered from, never silently dropped:

* NUL bytes anywhere are removed (some modems pad with them after a reset);
* non-printable or non-UTF-8 bytes at the start of a line (line noise at power-up,
  baud-rate mismatch) are split off as :class:`Garbage` and the rest of the line is
  classified normally; a line with non-printable bytes elsewhere is :class:`Garbage`;
* a line longer than ``max_buffer_bytes`` is discarded up to its end and reported once
  as :class:`BufferOverflow` (the peer's fault; the driver raises
  :class:`~agent.modem.errors.RemoteProtocolError` for it). The engine then keeps working.

Prompts: while a command that takes a payload is pending (``AT+CMGS=``, ``AT+CMGW=``),
a partial line that is just ``>`` (``"> "`` with no line end, as TS 27.005 has it) is a
:class:`Prompt`: the caller writes the payload and Ctrl-Z, and the command then ends
with its final result as any other.

Events are identical whatever way the input is split across :meth:`receive_data` calls.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Final

from agent.modem.errors import LocalProtocolError


class _NeedData(Enum):
    NEED_DATA = "NEED_DATA"


#: Returned by :meth:`AtEngine.next_event` when more bytes are needed.
NEED_DATA: Final = _NeedData.NEED_DATA

DEFAULT_MAX_BUFFER_BYTES = 4096


class FinalKind(StrEnum):
    """The kinds of final result (a StrEnum: compares equal to, and logs as, its value)."""

    OK = "ok"
    ERROR = "error"
    CME = "cme"
    CMS = "cms"
    NO_CARRIER = "no-carrier"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    NO_DIALTONE = "no-dialtone"


@dataclass(frozen=True, slots=True)
class FinalResult:
    """The final result code that ends a command.

    ``kind`` says which :class:`FinalKind`. ``code`` is the numeric +CME/+CMS code,
    ``text`` its text form when the modem used verbose errors
    (``+CME ERROR: SIM not inserted``).
    """

    kind: FinalKind
    line: str
    code: int | None = None
    text: str | None = None

    @property
    def ok(self) -> bool:
        return self.kind is FinalKind.OK


@dataclass(frozen=True, slots=True)
class Response:
    """A command completed: its response lines (echo and URCs excluded) and final result."""

    command: str
    lines: tuple[str, ...]
    final: FinalResult


@dataclass(frozen=True, slots=True)
class Urc:
    """An unsolicited result code, e.g. ``+CREG: 1,"1A2B","01A2D001",7`` or ``RING``."""

    line: str


@dataclass(frozen=True, slots=True)
class Echo:
    """The modem echoed the pending command (echo is on until ATE0 takes effect)."""

    line: str


@dataclass(frozen=True, slots=True)
class UnknownLine:
    """A printable line that is neither a response line, a final result, nor a URC."""

    line: str


@dataclass(frozen=True, slots=True)
class Garbage:
    """Bytes that are not text: line noise, a baud-rate mismatch, binary junk."""

    data: bytes


@dataclass(frozen=True, slots=True)
class BufferOverflow:
    """A line exceeded ``limit`` bytes without a line end; it was discarded."""

    limit: int


@dataclass(frozen=True, slots=True)
class Prompt:
    """The modem waits for the pending command's payload (``> ``, after ``AT+CMGS=``)."""

    command: str


Event = Response | Urc | Echo | UnknownLine | Garbage | BufferOverflow | Prompt

_FINAL_WORDS: Final = {
    "OK": FinalKind.OK,
    "ERROR": FinalKind.ERROR,
    "NO CARRIER": FinalKind.NO_CARRIER,
    "BUSY": FinalKind.BUSY,
    "NO ANSWER": FinalKind.NO_ANSWER,
    "NO DIALTONE": FinalKind.NO_DIALTONE,
    "NO DIAL TONE": FinalKind.NO_DIALTONE,
}
_CME_RE: Final = re.compile(r"^\+(CME|CMS) ERROR:\s*(.*)$", re.IGNORECASE)
_URC_START: Final = frozenset("+^$!*#%")
_URC_WORDS: Final = frozenset(
    {
        "RING",
        "RDY",
        "SMS DONE",
        "PB DONE",
        "CALL READY",
        "SMS READY",
        "POWERED DOWN",
        "NORMAL POWER DOWN",
        "START",
    }
)
#: Commands that may answer lines without a prefix (upper-cased, without arguments).
_BARE_COMMANDS: Final = frozenset(
    {
        "AT+CGSN",
        "AT+GSN",
        "AT+CIMI",
        "AT+CGMI",
        "AT+GMI",
        "AT+CGMM",
        "AT+GMM",
        "AT+CGMR",
        "AT+GMR",
        "ATI",
        "ATI0",
        "AT+CCID",
        "AT+ICCID",
        "AT+QCCID",
        "AT!GSTATUS?",
        "AT!LTEINFO?",
        "AT+CMGL",  # PDU mode: each +CMGL: line is followed by the PDU, bare
        "AT+CMGR",
    }
)
#: Commands answered with a ``> `` prompt for a payload (upper case, up to the ``=``).
_PROMPT_COMMANDS: Final = ("AT+CMGS=", "AT+CMGW=")
#: Extra prefixes some modems use for a command's answer.
_PREFIX_ALIASES: Final = {
    "+CCID:": ("+ICCID:", "+QCCID:", "ICCID:"),
    "+ICCID:": ("+CCID:", "ICCID:"),
    "+QCCID:": ("+CCID:",),
    "+CGSN:": ("+GSN:",),
    "I:": ("+GCAP:",),
}
_COMMAND_RE: Final = re.compile(r"^AT[\x20-\x7e]*$", re.IGNORECASE)
_LINE_END: Final = re.compile(rb"[\r\n]")


def parse_final(line: str) -> FinalResult | None:
    """Return the final result a line denotes, or None when it is not one."""
    word = _FINAL_WORDS.get(line.upper())
    if word is not None:
        return FinalResult(word, line)
    m = _CME_RE.match(line)
    if m is None:
        return None
    detail = m.group(2).strip()
    kind = FinalKind(m.group(1).lower())
    if detail.isdigit():
        return FinalResult(kind, line, code=int(detail))
    return FinalResult(kind, line, text=detail or None)


def command_prefixes(command: str) -> tuple[str, ...]:
    """Prefixes that mark a line as part of ``command``'s response.

    ``AT+CSQ`` -> ``+CSQ:``; ``AT+QENG="servingcell"`` -> ``+QENG:``; ``AT^HCSQ?`` ->
    ``^HCSQ:``; ``ATI`` -> ``I:`` (plus ``+GCAP:``).
    """
    body = command[2:]
    m = re.match(r"([+^$!*#%]?[A-Za-z][A-Za-z0-9_]*)", body)
    if m is None:
        return ()
    base = m.group(1).upper() + ":"
    return (base, *_PREFIX_ALIASES.get(base, ()))


def _allows_bare(command: str) -> bool:
    base = re.split(r"[=?]", command.upper(), maxsplit=1)[0]
    return base in _BARE_COMMANDS or command.upper() in _BARE_COMMANDS


def _looks_unsolicited(line: str) -> bool:
    return line[0] in _URC_START or line.upper() in _URC_WORDS


def _as_text(raw: bytes) -> str | None:
    """Decode a line as UTF-8 text without control characters, or return None."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any((ord(c) < 0x20 and c != "\t") or 0x7F <= ord(c) < 0xA0 for c in text):
        return None
    return text


@dataclass(slots=True)
class _Pending:
    command: str
    prefixes: tuple[str, ...]
    bare: bool
    lines: list[str]


class AtEngine:
    """State machine for one AT port: at most one command in flight.

    ``max_buffer_bytes`` bounds the partial line kept between :meth:`receive_data`
    calls; a longer line is discarded and reported as :class:`BufferOverflow`.
    """

    def __init__(self, max_buffer_bytes: int = DEFAULT_MAX_BUFFER_BYTES) -> None:
        if max_buffer_bytes < 16:
            raise ValueError(f"max_buffer_bytes={max_buffer_bytes}: expected at least 16")
        self.max_buffer_bytes = max_buffer_bytes
        self._buf = bytearray()
        self._discarding = False
        self._events: deque[Event] = deque()
        self._pending: _Pending | None = None

    # -- local side ------------------------------------------------------------------

    @property
    def pending(self) -> str | None:
        """The command awaiting its final result, or None."""
        return None if self._pending is None else self._pending.command

    @property
    def buffered_bytes(self) -> int:
        """Bytes of the current partial line (never more than ``max_buffer_bytes``)."""
        return len(self._buf)

    def send(self, command: str) -> bytes:
        """Start ``command`` and return the bytes to write (the command and ``\\r``).

        Raises :class:`LocalProtocolError` if a command is already pending or the text
        is not a single printable-ASCII AT command.
        """
        if self._pending is not None:
            raise LocalProtocolError(
                f"cannot send {command!r}: {self._pending.command!r} is still pending "
                "(wait for its Response, or cancel() it after a timeout)"
            )
        if not _COMMAND_RE.match(command):
            raise LocalProtocolError(
                f"cannot send {command!r}: expected one printable-ASCII command starting "
                "with AT, without line ends"
            )
        self._pending = _Pending(command, command_prefixes(command), _allows_bare(command), [])
        return command.encode("ascii") + b"\r"

    def cancel(self) -> str | None:
        """Abandon the pending command (after a timeout); return it, or None.

        Its late answer will surface as :class:`Urc` / :class:`UnknownLine` events.
        """
        pending, self._pending = self._pending, None
        return None if pending is None else pending.command

    # -- peer side -------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the port (any split; ``b""`` is ignored)."""
        pos = 0
        size = len(data)
        while pos < size:
            m = _LINE_END.search(data, pos)
            end = size if m is None else m.start()
            if self._discarding:
                # Inside an over-long line: drop bytes up to its end.
                if m is None:
                    return
                self._discarding = False
                pos = end + 1
                continue
            piece = data[pos:end]
            if len(self._buf) + len(piece) > self.max_buffer_bytes:
                self._buf.clear()
                self._events.append(BufferOverflow(self.max_buffer_bytes))
                self._discarding = m is None
                pos = end if m is None else end + 1
                continue
            self._buf += piece
            if m is None:
                self._maybe_prompt()
                return
            line = bytes(self._buf)
            self._buf.clear()
            pos = end + 1
            self._handle_raw_line(line)

    def next_event(self) -> Event | _NeedData:
        """Return the next event, or :data:`NEED_DATA` when the input is used up."""
        if self._events:
            return self._events.popleft()
        return NEED_DATA

    # -- classification --------------------------------------------------------------

    def _maybe_prompt(self) -> None:
        pending = self._pending
        if (
            pending is not None
            and pending.command.upper().startswith(_PROMPT_COMMANDS)
            and bytes(self._buf).strip(b" \x00") == b">"
        ):
            self._buf.clear()
            self._events.append(Prompt(pending.command))

    def _handle_raw_line(self, raw: bytes) -> None:
        raw = raw.replace(b"\x00", b"")
        if not raw:
            return
        text = _as_text(raw)
        if text is None:
            # Junk (no printable ASCII in it) before a clean tail is split off;
            # otherwise the whole line is junk.
            cut = len(raw)
            while cut > 0 and 0x20 <= raw[cut - 1] < 0x7F:
                cut -= 1
            head, tail = raw[:cut], raw[cut:].strip()
            if not tail or any(0x20 < b < 0x7F for b in head):
                self._events.append(Garbage(raw))
                return
            self._events.append(Garbage(head))
            text = tail.decode("ascii")
        line = text.strip()
        if line:
            self._handle_line(line)

    def _handle_line(self, line: str) -> None:
        pending = self._pending
        if pending is not None:
            if line == ">" and pending.command.upper().startswith(_PROMPT_COMMANDS):
                self._events.append(Prompt(pending.command))  # a modem that ends it
                return
            if line.upper() == pending.command.upper():
                self._events.append(Echo(line))
                return
            final = parse_final(line)
            if final is not None:
                self._pending = None
                self._events.append(Response(pending.command, tuple(pending.lines), final))
                return
            upper = line.upper()
            if any(upper.startswith(p) for p in pending.prefixes) or (
                pending.bare and not _looks_unsolicited(line)
            ):
                pending.lines.append(line)
                return
        if _looks_unsolicited(line):
            self._events.append(Urc(line))
        else:
            self._events.append(UnknownLine(line))
