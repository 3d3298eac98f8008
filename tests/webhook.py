"""A real HTTP webhook receiver for tests: records every request, can refuse."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 200  # what the receiver answered
    at_ns: int = 0  # the receiver's clock when it came

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """``with WebhookReceiver() as hook:`` serves on 127.0.0.1:<free port>."""

    status: int = 200  # what to answer; set to 500 to refuse
    clock: Callable[[], int] = time.time_ns  # stamps each request (tests may drive it)
    received: list[Received] = field(default_factory=list)  # the accepted requests
    requests: list[Received] = field(default_factory=list)  # every request, refused too
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def __enter__(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status = receiver.status
                request = Received(self.path, dict(self.headers), body, status, receiver.clock())
                with receiver._changed:
                    receiver.requests.append(request)
                    if status < 300:
                        receiver.received.append(request)
                    receiver._changed.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def wait_until(
        self,
        done: Callable[[list[Received]], bool],
        what: str,
        timeout_s: float = 30.0,
        *,
        refused_too: bool = False,
    ) -> list[Received]:
        """Wait until ``done(accepted requests)`` (``refused_too``: every request);
        returns them."""
        with self._changed:
            seen = self.requests if refused_too else self.received
            if not self._changed.wait_for(lambda: done(seen), timeout_s):
                raise AssertionError(f"expected {what} within {timeout_s} s")
            return list(seen)

    def wait_for(self, count: int, timeout_s: float = 30.0) -> list[Received]:
        """Wait until at least ``count`` requests were accepted; returns them all."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received) >= count, timeout_s):
                raise AssertionError(
                    f"expected {count} webhook requests within {timeout_s} s, got "
                    f"{len(self.received)}"
                )
            return list(self.received)
