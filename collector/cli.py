"""``pantau-collector``: the centre's command line.

Exit codes: 0 success, 1 a failure at run time, 2 bad usage or bad input (the
message says what and where).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collector.revocation import REVOCATION_BOUND_S
from collector.store import Store, StoreError, open_store
from collector.store.model import SiteView
from pantau.core.net import is_loopback
from pantau.core.operators import operator_name
from pantau.core.sites import TpsCodeError, province_of
from pantau.core.tomlconfig import ConfigError
from pantau.core.untrusted import terminal

if TYPE_CHECKING:
    from collector.server import ListenError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_DATA_DIR = Path("pantau-data")
DEFAULT_LISTEN = "127.0.0.1:7600"


def data_dir(p: argparse.ArgumentParser, *, store: bool = True) -> None:
    """Add --data-dir (and --store) to a command's parser."""
    p.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"where the collector keeps its state (default: {DEFAULT_DATA_DIR})",
    )
    if store:
        p.add_argument(
            "--store",
            default="",
            metavar="URL",
            help="postgresql://... to use PostgreSQL (default: SQLite in --data-dir)",
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pantau-collector",
        description="Pantau collector: stores kit streams, watches every TPS site.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the collector (gRPC ingest)")
    data_dir(serve)
    serve.add_argument(
        "--listen", default=DEFAULT_LISTEN, help=f"HOST:PORT (default {DEFAULT_LISTEN})"
    )
    serve.add_argument(
        "--throughput-listen",
        default="",
        metavar="HOST:PORT",
        help="where kits run throughput tests (default: the --listen host, port 7601; "
        "'off' disables)",
    )
    serve.add_argument(
        "--http-listen",
        default="",
        metavar="HOST:PORT",
        help="the operations centre (web); port 0 picks a free port; 'off' disables "
        "(default: [web] listen of the config, else 127.0.0.1:8080)",
    )
    serve.add_argument("--config", type=Path, help="collector TOML file (routes, rules, store)")
    serve.add_argument(
        "--insecure",
        action="store_true",
        help="allow plaintext on a non-loopback address (warns; use TLS in the field)",
    )

    demo = sub.add_parser("demo", help="run a collector with three simulated kits")
    data_dir(demo, store=False)
    demo.add_argument(
        "--http-listen",
        default="127.0.0.1:8080",
        metavar="HOST:PORT",
        help="the operations centre (default 127.0.0.1:8080, a free port if taken)",
    )
    demo.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop after this many seconds (default: run until Ctrl-C)",
    )

    sites = sub.add_parser("sites", help="list the sites and their latest state")
    data_dir(sites)
    sites.add_argument("--json", action="store_true", help="print JSON")

    enroll = sub.add_parser(
        "enroll", help="issue a one-time enrollment code for a kit at a TPS site"
    )
    data_dir(enroll)
    which = enroll.add_mutually_exclusive_group(required=True)
    which.add_argument("--site", help="13-digit TPS code")
    which.add_argument(
        "--sites-file",
        type=Path,
        metavar="CSV",
        help="many sites: a CSV with a tps_code column (and optionally agent_id)",
    )
    enroll.add_argument("--agent-id", help="agent id (default: kit-<site>)")
    enroll.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="with --sites-file: where the codes go (a new file, mode 0600)",
    )
    enroll.add_argument(
        "--json", action="store_true", help="with --sites-file: print a JSON summary"
    )
    enroll.add_argument(
        "--valid-hours", type=float, default=168.0, help="how long the code stays valid (168)"
    )

    tls = sub.add_parser("tls", help="TLS for the collector")
    tls_sub = tls.add_subparsers(dest="tls_command", required=True, metavar="TLS_COMMAND")
    tls_init = tls_sub.add_parser(
        "init", help="create the deployment CA and the server certificate"
    )
    data_dir(tls_init, store=False)
    tls_init.add_argument("--host", action="append", default=[], help="DNS name kits use (repeat)")
    tls_init.add_argument("--ip", action="append", default=[], help="IP address kits use (repeat)")
    tls_init.add_argument("--force", action="store_true", help="replace an existing CA")

    revoke = sub.add_parser(
        "revoke",
        help="revoke a kit's credential (its open streams end within "
        f"{REVOCATION_BOUND_S:g} s on every collector)",
    )
    data_dir(revoke)
    revoke.add_argument("agent_id")

    rules = sub.add_parser("rules", help="the rules that decide when a site has a problem")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    check = rules_sub.add_parser("check", help="validate a rules file")
    check.add_argument("file", type=Path)
    check.set_defaults(handler=_rules_check)

    from collector import cli_incidents, cli_silences, cli_tickets, cli_users

    cli_tickets.register(sub)
    cli_incidents.register(sub)
    cli_silences.register(sub)
    cli_users.register(sub)
    return parser


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
        return _dispatch(args)
    except StoreError as exc:
        print(f"pantau-collector: {terminal(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    except (UsageError, ConfigError) as exc:
        print(f"pantau-collector: {terminal(exc)}", file=sys.stderr)
        return EXIT_USAGE


class UsageError(Exception):
    """Bad input from the person at the keyboard."""


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        if args.duration is not None and args.duration <= 0:
            raise UsageError(
                f"--duration must be a positive number of seconds, got {args.duration}"
            )
        from collector.demo import run_demo

        _check_listen(args.http_listen, insecure=False, tls=False, flag="--http-listen")
        return run_demo(args.data_dir, args.duration, http_listen=args.http_listen)
    if args.command == "serve":
        return _serve(args, insecure=args.insecure, throughput=args.throughput_listen)
    if args.command == "sites":
        return _sites(args, as_json=args.json)
    if args.command == "enroll":
        if args.sites_file is not None:
            from collector.cli_bulk import bulk_enroll

            return bulk_enroll(args)
        if args.out is not None or args.json:
            raise UsageError("--out and --json go with --sites-file")
        return _enroll(args, args.site, args.agent_id, args.valid_hours)
    if args.command == "tls":
        return _tls_init(args.data_dir, [*args.host, *args.ip], force=args.force)
    if args.command == "revoke":
        store = open_existing(args)
        try:
            if not store.revoke_agent(args.agent_id):
                raise UsageError(f"no active agent {args.agent_id!r}")
        finally:
            store.close()
        print(
            f"revoked {args.agent_id}: a stream it has open ends within "
            f"{REVOCATION_BOUND_S:g} s on every collector sharing this store"
        )
        return EXIT_OK
    raise UsageError(f"unknown command {args.command}")  # pragma: no cover


def _rules_check(args: argparse.Namespace) -> int:
    from collector.rules import check_rules_file

    code, message = check_rules_file(args.file)
    print(message, file=sys.stdout if code == 0 else sys.stderr)
    return code


def open_any(args: argparse.Namespace) -> Store:
    """The store named by --store, else SQLite in --data-dir (created if new)."""
    return open_store(args.store or args.data_dir / "collector.sqlite")


def open_existing(args: argparse.Namespace) -> Store:
    """Like :func:`open_any`, but a missing SQLite file is a usage error, not a new store."""
    path = args.data_dir / "collector.sqlite"
    if not args.store and not path.exists():
        raise UsageError(
            f"no collector data in {args.data_dir} (expected {path}); pass the --data-dir "
            "(or --store) of a collector"
        )
    return open_any(args)


def site_json(site: SiteView) -> dict[str, Any]:
    """A site as ``pantau-collector sites --json`` prints it."""
    from collector.query import signal_fields
    from collector.views import iso_seconds

    s, p = site.signal, site.ping
    operator = None
    if s is not None and s.mcc is not None and s.mnc is not None:
        name = s.operator_name or operator_name(s.mcc, s.mnc)
        operator = {"mcc": s.mcc, "mnc": s.mnc, "name": name}
    ping = None
    if p is not None:
        ping = {"target": p.target, "method": p.method, "median_ms": p.median_ms,
                "loss_ratio": p.loss_ratio, "time": iso_seconds(p.event_ns)}  # fmt: skip
    return {
        "site_code": site.site_code,
        "province": province_of(site.site_code),
        "agents": list(site.agent_ids),
        "operator": operator,
        **signal_fields(site, iso_seconds),
        "ping": ping,
        "last_seen": iso_seconds(site.last_seen_ns),
        "records": site.records,
    }


def _sites(args: argparse.Namespace, *, as_json: bool) -> int:
    from collector.query import SiteQueries
    from collector.views import sites_table

    store = open_existing(args)
    try:
        sites = SiteQueries(store).views()
    finally:
        store.close()
    if as_json:
        print(json.dumps([site_json(s) for s in sites], indent=2, allow_nan=False))
    else:
        print(sites_table(sites, now_ns=time.time_ns()))
    return EXIT_OK


def _enroll(args: argparse.Namespace, site: str, agent_id: str | None, valid_hours: float) -> int:
    from collector import auth, enrollment

    if not 0 < valid_hours <= 24 * 90:
        raise UsageError(f"--valid-hours must be between 0 and 2160, got {valid_hours}")
    store = open_any(args)
    try:
        code, agent_id = enrollment.create_code(
            store, site, agent_id=agent_id, ttl_s=valid_hours * 3600
        )
    except (TpsCodeError, auth.CredentialError) as exc:
        raise UsageError(str(exc)) from None
    finally:
        store.close()
    print(code)
    print(
        f"one-time code for {agent_id} at site {site}, valid {valid_hours:g} hours; on the kit "
        f"run: pantau-agent enroll --collector HOST:PORT --code {code}",
        file=sys.stderr,
    )
    return EXIT_OK


def _tls_init(data_dir: Path, hosts: list[str], *, force: bool) -> int:
    from collector.tls import TlsError, init_tls

    try:
        paths = init_tls(data_dir, hosts, force=force)
    except TlsError as exc:
        raise UsageError(str(exc)) from None
    print(f"wrote {paths.ca_cert} (give it to every kit), {paths.server_cert}, {paths.server_key}")
    print(f"keep {paths.ca_key} offline once the server certificate is issued", file=sys.stderr)
    return EXIT_OK


def _check_listen(listen: str, *, insecure: bool, tls: bool, flag: str = "--listen") -> None:
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise UsageError(f"{flag} must be HOST:PORT (port 0-65535), got {listen!r}")
    if not tls and not is_loopback(listen):
        if not insecure:
            raise UsageError(
                f"refusing plaintext on non-loopback address {listen}: TLS is required outside "
                "loopback (run `pantau-collector tls init`, or pass --insecure behind a "
                "TLS-terminating proxy)"
            )
        logging.getLogger(__name__).warning(
            "serving PLAINTEXT on %s: credentials and data cross the network unencrypted", listen
        )


def cannot_listen(exc: ListenError) -> str:
    """Why serve cannot start on an address, in English and in Bahasa Indonesia."""
    return (
        f"{exc}; is another pantau-collector serve already using {exc.address}?\n"
        f"pantau-collector: tidak bisa memakai alamat {exc.address}: alamat itu sedang "
        f"dipakai atau tidak tersedia; apakah pantau-collector serve lain sudah "
        f"berjalan di {exc.address}?"
    )


#: How long a thread may hold the GIL while another waits for it (CPython's default: 5 ms).
SWITCH_INTERVAL_S = 0.0005


def _serve(args: argparse.Namespace, *, insecure: bool, throughput: str) -> int:
    from collector.config import default_config, load_collector_config
    from collector.server import Collector, ListenError
    from collector.tls import paths_for

    config = default_config() if args.config is None else load_collector_config(args.config)
    if not args.store and config.store.url:
        args.store = config.store.url
    data_dir, listen = args.data_dir, args.listen
    tls = paths_for(data_dir)
    _check_listen(listen, insecure=insecure, tls=tls.exists())
    if not throughput:
        throughput = f"{listen.rpartition(':')[0]}:7601"
    if throughput != "off":
        _check_listen(throughput, insecure=insecure, tls=tls.exists())
    http = args.http_listen or config.web.listen
    if http != "off":
        _check_listen(http, insecure=insecure, tls=tls.exists(), flag="--http-listen")
    store = open_any(args)

    async def serve() -> None:
        collector = Collector(store, tls=tls if tls.exists() else None, config=config)
        try:
            port = await collector.start(listen)
            if throughput != "off":
                await collector.start_throughput(throughput)
            if http != "off":
                await collector.start_web(http)
        except ListenError as exc:
            await collector.stop(0)
            raise UsageError(cannot_listen(exc)) from None
        if http != "off":
            print(f"operations centre: {collector.web_url}/", flush=True)
        logging.getLogger(__name__).info(
            "collector listening on port %d (%s), throughput tests on port %s, data in %s",
            port,
            "TLS" if collector.tls else "plaintext",
            collector.throughput_port or "off",
            data_dir,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await collector.stop()

    # The committer's and the store reads' threads wait on the database between short
    # steps, each needing the GIL back: with the event loop busy (thousands of streams,
    # a pass over every site) each waited up to the default 5 ms switch interval, and a
    # commit of many small batches took seconds (docs/scale.md, reconnect storms).
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve())
    finally:
        store.close()
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    # Through the imported module, so that its exceptions are the ones the command
    # modules (cli_users, ...) raise, not this __main__ copy's.
    import importlib

    sys.exit(importlib.import_module("collector.cli").main())
