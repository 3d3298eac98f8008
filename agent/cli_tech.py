"""``pantau-agent check | status | survey``: the technician's readiness tools.

Every sentence comes from :mod:`agent.messages` (``--lang id|en``; default from
``PANTAU_LANG`` or the locale). Heavy modules are imported only when a command runs.

check
    A readiness report within about a minute (each step has its own timeout; offline it
    reports what it can). On a terminal (not ``--json``) a live graph of the signal
    (:mod:`agent.tech.live`) is drawn as the modem is read; ``--watch S`` keeps
    reading for S seconds first (pointing the antenna) and grades the last readings.
    Exit codes: 0 READY, 3 DEGRADED, 4 NOT READY, 2 bad usage or a bad configuration
    file, 1 an unexpected failure.

    ``--json`` schema (version 1; keys are stable, ``null`` when unknown)::

        {"schema": 1, "verdict": "READY" | "DEGRADED" | "NOT_READY", "verdict_text": str,
         "reasons": [{"code": str, "severity": "not-ready" | "degraded" | "note",
                      "message": str}],
         "advice": [{"code": str, "message": str}],
         "site": str | null, "agent_id": str | null,
         "modem": {"status": "ok" | "not-configured" | "not-found" | "busy" | "no-answer"
                   | "error" | "lost" (it answered, then vanished or fell silent during
                   the check), "port", "error", "manufacturer", "model", "firmware", "imei",
                   "dialect", "from_agent_unix"},
         "sim": {"state": "ready" | "absent" | "pin" | "puk" | "busy" | "error" | null,
                 "imsi", "iccid"},
         "network": {"registered": bool, "reg_state", "rat", "generation": "2G".."5G",
                     "operator", "mcc", "mnc", "roaming": bool, "cell_id", "tac", "lac",
                     "band"},
         "cells": {"serving": {"rat", "band", "earfcn", "uarfcn", "arfcn", "pci", "psc",
                               "tac", "lac", "cell_id", "nr_band", "nr_pci", "nr_arfcn"},
                   "neighbours_reported": bool (false: the modem cannot say),
                   "neighbour_count": int, "strongest_neighbour": {...} | null,
                   "neighbours": [{"rat": "gsm" | "umts" | "lte" | "nr", "relation":
                                   "intra-frequency" | "inter-frequency" | "inter-rat",
                                   "pci", "earfcn", "rsrp_dbm", "rsrq_db", ...}],
                   "carriers": [{"primary": bool, "rat", "band", "earfcn" | "arfcn",
                                 "bandwidth_mhz", "pci", ...}]},
         "signal": {"grade": "excellent" | "good" | "fair" | "poor" | null, "bars": 0..4,
                    "samples": int, "metrics": {"rsrp_dbm": {"value", "unit", "grade"},
                    ...}},
         "probes": {"results": {name: {"kind", "target", "address", "status", "reason",
                                       "bytes_used", ...kind fields}},
                    "throughput": {"status": "ok" | "not-configured" | "skipped"
                                   | "declined" | "error" | ..., "need_bps",
                                   the upload's "goodput_bps", "direction",
                                   "payload_bytes", "duration_ms", "stop_reason",
                                   "latency_ms", "jitter_ms", "min_rtt_ms",
                                   "retransmits", "bytes_used" (both directions),
                                   "download": {the same for the download}}},
         "collector": {"address", "status": "ok" | "unreachable" | "rejected"
                       | "no-credential" | "reachability-only" (no --config: enrollment
                       not checked) | "ca-file" (the CA file cannot serve: "ca_file",
                       "error" = missing | not-a-file | not-readable | empty | not-pem)
                       | "not-configured", "reachable", "enrolled", "error", "agent_id",
                       "site", "acked_through_seq", "rtt_ms", "clock_offset_ms"},
         "spool": {"path", "exists", "records", "bytes", "oldest_age_s", "error"} | null,
         "clock": {"synced": bool, "offset_ms": float | null},
         "data_today": {"used_bytes", "daily_bytes", "ratio", "day", "error",
                        "this_check_bytes"} | null,  (this check's bytes are counted in)
         "disk": {"path", "checked" (path or its nearest existing parent), "status":
                  "ok" | "full" | "read-only" | "no-permission" | "error", "free_bytes",
                  "needed_bytes", "error"} | null,  (the data directory, written to)
         "photos": {"total_bytes", "uplink_bps", "basis": "measured" | "estimated"
                    | "none", "seconds"},
         "duration_s": float, "lang": "id" | "en"}

    Reason and advice codes: :mod:`agent.tech.verdict` (REASONS, ADVICE), with the
    verdict policy; signal grades: :mod:`agent.tech.grades`.

    Ctrl-C (every command but survey, see :mod:`agent.cli`): exit 130, and with
    ``--json`` the document is ``{"schema": 1, "interrupted": true, "command",
    "exit_code": 130, "message", "lang"}`` instead.

status
    The running agent's status file. Exit codes: 0 running, 3 stale (the process exists
    but has not written its status for a while), 4 not running, 2 bad usage.

survey
    Readings with GNSS positions, a live line per reading (above a live graph of the
    signal on a terminal), GeoJSON and CSV written as they come. Exit codes: 0 done
    (also after Ctrl-C), 1 the modem could not be read or an output file could not be
    written (a full disk: the files stay valid and keep every reading before), 2 bad
    usage.
    On a kit with ``[[modems]]`` and no ``--port``: every modem, each operator side by
    side and the one recommended (:mod:`agent.tech.survey_operators`).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.modem.dialects import DIALECTS
from pantau.core.tomlconfig import ConfigError

if TYPE_CHECKING:
    from agent.config import AgentConfig, ModemSection
    from agent.i18n import Messages
    from agent.tech.live import LiveView

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
EXIT_DEGRADED, EXIT_NOT_READY = 3, 4
EXIT_STALE, EXIT_NOT_RUNNING = 3, 4
_VERDICT_EXIT = {"READY": EXIT_OK, "DEGRADED": EXIT_DEGRADED, "NOT_READY": EXIT_NOT_READY}
DIALECT_CHOICES = ("auto", *DIALECTS)


CHECK_EPILOG = """\
verdict:
  NOT READY  no modem answering (or lost during the check), no SIM or a locked one, no
             service or registration denied, the collector unreachable or refusing the
             kit, not enrolled, the data disk full or not writable
  DEGRADED   a poor signal (strength or quality), 2G only, ping loss > 20 % or median
             > 1000 ms, DNS or a configured probe failing, a measured upload under
             the photos' need ([check] upload_need_mbps, default 3 Mbit/s), result
             photos taking over 15 minutes
ping loss (the collector's 100 pings and each configured ICMP probe): from 100 packets
  the observed ratio decides; below 100 it counts only when the 95 % Wilson lower
  bound is above 20 % (3 of 5 lost: counted; 2 of 5: not proven)
  notes      (never change the verdict) roaming, a fair signal, a spool backlog, the
             clock, a spent data budget, an upload not measured (declined, skipped)
speed test: download then upload to the collector's throughput endpoint, each at most
  [check] test_max_bytes (2 MB) and test_max_time_s (6 s); its real bytes are charged
  to the daily data budget
signal grades (excellent / good / fair / poor; a bound takes the better grade):
  RSRP dBm  >= -80 / -90 / -100 / below     RSRQ dB  >= -10 / -15 / -20 / below
  SINR dB   >= 20 / 13 / 0 / below          RSCP dBm >= -70 / -85 / -100 / below (3G)
  Ec/Io dB  >= -6 / -10 / -20 / below (3G)  RSSI dBm >= -70 / -85 / -100 / below (2G)
  the reading's grade is the worst of its RAT's quantities; bars 4 / 3 / 2 / 1
"""


def _config_flag(path: Path | None) -> str:
    """`` --config FILE`` for commands in advice, unless FILE is the default one."""
    from agent.cli_init import DEFAULT_CONFIG

    if path is None or path.absolute() == DEFAULT_CONFIG:
        return ""
    return f" --config {path.absolute()}"


def _lang(value: str) -> str:
    from agent.i18n import check_lang

    try:
        return check_lang(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
    if not number > 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {value!r}")
    return number


def register(sub: Any) -> None:
    """Add the technician commands' parsers (each with ``set_defaults(handler=...)``)."""
    check = sub.add_parser(
        "check",
        help="readiness report: modem, SIM, signal, network, collector (READY / DEGRADED / "
        "NOT READY)",
        description="Check whether this kit is ready for election day, within about a "
        "minute. Exit codes: 0 READY, 3 DEGRADED, 4 NOT READY, 2 bad usage, 1 failure.",
        epilog=CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(check)
    check.add_argument("--port", help="modem AT port (overrides [modem] port)")
    check.add_argument("--dialect", choices=DIALECT_CHOICES, help="AT dialect (default: auto)")
    check.add_argument("--collector", metavar="HOST:PORT", help="collector address")
    check.add_argument("--ca-file", default=None, help="the deployment's ca.crt (TLS)")
    check.add_argument("--insecure", action="store_true", help="plaintext outside loopback")
    check.add_argument(
        "--photos-mb",
        type=_positive,
        default=30.0,
        help="result photos to upload, MB in total (default 30: 10 photos x 3 MB)",
    )
    check.add_argument(
        "--no-throughput",
        action="store_true",
        help="skip the speed test (download and upload; the report says not measured)",
    )
    check.add_argument("--samples", type=int, default=3, help="modem readings (default 3)")
    check.add_argument(
        "--register-wait",
        type=float,
        default=10.0,
        metavar="S",
        help="wait up to S seconds for the modem to register (default 10)",
    )
    check.add_argument(
        "--watch",
        type=float,
        default=0.0,
        metavar="S",
        help="keep reading the signal for S seconds before the verdict (0 to 600; on a "
        "terminal: a live graph, for pointing the antenna); the last readings are graded",
    )
    check.add_argument(
        "--ping-interval",
        type=float,
        default=0.05,
        metavar="S",
        help="seconds between the collector's 100 pings (default 0.05; 0.01 to 1)",
    )
    check.set_defaults(handler=cmd_check)

    status = sub.add_parser(
        "status",
        help="the running agent's state (from its status file)",
        description="Show the running agent's state. Exit codes: 0 running, 3 stale, "
        "4 not running, 2 bad usage.",
    )
    _common(status)
    status.add_argument(
        "--data-dir", type=Path, help="the agent's data directory (instead of --config)"
    )
    status.set_defaults(handler=cmd_status)

    survey = sub.add_parser(
        "survey",
        help="walk the site: readings with GNSS positions to GeoJSON and CSV",
        description="Read the modem with GNSS positions every --interval seconds until "
        "--duration or Ctrl-C; write GeoJSON (points with a fix) and CSV (every reading).",
    )
    _common(survey)
    survey.add_argument("--port", help="modem AT port (overrides [modem] port)")
    survey.add_argument("--dialect", choices=DIALECT_CHOICES, help="AT dialect (default: auto)")
    survey.add_argument("--interval", type=_positive, default=5.0, metavar="S")
    survey.add_argument(
        "--duration", type=_positive, metavar="S", help="stop after S seconds (default: Ctrl-C)"
    )
    survey.add_argument(
        "--out", type=Path, metavar="DIR", help="write survey-<time>.geojson and .csv here"
    )
    survey.add_argument("--geojson", type=Path, metavar="FILE")
    survey.add_argument("--csv", type=Path, metavar="FILE")
    survey.add_argument(
        "--upload",
        action="store_true",
        help="queue the readings in the kit's spool; the running agent delivers them",
    )
    survey.set_defaults(handler=cmd_survey)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="agent TOML file")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--lang", type=_lang, default=None, help="id (Bahasa Indonesia) or en (default: locale)"
    )


def _usage(command: str, message: str) -> int:
    print(f"pantau-agent {command}: {message}", file=sys.stderr)
    return EXIT_USAGE


#: The flags that stand for a settings key: a bad value's message names the flag.
_FLAG_OF_KEY = {"port": "--port", "dialect": "--dialect", "address": "--collector"}


def _flag_problem(detail: str) -> str:
    """A settings builder's ``key: problem`` worded for the command line."""
    key, sep, problem = detail.partition(":")
    return f"{_FLAG_OF_KEY[key]}:{problem}" if sep and key in _FLAG_OF_KEY else detail


def _modem_settings(
    command: str, config: AgentConfig | None, args: argparse.Namespace
) -> ModemSection | str:
    """``[modem]`` from the file with ``--port`` / ``--dialect`` laid over it, through
    the file's own builder and checks; or the usage problem (a missing device is a
    finding, not a usage error)."""
    from agent.config import modem_with_flags

    flags = {"port": args.port, "dialect": args.dialect}
    try:
        return modem_with_flags(config, flags, source=f"pantau-agent {command}")
    except ConfigError as exc:
        return _flag_problem(exc.detail)


def _address_problem(address: str) -> str | None:
    """The collector's address checked as the file's ``[collector] address`` is."""
    from agent.config import check_address

    try:
        check_address(address)
    except ValueError as exc:
        return _flag_problem(str(exc))
    return None


# -- check -------------------------------------------------------------------------------


def _speed_options(config: AgentConfig) -> dict[str, Any]:
    """The speed test's settings from the kit's ``[check]`` table."""
    c = config.check
    return {
        "upload_test": c.upload_test,
        "throughput_port": c.throughput_port,
        "upload_need_bps": c.upload_need_mbps * 1e6,
        "test_max_bytes": c.test_max_bytes,
        "throughput_time_s": c.test_max_time_s,
    }


def cmd_check(args: argparse.Namespace) -> int:
    from agent.i18n import Messages
    from agent.tech import check, check_view, render
    from agent.tech.render import Style

    m = Messages(args.lang)
    render.use_lang(m.lang)
    config = None
    if args.config is not None:
        from agent.config import load_agent_config

        config = load_agent_config(args.config)  # ConfigError: exit 2 (agent.cli)
    modem = _modem_settings("check", config, args)
    if isinstance(modem, str):
        return _usage("check", modem)
    address = args.collector or (config.collector.address if config else "")
    if not modem.port and not address:
        return _usage("check", "nothing to check: give --config FILE, or --port and/or --collector")
    bad_address = _address_problem(address) if address else None
    if bad_address:
        return _usage("check", bad_address)
    if args.samples < 1 or args.samples > 10:
        return _usage("check", f"--samples: expected 1 to 10, got {args.samples}")
    if not 0 <= args.register_wait <= 60:
        return _usage("check", f"--register-wait: expected 0 to 60 s, got {args.register_wait}")
    if not 0.01 <= args.ping_interval <= 1.0:
        return _usage("check", f"--ping-interval: expected 0.01 to 1 s, got {args.ping_interval}")
    if not 0 <= args.watch <= 600:
        return _usage("check", f"--watch: expected 0 to 600 s, got {args.watch:g}")
    credential: str | None = None
    problem: str | None = None
    if config is not None:
        try:
            credential = config.credential_token() or None
        except ConfigError as exc:
            problem = str(exc)
    show_progress = not args.json and sys.stderr.isatty()
    live = _live_view(args.json, m)
    options = check.CheckOptions(
        port=modem.port,
        dialect=modem.dialect,
        command_timeout_s=modem.command_timeout_s,
        collector=address,
        ca_file=args.ca_file
        if args.ca_file is not None
        else (config.collector.ca_file if config else ""),
        insecure=args.insecure or bool(config and config.collector.insecure),
        credential=credential,
        credential_problem=problem,
        enrollment_known=config is not None,
        agent_id=config.agent_id if config else "",
        site=config.agent.site if config else "",
        data_dir=config.data_dir if config else None,
        probes=config.probes if config else (),
        daily_bytes=config.budget.daily_bytes if config else None,
        photos_mb=args.photos_mb,
        throughput=not args.no_throughput,
        **(_speed_options(config) if config else {}),
        samples=args.samples,
        register_wait_s=args.register_wait,
        ping_interval_s=args.ping_interval,
        progress=check.progress_bar(m("check.progress.throughput")) if show_progress else None,
        watch_s=args.watch,
        on_reading=live.reading if live is not None else None,
    )
    if not args.json:
        print(m("check.running"), file=sys.stderr, flush=True)
    if live is not None and args.watch and modem.port:
        print(m("live.watch", seconds=render.duration(args.watch)), flush=True)
    report = dataclasses.replace(
        asyncio.run(check.gather(options)),
        site=config.agent.site if config else None,
        agent_id=config.agent_id if config else None,
    )
    doc = check_view.document(report, check.assess(report), m, _config_flag(args.config))
    looks = []
    if config is not None and len(config.modems) > 1 and args.port is None:
        from agent.tech import operators

        looks = operators.compare(config.modems, samples=args.samples)  # each in turn
        doc["operators"] = operators.to_json(looks, m)
    if args.json:
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        print(check_view.human(doc, m, Style(sys.stdout)))
        if looks:
            print("\n".join(operators.human_lines(looks, m)))
    return _VERDICT_EXIT[doc["verdict"]]


def _live_view(as_json: bool, m: Messages) -> LiveView | None:
    """The live signal view (agent.tech.live) when stdout is a terminal and not --json."""
    if as_json or not sys.stdout.isatty():
        return None
    from agent.tech.live import LiveView
    from agent.tech.render import Style

    return LiveView(sys.stdout, m, unicode=Style(sys.stdout).unicode)


# -- status ------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> int:
    from agent.i18n import Messages
    from agent.tech import render, status, status_view
    from agent.tech.render import Style

    m = Messages(args.lang)
    render.use_lang(m.lang)
    if args.data_dir is not None:
        data_dir = args.data_dir
    elif args.config is not None:
        from agent.config import load_agent_config

        data_dir = load_agent_config(args.config).data_dir
    else:
        return _usage("status", "give --config FILE or --data-dir DIR")
    state = status.read_status(status.status_path(data_dir))
    doc = status_view.document(state, data_dir, m)
    if args.json:
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        print(status_view.human(doc, m, Style(sys.stdout)))
    return {status.RUNNING: EXIT_OK, status.STALE: EXIT_STALE}.get(state["state"], EXIT_NOT_RUNNING)


# -- survey ------------------------------------------------------------------------------


def cmd_survey(args: argparse.Namespace) -> int:
    from agent.i18n import Messages
    from agent.tech import render, survey

    m = Messages(args.lang)
    render.use_lang(m.lang)
    config = None
    if args.config is not None:
        from agent.config import load_agent_config

        config = load_agent_config(args.config)
    modem = _modem_settings("survey", config, args)
    if isinstance(modem, str):
        return _usage("survey", modem)
    if not modem.port:
        return _usage("survey", "give --port URL (or --config with a [modem] port)")
    if args.upload and config is None:
        return _usage("survey", "--upload needs --config (the kit's spool)")
    if args.out is not None and (args.geojson is not None or args.csv is not None):
        return _usage("survey", "give --out DIR, or --geojson FILE and/or --csv FILE")
    options = survey.SurveyOptions(
        port=modem.port,
        dialect=modem.dialect,
        interval_s=args.interval,
        duration_s=args.duration,
        out_dir=args.out,
        geojson=args.geojson,
        csv=args.csv,
        spool_path=(config.data_dir / "spool.sqlite") if (config and args.upload) else None,
        spool_max_bytes=config.spool.max_bytes if config else 0,
        command_timeout_s=modem.command_timeout_s,
        as_json=args.json,
    )
    if config is not None and len(config.modems) > 1 and args.port is None:
        from agent.tech import survey_operators  # a modem per operator: all of them

        return survey_operators.run(options, config.modems, m, sys.stdout)
    return survey.run(options, m, sys.stdout, _live_view(args.json, m))
