"""Field faults, one test each, through the agent's real modem path: the simulated modem on
a real pty, ModemMonitor (reader, driver, engine) as an asyncio task, and the SignalReading
and AgentEvent messages it emits."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from modemkit import LTE_STEP

from agent.config import ModemSection
from agent.modem.model import CarrierComponent, SignalSample, signal_to_proto
from agent.modem.monitor import ModemMonitor
from agent.records import Body
from agent.sim.modem import SimModem
from agent.sim.scenario import Scenario
from pantau.v1 import records_pb2

Kind = records_pb2.AgentEvent.Kind

LTE_3GPP = signal_to_proto(
    SignalSample(
        dialect="3gpp",
        rat="lte",
        reg_state="home",
        sim_state="ready",
        mcc="510",
        mnc="10",
        operator_name="Telkomsel",
        tac=0x3E8,
        cell_id=0x1A2D001,
        rssi_dbm=-65.0,
        rsrp_dbm=-95.0,
        rsrq_db=-10.0,
        csq=24,
    )
)
LTE_QUECTEL = signal_to_proto(
    SignalSample(
        dialect="quectel",
        rat="lte",
        reg_state="home",
        sim_state="ready",
        mcc="510",
        mnc="10",
        operator_name="Telkomsel",
        tac=0x3E8,
        cell_id=0x1A2D001,
        pci=123,
        earfcn=1850,
        band=3,
        rssi_dbm=-65.0,
        rsrp_dbm=-95.0,
        rsrq_db=-10.0,
        sinr_db=12.0,
        csq=24,
        neighbours=(),  # asked (+QENG "neighbourcell"): the scenario has none
        carriers=(
            CarrierComponent(
                primary=True,
                rat="lte",
                band=3,
                earfcn=1850,
                bandwidth_mhz=20.0,
                pci=123,
                rsrp_dbm=-95.0,
                rsrq_db=-10.0,
                rssi_dbm=-65.0,
                sinr_db=12.0,
            ),
        ),
    )
)


class FakeClock:
    """The simulator's scenario clock, moved by the test (answer delays stay real)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextlib.contextmanager
def serve(steps: list[dict[str, Any]], dialect: str = "3gpp", **kw: Any) -> Iterator[SimModem]:
    sim = SimModem(Scenario.from_dict({"steps": steps}), dialect, **kw)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


class Run:
    """What one ModemMonitor emitted, with condition waits bounded in time."""

    def __init__(self, monitor: ModemMonitor, bodies: list[Body], errors: list[str]) -> None:
        self.monitor = monitor
        self.bodies = bodies
        self.errors = errors

    @property
    def readings(self) -> list[records_pb2.SignalReading]:
        return [b for b in self.bodies if isinstance(b, records_pb2.SignalReading)]

    def events(self, kind: int | None = None) -> list[records_pb2.AgentEvent]:
        return [
            b
            for b in self.bodies
            if isinstance(b, records_pb2.AgentEvent) and (kind is None or b.kind == kind)
        ]

    async def until(self, what: str, condition: Callable[[], bool], timeout_s: float) -> float:
        """Wait until ``condition()``; return when (monotonic). Fails after timeout_s."""
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                kinds = [type(b).__name__ for b in self.bodies]
                pytest.fail(
                    f"timed out after {timeout_s} s waiting for {what}: {kinds} {self.errors}"
                )
            await asyncio.sleep(0.02)
        return time.monotonic()


@contextlib.asynccontextmanager
async def monitoring(
    port: str,
    *,
    dialect: str = "3gpp",
    interval_s: float = 0.2,
    command_timeout_s: float = 1.0,
) -> AsyncIterator[Run]:
    bodies: list[Body] = []
    errors: list[str] = []
    config = ModemSection(
        port=port, dialect=dialect, interval_s=interval_s, command_timeout_s=command_timeout_s
    )  # type: ignore[arg-type]
    monitor = ModemMonitor(config, emit=bodies.append, on_error=errors.append)
    task = asyncio.create_task(monitor.run())
    try:
        yield Run(monitor, bodies, errors)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task  # a crashed monitor fails the test here


@pytest.mark.slow
def test_port_vanishes_for_10_s_and_returns(tmp_path: Path) -> None:
    link = tmp_path / "serial-by-id-modem"
    steps = [LTE_STEP, {"at_s": 2, "vanish_s": 10, "rsrp_dbm": -100}]
    after = records_pb2.SignalReading()
    after.CopyFrom(LTE_3GPP)
    after.rsrp_dbm = -100.0

    async def main(sim: SimModem) -> None:
        async with monitoring(str(link), interval_s=0.25) as run:
            await run.until("a reading", lambda: len(run.readings) >= 1, 5)
            await run.until("MODEM_LOST", lambda: bool(run.events(Kind.KIND_MODEM_LOST)), 5)
            assert not link.exists()  # the stable link goes while the modem is away
            before = len(run.readings)
            await run.until("MODEM_BACK", lambda: bool(run.events(Kind.KIND_MODEM_BACK)), 13)
            await run.until("2 readings after", lambda: len(run.readings) >= before + 2, 5)
        [lost] = run.events(Kind.KIND_MODEM_LOST)
        [back] = run.events(Kind.KIND_MODEM_BACK)
        assert dict(lost.details) == {"port": str(link), "reason": "vanished", "failures": "1"}
        assert back.gap_s == pytest.approx(10, abs=1.0)
        i_lost, i_back = run.bodies.index(lost), run.bodies.index(back)
        assert not [
            b for b in run.bodies[i_lost:i_back] if isinstance(b, records_pb2.SignalReading)
        ]
        assert all(r == LTE_3GPP for r in run.readings[:before])
        assert all(r == after for r in run.readings[before:])
        assert not run.monitor.lost
        assert run.monitor.identity is not None and run.monitor.identity.port == str(link)
        assert any("vanished" in e for e in run.errors)

    with serve(steps, link_path=link) as sim:
        asyncio.run(main(sim))
        assert sim.commands.count("ATE0") == 2  # set up again after the re-plug


def test_sim_removed_mid_run() -> None:
    clock = FakeClock()

    async def main() -> Run:
        async with monitoring(sim.port_path) as run:
            await run.until("2 readings", lambda: len(run.readings) >= 2, 5)
            clock.now += 10
            await run.until(
                "a reading without SIM",
                lambda: run.readings[-1].sim_state == records_pb2.SIM_STATE_ABSENT,
                5,
            )
        return run

    steps = [LTE_STEP, {"at_s": 10, "sim_state": "absent"}]
    with serve(steps, clock=clock) as sim:
        run = asyncio.run(main())
    assert run.readings[0] == LTE_3GPP
    gone = run.readings[-1]
    assert gone.sim_state == records_pb2.SIM_STATE_ABSENT
    assert (gone.rat, gone.reg_state) == (
        records_pb2.RAT_NONE,
        records_pb2.REG_STATE_NOT_REGISTERED,
    )
    assert not gone.HasField("mcc") and not gone.HasField("cell_id")
    assert not run.events() and not run.errors  # a reading, not a failure


def test_pin_locked_sim() -> None:
    async def main() -> Run:
        async with monitoring(sim.port_path) as run:
            await run.until("2 readings", lambda: len(run.readings) >= 2, 5)
        return run

    with serve([{**LTE_STEP, "sim_state": "pin"}]) as sim:
        run = asyncio.run(main())
    for reading in run.readings:
        assert reading.sim_state == records_pb2.SIM_STATE_PIN_REQUIRED
        assert (reading.rat, reading.reg_state) == (
            records_pb2.RAT_NONE,
            records_pb2.REG_STATE_NOT_REGISTERED,
        )
        assert not reading.HasField("operator_name")
    identity = run.monitor.identity
    assert identity is not None
    assert identity.imei == "867698041234560" and not identity.HasField("imsi")
    assert not run.events() and not run.errors


@pytest.mark.parametrize(("dialect", "expected"), [("3gpp", LTE_3GPP), ("quectel", LTE_QUECTEL)])
def test_no_service_then_service(dialect: str, expected: records_pb2.SignalReading) -> None:
    clock = FakeClock()

    async def main() -> Run:
        async with monitoring(sim.port_path, dialect=dialect) as run:
            await run.until("a reading", lambda: len(run.readings) >= 1, 5)
            clock.now += 10
            await run.until("service again", lambda: run.readings[-1] == expected, 5)
        return run

    steps = [{**LTE_STEP, "rat": "none", "reg_state": "searching"}, {**LTE_STEP, "at_s": 10}]
    with serve(steps, dialect, clock=clock) as sim:
        run = asyncio.run(main())
    none = run.readings[0]
    assert (none.rat, none.reg_state, none.sim_state) == (
        records_pb2.RAT_NONE,
        records_pb2.REG_STATE_SEARCHING,
        records_pb2.SIM_STATE_READY,
    )
    for name in ("mcc", "operator_name", "rsrp_dbm", "sinr_db", "cell_id", "pci"):
        assert not none.HasField(name), name
    assert not run.events() and not run.errors


def test_urc_storm_during_reads() -> None:
    async def main() -> tuple[Run, float]:
        started = time.monotonic()
        async with monitoring(sim.port_path, dialect="quectel", interval_s=0.1) as run:
            await run.until("8 readings", lambda: len(run.readings) >= 8, 10)
        return run, time.monotonic() - started

    with serve([{**LTE_STEP, "urc_per_s": 100}], "quectel") as sim:
        run, elapsed_s = asyncio.run(main())
        urcs_per_s = sim.urcs_sent / elapsed_s
    assert urcs_per_s > 60, urcs_per_s  # the storm really blew
    assert run.readings == [LTE_QUECTEL] * len(run.readings)
    assert not run.events() and not run.errors


def test_garbage_bytes_before_answers() -> None:
    async def main() -> Run:
        async with monitoring(sim.port_path, dialect="quectel", interval_s=0.1) as run:
            await run.until("5 readings", lambda: len(run.readings) >= 5, 10)
        return run

    with serve([{**LTE_STEP, "garbage_bytes": 64}], "quectel") as sim:
        run = asyncio.run(main())
    assert run.readings == [LTE_QUECTEL] * len(run.readings)
    assert not run.events() and not run.errors


@pytest.mark.slow
def test_slow_answers_within_the_timeout() -> None:
    delay = {"answer_delay_s": 5, "delay_commands": ["AT+CSQ"]}

    async def main() -> tuple[Run, float]:
        started = time.monotonic()
        # (a long interval: no second reading to wait for when the test ends)
        async with monitoring(sim.port_path, command_timeout_s=6, interval_s=30) as run:
            first = await run.until("a reading", lambda: len(run.readings) >= 1, 10)
        return run, first - started

    with serve([{**LTE_STEP, **delay}]) as sim:
        run, took_s = asyncio.run(main())
    assert 5 <= took_s < 7
    assert run.readings == [LTE_3GPP]
    assert not run.events() and not run.errors


@pytest.mark.slow
def test_answers_slower_than_the_timeout_lose_the_modem_then_recover() -> None:
    clock = FakeClock()
    delay = {"answer_delay_s": 5, "delay_commands": ["AT+CSQ"]}
    steps = [LTE_STEP, {"at_s": 10, **delay}, {"at_s": 20, "answer_delay_s": 0}]

    async def main() -> tuple[Run, int]:
        async with monitoring(sim.port_path, command_timeout_s=1) as run:
            await run.until("a reading", lambda: len(run.readings) >= 1, 5)
            clock.now += 10  # AT+CSQ now takes 5 s
            await run.until("MODEM_LOST", lambda: bool(run.events(Kind.KIND_MODEM_LOST)), 8)
            before = len(run.readings)
            clock.now += 10  # answers are prompt again (the owed one still takes 5 s)
            await run.until("MODEM_BACK", lambda: bool(run.events(Kind.KIND_MODEM_BACK)), 8)
            await run.until("2 readings after", lambda: len(run.readings) >= before + 2, 5)
        return run, before

    with serve(steps, clock=clock) as sim:
        run, before = asyncio.run(main())
        # Every AT+CSQ got its own answer: none was written while one was owed.
        assert sim.commands.count("AT+CSQ") == len(run.readings) + 1
    [lost] = run.events(Kind.KIND_MODEM_LOST)
    assert dict(lost.details) == {
        "port": lost.details["port"],
        "reason": "timeout",
        "failures": "3",
    }
    assert len(run.events(Kind.KIND_MODEM_BACK)) == 1
    assert sum("AT+CSQ got no final result within 1 s" in e for e in run.errors) == 1
    assert len(run.errors) >= 3
    assert run.readings == [LTE_3GPP] * len(run.readings)  # never a shifted answer
    assert len(run.readings) >= before + 2
