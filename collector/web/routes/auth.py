"""Accounts: log in (a session cookie and a CSRF token), log out, the session's account."""

from __future__ import annotations

import asyncio
from typing import NoReturn

from aiohttp import web

from collector.web.context import COOKIE, ApiError, Principal, WebContext
from collector.web.models import Account, LoginAnswer
from collector.web.origin import safe_next
from collector.web.params import Login
from collector.web.spec import (
    BAD,
    CSRF_OR_ROLE,
    UNAUTHORIZED,
    Operation,
    authenticated,
    given,
    json_response,
)
from collector.web.throttle import Busy, client_key, retry_after_s

SESSION_CSRF: tuple[dict[str, list[str]], ...] = ({"session": [], "csrf": []},)


async def screen_login(ctx: WebContext, request: web.Request) -> None:
    """Refuse a login before its body is read when its answer is known from its client
    alone: the client must wait (429), has a login being checked (429), or every password
    check is taken (503). A flood of refused logins then costs the event loop little more
    than their headers; :func:`login` checks the user name's wait once the body is read."""
    client = client_key(request.remote)
    throttle = ctx.throttle
    if throttle.client_wait_ns(client) > 0 or client in throttle.checking:
        await _hold(ctx)
        retry = retry_after_s(throttle.client_wait_ns(client))
        _refuse(429, "too_many_attempts", "too many failed logins", retry)
    if ctx.passwords.full:
        await _hold(ctx)
        _refuse(503, "busy", "too many logins at once", 1)


async def login(ctx: WebContext, request: web.Request) -> web.Response:
    body = given(request, "body", Login)
    username, password = body.username, body.password
    client = client_key(request.remote)
    throttle = ctx.throttle
    wait = throttle.wait_ns(client, username)
    if wait > 0 or client in throttle.checking:
        await _hold(ctx)
        retry = retry_after_s(throttle.wait_ns(client, username))
        _refuse(429, "too_many_attempts", "too many failed logins", retry)
    if ctx.passwords.full:  # refused before any work: a flood costs little
        await _hold(ctx)
        _refuse(503, "busy", "too many logins at once", 1)
    throttle.checking.add(client)
    try:
        user = await asyncio.to_thread(ctx.store.get_user, username)
        try:
            ok = await ctx.passwords.check(user.password_hash if user else None, password)
        except Busy:
            await _hold(ctx)
            _refuse(503, "busy", "too many logins at once", 1)
    finally:
        throttle.checking.discard(client)
    if user is None or user.disabled or not ok:
        throttle.failed(client, username)
        raise ApiError(401, "login_failed", "wrong user name or password")
    throttle.succeeded(username)
    now = ctx.clock()
    token, session = ctx.policy.new(user.username, now)
    await asyncio.to_thread(ctx.store.create_session, session)
    idle_before = now - ctx.policy.idle_ns
    await asyncio.to_thread(
        lambda: ctx.store.delete_stale_sessions(now_ns=now, idle_before_ns=idle_before)
    )
    account = Principal(user, session).account(ctx.policy)
    answer = LoginAnswer(**account.model_dump(), next=safe_next(body.next))
    response = json_response(answer)
    response.set_cookie(
        COOKIE, token, path="/", httponly=True, samesite="Strict", secure=ctx.secure_cookies
    )
    return response


async def _hold(ctx: WebContext) -> None:
    """A refused login is answered only after ``login_hold_s``: a client that ignores
    Retry-After and asks again at once gets no faster answers (it costs the collector a
    sleeping request, not the work of answering it again and again)."""
    if ctx.config.login_hold_s > 0:
        await asyncio.sleep(ctx.config.login_hold_s)


def _refuse(status: int, code: str, why: str, retry_s: int) -> NoReturn:
    raise ApiError(status, code, f"{why}; try again in {retry_s} s", {"Retry-After": str(retry_s)})


async def logout(ctx: WebContext, request: web.Request) -> web.Response:
    principal = authenticated(request)
    await asyncio.to_thread(ctx.store.delete_session, principal.session.token_hash)
    response = web.Response(status=204)
    response.del_cookie(COOKIE, path="/")
    return response


async def me(ctx: WebContext, request: web.Request) -> web.Response:
    principal = authenticated(request)
    return json_response(principal.account(ctx.policy))


OPERATIONS = [
    Operation(
        "POST", "/api/v1/login", login, "Log in", "login", "accounts", ok=LoginAnswer,
        ok_description="A session: the cookie, the CSRF token and where to go now",
        ok_headers={"Set-Cookie": {
            "schema": {"type": "string"},
            "description": "pantau_session=...; HttpOnly; SameSite=Strict",
        }},
        query=None, body=Login, body_required=True, security=(), screen=screen_login,
        errors=(
            BAD,
            (401, "Wrong user name or password"),
            (429, "Too many failed logins from this client or for this user name: wait",
             {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}),
            (503, "Too many logins being checked at once: try again shortly",
             {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}),
        ),
    ),
    Operation(
        "POST", "/api/v1/logout", logout, "Log out", "logout", "accounts", ok_status=204,
        ok_description="The session has ended", query=None, security=SESSION_CSRF,
        errors=(UNAUTHORIZED, CSRF_OR_ROLE),
    ),
    Operation(
        "GET", "/api/v1/me", me, "The session's account", "the_sessions_account", "accounts",
        ok=Account, ok_description="The account",
    ),
]  # fmt: skip
