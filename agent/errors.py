"""The agent's root error: every failure the kit expects derives from :class:`AgentError`.

The modem's errors (``agent.modem.errors``), the spool's, the channel's and the
probes' configuration errors are all below it, so the service and the technician's
commands can tell "an expected fault, with a message for a person" from a bug.
"""

from __future__ import annotations

from pantau.core.errors import PantauError


class AgentError(PantauError):
    """An expected failure on the kit, with a message written for a person."""
