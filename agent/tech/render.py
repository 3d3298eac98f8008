"""Text for the technician: bars, colour (only on a terminal), numbers, tables."""

from __future__ import annotations

import os
from typing import Any, TextIO

_COLOURS = {"green": "32", "yellow": "33", "red": "31", "bold": "1", "dim": "2"}
GRADE_COLOUR = {"excellent": "green", "good": "green", "fair": "yellow", "poor": "red"}
VERDICT_COLOUR = {"READY": "green", "DEGRADED": "yellow", "NOT_READY": "red"}


class Style:
    """Colour and Unicode decisions for one output stream."""

    def __init__(self, stream: TextIO, *, colour: bool | None = None) -> None:
        tty = bool(getattr(stream, "isatty", lambda: False)())
        self.colour = (tty and "NO_COLOR" not in os.environ) if colour is None else colour
        encoding = (getattr(stream, "encoding", None) or "ascii").lower()
        self.unicode = encoding.replace("-", "") in ("utf8", "utf16", "utf32")

    def paint(self, text: str, colour: str | None) -> str:
        if not self.colour or colour is None:
            return text
        return f"\033[{_COLOURS[colour]}m{text}\033[0m"

    def bars(self, n: int) -> str:
        """Four signal bars, ``n`` of them lit: ``▂▄▆_`` (or ``[###.]`` in ASCII)."""
        n = max(0, min(4, n))
        if self.unicode:
            return "▂▄▆█"[:n] + "·" * (4 - n)
        return "[" + "#" * n + "." * (4 - n) + "]"


def table(rows: list[tuple[str, str]], indent: str = "") -> list[str]:
    """Two columns, the first padded to the widest label."""
    if not rows:
        return []
    width = max(len(label) for label, _ in rows)
    return [f"{indent}{label:<{width}}  {value}".rstrip() for label, value in rows]


def num(value: Any, digits: int = 1) -> str:
    """A number without needless zeros (``-85``, ``12.5``); ``-`` for None."""
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    return str(value)


def size(nbytes: float | None) -> str:
    """Bytes as kB / MB (decimal, as operators bill)."""
    if nbytes is None:
        return "-"
    if nbytes >= 1e6:
        return f"{nbytes / 1e6:.1f} MB"
    if nbytes >= 1e3:
        return f"{nbytes / 1e3:.0f} kB"
    return f"{int(nbytes)} B"


def rate(bps: float | None) -> str:
    if bps is None:
        return "-"
    if bps >= 1e6:
        return f"{bps / 1e6:.1f} Mbit/s"
    return f"{bps / 1e3:.0f} kbit/s"


def duration(seconds: float | None) -> str:
    """``45 s``, ``3 min 20 s``, ``1 h 5 min``."""
    if seconds is None:
        return "-"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s" if s % 60 else f"{s // 60} min"
    return f"{s // 3600} h {(s % 3600) // 60} min"
