"""The answer corpus (tests/data/at/corpus/*.toml): every entry through the sans-I/O engine,
whole and one byte at a time, then through the parsers, to its documented values."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from agent.modem.engine import NEED_DATA, AtEngine, Event, Response, Urc
from agent.modem.interpret import interpret_response, interpret_urc

CORPUS = Path(__file__).resolve().parents[2] / "data" / "at" / "corpus"
DIALECTS = ("3gpp", "quectel", "simcom", "huawei", "sierra", "fibocom", "gnss")


def _load() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for path in sorted(CORPUS.glob("*.toml")):
        data = tomllib.loads(path.read_text())
        for entry in data["entry"]:
            entries.append({**entry, "dialect": data["dialect"], "file": path.name})
    return entries


ENTRIES = _load()


def _events(entry: dict[str, Any], *, bytewise: bool) -> list[Event]:
    engine = AtEngine()
    if entry["command"]:
        engine.send(entry["command"])
    data = entry["receive"].encode("latin-1")
    chunks = [data[i : i + 1] for i in range(len(data))] if bytewise else [data]
    events: list[Event] = []
    for chunk in chunks:
        engine.receive_data(chunk)
        while (event := engine.next_event()) is not NEED_DATA:
            assert not isinstance(event, type(NEED_DATA))
            events.append(event)
    assert engine.pending is None, f"{entry['name']}: no final result in the data"
    return events


def test_corpus_is_big_and_covers_every_dialect() -> None:
    assert len(ENTRIES) >= 60
    names = [e["name"] for e in ENTRIES]
    assert len(names) == len(set(names)), "corpus entry names must be unique"
    by_dialect = {d: sum(1 for e in ENTRIES if e["dialect"] == d) for d in DIALECTS}
    assert all(n >= 4 for n in by_dialect.values()), by_dialect
    assert all(e["source"].strip() for e in ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_corpus_entry(entry: dict[str, Any]) -> None:
    whole = _events(entry, bytewise=False)
    assert _events(entry, bytewise=True) == whole
    model = entry.get("model")
    if entry.get("kind", "response") == "urc":
        assert len(whole) == 1 and isinstance(whole[0], Urc), whole
        values = interpret_urc(whole[0].line)
    else:
        responses = [e for e in whole if isinstance(e, Response)]
        others = [e for e in whole if not isinstance(e, Response)]
        assert len(responses) == 1, whole
        assert all(isinstance(e, Urc) for e in others), others  # only URCs may interleave
        response = responses[0]
        assert response.command == entry["command"]
        assert response.final.line == entry.get("final", "OK")
        values = interpret_response(response, model=model)
    assert values == entry["expected"]
