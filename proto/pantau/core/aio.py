"""Waiting with a deadline without losing a cancellation.

On Python 3.11 ``asyncio.wait_for`` swallows a cancellation that arrives in the same
loop iteration as the awaited thing completing: it returns the result, and the task
that was told to stop carries on (CPython gh-86296, fixed in 3.12 by building
``wait_for`` on ``asyncio.timeout``). A service loop waiting for a wake-up event is
exactly that case: the event set by new data as the collector stops. Its task then
never ends and the shutdown waits for ever. These helpers are the 3.12 behaviour;
agent and collector code uses them instead of ``asyncio.wait_for``
(``tests/test_layout.py`` checks).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def within(awaitable: Awaitable[T], timeout_s: float | None) -> T:
    """``await awaitable``, raising TimeoutError after ``timeout_s`` (None: no limit);
    a cancellation from outside always propagates."""
    async with asyncio.timeout(timeout_s):
        return await awaitable


async def wait_event(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait for ``event`` at most ``timeout_s``: True if it is set, False on timeout;
    a cancellation from outside always propagates."""
    try:
        async with asyncio.timeout(max(0.0, timeout_s)):
            await event.wait()
    except TimeoutError:
        return event.is_set()
    return True
