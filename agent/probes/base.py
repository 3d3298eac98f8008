"""What every prober shares: status, common result fields, the prober shape, config checks.

A prober is ``async def probe(config: C, *, name: str) -> R``: a typed, validated config in,
a typed outcome out. A failed measurement (timeout, refused, unresolvable, ...) is an outcome
with a status and a reason, never an exception; only programming errors raise. Timeouts of
the whole probe, jitter, concurrency and the data budget belong to the caller (the scheduler).

Config classes are frozen dataclasses with defaults; ``__post_init__`` checks values and
raises :class:`ProbeConfigError` with a message naming the field, the rule and the value,
e.g. ``count must be between 1 and 100, got 0``.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from agent.errors import AgentError

__all__ = [
    "Common",
    "ProbeConfigError",
    "ProbeStatus",
    "Prober",
    "check_port",
    "check_range",
    "check_source",
    "check_target",
    "pick",
]


class ProbeStatus(enum.StrEnum):
    """How a probe ended; mirrors ``pantau.v1.ProbeStatus``."""

    OK = "ok"
    TIMEOUT = "timeout"
    UNRESOLVABLE = "unresolvable"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    NOT_PERMITTED = "not-permitted"
    SKIPPED_BUDGET = "skipped-budget"
    ERROR = "error"
    TLS_ERROR = "tls-error"


@dataclass(frozen=True, slots=True)
class Common:
    """Fields every probe outcome carries; mirrors ``pantau.v1.ProbeCommon``."""

    probe_name: str
    target: str  # as configured (host, with port where relevant)
    target_address: str | None  # what the target resolved to and was measured against
    status: ProbeStatus
    reason: str  # human-readable; empty when status is OK
    resolve_ms: float | None  # None for literal addresses or when not reached
    source: str | None  # interface or source address the probe was bound to
    bytes_used: int  # on the air, both directions, headers included (estimated for TCP)


class ProbeConfigError(AgentError, ValueError):
    """A probe configuration is invalid; the message says which field and why."""


C_contra = TypeVar("C_contra", contravariant=True)
R_co = TypeVar("R_co", covariant=True)


class Prober(Protocol[C_contra, R_co]):
    """The one shape of every prober: ``await probe(config, name="ping-collector")``."""

    def __call__(self, config: C_contra, *, name: str) -> Coroutine[Any, Any, R_co]: ...


# Config checks shared by the config dataclasses. Messages read "<field> must ..., got <value>".

_IFNAMSIZ = 16  # Linux interface names are at most 15 bytes


def pick(outcome: object, *names: str) -> dict[str, object]:
    """The named fields of an outcome, in order: a prober's ``summarize`` for ``check``."""
    return {name: getattr(outcome, name) for name in names}


def check_range(field: str, value: float, low: float, high: float) -> None:
    """Raise unless ``low <= value <= high``."""
    if not low <= value <= high:
        raise ProbeConfigError(f"{field} must be between {low} and {high}, got {value!r}")


def check_port(field: str, value: int) -> None:
    check_range(field, value, 1, 65535)


def check_target(field: str, value: str) -> None:
    """A host name or a literal IP address: no scheme, no path, no port, no spaces."""
    if not value:
        raise ProbeConfigError(f"{field} must be a host name or IP address, got an empty string")
    if "://" in value or "/" in value:
        raise ProbeConfigError(
            f"{field} must be a host name or IP address, not a URL or a prefix, got {value!r}"
        )
    if any(ch.isspace() for ch in value):
        raise ProbeConfigError(f"{field} must not contain spaces, got {value!r}")
    if value.count(":") == 1 or value.startswith("["):
        raise ProbeConfigError(
            f"{field} must be a host name or IP address without a port, got {value!r}"
        )


def source_is_address(source: str) -> bool:
    """True when ``source`` is a literal IP address (bind to it), False for an interface name."""
    try:
        ipaddress.ip_address(source)
    except ValueError:
        return False
    return True


def is_dns_name(host: str) -> bool:
    """True when ``host`` is a name a DNS probe can check (not an IP literal, not localhost)."""
    return host != "localhost" and not source_is_address(host.strip("[]"))


def check_source(field: str, value: str | None) -> None:
    """``None``, a literal IP address, or a Linux interface name (e.g. ``wwan0``)."""
    if value is None or source_is_address(value):
        return
    if (
        not value
        or len(value.encode()) >= _IFNAMSIZ
        or "/" in value
        or ":" in value
        or any(ch.isspace() for ch in value)
    ):
        raise ProbeConfigError(
            f"{field} must be an IP address or a network interface name (e.g. 'wwan0'), "
            f"got {value!r}"
        )
