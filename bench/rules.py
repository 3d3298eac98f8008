"""Rule cost against window population: the brute-force rules before, the incremental after.

    python -m bench.rules [--populations 10,1000,10000] [--batches 200] [--budget-s 20]
                          [--ingest-records 4000] [--batch-records 4]

*Dense window.* One site whose rules' windows (``window_s``, 300 s by default) each
hold ``population`` readings with close event times (half signal readings, half
pings, interleaved), as a backlog drained from a kit or a fast schedule leaves
them. Then batches of ``batch-records`` new readings (and the arrival the ingest
feeds with each batch) are observed, the site judged after each: records/s of
observe + evaluate (CPU time). The window's population stays the same: readings
keep the same spacing, so as many leave the rules' windows as enter.

*Ingest-like.* ``ingest-records`` ping and signal records with close event times
(all within one rule window) observed into one empty site in batches of
``batch-records``, judged after each: the window fills as it goes.

*At the cap.* The dense window with ``[engine] max_observations`` equal to its
population, so every batch trims the window: the incremental rules then read their
windows again (their documented slow path), shown for what it costs.

Each case runs "before" (``RuleEngine(reference=True)``: the brute-force rules,
every windowed figure recomputed from the whole window, as the collector did
before) and "after" (``RuleEngine()``) on the same data in the same run; "before"
stops after ``budget-s`` seconds of CPU (at least one batch), its rate measured on
the batches it judged. Both must give the same transitions for the batches both
judged (checked). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

from collector.rules import Heard, Observation, Ping, RuleEngine, Signal, Transition
from collector.rules.config import rules_from_mapping

S = 1_000_000_000
T0 = 1_700_000_000 * S
SITE = "3171011001005"
WINDOW_S = 300.0


def _signal(t_ns: int, i: int) -> Signal:
    return Signal(
        t_ns,
        "510-10",
        "Telkomsel",
        "lte",
        "home",
        "ready",
        1234,
        rsrp_dbm=-95.0 - i % 23,
        rsrq_db=-9.0 - i % 5,
        sinr_db=12.0 - i % 9,
    )


def _ping(t_ns: int, i: int) -> Ping:
    return Ping(t_ns, None, "collector", "ok", 0.1 * (i % 3 == 0), 40.0 + i % 37, 41.0, 10, 10)


def readings(start: int, spacing_ns: int) -> Iterator[Observation]:
    """Signal and ping readings alternately, ``spacing_ns`` apart from index ``start``."""
    i = start
    while True:
        t = T0 + i * spacing_ns
        yield _signal(t, i) if i % 2 == 0 else _ping(t, i)
        i += 1


@dataclass
class Run:
    records: int = 0
    cpu_s: float = 0.0
    batches: int = 0

    def rate(self) -> float:
        return round(self.records / self.cpu_s, 1) if self.cpu_s else 0.0


def _engine(reference: bool, cap: int) -> RuleEngine:
    config = rules_from_mapping({"engine": {"max_observations": cap}}, source="bench")
    return RuleEngine(config, reference=reference)


def _judge(
    engine: RuleEngine,
    batches: list[list[Observation]],
    budget_s: float | None,
) -> tuple[Run, list[list[Transition]]]:
    """Observe each batch (with its arrival) and judge; stop when over ``budget_s``."""
    run = Run()
    out: list[list[Transition]] = []
    for batch in batches:
        newest = max(o.event_ns for o in batch)
        started = time.process_time()
        engine.observe(SITE, [*batch, Heard(newest + S)])
        out.append(engine.evaluate(SITE, newest + S))
        run.cpu_s += time.process_time() - started
        run.records += len(batch)
        run.batches += 1
        if budget_s is not None and run.cpu_s > budget_s:
            break
    return run, out


def _compare(
    before: tuple[Run, list[list[Transition]]], after: Run, after_out: list[list[Transition]]
) -> dict[str, object]:
    run, out = before
    same = out == after_out[: len(out)]
    return {
        "before_records_per_s": run.rate(),
        "before_batches_judged": run.batches,
        "after_records_per_s": after.rate(),
        "after_batches_judged": after.batches,
        "speedup": round(after.rate() / run.rate(), 1) if run.rate() else None,
        "same_transitions": same,
    }


def dense(
    population: int, batches: int, batch_records: int, budget_s: float, cap: int | None
) -> dict[str, object]:
    """``population`` readings within the rules' window, then ``batches`` batches."""
    spacing = int(WINDOW_S * S / population)
    prefill_n = population * 2  # two windows' worth: the rules' windows are full
    source = readings(0, spacing)
    prefill = [next(source) for _ in range(prefill_n)]
    work = [[next(source) for _ in range(batch_records)] for _ in range(batches)]
    results = {}
    for reference in (True, False):
        engine = _engine(reference, cap or 100_000)
        engine.observe(SITE, prefill)
        engine.evaluate(SITE, prefill[-1].event_ns + S)  # warm: the first judgement reads all
        results[reference] = _judge(engine, work, budget_s if reference else None)
    after, after_out = results[False]
    return {
        "population": population,
        "spacing_ms": round(spacing / 1e6, 3),
        "records_per_batch": batch_records,
        **_compare(results[True], after, after_out),
    }


def ingest(records: int, batch_records: int, budget_s: float) -> dict[str, object]:
    spacing = int(WINDOW_S * S / records)  # all within one rule window
    source = readings(0, spacing)
    work = [[next(source) for _ in range(batch_records)] for _ in range(records // batch_records)]
    results = {}
    for reference in (True, False):
        results[reference] = _judge(
            _engine(reference, 100_000), work, budget_s if reference else None
        )
    after, after_out = results[False]
    return {
        "records": records,
        "records_per_batch": batch_records,
        "spacing_ms": round(spacing / 1e6, 3),
        **_compare(results[True], after, after_out),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rules")
    parser.add_argument("--populations", default="10,1000,10000")
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch-records", type=int, default=4)
    parser.add_argument("--budget-s", type=float, default=20.0)
    parser.add_argument("--ingest-records", type=int, default=4000)
    parser.add_argument("--cap", type=int, default=2000)
    args = parser.parse_args()
    populations = [int(p) for p in args.populations.split(",")]
    out = {
        "rules": {
            "window_s": WINDOW_S,
            "dense": [
                dense(p, args.batches, args.batch_records, args.budget_s, None) for p in populations
            ],
            "ingest": ingest(args.ingest_records, args.batch_records, args.budget_s),
            "at_cap": dense(
                args.cap, args.batches, args.batch_records, args.budget_s, args.cap // 2
            ),
        }
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
