"""``pantau-agent init``: set up a kit (interactive or scripted with flags)."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Add the ``init`` parser (with ``set_defaults(handler=...)``)."""
