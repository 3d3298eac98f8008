"""The tickets of a window (the after-action export and the uptime report read them),
on both backends: overlap at the window's edges, filters, order and limit."""

from __future__ import annotations

from collector.store.base import Store

_S = 10**9
A, B, C = "3171011001001", "3171011001002", "5171011001003"
TSEL, XL = "510-10", "510-11"


def _ticket(
    store: Store, site: str, operator: str, first_bad_s: int, resolved_s: int | None
) -> int:
    change = store.raise_problem(
        site, operator, "NO_SERVICE", route="noc", first_bad_ns=first_bad_s * _S,
        last_bad_ns=first_bad_s * _S, evidence={}, historical=False, now_ns=first_bad_s * _S,
        reopen_window_ns=0,
    )  # fmt: skip
    if resolved_s is not None:
        cleared = store.clear_problem(
            site, operator, "NO_SERVICE", resolved_ns=resolved_s * _S, now_ns=resolved_s * _S
        )
        assert cleared is not None
    return int(change.ticket.id)


def test_tickets_overlapping_a_window(store: Store) -> None:
    before = _ticket(store, A, TSEL, 100, 200)  # resolved as the window starts: out
    across_start = _ticket(store, B, TSEL, 150, 250)
    inside = _ticket(store, C, XL, 300, 400)
    still_open = _ticket(store, A, XL, 450, None)
    at_end = _ticket(store, B, XL, 600, None)  # begins as the window ends: out
    found = store.tickets_in_window(200 * _S, 600 * _S)
    assert [t.id for t in found] == [across_start, inside, still_open]  # oldest trouble first
    assert before not in [t.id for t in found] and at_end not in [t.id for t in found]
    assert [t.id for t in store.tickets_in_window(200 * _S, 600 * _S, operator=XL)] == [
        inside,
        still_open,
    ]
    assert [t.id for t in store.tickets_in_window(0, 10**4 * _S, site_prefix="51")] == [inside]
    assert [t.id for t in store.tickets_in_window(0, 10**4 * _S, limit=2)] == [before, across_start]
