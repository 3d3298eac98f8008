"""The operations centre's string tables as the tests read them, and the English words
that must never show in its Indonesian text.

The tables are the ``registerStrings({en: {...}, id: {...}})`` calls of
``collector/web/static/js/*.js``, written one ``"key": "text",`` pair a line inside an
``en: {`` and an ``id: {`` block (static/js/i18n.js says so too).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

STATIC = Path(__file__).resolve().parents[3] / "collector" / "web" / "static"
JS = STATIC / "js"

#: English words (whole words, any case) that must not appear in Indonesian text: the
#: usual leftovers of an untranslated page. Names (Telkomsel, TPS, SINR, RSRP...) and
#: words Indonesian shares with English (status, operator, normal, radio, median, admin)
#: are not on it.
_ENGLISH = """
log out, log in, logout, login, tickets, ticket, map, never, ago, all, none, find,
filters, province, provinces, site, sites, shown, history, acknowledge,
acknowledged, resolve, resolved, open, opened, loading, latest, readings, period,
hour, hours, day, days, change, changes, details, time, username, password,
connecting, reconnecting, updated, unknown, download, upload, loss, position, cell,
kits, records, show, apply, problem, problems, state, zoom, legend, close, cancel,
confirm, note, evidence, dismiss, offline, live, signal, throughput, latency,
spread, event, degraded, down, silent, ok, the, and, of, or, not, no, by, with,
your, please, try, again, wrong, failed, request, view only, export
"""
ENGLISH_WORDS = tuple(w.strip() for w in re.split(r",", _ENGLISH))
ENGLISH_RE = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(w) for w in ENGLISH_WORDS) + r")(?![\w-])", re.I
)


def english_words(text: str) -> list[str]:
    """The deny-listed English words in ``text`` (written in capitals they are names
    or codes: "CC BY 4.0", NO_SERVICE)."""
    return [m.group(1) for m in ENGLISH_RE.finditer(text) if not m.group(1).isupper()]


_PAIR = re.compile(r'^\s*("(?:[^"\\]|\\.)*")\s*:\s*("(?:[^"\\]|\\.)*"),?\s*$')
_BLOCK = re.compile(r"^\s*(en|id)\s*:\s*\{\s*$")


@dataclass
class Table:
    """One module's ``registerStrings`` table: language -> key -> text."""

    path: Path
    texts: dict[str, dict[str, str]] = field(default_factory=lambda: {"en": {}, "id": {}})


def tables() -> list[Table]:
    """Every JS module's table (modules without one are left out)."""
    found = []
    for path in sorted(JS.glob("*.js")):
        table = Table(path)
        language = None
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            block = _BLOCK.match(line)
            if block:
                language = block.group(1)
                continue
            if language and re.match(r"^\s*\},?\s*$", line):
                language = None
                continue
            if language:
                pair = _PAIR.match(line)
                assert pair, f'{path.name}:{number}: not one \'"key": "text",\' pair: {line!r}'
                key, text = json.loads(pair.group(1)), json.loads(pair.group(2))
                assert key not in table.texts[language], f"{path.name}:{number}: {key} twice"
                table.texts[language][key] = text
        if table.texts["en"] or table.texts["id"]:
            found.append(table)
    return found


def _call_arguments(source: str, start: int) -> str:
    """The text between the parenthesis at ``start`` and its match."""
    depth = 0
    for i in range(start, len(source)):
        if source[i] == "(":
            depth += 1
        elif source[i] == ")":
            depth -= 1
            if depth == 0:
                return source[start + 1 : i]
    raise AssertionError(f"unclosed call at {start}")


_KEY = re.compile(r'"([a-z][\w-]*(?:\.[\w-]+)+)"')


def used_keys() -> dict[str, set[str]]:
    """Keys the pages ask for by name: literal keys in ``t(...)`` calls of the JS
    modules, and the data-i18n attributes of the HTML pages; key -> where."""
    used: dict[str, set[str]] = {}
    for path in sorted(JS.glob("*.js")):
        source = path.read_text(encoding="utf-8")
        for call in re.finditer(r"(?<![\w.$])t\(", source):
            for key in _KEY.findall(_call_arguments(source, call.end() - 1)):
                used.setdefault(key, set()).add(path.name)
    for path in sorted(STATIC.glob("*.html")):
        source = path.read_text(encoding="utf-8")
        for key in re.findall(r'\sdata-i18n(?:-[a-z-]+)?="([^"]+)"', source):
            used.setdefault(key, set()).add(path.name)
    return used
