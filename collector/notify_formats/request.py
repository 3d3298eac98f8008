"""What a route format is given (:class:`Target`) and what it returns (:class:`Request`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Target:
    """The route, as a format sees it (no secrets but the one it must send)."""

    name: str
    routing_key: str = field(default="", repr=False)  # PagerDuty's integration key
    source: str = "pantau"  # this system's name in the receiver (sourceSystemId, source)


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request: ``path`` is appended to the route's URL ("" for the URL itself)."""

    document: Any  # JSON-ready
    method: str = "POST"
    path: str = ""
