"""Cursor paging for the API's lists: opaque tokens over keyset positions (pure).

A list answers at most ``limit`` items and ``next_cursor``: null on the last page,
else a token to pass back as ``cursor`` for the items after these. The token is
base64url (no padding) of a small JSON array, ``[list name, *position]``: the
position is the last item's key in the list's order (a ticket id, a site code, a
record's (event time, agent, seq)), never an offset, so items written meanwhile
neither repeat nor go missing from the pages still to come. Clients must treat it
as opaque; a token that is not one this API gave out for that list is a 400
``bad_cursor``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import NoReturn

from collector.web.context import ApiError

#: The longest token accepted (a measurements position is about 100 characters).
MAX_CURSOR = 400
CURSOR_SCHEMA = {
    "type": "string",
    "pattern": f"^[A-Za-z0-9_-]{{1,{MAX_CURSOR}}}$",
    "description": "next_cursor of the previous page (opaque)",
}

Position = tuple[int | str, ...]


def encode(name: str, position: Sequence[int | str]) -> str:
    """The token of ``position`` in the list ``name``."""
    raw = json.dumps([name, *position], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode(token: str, name: str, shape: Sequence[type]) -> Position:
    """The position a token of the list ``name`` holds, typed as ``shape`` says; an
    :class:`ApiError` (400 ``bad_cursor``) for anything else."""
    if len(token) > MAX_CURSOR:
        _bad(f"cursor is longer than {MAX_CURSOR} characters")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        _bad("cursor is not a token this API gave out (pass next_cursor back unchanged)")
    if not isinstance(value, list) or not value or value[0] != name:
        _bad(f"cursor is not one of the {name} list (pass that list's next_cursor)")
    position = value[1:]
    if len(position) != len(shape) or not all(map(_fits, position, shape)):
        _bad(f"cursor does not hold a position in the {name} list")
    return tuple(position)


def _fits(value: object, kind: type) -> bool:
    if isinstance(value, bool) or not isinstance(value, kind):
        return False
    return not isinstance(value, int) or -(2**63) <= value < 2**63


def _bad(message: str) -> NoReturn:
    raise ApiError(400, "bad_cursor", message)
