"""Accounts of the operations centre: passwords, sessions, login throttling, scoping.

- passwords: Argon2id (argon2-cffi's defaults);
- sessions: a random token (``secrets.token_urlsafe(32)``) in an HttpOnly cookie;
  the store keeps only its sha256, with a CSRF token, the last use and the absolute
  end. A session ends ``session_idle_s`` after its last use or ``session_max_s``
  after the login, whichever comes first;
- throttling: growing delays per client and per user name (:mod:`collector.web.throttle`);
- scoping: an account may be limited to one mobile network, given as MCC-MNC or
  as a name (``telkomsel``, ``indosat``, ``xl``, ``smartfren``, ...).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from collector.errors import CollectorError
from collector.store.model import USER_ROLES, WebSession

_S = 1_000_000_000
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024

#: Names people use for the networks, to their main MCC-MNC.
OPERATOR_NAMES = {
    "telkomsel": "510-10",
    "indosat": "510-01",
    "im3": "510-21",
    "tri": "510-89",
    "3": "510-89",
    "xl": "510-11",
    "axis": "510-08",
    "smartfren": "510-09",
}
_MCC_MNC = re.compile(r"(\d{3})-(\d{2,3})")

_hasher = PasswordHasher()


class AccountError(CollectorError, ValueError):
    """Bad input for an account (the message says what)."""


def validate_username(name: str) -> str:
    if not USERNAME.fullmatch(name):
        raise AccountError(
            f"user name {name!r} must be 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


def validate_role(role: str) -> str:
    if role not in USER_ROLES:
        raise AccountError(f"role must be one of {', '.join(USER_ROLES)}, got {role!r}")
    return role


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password must have at most {MAX_PASSWORD} characters")
    return password


def parse_operator(value: str) -> str:
    """``"510-10"``, ``"51010"`` or ``"telkomsel"`` -> ``"510-10"``; AccountError if neither."""
    text = value.strip().lower()
    if text in OPERATOR_NAMES:
        return OPERATOR_NAMES[text]
    m = _MCC_MNC.fullmatch(text) or re.fullmatch(r"(\d{3})(\d{2,3})", text)
    if m is not None:
        mnc = m.group(2)
        if len(mnc) == 3 and mnc.startswith("0"):
            mnc = mnc[1:]
        return f"{m.group(1)}-{mnc}"
    names = ", ".join(sorted(OPERATOR_NAMES))
    raise AccountError(
        f"operator {value!r} is neither MCC-MNC (e.g. 510-10) nor a known name ({names})"
    )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


#: Verified against when the user name is unknown: the answer takes as long either way.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash or _DUMMY_HASH, password)) and (
            password_hash is not None
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle_ns: int
    max_ns: int

    def new(self, username: str, now_ns: int) -> tuple[str, WebSession]:
        """A new session: (the cookie's token, the row to store)."""
        token = secrets.token_urlsafe(32)
        return token, WebSession(
            token_hash=token_hash(token),
            username=username,
            csrf_token=secrets.token_urlsafe(32),
            created_ns=now_ns,
            last_used_ns=now_ns,
            expires_ns=now_ns + self.max_ns,
        )

    def ends_ns(self, session: WebSession) -> int:
        """When the session ends if it is not used again."""
        return min(session.expires_ns, session.last_used_ns + self.idle_ns)

    def alive(self, session: WebSession, now_ns: int) -> bool:
        return now_ns < self.ends_ns(session)
