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


#: The language numbers and units are written in (``use_lang``; the commands set it
#: with their Messages, so that every figure in a message reads as its words do).
_lang = "en"
_UNITS = {
    "en": {"s": "s", "min": "min", "h": "h"},
    "id": {"s": "detik", "min": "menit", "h": "jam"},
}


def use_lang(lang: str) -> None:
    """Write numbers and units in ``lang`` from now on (``id``: 20,0 MB, 1.250 kB)."""
    global _lang  # noqa: PLW0603 - one language per command run
    _lang = lang if lang in _UNITS else "en"


def fixed(value: float, digits: int, lang: str | None = None) -> str:
    """``value`` with ``digits`` decimals and grouped thousands: ``1,234.5`` in English
    stays ``1234.5`` (no grouping: figures are read, not summed), ``1.234,5`` in
    Indonesian (a decimal comma, a thousands dot)."""
    lang = lang or _lang
    if lang != "id":
        return f"{value:.{digits}f}"
    text = f"{value:,.{digits}f}"  # 1,234.5
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def num(value: Any, digits: int = 1, lang: str | None = None) -> str:
    """A number without needless zeros (``-85``, ``12.5``; ``12,5`` in Indonesian);
    ``-`` for None."""
    if value is None:
        return "-"
    if isinstance(value, float):
        text = fixed(value, digits, lang)
        point = "," if (lang or _lang) == "id" else "."
        if point in text:
            text = text.rstrip("0").rstrip(point)
        return "0" if text == "-0" else text
    return str(value)


def size(nbytes: float | None, lang: str | None = None) -> str:
    """Bytes as kB / MB (decimal, as operators bill)."""
    if nbytes is None:
        return "-"
    if nbytes >= 1e6:
        return f"{fixed(nbytes / 1e6, 1, lang)} MB"
    if nbytes >= 1e3:
        return f"{fixed(nbytes / 1e3, 0, lang)} kB"
    return f"{int(nbytes)} B"


def rate(bps: float | None, lang: str | None = None) -> str:
    if bps is None:
        return "-"
    if bps >= 1e6:
        return f"{fixed(bps / 1e6, 1, lang)} Mbit/s"
    return f"{fixed(bps / 1e3, 0, lang)} kbit/s"


def duration(seconds: float | None, lang: str | None = None) -> str:
    """``45 s``, ``3 min 20 s``, ``1 h 5 min`` (``3 menit 20 detik`` in Indonesian)."""
    if seconds is None:
        return "-"
    u = _UNITS[lang or _lang]
    s = round(seconds)
    if s < 60:
        return f"{s} {u['s']}"
    if s < 3600:
        minutes = f"{s // 60} {u['min']}"
        return f"{minutes} {s % 60} {u['s']}" if s % 60 else minutes
    return f"{s // 3600} {u['h']} {(s % 3600) // 60} {u['min']}"
