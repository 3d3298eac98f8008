"""The shared storage suite, values from kits (issue 13): on SQLite and PostgreSQL alike, a
live state from the future is replaced by the next present one, an absent loss ratio and
the widest valid cell id are kept, and a non-finite figure stored before the ingest
judged values reads as absent (it must never reach a JSON writer)."""

from __future__ import annotations

import math
from dataclasses import replace

from storebackends import Backend
from storekit import MINUTE, SECOND, SITE, T0, batch, ping, signal

from collector.store.base import Store
from collector.store.model import PingState

YEAR_2100 = 4_102_444_800 * SECOND


def test_a_live_state_from_the_future_is_replaced_by_the_next_present_one(store: Store) -> None:
    store.add_agent("kit-1", SITE, "h")
    # Stored by a collector that did not judge future times: it pins the live view...
    store.commit([batch("kit-1", 1, signal=signal(YEAR_2100, -60.0), ping=ping(YEAR_2100, 9.0))])
    present = batch("kit-1", 2, received_ns=T0, signal=signal(T0, -100.0), ping=ping(T0, 30.0))
    # ...unless the batch says where the future starts (its arrival plus the tolerance).
    store.commit([present])
    (site,) = store.sites([SITE])
    assert site.signal is not None and site.signal.event_ns == YEAR_2100
    store.commit([replace(present, future_after_ns=T0 + 5 * MINUTE)])
    (site,) = store.sites([SITE])
    assert site.signal is not None and site.ping is not None
    assert (site.signal.event_ns, site.signal.rsrp_dbm) == (T0, -100.0)
    assert (site.ping.event_ns, site.ping.median_ms) == (T0, 30.0)
    # An older reading still never replaces a newer present one.
    older = replace(present, signal=signal(T0 - MINUTE, -70.0), future_after_ns=T0 + 5 * MINUTE)
    store.commit([older])
    (site,) = store.sites([SITE])
    assert site.signal is not None and site.signal.rsrp_dbm == -100.0


def test_absent_loss_the_widest_cell_id_and_non_finite_figures(
    store: Store, backend: Backend
) -> None:
    store.add_agent("kit-1", SITE, "h")
    wide = replace(signal(T0, -90.0), cell_id=2**36 - 1)
    store.commit([batch("kit-1", 1, signal=wide, ping=PingState(T0, "t", "icmp", None, None))])
    (site,) = store.sites([SITE])
    assert site.signal is not None and site.signal.cell_id == 2**36 - 1
    assert site.ping is not None and site.ping.loss_ratio is None
    # A collector before this one stored what the kit sent: +Infinity and NaN.
    raw = backend.raw()
    try:
        raw.execute(
            "UPDATE site_state SET rsrp_dbm = ?, sinr_db = ?, ping_loss_ratio = ?",
            (math.inf, -math.inf, math.inf),
        )
        raw.commit()
    finally:
        raw.close()
    (site,) = store.sites([SITE])
    assert site.signal is not None and site.ping is not None
    assert (site.signal.rsrp_dbm, site.signal.sinr_db, site.ping.loss_ratio) == (None, None, None)


def test_retention_ages_a_record_from_the_future_by_its_arrival(store: Store) -> None:
    store.add_agent("kit-1", SITE, "h")
    present, future = batch("kit-1", 1, 2, received_ns=T0).rows
    future = replace(future, event_ns=YEAR_2100, time_quality="future")
    store.commit([replace(batch("kit-1", received_ns=T0), rows=[present, future])])
    assert store.prune(T0 - MINUTE, 0).records == 0  # both arrived after the cut-off
    # At T0 + 0.5 s: the future record (arrived at T0) goes; seq 1 (event T0 + 1 s) stays.
    assert store.prune(T0 + SECOND // 2, 0).records == 1
    assert [r.seq for r in store.records()] == [1]
    (site,) = store.sites([SITE])
    assert site.records == 1
