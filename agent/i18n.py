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

Fields named ``error`` and ``reason`` (:data:`TECHNICAL_FIELDS`) carry technical text:
an exception's words, a library's reason. English shows it as it is; Indonesian shows
its phrase (:mod:`agent.errwords`) and never the English words. Text already in the
reader's language goes in such a field as :class:`Localized`.

A key may have an English singular, ``en_one``, used when the field ``n`` is 1
("1 reading", not "1 readings"); Indonesian nouns do not change.
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
CATALOGUES: Final = (
    "common",
    "check",
    "init",
    "survey",
    "status",
    "modem",
    "cells",
    "live",
    "operators",
)

Catalogue = dict[str, dict[str, str]]

_loaded: Catalogue | None = None


#: Fields whose text is technical (see the module docstring).
TECHNICAL_FIELDS: Final = frozenset({"error", "reason"})


class Localized(str):
    """Text in the reader's language, passed in a technical field (shown as it is)."""

    __slots__ = ()


class Detail(str):
    """Technical text that only its own words explain (a config file's error naming the
    key): Indonesian shows it in the marked technical part, never as a phrase."""

    __slots__ = ()


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
        template = texts[self.lang]
        if fields.get("n") == 1:
            template = texts.get(f"{self.lang}_one", template)
        if self.lang != "en":
            fields = {k: self._field(k, v) for k, v in fields.items()}
        return template.format(**fields)

    def _field(self, name: str, value: object) -> object:
        """A field in this (non-English) language: technical text as a phrase, a
        fraction with a decimal comma (``20,5``)."""
        if name in TECHNICAL_FIELDS:
            return self.technical(value)
        if isinstance(value, float):
            text = f"{value:.6f}".rstrip("0").rstrip(".")
            return "0" if text == "-0" else text.replace(".", ",")
        return value

    def technical(self, value: object) -> str:
        """A technical text in this language (English: as it is)."""
        if isinstance(value, Localized) or self.lang == "en":
            return str(value)
        text = str(value)
        if not text.strip() or text.strip() == "-":
            return text
        from agent.errwords import phrase_code

        code = "detail" if isinstance(value, Detail) else phrase_code(text)
        return self(f"common.err.{code}", detail=Localized(text))

    def has(self, key: str) -> bool:
        return key in catalogue()
