"""The live signal view of ``check`` and ``survey`` on a terminal: a rolling sparkline
of the signal strength and quality, one character a reading, redrawn in place.

::

    RSRP  ▁▁▁▁▂▇███            -80 dBm  excellent
    SINR  ▂▂▂▂▃▆▇▇▇             22 dB   excellent

Each quantity is scaled to a fixed range (:data:`RANGES`: the same height means the
same level in every run, so moving the antenna shows as a step), eight levels
``▁▂▃▄▅▆▇█`` from the range's low end up, clipped at both ends; a reading without the
quantity draws :data:`GAP`. The strength row is the serving RAT's (RSRP on 4G/5G, RSCP
on 3G, RSSI on 2G), the quality row SINR (Ec/Io on 3G; none on 2G). The newest
readings are on the right; the row keeps the last :data:`HISTORY` readings, fewer
when the terminal is narrow.

:func:`sparkline` and :func:`frame_lines` are pure; :class:`LiveView` writes the frame
to a terminal (carriage return and ANSI cursor-up and erase, no curses), and only to a
terminal: the commands make one only when their output is a TTY and not ``--json``.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Final, TextIO

from agent.i18n import Messages
from agent.tech import grades, render

BLOCKS: Final = "▁▂▃▄▅▆▇█"
#: The ASCII levels, for a terminal without UTF-8.
ASCII_BLOCKS: Final = "_.-:=+*#"
#: Drawn for a reading without the quantity (no service, not reported).
GAP: Final = "·"
ASCII_GAP: Final = " "
#: Readings kept (at one a second in ``check --watch``: two minutes; at the survey's
#: default five seconds: ten minutes).
HISTORY: Final = 120

#: Field -> (low, high) of its sparkline: the value at ``low`` or below draws the
#: lowest block, at ``high`` or above the highest; each of the eight levels spans
#: (high - low) / 8. Strength: 5 dB a level, the grade bounds on level edges and an
#: excellent reading a full block (RSRP -115..-75 dBm: ``▄`` from -100 (fair), ``▆``
#: from -90 (good), ``█`` from -80). Quality: SINR -10..30 dB, 5 dB a level (``▃``
#: from 0 dB, ``▇`` from 20); Ec/Io -24..0 dB, 3 dB a level.
RANGES: Final[Mapping[str, tuple[float, float]]] = {
    "rsrp_dbm": (-115.0, -75.0),
    "nr_rsrp_dbm": (-115.0, -75.0),
    "rscp_dbm": (-105.0, -65.0),
    "rssi_dbm": (-105.0, -65.0),
    "sinr_db": (-10.0, 30.0),
    "nr_sinr_db": (-10.0, 30.0),
    "ecio_db": (-24.0, 0.0),
}
LABELS: Final[Mapping[str, str]] = {
    "rsrp_dbm": "RSRP",
    "nr_rsrp_dbm": "NR RSRP",
    "rscp_dbm": "RSCP",
    "rssi_dbm": "RSSI",
    "sinr_db": "SINR",
    "nr_sinr_db": "NR SINR",
    "ecio_db": "Ec/Io",
}
#: RAT family -> (strength field, quality field or None).
_ROWS: Final[Mapping[str, tuple[str, str | None]]] = {
    "lte": ("rsrp_dbm", "sinr_db"),
    "nr": ("rsrp_dbm", "sinr_db"),
    "nr-sa": ("nr_rsrp_dbm", "nr_sinr_db"),
    "3g": ("rscp_dbm", "ecio_db"),
    "2g": ("rssi_dbm", None),
}


def level(value: float, low: float, high: float) -> int:
    """0..7: which of eight equal bands of ``low..high`` ``value`` falls in (clipped)."""
    if value <= low:
        return 0
    if value >= high:
        return 7
    return min(7, int((value - low) * 8 / (high - low)))


def sparkline(
    values: Sequence[float | None],
    low: float,
    high: float,
    *,
    width: int = HISTORY,
    blocks: str = BLOCKS,
    gap: str = GAP,
) -> str:
    """The last ``width`` values as one character each (:data:`BLOCKS`; ``gap`` for
    None), oldest first."""
    if width <= 0:
        return ""
    return "".join(
        gap if v is None else blocks[level(float(v), low, high)] for v in values[-width:]
    )


def rows_for(rat: str | None) -> tuple[str, str | None]:
    """The (strength, quality) fields the view draws for the serving RAT (LTE's when
    unknown or without service)."""
    if rat == "nr5g-sa":
        return _ROWS["nr-sa"]
    return _ROWS.get(grades.family(rat) or "lte", _ROWS["lte"])


def frame_lines(
    history: Sequence[Mapping[str, float | None]],
    rat: str | None,
    registered: bool,
    m: Messages,
    *,
    width: int = HISTORY,
    unicode: bool = True,
) -> list[str]:
    """The view's lines for the readings in ``history`` (oldest first; each
    ``{field: value}``); the last reading gives the current value and grade (a grade
    only while registered)."""
    strength, quality = rows_for(rat)
    fields = [f for f in (strength, quality) if f is not None]
    last = history[-1] if history else {}
    lines = []
    for name in fields:
        low, high = RANGES[name]
        series = [reading.get(name) for reading in history]
        line = sparkline(
            series,
            low,
            high,
            width=width,
            blocks=BLOCKS if unicode else ASCII_BLOCKS,
            gap=GAP if unicode else ASCII_GAP,
        )
        value = last.get(name)
        unit = "dBm" if name.endswith("dbm") else "dB"
        graded = grades.grade(name, value) if registered else None
        grade_text = m(f"check.grade.{graded}") if graded else ""
        lines.append(
            f"{LABELS[name]:<8} {line:<{width}} {render.num(value):>6} {unit:<3}  {grade_text}"
        )
    return lines


def values_of(sample: Any) -> dict[str, float | None]:
    """A SignalSample's graphed quantities."""
    return {name: getattr(sample, name, None) for name in RANGES}


def redraw(lines: Sequence[str], previous: int) -> str:
    """The control sequence and text that replace the ``previous`` lines drawn last
    (cursor up, erase to the end of the screen) with ``lines``."""
    up = f"\033[{previous}A" if previous else ""
    return "\r" + up + "\033[J" + "".join(line + "\n" for line in lines)


class LiveView:
    """The sparkline frame at the bottom of a terminal, redrawn after each reading;
    lines printed through :meth:`above` scroll above it. Thread-safe (the check reads
    the modem in a thread)."""

    def __init__(self, stream: TextIO, m: Messages, *, unicode: bool = True) -> None:
        self.stream = stream
        self.m = m
        self.unicode = unicode
        self.history: list[dict[str, float | None]] = []
        self._rat: str | None = None
        self._registered = False
        self._drawn = 0
        self._lock = threading.Lock()

    def _width(self) -> int:
        try:
            columns = shutil.get_terminal_size().columns
        except (OSError, ValueError):
            columns = 80
        # label (9), value and unit (11), grade (up to 13)
        return max(10, min(HISTORY, columns - 33))

    def reading(self, sample: Any, above: str | None = None) -> None:
        """Add one SignalSample and redraw (``above``: a line printed above the frame)."""
        with self._lock:
            self.history = [*self.history[-(HISTORY - 1) :], values_of(sample)]
            self._rat = getattr(sample, "rat", None)
            self._registered = getattr(sample, "reg_state", None) in (
                "home",
                "roaming",
            ) and self._rat not in (None, "none")
            self._draw([] if above is None else [above])

    def above(self, text: str) -> None:
        """Print ``text`` above the frame (the frame drawn again below it)."""
        with self._lock:
            self._draw([text])

    def _draw(self, above: list[str]) -> None:
        if not self.history:
            for line in above:
                self.stream.write(line + "\n")
            self.stream.flush()
            return
        lines = frame_lines(
            self.history,
            self._rat,
            self._registered,
            self.m,
            width=self._width(),
            unicode=self.unicode,
        )
        self.stream.write(redraw([*above, *lines], self._drawn))
        self.stream.flush()
        self._drawn = len(lines)
