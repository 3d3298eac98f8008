"""Talking to the technician: every line through the message catalogue.

``Ui.ask`` reads an answer from the terminal (with a default shown in brackets);
``Ui.say`` / ``Ui.error`` print a message. Ctrl-D (end of input) is an abort, like
Ctrl-C. Unattended (``--yes``, or no terminal), nothing is ever asked: the command
works from flags and the existing config, and says which flag is missing.
"""

from __future__ import annotations

import sys
from typing import TextIO

from agent.errors import AgentError
from agent.i18n import Messages

YES = frozenset({"y", "ya", "yes", "iya", "ok"})
NO = frozenset({"n", "no", "t", "tidak", "tdk", "gak", "nggak"})


class Aborted(AgentError):
    """The technician stopped ``init`` (Ctrl-C, Ctrl-D)."""


class Ui:
    def __init__(
        self,
        m: Messages,
        *,
        interactive: bool,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.m = m
        self.interactive = interactive
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    def say(self, key: str, /, **fields: object) -> None:
        print(self.m(key, **fields), file=self.out, flush=True)

    def line(self, text: str = "") -> None:
        """A line of data (a path, a table row), not a sentence."""
        print(text, file=self.out, flush=True)

    def error(self, key: str, /, **fields: object) -> None:
        print(
            self.m(key, **fields), file=self.err if not self.interactive else self.out, flush=True
        )

    def ask(self, key: str, /, default: str = "", **fields: object) -> str:
        """Ask a question; the answer stripped, or ``default`` for an empty one."""
        assert self.interactive, "ask() is for interactive runs"
        prompt = self.m(key, **fields)
        if default:
            prompt += f" [{default}]"
        try:
            answer = input(prompt + ": ")
        except EOFError:
            print(file=self.out)
            raise Aborted from None
        return answer.strip() or default

    def confirm(self, key: str, /, default: bool = True, **fields: object) -> bool:
        hint = self.m(
            "init.prompt.yes_no_default_yes" if default else "init.prompt.yes_no_default_no"
        )
        while True:
            answer = self._ask_raw(f"{self.m(key, **fields)} {hint}: ")
            if not answer:
                return default
            if answer.lower() in YES:
                return True
            if answer.lower() in NO:
                return False
            self.say("init.prompt.yes_no_again")

    def _ask_raw(self, prompt: str) -> str:
        try:
            return input(prompt).strip()
        except EOFError:
            print(file=self.out)
            raise Aborted from None
