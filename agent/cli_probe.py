"""``pantau-agent probe KIND TARGET``: one-off probe runs."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add the ``probe`` command to the agent's CLI."""
    _ = sub, argparse  # the one-off probe CLI arrives with the probes issue
