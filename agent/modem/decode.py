"""``pantau-agent modem decode FILE``: read a captured AT session into values.

A capture is a terminal log (minicom, picocom, screen, tio, a script's log): the
command lines the operator typed (``AT...``), then whatever the modem printed, URCs
included. Each recognised answer or URC becomes one dict, keyed like
``pantau.v1.SignalReading`` (see :mod:`agent.modem.interpret`) plus ``line`` (1-based
line in the file), ``kind`` ("response", "urc" or "unknown") and ``command``. Output is
JSON lines, one object per line. Nothing is dropped silently: a line no parser knows, a
command without a final result (a truncated log), binary junk -- each is reported with
``kind`` "unknown" and its ``text``; junk also with ``reason`` "garbage" and its size in
``bytes`` (its ``text`` is its first 64 bytes, each byte outside ASCII written ``\\xNN``, so
no line separator of any kind can hide in the output).

Garbage tolerated: line ends ``\\r\\n``, ``\\r\\r\\n`` (Huawei), ``\\n`` or a bare
``\\r``; an echo printed twice (local echo plus the modem's); timestamp prefixes such as
``[2024-02-14 10:00:01.123]``, ``[10:00:01]``, ``2024-02-14 10:00:01 `` or
``10:00:01.123 `` and ``<<`` / ``>>`` direction markers; NUL padding; line noise and
binary garbage anywhere in the file (baud-rate noise, a modem resetting in the middle
of a line, a binary blob pasted into the log), also glued in front of a typed command:
each piece is reported as garbage and the readable rest is decoded; a log that ends in
the middle of an answer. :func:`summarize` counts what was decoded and what was skipped
(with line numbers); only a file with nothing decodable is refused.

:class:`CaptureDecoder` takes the bytes in any split (``receive_data``) and gives the
same records whether a capture is fed whole or a byte at a time. A file without any
``\\n`` uses a bare ``\\r`` as its line end, so such a file is decoded at ``finish()``.

The framing and classification are the sans-I/O engine's (:mod:`agent.modem.engine`):
the decoder replays the log into it, sending each typed command and feeding each
printed line. Module-level imports stay light (no pyserial).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
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
from agent.modem.errors import LocalProtocolError
from agent.modem.fields import ParseError

__all__ = [
    "CaptureDecoder",
    "CaptureError",
    "Summary",
    "add_parser",
    "decode_bytes",
    "decode_file",
    "run_decode",
    "summarize",
]

Record = dict[str, object]

_PREFIX = re.compile(
    rb"^(?:\[[\d\-:.,/T ]{8,32}\]\s?|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\s+"
    rb"|\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\s+)?(?:(?:<<|>>)\s?)?"
)
_COMMAND = re.compile(r"^AT[\x20-\x7e]*$", re.IGNORECASE)
#: Share of bytes outside text (other than tab, CR, LF) that makes a file binary.
_BINARY_SHARE = 0.05
#: Bytes of a garbage piece quoted in its record.
_GARBAGE_TEXT = 64


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
        junk, rest = _junk_before_command(segment)
        if junk:
            self.records.append(_garbage(junk, lineno))
            segment = rest
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
            self.records.append(_garbage(event.data, lineno))
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


def _garbage(data: bytes, lineno: int) -> Record:
    return {
        "line": lineno,
        "kind": "unknown",
        "reason": "garbage",
        "bytes": len(data),
        "text": data[:_GARBAGE_TEXT].decode("ascii", "backslashreplace"),
    }


def _junk_before_command(segment: bytes) -> tuple[bytes, bytes]:
    """Split non-text bytes off the front of a typed command (line noise glued to it):
    ``(junk, command)``, or ``(b"", segment)`` when it is not that. As in the engine,
    junk holding printable characters is not split: the whole piece is garbage."""
    cut = len(segment)
    while cut > 0 and 0x20 <= segment[cut - 1] < 0x7F:
        cut -= 1
    head, tail = segment[:cut].replace(b"\x00", b""), segment[cut:]
    if not head or cut == len(segment) or any(0x20 < b < 0x7F for b in head):
        return b"", segment
    if not _COMMAND.match(tail.decode("ascii").strip()):
        return b"", segment
    return head, tail


class CaptureDecoder:
    """Decodes a capture fed in any split; :meth:`finish` returns the records.

    Lines end at ``\\n`` (a ``\\r`` inside a line separates pieces of the same line
    number); a capture without any ``\\n`` ends its lines with ``\\r``, which is known
    only at the end, so its lines are decoded by :meth:`finish`.
    """

    def __init__(self, *, model: str | None = None) -> None:
        self._replay = _Replay(model=model)
        self._partial = bytearray()
        self._lineno = 0
        self._seen_lf = False
        self._finished = False

    def receive_data(self, data: bytes) -> None:
        """Feed the next bytes of the capture (``b""`` is ignored)."""
        if self._finished:
            raise LocalProtocolError("receive_data() after finish(): start a new decoder")
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            self._partial += data[start:end]
            self._seen_lf = True
            self._line(bytes(self._partial))
            self._partial.clear()
            start = end + 1
        self._partial += data[start:]

    def finish(self) -> list[Record]:
        """Decode what is left and return every record, in file order."""
        if not self._finished:
            self._finished = True
            rest = bytes(self._partial)
            self._partial.clear()
            pieces = [rest] if self._seen_lf else rest.split(b"\r")
            for piece in pieces:
                self._line(piece)
            self._replay.finish()
        # Events surface when an answer completes; report them in file order.
        return sorted(self._replay.records, key=lambda r: int(str(r["line"])))

    def _line(self, raw: bytes) -> None:
        self._lineno += 1
        line = _PREFIX.sub(b"", raw.rstrip(b"\r"), count=1)
        for segment in line.split(b"\r"):
            if segment.strip():
                self._replay.feed(segment, self._lineno)


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
    decoder = CaptureDecoder(model=model)
    decoder.receive_data(data)
    return decoder.finish()


@dataclass(frozen=True, slots=True)
class Summary:
    """What a decode read and what it skipped."""

    decoded: int  # answers (a command with its final result) and URCs a parser read
    skipped: int  # unreadable pieces: garbage, over-long lines
    skipped_bytes: int  # bytes in the garbage pieces
    skipped_lines: tuple[int, ...]  # their line numbers, in order, each once

    def skipped_text(self) -> str:
        """``skipped 3 unreadable pieces (70 bytes) on lines 1-2, 9``."""
        plural = "" if self.skipped == 1 else "s"
        return (
            f"skipped {self.skipped} unreadable piece{plural} ({self.skipped_bytes} bytes) "
            f"on line{'' if len(self.skipped_lines) == 1 else 's'} "
            f"{_spans(self.skipped_lines)}"
        )


def _spans(numbers: tuple[int, ...]) -> str:
    """(1, 2, 3, 7, 9, 10) -> ``1-3, 7, 9-10``."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _skipped(record: Record) -> bool:
    reason = str(record.get("reason", ""))
    return reason == "garbage" or reason.startswith("line over ")


def summarize(records: list[Record]) -> Summary:
    """Count the decoded answers and URCs and the skipped pieces of a decode."""
    decoded = sum(
        1
        for r in records
        if r["kind"] == "response" or (r["kind"] == "urc" and "text" not in r and "error" not in r)
    )
    skipped = [r for r in records if _skipped(r)]
    size = sum(int(str(r.get("bytes", 0))) for r in skipped)
    lines = tuple(sorted({int(str(r["line"])) for r in skipped}))
    return Summary(decoded, len(skipped), size, lines)


def decode_file(path: Path, *, model: str | None = None) -> list[Record]:
    """Read and decode a capture; raises CaptureError for a missing or unreadable file
    and for one with nothing decodable (no answer, no known URC)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CaptureError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise CaptureError(f"{path}: is a directory, not a capture file") from None
    except OSError as exc:
        raise CaptureError(f"{path}: cannot read: {exc.strerror or exc}") from None
    records = decode_bytes(data, model=model)
    summary = summarize(records)
    if summary.decoded == 0:
        if not data.strip():
            raise CaptureError(f"{path}: nothing decodable: the file is empty")
        lines = len(data.splitlines())
        what = (
            "it looks binary, not a text AT session log"
            if _is_binary(data)
            else f"no AT answer or known URC in its {lines} lines"
        )
        skipped = f" ({summary.skipped_text()})" if summary.skipped else ""
        raise CaptureError(
            f"{path}: nothing decodable: {what}{skipped}. Save the terminal output of the "
            "modem's AT port as text, e.g. minicom -C FILE or picocom --logfile FILE"
        )
    return records


def run_decode(args: argparse.Namespace) -> int:
    """CLI handler: print one JSON object per record (and, on stderr, what was skipped);
    0, or 2 with a message on stderr when the file cannot be read or holds nothing
    decodable."""
    try:
        records = decode_file(Path(args.file), model=getattr(args, "model", None))
    except CaptureError as exc:
        print(f"pantau-agent: {exc}", file=sys.stderr)
        return 2
    out = sys.stdout
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
    summary = summarize(records)
    if summary.skipped:
        what = "answer or URC" if summary.decoded == 1 else "answers and URCs"
        print(
            f"pantau-agent: {args.file}: {summary.skipped_text()}; decoded "
            f"{summary.decoded} {what}",
            file=sys.stderr,
        )
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
