"""Synthetic sites for tests, demos and benchmarks: a store full of plausible TPS kits.

``seed_sites(store, n)`` enrolls ``n`` sites across provinces and three networks
(Telkomsel, Indosat, XL), each with a short history of real ``pantau.v1.Record``
payloads (signal readings, ping rounds, one throughput test) committed the way the
ingest commits them, so every API endpoint has something to decode. Deterministic
for a given ``seed``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from collector import auth
from collector.batches import ping_state, rollup_sample, signal_state
from collector.store import Store
from collector.store.model import IngestBatch, RecordRow
from collector.store.rollups import KIND_FIGURES, Sample
from pantau.core.operators import network_of
from pantau.core.sites import PROVINCES
from pantau.v1 import records_pb2

_S = 1_000_000_000

#: (MCC-MNC, name) of the networks the synthetic kits use, in turn.
NETWORKS = (("510", "10", "Telkomsel"), ("510", "01", "Indosat"), ("510", "11", "XL Axiata"))


@dataclass(frozen=True, slots=True)
class SeededSite:
    code: str
    agent_id: str
    operator: str  # MCC-MNC


def site_code(index: int, province: str) -> str:
    """A valid 13-digit TPS code in ``province`` (kabupaten 01, kecamatan 01)."""
    desa = 1001 + index // 999
    tps = index % 999 + 1
    return f"{province}0101{desa:04d}{tps:03d}"[:13]


def signal_record(
    seq: int,
    wall_ns: int,
    *,
    mcc: str,
    mnc: str,
    name: str,
    rsrp: float,
    cell_id: int,
    lat: float | None = None,
    lon: float | None = None,
) -> records_pb2.Record:
    r = records_pb2.Record(seq=seq, time=_stamp(wall_ns))
    s = r.signal
    s.rat = records_pb2.RAT_LTE
    s.reg_state = records_pb2.REG_STATE_HOME
    s.sim_state = records_pb2.SIM_STATE_READY
    s.mcc, s.mnc, s.operator_name = mcc, mnc, name
    s.cell_id = cell_id
    s.rsrp_dbm = rsrp
    s.rsrq_db = round(-8 - (rsrp + 80) / -10, 1)
    s.sinr_db = round((rsrp + 120) / 3, 1)
    s.rssi_dbm = rsrp + 25
    s.dialect = "3gpp"
    if lat is not None and lon is not None:
        s.lat_deg, s.lon_deg = lat, lon
    return r


def ping_record(
    seq: int, wall_ns: int, *, rtts: Sequence[float | None], target: str = "8.8.8.8"
) -> records_pb2.Record:
    r = records_pb2.Record(seq=seq, time=_stamp(wall_ns))
    p = r.ping
    p.common.probe_name = "ping-dns"
    p.common.target = target
    p.common.status = records_pb2.PROBE_STATUS_OK
    p.method = "icmp-dgram"
    p.sent = len(rtts)
    got = sorted(x for x in rtts if x is not None)
    p.received = len(got)
    for i, rtt in enumerate(rtts):
        packet = p.packets.add(icmp_seq=i + 1)
        if rtt is not None:
            packet.rtt_ms = rtt
    if got:
        p.min_ms, p.max_ms = got[0], got[-1]
        p.median_ms = got[len(got) // 2]
    p.loss_ratio = 1 - len(got) / len(rtts) if rtts else 0.0
    return r


def throughput_record(seq: int, wall_ns: int, *, mbps: float) -> records_pb2.Record:
    r = records_pb2.Record(seq=seq, time=_stamp(wall_ns))
    t = r.throughput
    t.common.probe_name = "throughput-down"
    t.common.target = "collector:7601"
    t.common.status = records_pb2.PROBE_STATUS_OK
    t.direction = records_pb2.DIRECTION_DOWNLOAD
    t.duration_ms = 5000.0
    t.payload_bytes = int(mbps * 1e6 / 8 * 5)
    t.goodput_bps = mbps * 1e6
    return r


def _stamp(wall_ns: int) -> records_pb2.RecordTime:
    return records_pb2.RecordTime(
        wall_unix_ns=wall_ns, monotonic_ns=wall_ns, boot_id="seed-boot", clock_synced=True
    )


def batch_of(
    agent_id: str, code: str, records: Sequence[records_pb2.Record], received_ns: int
) -> IngestBatch:
    """Records (kit wall clock trusted) as the ingest would commit them."""
    rows = []
    samples: list[Sample | None] = []
    signal = ping = None
    network = ""
    for r in records:
        kind = r.WhichOneof("body")
        assert kind is not None
        if kind == "signal":
            network = network_of(r.signal.mcc, r.signal.mnc) or ""
        samples.append(
            rollup_sample(kind, getattr(r, kind), r.time.wall_unix_ns, network)
            if kind in KIND_FIGURES
            else None
        )
        rows.append(
            RecordRow(
                r.seq, kind, r.time.wall_unix_ns, r.time.wall_unix_ns, "synced-wall",
                r.SerializeToString(),
            )
        )  # fmt: skip
        if kind == "signal":
            signal = signal_state(r.time.wall_unix_ns, r.signal)
        elif kind == "ping":
            ping = ping_state(r.time.wall_unix_ns, r.ping)
    return IngestBatch(agent_id, code, rows, received_ns, signal, ping, samples=tuple(samples))


def seed_sites(
    store: Store,
    n: int,
    *,
    now_ns: int | None = None,
    seed: int = 0,
    history: int = 6,
    interval_s: float = 600.0,
    gnss_every: int = 4,
    provinces: Sequence[str] | None = None,
) -> list[SeededSite]:
    """Enroll ``n`` synthetic sites with ``history`` readings each (every ``interval_s``,
    the newest at ``now_ns``); every ``gnss_every``-th kit reports a GNSS position."""
    rng = random.Random(seed)
    now = time.time_ns() if now_ns is None else now_ns
    chosen = list(provinces or PROVINCES)
    sites: list[SeededSite] = []
    pending: list[IngestBatch] = []
    from collector.geo import fallback_point

    for i in range(n):
        province = chosen[i % len(chosen)]
        code = site_code(i // len(chosen), province)
        mcc, mnc, name = NETWORKS[i % len(NETWORKS)]
        agent_id = f"kit-{code}"
        store.add_agent(agent_id, code, auth.hash_secret(f"seed-{code}"))
        base = rng.uniform(-112, -75)
        cell = 100_000 + i * 10
        position = fallback_point(code) if gnss_every and i % gnss_every == 0 else None
        records: list[records_pb2.Record] = []
        for h in range(history):
            at = now - int((history - 1 - h) * interval_s * _S)
            if h == history - 1 and i % 7 == 3:
                cell += 1  # a handover in the newest reading
            records.append(
                signal_record(
                    len(records) + 1, at, mcc=mcc, mnc=mnc, name=name,
                    rsrp=round(base + rng.uniform(-3, 3), 1), cell_id=cell,
                    lat=position[0] if position else None, lon=position[1] if position else None,
                )
            )  # fmt: skip
            rtts: list[float | None] = [round(rng.uniform(20, 90), 2) for _ in range(5)]
            if rng.random() < 0.2:
                rtts[rng.randrange(5)] = None
            records.append(ping_record(len(records) + 1, at + _S, rtts=rtts))
        records.append(throughput_record(len(records) + 1, now, mbps=round(rng.uniform(1, 40), 2)))
        pending.append(batch_of(agent_id, code, records, now))
        sites.append(SeededSite(code, agent_id, f"{mcc}-{mnc}"))
        if len(pending) >= 256:
            store.commit(pending)
            pending = []
    if pending:
        store.commit(pending)
    return sites


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m collector.web.seed --data-dir DIR --sites N``: fill a store."""
    import argparse

    from collector.store import open_store

    parser = argparse.ArgumentParser(
        prog="python -m collector.web.seed", description="Fill a store with synthetic sites."
    )
    parser.add_argument("--data-dir", type=Path, default=Path("pantau-data"))
    parser.add_argument("--store", default="", metavar="URL", help="postgresql://... instead")
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--history", type=int, default=6, help="readings per site")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not 1 <= args.sites <= 1_000_000 or not 1 <= args.history <= 10_000:
        parser.error("--sites must be 1-1000000 and --history 1-10000")
    store = open_store(args.store or args.data_dir / "collector.sqlite")
    try:
        started = time.monotonic()
        seeded = seed_sites(store, args.sites, history=args.history, seed=args.seed)
    finally:
        store.close()
    print(f"seeded {len(seeded)} sites in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
