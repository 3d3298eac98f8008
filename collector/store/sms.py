"""The SMS lifeline's tables (``sms_kits``, ``sms_received``): both backends, one SQL.

Decisions are not taken here (:mod:`collector.lifeline` takes them); the one rule this
module keeps is the atomic one: :meth:`SmsMethods.accept_sms` raises a kit's highest
counter only when the new one is above it, so two copies of one SMS arriving at once
(the gateway and the webhook) are accepted once.
"""

from __future__ import annotations

from collector.store.model import SmsHeard, SmsLogRow
from collector.store.sql import Transactional, Tx

_ACCEPT = (
    "INSERT INTO sms_kits (agent_id, site_code, highest_counter, last_sms_ns, last_status) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (agent_id) DO UPDATE SET "
    "site_code = excluded.site_code, highest_counter = excluded.highest_counter, "
    "last_sms_ns = excluded.last_sms_ns, last_status = excluded.last_status "
    "WHERE sms_kits.highest_counter < excluded.highest_counter"
)


class SmsMethods(Transactional):
    def sms_highest_counter(self, agent_id: str) -> int | None:
        """The highest counter accepted from ``agent_id`` (None: no SMS yet)."""

        def body(tx: Tx) -> int | None:
            row = tx.one("SELECT highest_counter FROM sms_kits WHERE agent_id = ?", (agent_id,))
            return None if row is None else int(row[0])

        return self._read(body)

    def accept_sms(
        self, agent_id: str, site_code: str, counter: int, received_ns: int, status_json: str
    ) -> bool:
        """Record an authentic SMS; False when a counter at or above it got there first."""
        params = (agent_id, site_code, counter, received_ns, status_json)
        return self._retrying(lambda tx: tx.run(_ACCEPT, params) == 1)

    def log_sms(self, row: SmsLogRow) -> None:
        """Keep a received SMS (accepted or refused) in the log."""
        sql = (
            "INSERT INTO sms_received (received_ns, sender, via, agent_id, verdict, reason, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        values = (
            row.received_ns,
            row.sender,
            row.via,
            row.agent_id,
            row.verdict,
            row.reason,
            row.body,
        )
        self._retrying(lambda tx: tx.run(sql, values))

    def sms_heard(self, site_codes: list[str] | None = None) -> dict[str, SmsHeard]:
        """Each site's newest authentic SMS (of any of its kits)."""
        sql = "SELECT agent_id, site_code, highest_counter, last_sms_ns, last_status FROM sms_kits"

        def body(tx: Tx) -> dict[str, SmsHeard]:
            out: dict[str, SmsHeard] = {}
            for r in tx.rows(sql):
                heard = SmsHeard(str(r[0]), str(r[1]), int(r[2]), int(r[3]), str(r[4]))
                old = out.get(heard.site_code)
                if old is None or heard.last_sms_ns > old.last_sms_ns:
                    out[heard.site_code] = heard
            return out

        found = self._read(body)
        if site_codes is None:
            return found
        return {code: found[code] for code in site_codes if code in found}

    def sms_log(self, limit: int = 100) -> list[SmsLogRow]:
        """The newest received SMS, newest first."""
        sql = (
            "SELECT received_ns, sender, via, agent_id, verdict, reason, body FROM sms_received "
            "ORDER BY id DESC LIMIT ?"
        )
        rows = self._read(lambda tx: tx.rows(sql, (limit,)))
        return [
            SmsLogRow(
                int(r[0]),
                str(r[1]),
                str(r[2]),
                None if r[3] is None else str(r[3]),
                str(r[4]),
                str(r[5]),
                str(r[6]),
            )
            for r in rows
        ]
