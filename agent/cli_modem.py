"""``pantau-agent modem ...``: field tools for the modem (read, decode, detect)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add the ``modem`` command group to the agent's CLI."""
    _ = sub, argparse  # the modem tools arrive with the modem issue
