"""gzip for the operations centre's answers: on the fly for large API answers, once
(committed beside the file) for the province outlines.

API answers (JSON, GeoJSON, CSV) of at least :data:`MIN_BYTES` are compressed when
the client accepts gzip (aiohttp's ``enable_compression``, which compresses large
bodies in a worker thread); the live stream (a ``StreamResponse``, Server-Sent
Events) never is, since a compressor would hold events back until its buffer fills.
Static files are served from their ``.gz`` sibling when there is one (aiohttp's
``FileResponse``): :data:`PRECOMPRESSED` lists those made once, by
``python -m collector.web.compression``, reproducibly (no timestamp in the header),
and a test fails when one is stale; other static text is compressed on the fly.
"""

from __future__ import annotations

import gzip
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import hdrs, web

#: Smaller answers are sent as they are (gzip's header alone is 18 bytes).
MIN_BYTES = 1024
#: What is worth compressing.
COMPRESSIBLE = frozenset(
    {
        "application/json",
        "application/geo+json",
        "text/csv",
        "text/html",
        "text/plain",
        "text/css",
        "text/javascript",
        "application/javascript",
    }
)
#: Static files kept compressed beside themselves (``<name>.gz``).
PRECOMPRESSED = ("provinces.geojson",)


def gzipped(data: bytes) -> bytes:
    """``data`` gzip-compressed, the same bytes every time (mtime 0)."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def worth_compressing(response: web.StreamResponse) -> bool:
    """A whole answer (not a stream) of a compressible type and size; a static file."""
    if isinstance(response, web.FileResponse):
        return True  # served from its .gz if it has one; aiohttp then compresses nothing
    if type(response) is not web.Response:
        return False  # a stream (SSE): never buffered by a compressor
    body = response.body
    return (
        isinstance(body, bytes)
        and len(body) >= MIN_BYTES
        and response.content_type in COMPRESSIBLE
        and hdrs.CONTENT_ENCODING not in response.headers
    )


@web.middleware
async def compress(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response = await handler(request)
    if worth_compressing(response):
        response.enable_compression()  # only if the request's Accept-Encoding allows
        if hdrs.VARY not in response.headers:
            response.headers[hdrs.VARY] = hdrs.ACCEPT_ENCODING
    return response


def precompress(static: Path) -> list[Path]:
    """Write each of :data:`PRECOMPRESSED`'s ``.gz``; the paths written."""
    written = []
    for name in PRECOMPRESSED:
        target = static / f"{name}.gz"
        target.write_bytes(gzipped((static / name).read_bytes()))
        written.append(target)
    return written


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    from collector.web.context import static_dir

    for path in precompress(static_dir()):
        print(f"wrote {path}", file=sys.stderr)
