"""The operations centre's pages (static HTML behind the login)."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from collector.web.context import WebContext
from collector.web.origin import safe_next
from collector.web.spec import Operation

PAGES = {"/": "index.html", "/tickets": "tickets.html", "/incidents": "incidents.html"}


async def page(ctx: WebContext, request: web.Request) -> web.StreamResponse:
    path = request.path
    if path == "/login":
        return _file(ctx, "login.html")
    if await ctx.principal(request) is None:  # back here once logged in
        here = safe_next(request.path_qs)
        raise web.HTTPFound("/login" if here == "/" else f"/login?next={quote(here, safe='')}")
    if path.startswith("/site/"):
        return _file(ctx, "site.html")
    return _file(ctx, PAGES[path])


def _file(ctx: WebContext, name: str) -> web.StreamResponse:
    path = ctx.static / name
    if not path.is_file():
        return web.Response(status=404, text=f"{name} is not installed\n")
    return web.FileResponse(path, headers={"Cache-Control": "no-store"})


OPERATIONS = [
    Operation(
        "GET", path, page, "A page", "page", "pages", query=None, security=(), documented=False
    )
    for path in ("/", "/login", "/tickets", "/incidents", "/site/{code}")
]
