"""``pantau-agent``: the kit's command line.

Exit codes: 0 success, 1 a failure at run time, 2 bad usage or a bad
configuration file (the message names the file, the key and what is expected),
130 interrupted by Ctrl-C (every command; said on stderr, and with ``--json`` a
``{"interrupted": true, ...}`` object on stdout), 141 the output pipe was closed by
its reader (``pantau-agent status | head -1``; nothing more is written). ``survey``
takes Ctrl-C as "finish" (exit 0); ``sim-modem`` serves until a signal (exit 0).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.modem.dialects import DIALECTS
from pantau.core.tomlconfig import ConfigError

if TYPE_CHECKING:
    from agent.config import AgentConfig

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
#: Ctrl-C (128 + SIGINT) and a closed output pipe (128 + SIGPIPE), as a shell reports them.
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 130, 141


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

    kit = sub.add_parser(
        "sim-kit", help="serve several simulated modems (a modem per operator); prints [[modems]]"
    )
    kit.add_argument(
        "--modem",
        action="append",
        required=True,
        metavar="NAME=SCENARIO[:DIALECT]",
        help="one modem (1-3): a bundled scenario name or a TOML file, e.g. tsel=strong-lte",
    )
    kit.add_argument("--link-dir", type=Path, help="keep a stable symlink per modem here")

    # Command groups that live in their own modules (kept light: no heavy imports at
    # module level). Each adds its parsers with set_defaults(handler=...).
    for register in _command_groups():
        register(sub)
    return parser


def _command_groups() -> list[Callable[[Any], None]]:
    from agent import cli_init, cli_modem, cli_probe, cli_tech, enroll
    from agent.fleet import cli as cli_fleet
    from agent.sms import cli as cli_sms

    return [
        cli_modem.register,
        cli_probe.register,
        enroll.add_parser,
        cli_init.register,
        cli_tech.register,
        cli_fleet.register,
        cli_sms.register,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Every command, with the two ways out that are not its own: Ctrl-C (exit 130,
    said on stderr in the technician's language; with ``--json`` a JSON object saying
    so on stdout) and a reader that closed the pipe (``status | head -1``: exit 141,
    quietly, as a command killed by SIGPIPE would)."""
    args: argparse.Namespace | None = None
    try:
        try:
            args = _parser().parse_args(argv)
        finally:
            sys.stdout.flush()  # --help into a closed pipe: BrokenPipeError here
        code = _dispatch(args)
        sys.stdout.flush()  # a broken pipe shows here, not at exit as a traceback
        return code
    except KeyboardInterrupt:
        return _interrupted(args)
    except BrokenPipeError:
        return _broken_pipe()


def _dispatch(args: argparse.Namespace) -> int:
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
            return _config_files_ok(args.config, cfg)
        if args.command == "sim-kit":
            from agent.sim.kit import serve_kit_cli

            link_dir = None if args.link_dir is None else str(args.link_dir)
            return serve_kit_cli(args.modem, link_dir)
        if args.command == "sim-modem":
            from agent.sim.modem import serve_cli

            link = None if args.link is None else str(args.link)
            return serve_cli(args.dialect, str(args.scenario), link, "tcp" if args.tcp else "pty")
    except ConfigError as exc:
        print(f"pantau-agent: {_config_error(args, exc)}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_USAGE  # pragma: no cover - argparse requires a command


def _config_error(args: argparse.Namespace, exc: ConfigError) -> str:
    """A bad config file in the technician's language: English as the loader words it;
    Indonesian in words, with the loader's (English) detail in the marked technical part."""
    from agent.i18n import Detail, Messages

    try:
        m = Messages(getattr(args, "lang", None))
    except ValueError:
        m = Messages()
    if m.lang == "en":
        return str(exc)
    return m("common.error.config", path=exc.source, error=Detail(exc.detail))


def _config_files_ok(path: Path, cfg: AgentConfig) -> int:
    """``config-check``'s last step: the files the config names exist and serve."""
    from agent.i18n import Messages
    from agent.kitfiles import config_file_problems

    problems = config_file_problems(cfg)
    if not problems:
        print(f"{path}: OK (site {cfg.agent.site}, {len(cfg.probes)} probes)")
        return EXIT_OK
    m = Messages()
    for key, named, problem in problems:
        text = m(f"common.file.{problem.replace('-', '_')}")
        print(
            m("common.config.file_bad", config=path, key=key, path=named, problem=text),
            file=sys.stderr,
        )
    return EXIT_USAGE


def _command(args: argparse.Namespace | None) -> str:
    """The command as typed (``check``, ``modem read``), for the interrupted message."""
    if args is None:
        return "pantau-agent"
    words = [getattr(args, "command", None), getattr(args, "modem_command", None)]
    return "pantau-agent " + " ".join(w for w in words if w)


def _interrupted(args: argparse.Namespace | None) -> int:
    """Ctrl-C: say so (stderr; with --json also a JSON object on stdout); exit 130."""
    from agent.i18n import Messages

    try:
        m = Messages(getattr(args, "lang", None))
    except ValueError:  # an unchecked --lang (init's): the locale's language
        m = Messages()
    command = _command(args)
    text = m("common.interrupted", command=command)
    try:
        if getattr(args, "json", False):
            doc = {
                "schema": 1,
                "interrupted": True,
                "command": command,
                "exit_code": EXIT_INTERRUPTED,
                "message": text,
                "lang": m.lang,
            }
            print(json.dumps(doc, ensure_ascii=False), flush=True)
        print(text, file=sys.stderr, flush=True)
    except BrokenPipeError:
        _broken_pipe()
    return EXIT_INTERRUPTED


def _broken_pipe() -> int:
    """The reader went away (``| head``): nothing more to say to it, and nothing on
    stderr either. stdout is pointed at /dev/null so the interpreter's final flush of
    what is still buffered does not fail again (the Python documentation's recipe)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return EXIT_BROKEN_PIPE


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

    stopped_by = asyncio.run(_until_signalled(supervised()))
    if stopped_by == signal.SIGINT:  # Ctrl-C by hand (systemd stops it with SIGTERM: 0)
        raise KeyboardInterrupt
    return EXIT_OK


async def _until_signalled(work: Coroutine[Any, Any, None]) -> int | None:
    """Run ``work`` until SIGINT or SIGTERM, then cancel it cleanly; the signal, if any."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    received: list[int] = []

    def stop(sig: int) -> None:
        received.append(sig)
        task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, sig)
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return received[0] if received else None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
