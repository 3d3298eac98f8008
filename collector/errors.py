"""The collector's root error: every failure it expects derives from :class:`CollectorError`.

A refused credential, a bad enrollment code, a rejected batch, a storage failure, a
refused web request: each says whose fault it was by where it sits in the tree
(the kit's input, a person's input, or this collector's own resources).
"""

from __future__ import annotations

from pantau.core.errors import PantauError


class CollectorError(PantauError):
    """An expected failure in the collector, with a message written for a person."""
