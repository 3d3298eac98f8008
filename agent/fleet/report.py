"""What the fleet measured: counters, the progress line and the JSON summary (pure)."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from agent.fleet.kit import SimKit
from agent.fleet.scenario import Plan, format_time


@dataclass
class Stats:
    produced: int = 0
    acked: int = 0
    batches: int = 0
    snapshots: int = 0
    connects: int = 0
    #: Streams lost or refused after a Welcome, or connects that failed: every new attempt.
    reconnects: int = 0
    link_drops: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    #: The first few refusals' status and details, as the collector gave them.
    examples: list[str] = field(default_factory=list)
    ack_ms: list[float] = field(default_factory=list)
    lag_ms: list[float] = field(default_factory=list)
    connected: int = 0
    joined: int = 0
    #: Refusals that said when to come back (retry-after-ms), and the pauses they asked.
    retry_after_ms: list[float] = field(default_factory=list)

    def acked_records(self, lags_s: list[float]) -> None:
        self.acked += len(lags_s)
        self.lag_ms.extend(s * 1000 for s in lags_s)


def quantiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None}
    if len(values) == 1:
        return {"p50": round(values[0], 1), "p99": round(values[0], 1)}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49], 1), "p99": round(cuts[98], 1)}


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:g} ms"


def progress_line(stats: Stats, *, elapsed_s: float, sim_s: float, plan: Plan, kits: int) -> str:
    phase = plan.phase(sim_s)
    p99 = quantiles(stats.ack_ms[-2000:])["p99"]
    lag = quantiles(stats.lag_ms[-2000:])["p99"]
    return (
        f"fleet +{elapsed_s:.0f}s sim {format_time(sim_s)} "
        f"phase {phase.name if phase else '-'}: kits {stats.joined}/{kits} joined, "
        f"{stats.connected} streaming; records {stats.produced} made, {stats.acked} acked, "
        f"{stats.produced - stats.acked} waiting; ack p99 "
        f"{_ms(p99)}, lag p99 {_ms(lag)}; "
        f"reconnects {stats.reconnects}; "
        f"refused {sum(stats.refused.values())}{_why(stats.refused)}"
    )


def _why(refused: Counter[str]) -> str:
    """The three commonest reasons a stream was lost, with their counts."""
    top = refused.most_common(3)
    return f" ({', '.join(f'{why} {n}' for why, n in top)})" if top else ""


def summary(
    stats: Stats,
    kits: list[SimKit],
    plan: Plan,
    *,
    speed: float,
    elapsed_s: float,
    sim_start_s: float,
    sim_end_s: float,
    stopped_by: str,
) -> dict[str, Any]:
    """The JSON summary: totals, latencies, the scripted spells and every kit's account."""
    by_kind: Counter[str] = Counter()
    for kit in kits:
        by_kind.update(kit.produced_by_kind)
    spells = []
    for spell in plan.spells:
        spells.append(
            {
                "what": spell.what,
                "start": format_time(spell.start_s),
                "end": format_time(spell.end_s),
                "operator": spell.operator,
                "province": spell.province,
                "cell_id": spell.cell_id,
                "sites": sorted(kits[i].site for i in spell.kits if i < len(kits)),
            }
        )
    return {
        "kits": len(kits),
        "joined": stats.joined,
        "speed": speed,
        "elapsed_s": round(elapsed_s, 3),
        "sim_start": format_time(sim_start_s),
        "sim_end": format_time(sim_end_s),
        "stopped_by": stopped_by,
        "records": {
            "produced": stats.produced,
            "acked": stats.acked,
            "unacked": stats.produced - stats.acked,
            "by_kind": dict(sorted(by_kind.items())),
        },
        "batches": stats.batches,
        "snapshots": stats.snapshots,
        "ack_latency_ms": quantiles(stats.ack_ms),
        "lag_ms": quantiles(stats.lag_ms),
        "connects": stats.connects,
        "reconnects": stats.reconnects,
        "link_drops": stats.link_drops,
        "refused": dict(sorted(stats.refused.items())),
        "refusal_examples": stats.examples,
        "retry_after": {"refusals": len(stats.retry_after_ms), **quantiles(stats.retry_after_ms)},
        "spells": spells,
        "agents": {
            kit.agent_id: {
                "site": kit.site,
                "operator": kit.plan.operator,
                "clockless": kit.plan.clockless,
                "first_seq": kit.first_seq,
                "last_seq": kit.next_seq - 1,
                "acked_through": kit.acked_through,
            }
            for kit in kits
        },
    }
