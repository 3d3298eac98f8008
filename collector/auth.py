"""Agent credentials: ``<agent_id>.<secret>``, the secret stored only as a hash.

The secret is 32 random bytes (URL-safe base64), so a plain SHA-256 is the right
hash at rest: a KDF protects guessable passwords, not random keys. Comparison is
constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from collector.errors import CollectorError

_AGENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class CredentialError(CollectorError, ValueError):
    """A credential that is malformed (not ``<agent_id>.<secret>``): the caller's input."""


@dataclass(frozen=True, slots=True)
class Credential:
    agent_id: str
    secret: str

    def token(self) -> str:
        return f"{self.agent_id}.{self.secret}"


def valid_agent_id(agent_id: str) -> bool:
    return bool(_AGENT_ID.match(agent_id))


def new_credential(agent_id: str) -> Credential:
    if not valid_agent_id(agent_id):
        raise CredentialError(
            f"agent id {agent_id!r} must be 1-64 characters of letters, digits, '-' or '_'"
        )
    return Credential(agent_id, secrets.token_urlsafe(32))


def parse_token(token: str) -> Credential:
    agent_id, dot, secret = token.strip().partition(".")
    if not dot or not secret or not valid_agent_id(agent_id):
        raise CredentialError("credential is not of the form <agent_id>.<secret>")
    return Credential(agent_id, secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), secret_hash)
