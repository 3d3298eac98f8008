"""``/api/v1/map`` from the live hub's maintained rows, built once per change and scope.

The hub (:mod:`collector.web.live`) keeps every site's map row, reloading only the
sites a commit or a ticket change touched (and every site at its periodic full
reload). The map answer is those rows, as of the hub's ``version``, filtered to what
an account may see: so for each network scope (every site, or one network's) the
JSON body and its gzip form are made once per version, in a worker thread, and every
viewer of that scope gets the same bytes until something changes. Thirty viewers of
10,000 sites cost one serialisation, not thirty store reads
(``python -m bench.mapload``).

Before answering, :meth:`LiveHub.current` loads the sites changed since the hub's last
tick, so an answer shows every change the hub has been told of; the ``version`` in
the answer is the one the live stream's ``sites`` events follow.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import hdrs, web

from collector.query import MAP_COLUMNS
from collector.web.live import LiveHub, scoped_row

#: A scope: (scoped, network) — every site, or the sites known on one network.
Scope = tuple[bool, str | None]


@dataclass(frozen=True, slots=True)
class MapBody:
    version: int
    plain: bytes
    gzipped: bytes


def build(version: int, rows: list[list[object]]) -> MapBody:
    """The answer's bytes (strict JSON, as :class:`collector.web.models.MapState`)."""
    document = {"version": version, "columns": list(MAP_COLUMNS), "rows": rows}
    plain = json.dumps(document, allow_nan=False, separators=(",", ":")).encode()
    return MapBody(version, plain, gzip.compress(plain, compresslevel=6, mtime=0))


def accepts_gzip(request: web.Request) -> bool:
    """Whether the request's Accept-Encoding allows gzip (``q=0`` refuses it)."""
    for part in request.headers.get(hdrs.ACCEPT_ENCODING, "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            q = params.strip().lower()
            if not q.startswith("q="):
                return True
            try:
                return float(q[2:]) > 0
            except ValueError:
                return True  # a weight it cannot read: gzip was named all the same
    return False


class MapCache:
    """One :class:`MapBody` per scope, remade when the hub's version moves on."""

    def __init__(self, hub: LiveHub) -> None:
        self.hub = hub
        self._bodies: dict[Scope, MapBody] = {}
        self._locks: dict[Scope, asyncio.Lock] = {}
        self.builds = 0

    async def body(self, scope: Scope, sees_site: Callable[[tuple[str, ...]], bool]) -> MapBody:
        await self.hub.current()
        lock = self._locks.setdefault(scope, asyncio.Lock())
        async with lock:  # viewers of one scope arriving together share one build
            version = self.hub.version
            cached = self._bodies.get(scope)
            if cached is not None and cached.version == version:
                return cached
            network = scope[1] if scope[0] else None
            rows = [scoped_row(r, network) for ns, r in self.hub.map_rows() if sees_site(ns)]
            body = await asyncio.to_thread(build, version, rows)
            self.builds += 1
            self._bodies[scope] = body
            return body

    async def respond(
        self,
        request: web.Request,
        scope: Scope,
        sees_site: Callable[[tuple[str, ...]], bool],
    ) -> web.Response:
        body = await self.body(scope, sees_site)
        headers: dict[str, str] = {"Vary": "Accept-Encoding"}
        if accepts_gzip(request):
            headers["Content-Encoding"] = "gzip"
            return web.Response(body=body.gzipped, content_type="application/json", headers=headers)
        return web.Response(body=body.plain, content_type="application/json", headers=headers)
