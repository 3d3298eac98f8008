"""``POST /api/v1/sms``: an SMS gateway (or Pantau's own gateway reader) hands over a
received SMS. Signed like the collector's outbound webhooks: ``X-Pantau-Timestamp``
(Unix seconds) and ``X-Pantau-Signature: sha256=<hex>``, HMAC-SHA256 of
``<timestamp>.<body>`` under ``[sms] webhook_secret_file``; a timestamp older than
``webhook_max_age_s`` (or as far ahead) is refused, so a captured request cannot be
replayed later. The body: ``{"from": "+62...", "text": "..."}``.

The answer is 200 with the verdict for every SMS it could judge (accepted, or refused
as forged, replayed, malformed, from an unknown kit, or not a lifeline message): the
gateway then deletes it. 401 for a bad signature, 400 for a body that is not that
object, 404 when the collector has no SMS webhook configured.
"""

from __future__ import annotations

import json

from aiohttp import web
from pydantic import Field, ValidationError

from collector.notify import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from collector.web.context import ApiError, WebContext
from collector.web.models import Strict
from collector.web.spec import Operation, json_response

_MAX_BODY = 4096


class SmsBody(Strict):
    sender: str = Field(alias="from", min_length=1, max_length=40)
    text: str = Field(max_length=1600)


class SmsAnswer(Strict):
    verdict: str
    reason: str
    site: str | None = None


async def receive(ctx: WebContext, request: web.Request) -> web.Response:
    intake, secret = ctx.sms_intake, ctx.sms_webhook_secret
    if intake is None or not secret:
        raise ApiError(
            404, "not_found", "this collector has no SMS webhook ([sms] webhook_secret_file)"
        )
    body = await request.read()
    if len(body) > _MAX_BODY:
        raise ApiError(413, "too_large", f"an SMS webhook body is at most {_MAX_BODY} bytes")
    stamp = request.headers.get(TIMESTAMP_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not stamp.isdigit() or not verify(secret, stamp, body, signature):
        raise ApiError(
            401, "unauthorized",
            f"{SIGNATURE_HEADER} does not match (HMAC-SHA256 of '<{TIMESTAMP_HEADER}>.<body>' "
            "under [sms] webhook_secret_file)",
        )  # fmt: skip
    age_s = abs(ctx.now() / 1e9 - int(stamp))
    if age_s > ctx.sms_max_age_s:
        raise ApiError(
            401, "unauthorized",
            f"{TIMESTAMP_HEADER} is {age_s:.0f} s off this collector's clock "
            f"(at most {ctx.sms_max_age_s:.0f} s): a replay, or a clock to set right",
        )  # fmt: skip
    try:
        sms = SmsBody.model_validate(json.loads(body))
    except (ValueError, ValidationError) as exc:
        raise ApiError(
            400, "bad_request", f'expected {{"from": "...", "text": "..."}}: {exc}'
        ) from None
    received = await intake.receive(sms.sender, sms.text, "webhook")
    judged = received.judgement
    return json_response(
        SmsAnswer(verdict=str(judged.verdict), reason=judged.reason, site=received.site_code)
    )


OPERATIONS = [
    Operation(
        "POST", "/api/v1/sms", receive, "A received SMS (the lifeline; HMAC-signed)", "receiveSms",
        "live", ok=SmsAnswer, ok_description="The verdict on the SMS", query=None, security=(),
        errors=(),
    ),
]  # fmt: skip
