"""The SMS lifeline's status message: what a kit texts when its data path is down, how
it is authenticated, and how the collector refuses forgeries and replays. Pure: text in,
typed values out; no clock, no key store.

The message is one line of GSM 7-bit-safe ASCII (it survives SMS gateways that hand the
text on as a string) of ``key=value`` tokens, at most 160 characters::

    PNT1 id=kit-3171011001005 n=42 t=1764860000 reg=1 act=7 sig=-97 op=51010 bl=1234
    down=600 err=no_route mac=1f2e3d4c5b6a7988

``PNT1`` names the format; ``id`` the agent; ``n`` a counter the kit raises by one for
every SMS it sends (persisted, never reused: the collector accepts a counter only above
the highest it has accepted for that kit, so a replayed SMS is refused); ``t`` the kit's
clock (Unix seconds, informative only); ``reg`` the registration state (TS 27.007
``<stat>``), ``act`` the radio technology (the number of ``pantau.v1.Rat``: 6 LTE),
``sig`` the signal in dBm (RSRP on LTE, RSSI otherwise), ``op`` the
MCC-MNC, ``bl`` the spool backlog (records), ``down`` seconds since the data path went
down, ``err`` the last uplink error as a short code. Absent values are left out.

``mac`` is HMAC-SHA256 under the kit's own SMS key over everything before `` mac=``,
truncated to 64 bits (16 hex digits): a forger without the key has a 2^-64 chance per
try, and every try costs an SMS. The kit's key is :func:`kit_key` of the collector's
SMS secret and the agent id: the collector derives it again when a message arrives
(no key table), and hands it to the kit in every Welcome.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Final

FORMAT: Final = "PNT1"
MAX_CHARS: Final = 160
MAC_HEX: Final = 16
KEY_BYTES: Final = 32

_TOKEN: Final = re.compile(r"^([a-z]+)=([A-Za-z0-9_.:-]{1,40})$")
_ID: Final = re.compile(r"^[A-Za-z0-9_.:-]{1,40}$")
_ERR: Final = re.compile(r"^[a-z0-9_]{1,24}$")


class LifelineError(ValueError):
    """A status message that cannot be built or read, and why."""


class Verdict(StrEnum):
    """What the collector makes of a received status SMS."""

    ACCEPTED = "accepted"
    NOT_OURS = "not-ours"  # not a lifeline message at all (an operator's promo text)
    MALFORMED = "malformed"
    UNKNOWN_KIT = "unknown-kit"
    FORGED = "forged"  # the MAC does not match the kit's key
    REPLAYED = "replayed"  # a counter at or below the highest accepted


@dataclass(frozen=True, slots=True)
class Status:
    """One status report. ``counter`` must rise with every SMS the kit sends."""

    agent_id: str
    counter: int
    kit_time_s: int | None = None
    registration: int | None = None
    act: int | None = None
    signal_dbm: int | None = None
    operator: str | None = None
    backlog: int | None = None
    down_s: int | None = None
    error: str | None = None


_KEYS: Final = (
    ("agent_id", "id"),
    ("counter", "n"),
    ("kit_time_s", "t"),
    ("registration", "reg"),
    ("act", "act"),
    ("signal_dbm", "sig"),
    ("operator", "op"),
    ("backlog", "bl"),
    ("down_s", "down"),
    ("error", "err"),
)
_BY_TOKEN: Final = {token: name for name, token in _KEYS}
_INT_FIELDS: Final = frozenset(
    f.name for f in fields(Status) if f.name not in ("agent_id", "operator", "error")
)


def error_code(text: str) -> str:
    """A short code for an error text (lower case, ``_`` for the rest, 24 characters)."""
    code = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:24].strip("_")
    return code or "unknown"


def kit_key(secret: bytes, agent_id: str) -> bytes:
    """The SMS key of ``agent_id`` under the collector's SMS ``secret`` (32 bytes)."""
    if len(secret) < 16:
        raise LifelineError(f"SMS secret of {len(secret)} bytes: expected at least 16")
    return hmac.new(secret, b"pantau-sms-key-v1\x00" + agent_id.encode(), hashlib.sha256).digest()


def _mac(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode("ascii"), hashlib.sha256).hexdigest()[:MAC_HEX]


def _check_key(key: bytes) -> None:
    if len(key) < 16:
        raise LifelineError(f"SMS key of {len(key)} bytes: expected at least 16")


def encode(status: Status, key: bytes) -> str:
    """The signed message text; LifelineError when a value does not fit the format."""
    _check_key(key)
    if not _ID.match(status.agent_id):
        raise LifelineError(f"agent id {status.agent_id!r}: expected 1-40 of A-Z a-z 0-9 _ . : -")
    if status.counter < 1:
        raise LifelineError(f"counter {status.counter}: expected >= 1")
    if status.error is not None and not _ERR.match(status.error):
        raise LifelineError(f"error code {status.error!r}: use error_code() to make one")
    if status.operator is not None and not re.fullmatch(r"\d{5,6}", status.operator):
        raise LifelineError(f"operator {status.operator!r}: expected MCC-MNC digits")
    parts = [FORMAT]
    for name, token in _KEYS:
        value = getattr(status, name)
        if value is not None:
            parts.append(f"{token}={value}")
    body = " ".join(parts)
    text = f"{body} mac={_mac(key, body)}"
    if len(text) > MAX_CHARS:
        raise LifelineError(f"status message of {len(text)} characters: at most 160 fit")
    return text


@dataclass(frozen=True, slots=True)
class Parsed:
    """A message read but not yet verified: its status, signed body and MAC."""

    status: Status
    body: str
    mac: str


def looks_like_lifeline(text: str) -> bool:
    """True when ``text`` claims to be a lifeline message (starts with the format)."""
    return text.strip().startswith(FORMAT + " ")


def parse(text: str) -> Parsed:
    """Read a message without checking its MAC; LifelineError names what is wrong."""
    line = text.strip()
    if not looks_like_lifeline(line):
        raise LifelineError(f"not a lifeline message (does not start with {FORMAT!r})")
    if len(line) > MAX_CHARS:
        raise LifelineError(f"message of {len(line)} characters: at most 160")
    body, sep, mac = line.rpartition(" mac=")
    if not sep or not re.fullmatch(rf"[0-9a-f]{{{MAC_HEX}}}", mac):
        raise LifelineError("the message ends without mac=<16 hex digits>")
    values: dict[str, str | int] = {}
    for token in body.split(" ")[1:]:
        m = _TOKEN.match(token)
        if m is None:
            raise LifelineError(f"token {token!r}: expected key=value")
        key, raw = m.groups()
        name = _BY_TOKEN.get(key)
        if name is None:
            raise LifelineError(f"unknown key {key!r} in {token!r}")
        if name in values:
            raise LifelineError(f"key {key!r} given twice")
        if name in _INT_FIELDS:
            if not re.fullmatch(r"-?\d{1,12}", raw):
                raise LifelineError(f"{key}={raw!r}: expected an integer")
            values[name] = int(raw)
        else:
            values[name] = raw
    if "agent_id" not in values or "counter" not in values:
        raise LifelineError("the message lacks id= or n=")
    status = Status(**values)  # type: ignore[arg-type]
    if status.counter < 1:
        raise LifelineError(f"n={status.counter}: expected >= 1")
    return Parsed(status, body, mac)


def authentic(parsed: Parsed, key: bytes) -> bool:
    """True when the MAC is the kit key's (compared in constant time)."""
    _check_key(key)
    return hmac.compare_digest(_mac(key, parsed.body), parsed.mac)


@dataclass(frozen=True, slots=True)
class Judgement:
    """The verdict on one received message, its status when it was read, and why."""

    verdict: Verdict
    status: Status | None = None
    reason: str = ""


def judge(text: str, key: bytes | None, highest_counter: int | None) -> Judgement:
    """Judge a received text for the kit it names.

    ``key`` is that kit's SMS key (None: the collector knows no such kit, or gave it no
    key) and ``highest_counter`` the highest counter accepted from it so far (None:
    none yet). Use :func:`parse` first to learn which kit to look up.
    """
    if not looks_like_lifeline(text):
        return Judgement(Verdict.NOT_OURS, reason="not a lifeline message")
    try:
        parsed = parse(text)
    except LifelineError as exc:
        return Judgement(Verdict.MALFORMED, reason=str(exc))
    status = parsed.status
    if key is None:
        return Judgement(Verdict.UNKNOWN_KIT, status, f"no SMS key for {status.agent_id!r}")
    if not authentic(parsed, key):
        return Judgement(Verdict.FORGED, status, f"MAC does not match {status.agent_id}'s key")
    if highest_counter is not None and status.counter <= highest_counter:
        return Judgement(
            Verdict.REPLAYED,
            status,
            f"counter {status.counter} is not above {highest_counter}, the highest accepted",
        )
    return Judgement(Verdict.ACCEPTED, status)
