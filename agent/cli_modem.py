"""``pantau-agent modem ...``: field tools for the modem.

``read`` and ``detect`` live in :mod:`agent.modem.tools`, ``decode`` in
:mod:`agent.modem.decode`; each module adds its own parser (and keeps its
module-level imports light: pyserial is imported only when a command runs).
"""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Add the ``modem`` command group to the agent's CLI."""
    from agent.modem import decode, tools

    group = sub.add_parser("modem", help="modem field tools: read, decode, detect")
    commands = group.add_subparsers(dest="modem_command", required=True, metavar="MODEM_COMMAND")
    tools.add_parsers(commands)
    decode.add_parser(commands)
