"""pantau.core.aio: a stop that arrives as the awaited thing completes still stops.

On Python 3.11 ``asyncio.wait_for`` loses that cancellation (the collector's brain,
woken by a last batch as the collector stopped, then ran on and the shutdown hung)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

import pytest

from pantau.core.aio import wait_event, within


async def _cancelled_as_it_completes(waiter: Callable[[asyncio.Event], Awaitable[object]]) -> str:
    event = asyncio.Event()
    task = asyncio.create_task(waiter(event))
    await asyncio.sleep(0)  # the task is waiting on the event
    event.set()  # completes the wait ...
    task.cancel()  # ... in the same loop iteration as the stop
    try:
        await task
    except asyncio.CancelledError:
        return "cancelled"
    return "carried on"


def test_wait_event_never_loses_a_stop_that_races_the_event() -> None:
    assert asyncio.run(_cancelled_as_it_completes(lambda e: wait_event(e, 10))) == "cancelled"


def test_within_never_loses_a_stop_that_races_the_result() -> None:
    assert asyncio.run(_cancelled_as_it_completes(lambda e: within(e.wait(), 10))) == "cancelled"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="wait_for is fixed from Python 3.12")
def test_the_standard_wait_for_loses_it_on_this_python() -> None:
    """Why the helpers exist: the same race with asyncio.wait_for carries on."""
    result = asyncio.run(_cancelled_as_it_completes(lambda e: asyncio.wait_for(e.wait(), 10)))
    assert result == "carried on"


def test_wait_event_times_out_false_and_is_true_when_set() -> None:
    async def both() -> tuple[bool, bool]:
        event = asyncio.Event()
        late = await wait_event(event, 0.01)
        event.set()
        return late, await wait_event(event, 0.01)

    assert asyncio.run(both()) == (False, True)


def test_within_raises_timeout_error() -> None:
    async def never() -> None:
        await asyncio.Event().wait()

    with pytest.raises(TimeoutError):
        asyncio.run(within(never(), 0.01))
