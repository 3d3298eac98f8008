"""The networks a site has been seen on, found again in its stored readings.

Since schema v7 the ingest keeps every network a site's readings name
(``site_operators``), and the migration filled it from each site's latest reading
and its tickets. A site whose latest reading named no network at the upgrade (its
modem searching) and that has no ticket about one would stay invisible to its
network's accounts until it is heard on the network again; :func:`backfill` reads
such sites' stored signal readings of the last :data:`WINDOW_DAYS` days (at most
:data:`READINGS` each) and adds the networks they name. The collector runs it once
at start, in a worker thread; it costs nothing when every site has a network.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from collector import measurements
from collector.store import Store
from collector.store.model import StoredRecord
from pantau.core.operators import network_of

log = logging.getLogger(__name__)

WINDOW_DAYS = 30
READINGS = 10_000
#: Sites read at a time.
CHUNK = 100
_DAY_NS = 86_400 * 1_000_000_000


def networks_in(records: Iterable[StoredRecord]) -> dict[str, int]:
    """Each network the signal readings name, with the earliest event time naming it."""
    found: dict[str, int] = {}
    for stored in records:
        if stored.kind != "signal":
            continue
        record = measurements.decode(stored)
        if record is None or not record.HasField("signal"):
            continue
        s = record.signal
        network = network_of(
            s.mcc if s.HasField("mcc") else None, s.mnc if s.HasField("mnc") else None
        )
        if network is not None:
            found[network] = min(found.get(network, stored.event_ns), stored.event_ns)
    return found


def backfill(store: Store, *, now_ns: int) -> int:
    """Add the networks found in the stored readings of the sites that have none;
    the number of (site, network) pairs added."""
    codes = store.sites_without_networks()
    added = 0
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start : start + CHUNK]
        since = now_ns - WINDOW_DAYS * _DAY_NS
        records = store.newest_records_of_sites(chunk, since, ("signal",), READINGS)
        rows = [
            (code, network, first_ns)
            for code in chunk
            for network, first_ns in sorted(networks_in(records.get(code, ())).items())
        ]
        store.add_site_networks(rows)
        added += len(rows)
    if added:
        log.info("found %d networks of %d sites in their stored readings", added, len(codes))
    return added
