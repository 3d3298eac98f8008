"""The handshakes' coalesced store reads (collector.lookups): what asks at once is read
together, and every asker gets its own answer, or the read's failure."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from collector.lookups import Coalesced

pytestmark = pytest.mark.timeout(30)


class Reads:
    """A store read that records each call's keys; ``gate`` holds the reads back."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.fail: Exception | None = None

    def __call__(self, keys: Sequence[str]) -> dict[str, str]:
        self.calls.append(list(keys))
        self.gate.wait(10)
        if self.fail is not None:
            raise self.fail
        return {k: k.upper() for k in keys if not k.startswith("unknown")}


def test_keys_asked_while_a_read_is_under_way_are_read_together() -> None:
    reads = Reads()

    async def main() -> None:
        with ThreadPoolExecutor(1) as pool:
            lookup = Coalesced(reads, pool)
            reads.gate.clear()  # the first read holds: the rest pile up behind it
            first = asyncio.ensure_future(lookup.get("a"))
            while not reads.calls:
                await asyncio.sleep(0.001)
            rest = [asyncio.ensure_future(lookup.get(k)) for k in ("b", "c", "b", "unknown-d")]
            await asyncio.sleep(0.01)
            reads.gate.set()
            assert await first == "A"
            assert await asyncio.gather(*rest) == ["B", "C", "B", None]
            assert lookup.reads == 2

    asyncio.run(main())
    assert reads.calls == [["a"], ["b", "c", "unknown-d"]]  # "b" read once for both


def test_a_read_takes_at_most_max_batch_keys() -> None:
    reads = Reads()

    async def main() -> None:
        with ThreadPoolExecutor(1) as pool:
            lookup = Coalesced(reads, pool, max_batch=2)
            answers = await asyncio.gather(*(lookup.get(k) for k in "abcde"))
            assert answers == list("ABCDE")

    asyncio.run(main())
    assert [len(c) for c in reads.calls] == [2, 2, 1]
    assert sorted(k for c in reads.calls for k in c) == list("abcde")


def test_a_failed_read_fails_each_of_its_askers_and_the_next_read_goes_on() -> None:
    reads = Reads()

    async def main() -> None:
        with ThreadPoolExecutor(1) as pool:
            lookup = Coalesced(reads, pool)
            reads.fail = OSError("the database went away")
            results = await asyncio.gather(lookup.get("a"), lookup.get("b"), return_exceptions=True)
            assert [str(r) for r in results] == ["the database went away"] * 2
            reads.fail = None
            assert await lookup.get("a") == "A"

    asyncio.run(main())


def test_an_asker_that_goes_away_is_not_read_for_and_others_are_answered() -> None:
    reads = Reads()

    async def main() -> None:
        with ThreadPoolExecutor(1) as pool:
            lookup = Coalesced(reads, pool)
            reads.gate.clear()
            first = asyncio.ensure_future(lookup.get("a"))
            while not reads.calls:
                await asyncio.sleep(0.001)
            gone = asyncio.ensure_future(lookup.get("b"))
            stays = asyncio.ensure_future(lookup.get("c"))
            await asyncio.sleep(0.01)
            gone.cancel()  # its kit hung up while waiting
            await asyncio.sleep(0.01)
            reads.gate.set()
            assert await first == "A" and await stays == "C"
            assert gone.cancelled()

    asyncio.run(main())
    assert reads.calls == [["a"], ["c"]]


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_batch must be at least 1, got 0"):
        Coalesced(Reads(), ThreadPoolExecutor(1), max_batch=0)
