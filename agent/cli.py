"""``pantau-agent``: the kit's command line.

Exit codes: 0 success, 1 a failure at run time, 2 bad usage or a bad
configuration file (the message names the file, the key and what is expected).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from agent.modem.dialects import DIALECTS
from pantau.core.tomlconfig import ConfigError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pantau-agent",
        description="Pantau probe kit: reads the modem, probes the link, streams to the collector.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the agent (the kit's service)")
    run.add_argument("--config", required=True, type=Path, help="agent TOML file")

    check = sub.add_parser("config-check", help="validate an agent config file and exit")
    check.add_argument("config", type=Path)

    sim = sub.add_parser("sim-modem", help="serve a simulated modem on a pty; prints its path")
    sim.add_argument(
        "--dialect",
        default="3gpp",
        choices=DIALECTS,
    )
    sim.add_argument("--scenario", required=True, type=Path, help="scenario TOML file")
    sim.add_argument(
        "--link", type=Path, help="keep a stable symlink to the pty here (like /dev/serial/by-id)"
    )
    sim.add_argument(
        "--tcp", action="store_true", help="serve on a loopback TCP port (socket://) instead"
    )

    # Command groups that live in their own modules (kept light: no heavy imports at
    # module level). Each adds its parsers with set_defaults(handler=...).
    for register in _command_groups():
        register(sub)
    return parser


def _command_groups() -> list[Callable[[Any], None]]:
    from agent import cli_init, cli_modem, cli_probe, cli_tech, enroll
    from agent.fleet import cli as cli_fleet

    return [
        cli_modem.register,
        cli_probe.register,
        enroll.add_parser,
        cli_init.register,
        cli_tech.register,
        cli_fleet.register,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        handler = getattr(args, "handler", None)
        if handler is not None:
            return int(handler(args))
        if args.command == "run":
            return _run(args.config)
        if args.command == "config-check":
            from agent.config import load_agent_config

            cfg = load_agent_config(args.config)
            print(f"{args.config}: OK (site {cfg.agent.site}, {len(cfg.probes)} probes)")
            return EXIT_OK
        if args.command == "sim-modem":
            from agent.sim.modem import serve_cli

            link = None if args.link is None else str(args.link)
            return serve_cli(args.dialect, str(args.scenario), link, "tcp" if args.tcp else "pty")
    except ConfigError as exc:
        print(f"pantau-agent: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_USAGE  # pragma: no cover - argparse requires a command


def _run(config_path: Path) -> int:
    from agent.config import load_agent_config
    from agent.service import AgentService
    from agent.spool import SpoolError
    from agent.systemd import Notifier

    config = load_agent_config(config_path)
    try:
        service = AgentService(config)
    except SpoolError as exc:
        print(f"pantau-agent: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    notifier = Notifier.from_env()  # a no-op outside systemd

    async def supervised() -> None:
        """The service, with systemd told READY, pinged from this loop, told STOPPING."""
        work = asyncio.ensure_future(service.run())
        pinger = asyncio.ensure_future(notifier.ping_forever())
        notifier.ready(f"site {config.agent.site}, collector {config.collector.address}")
        try:
            await asyncio.wait({work}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not work.done():
                notifier.stopping()  # shutting down: the spool is flushed next
            work.cancel()
            pinger.cancel()
            await asyncio.gather(work, pinger, return_exceptions=True)
            notifier.close()
        work.result()

    asyncio.run(_until_signalled(supervised()))
    return EXIT_OK


async def _until_signalled(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` until SIGINT or SIGTERM, then cancel it cleanly."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
