"""Kits' identities, enrollment codes and clock anchors: one implementation for both backends.

Portable SQL over :class:`collector.store.sql.Transactional` (upserts are written
``INSERT ... ON CONFLICT``, which SQLite and PostgreSQL both read). A code is used
once: the conditional ``UPDATE ... RETURNING`` makes its use atomic, so of two
collectors redeeming one code at once exactly one gets a row back.
"""

# ruff: noqa: S608 - SQL is built from constants and placeholders; values are bound.
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from collector.store.model import Agent
from collector.store.sql import Transactional, Tx, placeholders

#: Every change to an agent's credential raises the epoch the open streams' re-checks
#: read first (collector.revocation).
_RAISE_EPOCH = "UPDATE credential_epoch SET epoch = epoch + 1"

#: Agent ids bound in one query (well under SQLite's limit on bound parameters).
AGENTS_PER_QUERY = 500
#: Rows of one multi-row INSERT of enrollment codes (5 bound parameters each).
_CODES_PER_INSERT = 100
_AGENT_SELECT = "SELECT agent_id, site_code, secret_hash, revoked_ns, acked_through FROM agents"


#: A kit's clock anchor for one boot, replaced when the kit says Hello again. The group
#: commit of each backend writes it with the same statement.
UPSERT_ANCHOR = (
    "INSERT INTO boot_anchors (agent_id, boot_id, monotonic_ns, collector_ns) "
    "VALUES (?, ?, ?, ?) ON CONFLICT (agent_id, boot_id) DO UPDATE SET "
    "monotonic_ns = excluded.monotonic_ns, collector_ns = excluded.collector_ns"
)


def _agent(row: tuple[Any, ...]) -> Agent:
    return Agent(str(row[0]), str(row[1]), str(row[2]), row[3] is not None, int(row[4]))


def _rows(sql: str, params: Sequence[object]) -> Callable[[Tx], list[tuple[Any, ...]]]:
    return lambda tx: tx.rows(sql, params)


class IdentityMethods(Transactional):
    """Agents (enrolled, looked up, revoked), enrollment codes and boot anchors."""

    # -- agents ---------------------------------------------------------------------------

    def add_agent(self, agent_id: str, site_code: str, secret_hash: str) -> None:
        """Enroll (or re-enroll, un-revoking) an agent at a site with a credential hash."""
        now = time.time_ns()

        def body(tx: Tx) -> None:
            _enroll(tx, agent_id, site_code, secret_hash, now_ns=now, hostname=None)

        self._retrying(body)

    def get_agent(self, agent_id: str) -> Agent | None:
        row = self._read(lambda tx: tx.one(f"{_AGENT_SELECT} WHERE agent_id = ?", (agent_id,)))
        return None if row is None else _agent(row)

    def get_agents(self, agent_ids: Sequence[str]) -> dict[str, Agent]:
        """The agents of ``agent_ids`` the store knows, by id: one query per
        :data:`AGENTS_PER_QUERY` (the ingest re-checks every open stream with this)."""
        unique = sorted(set(agent_ids))
        found: dict[str, Agent] = {}
        for start in range(0, len(unique), AGENTS_PER_QUERY):
            chunk = unique[start : start + AGENTS_PER_QUERY]
            sql = f"{_AGENT_SELECT} WHERE agent_id IN ({placeholders(len(chunk))})"
            found.update((a.agent_id, a) for a in map(_agent, self._read(_rows(sql, chunk))))
        return found

    def revoke_agent(self, agent_id: str) -> bool:
        """Refuse the agent's credential from now on; False if unknown or revoked already."""
        now = time.time_ns()

        def revoke(tx: Tx) -> int:
            changed = tx.run(
                "UPDATE agents SET revoked_ns = ? WHERE agent_id = ? AND revoked_ns IS NULL",
                (now, agent_id),
            )
            if changed:
                tx.run(_RAISE_EPOCH, ())
            return changed

        return self._retrying(revoke) > 0

    def credential_epoch(self) -> int:
        """The count of changes to agents' credentials so far (collector.revocation)."""
        row = self._read(lambda tx: tx.one("SELECT epoch FROM credential_epoch"))
        return int(row[0]) if row else 0

    # -- enrollment codes -------------------------------------------------------------------

    def add_enrollment_code(
        self, code_hash: str, site_code: str, agent_id: str, expires_ns: int
    ) -> None:
        now = time.time_ns()
        self._retrying(
            lambda tx: tx.run(
                "INSERT INTO enrollment_codes (code_hash, site_code, agent_id, created_ns, "
                "expires_ns) VALUES (?, ?, ?, ?, ?)",
                (code_hash, site_code, agent_id, now, expires_ns),
            )
        )

    def add_enrollment_codes(
        self, codes: Sequence[tuple[str, str, str]], expires_ns: int
    ) -> list[str]:
        """Issue many codes, (code_hash, site_code, agent_id) each, in ONE transaction.

        A site that already has an active agent or an unused, unexpired code, and an
        agent id already in use, is not given a code: their site codes are returned
        (the rest are issued). The bulk enrollment calls this once per batch.
        """
        now = time.time_ns()
        sites = sorted({site for _, site, _ in codes})
        agents = sorted({agent for _, _, agent in codes})

        def body(tx: Tx) -> list[str]:
            taken_sites: set[str] = set()
            taken_agents: set[str] = set()
            for start in range(0, len(sites), AGENTS_PER_QUERY):
                chunk = sites[start : start + AGENTS_PER_QUERY]
                marks = placeholders(len(chunk))
                taken_sites.update(
                    str(r[0])
                    for r in tx.rows(
                        f"SELECT site_code FROM agents WHERE revoked_ns IS NULL "
                        f"AND site_code IN ({marks}) UNION SELECT site_code FROM "
                        f"enrollment_codes WHERE used_ns IS NULL AND expires_ns > ? "
                        f"AND site_code IN ({marks})",
                        (*chunk, now, *chunk),
                    )
                )
            for start in range(0, len(agents), AGENTS_PER_QUERY):
                chunk = agents[start : start + AGENTS_PER_QUERY]
                taken_agents.update(
                    str(r[0])
                    for r in tx.rows(
                        f"SELECT agent_id FROM agents WHERE agent_id IN "
                        f"({placeholders(len(chunk))})",
                        chunk,
                    )
                )
            refused = [s for _, s, a in codes if s in taken_sites or a in taken_agents]
            rows = [
                (hashed, site, agent, now, expires_ns)
                for hashed, site, agent in codes
                if site not in taken_sites and agent not in taken_agents
            ]
            for first in range(0, len(rows), _CODES_PER_INSERT):
                many = rows[first : first + _CODES_PER_INSERT]
                tx.run(
                    "INSERT INTO enrollment_codes (code_hash, site_code, agent_id, created_ns, "
                    "expires_ns) VALUES " + ", ".join(["(?, ?, ?, ?, ?)"] * len(many)),
                    [value for row in many for value in row],
                )
            return refused

        return self._retrying(body)

    def redeem_enrollment_code(
        self, code_hash: str, secret_hash: str, hostname: str, now_ns: int
    ) -> tuple[str, str] | None:
        """Use a code once: enroll its agent with ``secret_hash``; (agent_id, site) or None."""

        def body(tx: Tx) -> tuple[str, str] | None:
            row = tx.one(
                "UPDATE enrollment_codes SET used_ns = ? WHERE code_hash = ? "
                "AND used_ns IS NULL AND expires_ns > ? RETURNING agent_id, site_code",
                (now_ns, code_hash, now_ns),
            )
            if row is None:
                return None
            agent_id, site_code = str(row[0]), str(row[1])
            _enroll(tx, agent_id, site_code, secret_hash, now_ns=now_ns, hostname=hostname)
            return agent_id, site_code

        return self._retrying(body)

    # -- clock anchors ------------------------------------------------------------------------

    def save_anchor(
        self, agent_id: str, boot_id: str, monotonic_ns: int, collector_ns: int
    ) -> None:
        self._retrying(
            lambda tx: tx.run(UPSERT_ANCHOR, (agent_id, boot_id, monotonic_ns, collector_ns))
        )

    def anchors_of(self, agent_ids: Sequence[str]) -> dict[str, dict[str, tuple[int, int]]]:
        """:meth:`anchors` of many agents (one query per :data:`AGENTS_PER_QUERY`): every
        id asked for is in the answer, with no anchors if it has none."""
        unique = sorted(set(agent_ids))
        found: dict[str, dict[str, tuple[int, int]]] = {a: {} for a in unique}
        for start in range(0, len(unique), AGENTS_PER_QUERY):
            chunk = unique[start : start + AGENTS_PER_QUERY]
            sql = (
                "SELECT agent_id, boot_id, monotonic_ns, collector_ns FROM boot_anchors "
                f"WHERE agent_id IN ({placeholders(len(chunk))})"
            )
            for r in self._read(_rows(sql, chunk)):
                found[str(r[0])][str(r[1])] = (int(r[2]), int(r[3]))
        return found

    def anchors(self, agent_id: str) -> dict[str, tuple[int, int]]:
        """Boot id -> (the kit's monotonic ns, the collector's ns) of each known boot."""
        rows = self._read(
            lambda tx: tx.rows(
                "SELECT boot_id, monotonic_ns, collector_ns FROM boot_anchors WHERE agent_id = ?",
                (agent_id,),
            )
        )
        return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}


def _enroll(
    tx: Tx,
    agent_id: str,
    site_code: str,
    secret_hash: str,
    *,
    now_ns: int,
    hostname: str | None,
) -> None:
    """The site (if new) and the agent, replacing an earlier enrollment of the same id.

    A hostname is kept unless a new one is given (``add_agent`` has none to give).
    """
    tx.run(
        "INSERT INTO sites (site_code, created_ns) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (site_code, now_ns),
    )
    tx.run(
        "INSERT INTO agents (agent_id, site_code, secret_hash, created_ns, hostname) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (agent_id) DO UPDATE SET "
        "site_code = excluded.site_code, secret_hash = excluded.secret_hash, "
        "hostname = COALESCE(excluded.hostname, agents.hostname), revoked_ns = NULL",
        (agent_id, site_code, secret_hash, now_ns, hostname),
    )
    tx.run(_RAISE_EPOCH, ())  # a re-enrollment replaces a credential open streams may hold
