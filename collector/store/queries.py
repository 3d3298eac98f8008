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
from collector.store.sql import (
    ADD_SITE_OPERATOR,
    RECORD_COLUMNS,
    TICKET_COLUMNS,
    Transactional,
    Tx,
    placeholders,
)
from collector.store.tickets import ticket_from_row

_R_COLUMNS = ", ".join(f"r.{c.strip()}" for c in RECORD_COLUMNS.split(","))

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

    def tickets_in_window(
        self,
        since_ns: int,
        until_ns: int,
        *,
        operator: str | None = None,
        site_prefix: str | None = None,
        limit: int = 100_000,
    ) -> list[Ticket]:
        """The tickets whose trouble overlaps ``[since_ns, until_ns)`` (first bad reading
        before its end, not resolved before its start), of ``operator`` and of the sites
        whose code starts with ``site_prefix`` when given, oldest first, at most
        ``limit`` (the after-action export and the uptime report)."""
        if site_prefix is not None and not site_prefix.isdigit():
            raise ValueError(f"site_prefix must be digits, got {site_prefix!r}")
        clauses = ["first_bad_ns < ?", "(resolved_ns IS NULL OR resolved_ns > ?)"]
        params: list[object] = [until_ns, since_ns]
        if operator is not None:
            clauses.append("operator = ?")
            params.append(operator)
        if site_prefix is not None:
            clauses.append("site_code LIKE ?")
            params.append(site_prefix + "%")
        sql = (
            f"SELECT {TICKET_COLUMNS} FROM tickets WHERE {' AND '.join(clauses)} "
            "ORDER BY first_bad_ns, id LIMIT ?"
        )
        rows = self._read(_query(sql, (*params, limit)))
        return [ticket_from_row(r) for r in rows]

    def networks_of_sites(self, site_codes: Sequence[str] | None) -> dict[str, set[str]]:
        """Every network (MCC-MNC) each of ``site_codes`` (every site with None) has been
        seen on (``site_operators``, kept at ingest); a site never heard on one is absent."""
        out: dict[str, set[str]] = {}
        base = "SELECT site_code, operator FROM site_operators"
        if site_codes is None:
            batches = [self._read(_query(base, ()))]
        else:
            batches = [
                self._read(_query(f"{base} WHERE site_code IN ({placeholders(len(c))})", c))
                for c in _chunks(site_codes)
            ]
        for rows in batches:
            for code, network in rows:
                out.setdefault(str(code), set()).add(str(network))
        return out

    def sites_without_networks(self) -> list[str]:
        """Sites with stored records but no network in ``site_operators``: heard before
        schema v7 only while their modem searched (their stored readings may still
        name one, see :mod:`collector.site_networks`), or never on a network at all."""
        sql = (
            "SELECT st.site_code FROM site_state st WHERE st.records > 0 AND NOT EXISTS "
            "(SELECT 1 FROM site_operators o WHERE o.site_code = st.site_code) "
            "ORDER BY st.site_code"
        )
        return [str(row[0]) for row in self._read(_query(sql, ()))]

    def add_site_networks(self, found: Sequence[tuple[str, str, int]]) -> None:
        """Add (site, network, first seen ns) to the sites' networks (kept once)."""

        def body(tx: Tx) -> None:
            for row in found:
                tx.run(ADD_SITE_OPERATOR, row)

        if found:
            self._retrying(body)

    def newest_records_of_sites(
        self, site_codes: Sequence[str], since_ns: int, kinds: Sequence[str], newest: int
    ) -> dict[str, list[StoredRecord]]:
        """Per site: its records of ``kinds`` with ``event_ns >= since_ns``, at most the
        ``newest`` of each kind, in event-time order (as ``site_window`` orders them)."""
        out: dict[str, list[StoredRecord]] = {code: [] for code in site_codes}
        kind_marks = placeholders(len(kinds))
        for chunk in _chunks(site_codes):
            # Through the site's agents (indexed) and the records' primary key
            # (agent_id, seq): no scan of other sites' records.
            sql = (
                f"SELECT {_R_COLUMNS} FROM agents a JOIN records r ON r.agent_id = a.agent_id "
                f"WHERE a.site_code IN ({placeholders(len(chunk))}) "
                f"AND r.site_code = a.site_code AND r.kind IN ({kind_marks}) AND r.event_ns >= ?"
            )
            for r in self._read(_query(sql, (*chunk, *kinds, since_ns))):
                stored = StoredRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bytes(r[8]))
                out[r[1]].append(stored)
        for code, records in out.items():
            records.sort(key=lambda rec: (rec.event_ns, rec.agent_id, rec.seq))
            kept = {kind: [rec for rec in records if rec.kind == kind][-newest:] for kind in kinds}
            if sum(map(len, kept.values())) < len(records):
                chosen = {id(rec) for recs in kept.values() for rec in recs}
                out[code] = [rec for rec in records if id(rec) in chosen]
        return out

    def last_heard_of_active_sites(self) -> dict[str, int]:
        """Every site with an active (unrevoked) kit that has been heard, and when it was
        last heard (``site_state``'s arrival time, whichever collector heard it, or its
        newest authentic lifeline SMS when later): the brain judges silence for each (one
        query, however many sites)."""
        sql = (
            "SELECT st.site_code, st.last_seen_ns, (SELECT MAX(k.last_sms_ns) FROM sms_kits k "
            "WHERE k.site_code = st.site_code) FROM site_state st WHERE EXISTS "
            "(SELECT 1 FROM agents a WHERE a.site_code = st.site_code "
            "AND a.revoked_ns IS NULL)"
        )
        return {
            str(code): max(int(seen), int(sms or 0))
            for code, seen, sms in self._read(_query(sql, ()))
        }
