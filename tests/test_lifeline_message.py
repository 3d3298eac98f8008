"""The lifeline status message: signed, read back, forgeries and replays refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pantau.core import lifeline
from pantau.core.lifeline import LifelineError, Status, Verdict
from pantau.core.smspdu import gsm7_septets

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))
FULL = Status("kit-3171011001005", 42, 1764860000, 1, 7, -97, "51010", 1234, 600, "no_route")


def test_message_layout() -> None:
    text = lifeline.encode(FULL, KEY)
    assert text.startswith(
        "PNT1 id=kit-3171011001005 n=42 t=1764860000 reg=1 act=7 sig=-97 op=51010 bl=1234 "
        "down=600 err=no_route mac="
    )
    assert len(text) <= 160
    gsm7_septets(text)  # every character is in the GSM 7-bit alphabet


statuses = st.builds(
    Status,
    agent_id=st.from_regex(r"[A-Za-z0-9_.:-]{1,30}", fullmatch=True),
    counter=st.integers(1, 10**9),
    kit_time_s=st.none() | st.integers(0, 4 * 10**9),
    registration=st.none() | st.integers(0, 11),
    act=st.none() | st.integers(0, 13),
    signal_dbm=st.none() | st.integers(-140, -20),
    operator=st.none() | st.from_regex(r"510[0-9]{2}", fullmatch=True),
    backlog=st.none() | st.integers(0, 10**7),
    down_s=st.none() | st.integers(0, 10**6),
    error=st.none() | st.from_regex(r"[a-z_]{1,16}", fullmatch=True),
)


@given(statuses)
def test_round_trip_and_authentic(status: Status) -> None:
    text = lifeline.encode(status, KEY)
    parsed = lifeline.parse(text)
    assert parsed.status == status
    assert lifeline.authentic(parsed, KEY)
    assert not lifeline.authentic(parsed, OTHER)


@pytest.mark.parametrize(
    ("key", "highest", "verdict"),
    [
        (KEY, None, Verdict.ACCEPTED),
        (KEY, 41, Verdict.ACCEPTED),
        (KEY, 42, Verdict.REPLAYED),
        (KEY, 100, Verdict.REPLAYED),
        (OTHER, None, Verdict.FORGED),
        (None, None, Verdict.UNKNOWN_KIT),
    ],
)
def test_judge(key: bytes | None, highest: int | None, verdict: Verdict) -> None:
    judged = lifeline.judge(lifeline.encode(FULL, KEY), key, highest)
    assert judged.verdict is verdict
    assert judged.status == FULL


def test_a_changed_field_is_a_forgery() -> None:
    text = lifeline.encode(FULL, KEY).replace("bl=1234", "bl=1")
    judged = lifeline.judge(text, KEY, None)
    assert judged.verdict is Verdict.FORGED
    assert judged.reason == "MAC does not match kit-3171011001005's key"


@pytest.mark.parametrize(
    ("text", "verdict", "reason"),
    [
        ("Paket internet Anda hampir habis", Verdict.NOT_OURS, "not a lifeline message"),
        ("PNT1 id=a n=1", Verdict.MALFORMED, "the message ends without mac=<16 hex digits>"),
        ("PNT1 id=a n=1 mac=zz", Verdict.MALFORMED, "ends without mac="),
        ("PNT1 id=a n=x mac=0123456789abcdef", Verdict.MALFORMED, "n='x': expected an integer"),
        ("PNT1 id=a zz=1 n=1 mac=0123456789abcdef", Verdict.MALFORMED, "unknown key 'zz'"),
        ("PNT1 id=a n=1 n=2 mac=0123456789abcdef", Verdict.MALFORMED, "key 'n' given twice"),
        ("PNT1 id=a mac=0123456789abcdef", Verdict.MALFORMED, "lacks id= or n="),
        ("PNT1 id=a n=0 mac=0123456789abcdef", Verdict.MALFORMED, "n=0: expected >= 1"),
        ("PNT1 id=a n=1 bogus mac=0123456789abcdef", Verdict.MALFORMED, "expected key=value"),
    ],
)
def test_garbage_gets_a_specific_reason(text: str, verdict: Verdict, reason: str) -> None:
    judged = lifeline.judge(text, KEY, None)
    assert judged.verdict is verdict
    assert reason in judged.reason


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (Status("kit a", 1), "agent id 'kit a'"),
        (Status("a", 0), "counter 0: expected >= 1"),
        (Status("a", 1, error="No route"), "use error_code()"),
        (Status("a", 1, operator="Telkomsel"), "expected MCC-MNC digits"),
    ],
)
def test_encode_refusals(status: Status, error: str) -> None:
    with pytest.raises(LifelineError, match=error.replace("(", r"\(").replace(")", r"\)")):
        lifeline.encode(status, KEY)


def test_short_key_refused() -> None:
    with pytest.raises(LifelineError, match="SMS key of 8 bytes: expected at least 16"):
        lifeline.encode(FULL, b"12345678")


def test_error_code() -> None:
    assert lifeline.error_code("[Errno 101] Network is unreachable") == "errno_101_network_is_unr"
    assert lifeline.error_code("!!!") == "unknown"
