"""The brain's test rig: a real store (either backend), rules of short durations and a
clock the test drives (shared by the brain's test modules)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from collector.brain import Brain
from collector.config import RoutingSection, default_config
from collector.rules import RuleEngine
from collector.rules.config import rules_from_mapping
from collector.store import Store
from collector.store.model import IngestBatch, RecordRow
from pantau.v1 import records_pb2

SITE = "3171011001005"
S = 10**9
T0 = 1_800_000_000 * S

RULES = {
    "weak_signal": {"for_s": 30, "hold_s": 60, "window_s": 10},
    "no_service": {"for_s": 30, "hold_s": 30},
    "poor_quality": {"enabled": False},
    "agent_silent": {"expected_interval_s": 10, "intervals": 6},
}


def signal(rsrp: float | None, *, registered: bool = True) -> records_pb2.Record:
    r = records_pb2.Record()
    s = r.signal
    s.mcc, s.mnc = "510", "10"
    s.rat = records_pb2.RAT_LTE if registered else records_pb2.RAT_NONE
    s.reg_state = records_pb2.REG_STATE_HOME if registered else records_pb2.REG_STATE_SEARCHING
    if rsrp is not None:
        s.rsrp_dbm = rsrp
    return r


class Rig:
    def __init__(self, store: Store) -> None:
        self.now = T0
        config = default_config()
        routing = RoutingSection(operators={"510-10": "telkomsel"})
        self.config = type(config)(config.store, config.rules, config.tickets, routing, {}, "t")
        engine = RuleEngine(rules_from_mapping(RULES, source="test"))
        self.brain = Brain(store, engine, self.config, clock=lambda: self.now)
        self.store = store

    def feed(self, at_ns: int, records: Iterable[records_pb2.Record]) -> None:
        """Records taken at ``at_ns`` (event time), received now."""
        pairs = [(at_ns, r) for r in records]
        asyncio.run(self._feed(pairs))

    async def _feed(self, pairs: list[tuple[int, records_pb2.Record]]) -> None:
        self.brain.note(SITE, self.now, pairs)
        await self.brain.settled(SITE)
        await self.brain.evaluate_all()

    def tick(self) -> None:
        asyncio.run(self.brain.evaluate_all())


async def observed(
    brain: Brain, received_ns: int, pairs: list[tuple[int, records_pb2.Record]]
) -> None:
    """kit-1's batch noted, and in the rules once this returns."""
    brain.note(SITE, received_ns, pairs, agent_id="kit-1")
    await brain.settled(SITE)


def store_signals(
    store: Store, seqs: range, rsrp: Callable[[int], float], *, received_ns: int
) -> list[tuple[int, records_pb2.Record]]:
    """kit-1's signal readings ``seqs`` (taken at T0 + seq s) stored in one batch: the
    (event_ns, record) pairs the ingest would hand the brain."""
    pairs = []
    for seq in seqs:
        record = signal(rsrp(seq))
        record.seq = seq
        pairs.append((T0 + seq * S, record))
    rows = [
        RecordRow(seq=r.seq, kind="signal", event_ns=t, agent_wall_ns=t,
                  time_quality="monotonic", payload=r.SerializeToString())
        for t, r in pairs
    ]  # fmt: skip
    store.commit([IngestBatch("kit-1", SITE, rows, received_ns)])
    return pairs
