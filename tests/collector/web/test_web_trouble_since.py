"""Since when a site has been in trouble (the map's ``since`` column, the overview's
trouble list): its oldest open ticket's first bad reading, or when it was last heard."""

from __future__ import annotations

import pytest

from collector.query import trouble_since
from collector.store.model import Ticket


def ticket(first_bad_ns: int) -> Ticket:
    return Ticket(
        id=first_bad_ns, site_code="3171011001001", operator="510-10", problem="NO_SERVICE",
        state="open", route="noc", first_bad_ns=first_bad_ns, last_bad_ns=first_bad_ns + 5,
        opened_ns=first_bad_ns + 1, updated_ns=first_bad_ns + 1, resolved_ns=None,
        historical=False, escalated_ns=None, reopen_count=0, reopened_ns=None, evidence={},
        resolved_by=None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "first_bads", "last_seen", "since"),
    [
        ("ok", [], 50, None),
        ("degraded", [30], 50, 30),
        ("down", [40, 20, 30], 50, 20),  # the oldest open ticket
        ("silent", [], 50, 50),  # silent without a ticket: since it was last heard
        ("silent", [], None, None),  # never heard
        ("silent", [10], 50, 10),  # an AGENT_SILENT ticket
    ],
)
def test_trouble_since(
    status: str, first_bads: list[int], last_seen: int | None, since: int | None
) -> None:
    assert trouble_since(status, [ticket(n) for n in first_bads], last_seen) == since
