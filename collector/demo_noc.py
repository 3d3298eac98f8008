"""The demo's stand-in for the operators' NOCs: a webhook receiver on loopback.

Every notification the collector sends is verified (HMAC) and printed (an incident's
title, or a ticket's problem and TPS), so the demo shows incidents reaching "Telkomsel",
"Indosat", "XL", the field team and the satellite-fallback queue exactly as real
webhooks would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from collector.config import CollectorConfig, RoutingSection, default_config
from collector.notify import SIGNATURE_HEADER, TIMESTAMP_HEADER, Route, verify

#: Route name -> what the demo calls the receiving desk.
DESKS = {
    "telkomsel": "Telkomsel NOC",
    "indosat": "Indosat NOC",
    "xl": "XL NOC",
    "noc": "Pantau NOC",
    "field-team": "field team",
    "satellite": "satellite-fallback desk",
}
SECRET = "demo-secret"  # noqa: S105 - the demo signs with a fixed key on loopback


class DemoNoc:
    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self.received: list[dict[str, object]] = []
        noc = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signed = verify(
                    SECRET,
                    self.headers.get(TIMESTAMP_HEADER, ""),
                    body,
                    self.headers.get(SIGNATURE_HEADER, ""),
                )
                self.send_response(200 if signed else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if signed:
                    noc.accept(self.path.strip("/"), json.loads(body))

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def accept(self, route: str, document: dict[str, object]) -> None:
        self.received.append(document)
        incident = document.get("incident")
        if isinstance(incident, dict):  # the collector pages per incident
            self._say(
                f"  -> {DESKS.get(route, route)}: {document.get('event_action')} "
                f"incident {incident.get('id')}: {incident.get('title')}"
            )
            return
        self._say(
            f"  -> {DESKS.get(route, route)}: {document.get('event_action')} "
            f"{document.get('problem')} at {document.get('site_code')} "
            f"(ticket {document.get('ticket_id')})"
        )

    def start(self) -> str:
        self._thread.start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def config(self, base_url: str) -> CollectorConfig:
        """The demo collector's routing: each operator to its own desk here."""
        default = default_config()
        routing = RoutingSection(
            operators={"510-10": "telkomsel", "510-01": "indosat", "510-11": "xl"},
        )
        routes = {name: Route(name, f"{base_url}/{name}", SECRET) for name in DESKS}
        return CollectorConfig(
            default.store, default.rules, default.tickets, routing, routes, "demo"
        )
