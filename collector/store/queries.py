"""Batched reads for the site/coverage query service (:mod:`collector.query`).

One implementation for both backends, on the shared dialect layer
(:class:`~collector.store.sql.Transactional`): each method answers for many sites
with one query per :data:`CHUNK` site codes, never one query per site.
"""

# ruff: noqa: S608 - SQL is built from constants and placeholders; values are bound.

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from collector.store.model import StoredRecord, Ticket
from collector.store.sql import RECORD_COLUMNS, TICKET_COLUMNS, Transactional, Tx, placeholders
from collector.store.tickets import ticket_from_row

#: Site codes bound in one query (well under SQLite's limit on bound parameters).
CHUNK = 500


def _chunks(codes: Sequence[str]) -> list[list[str]]:
    unique = sorted(set(codes))
    return [unique[i : i + CHUNK] for i in range(0, len(unique), CHUNK)]


def _query(sql: str, params: Sequence[object]) -> Callable[[Tx], list[tuple[Any, ...]]]:
    return lambda tx: tx.rows(sql, params)


class QueryMethods(Transactional):
    """What the web and the CLI read about many sites at once."""

    def tickets_of_sites(
        self, site_codes: Sequence[str] | None, states: Sequence[str]
    ) -> list[Ticket]:
        """The tickets in ``states`` of ``site_codes`` (of every site with None), by id."""
        marks = placeholders(len(states))
        base = f"SELECT {TICKET_COLUMNS} FROM tickets WHERE state IN ({marks})"
        if site_codes is None:
            rows = self._read(lambda tx: tx.rows(f"{base} ORDER BY id", tuple(states)))
            return [ticket_from_row(r) for r in rows]
        found: list[Ticket] = []
        for chunk in _chunks(site_codes):
            sql = f"{base} AND site_code IN ({placeholders(len(chunk))}) ORDER BY id"
            params = (*states, *chunk)
            rows = self._read(_query(sql, params))
            found += [ticket_from_row(r) for r in rows]
        found.sort(key=lambda t: t.id)
        return found

    def newest_records_of_sites(
        self, site_codes: Sequence[str], since_ns: int, kinds: Sequence[str], newest: int
    ) -> dict[str, list[StoredRecord]]:
        """Per site: its records of ``kinds`` with ``event_ns >= since_ns``, at most the
        ``newest`` of each kind, in event-time order (as ``site_window`` orders them)."""
        out: dict[str, list[StoredRecord]] = {code: [] for code in site_codes}
        kind_marks = placeholders(len(kinds))
        for chunk in _chunks(site_codes):
            sql = (
                f"SELECT {RECORD_COLUMNS} FROM (SELECT {RECORD_COLUMNS}, ROW_NUMBER() OVER "
                "(PARTITION BY site_code, kind ORDER BY event_ns DESC, agent_id DESC, seq DESC) "
                f"AS newness FROM records WHERE site_code IN ({placeholders(len(chunk))}) "
                f"AND kind IN ({kind_marks}) AND event_ns >= ?) w WHERE newness <= ? "
                "ORDER BY site_code, event_ns, agent_id, seq"
            )
            params = (*chunk, *kinds, since_ns, newest)
            for r in self._read(_query(sql, params)):
                out[str(r[1])].append(
                    StoredRecord(
                        str(r[0]), str(r[1]), int(r[2]), str(r[3]), int(r[4]), int(r[5]),
                        str(r[6]), int(r[7]), bytes(r[8]),
                    )
                )  # fmt: skip
        return out
