"""Field-level helpers shared by the AT answer parsers (pure functions)."""

from __future__ import annotations

from agent.modem.errors import RemoteProtocolError


class ParseError(RemoteProtocolError, ValueError):
    """A line does not have the expected shape; the message quotes it.

    The modem's fault (a :class:`RemoteProtocolError`); still a ValueError, as it
    always was, for the callers that catch conversions and parses in one clause.
    """


def split_fields(line: str, prefix: str | None = None) -> list[str]:
    """Split ``+X: a,"b,c",d`` into ``["a", "b,c", "d"]`` (quotes removed, stripped).

    ``prefix`` (e.g. "+CSQ:") is removed when given; a line without it is a ParseError.
    """
    body = line.strip()
    if prefix is not None:
        if not body.upper().startswith(prefix.upper()):
            raise ParseError(f"expected a line starting with {prefix!r}, got {line!r}")
        body = body[len(prefix) :]
    out: list[str] = []
    cur: list[str] = []
    quoted = False
    for ch in body:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur).strip())
    return out


def to_int(text: str | None, *, base: int = 10, unknown: tuple[int, ...] = ()) -> int | None:
    """Parse an integer field; empty, "-" or a value in ``unknown`` gives None."""
    if text is None:
        return None
    text = text.strip().strip('"').strip()
    if text in ("", "-", "--"):
        return None
    if base == 16 and text.lower().startswith("0x"):
        text = text[2:]
    try:
        value = int(text, base)
    except ValueError:
        return None
    return None if value in unknown else value


def field_at(fields: list[str], index: int) -> str | None:
    return fields[index] if index < len(fields) else None


def first_line(lines: tuple[str, ...] | list[str] | str, prefix: str) -> str:
    if isinstance(lines, str):
        return lines
    for line in lines:
        if line.upper().startswith(prefix.upper()):
            return line
    raise ParseError(f"no {prefix} line in {list(lines)!r}")
