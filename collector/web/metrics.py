"""Prometheus metrics of one collector, in a registry of its own (never the global one).

Counters kept by the ingest and the brain are read at scrape time; open tickets and
the outbox backlog are counted in the store at scrape time (the scrape runs in a
worker thread, so the store's blocking calls do not stall the event loop).
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector as PromCollector

from collector.store import Store

if TYPE_CHECKING:
    from collector.ingest import StreamStats

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _StoreCollector(PromCollector):
    def __init__(
        self,
        store: Store,
        stats: Callable[[], StreamStats | None],
        live: Callable[[], tuple[int, int]],
    ) -> None:
        self._store = store
        self._stats = stats
        self._live = live

    def collect(self) -> Iterator[Metric]:
        stats = self._stats()
        records = CounterMetricFamily(
            "pantau_ingest_records", "Records stored by this collector since it started"
        )
        records.add_metric([], stats.records_stored if stats else 0)
        yield records
        duplicates = CounterMetricFamily(
            "pantau_ingest_records_already_stored",
            "Records in a batch that the store already held (sent again after an ack was "
            "lost); kits trim their spool to Welcome.acked_through_seq, so this stays near 0",
        )
        duplicates.add_metric([], stats.duplicates if stats else 0)
        yield duplicates
        rejected = CounterMetricFamily(
            "pantau_ingest_batches_rejected", "Batches refused as breaking the contract"
        )
        rejected.add_metric([], stats.batches_rejected if stats else 0)
        yield rejected
        busy = CounterMetricFamily(
            "pantau_ingest_busy_refusals",
            "Streams told to come back later (UNAVAILABLE with retry-after-ms): admission "
            "control in a reconnect storm",
        )
        busy.add_metric([], stats.busy_refusals if stats else 0)
        yield busy
        superseded = CounterMetricFamily(
            "pantau_ingest_superseded_streams",
            "Older streams ended (ABORTED) because their kit's newer stream was welcomed: "
            "a kit that reconnected while its old stream was still open here",
        )
        superseded.add_metric([], stats.superseded if stats else 0)
        yield superseded
        yield GaugeMetricFamily(
            "pantau_connected_agents",
            "Kits streaming to this collector now",
            value=len(stats.connected) if stats else 0,
        )
        sites = self._store.sites()
        yield GaugeMetricFamily(
            "pantau_records_stored",
            "Records in the store (every collector's)",
            value=sum(s.records for s in sites),
        )
        yield GaugeMetricFamily("pantau_sites", "Sites known to the store", value=len(sites))
        counts: collections.Counter[tuple[str, str]] = collections.Counter(
            (t.problem, t.operator)
            for t in self._store.list_tickets(states=("open", "acknowledged"), limit=10**9)
        )
        open_tickets = GaugeMetricFamily(
            "pantau_open_tickets",
            "Tickets open or acknowledged, by problem and operator queue",
            labels=["problem", "operator"],
        )
        for (problem, operator), n in sorted(counts.items()):
            open_tickets.add_metric([problem, operator], n)
        yield open_tickets
        yield GaugeMetricFamily(
            "pantau_outbox_backlog",
            "Ticket notifications not yet delivered",
            value=self._store.outbox_backlog(),
        )
        subscribers, resyncs = self._live()
        yield GaugeMetricFamily(
            "pantau_live_subscribers", "Open live streams (/api/v1/events)", value=subscribers
        )
        resynced = CounterMetricFamily(
            "pantau_live_resyncs", "Live-stream subscribers told to resync after falling behind"
        )
        resynced.add_metric([], resyncs)
        yield resynced


class Metrics:
    def __init__(
        self,
        store: Store,
        *,
        stats: Callable[[], StreamStats | None] = lambda: None,
        live: Callable[[], tuple[int, int]] = lambda: (0, 0),
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.rule_evaluation = Histogram(
            "pantau_rule_evaluation_seconds",
            "Time spent judging sites in one evaluation pass",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.http_requests = Counter(
            "pantau_http_requests",
            "HTTP requests answered by the operations centre",
            ["method", "status"],
            registry=self.registry,
        )
        self.registry.register(_StoreCollector(store, stats, live))

    def render(self) -> bytes:
        """The exposition text (blocking: run it in a worker thread)."""
        return generate_latest(self.registry)
