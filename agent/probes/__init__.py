"""The agent's probers (blackbox_exporter style): one file each, one signature, one registry.

Every prober is ``async def probe(config, *, name) -> outcome`` (see :mod:`agent.probes.base`):
a failed measurement is an outcome with a status and a reason, never an exception.
:data:`PROBERS` is the only list of probers; the scheduler looks a probe's kind up there,
builds its config with :func:`build_config`, awaits ``spec.probe`` and converts the outcome
with ``spec.to_proto`` into the ``Record`` body field ``spec.record_field``.

Each entry also carries ``summarize``, the kind's own fields in a ``pantau-agent check``
report, so ``check`` asks the registry instead of listing kinds again.

Errors::

    AgentError, ValueError
     └── ProbeConfigError   a probe's options are invalid (message says where and why)
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message

from agent.probes import convert, dns, http, icmp, tcp, throughput, trace
from agent.probes.base import Common, ProbeConfigError, Prober, ProbeStatus
from agent.probes.dns import DnsConfig, DnsOutcome
from agent.probes.http import HttpConfig, HttpOutcome
from agent.probes.icmp import IcmpConfig, PingOutcome, icmp_method_available
from agent.probes.tcp import TcpConfig, TcpOutcome
from agent.probes.throughput import ThroughputConfig, ThroughputOutcome
from agent.probes.trace import TraceConfig, TraceOutcome

__all__ = [
    "PROBERS",
    "Common",
    "DnsConfig",
    "DnsOutcome",
    "HttpConfig",
    "HttpOutcome",
    "IcmpConfig",
    "PingOutcome",
    "ProbeConfigError",
    "ProbeStatus",
    "Prober",
    "ProberSpec",
    "TcpConfig",
    "TcpOutcome",
    "ThroughputConfig",
    "ThroughputOutcome",
    "TraceConfig",
    "TraceOutcome",
    "build_config",
    "icmp_method_available",
    "target_of",
    "with_credential",
]

C = TypeVar("C")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class ProberSpec(Generic[C, R]):
    config_type: type[C]
    probe: Prober[C, R]
    to_proto: Callable[[R], Message]
    record_field: str  # the ``pantau.v1.Record`` oneof field that carries the result
    # Expensive probes (bulk data) are skipped once the day's data budget is spent; the
    # others always run (reachability is outage evidence) and their bytes are still counted.
    expensive: bool = False
    # The kind's own fields in a ``pantau-agent check`` report (beside kind, target,
    # address, status, reason, bytes_used). None: check does not run this kind (a trace
    # takes too long). Check runs the cheap kinds once each, and an expensive one in its
    # own capped step (the upload test).
    summarize: Callable[[R], dict[str, object]] | None = None


PROBERS: dict[str, ProberSpec[Any, Any]] = {
    "icmp": ProberSpec(
        IcmpConfig, icmp.probe, convert.ping_to_proto, "ping", summarize=icmp.summarize
    ),
    "tcp": ProberSpec(TcpConfig, tcp.probe, convert.tcp_to_proto, "tcp", summarize=tcp.summarize),
    "dns": ProberSpec(DnsConfig, dns.probe, convert.dns_to_proto, "dns", summarize=dns.summarize),
    "http": ProberSpec(
        HttpConfig, http.probe, convert.http_to_proto, "http", summarize=http.summarize
    ),
    "throughput": ProberSpec(
        ThroughputConfig,
        throughput.probe,
        convert.throughput_to_proto,
        "throughput",
        expensive=True,
        summarize=throughput.summarize,
    ),
    "trace": ProberSpec(TraceConfig, trace.probe, convert.trace_to_proto, "trace"),
}


def target_of(config: object) -> str:
    """What a probe's config aims at, as its result's ``common.target`` would say."""
    for key in ("target", "url", "query_name"):
        value = getattr(config, key, None)
        if isinstance(value, str):
            return value
    return ""


def with_credential(config: C, token: str) -> C:
    """``config`` with the agent's credential filled in, for probers that authenticate to
    the collector (a ``credential`` field left empty); any other config is returned as is."""
    names = {f.name for f in fields(config)}  # type: ignore[arg-type]
    if (
        "credential" in names
        and not getattr(config, "credential", "")
        and not getattr(config, "credential_file", "")
    ):
        return dataclasses.replace(config, credential=token)  # type: ignore[type-var]
    return config


def build_config(kind: str, options: Mapping[str, object], where: str) -> object:
    """Build and validate the config of a ``kind`` probe from parsed options (e.g. TOML).

    Keys and types come from the config dataclass: unknown keys are rejected with the list
    of allowed keys, wrong types name the expected type, missing required keys are named,
    and the dataclass's own checks (ranges, choices) apply. Every message starts with
    ``where`` (e.g. ``"agent.toml: [[probe]] #2"``). Raises :class:`ProbeConfigError`.
    """
    spec = PROBERS.get(kind)
    if spec is None:
        known = ", ".join(sorted(PROBERS))
        raise ProbeConfigError(f"{where}: unknown probe kind {kind!r} (known kinds: {known})")
    config_type = spec.config_type
    hints = typing.get_type_hints(config_type)
    declared = {f.name: f for f in fields(config_type)}
    unknown = sorted(set(options) - set(declared))
    if unknown:
        allowed = ", ".join(sorted(declared))
        keys = ", ".join(repr(k) for k in unknown)
        hint = _did_you_mean(unknown[0], declared)
        raise ProbeConfigError(
            f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {keys}{hint} "
            f"for probe kind {kind!r}; allowed keys: {allowed}"
        )
    values: dict[str, object] = {}
    for key, spec_field in declared.items():
        if key not in options:
            if spec_field.default is MISSING and spec_field.default_factory is MISSING:
                raise ProbeConfigError(
                    f"{where}: missing required key {key!r} for probe kind {kind!r}"
                )
            continue
        values[key] = _coerce(key, options[key], hints[key], where)
    try:
        return config_type(**values)
    except ProbeConfigError as err:
        raise ProbeConfigError(f"{where}: {err}") from None


def _did_you_mean(key: str, declared: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(key, list(declared), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


_TYPE_NAMES: dict[type, str] = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "a string",
}


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int):
        return f"{value} (an integer)"
    if isinstance(value, float):
        return f"{value} (a number)"
    if isinstance(value, str):
        return f"{value!r} (a string)"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "a table"
    return f"a {type(value).__name__}"


def _coerce(key: str, value: object, annotation: object, where: str) -> object:
    """Check ``value`` against a field annotation (``T`` or ``T | None``, T a scalar)."""
    wanted = annotation
    optional = False
    if isinstance(annotation, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(members) < len(typing.get_args(annotation))
        if len(members) != 1:
            raise TypeError(f"unsupported config field type {annotation!r} for {key}")
        wanted = members[0]
    if value is None and optional:
        return None
    if not isinstance(wanted, type) or wanted not in _TYPE_NAMES:
        raise TypeError(f"unsupported config field type {annotation!r} for {key}")
    if wanted is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, wanted) and (wanted is bool or not isinstance(value, bool)):
        return value
    raise ProbeConfigError(f"{where}: {key} must be {_TYPE_NAMES[wanted]}, got {_describe(value)}")
