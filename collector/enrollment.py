"""Enrollment: a one-time code, exchanged by the kit for a long-lived credential.

``pantau-collector enroll --site TPSCODE`` creates a code (50 random bits in
Crockford base32, e.g. ``7KQ2-M9XD-4H``), valid once and for a limited time; only
its hash is stored. The kit calls ``Enrollment.Enroll`` with it and receives
``<agent_id>.<secret>``; only the secret's hash is stored. The site is fixed by
the code, so a kit can never choose its own site.

Refusals: a malformed code is INVALID_ARGUMENT; an unknown, used or expired one
is PERMISSION_DENIED (the same answer for all three, so the answer leaks nothing).
Each refusal is logged with the peer. What the kit sent (the code, its hostname) is
echoed in a status or a log line only through :func:`collector.refusals.clip` (at
most 64 characters and the length): a 100 kB code costs a short answer and a short
line.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time

import grpc

from collector import auth
from collector.errors import CollectorError
from collector.refusals import clip
from collector.store import AccountStore
from pantau.core.sites import validate_tps_code
from pantau.v1 import telemetry_pb2, telemetry_pb2_grpc

log = logging.getLogger(__name__)

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CODE_LENGTH = 10
DEFAULT_TTL_S = 7 * 24 * 3600


class CodeError(CollectorError, ValueError):
    """An enrollment code that is not of the expected form (the kit's or a person's input)."""


def new_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalize_code(code: str) -> str:
    """Upper-case, drop separators and spaces; read O as 0 and I/L as 1 (Crockford)."""
    text = code.strip().upper().replace("-", "").replace(" ", "")
    text = text.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(text) != CODE_LENGTH or any(c not in _ALPHABET for c in text):
        raise CodeError(
            f"an enrollment code is {CODE_LENGTH} letters and digits like 7KQ2-M9XD-4H, "
            f"got {clip(code)}"
        )
    return text


def code_hash(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode("ascii")).hexdigest()


def create_code(
    store: AccountStore,
    site_code: str,
    *,
    agent_id: str | None = None,
    ttl_s: float = DEFAULT_TTL_S,
) -> tuple[str, str]:
    """Issue a code for a site; returns (code, agent_id)."""
    validate_tps_code(site_code)
    agent_id = agent_id or f"kit-{site_code}"
    if not auth.valid_agent_id(agent_id):
        raise auth.CredentialError(
            f"agent id {agent_id!r} must be 1-64 characters of letters, digits, '-' or '_'"
        )
    code = new_code()
    store.add_enrollment_code(
        code_hash(code), site_code, agent_id, time.time_ns() + int(ttl_s * 1e9)
    )
    return code, agent_id


class EnrollmentService(telemetry_pb2_grpc.EnrollmentServicer):
    def __init__(self, store: AccountStore) -> None:
        self._store = store

    async def Enroll(
        self,
        request: telemetry_pb2.EnrollRequest,
        context: grpc.aio.ServicerContext[
            telemetry_pb2.EnrollRequest, telemetry_pb2.EnrollResponse
        ],
    ) -> telemetry_pb2.EnrollResponse:
        try:
            hashed = code_hash(request.code)
        except CodeError as exc:
            log.warning("refused an enrollment from %s: %s", clip(context.peer()), exc)
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        secret = auth.new_credential("x").secret
        redeemed = await asyncio.to_thread(
            self._store.redeem_enrollment_code,
            hashed,
            auth.hash_secret(secret),
            request.hostname[:128],
            time.time_ns(),
        )
        if redeemed is None:
            log.warning(
                "refused an enrollment from %s (host %s): the code is unknown, used or expired",
                clip(context.peer()), clip(request.hostname),
            )  # fmt: skip
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                "enrollment code unknown, already used or expired: ask for a new one "
                "(pantau-collector enroll --site TPSCODE)",
            )
        assert redeemed is not None
        agent_id, site_code = redeemed
        log.info("enrolled %s for site %s (host %s)", agent_id, site_code, clip(request.hostname))
        return telemetry_pb2.EnrollResponse(
            agent_id=agent_id,
            site_code=site_code,
            credential=auth.Credential(agent_id, secret).token(),
        )
