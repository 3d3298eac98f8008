"""Command line for the link emulator (:mod:`agent.sim.link`); run it inside the router namespace.

::

    ip netns exec ROUTER python -m agent.sim.link_cli --up-dev lk-up --down-dev lk-dn \\
        --delay-ms 40 --jitter-ms 10 --loss 0.01 --burst 0.02,0.3,0,0.5 --outage 10:15
    ip netns exec ROUTER python -m agent.sim.link_cli --up-dev lk-up --down-dev lk-dn \\
        --scenario agent/sim/scenarios/weak-signal.toml --time-scale 10

Delay, jitter, loss and rate apply to each direction (one way). With ``--scenario`` the link
follows the modem scenario instead (see :func:`agent.sim.link.params_for_state`).

The routing that sends traffic into the TUN devices is the caller's job (``tests/netlab.py``
does it). Prints ``ready`` once both devices are attached, then runs until SIGTERM/SIGINT,
``--max-runtime-s`` or (with ``--exit-with-parent``) the parent's exit, and prints one JSON
line of per-direction counters (:class:`agent.sim.link.LinkStats`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from agent.sim.link import (
    Direction,
    FixedSchedule,
    GilbertElliott,
    Impairment,
    LinkConfigError,
    LinkEmulator,
    LinkParams,
    ScenarioSchedule,
    Schedule,
    TunDevice,
)
from agent.sim.scenario import ScenarioError, load_scenario


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m agent.sim.link_cli", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--up-dev", required=True, help="TUN device for client -> server")
    parser.add_argument("--down-dev", required=True, help="TUN device for server -> client")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="one-way delay")
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="uniform ± jitter")
    parser.add_argument("--loss", type=float, default=0.0, help="random loss ratio 0..1")
    parser.add_argument(
        "--burst",
        metavar="P,R[,LG,LB]",
        help="Gilbert-Elliott loss: P(good->bad), P(bad->good), loss in good, loss in bad",
    )
    parser.add_argument("--rate-bps", type=float, help="serialization rate, bit/s")
    parser.add_argument("--limit-packets", type=int, default=1000)
    parser.add_argument("--reorder", action="store_true", help="let jitter reorder packets")
    parser.add_argument(
        "--outage", action="append", default=[], metavar="START:END", help="seconds; repeatable"
    )
    parser.add_argument("--scenario", help="follow this modem scenario file instead")
    parser.add_argument("--time-scale", type=float, default=1.0, help="scenario s per link s")
    parser.add_argument("--seed", type=int, help="seed for the loss and jitter RNG")
    parser.add_argument("--max-runtime-s", type=float, default=3600.0)
    parser.add_argument("--exit-with-parent", action="store_true")
    parser.add_argument("--no-restore-ttl", action="store_true", help="router counts twice")
    return parser


def _burst(text: str | None) -> GilbertElliott | None:
    if text is None:
        return None
    try:
        numbers = [float(part) for part in text.split(",")]
    except ValueError:
        raise LinkConfigError(f"--burst: expected numbers P,R[,LG,LB], got {text!r}") from None
    if len(numbers) not in (2, 4):
        raise LinkConfigError(f"--burst: expected 2 or 4 numbers P,R[,LG,LB], got {text!r}")
    return GilbertElliott(*numbers)


def _outages(texts: Sequence[str]) -> tuple[tuple[float, float], ...]:
    windows = []
    for text in texts:
        start, sep, end = text.partition(":")
        try:
            windows.append((float(start), float(end)))
        except ValueError:
            raise LinkConfigError(f"--outage: expected START:END seconds, got {text!r}") from None
        if not sep:
            raise LinkConfigError(f"--outage: expected START:END seconds, got {text!r}")
    return tuple(windows)


def _schedules(args: argparse.Namespace) -> tuple[Schedule, Schedule]:
    if args.scenario:
        scenario = load_scenario(args.scenario)
        return (
            ScenarioSchedule(scenario, args.time_scale, uplink=True),
            ScenarioSchedule(scenario, args.time_scale, uplink=False),
        )
    params = LinkParams(
        delay_ms=args.delay_ms,
        jitter_ms=args.jitter_ms,
        loss_ratio=args.loss,
        burst=_burst(args.burst),
        rate_bps=args.rate_bps,
        limit_packets=args.limit_packets,
        reorder=args.reorder,
    )
    fixed = FixedSchedule(params, _outages(args.outage))
    return fixed, fixed


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        up_schedule, down_schedule = _schedules(args)
    except (LinkConfigError, ScenarioError) as err:
        print(f"link emulator: {err}", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    directions: list[Direction] = []
    try:
        for name, dev, schedule in (
            ("up", args.up_dev, up_schedule),
            ("down", args.down_dev, down_schedule),
        ):
            tun = TunDevice(dev)
            engine = Impairment(random.Random(rng.getrandbits(64)))
            directions.append(Direction(name, tun, schedule, engine, not args.no_restore_ttl))
    except (OSError, LinkConfigError) as err:
        print(f"link emulator: cannot attach TUN device: {err}", file=sys.stderr)
        for direction in directions:
            direction.tun.close()
        return 1
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    parent = os.getppid()
    emulator = LinkEmulator(directions)
    print("ready", flush=True)
    try:
        emulator.run(
            args.max_runtime_s,
            lambda: stopping or (args.exit_with_parent and os.getppid() != parent),
        )
    finally:
        emulator.close()
    print(json.dumps(emulator.stats(), sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
