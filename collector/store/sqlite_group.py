"""The SQLite group commit: many streams' batches in a handful of statements.

Python's sqlite3 lets go of the GIL around every step of every statement, and the
writer thread then waits to get it back from the busy event loop; a group of 500
small batches written batch by batch (a statement or four each) spent far more time
waiting so than writing. Here a group costs a few multi-row statements, whatever
its size:

1. one read of the group's agents' ack positions (one row: a JSON object);
2. for records at or below an agent's ack position (a kit resending), one read of
   which of them are stored already (rare: a resend after a lost ack);
3. one multi-row ``INSERT OR IGNORE`` of the records (per chunk of bound variables);
4. one ``UPDATE ... FROM (VALUES ...)`` of the agents' ack positions;
5. one multi-row upsert of the sites' record counts and last-heard times;
6. the live-state updates, one ``UPDATE ... FROM (VALUES ...)`` per round (a site's
   batches apply in their order: its first in round 1, its second in round 2, ...);
7. the sites' rollups of the records stored, one multi-row upsert
   (:mod:`collector.store.rollup_sql`); the sites' networks and the streams' clock
   anchors likewise.

Every record above its agent's ack position is new: a batch's rows, its agent's ack
position and its site's state are written in one transaction, so a stored record is
never above it. The count of rows inserted checks that; if it ever disagrees (a store
written some other way), the group is rolled back to a savepoint and written batch by
batch, which counts each batch's duplicates from the database itself.

A batch's outcome is what writing the group's batches one after the other would
give: its stored and duplicate counts, and its agent's ack position after it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from collector.store.identity import UPSERT_ANCHOR
from collector.store.model import BatchOutcome, IngestBatch
from collector.store.rollup_sql import rollup_params, upsert_rollups
from collector.store.rollups import Sample, deltas
from collector.store.sql import (
    ADD_SITE_OPERATOR,
    SIGNAL_COLUMNS,
    batch_networks,
    live_signal_values,
)

T = TypeVar("T")

#: Bound variables one statement may use here (SQLite's own limit may be lower).
MAX_VARIABLES = 30_000


def _statement_of(one_row: str) -> Callable[[int], str]:
    """The statement for n rows from ``one_row``'s text (``... VALUES (?, ...) ...``)."""
    head, _, rest = one_row.partition("VALUES (")
    one, _, tail = rest.partition(")")
    row = f"({one})"
    return lambda n: f"{head}VALUES {', '.join([row] * n)}{tail}"


_ADD_SITE_OPERATORS = _statement_of(ADD_SITE_OPERATOR)
_UPSERT_ANCHORS = _statement_of(UPSERT_ANCHOR)
_RECORD_COLUMNS = (
    "agent_id, seq, site_code, kind, event_ns, agent_wall_ns, time_quality, received_ns, payload"
)
_SIGNAL_SET = ", ".join(f"{c} = v.column{i + 3}" for i, c in enumerate(SIGNAL_COLUMNS))
_LAST = len(SIGNAL_COLUMNS) + 3  # the column after the signal's values: future_after_ns
_UPDATE_SIGNAL = (
    f"UPDATE site_state SET signal_ns = v.column2, {_SIGNAL_SET} "  # noqa: S608 - constants
    "FROM (VALUES {rows}) AS v WHERE site_state.site_code = v.column1 AND "
    f"(signal_ns IS NULL OR signal_ns <= v.column2 OR signal_ns > v.column{_LAST})"
)
_UPDATE_PING = (
    "UPDATE site_state SET ping_ns = v.column2, ping_target = v.column3, "
    "ping_method = v.column4, ping_median_ms = v.column5, ping_loss_ratio = v.column6 "
    "FROM (VALUES {rows}) AS v WHERE site_state.site_code = v.column1 AND "
    "(ping_ns IS NULL OR ping_ns <= v.column2 OR ping_ns > v.column7)"
)


@dataclass(slots=True)
class _Site:
    records: int = 0
    last_seen_ns: int = 0


@dataclass(slots=True)
class _Agent:
    top: int = 0
    last_seen_ns: int = 0


@dataclass(slots=True)
class _Plan:
    """What the group writes, worked out before writing it."""

    outcomes: list[BatchOutcome] = field(default_factory=list)
    rows: list[tuple[object, ...]] = field(default_factory=list)
    agents: dict[str, _Agent] = field(default_factory=dict)
    sites: dict[str, _Site] = field(default_factory=dict)
    samples: list[tuple[str, Sample]] = field(default_factory=list)


def commit_group(
    db: sqlite3.Connection,
    batches: Sequence[IngestBatch],
    one_by_one: Callable[[IngestBatch], BatchOutcome],
) -> list[BatchOutcome]:
    """Write ``batches`` in the open transaction of ``db``; ``one_by_one`` writes a batch
    alone (the fallback when the rows inserted are not the rows planned)."""
    limit = min(MAX_VARIABLES, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    anchors = [(b.agent_id, *b.anchor) for b in batches if b.anchor is not None]
    if anchors:
        _many_rows(db, _UPSERT_ANCHORS, anchors, limit)
    acked = _acked_through(db, sorted({b.agent_id for b in batches}), limit)
    stored = _stored_already(db, batches, acked)
    plan = _plan(batches, acked, stored)
    db.execute("SAVEPOINT pantau_group")
    before = db.total_changes
    for chunk in _chunks(plan.rows, limit // 9):
        marks = ", ".join(["(?,?,?,?,?,?,?,?,?)"] * len(chunk))
        db.execute(
            f"INSERT OR IGNORE INTO records ({_RECORD_COLUMNS}) VALUES {marks}",  # noqa: S608
            [value for row in chunk for value in row],
        )
    if db.total_changes - before != len(plan.rows):
        db.execute("ROLLBACK TO pantau_group")
        db.execute("RELEASE pantau_group")
        return [one_by_one(b) for b in batches]
    db.execute("RELEASE pantau_group")
    _write_agents(db, plan.agents, limit)
    _write_sites(db, plan.sites, limit)
    _write_live_state(db, batches, limit)
    _write_networks(db, batches, limit)
    if plan.samples:
        _many_rows(db, upsert_rollups, [rollup_params(r) for r in deltas(plan.samples)], limit)
    return plan.outcomes


def _many_rows(
    db: sqlite3.Connection,
    statement: Callable[[int], str],
    rows: Sequence[Sequence[object]],
    limit: int,
) -> None:
    """``rows`` in as few multi-row statements as the bound variables allow, not a
    statement a row (``executemany`` steps, and so waits for the GIL, once a row)."""
    width = len(rows[0])
    for chunk in _chunks(rows, limit // width):
        db.execute(statement(len(chunk)), [v for row in chunk for v in row])


def _write_networks(db: sqlite3.Connection, batches: Sequence[IngestBatch], limit: int) -> None:
    """Every network the batches' readings show their sites on (``site_operators``),
    each (site, network) once: the first time it was heard is kept."""
    first: dict[tuple[str, str], int] = {}
    for b in batches:
        for network in batch_networks(b):
            first.setdefault((b.site_code, network), b.received_ns)  # as one by one
    if first:
        _many_rows(db, _ADD_SITE_OPERATORS, [(*key, at) for key, at in first.items()], limit)


def _plan(
    batches: Sequence[IngestBatch], acked: dict[str, int], stored: set[tuple[str, int]]
) -> _Plan:
    plan = _Plan()
    running = dict(acked)  # each agent's ack position as the group's batches go by
    seen = set(stored)
    for b in batches:
        agent_id, site_code, received_ns = b.agent_id, b.site_code, b.received_ns
        new = 0
        new_seqs: set[int] = set()
        for r in b.rows:
            key = (agent_id, r.seq)
            if key in seen:
                continue
            seen.add(key)
            new += 1
            new_seqs.add(r.seq)
            plan.rows.append(
                (agent_id, r.seq, site_code, r.kind, r.event_ns, r.agent_wall_ns,
                 r.time_quality, received_ns, r.payload)
            )  # fmt: skip
        if b.samples and new_seqs:
            if new == len(b.rows):  # all of it (the usual case): nothing to filter
                plan.samples += [(site_code, s) for s in b.samples if s is not None]
            else:
                plan.samples += b.stored_samples(new_seqs.__contains__)
        site = plan.sites.setdefault(site_code, _Site(last_seen_ns=received_ns))
        site.records += new
        site.last_seen_ns = max(site.last_seen_ns, received_ns)
        if not b.rows:  # a Snapshot: live state only
            plan.outcomes.append(BatchOutcome(0, 0, running.get(agent_id, 0)))
            continue
        top = max(r.seq for r in b.rows)
        agent = plan.agents.setdefault(agent_id, _Agent())
        agent.top = max(agent.top, top)
        agent.last_seen_ns = received_ns
        if agent_id in running:
            running[agent_id] = max(running[agent_id], top)
            through = running[agent_id]
        else:  # no such agent (removed meanwhile): acked through its own batch
            through = top
        plan.outcomes.append(BatchOutcome(new, len(b.rows) - new, through))
    return plan


def _acked_through(db: sqlite3.Connection, agent_ids: list[str], limit: int) -> dict[str, int]:
    """The stored ack position of each of ``agent_ids`` the store knows (one row a chunk)."""
    found: dict[str, int] = {}
    for chunk in _chunks(agent_ids, limit):
        marks = ", ".join("?" * len(chunk))
        (row,) = db.execute(
            "SELECT json_group_object(agent_id, acked_through) FROM agents "  # noqa: S608
            f"WHERE agent_id IN ({marks})",
            chunk,
        ).fetchall()
        found.update(json.loads(row[0]))
    return {agent_id: int(through) for agent_id, through in found.items()}


def _stored_already(
    db: sqlite3.Connection, batches: Sequence[IngestBatch], acked: dict[str, int]
) -> set[tuple[str, int]]:
    """Of the records at or below their agent's ack position (resent), those stored."""
    resent: dict[str, tuple[int, int]] = {}
    for b in batches:
        through = acked.get(b.agent_id, 0)
        seqs = [r.seq for r in b.rows if r.seq <= through]
        if seqs:
            low, high = resent.get(b.agent_id, (min(seqs), max(seqs)))
            resent[b.agent_id] = (min(low, *seqs), max(high, *seqs))
    stored: set[tuple[str, int]] = set()
    for agent_id, (low, high) in resent.items():
        (row,) = db.execute(
            "SELECT json_group_array(seq) FROM records WHERE agent_id = ? AND seq BETWEEN ? AND ?",
            (agent_id, low, high),
        ).fetchall()
        stored.update((agent_id, int(seq)) for seq in json.loads(row[0]))
    return stored


def _write_agents(db: sqlite3.Connection, agents: dict[str, _Agent], limit: int) -> None:
    rows = [(agent_id, a.top, a.last_seen_ns) for agent_id, a in agents.items()]
    for chunk in _chunks(rows, limit // 3):
        marks = ", ".join(["(?,?,?)"] * len(chunk))
        db.execute(
            "UPDATE agents SET acked_through = MAX(acked_through, v.column2), "  # noqa: S608
            f"last_seen_ns = v.column3 FROM (VALUES {marks}) AS v "
            "WHERE agents.agent_id = v.column1",
            [value for row in chunk for value in row],
        )


def _write_sites(db: sqlite3.Connection, sites: dict[str, _Site], limit: int) -> None:
    rows = [(code, s.last_seen_ns, s.records) for code, s in sites.items()]
    for chunk in _chunks(rows, limit // 3):
        marks = ", ".join(["(?,?,?)"] * len(chunk))
        db.execute(
            "INSERT INTO site_state (site_code, last_seen_ns, records) "  # noqa: S608
            f"VALUES {marks} ON CONFLICT (site_code) DO UPDATE SET "
            "records = records + excluded.records, "
            "last_seen_ns = MAX(last_seen_ns, excluded.last_seen_ns)",
            [value for row in chunk for value in row],
        )


def _write_live_state(db: sqlite3.Connection, batches: Sequence[IngestBatch], limit: int) -> None:
    """Each batch's signal and ping, a site's in the order of its batches."""
    signals: list[list[tuple[object, ...]]] = []  # rounds: at most one row per site each
    pings: list[list[tuple[object, ...]]] = []
    signal_round: dict[str, int] = {}
    ping_round: dict[str, int] = {}
    for b in batches:
        code, future = b.site_code, b.future_after_ns
        if b.signal is not None:
            row = (code, b.signal.event_ns, *live_signal_values(b.signal), future)
            _into_round(signals, signal_round, code, row)
        if b.ping is not None:
            p = b.ping
            row = (code, p.event_ns, p.target, p.method, p.median_ms, p.loss_ratio, future)
            _into_round(pings, ping_round, code, row)
    for statement, rounds in ((_UPDATE_SIGNAL, signals), (_UPDATE_PING, pings)):
        for rows in rounds:
            width = len(rows[0])
            for chunk in _chunks(rows, limit // width):
                marks = ", ".join(["(" + ",".join("?" * width) + ")"] * len(chunk))
                db.execute(statement.format(rows=marks), [v for row in chunk for v in row])


def _into_round(
    rounds: list[list[tuple[object, ...]]],
    next_round: dict[str, int],
    site_code: str,
    row: tuple[object, ...],
) -> None:
    n = next_round.get(site_code, 0)
    next_round[site_code] = n + 1
    if n == len(rounds):
        rounds.append([])
    rounds[n].append(row)


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    size = max(1, size)
    return [items[start : start + size] for start in range(0, len(items), size)]
