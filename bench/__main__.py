"""``make bench``: run every benchmark, one JSON document each."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = [
    "bench.ingest",
    "bench.agent",
    "bench.modem",
    "bench.brain",
    "bench.dashboard",
    "bench.login_flood",
    "bench.mapload",
    "bench.rules",
    "bench.incidents",
    "bench.storage",
]


def main() -> int:
    failed = 0
    for module in BENCHMARKS:
        failed |= subprocess.call([sys.executable, "-m", module]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
