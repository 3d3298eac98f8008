"""Untrusted text made safe where it lands outside a page (pure functions, no I/O).

What a kit, a modem or a person typed (an operator name, a ticket note, a user
name) is stored as received. Two places would act on it rather than show it:

- a terminal: ESC starts control sequences (CSI colours and cursor moves, OSC 8
  hyperlinks, OSC 52 clipboard writes), other C0 and C1 controls move the cursor or
  ring the bell, and bidi overrides reorder what is shown. :func:`terminal` shows each
  such character visibly as its escape (``\\x1b``, ``\\u202e``), so a note prints as
  written and never drives the terminal. Every CLI line that prints stored or untrusted
  text goes through it.
- a spreadsheet: a CSV cell starting with ``=``, ``+``, ``-``, ``@``, TAB or CR is read
  as a formula (``=HYPERLINK(...)``). :func:`csv_cell` prefixes such a cell with a
  single quote (the OWASP rule), which spreadsheets show and do not evaluate. Every CSV
  Pantau writes (the coverage export, the survey file) goes through it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Bidirectional formatting characters: embeddings, overrides, isolates and marks
#: (Unicode TR 9), which can make a line read differently from what it holds.
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

#: C0 controls (TAB and newline included: a table cell is one line), DEL, C1 controls,
#: bidi formatting, the line and paragraph separators and the BOM / zero-width no-break.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff" + BIDI + "]")

#: What a spreadsheet takes for the start of a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: object) -> str:
    """``text`` (``str()`` of it) with every control and bidi character shown as its
    escape, e.g. ``"\\x1b[31m"`` -> ``"\\\\x1b[31m"``; None is ``"-"``."""
    if text is None:
        return "-"
    return _UNSAFE.sub(_visible, str(text))


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows rather than evaluates: text starting like a
    formula gets a leading ``'``; None is empty; numbers and flags are left alone
    (a negative number is a number, not a formula)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Every cell of a CSV row through :func:`csv_cell`."""
    return {key: csv_cell(value) for key, value in row.items()}
