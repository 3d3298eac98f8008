"""PDU-mode SMS over an AT port (3GPP TS 27.005): send with ``AT+CMGS``, list stored
messages with ``AT+CMGL``, read one with ``AT+CMGR``, delete one with ``AT+CMGD``, and
learn of new ones from ``+CMTI`` URCs.

The answer parsers (:func:`parse_listing`, :func:`parse_cmgs`, :func:`parse_cmti`) are
pure and take the engine's response lines; the rest drive an
:class:`~agent.modem.driver.AtPort`. A stored message that is not an SMS-DELIVER (a sent
or unsent SUBMIT kept in the same memory, a status report) or whose PDU does not decode
is listed with its ``error`` and never deleted by :func:`delete` callers that follow
the rule "delete only what you stored".

Garbage in listings: a ``+CMGL:`` header without its PDU line, a PDU line without a
header, a header whose fields are not numbers: each raises :class:`SmsAtError` naming
the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from agent.modem.driver import AtPort
from agent.modem.engine import Response
from agent.modem.errors import RemoteProtocolError
from pantau.core.smspdu import Address, Deliver, PduError, Submit, decode_deliver, encode_submit

#: ``<stat>`` of a stored message in PDU mode.
REC_UNREAD: Final = 0
REC_READ: Final = 1
STO_UNSENT: Final = 2
STO_SENT: Final = 3
ALL: Final = 4

_HEADER: Final = re.compile(r"^\+CMG[LR]:\s*(.*)$", re.IGNORECASE)
_CMTI: Final = re.compile(r'^\+CMTI:\s*"?([A-Za-z]+)"?\s*,\s*(\d+)\s*$', re.IGNORECASE)
_CMGS: Final = re.compile(r"^\+CMGS:\s*(\d+)", re.IGNORECASE)
#: Time for a message to leave: the network answers AT+CMGS in seconds, 60 s at worst.
SEND_TIMEOUT_S: Final = 60.0


class SmsAtError(RemoteProtocolError):
    """An SMS command's answer that cannot be read, naming the line (the modem's fault)."""


@dataclass(frozen=True, slots=True)
class Stored:
    """One message in the modem's memory (``index`` is what AT+CMGD takes)."""

    index: int
    stat: int
    pdu: str
    message: Deliver | None = None
    error: str | None = None

    @property
    def received(self) -> bool:
        return self.stat in (REC_UNREAD, REC_READ)


def _decoded(index: int, stat: int, pdu: str) -> Stored:
    if stat not in (REC_UNREAD, REC_READ):
        return Stored(index, stat, pdu, error=f"stat {stat}: not a received message")
    try:
        return Stored(index, stat, pdu, decode_deliver(pdu))
    except PduError as exc:
        return Stored(index, stat, pdu, error=str(exc))


def _ints(fields: list[str], line: str) -> list[int]:
    try:
        return [int(f) for f in fields]
    except ValueError as exc:
        raise SmsAtError(f"{line!r}: expected numbers ({exc})") from exc


def parse_listing(lines: tuple[str, ...] | list[str]) -> list[Stored]:
    """Messages from ``AT+CMGL=<stat>`` response lines (header, then PDU, for each)."""
    out: list[Stored] = []
    header: tuple[int, int, str] | None = None
    for line in lines:
        m = _HEADER.match(line)
        if m is not None:
            if header is not None:
                raise SmsAtError(f"{header[2]!r} has no PDU line before {line!r}")
            fields = [f.strip() for f in m.group(1).split(",")]
            if len(fields) < 3:
                raise SmsAtError(f"{line!r}: expected +CMGL: <index>,<stat>,[<alpha>],<length>")
            index, stat = _ints(fields[:2], line)
            header = (index, stat, line)
            continue
        if header is None:
            raise SmsAtError(f"PDU line {line[:40]!r} without a +CMGL: header")
        out.append(_decoded(header[0], header[1], line.strip()))
        header = None
    if header is not None:
        raise SmsAtError(f"{header[2]!r} has no PDU line")
    return out


def parse_read(index: int, lines: tuple[str, ...] | list[str]) -> Stored | None:
    """The message from ``AT+CMGR=<index>`` lines; None when the slot is empty."""
    if not lines:
        return None
    m = _HEADER.match(lines[0])
    if m is None or len(lines) != 2:
        raise SmsAtError(f"AT+CMGR={index}: expected a +CMGR: header and a PDU, got {lines!r}")
    (stat,) = _ints([m.group(1).split(",")[0].strip()], lines[0])
    return _decoded(index, stat, lines[1].strip())


def parse_cmti(line: str) -> tuple[str, int] | None:
    """``+CMTI: "SM",3`` -> ("SM", 3); None for any other line."""
    m = _CMTI.match(line.strip())
    return None if m is None else (m.group(1).upper(), int(m.group(2)))


def parse_cmgs(response: Response) -> int:
    """The message reference from ``+CMGS: <mr>``."""
    for line in response.lines:
        m = _CMGS.match(line)
        if m is not None:
            return int(m.group(1))
    raise SmsAtError(f"{response.command}: no +CMGS: <mr> line in {response.lines!r}")


# -- driving a port --------------------------------------------------------------------


def prepare(port: AtPort, *, indications: bool = False) -> None:
    """PDU mode; with ``indications``, new messages are stored and announced by +CMTI."""
    port.command("AT+CMGF=0")
    if indications:
        port.command("AT+CNMI=2,1,0,0,0")


def send(port: AtPort, number: str, text: str, *, timeout_s: float = SEND_TIMEOUT_S) -> int:
    """Send ``text`` to ``number`` (``+62...``); return the network's message reference.

    Raises :class:`~agent.modem.errors.CommandFailed` (``+CMS ERROR``) when the network
    refuses it, PduError when the text does not fit one SMS.
    """
    pdu, length = encode_submit(Submit(Address.parse(number), text))
    response = port.command(f"AT+CMGS={length}", timeout_s=timeout_s, payload=pdu.encode())
    return parse_cmgs(response)


def list_stored(port: AtPort, stat: int = ALL) -> list[Stored]:
    """Every stored message with ``stat`` (default: all), decoded where possible."""
    return parse_listing(port.command(f"AT+CMGL={stat}").lines)


def read(port: AtPort, index: int) -> Stored | None:
    """The message at ``index``; None when the slot is empty."""
    return parse_read(index, port.command(f"AT+CMGR={index}").lines)


def delete(port: AtPort, index: int) -> None:
    """Delete the message at ``index`` (only ever one the caller has handed on)."""
    port.command(f"AT+CMGD={index}")


def take_indications(port: AtPort) -> list[int]:
    """Indexes announced by +CMTI URCs seen so far (they are taken out of the port's
    URC list; other URCs stay)."""
    found: list[int] = []
    keep: list[str] = []
    for line in port.urcs:
        hit = parse_cmti(line)
        if hit is None:
            keep.append(line)
        else:
            found.append(hit[1])
    port.urcs.clear()
    port.urcs.extend(keep)
    return found
