"""Webhook delivery: signatures and the POST itself, against a real HTTP receiver."""

from __future__ import annotations

import hashlib
import hmac

from collector.notify import Route, post, sign, verify
from tests.webhook import WebhookReceiver


def test_signature_is_hmac_sha256_of_timestamp_and_body() -> None:
    signature = sign("s3cret", "1700000000", b'{"a":1}')
    expected = hmac.new(b"s3cret", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert signature == f"sha256={expected}"
    assert verify("s3cret", "1700000000", b'{"a":1}', signature)
    assert not verify("other", "1700000000", b'{"a":1}', signature)
    assert not verify("s3cret", "1700000001", b'{"a":1}', signature)


def test_post_reports_acceptance_refusal_and_unreachable() -> None:
    with WebhookReceiver() as hook:
        route = Route("noc", hook.url, "k")
        ok = post(route, b"{}", {"Content-Type": "application/json", "X-Test": "1"})
        assert ok.ok and ok.status == 200
        (request,) = hook.wait_for(1)
        assert request.body == b"{}" and request.headers["X-Test"] == "1"
        hook.status = 503
        refused = post(route, b"{}", {})
        assert not refused.ok and refused.status == 503 and "HTTP 503" in refused.error
        url = hook.url
    down = post(Route("noc", url, "k", timeout_s=2), b"{}", {})
    assert not down.ok and down.status is None and "cannot reach" in down.error
