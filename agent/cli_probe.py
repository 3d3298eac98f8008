"""``pantau-agent probe KIND TARGET [options] [--json]``: one-off probe runs.

The options of each kind are its config dataclass's fields (``timeout_s`` -> ``--timeout-s``,
also ``--timeout``; booleans as ``--tls`` / ``--no-tls``), so the CLI and ``[[probe]]``
tables can never disagree; values are checked by :func:`agent.probes.build_config`, the same
validation as the config file. TARGET fills the kind's first field (``target``, ``url`` or
``query_name``).

The probers are imported only when the command runs, to keep ``pantau-agent --help`` fast.
Exit codes: 0 the probe succeeded, 1 it ran and failed (the result says why), 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import typing
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
KINDS_HELP = "icmp, tcp, dns, http, throughput or trace"


def register(sub: Any) -> None:
    """Add the ``probe`` command to the agent's CLI."""
    parser = sub.add_parser(
        "probe",
        help="run one probe now and print its result",
        description=(
            f"Run one probe now. KIND is {KINDS_HELP}; "
            "'pantau-agent probe KIND --help' lists its options."
        ),
        add_help=False,
    )
    parser.add_argument("kind", metavar="KIND", nargs="?", help=KINDS_HELP)
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="TARGET and the kind's options")
    parser.set_defaults(handler=_handle)


def _kind_parser(kind: str, config_type: type) -> tuple[argparse.ArgumentParser, str]:
    hints = typing.get_type_hints(config_type)
    fields = dataclasses.fields(config_type)
    positional = fields[0].name
    parser = argparse.ArgumentParser(
        prog=f"pantau-agent probe {kind}",
        description=f"Run one {kind} probe; options are the [[probe]] keys of kind {kind!r}.",
    )
    parser.add_argument(positional, metavar=positional.upper(), help=f"the probe's {positional}")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--name", default=f"cli-{kind}", help="probe name in the result")
    for field in fields[1:]:
        flag = "--" + field.name.replace("_", "-")
        flags = [flag]
        if field.name.endswith("_s") and field.name != "fast_s":
            flags.append(flag[: -len("-s")])
        annotation = hints[field.name]
        args = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
        wanted = args[0]
        default = field.default if field.default is not dataclasses.MISSING else None
        if wanted is bool:
            parser.add_argument(
                *flags, dest=field.name, action=argparse.BooleanOptionalAction, default=None,
                help=f"default: {str(default).lower()}",
            )  # fmt: skip
        else:
            parser.add_argument(
                *flags, dest=field.name, type=wanted, default=None, metavar=wanted.__name__.upper(),
                help=f"default: {default}" if default not in (None, "") else None,
            )  # fmt: skip
    return parser, positional


def _handle(args: argparse.Namespace) -> int:
    from agent import probes

    kind = args.kind
    if kind is None or kind in ("-h", "--help"):
        print(f"usage: pantau-agent probe KIND TARGET [options] [--json]\nKIND: {KINDS_HELP}")
        return EXIT_OK if kind else EXIT_USAGE
    spec = probes.PROBERS.get(kind)
    if spec is None:
        known = ", ".join(sorted(probes.PROBERS))
        print(f"pantau-agent probe: unknown probe kind {kind!r} (known: {known})", file=sys.stderr)
        return EXIT_USAGE
    parser, _positional = _kind_parser(kind, spec.config_type)
    options = vars(parser.parse_args(args.rest))
    as_json, name = options.pop("json"), options.pop("name")
    given = {key: value for key, value in options.items() if value is not None}
    try:
        config = probes.build_config(kind, given, where="pantau-agent probe")
    except probes.ProbeConfigError as err:
        print(err, file=sys.stderr)
        return EXIT_USAGE
    outcome = asyncio.run(spec.probe(config, name=name))
    result = dataclasses.asdict(outcome)
    if as_json:
        print(json.dumps({"kind": kind, **result}, indent=2))
    else:
        print(_human(kind, result))
    return EXIT_OK if outcome.common.status is probes.ProbeStatus.OK else EXIT_FAILED


def _human(kind: str, result: dict[str, Any]) -> str:
    common = result.pop("common")
    status = str(common["status"])
    head = f"{kind} {common['target']}: {status}"
    if common["reason"]:
        head += f" ({common['reason']})"
    lines = [head]
    extra = {k: common[k] for k in ("target_address", "resolve_ms", "source", "bytes_used")}
    for key, value in {**extra, **result}.items():
        if value is None or value in ((), []):
            continue
        if isinstance(value, list | tuple) and value and isinstance(value[0], dict):
            lines.append(f"  {key}:")
            lines.extend("    " + _row(item) for item in value)
        else:
            lines.append(f"  {key}: {_value(value)}")
    return "\n".join(lines)


def _row(item: dict[str, Any]) -> str:
    return "  ".join(f"{k}={_value(v)}" for k, v in item.items() if v is not None)


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value)
    return str(value)
