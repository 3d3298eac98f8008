"""``pantau-agent sms-gateway``: run the collector's SMS gateway reader
(:mod:`agent.sms.gateway`) until a signal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "sms-gateway",
        help="read the collector's gateway modem and hand each SMS to the collector",
    )
    p.add_argument("--port", required=True, help="the gateway modem's AT port (pyserial URL)")
    p.add_argument("--url", required=True, help="the collector's https://HOST/api/v1/sms")
    p.add_argument(
        "--secret-file", required=True, type=Path, help="the [sms] webhook_secret_file's secret"
    )
    p.add_argument("--interval", type=float, default=10.0, help="seconds between passes")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from agent.modem.driver import AtPort
    from agent.modem.errors import ModemError
    from agent.sms.gateway import Gateway, http_post

    try:
        secret = args.secret_file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        print(
            f"pantau-agent sms-gateway: --secret-file {args.secret_file}: {exc.strerror}",
            file=sys.stderr,
        )
        return 2
    if not secret:
        print(
            f"pantau-agent sms-gateway: --secret-file {args.secret_file} is empty", file=sys.stderr
        )
        return 2
    if args.interval <= 0:
        print("pantau-agent sms-gateway: --interval must be > 0", file=sys.stderr)
        return 2
    try:
        post = http_post(args.url, secret)
    except ValueError as exc:
        print(f"pantau-agent sms-gateway: {exc}", file=sys.stderr)
        return 2
    gateway = Gateway(AtPort(args.port), post)
    try:
        gateway.run(args.interval)
    except ModemError as exc:
        print(f"pantau-agent sms-gateway: {exc}", file=sys.stderr)
        return 1
    finally:
        gateway.port.close()
    return 0  # pragma: no cover - run() returns only by an exception
