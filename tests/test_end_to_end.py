"""End to end: a real collector on a free loopback port, an agent reading a simulated
modem on a real pty and pinging loopback; what is stored equals what was produced."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agent.config import load_agent_config
from agent.service import AgentService
from agent.sim.modem import SimModem
from agent.sim.scenario import Scenario
from collector import auth
from collector.server import Collector
from collector.store.sqlite import SqliteStore
from pantau.v1 import records_pb2

SITE = "3171011001005"

SCENARIO = {
    "identity": {"manufacturer": "Quectel", "model": "EC25", "imei": "867698041234567"},
    "steps": [
        {
            "at_s": 0,
            "rat": "lte",
            "reg_state": "home",
            "mcc": "510",
            "mnc": "10",
            "rsrp_dbm": -93,
            "rsrq_db": -11.5,
            "sinr_db": 14,
            "rssi_dbm": -65,
            "cell_id": 0x1A2B3C4,
            "tac": 0x2F1,
            "pci": 123,
            "earfcn": 1850,
            "band": 3,
        }
    ],
}


def write_config(tmp_path: Path, *, pty: str, port: int, token: str) -> Path:
    path = tmp_path / "agent.toml"
    path.write_text(
        f"""
[agent]
site = "{SITE}"
id = "kit-e2e"
data_dir = "{tmp_path / "kit"}"

[collector]
address = "127.0.0.1:{port}"
credential = "{token}"

[modem]
port = "{pty}"
dialect = "quectel"
interval_s = 1

[spool]
flush_interval_s = 0.1

[[probe]]
name = "ping-loopback"
kind = "icmp"
interval_s = 1
target = "127.0.0.1"
count = 3
tcp_fallback_port = {port}

[[probe]]
name = "tcp-collector"
kind = "tcp"
interval_s = 1
target = "127.0.0.1"
port = {port}
""",
        encoding="utf-8",
    )
    return path


def test_stored_records_equal_what_the_kit_produced(tmp_path: Path) -> None:
    produced: list[records_pb2.Record] = []

    async def main() -> tuple[list[records_pb2.Record], int]:
        store = SqliteStore(tmp_path / "collector.sqlite")
        credential = auth.new_credential("kit-e2e")
        store.add_agent("kit-e2e", SITE, auth.hash_secret(credential.secret))
        collector = Collector(store)
        port = await collector.start("127.0.0.1:0")
        modem = SimModem(Scenario.from_dict(SCENARIO), "quectel")
        pty = modem.start()
        try:
            config = load_agent_config(
                write_config(tmp_path, pty=pty, port=port, token=credential.token())
            )
            service = AgentService(config)
            spool_append = service.spool.append

            def capture(rows: list[tuple[str, int, bytes]]) -> list[int]:
                """Everything the kit produced passes through its spool, in order."""
                produced.extend(records_pb2.Record.FromString(payload) for _, _, payload in rows)
                return spool_append(rows)

            service.spool.append = capture  # type: ignore[method-assign]
            task = asyncio.create_task(service.run())
            try:
                async with asyncio.timeout(30):
                    while True:
                        await asyncio.sleep(0.2)
                        kinds = [r.WhichOneof("body") for r in produced]
                        if (
                            kinds.count("signal") >= 3
                            and kinds.count("ping") >= 2
                            and kinds.count("tcp") >= 2
                        ):
                            break
                    # Everything produced so far must reach the store.
                    wanted = len(produced)
                    while len(list(store.records(agent_id="kit-e2e"))) < wanted:
                        await asyncio.sleep(0.1)
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            rows = store.records(agent_id="kit-e2e")
            return [records_pb2.Record.FromString(r.payload) for r in rows], wanted
        finally:
            modem.stop()
            await collector.stop(0)
            store.close()

    stored, wanted = asyncio.run(main())
    # Exactly once, in order, byte-for-byte what the kit produced (seq aside).
    assert [r.seq for r in stored] == list(range(1, len(stored) + 1))
    for record in stored:
        record.seq = 0
    assert len(stored) >= wanted
    assert stored == produced[: len(stored)]  # the last few may not have been sent

    signals = [r.signal for r in stored if r.WhichOneof("body") == "signal"]
    assert len(signals) >= 3
    for s in signals:
        assert s.rat == records_pb2.RAT_LTE and s.reg_state == records_pb2.REG_STATE_HOME
        assert (s.mcc, s.mnc) == ("510", "10")
        assert (s.rsrp_dbm, s.rsrq_db, s.sinr_db) == (-93.0, -11.5, 14.0)
        assert (s.cell_id, s.tac, s.pci, s.earfcn, s.band) == (0x1A2B3C4, 0x2F1, 123, 1850, 3)
        assert s.dialect == "quectel"

    pings = [r.ping for r in stored if r.WhichOneof("body") == "ping"]
    assert len(pings) >= 2
    for p in pings:
        assert p.common.status == records_pb2.PROBE_STATUS_OK
        assert p.sent == 3 and p.received == 3 and p.loss_ratio == 0.0
        assert len(p.packets) == 3 and all(pk.HasField("rtt_ms") for pk in p.packets)
        assert p.min_ms <= p.median_ms <= p.max_ms
    tcps = [r.tcp for r in stored if r.WhichOneof("body") == "tcp"]
    assert all(
        t.common.status == records_pb2.PROBE_STATUS_OK and t.HasField("connect_ms") for t in tcps
    )
    events = [r.event.kind for r in stored if r.WhichOneof("body") == "event"]
    assert records_pb2.AgentEvent.KIND_AGENT_STARTED in events
