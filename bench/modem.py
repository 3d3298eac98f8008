"""Modem reading cost: readings/s and CPU per reading against the simulated modem on a pty.

For each dialect, one :class:`agent.modem.reader.Modem` reads the bundled ``strong-lte``
scenario back to back for ``--seconds`` (after opening: setup and identity excluded).
The simulator runs either in a thread of this process (``thread``: the process CPU then
includes the simulator's, so the reading thread's own CPU time is reported separately)
or in a child process (``process``: this process's CPU is the reader's alone).

    python -m bench.modem [--seconds 2] [--dialects 3gpp,quectel,simcom,huawei]
                          [--sim thread,process]

Prints one JSON object: per sim mode and dialect, readings_per_s, commands_per_reading,
process_cpu_ms_per_reading and reader_cpu_ms_per_reading.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent.modem.reader import Modem
from agent.sim.modem import SimModem
from agent.sim.scenario import bundled_scenario, load_scenario

SCENARIO = "strong-lte"


@contextmanager
def simulated(mode: str, dialect: str) -> Iterator[tuple[str, SimModem | None]]:
    """A simulated modem's pty path, served in a thread or in a child process."""
    path = bundled_scenario(SCENARIO)
    if mode == "thread":
        with SimModem(load_scenario(path), dialect) as sim:
            yield sim.port_path, sim
        return
    code = "import sys; from agent.sim.modem import serve_cli; sys.exit(serve_cli(*sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, dialect, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip(), None
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def measure(mode: str, dialect: str, seconds: float) -> dict[str, float]:
    with simulated(mode, dialect) as (port, sim), Modem(port, dialect=dialect) as modem:
        modem.read_signal()  # warm up
        commands_before = len(sim.commands) if sim is not None else 0
        readings = 0
        wall0, cpu0, thread0 = time.perf_counter(), time.process_time(), time.thread_time()
        deadline = wall0 + seconds
        while time.perf_counter() < deadline:
            sample = modem.read_signal()
            assert sample.rsrp_dbm is not None, sample
            readings += 1
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        reader_cpu = time.thread_time() - thread0
    result = {
        "readings": readings,
        "readings_per_s": round(readings / wall, 1),
        "wall_ms_per_reading": round(wall / readings * 1000, 3),
        "process_cpu_ms_per_reading": round(cpu / readings * 1000, 3),
        "reader_cpu_ms_per_reading": round(reader_cpu / readings * 1000, 3),
    }
    if sim is not None:
        result["commands_per_reading"] = round((len(sim.commands) - commands_before) / readings, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.modem")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--dialects", default="3gpp,quectel,simcom,huawei")
    parser.add_argument("--sim", default="thread,process", help="thread, process or both")
    args = parser.parse_args()
    results: dict[str, object] = {
        "scenario": SCENARIO,
        "seconds": args.seconds,
        "cores": os.cpu_count(),
        "note": (
            "thread: the simulator shares this process, so process CPU includes it and "
            "reader_cpu is the reading thread alone; process: the simulator is a child "
            "process and process CPU is the reader's"
        ),
    }
    for mode in args.sim.split(","):
        results[f"sim_{mode}"] = {
            dialect: measure(mode, dialect, args.seconds) for dialect in args.dialects.split(",")
        }
    print(json.dumps({"modem": results}, indent=2))


if __name__ == "__main__":
    main()
