"""Technician-facing messages in Bahasa Indonesia and English.

Every message a technician reads (``init``, ``check``, ``survey``, ``status``) has a
key and a text in both languages, kept in the catalogue modules of
:mod:`agent.messages` (one per command, plus ``common``). Code never writes a
technician-facing sentence inline: it asks a :class:`Messages` for a key::

    m = Messages("id")
    print(m("check.verdict.ready"))
    print(m("check.signal.rsrp", value=-95))

Texts are :meth:`str.format` templates; both languages of a key must use the same
placeholders (``tests/agent/test_i18n.py`` checks every key, and that every key the
code asks for exists). Logs and developer errors stay in English.
"""

from __future__ import annotations

import importlib
import os
import string
from collections.abc import Mapping
from typing import Final

#: Supported languages: Bahasa Indonesia first, the language of most technicians.
LANGS: Final = ("id", "en")

#: The catalogue modules under ``agent.messages``; each defines ``MESSAGES``.
CATALOGUES: Final = ("common", "check", "init", "survey", "status", "cells")

Catalogue = dict[str, dict[str, str]]

_loaded: Catalogue | None = None


class MessageError(KeyError):
    """A message key that no catalogue defines (a bug: tests catch it).

    Deliberately *not* an :class:`agent.errors.AgentError`: that root means "an expected
    fault, with a message for a person", and a handler catching it must not swallow a
    missing message, which is a programming error.
    """


def catalogue() -> Catalogue:
    """Every message, merged from the catalogue modules (loaded once)."""
    global _loaded  # noqa: PLW0603 - a process-wide, load-once cache
    if _loaded is None:
        merged: Catalogue = {}
        for name in CATALOGUES:
            try:
                module = importlib.import_module(f"agent.messages.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"agent.messages.{name}":
                    raise
                continue
            for key, texts in module.MESSAGES.items():
                if key in merged:
                    raise ValueError(f"message {key!r} is defined twice (agent.messages.{name})")
                merged[key] = texts
        _loaded = merged
    return _loaded


def placeholders(template: str) -> set[str]:
    """The named fields of a format template (``"{n} of {total}"`` -> ``{"n", "total"}``)."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def default_lang(env: Mapping[str, str] | None = None) -> str:
    """The language from the locale: ``id`` when it is Indonesian, else ``en``.

    ``PANTAU_LANG`` wins; then the POSIX order LANGUAGE, LC_ALL, LC_MESSAGES, LANG.
    """
    env = os.environ if env is None else env
    chosen = env.get("PANTAU_LANG", "").strip().lower()
    if chosen in LANGS:
        return chosen
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if not value:
            continue
        first = value.split(":")[0].lower()
        return "id" if first.startswith(("id", "in_")) else "en"
    return "en"


def check_lang(lang: str) -> str:
    """``lang`` if supported; a clear ValueError (for argparse) if not."""
    lang = lang.strip().lower()
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    return lang


class Messages:
    """Messages in one language: ``m(key, **fields)`` returns the text."""

    def __init__(self, lang: str | None = None) -> None:
        self.lang = check_lang(lang) if lang else default_lang()

    def __call__(self, key: str, /, **fields: object) -> str:
        texts = catalogue().get(key)
        if texts is None:
            raise MessageError(f"no message {key!r}")
        return texts[self.lang].format(**fields)

    def has(self, key: str) -> bool:
        return key in catalogue()
