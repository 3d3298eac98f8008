"""The collector's SMS gateway reader: a modem with the collector's SIM, read with the
same AT engine and driver as a kit's (``pantau-agent sms-gateway``).

Each pass lists every stored message (``AT+CMGL=4``, also after a ``+CMTI``), hands each
received one to the collector's ``POST /api/v1/sms`` (signed: ``X-Pantau-Timestamp``
and ``X-Pantau-Signature: sha256=HMAC(secret, "<timestamp>.<body>")``), and deletes
from the SIM only what the collector answered 200 for (it has judged and logged it).
A collector that cannot be reached leaves the messages on the SIM for the next pass;
sent or unsent messages kept in the same memory, and stored messages that do not decode,
are never deleted (a person looks at them with the modem's own tools).

:func:`plan_pass` is the pure part (what to post, what to leave); :class:`Gateway`
runs it against a port and an HTTP poster.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from agent.modem.driver import AtPort
from agent.sms import at
from agent.sms.at import Stored

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One stored SMS to hand to the collector."""

    index: int
    sender: str
    text: str

    def body(self) -> bytes:
        return json.dumps({"from": self.sender, "text": self.text}, ensure_ascii=False).encode()


def plan_pass(stored: list[Stored]) -> tuple[list[Outgoing], list[Stored]]:
    """(to post, to leave alone) from a listing: received, decoded messages are posted;
    anything else stays on the SIM."""
    post: list[Outgoing] = []
    leave: list[Stored] = []
    for s in stored:
        if s.received and s.message is not None:
            post.append(Outgoing(s.index, str(s.message.originator), s.message.text))
        else:
            leave.append(s)
    return post, leave


def signed_headers(secret: str, body: bytes, now_s: float) -> dict[str, str]:
    """The webhook's headers (the collector's outbound-webhook scheme)."""
    stamp = str(int(now_s))
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Pantau-Timestamp": stamp,
        "X-Pantau-Signature": f"sha256={mac}",
    }


def http_post(url: str, secret: str, *, timeout_s: float = 10.0) -> Callable[[bytes], int]:
    """A poster for :class:`Gateway`: the HTTP status (0 when the collector is unreachable)."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"--url {url!r}: expected an http:// or https:// URL")

    def post(body: bytes) -> int:
        headers = signed_headers(secret, body, time.time())
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:
            log.warning(
                "collector answered %d: %s", exc.code, exc.read()[:300].decode(errors="replace")
            )
            return int(exc.code)
        except (urllib.error.URLError, OSError) as exc:
            log.warning("collector at %s unreachable: %s", url, exc)
            return 0

    return post


class Gateway:
    """Reads ``port`` and posts what it finds; :attr:`handed_on` counts SMS delivered."""

    def __init__(self, port: AtPort, post: Callable[[bytes], int]) -> None:
        self.port = port
        self._post = post
        self.handed_on = 0
        self._prepared = False

    def one_pass(self) -> int:
        """List, post, delete what the collector took; returns how many it took."""
        if not self._prepared:
            self.port.open()
            self.port.setup()
            at.prepare(self.port, indications=True)
            self._prepared = True
        at.take_indications(self.port)  # the listing below covers every announced one
        post, leave = plan_pass(at.list_stored(self.port))
        for s in leave:
            log.info("leaving message %d on the SIM: %s", s.index, s.error or "not received")
        taken = 0
        for out in post:
            status = self._post(out.body())
            if status == 200:
                at.delete(self.port, out.index)
                taken += 1
            else:
                log.warning(
                    "SMS %d from %s kept on the SIM (collector: %d)", out.index, out.sender, status
                )
        self.handed_on += taken
        return taken

    def run(self, interval_s: float, *, sleep: Callable[[float], None] = time.sleep) -> None:
        """Pass every ``interval_s`` (sooner never: +CMTI is picked up at the next pass)."""
        while True:
            try:
                self.one_pass()
            except at.SmsAtError as exc:
                log.warning("gateway modem listing unreadable: %s", exc)
            sleep(interval_s)
