"""``pantau-agent modem decode FILE``: read a captured AT session into values.

A capture is a terminal log (minicom, picocom, screen, tio, a script's log): the
command lines the operator typed (``AT...``), then whatever the modem printed, URCs
included. Each recognised answer or URC becomes one dict, keyed like
``pantau.v1.SignalReading`` (see :mod:`agent.modem.interpret`) plus ``line`` (1-based
line in the file), ``kind`` ("response", "urc" or "unknown") and ``command``. Output is
JSON lines, one object per line. Nothing is dropped silently: a line no parser knows, a
command without a final result (a truncated log), binary junk -- each is reported with
``kind`` "unknown" and its ``text``.

Garbage tolerated: line ends ``\\r\\n``, ``\\r\\r\\n`` (Huawei), ``\\n`` or a bare
``\\r``; an echo printed twice (local echo plus the modem's); timestamp prefixes such as
``[2024-02-14 10:00:01.123]``, ``[10:00:01]``, ``2024-02-14 10:00:01 `` or
``10:00:01.123 `` and ``<<`` / ``>>`` direction markers; NUL padding and line noise
(reported as unknown); a log that ends in the middle of an answer.

The framing and classification are the sans-I/O engine's (:mod:`agent.modem.engine`):
the decoder replays the log into it, sending each typed command and feeding each
printed line. Module-level imports stay light (no pyserial).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import AgentError
from agent.modem import identity, interpret
from agent.modem.engine import (
    NEED_DATA,
    AtEngine,
    BufferOverflow,
    Echo,
    Event,
    Garbage,
    Response,
    UnknownLine,
    Urc,
)
from agent.modem.fields import ParseError

__all__ = ["CaptureError", "add_parser", "decode_bytes", "decode_file", "run_decode"]

Record = dict[str, object]

_PREFIX = re.compile(
    rb"^(?:\[[\d\-:.,/T ]{8,32}\]\s?|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\s+"
    rb"|\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\s+)?(?:(?:<<|>>)\s?)?"
)
_COMMAND = re.compile(r"^AT[\x20-\x7e]*$", re.IGNORECASE)
#: Share of bytes outside text (other than tab, CR, LF) that makes a file binary.
_BINARY_SHARE = 0.05


class CaptureError(AgentError):
    """The capture cannot be read: the message says why, for a person."""


@dataclass
class _Replay:
    """Replays a capture into an engine, tracking which file line each event came from."""

    model: str | None = None
    engine: AtEngine = field(default_factory=lambda: AtEngine(max_buffer_bytes=16384))
    command_line: int = 0
    absorbed: list[tuple[int, str]] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    def feed(self, segment: bytes, lineno: int) -> None:
        text = segment.decode("latin-1").strip()
        pending = self.engine.pending
        if _COMMAND.match(text):
            if pending is not None and text.upper() == pending.upper() and not self.absorbed:
                self._data(segment, lineno)  # the modem's echo of what was typed
                return
            self._abandon()
            self.engine.send(text)
            self.command_line = lineno
            return
        self._data(segment, lineno)

    def finish(self) -> None:
        self._abandon()

    def _data(self, segment: bytes, lineno: int) -> None:
        self.engine.receive_data(segment + b"\n")
        events: list[Event] = []
        while (event := self.engine.next_event()) is not NEED_DATA:
            assert not isinstance(event, type(NEED_DATA))
            events.append(event)
        if not events and self.engine.pending is not None:
            self.absorbed.append((lineno, segment.decode("latin-1").strip()))
        for event in events:
            self._emit(event, lineno)

    def _abandon(self) -> None:
        """Report a command that got no final result, and every line it collected."""
        command = self.engine.cancel()
        if command is None:
            return
        if not self.absorbed:
            self.records.append(
                {
                    "line": self.command_line,
                    "kind": "unknown",
                    "command": command,
                    "text": command,
                    "reason": "no final result",
                }
            )
        for lineno, text in self.absorbed:
            self.records.append(
                {
                    "line": lineno,
                    "kind": "unknown",
                    "command": command,
                    "text": text,
                    "reason": "no final result",
                }
            )
        self.absorbed = []

    def _emit(self, event: Event, lineno: int) -> None:
        if isinstance(event, Echo):
            return
        if isinstance(event, Response):
            first = self.absorbed[0][0] if self.absorbed else lineno
            self.absorbed = []
            self.records.append(self._response(event, first))
        elif isinstance(event, Urc):
            self.records.append(_urc(event.line, lineno))
        elif isinstance(event, UnknownLine):
            self.records.append({"line": lineno, "kind": "unknown", "text": event.line})
        elif isinstance(event, Garbage):
            text = event.data.decode("latin-1")
            self.records.append({"line": lineno, "kind": "unknown", "text": text})
        elif isinstance(event, BufferOverflow):
            self.records.append(
                {"line": lineno, "kind": "unknown", "reason": f"line over {event.limit} bytes"}
            )

    def _response(self, response: Response, lineno: int) -> Record:
        record: Record = {"line": lineno, "kind": "response", "command": response.command}
        try:
            values = interpret.interpret_response(response, model=self.model)
        except ParseError as exc:
            record.update(error=str(exc), lines=list(response.lines))
            values = {}
        if values is None:
            if response.lines:
                record["lines"] = list(response.lines)
        else:
            record.update(values)
            self._learn_model(response)
        record["final"] = response.final.line
        return record

    def _learn_model(self, response: Response) -> None:
        key = interpret.command_key(response.command)
        if not response.final.ok:
            return
        if key in ("ATI", "ATI0"):
            self.model = identity.parse_ati(response.lines).model or self.model
        elif key in ("AT+CGMM", "AT+GMM"):
            self.model = identity.identity_text(response.lines) or self.model


def _urc(line: str, lineno: int) -> Record:
    record: Record = {"line": lineno, "kind": "urc"}
    prefix = interpret.urc_prefix(line)
    record["command"] = prefix if prefix is not None else line
    try:
        values = interpret.interpret_urc(line)
    except ParseError as exc:
        record.update(text=line, error=str(exc))
        return record
    if values is None:
        record["text"] = line
    else:
        record.update(values)
    return record


def _physical_lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    separator = b"\n" if b"\n" in data else b"\r"
    for index, line in enumerate(data.split(separator), start=1):
        yield index, _PREFIX.sub(b"", line.rstrip(b"\r"), count=1)


def _is_binary(data: bytes) -> bool:
    if not data:
        return False
    if data.count(b"\x00") > len(data) * 0.01:
        return True
    odd = sum(1 for b in data if (b < 0x20 and b not in (9, 10, 13)) or b == 0x7F)
    return odd > len(data) * _BINARY_SHARE


def decode_bytes(data: bytes, *, model: str | None = None) -> list[Record]:
    """Decode a capture's bytes into records (see the module docstring).

    ``model`` (e.g. "EC25", "SIMCOM_SIM7600E-H") selects the per-model unit settings
    until the capture's own ATI / AT+CGMM answer names the model.
    """
    replay = _Replay(model=model)
    for lineno, line in _physical_lines(data):
        for segment in line.split(b"\r"):
            if segment.strip():
                replay.feed(segment, lineno)
    replay.finish()
    # Events surface when an answer completes; report them in file order.
    return sorted(replay.records, key=lambda r: int(str(r["line"])))


def decode_file(path: Path, *, model: str | None = None) -> list[Record]:
    """Read and decode a capture; raises CaptureError for a missing, unreadable or
    binary file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CaptureError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise CaptureError(f"{path}: is a directory, not a capture file") from None
    except OSError as exc:
        raise CaptureError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if _is_binary(data):
        raise CaptureError(
            f"{path}: looks binary, not a text AT session log (save the terminal output "
            "as text, e.g. minicom -C FILE or picocom --logfile FILE)"
        )
    return decode_bytes(data, model=model)


def run_decode(args: argparse.Namespace) -> int:
    """CLI handler: print one JSON object per record; 0, or 2 with a message on stderr."""
    try:
        records = decode_file(Path(args.file), model=getattr(args, "model", None))
    except CaptureError as exc:
        print(f"pantau-agent: {exc}", file=sys.stderr)
        return 2
    out = sys.stdout
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
    return 0


def add_parser(commands: Any) -> None:
    """Add ``decode`` to the ``pantau-agent modem`` sub-commands."""
    parser = commands.add_parser(
        "decode",
        help="decode a captured AT session (terminal log) into readings",
        description=(
            "Decode a captured AT session (a minicom/picocom/screen log: typed AT "
            "commands and the modem's output) into one JSON object per answer or URC, "
            "keyed like SignalReading, with the line number in the file."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="the capture (text log)")
    parser.add_argument(
        "--json", action="store_true", help="JSON lines, one object per line (the default)"
    )
    parser.add_argument(
        "--model",
        default=None,
        help="modem model (e.g. EC25, SIMCOM_SIM7600E-H) for per-model units, when the "
        "capture has no ATI / AT+CGMM answer",
    )
    parser.set_defaults(handler=run_decode)
