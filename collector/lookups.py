"""The handshakes' store reads, coalesced: one query for the kits that ask at once.

A reconnect storm is thousands of handshakes in a few seconds, each needing its kit's
record (the credential) and its clock anchors. Read one by one, each is a transaction
on a store thread, and the threads, not the store, bound how fast kits are welcomed
(4 threads did about 70 handshakes a second on 2 shared cores, so 20,000 kits waited
longer than their Welcome timeout). :class:`Coalesced` gathers the keys asked for
while a read is under way and reads them together in the next, at most
``max_batch`` a read (:data:`collector.store.identity.AGENTS_PER_QUERY` per query): the
more kits ask at once, the fewer reads per kit.

A read that fails fails every handshake it held (each is refused as the store
being unavailable, and retries); a handshake that goes away (its kit hung up) just
stops waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Generic, TypeVar

V = TypeVar("V")

#: Keys read together at most (a handshake gate's slots bound how many wait anyway).
MAX_BATCH = 500


class Coalesced(Generic[V]):
    """``await get(key)``: ``read_many(keys)[key]`` (None if absent), keys asked for
    meanwhile read together on ``executor``, one read at a time."""

    def __init__(
        self,
        read_many: Callable[[Sequence[str]], dict[str, V]],
        executor: Executor,
        *,
        max_batch: int = MAX_BATCH,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self._read_many = read_many
        self._executor = executor
        self.max_batch = max_batch
        self._waiting: dict[str, list[asyncio.Future[V | None]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.reads = 0  # reads made (for tests and metrics)

    async def get(self, key: str) -> V | None:
        answer: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(answer)
        if self._reader is None or self._reader.done():
            self._reader = asyncio.ensure_future(self._read_all())
        return await answer

    async def _read_all(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            keys = []
            batch: dict[str, list[asyncio.Future[V | None]]] = {}
            for key in list(self._waiting):
                answers = [a for a in self._waiting.pop(key) if not a.done()]
                if answers:  # not every asker gone (hung up)
                    batch[key] = answers
                    keys.append(key)
                if len(keys) == self.max_batch:
                    break
            if not keys:
                continue
            self.reads += 1
            try:
                found = await loop.run_in_executor(self._executor, self._read_many, keys)
            except asyncio.CancelledError:  # the collector stops: nobody waits for ever
                for answers in [*batch.values(), *self._waiting.values()]:
                    for answer in answers:
                        answer.cancel()
                self._waiting.clear()
                raise
            except Exception as exc:  # noqa: BLE001 - handed to every handshake of the read
                for answers in batch.values():
                    for answer in answers:
                        if not answer.done():
                            answer.set_exception(exc)
                continue
            for key, answers in batch.items():
                for answer in answers:
                    if not answer.done():
                        answer.set_result(found.get(key))
