"""``pantau-agent fleet``: thousands of simulated kits against a collector (docs/fleet.md).

::

    pantau-agent fleet --collector HOST:PORT [--collector HOST:PORT ...] --scenario day.toml
        (--codes CODES.csv --credentials CREDS.csv | --credentials CREDS.csv
         | --enroll DATA_DIR_OR_URL) [--kits N] [--duration S] [--speed X] [--json FILE]

Prints a progress line on stderr every ``--progress`` seconds and the JSON summary
on stdout (or into ``--json FILE``) at the end, also after SIGINT or SIGTERM.
Nothing heavy is imported until the command runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def register(sub: Any) -> None:
    p = sub.add_parser("fleet", help="simulate many kits streaming to a collector (testing)")
    p.add_argument(
        "--collector",
        required=True,
        action="append",
        metavar="HOST:PORT",
        help="collector address; repeat it (or give a comma-separated list) to spread the "
        "kits over several replicas: kit i streams to address i mod count",
    )
    p.add_argument(
        "--scenario", type=Path, help="scenario TOML (default: the built-in election day)"
    )
    p.add_argument("--codes", type=Path, help="codes from `pantau-collector enroll --sites-file`")
    p.add_argument(
        "--credentials",
        type=Path,
        help="kits' credentials: read if it exists, else written (0600) from --codes/--enroll",
    )
    p.add_argument(
        "--enroll",
        metavar="DATA_DIR_OR_URL",
        help="enroll --kits synthetic sites in this collector store first (tests, trials)",
    )
    p.add_argument("--kits", type=int, default=None, help="at most this many kits")
    p.add_argument("--duration", type=float, default=60.0, help="real seconds to run (60)")
    p.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    p.add_argument("--progress", type=float, default=5.0, help="seconds between progress lines")
    p.add_argument("--drain", type=float, default=30.0, help="seconds to deliver at the end")
    p.add_argument("--json", type=Path, help="write the summary here instead of stdout")
    p.add_argument(
        "--kits-per-connection",
        type=int,
        default=1,
        metavar="N",
        help="kits sharing one TCP connection (default 1: each its own, as in the field)",
    )
    p.add_argument("--ca-file", default="", help="the deployment's ca.crt (TLS, pinned)")
    p.add_argument("--insecure", action="store_true", help="plaintext outside loopback")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio
    import sys

    from agent.fleet.credentials import FleetSetupError
    from pantau.core.tomlconfig import ConfigError

    for name in ("duration", "speed", "progress"):
        if not getattr(args, name) > 0:
            print(f"pantau-agent fleet: --{name} must be > 0", file=sys.stderr)
            return EXIT_USAGE
    if args.kits_per_connection < 1:
        print("pantau-agent fleet: --kits-per-connection must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    args.collector = [a.strip() for given in args.collector for a in given.split(",") if a.strip()]
    if not args.collector:
        print("pantau-agent fleet: --collector needs an address", file=sys.stderr)
        return EXIT_USAGE
    if args.drain < 0:
        print("pantau-agent fleet: --drain must be >= 0", file=sys.stderr)
        return EXIT_USAGE
    if args.kits is not None and args.kits < 1:
        print("pantau-agent fleet: --kits must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    if not (args.codes or args.credentials or args.enroll):
        print("pantau-agent fleet: give --codes, --credentials or --enroll", file=sys.stderr)
        return EXIT_USAGE
    if args.enroll and args.kits is None:
        print("pantau-agent fleet: --enroll needs --kits", file=sys.stderr)
        return EXIT_USAGE
    _raise_open_files_limit()
    try:
        return asyncio.run(_main(args))
    except (ConfigError, FleetSetupError) as exc:
        print(f"pantau-agent fleet: {exc}", file=sys.stderr)
        return EXIT_USAGE


async def _main(args: argparse.Namespace) -> int:
    import asyncio
    import json
    import random
    import signal
    import sys
    import uuid

    from agent.fleet import credentials as creds
    from agent.fleet.kit import SimKit
    from agent.fleet.runner import Fleet, FleetOptions
    from agent.fleet.scenario import load_scenario, plan

    scenario = load_scenario(args.scenario) if args.scenario else load_scenario()
    identities = await _identities(args, scenario)
    if args.kits is not None:
        identities = identities[: args.kits]
    if not identities:
        raise creds.FleetSetupError("no kits: the codes or credentials file is empty")
    the_plan = plan(scenario, len(identities), [k.site[:2] for k in identities])
    rng = random.Random(scenario.day.seed)
    kits = [
        SimKit(
            plan=the_plan.kits[i],
            agent_id=ident.agent_id,
            site=ident.site,
            credential=ident.credential,
            boot_id=str(uuid.UUID(int=rng.getrandbits(128))),
            boot_offset_ns=rng.randrange(600, 3 * 86400) * 1_000_000_000,
            rng=random.Random(rng.getrandbits(64)),
        )
        for i, ident in enumerate(identities)
    ]
    options = FleetOptions(
        addresses=tuple(args.collector), ca_file=args.ca_file, insecure=args.insecure,
        speed=args.speed, duration_s=args.duration, progress_s=args.progress, drain_s=args.drain,
        kits_per_connection=args.kits_per_connection,
    )  # fmt: skip
    fleet = Fleet(the_plan, kits, options)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, fleet.request_stop, signal.Signals(sig).name)
    summary = await fleet.run()
    text = json.dumps(summary, indent=2, allow_nan=False)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    sys.stdout.flush()
    return EXIT_OK


async def _identities(args: argparse.Namespace, scenario: Any) -> list[Any]:
    from agent.fleet import credentials as creds

    if args.credentials is not None and args.credentials.exists():
        return creds.read_credentials(args.credentials)
    if args.codes is not None:
        codes = creds.read_codes(args.codes)
    else:
        sites = creds.synthetic_sites(args.kits, scenario.fleet.provinces)
        codes = creds.enroll_with_collector_cli(args.enroll, sites)
    if args.kits is not None:
        codes = codes[: args.kits]
    kits = await creds.redeem(
        args.collector[0], codes, ca_file=args.ca_file, insecure=args.insecure
    )
    if args.credentials is not None:
        creds.write_credentials(args.credentials, kits)
    return kits


def _raise_open_files_limit() -> None:
    """One connection per kit: lift the soft limit on open files to the hard one."""
    import contextlib
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
