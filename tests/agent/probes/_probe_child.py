"""Run one probe and print its outcome as JSON.

For tests that need the probe in another network namespace or as another user: they run
this file with ``unshare`` / ``setpriv`` and read one JSON object from stdout:
``{"available": icmp_method_available(), "outcome": <the outcome as a dict>}``.

Usage: python _probe_child.py KIND OPTIONS_JSON
"""

import asyncio
import dataclasses
import json
import sys

from agent.probes import PROBERS, build_config, icmp_method_available


def main() -> None:
    kind, options = sys.argv[1], json.loads(sys.argv[2])
    config = build_config(kind, options, "child")
    outcome = asyncio.run(PROBERS[kind].probe(config, name="child"))
    assert dataclasses.is_dataclass(outcome) and not isinstance(outcome, type)
    result = {"available": icmp_method_available(), "outcome": dataclasses.asdict(outcome)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
