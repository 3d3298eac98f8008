"""A site's networks: every one its readings have named, kept at ingest (both backends)."""

from __future__ import annotations

import time

from storekit import OTHER_SITE, SITE, batch

from collector.batches import prepare
from collector.clocks import Anchor
from collector.site_networks import backfill
from collector.store.base import Store
from collector.store.model import IngestBatch, RecordRow, SignalState
from collector.web.seed import signal_record
from pantau.v1 import records_pb2, telemetry_pb2

_S = 10**9


def _reading(batch_: telemetry_pb2.Batch, seq: int, mcc: str | None, mnc: str | None) -> None:
    r = batch_.records.add(
        seq=seq, time=records_pb2.RecordTime(wall_unix_ns=seq, monotonic_ns=seq, boot_id="b1")
    )
    r.signal.rat = records_pb2.RAT_LTE
    if mcc is not None and mnc is not None:
        r.signal.mcc, r.signal.mnc = mcc, mnc
    else:
        r.signal.reg_state = records_pb2.REG_STATE_SEARCHING


def test_a_batch_names_every_network_its_readings_name_not_only_the_latest() -> None:
    wire = telemetry_pb2.Batch()
    readings = [("510", "10"), ("510", "011"), ("51x", "10"), ("510", "1"), ("510", "10")]
    for seq, (mcc, mnc) in enumerate(readings, start=1):
        _reading(wire, seq, mcc, mnc)
    _reading(wire, 6, None, None)  # the latest: searching, no network
    out = prepare(
        wire, agent_id="a", site_code=SITE, anchors={"b1": Anchor(0, 10**12)}, received_ns=10**12
    )
    assert out.operators == ("510-10", "510-11")  # garbage is no network
    assert out.signal is not None and out.signal.mcc is None


def test_networks_are_kept_at_ingest_and_outlive_a_reading_without_one(store: Store) -> None:
    store.add_agent("kit-1", SITE, "h")
    store.add_agent("kit-2", OTHER_SITE, "h")
    telkomsel = SignalState(1, "lte", "home", "510", "10", "T", 1, -90.0, -9.0, 5.0, None)
    searching = SignalState(2, "lte", "searching", None, None, None, None, None, None, None, None)
    first = batch("kit-1", 1, signal=telkomsel)
    first.operators = ("510-11",)  # an older reading of the batch named XL
    store.commit([first, batch("kit-2", 1, site=OTHER_SITE, signal=searching)])
    assert store.networks_of_sites([SITE, OTHER_SITE]) == {SITE: {"510-10", "510-11"}}
    store.commit([batch("kit-1", 2, signal=searching)])  # the modem searches now
    (site,) = store.sites([SITE])
    assert site.signal is not None and site.signal.mcc is None
    assert store.networks_of_sites([SITE]) == {SITE: {"510-10", "510-11"}}
    assert store.networks_of_sites(None) == {SITE: {"510-10", "510-11"}}
    store.commit([batch("kit-1", 2, 3, signal=telkomsel)])  # seen again: kept once
    assert store.networks_of_sites([SITE]) == {SITE: {"510-10", "510-11"}}


def test_sites_without_a_network_get_theirs_from_their_stored_readings(store: Store) -> None:
    """Stored before v7 with the latest reading searching: the readings still name XL."""
    now = time.time_ns()
    store.add_agent("kit-1", SITE, "h")
    store.add_agent("kit-2", OTHER_SITE, "h")
    on_xl = signal_record(1, now - 3600 * _S, mcc="510", mnc="011", name="XL", rsrp=-90,
                          cell_id=3)  # fmt: skip
    also = signal_record(2, now - 1800 * _S, mcc="510", mnc="10", name="T", rsrp=-90, cell_id=4)
    lost = signal_record(3, now - 60 * _S, mcc="510", mnc="11", name="", rsrp=-90, cell_id=1)
    for name in ("mcc", "mnc", "operator_name"):
        lost.signal.ClearField(name)
    rows = [
        RecordRow(r.seq, "signal", r.time.wall_unix_ns, r.time.wall_unix_ns, "synced-wall",
                  r.SerializeToString())
        for r in (on_xl, also, lost)
    ]  # fmt: skip
    # As a collector before v7 stored them: records only, no network kept.
    store.commit([IngestBatch("kit-1", SITE, rows, now)])
    store.commit([IngestBatch("kit-2", OTHER_SITE, [rows[2]], now)])  # never on a network
    assert store.sites_without_networks() == [SITE, OTHER_SITE]
    assert backfill(store, now_ns=now) == 2
    assert store.networks_of_sites(None) == {SITE: {"510-11", "510-10"}}
    assert store.sites_without_networks() == [OTHER_SITE]
    assert backfill(store, now_ns=now) == 0
