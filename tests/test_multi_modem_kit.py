"""A kit with a modem per operator, end to end: three simulated modems on real ptys
(Telkomsel strong, Indosat fading, XL without service), the agent reading all three
and pinging over each one's source address, a real collector with the demo's rules.

Readings and probes are stored per modem and operator; tickets open for Indosat and
XL only; one modem's port vanishing leaves the other two streaming, with one
MODEM_LOST for it and a MODEM_FAULT ticket for the field team.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest

from agent.config import load_agent_config
from agent.service import AgentService
from agent.sim.kit import SimKit, SimSlot
from agent.sim.scenario import bundled_scenario, load_scenario
from collector import auth
from collector.config import RulesSection, default_config
from collector.coverage_rows import OperatorCoverageEntry
from collector.per_operator import OperatorFigures
from collector.query import SiteFilter, SiteQueries
from collector.server import Collector
from collector.store.sqlite import SqliteStore
from pantau.v1 import records_pb2

SITE = "3171011001005"
AGENT = "kit-multi"
#: Each modem's probes leave from its own loopback address (as from its wwan interface).
SOURCES = {"tsel": "127.0.0.1", "isat": "127.0.0.2", "xl": "127.0.0.3"}
TELKOMSEL, INDOSAT, XL = "510-10", "510-01", "510-11"


def three_modems(link_dir: Path) -> SimKit:
    return SimKit(
        [
            SimSlot("tsel", load_scenario(bundled_scenario("strong-lte")), "quectel"),
            SimSlot("isat", load_scenario(bundled_scenario("indosat-fading"))),
            SimSlot("xl", load_scenario(bundled_scenario("xl-no-service"))),
        ],
        link_dir=link_dir,
    )


def write_config(tmp: Path, kit: SimKit, ports: dict[str, str], port: int, token: str) -> Path:
    path = tmp / "agent.toml"
    path.write_text(
        f"""
[agent]
site = "{SITE}"
id = "{AGENT}"
data_dir = "{tmp / "kit"}"

[collector]
address = "127.0.0.1:{port}"
credential = "{token}"

[spool]
flush_interval_s = 0.1

{kit.modems_toml(ports, interfaces=SOURCES, interval_s=1)}
[[probe]]
name = "ping-collector"
kind = "icmp"
interval_s = 1
target = "127.0.0.1"
count = 2
tcp_fallback_port = {port}
""",
        encoding="utf-8",
    )
    return path


@asynccontextmanager
async def running_kit(tmp: Path) -> AsyncIterator[tuple[SimKit, SqliteStore]]:
    store = SqliteStore(tmp / "collector.sqlite")
    credential = auth.new_credential(AGENT)
    store.add_agent(AGENT, SITE, auth.hash_secret(credential.secret))
    rules = str(resources.files("collector").joinpath("demo_rules.toml"))
    collector = Collector(store, config=replace(default_config(), rules=RulesSection(file=rules)))
    port = await collector.start("127.0.0.1:0")
    (tmp / "by-id").mkdir()
    kit = three_modems(tmp / "by-id")
    ports = kit.start()
    try:
        config = load_agent_config(write_config(tmp, kit, ports, port, credential.token()))
        task = asyncio.create_task(AgentService(config).run())
        try:
            yield kit, store
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        kit.stop()
        await collector.stop(0)
        store.close()


def stored(store: SqliteStore) -> list[records_pb2.Record]:
    return [records_pb2.Record.FromString(r.payload) for r in store.records(agent_id=AGENT)]


async def until(what: str, condition: Callable[[], bool], timeout_s: float) -> None:
    try:
        async with asyncio.timeout(timeout_s):
            while not condition():
                await asyncio.sleep(0.2)
    except TimeoutError:
        pytest.fail(f"timed out after {timeout_s} s waiting for {what}")


def of_modem(records: list[records_pb2.Record], name: str, kind: str) -> list[records_pb2.Record]:
    return [r for r in records if r.modem.name == name and r.WhichOneof("body") == kind]


def open_problems(store: SqliteStore) -> set[tuple[str, str]]:
    return {(t.operator, t.problem) for t in store.list_tickets(site_code=SITE) if t.is_open}


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_three_operators_are_stored_apart_and_only_the_bad_two_get_tickets(
    tmp_path: Path,
) -> None:
    async def main() -> tuple[
        list[records_pb2.Record],
        set[tuple[str, str]],
        list[OperatorFigures],
        list[OperatorCoverageEntry],
    ]:
        async with running_kit(tmp_path) as (_kit, store):
            await until(
                "tickets for Indosat and XL",
                lambda: {op for op, _ in open_problems(store)} >= {INDOSAT, XL},
                60,
            )
            queries = SiteQueries(store)
            # the fading modem's readings: weak for most of the window
            await until(
                "Indosat judged weak",
                lambda: (
                    ("isat", "weak")
                    in {(f.modem, f.coverage) for f in queries.site_operators(SITE)}
                ),
                20,
            )
            side_by_side = queries.site_operators(SITE)
            export = queries.coverage_by_operator(queries.listing(SiteFilter()), hours=1)
            return stored(store), open_problems(store), side_by_side, export

    records, problems, side_by_side, export = asyncio.run(main())
    # the site page's operators and the coverage export, one entry per operator
    assert [(f.operator, f.modem, f.coverage) for f in side_by_side] == [
        (INDOSAT, "isat", "weak"),
        (TELKOMSEL, "tsel", "strong"),
        (XL, "xl", "none"),
    ]
    assert all(f.ping_median_ms is not None and f.loss_ratio == 0 for f in side_by_side)
    assert [(e.site_code, e.operator, e.coverage) for e in export] == [
        (SITE, f.operator, f.coverage) for f in side_by_side
    ]
    for name, network in (("tsel", TELKOMSEL), ("isat", INDOSAT), ("xl", XL)):
        readings = of_modem(records, name, "signal")
        assert readings, f"no readings from {name}"
        assert {r.modem.network for r in readings} == {network}
        assert of_modem(records, name, "ping"), f"no probes over {name}"
        assert all(r.ping.common.source == SOURCES[name] for r in of_modem(records, name, "ping"))
    tsel = of_modem(records, "tsel", "signal")[-1].signal
    assert (tsel.mcc, tsel.mnc, tsel.rsrp_dbm > -100) == ("510", "10", True)
    xl = of_modem(records, "xl", "signal")[-1].signal
    assert xl.reg_state == records_pb2.REG_STATE_SEARCHING
    assert not [r for r in records if r.WhichOneof("body") == "event" and r.HasField("modem")]
    assert (XL, "NO_SERVICE") in problems
    assert (INDOSAT, "WEAK_SIGNAL") in problems
    assert {op for op, _ in problems} == {INDOSAT, XL}  # none for Telkomsel


@pytest.mark.slow
@pytest.mark.timeout(90)
def test_one_modem_vanishing_leaves_the_other_two_streaming(tmp_path: Path) -> None:
    Kind = records_pb2.AgentEvent.Kind

    def lost(records: list[records_pb2.Record]) -> list[records_pb2.Record]:
        return [
            r
            for r in records
            if r.WhichOneof("body") == "event" and r.event.kind == Kind.KIND_MODEM_LOST
        ]

    async def main() -> list[records_pb2.Record]:
        async with running_kit(tmp_path) as (kit, store):
            await until(
                "readings from all three",
                lambda: all(of_modem(stored(store), n, "signal") for n in SOURCES),
                20,
            )
            kit.unplug("xl")
            await until("MODEM_LOST", lambda: bool(lost(stored(store))), 20)
            [event] = lost(stored(store))

            def two_streaming() -> bool:
                after = [r for r in stored(store) if r.seq > event.seq]
                return all(len(of_modem(after, n, "signal")) >= 3 for n in ("tsel", "isat"))

            await until("3 more readings from tsel and isat", two_streaming, 20)
            # the field team is told, although two modems still read
            await until(
                "a MODEM_FAULT ticket",
                lambda: ("field-team", "MODEM_FAULT") in open_problems(store),
                30,
            )
            return stored(store)

    records = asyncio.run(main())
    [event] = lost(records)
    assert event.modem.name == "xl" and event.modem.network == XL
    assert event.event.details["reason"] == "vanished"
    assert event.event.details["port"] == str(tmp_path / "by-id" / "xl")
    assert not of_modem([r for r in records if r.seq > event.seq], "xl", "signal")
