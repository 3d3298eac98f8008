"""The sans-I/O AT engine: transcripts in, events out, whole or byte at a time."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.modem.engine import (
    NEED_DATA,
    AtEngine,
    BufferOverflow,
    Echo,
    Event,
    FinalKind,
    FinalResult,
    Garbage,
    Response,
    UnknownLine,
    Urc,
    command_prefixes,
    parse_final,
)
from agent.modem.errors import LocalProtocolError

DATA = Path(__file__).resolve().parents[2] / "data" / "at"
TRANSCRIPTS = sorted(DATA.glob("*.toml"))


def drain(engine: AtEngine) -> list[Event]:
    events: list[Event] = []
    while (event := engine.next_event()) is not NEED_DATA:
        assert not isinstance(event, type(NEED_DATA))
        events.append(event)
    return events


def run(exchanges: list[tuple[str | None, bytes]], *, bytewise: bool) -> list[Event]:
    engine = AtEngine(max_buffer_bytes=256)
    events: list[Event] = []
    for command, data in exchanges:
        if command is not None:
            assert engine.send(command) == command.encode() + b"\r"
        chunks = [data[i : i + 1] for i in range(len(data))] if bytewise else [data]
        for chunk in chunks:
            engine.receive_data(chunk)
            events += drain(engine)
        assert engine.buffered_bytes <= engine.max_buffer_bytes
    return events


def expected_event(spec: list[object]) -> Event:
    kind = spec[0]
    if kind == "echo":
        return Echo(str(spec[1]))
    if kind == "urc":
        return Urc(str(spec[1]))
    if kind == "unknown":
        return UnknownLine(str(spec[1]))
    assert kind == "response", spec
    lines = spec[2]
    assert isinstance(lines, list)
    final = parse_final(str(spec[3]))
    assert final is not None
    return Response(str(spec[1]), tuple(lines), final)


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
def test_transcripts(path: Path, bytewise: bool) -> None:
    data = tomllib.loads(path.read_text())
    assert data["source"].strip()
    exchanges = [(x["send"], x["receive"].encode("latin-1")) for x in data["exchange"]]
    expected = [expected_event(e) for x in data["exchange"] for e in x["events"]]
    assert run(exchanges, bytewise=bytewise) == expected


GARBAGE_CASES: list[tuple[str, list[tuple[str | None, bytes]], list[Event]]] = [
    (
        "junk before an answer is split off",
        [("AT+CSQ", b"\xff\xfe\x80+CSQ: 20,99\r\nOK\r\n")],
        [
            Garbage(b"\xff\xfe\x80"),
            Response("AT+CSQ", ("+CSQ: 20,99",), FinalResult(FinalKind.OK, "OK")),
        ],
    ),
    (
        "a line of junk alone",
        [("AT", b"\r\n\x81\x00\x9f\r\n\r\nOK\r\n")],
        [Garbage(b"\x81\x9f"), Response("AT", (), FinalResult(FinalKind.OK, "OK"))],
    ),
    (
        "NULs inside a line are removed",
        [("AT+CSQ", b"\r\n+CSQ: 2\x000,99\r\n\r\nOK\x00\r\n")],
        [Response("AT+CSQ", ("+CSQ: 20,99",), FinalResult(FinalKind.OK, "OK"))],
    ),
    (
        "control bytes in the middle make the whole line garbage",
        [("AT+CSQ", b"\r\n+CSQ:\x07 20,99\r\nOK\r\n")],
        [Garbage(b"+CSQ:\x07 20,99"), Response("AT+CSQ", (), FinalResult(FinalKind.OK, "OK"))],
    ),
    (
        "CME without the space, text form, CMS",
        [
            ("AT+CGATT=1", b"\r\n+CME ERROR:58\r\n"),
            ("AT+CPIN?", b"\r\n+CME ERROR: SIM busy\r\n"),
            ("AT+CMGS=1", b"\r\n+CMS ERROR: 500\r\n"),
        ],
        [
            Response("AT+CGATT=1", (), FinalResult(FinalKind.CME, "+CME ERROR:58", code=58)),
            Response(
                "AT+CPIN?", (), FinalResult(FinalKind.CME, "+CME ERROR: SIM busy", text="SIM busy")
            ),
            Response("AT+CMGS=1", (), FinalResult(FinalKind.CMS, "+CMS ERROR: 500", code=500)),
        ],
    ),
    (
        "idle lines: URC, stray OK, unknown text",
        [(None, b"\r\n+CEREG: 2\r\n\r\nOK\r\nhello\r\n")],
        [Urc("+CEREG: 2"), UnknownLine("OK"), UnknownLine("hello")],
    ),
    (
        "a non-prefixed, non-URC line inside a prefixed answer is unknown",
        [("AT+CSQ", b"\r\nsomething\r\n+CSQ: 5,2\r\nOK\r\n")],
        [
            UnknownLine("something"),
            Response("AT+CSQ", ("+CSQ: 5,2",), FinalResult(FinalKind.OK, "OK")),
        ],
    ),
    (
        "over-long line: one overflow event, then back to normal",
        [("AT+CSQ", b"\r\n" + b"A" * 600 + b"\r\n+CSQ: 1,0\r\nOK\r\n")],
        [BufferOverflow(256), Response("AT+CSQ", ("+CSQ: 1,0",), FinalResult(FinalKind.OK, "OK"))],
    ),
    (
        "BUSY / NO ANSWER / NO DIALTONE end a dial",
        [
            ("ATD123;", b"\r\nBUSY\r\n"),
            ("ATD123;", b"\r\nNO ANSWER\r\n"),
            ("ATD123;", b"\r\nNO DIALTONE\r\n"),
        ],
        [
            Response("ATD123;", (), FinalResult(FinalKind.BUSY, "BUSY")),
            Response("ATD123;", (), FinalResult(FinalKind.NO_ANSWER, "NO ANSWER")),
            Response("ATD123;", (), FinalResult(FinalKind.NO_DIALTONE, "NO DIALTONE")),
        ],
    ),
]


@pytest.mark.parametrize(
    ("name", "exchanges", "expected"), GARBAGE_CASES, ids=[c[0] for c in GARBAGE_CASES]
)
@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
def test_recovers_from_garbage(
    name: str, exchanges: list[tuple[str | None, bytes]], expected: list[Event], bytewise: bool
) -> None:
    assert run(exchanges, bytewise=bytewise) == expected


def test_sending_while_pending_is_local_misuse() -> None:
    engine = AtEngine()
    engine.send("AT+CSQ")
    with pytest.raises(LocalProtocolError, match=r"'AT\+CSQ' is still pending"):
        engine.send("AT+CESQ")
    assert engine.cancel() == "AT+CSQ"
    assert engine.pending is None
    engine.send("AT+CESQ")


@pytest.mark.parametrize("bad", ["CSQ", "AT+CSQ\r", "AT\nATI", "AT+COPS=\x00", ""])
def test_malformed_command_is_local_misuse(bad: str) -> None:
    with pytest.raises(LocalProtocolError, match="expected one printable-ASCII command"):
        AtEngine().send(bad)


def test_cancelled_command_late_answer_is_not_lost() -> None:
    engine = AtEngine()
    engine.send("AT+CSQ")
    engine.cancel()
    engine.receive_data(b"\r\n+CSQ: 3,1\r\n\r\nOK\r\n")
    assert drain(engine) == [Urc("+CSQ: 3,1"), UnknownLine("OK")]


def test_prefixes() -> None:
    assert command_prefixes("AT+CSQ") == ("+CSQ:",)
    assert command_prefixes('AT+QENG="servingcell"') == ("+QENG:",)
    assert command_prefixes("AT^HCSQ?") == ("^HCSQ:",)
    assert "+QCCID:" in command_prefixes("AT+CCID")


def test_buffer_limit_is_validated() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        AtEngine(max_buffer_bytes=4)


ALLOWED = (Response, Urc, Echo, UnknownLine, Garbage, BufferOverflow)


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=400)
    | st.lists(
        st.sampled_from(
            [b"\r\n", b"\r", b"OK", b"+CSQ: 1,2", b"AT+CSQ", b"\x00", b"\xff", b"ERROR", b"A" * 70]
        ),
        max_size=40,
    ).map(b"".join),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=20),
    pending=st.booleans(),
)
def test_random_bytes_never_hang_or_overgrow(data: bytes, cuts: list[int], pending: bool) -> None:
    def feed(points: list[int]) -> list[Event]:
        engine = AtEngine(max_buffer_bytes=64)
        if pending:
            engine.send("AT+CSQ")
        events: list[Event] = []
        start = 0
        for cut in [*sorted(c for c in points if c <= len(data)), len(data)]:
            engine.receive_data(data[start:cut])
            start = cut
            assert engine.buffered_bytes <= 64
            events += drain(engine)
        return events

    split = feed(cuts)
    whole = feed([])
    assert split == whole
    assert all(isinstance(e, ALLOWED) for e in whole)
