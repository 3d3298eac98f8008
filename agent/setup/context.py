"""What every step of ``pantau-agent init`` shares: the exit codes, :class:`Stop`, and
:class:`StepContext` (the parsed flags, the prompt, the messages, the config path).

The steps live one per module beside this one (:mod:`agent.setup.modem_step`,
:mod:`agent.setup.collector_step`, :mod:`agent.setup.service_step`); the command that
runs them in order is :mod:`agent.cli_init`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import AgentError

if TYPE_CHECKING:
    from agent.i18n import Messages
    from agent.setup.prompt import Ui

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_ABORTED = 0, 1, 2, 130


class Stop(AgentError):
    """End ``init`` with an exit code (the message was already shown)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class StepContext:
    """The state every step reads: flags, prompt, messages, the config file's path."""

    args: argparse.Namespace
    ui: Ui
    m: Messages
    config_path: Path
    config_changed: bool
