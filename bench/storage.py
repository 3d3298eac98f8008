"""Storage per record and store commit rate at election-day cadence, on each store.

Simulated kits (:class:`agent.fleet.kit.SimKit`, the fleet's own measurements: a
signal reading and a ping round each minute, DNS and HTTP each 5 minutes) produce
``--minutes`` of records ending now; each kit's minute is one batch, prepared by the
collector's own checks (:func:`collector.batches.prepare`, rollup samples included)
and committed straight into the store in groups of ``--group`` batches, as the
ingest's group commit does. Reported per store: records and batches written, the
commit rate (records/s, store only: no gRPC), and the bytes on disk per record,
tables and indexes together: on PostgreSQL ``pg_total_relation_size`` summed over
the records' partitions and the rollups' (and each alone); on SQLite the file's
pages in use (after a WAL checkpoint) less those of an empty store; and the seconds
to compute every site's coverage over the run's window from the records and from
the rollups (``coverage_s``). Each store runs
twice, with rollups and without (``*_without_rollups``): what keeping them costs.
One JSON object.

    python -m bench.storage [--kits 500] [--minutes 60] [--group 200]
                            [--postgres postgresql://postgres@127.0.0.1:5432/test]

PostgreSQL runs in a schema of its own (``bench_storage_<random>``), dropped after.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import secrets
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agent.clock import Stamp
from agent.fleet.kit import SimKit
from agent.fleet.scenario import Cadence, Conditions, KitPlan
from collector.batches import prepare
from collector.clocks import Anchor
from collector.coverage_rows import coverage_entry, coverage_from_rollups
from collector.query import COVERAGE_READINGS, site_row
from collector.store.base import Store
from collector.store.model import IngestBatch
from pantau.v1 import telemetry_pb2

_S = 10**9


def election_minutes(kits: int, minutes: int, seed: int = 7) -> Iterator[list[IngestBatch]]:
    """Each simulated minute's batches (one a kit), event times ending now."""
    rng = random.Random(seed)
    sims = [
        SimKit(
            KitPlan(i, "510-10", "31", 0.0, False),
            f"kit-{i:06d}",
            f"31{i:011d}",
            "secret",
            f"boot-{i}",
            0,
            random.Random(rng.random()),
        )
        for i in range(kits)
    ]
    cadence, world = Cadence(), Conditions()
    start_ns = time.time_ns() - minutes * 60 * _S
    for minute in range(minutes):
        batches = []
        for sim in sims:
            wall = start_ns + minute * 60 * _S + rng.randrange(60 * _S)
            stamp = Stamp(wall, wall, sim.boot_id, True)
            sim.produce(minute * 60.0, cadence, world, stamp, 0.0)
            spooled = sim.take(1000)
            if not spooled:
                continue
            batch = telemetry_pb2.Batch()
            for item in spooled:
                record = batch.records.add()
                record.ParseFromString(item.body)
                record.seq = item.seq
            sim.ack(spooled[-1].seq)
            anchors = {sim.boot_id: Anchor(wall, wall)}
            batches.append(
                prepare(
                    batch, agent_id=sim.agent_id, site_code=sim.site, anchors=anchors,
                    received_ns=wall + _S,
                )
            )  # fmt: skip
        yield batches


def run(
    store: Store, kits: int, minutes: int, group: int, *, rollups: bool = True
) -> dict[str, Any]:
    for i in range(kits):
        store.add_agent(f"kit-{i:06d}", f"31{i:011d}", "h")
    records = batches_n = 0
    spent = 0.0
    for batches in election_minutes(kits, minutes):
        for first in range(0, len(batches), group):
            chunk = batches[first : first + group]
            if not rollups:
                chunk = [dataclasses.replace(b, samples=()) for b in chunk]
            began = time.perf_counter()
            outcomes = store.commit(chunk)
            spent += time.perf_counter() - began
            records += sum(o.stored for o in outcomes)
            batches_n += len(chunk)
    return {
        "coverage_s": coverage_times(store, minutes) if rollups else None,
        "records": records,
        "batches": batches_n,
        "records_per_batch": round(records / max(batches_n, 1), 2),
        "commit_records_per_s": round(records / spent) if spent else None,
    }


def coverage_times(store: Store, minutes: int) -> dict[str, float]:
    """Seconds to compute every site's coverage over the run's window, from the
    records (decoding each) and from the rollups: the two reads of SiteQueries.coverage."""
    views = store.sites()
    rows = [site_row(v, [], now_ns=time.time_ns(), silent_after_ns=300 * _S) for v in views]
    codes = [r.code for r in rows]
    since = time.time_ns() - (minutes + 5) * 60 * _S
    began = time.perf_counter()
    found = store.newest_records_of_sites(codes, since, ("signal", "ping"), COVERAGE_READINGS)
    raw = [coverage_entry(r, found.get(r.code, [])) for r in rows]
    from_records = time.perf_counter() - began
    began = time.perf_counter()
    rollups = store.rollups_of_sites(codes, since)
    rolled = [coverage_from_rollups(r, rollups.get(r.code, [])) for r in rows]
    from_rollups = time.perf_counter() - began
    assert [e.samples for e in raw] == [e.samples for e in rolled]
    return {"from_records": round(from_records, 3), "from_rollups": round(from_rollups, 3)}


def _pg_sizes(dsn: str, schema: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {schema}")
        sizes = {}
        # As written (the rollups' rows updated by every commit of their bucket leave
        # dead versions that autovacuum makes room of), then compacted (live rows only).
        for compacted in (False, True):
            conn.execute("VACUUM FULL ANALYZE" if compacted else "VACUUM ANALYZE")
            for parent in ("records", "site_rollups"):
                row = conn.execute(
                    "SELECT COALESCE(SUM(pg_total_relation_size(inhrelid)), 0) FROM "
                    "pg_inherits WHERE inhparent = %s::regclass",
                    (parent,),
                ).fetchone()
                sizes[parent + ("_compacted" if compacted else "")] = int(row[0]) if row else 0
        row = conn.execute("SELECT COUNT(*) FROM site_rollups").fetchone()
        sizes["rollup_rows"] = int(row[0]) if row else 0
    return sizes


def bench_postgres(dsn: str, kits: int, minutes: int, group: int, rollups: bool) -> dict[str, Any]:
    import psycopg

    from collector.store.postgres import PostgresStore

    schema = f"bench_storage_{secrets.token_hex(4)}"
    store = PostgresStore(dsn, schema=schema)
    try:
        result = run(store, kits, minutes, group, rollups=rollups)
        store.close()
        sizes = _pg_sizes(dsn, schema)
    finally:
        store.close()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    n = max(result["records"], 1)
    return {
        **result,
        "bytes": sizes,
        "bytes_per_record": round((sizes["records"] + sizes["site_rollups"]) / n, 1),
        "records_bytes_per_record": round(sizes["records"] / n, 1),
        "rollups_bytes_per_record": round(sizes["site_rollups"] / n, 1),
        "compacted_bytes_per_record": round(
            (sizes["records_compacted"] + sizes["site_rollups_compacted"]) / n, 1
        ),
        "compacted_rollups_bytes_per_record": round(sizes["site_rollups_compacted"] / n, 1),
        "rollup_rows": sizes["rollup_rows"],
    }


def _sqlite_used_bytes(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        size = db.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)
    finally:
        db.close()


def bench_sqlite(kits: int, minutes: int, group: int, rollups: bool) -> dict[str, Any]:
    from collector.store.sqlite import SqliteStore

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "collector.sqlite"
        SqliteStore(path).close()
        empty = _sqlite_used_bytes(path)
        store = SqliteStore(path)
        try:
            result = run(store, kits, minutes, group, rollups=rollups)
        finally:
            store.close()
        used = _sqlite_used_bytes(path) - empty
        db = sqlite3.connect(path)
        rollup_rows = db.execute("SELECT COUNT(*) FROM site_rollups").fetchone()[0]
        db.close()
    return {
        **result,
        "bytes": used,
        "bytes_per_record": round(used / max(result["records"], 1), 1),
        "rollup_rows": rollup_rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.storage", description=__doc__)
    parser.add_argument("--kits", type=int, default=500)
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--group", type=int, default=200, help="batches per group commit")
    parser.add_argument("--postgres", help="a libpq URL: measure PostgreSQL too")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the median rate")
    args = parser.parse_args(argv)
    out: dict[str, Any] = {
        "kits": args.kits,
        "minutes": args.minutes,
        "group": args.group,
        "cadence": "signal+ping 60 s, dns+http 300 s, one batch a minute",
    }
    runs: dict[str, list[dict[str, Any]]] = {}
    for _ in range(args.repeat):  # interleaved: a busy moment of the machine hits all
        for rollups in (True, False):
            tail = "" if rollups else "_without_rollups"
            if not args.no_sqlite:
                runs.setdefault("sqlite" + tail, []).append(
                    bench_sqlite(args.kits, args.minutes, args.group, rollups)
                )
            if args.postgres:
                runs.setdefault("postgres" + tail, []).append(
                    bench_postgres(args.postgres, args.kits, args.minutes, args.group, rollups)
                )
    for name, results in runs.items():
        rates = [r["commit_records_per_s"] for r in results]
        out[name] = {**results[-1], "commit_records_per_s": statistics.median(rates)}
        out[name]["commit_records_per_s_runs"] = rates
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
