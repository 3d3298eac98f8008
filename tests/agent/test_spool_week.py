"""A week offline at the default schedule: the spool stays within its bound, drops
by policy (lowest priority, oldest first) and reports exactly what it dropped."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from agent.clock import Stamp
from agent.records import PRIORITY, Body, kind_of, make_record
from agent.service import overflow_record
from agent.spool import Spool
from pantau.v1 import records_pb2

WEEK_S = 7 * 24 * 3600
FLUSH_S = 300  # simulated flushes every 5 minutes keep the test fast; same bytes


def _bodies() -> dict[str, tuple[int, Body]]:
    signal = records_pb2.SignalReading(
        rat=records_pb2.RAT_LTE, reg_state=records_pb2.REG_STATE_HOME, mcc="510", mnc="10",
        operator_name="Telkomsel", tac=0x2F1, cell_id=0x1A2B3C4, pci=123, earfcn=1850, band=3,
        rssi_dbm=-65, rsrp_dbm=-93, rsrq_db=-11.5, sinr_db=14, csq=24, dialect="quectel",
    )  # fmt: skip
    ping = records_pb2.PingResult(
        method="icmp-raw", sent=5, received=5, min_ms=41.2, median_ms=48.1, avg_ms=49.0,
        max_ms=61.7, stddev_ms=6.2, jitter_ms=5.1, loss_ratio=0.0, payload_bytes=56,
        interval_ms=200,
    )  # fmt: skip
    ping.common.probe_name = "ping-collector"
    ping.common.target = "collector.pantau.example"
    ping.common.status = records_pb2.PROBE_STATUS_OK
    for i in range(5):
        ping.packets.add(icmp_seq=i + 1, rtt_ms=45.0 + i)
    dns = records_pb2.DnsResult(
        query_name="kpu.go.id", query_type="A", query_ms=35.0, rcode="NOERROR"
    )
    dns.common.status = records_pb2.PROBE_STATUS_OK
    dns.answers.add(name="kpu.go.id", type="A", data="203.0.113.7", ttl_s=300)
    http = records_pb2.HttpResult(url="https://kpu.go.id/", method="GET", status_code=200,
                                  connect_ms=50, tls_ms=120, first_byte_ms=300, total_ms=450,
                                  body_bytes=20000)  # fmt: skip
    throughput = records_pb2.ThroughputResult(direction=records_pb2.DIRECTION_DOWNLOAD,
                                              payload_bytes=2_000_000, duration_ms=3000,
                                              goodput_bps=5.3e6, stop_reason="byte-cap")  # fmt: skip
    return {
        "signal": (30, signal),
        "ping": (60, ping),
        "dns": (300, dns),
        "http": (900, http),
        "throughput": (6 * 3600, throughput),
    }


def test_a_week_offline_stays_within_the_bound_and_reports_every_drop(tmp_path: Path) -> None:
    bound = 4 * 1024 * 1024
    spool = Spool(tmp_path / "spool.sqlite", max_bytes=bound, overflow_record=overflow_record)
    schedule = _bodies()
    produced: Counter[str] = Counter()
    seq_kind: dict[int, str] = {}
    for t in range(0, WEEK_S, FLUSH_S):
        rows = []
        for kind, (interval, body) in schedule.items():
            for tick in range(t, t + FLUSH_S):
                if tick % interval == 0:
                    stamp = Stamp(tick * 10**9, tick * 10**9, "boot", clock_synced=False)
                    rows.append(
                        (kind, PRIORITY[kind], make_record(stamp, body).SerializeToString())
                    )
                    produced[kind] += 1
        for seq, (kind, _, _) in zip(spool.append(rows), rows, strict=True):
            seq_kind[seq] = kind
        assert spool.backlog().bytes <= bound

    kept = spool.read_after(0, max_bytes=1 << 30, max_records=10**7)
    kept_records = [records_pb2.Record.FromString(payload) for _, payload in kept]
    remaining = Counter(kind_of(getattr(r, r.WhichOneof("body"))) for r in kept_records)
    overflows = [r.event for r in kept_records if r.WhichOneof("body") == "event"]
    assert overflows, "the bound was never reached: the test proves nothing"
    reported: Counter[str] = Counter()
    for event in overflows:
        assert event.kind == records_pb2.AgentEvent.KIND_SPOOL_OVERFLOW
        assert event.dropped_records == sum(event.dropped_by_kind.values())
        reported.update(dict(event.dropped_by_kind))
    # Every produced record is either still in the spool or reported dropped.
    for kind, count in produced.items():
        assert remaining[kind] + reported[kind] == count, kind
    # Policy: signal (priority 2) is kept whole; low-value kinds went first.
    assert reported["signal"] == 0 and remaining["signal"] == produced["signal"]
    assert reported["dns"] > 0 and reported["http"] > 0
    print(f"produced {dict(produced)} dropped {dict(reported)} kept {dict(remaining)}")
    # Within a kind the oldest went first: what is left of it is the newest suffix.
    for kind in ("ping", "dns", "http"):
        kept_seqs = [seq for seq, _ in kept if seq_kind.get(seq) == kind]
        all_seqs = sorted(s for s, k in seq_kind.items() if k == kind)
        assert kept_seqs == all_seqs[len(all_seqs) - len(kept_seqs) :]
    spool.close()
