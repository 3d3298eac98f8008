"""``pantau-agent check | status | survey``: the technician's readiness tools."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Add the technician commands' parsers (each with ``set_defaults(handler=...)``)."""
