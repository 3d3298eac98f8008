"""Incident cost: a province degradation raised ticket by ticket on a real store.

    python -m bench.incidents [--sites 500] [--kabupaten 10] [--cells 25] [--store PATH|URL]

``sites`` tickets of one operator and family (HIGH_LOSS) in one province, spread over
``kabupaten`` kabupaten and ``cells`` cells, are raised one after another with
incidents on (each reconciles the province's group in its transaction), then the
incident tick runs once, then every ticket is raised again with newer evidence (the
routine case: one indexed read each). Prints one JSON object: seconds per raise of
each kind, the tick's seconds, the incidents and the notifications written.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from collector.incidents import Settings
from collector.store import open_store

_S = 1_000_000_000
T0 = 1_800_000_000 * _S


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--kabupaten", type=int, default=10)
    parser.add_argument("--cells", type=int, default=25)
    parser.add_argument("--store", help="a PostgreSQL URL or a SQLite path (default: a temp file)")
    args = parser.parse_args()
    target: str | Path = args.store or Path(tempfile.mkdtemp()) / "bench.sqlite"
    store = open_store(target)
    store.incident_settings = Settings()
    timings: dict[str, float] = {}
    try:
        for phase, offset in (("raise_new_s", 0), ("raise_routine_s", 60 * _S)):
            start = time.perf_counter()
            for i in range(args.sites):
                kab = f"31{71 + i % args.kabupaten:02d}"
                figures = {"cell_id": i % args.cells, "operator": "510-01"}
                now = T0 + offset + i * _S // 10
                store.raise_problem(
                    f"{kab}{i:09d}", "510-01", "HIGH_LOSS", route="bench", first_bad_ns=now,
                    last_bad_ns=now, evidence={"first_bad": figures, "last_bad": figures},
                    historical=False, now_ns=now, reopen_window_ns=0,
                )  # fmt: skip
            timings[phase] = (time.perf_counter() - start) / args.sites
            if offset == 0:
                start = time.perf_counter()
                store.incidents_tick(T0 + 120 * _S)
                timings["tick_s"] = time.perf_counter() - start
        incidents = store.list_incidents(limit=10_000)
        notes = store.claim_notifications("bench", now_ns=T0 * 2, lease_ns=_S, limit=10_000)
    finally:
        store.close()
    print(
        json.dumps(
            {
                "sites": args.sites,
                **{k: round(v, 6) for k, v in timings.items()},
                "incidents": len(incidents),
                "top_level": sum(1 for i in incidents if i.parent_id is None),
                "notifications": [n.action for n in notes],
            }
        )
    )


if __name__ == "__main__":
    main()
