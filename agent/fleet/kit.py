"""One simulated kit: its clocks, its measurements and its in-memory spool (pure).

No I/O and no clock of its own: the runner passes the simulated time (which decides
what is due) and the kit's stamp (its boot clock and wall clock, real time). A kit
numbers its records from 1 and keeps every one until it is acked, as the real spool
does; :meth:`SimKit.take` hands out the next unsent run (contiguous seqs) and
:meth:`SimKit.ack` drops what the collector acked. After a reconnect the Welcome's
``acked_through`` trims the spool and sending resumes after it (:meth:`SimKit.resume`).
"""

from __future__ import annotations

import itertools
import math
import random
from collections import deque
from dataclasses import dataclass, field

from agent.clock import Stamp
from agent.fleet.scenario import Cadence, Conditions, KitPlan
from agent.records import Body, make_record
from pantau.v1 import records_pb2

KINDS = ("signal", "ping", "dns", "http")
_TIMEOUT = records_pb2.PROBE_STATUS_TIMEOUT
_OK = records_pb2.PROBE_STATUS_OK


@dataclass(slots=True)
class Spooled:
    seq: int
    body: bytes  # the Record serialised without its seq
    kind: str
    produced: float  # real monotonic seconds, for the lag


@dataclass
class SimKit:
    plan: KitPlan
    agent_id: str
    site: str
    credential: str
    boot_id: str
    boot_offset_ns: int  # the kit's monotonic clock = the process's + this
    rng: random.Random
    next_seq: int = 1
    #: The seq of the first record of this run (above what the collector already had).
    first_seq: int = 1
    welcomed: bool = False
    acked_through: int = 0
    spool: deque[Spooled] = field(default_factory=deque)
    sent_through: int = 0
    due: dict[str, float] = field(default_factory=dict)
    next_batch_s: float = 0.0
    produced_by_kind: dict[str, int] = field(default_factory=dict)
    #: Backlog drain bound, records/s (0: none); the collector may set it (SetBacklogRate).
    backlog_records_per_s: float = 500.0
    base_rsrp: float = -90.0
    cell_id: int = 0

    def __post_init__(self) -> None:
        self.base_rsrp = self.rng.uniform(-105.0, -80.0)
        self.cell_id = self.rng.randrange(1, 2**28)
        if self.plan.cell_id is not None:  # a tower outage's kit: the tower's cell
            self.cell_id = self.plan.cell_id

    def stamp(self, wall_ns: int, monotonic_ns: int) -> Stamp:
        """The kit's stamp from the process's clocks: its own boot clock, and a wall
        clock that a clock-less kit does not have (it counts from 1970 since boot)."""
        mono = monotonic_ns + self.boot_offset_ns
        if self.plan.clockless:
            return Stamp(mono, mono, self.boot_id, False)
        return Stamp(wall_ns, mono, self.boot_id, True)

    # -- producing ---------------------------------------------------------------------------

    def produce(
        self, sim_s: float, cadence: Cadence, world: Conditions, stamp: Stamp, real_s: float
    ) -> int:
        """Measure whatever is due at ``sim_s``; the number of records made."""
        every = {
            "signal": cadence.signal_every_s,
            "ping": cadence.ping_every_s,
            "dns": cadence.dns_every_s,
            "http": cadence.http_every_s,
        }
        made = 0
        for kind in KINDS:
            due = self.due.get(kind)
            if due is None:  # first time: spread kits over the interval
                due = sim_s + self.rng.random() * min(every[kind], 60.0)
                self.due[kind] = due
            if sim_s < due:
                continue
            self.due[kind] = max(due + every[kind], sim_s)
            body = self._measure(kind, world)
            record = make_record(stamp, body)
            self.spool.append(Spooled(self.next_seq, record.SerializeToString(), kind, real_s))
            self.next_seq += 1
            self.produced_by_kind[kind] = self.produced_by_kind.get(kind, 0) + 1
            made += 1
        return made

    def next_measurement(self) -> float:
        """When the next measurement is due (simulated seconds; ``inf``: none planned)."""
        return min(self.due.values(), default=math.inf)

    def _measure(self, kind: str, world: Conditions) -> Body:
        rng = self.rng
        if kind == "signal":
            if not world.service:
                return records_pb2.SignalReading(
                    rat=records_pb2.RAT_NONE, reg_state=records_pb2.REG_STATE_SEARCHING,
                    sim_state=records_pb2.SIM_STATE_READY, dialect="fleet",
                )  # fmt: skip
            mcc, mnc = self.plan.operator.split("-")
            return records_pb2.SignalReading(
                rat=records_pb2.RAT_LTE,
                reg_state=records_pb2.REG_STATE_HOME,
                sim_state=records_pb2.SIM_STATE_READY,
                mcc=mcc,
                mnc=mnc,
                tac=self.cell_id % 65000 + 1,
                cell_id=self.cell_id,
                rsrp_dbm=round(self.base_rsrp - world.rsrp_drop_db + rng.gauss(0, 2), 1),
                rsrq_db=round(rng.uniform(-14, -7), 1),
                sinr_db=round(rng.uniform(2, 20) - world.rsrp_drop_db / 3, 1),
                dialect="fleet",
            )
        up = world.service and world.link_up
        if kind == "ping":
            sent = 5
            received = 0 if not up else sum(rng.random() >= world.loss for _ in range(sent))
            rtt = rng.uniform(25, 80) + world.latency_ms
            ping = records_pb2.PingResult(
                common=records_pb2.ProbeCommon(
                    probe_name="ping", target="8.8.8.8", status=_OK if received else _TIMEOUT
                ),
                method="icmp",
                sent=sent,
                received=received,
                loss_ratio=(sent - received) / sent,
            )
            if received:
                ping.median_ms = round(rtt, 1)
                ping.avg_ms = round(rtt, 1)
            return ping
        if kind == "dns":
            dns = records_pb2.DnsResult(
                common=records_pb2.ProbeCommon(
                    probe_name="dns", target="kpu.go.id", status=_OK if up else _TIMEOUT
                ),
                query_name="kpu.go.id",
                query_type="A",
            )
            if up:
                dns.query_ms = round(rng.uniform(20, 120) + world.latency_ms, 1)
            return dns
        http = records_pb2.HttpResult(
            common=records_pb2.ProbeCommon(
                probe_name="http", target="https://kpu.go.id/", status=_OK if up else _TIMEOUT
            ),
            url="https://kpu.go.id/",
            method="GET",
        )
        if up:
            http.status_code = 200
            http.total_ms = round(rng.uniform(200, 900) + 3 * world.latency_ms, 1)
        return http

    # -- the spool ---------------------------------------------------------------------------

    def unsent(self) -> int:
        return self.next_seq - 1 - max(self.sent_through, self.acked_through)

    def take(self, limit: int) -> list[Spooled]:
        """The next run of unsent records (contiguous seqs), marked sent."""
        if not self.spool:
            return []
        offset = max(0, max(self.sent_through, self.acked_through) + 1 - self.spool[0].seq)
        out = list(itertools.islice(self.spool, offset, offset + limit))
        if out:
            self.sent_through = out[-1].seq
        return out

    def oldest_unsent(self) -> Spooled | None:
        start = max(self.sent_through, self.acked_through)
        if not self.spool or self.spool[-1].seq <= start:
            return None
        return self.spool[max(0, start + 1 - self.spool[0].seq)]

    def latest(self, kinds: tuple[str, ...] = ("signal", "ping")) -> list[Spooled]:
        """The newest spooled record of each of ``kinds`` (for a Snapshot)."""
        found: dict[str, Spooled] = {}
        for record in reversed(self.spool):
            if record.kind in kinds and record.kind not in found:
                found[record.kind] = record
                if len(found) == len(kinds):
                    break
        return sorted(found.values(), key=lambda r: r.seq)

    def ack(self, through: int) -> list[Spooled]:
        """Drop what the collector acked; the records dropped (for the lag)."""
        dropped = []
        while self.spool and self.spool[0].seq <= through:
            dropped.append(self.spool.popleft())
        self.acked_through = max(self.acked_through, through)
        return dropped

    def resume(self, acked_through: int) -> list[Spooled]:
        """After a Welcome: trim to what the collector has, resend everything after it.

        At the first Welcome, a collector that already has seqs (the same credential
        used by an earlier run) gets this run's records renumbered above them, as the
        real spool does after it was wiped."""
        first, self.welcomed = not self.welcomed, True
        if first and acked_through >= self.first_seq:
            shift = acked_through + 1 - self.first_seq
            for record in self.spool:
                record.seq += shift
            self.first_seq += shift
            self.next_seq += shift
            self.acked_through = self.sent_through = acked_through
            return []
        dropped = self.ack(acked_through)
        self.sent_through = self.acked_through
        return dropped
