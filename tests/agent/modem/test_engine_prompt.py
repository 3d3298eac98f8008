"""The engine's ``> `` prompt for payload commands (AT+CMGS), whole and byte by byte."""

from __future__ import annotations

import pytest

from agent.modem.engine import NEED_DATA, AtEngine, Event, FinalKind, Prompt, Response, Urc


def _events(engine: AtEngine) -> list[Event]:
    out: list[Event] = []
    while (event := engine.next_event()) is not NEED_DATA:
        out.append(event)
    return out


def _feed(chunks: list[bytes]) -> list[Event]:
    engine = AtEngine()
    engine.send("AT+CMGS=23")
    events: list[Event] = []
    for chunk in chunks:
        engine.receive_data(chunk)
        events += _events(engine)
    return events


TRANSCRIPT = b'\r\n> \r\n+CMTI: "SM",2\r\n+CMGS: 7\r\n\r\nOK\r\n'
EXPECTED = [
    Prompt("AT+CMGS=23"),
    Urc('+CMTI: "SM",2'),
]


@pytest.mark.parametrize("split", ["whole", "bytes"])
def test_prompt_then_answer(split: str) -> None:
    chunks = [TRANSCRIPT] if split == "whole" else [bytes([b]) for b in TRANSCRIPT]
    events = _feed(chunks)
    assert events[:2] == EXPECTED
    (response,) = events[2:]
    assert isinstance(response, Response)
    assert response.lines == ("+CMGS: 7",) and response.final.kind is FinalKind.OK


def test_no_prompt_for_other_commands() -> None:
    engine = AtEngine()
    engine.send("AT+CSQ")
    engine.receive_data(b"\r\n> ")
    assert _events(engine) == []
    assert engine.buffered_bytes == 2


def test_cmgl_pdu_lines_belong_to_the_response() -> None:
    engine = AtEngine()
    engine.send("AT+CMGL=4")
    engine.receive_data(b"\r\n+CMGL: 0,1,,20\r\n07911326040000F0040B91\r\n\r\nOK\r\n")
    (response,) = _events(engine)
    assert isinstance(response, Response)
    assert response.lines == ("+CMGL: 0,1,,20", "07911326040000F0040B91")
