"""From pantau.v1 records to observations (collector.observe), and a rebuild from stored
records."""

from __future__ import annotations

from rulefactory import SITE, T0, TSEL, S, at

from collector.observe import observations_from_record, observations_from_stored
from collector.rules import (
    Heard,
    KitEvent,
    Ping,
    RuleEngine,
    Signal,
    Started,
    Throughput,
)
from collector.rules.observations import operator_key
from collector.store.model import StoredRecord
from pantau.v1 import records_pb2 as pb


def _signal_record(seq: int, **fields: object) -> pb.Record:
    record = pb.Record(seq=seq)
    record.signal.CopyFrom(pb.SignalReading(**fields))  # type: ignore[arg-type]
    return record


def test_a_signal_reading() -> None:
    record = _signal_record(
        1,
        rat=pb.RAT_LTE,
        reg_state=pb.REG_STATE_HOME,
        sim_state=pb.SIM_STATE_READY,
        mcc="510",
        mnc="010",
        cell_id=0x1A2B3C,
        rsrp_dbm=-97.0,
        rsrq_db=-11.5,
        sinr_db=8.2,
    )
    (obs,) = observations_from_record(record, 42)
    assert obs == Signal(
        event_ns=42,
        operator="510-10",
        operator_name="Telkomsel",  # from the operator table when the modem gave none
        rat="lte",
        reg_state="home",
        sim_state="ready",
        cell_id=0x1A2B3C,
        rsrp_dbm=-97.0,
        rsrq_db=-11.5,
        sinr_db=8.2,
    )


def test_absent_values_stay_absent() -> None:
    (obs,) = observations_from_record(_signal_record(1, rat=pb.RAT_NONE), 7)
    assert isinstance(obs, Signal)
    assert obs.operator is None and obs.rsrp_dbm is None and obs.reg_state is None
    assert obs.rat == "none"


def test_ping_throughput_and_events() -> None:
    ping = pb.Record(seq=2)
    ping.ping.common.target = "collector.example"
    ping.ping.common.status = pb.PROBE_STATUS_TIMEOUT
    ping.ping.sent, ping.ping.received, ping.ping.loss_ratio = 10, 0, 1.0
    assert observations_from_record(ping, 5) == [
        Ping(5, None, "collector.example", "timeout", 1.0, None, None, 10, 0)
    ]
    tp = pb.Record(seq=3)
    tp.throughput.common.status = pb.PROBE_STATUS_SKIPPED_BUDGET
    tp.throughput.direction = pb.DIRECTION_UPLOAD
    assert observations_from_record(tp, 6) == [
        Throughput(6, None, "upload", "skipped-budget", None)
    ]
    ev = pb.Record(seq=4)
    ev.event.kind = pb.AgentEvent.KIND_MODEM_LOST
    ev.event.message = "port vanished"
    assert observations_from_record(ev, 8) == [KitEvent(8, "modem-lost", "port vanished")]
    overflow = pb.Record(seq=5)
    overflow.event.kind = pb.AgentEvent.KIND_SPOOL_OVERFLOW
    assert observations_from_record(overflow, 9) == []
    dns = pb.Record(seq=6)
    dns.dns.query_name = "example.com"
    assert observations_from_record(dns, 10) == []


def test_operator_keys() -> None:
    assert operator_key("510", "10") == "510-10"
    assert operator_key("510", "010") == "510-10"
    assert operator_key("502", "152") == "502-152"
    assert operator_key("510", None) is None
    assert operator_key("51x", "10") is None


def _stored(
    seq: int, record: pb.Record, event_ns: int, received_ns: int, quality: str = "monotonic"
) -> StoredRecord:
    record.seq = seq
    record.time.boot_id = "b"
    return StoredRecord(
        "kit",
        SITE,
        seq,
        str(record.WhichOneof("body")),
        event_ns,
        event_ns,
        quality,
        received_ns,
        record.SerializeToString(),
    )


def test_rebuild_from_stored_records() -> None:
    rows = []
    for seq, t in enumerate(range(0, 1200, 30), start=1):
        if t < 300:
            rec = _signal_record(
                seq,
                rat=pb.RAT_LTE,
                reg_state=pb.REG_STATE_HOME,
                mcc="510",
                mnc="10",
                rsrp_dbm=-90.0,
            )
        else:
            rec = _signal_record(seq, rat=pb.RAT_NONE, reg_state=pb.REG_STATE_SEARCHING)
        rows.append(_stored(seq, rec, at(t), at(t) + S))
    # a record with an untrusted clock is not evaluated (it would say 1970)
    rows.append(_stored(999, _signal_record(999, rat=pb.RAT_NONE), 0, at(1200), "unsynced-wall"))
    observations = observations_from_stored(rows)
    assert sum(isinstance(o, Heard) for o in observations) == 41
    assert all(o.event_ns >= T0 for o in observations)
    engine = RuleEngine()
    problems = engine.rebuild(SITE, observations, at(1200))
    names = {p.key.problem: p for p in problems}
    assert set(names) == {"NO_SERVICE"}
    assert names["NO_SERVICE"].key.operator == TSEL
    assert names["NO_SERVICE"].first_bad_ns == at(300)
    assert names["NO_SERVICE"].historical is False
    # the rebuilt engine carries on: service is back, the problem clears after hold
    engine.observe(
        SITE,
        [
            Signal(at(t), TSEL, None, "lte", "home", "ready", rsrp_dbm=-90.0)
            for t in range(1200, 1600, 30)
        ],
    )
    transitions = engine.evaluate(SITE, at(1600))
    # no new Started for what was restored, but the agent has been silent since the
    # rebuild (nothing heard after it): that is news
    assert [(type(t).__name__, t.key.problem) for t in transitions] == [
        ("Cleared", "NO_SERVICE"),
        ("Started", "AGENT_SILENT"),
    ]
    engine2 = RuleEngine()
    engine2.rebuild(SITE, observations_from_stored(rows), at(1200))
    engine2.observe(SITE, [Heard(at(t)) for t in range(1200, 1600, 30)])
    engine2.observe(
        SITE,
        [
            Signal(at(t), TSEL, None, "lte", "home", "ready", rsrp_dbm=-90.0)
            for t in range(1200, 1600, 30)
        ],
    )
    assert [type(t).__name__ for t in engine2.evaluate(SITE, at(1600))] == ["Cleared"]
    assert not any(isinstance(t, Started) for t in engine2.evaluate(SITE, at(1601)))
