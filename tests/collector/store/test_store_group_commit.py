"""The SQLite group commit (a few multi-row statements a group) stores and answers exactly
what writing the group's batches one after the other does: generated groups of many
agents and sites, resends (stored already, or twice in one group), snapshots, clock
anchors, live state older, newer and from the future, and an agent the store does not
know. Both stores are real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from storekit import SECOND, T0, ping, rows, signal

from collector.store.model import BatchOutcome, IngestBatch
from collector.store.sqlite import SqliteStore

AGENTS = {"kit-a": "3171011001005", "kit-b": "3171011001005", "kit-c": "3171011001006"}
SITES = sorted(set(AGENTS.values()))


@st.composite
def groups(draw: st.DrawFn) -> list[list[IngestBatch]]:
    """A few groups of batches; seqs may repeat (resends) within and across groups."""
    out = []
    for _ in range(draw(st.integers(1, 3))):
        group = []
        for _ in range(draw(st.integers(1, 8))):
            agent = draw(st.sampled_from([*AGENTS, "kit-unknown"]))
            site = AGENTS.get(agent, SITES[0])
            seqs = sorted(draw(st.sets(st.integers(1, 12), max_size=4)))
            received = T0 + draw(st.integers(0, 50)) * SECOND
            sig = draw(
                st.none() | st.integers(-5, 400).map(lambda s: signal(T0 + s * SECOND, -90.0 - s))
            )
            png = draw(
                st.none() | st.integers(-5, 400).map(lambda s: ping(T0 + s * SECOND, float(s)))
            )
            future = received + draw(st.sampled_from([300, 10**6])) * SECOND
            anchor = draw(st.none() | st.just(("boot-1", draw(st.integers(0, 9)), received)))
            networks = tuple(draw(st.sets(st.sampled_from(["510-10", "510-01", "510-11"]))))
            group.append(
                IngestBatch(agent, site, rows(*seqs), received, sig, png, anchor, future, networks)
            )
        out.append(group)
    return out


def _store(path: Path) -> SqliteStore:
    store = SqliteStore(path)
    for agent, site in AGENTS.items():
        store.add_agent(agent, site, "hash")
    return store


def _state(path: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(path)
    try:
        queries = {  # the agents' enrollment times differ between the two stores
            "records": "SELECT * FROM records ORDER BY agent_id, seq",
            "agents": "SELECT agent_id, acked_through, last_seen_ns FROM agents ORDER BY 1",
            "site_state": "SELECT * FROM site_state ORDER BY site_code",
            "boot_anchors": "SELECT * FROM boot_anchors ORDER BY agent_id, boot_id",
            "site_operators": "SELECT * FROM site_operators ORDER BY site_code, operator",
        }
        return {table: db.execute(sql).fetchall() for table, sql in queries.items()}
    finally:
        db.close()


@pytest.mark.timeout(300)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=groups())
def test_a_group_stores_and_answers_what_its_batches_one_by_one_do(
    data: list[list[IngestBatch]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("group")
    grouped, alone = _store(tmp / "grouped.sqlite"), _store(tmp / "alone.sqlite")
    try:
        for group in data:
            together = grouped.commit(group)
            one_by_one: list[BatchOutcome] = []
            for batch in group:
                one_by_one += alone.commit([batch])
            assert together == one_by_one
        assert _state(tmp / "grouped.sqlite") == _state(tmp / "alone.sqlite")
    finally:
        grouped.close()
        alone.close()


def test_a_record_stored_above_its_agents_ack_position_is_still_counted_once(
    tmp_path: Path,
) -> None:
    """A store written some other way (a record above the agent's ack position): the
    group sees its insert count disagree, rolls back and writes batch by batch."""
    store = _store(tmp_path / "c.sqlite")
    try:
        db = sqlite3.connect(tmp_path / "c.sqlite")
        db.execute(
            "INSERT INTO records VALUES ('kit-a', 5, ?, 'signal', 1, 1, 'monotonic', 1, x'00')",
            (AGENTS["kit-a"],),
        )
        db.commit()
        db.close()
        group = [
            IngestBatch("kit-a", AGENTS["kit-a"], rows(4, 5, 6), T0),
            IngestBatch("kit-c", AGENTS["kit-c"], rows(1), T0),
        ]
        assert store.commit(group) == [BatchOutcome(2, 1, 6), BatchOutcome(1, 0, 1)]
        assert [r.seq for r in store.records(agent_id="kit-a")] == [4, 5, 6]
        assert {s.site_code: s.records for s in store.sites()} == {
            AGENTS["kit-a"]: 2,
            AGENTS["kit-c"]: 1,
        }
    finally:
        store.close()
