"""What keeping every site's networks at ingest costs (schema v7's ``site_operators``).

    python -m bench.site_networks [--groups 40] [--sites 50] [--batch 100] [--repeat 5]

Two parts, each measured against its baseline in the same run, interleaved:

- ``prepare``: checking a batch of signal readings that name their network (as a
  modem with service reports them) and collecting those networks, per record, against
  the same readings without a network (nothing to collect);
- ``commit``: SQLite group commits (synchronous=FULL, on a temporary directory) of
  ``--sites`` one-batch-per-site groups whose batches name a network (one more
  ``INSERT ... ON CONFLICT DO NOTHING`` per batch), against the same groups naming none.

Prints one JSON object: medians per record (prepare, us) and per group (commit, ms), and
the ratio with to without.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import tempfile
import time
from pathlib import Path

from collector.batches import prepare
from collector.clocks import Anchor
from collector.store.model import IngestBatch
from collector.store.sqlite import SqliteStore
from pantau.v1 import records_pb2, telemetry_pb2

_NS = 1_000_000_000


def wire_batch(size: int, *, named: bool) -> telemetry_pb2.Batch:
    batch = telemetry_pb2.Batch()
    for seq in range(1, size + 1):
        r = batch.records.add(seq=seq)
        r.time.wall_unix_ns, r.time.monotonic_ns, r.time.boot_id = seq, seq, "b"
        r.signal.rat, r.signal.rsrp_dbm = records_pb2.RAT_LTE, -95.0
        if named:
            r.signal.mcc, r.signal.mnc = "510", "10"
    return batch


def time_prepare(size: int, *, named: bool, rounds: int = 200) -> float:
    """Microseconds per record for prepare()."""
    batch = wire_batch(size, named=named)
    anchors = {"b": Anchor(0, 10**18)}
    started = time.perf_counter()
    for _ in range(rounds):
        prepare(batch, agent_id="a", site_code="s", anchors=anchors, received_ns=10**18)
    return (time.perf_counter() - started) / (rounds * size) * 1e6


def time_commits(store: SqliteStore, groups: list[list[IngestBatch]]) -> float:
    """Milliseconds per group commit."""
    started = time.perf_counter()
    for group in groups:
        store.commit(group)
    return (time.perf_counter() - started) / len(groups) * 1e3


def make_groups(
    codes: list[str], n_groups: int, size: int, first_seq: int, *, named: bool
) -> list[list[IngestBatch]]:
    wire = wire_batch(size, named=named)
    anchors = {"b": Anchor(0, 10**18)}
    groups = []
    for g in range(n_groups):
        group = []
        for i, code in enumerate(codes):
            b = prepare(wire, agent_id=f"kit-{i}", site_code=code, anchors=anchors,
                        received_ns=10**18)  # fmt: skip
            seq0 = first_seq + g * size
            rows = [dataclasses.replace(r, seq=seq0 + k) for k, r in enumerate(b.rows)]
            group.append(dataclasses.replace(b, rows=rows))
        groups.append(group)
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=40)
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    prep: dict[str, list[float]] = {"named": [], "unnamed": []}
    commit: dict[str, list[float]] = {"named": [], "unnamed": []}
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "collector.sqlite")
        codes = [f"3171011{i:06d}" for i in range(1, args.sites + 1)]
        for i, code in enumerate(codes):
            store.add_agent(f"kit-{i}", code, "h")
        seq = 1
        try:
            for _ in range(args.repeat):
                for mode in ("unnamed", "named"):  # interleaved: the same machine state
                    named = mode == "named"
                    prep[mode].append(time_prepare(args.batch, named=named))
                    groups = make_groups(codes, args.groups, args.batch, seq, named=named)
                    seq += args.groups * args.batch
                    commit[mode].append(time_commits(store, groups))
        finally:
            store.close()
    p = {m: statistics.median(v) for m, v in prep.items()}
    c = {m: statistics.median(v) for m, v in commit.items()}
    print(
        json.dumps(
            {
                "batch": args.batch,
                "sites_per_group": args.sites,
                "repeat": args.repeat,
                "prepare_us_per_record": {"without_network": p["unnamed"], "with": p["named"]},
                "prepare_ratio": p["named"] / p["unnamed"],
                "commit_ms_per_group": {"without_network": c["unnamed"], "with": c["named"]},
                "commit_ratio": c["named"] / c["unnamed"],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
