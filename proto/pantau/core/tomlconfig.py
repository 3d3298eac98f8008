"""Typed configuration from TOML: defaults first, then validation, unknown keys rejected.

A configuration is a tree of frozen dataclasses. :func:`load` reads a TOML file and
builds the tree, checking every value against the field's type hint and the
limits in its metadata (``min``, ``max``, ``choices``). Every problem is a
:class:`ConfigError` naming the file, the key and what is expected, e.g.::

    agent.toml: [modem] interval_s: expected a number >= 1, got 0

Part of the shared domain (:mod:`pantau.core`): the agent's and the collector's
configuration files are read the same way.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

from pantau.core.errors import PantauError

T = TypeVar("T")


class ConfigError(PantauError):
    """A configuration file is missing, unreadable, not TOML, or has a bad value."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.detail = message


def setting(default: Any = dataclasses.MISSING, **limits: Any) -> Any:
    """A dataclass field with validation limits: ``min``, ``max``, ``choices``."""
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=limits)
    if isinstance(default, list | dict):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=limits)
    return dataclasses.field(default=default, metadata=limits)


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into a :class:`ConfigError`."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(str(path), "file not found") from None
    except OSError as exc:
        raise ConfigError(str(path), f"cannot read the file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), f"not UTF-8 text (byte {exc.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from None


def load(cls: type[T], path: Path) -> T:
    """Read ``path`` and build ``cls`` from it."""
    return build(cls, read_toml(path), source=str(path))


def build(cls: type[T], data: Mapping[str, Any], *, source: str, where: str = "") -> T:
    """Build dataclass ``cls`` from a mapping, validating every key."""
    if not isinstance(data, Mapping):
        raise ConfigError(source, f"{where or 'top level'}: expected a table, got {_kind(data)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        allowed = ", ".join(sorted(fields))
        close = difflib.get_close_matches(unknown[0], list(fields), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(
            source, f"{_label(where, unknown[0])}: unknown key ({hint}allowed here: {allowed})"
        )
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for name, fld in fields.items():
        if not fld.init:
            continue
        label = _label(where, name)
        if name not in data:
            if fld.default is dataclasses.MISSING and fld.default_factory is dataclasses.MISSING:
                if dataclasses.is_dataclass(hints[name]):
                    raise ConfigError(source, f"[{label}]: required section is missing")
                raise ConfigError(source, f"{label}: required key is missing")
            continue
        values[name] = _convert(hints[name], data[name], source, label, fld.metadata)
    try:
        return cls(**values)
    except ValueError as exc:  # checks in __post_init__ say "key: problem"
        raise ConfigError(source, f"{where} {exc}" if where else str(exc)) from None


def _label(where: str, key: str) -> str:
    if not where:
        return key
    return f"{where} {key}" if where.startswith("[") else f"{where}.{key}"


def _kind(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    for typ, text in names.items():
        if type(value) is typ:
            return f"{text} ({value!r})"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _convert(hint: Any, value: Any, source: str, label: str, limits: Mapping[str, Any]) -> Any:
    origin = get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in get_args(hint) if a is not type(None)]
        return _convert(options[0], value, source, label, limits)
    if origin is typing.Literal:
        choices = get_args(hint)
        if value not in choices:
            expected = ", ".join(repr(c) for c in choices)
            raise ConfigError(source, f"{label}: expected one of {expected}, got {_kind(value)}")
        return value
    if origin in (tuple, list):
        (item_hint, *_) = get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(source, f"{label}: expected an array, got {_kind(value)}")
        if dataclasses.is_dataclass(item_hint):
            items = [
                build(item_hint, item, source=source, where=f"[[{label}]] #{i + 1}")  # type: ignore[arg-type]
                for i, item in enumerate(value)
            ]
        else:
            items = [
                _convert(item_hint, item, source, f"{label}[{i}]", limits)
                for i, item in enumerate(value)
            ]
        return tuple(items) if origin is tuple else items
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise ConfigError(source, f"{label}: expected a table, got {_kind(value)}")
        return dict(value)
    if dataclasses.is_dataclass(hint):
        return build(hint, value, source=source, where=f"[{label}]")  # type: ignore[arg-type]
    return _scalar(hint, value, source, label, limits)


def _scalar(hint: Any, value: Any, source: str, label: str, limits: Mapping[str, Any]) -> Any:
    if hint is bool:
        if type(value) is not bool:
            raise ConfigError(source, f"{label}: expected true or false, got {_kind(value)}")
        return value
    if hint is int:
        ok = type(value) is int
        what = "an integer"
    elif hint is float:
        ok = type(value) in (int, float)
        what = "a number"
    elif hint is str:
        ok = isinstance(value, str)
        what = "a string"
    else:  # pragma: no cover - a schema bug, not a user error
        raise TypeError(f"unsupported config type {hint!r} for {label}")
    lo, hi = limits.get("min"), limits.get("max")
    if lo is not None and hi is not None:
        what += f" between {lo} and {hi}"
    elif lo is not None:
        what += f" >= {lo}"
    elif hi is not None:
        what += f" <= {hi}"
    if not ok:
        raise ConfigError(source, f"{label}: expected {what}, got {_kind(value)}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(source, f"{label}: expected {what}, got {value!r}")
    choices = limits.get("choices")
    if choices is not None and value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ConfigError(source, f"{label}: expected one of {listed}, got {value!r}")
    if hint is float:
        return float(value)
    return value
