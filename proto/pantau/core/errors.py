"""The root of every error Pantau raises on purpose.

Each side has one root of its own below this one (``agent.errors.AgentError``,
``collector.errors.CollectorError``); the errors of the shared domain (a bad TPS
code, a bad configuration file) derive from :class:`PantauError` directly, so
either side can catch "ours, with a message meant for a person" in one clause
without catching programming errors.
"""

from __future__ import annotations


class PantauError(Exception):
    """An expected failure with a message written for the person who reads it."""


class ProtocolError(PantauError):
    """A message broke the wire contract (``pantau.v1``). Never raised directly."""


class LocalProtocolError(ProtocolError):
    """We were about to break the contract: a bug on this side, not the peer's."""


class RemoteProtocolError(ProtocolError):
    """The peer broke the contract: its message is refused, with this as the reason."""
