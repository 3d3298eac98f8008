"""Where received SMS come in, from the gateway reader and the webhook alike: judged and
recorded (:mod:`collector.lifeline`), and an accepted one handed on as "this kit is
alive" (``on_alive``: the rules hear the kit, the live view updates)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from collector.lifeline import Received, SmsIn, receive_sms
from collector.store import Store


class SmsIntake:
    """``secret``: the collector's SMS secret (empty: every lifeline SMS is refused as
    from an unknown kit). ``on_alive(site_code, agent_id, received_ns)`` runs for each
    accepted SMS."""

    def __init__(
        self,
        store: Store,
        secret: bytes,
        *,
        on_alive: Callable[[str, str, int], Awaitable[None]] | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.store = store
        self.secret = secret or None
        self.on_alive = on_alive
        self.clock = clock

    async def receive(self, sender: str, text: str, via: str) -> Received:
        sms = SmsIn(sender, text, self.clock(), via)
        received = await asyncio.to_thread(
            receive_sms, self.store, self.store.get_agent, sms, self.secret
        )
        status = received.judgement.status
        if received.site_code is not None and status is not None and self.on_alive is not None:
            await self.on_alive(received.site_code, status.agent_id, sms.received_ns)
        return received
