"""The outbox (claimed, leased, delivered in order per ticket), site windows, retention.

Portable SQL over :class:`collector.store.sql.Transactional`, shared by both
backends; outbox rows are written by :mod:`collector.store.tickets` in the same
transaction as the ticket change they announce. See that module for the rules.
"""

# ruff: noqa: S608 - SQL is built from constants and placeholders; values are bound.

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from collector.store.model import Notification, PruneCounts, StoredRecord
from collector.store.sql import (
    OUTBOX_COLUMNS,
    RECORD_COLUMNS,
    Transactional,
    Tx,
    opt_int,
    opt_str,
    placeholders,
    stored_record,
)


class OutboxMethods(Transactional):
    """Outbox claims and marks, a site's event-time window, and pruning."""

    # -- outbox -------------------------------------------------------------------------

    def claim_notifications(
        self, worker_id: str, *, now_ns: int, lease_ns: int, limit: int
    ) -> list[Notification]:
        """Lease up to ``limit`` due notifications to ``worker_id`` until now + lease.

        Only the oldest undelivered row of each ticket (and of each incident) can be
        claimed, and only if it is due (``next_attempt_ns <= now_ns``) and not leased to
        anyone (or the lease ran out), so a ticket's (an incident's) notifications go
        out in order, one at a time. Concurrent
        workers never hold the same row (SKIP LOCKED on PostgreSQL, the single writer
        on SQLite). ``attempts`` counts claims.
        """

        def body(tx: Tx) -> list[Notification]:
            ids = [
                int(r[0])
                for r in tx.rows(
                    "SELECT o.id FROM outbox o WHERE o.delivered_ns IS NULL "
                    "AND o.next_attempt_ns <= ? "
                    "AND (o.claim_until_ns IS NULL OR o.claim_until_ns <= ?) "
                    "AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ticket_id = o.ticket_id "
                    "AND p.delivered_ns IS NULL AND p.id < o.id) "
                    "AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.incident_id = o.incident_id "
                    "AND p.delivered_ns IS NULL AND p.id < o.id) "
                    f"ORDER BY o.id LIMIT ?{tx.skip_locked}",
                    (now_ns, now_ns, limit),
                )
            ]
            if not ids:
                return []
            rows = tx.rows(
                "UPDATE outbox SET claimed_by = ?, claim_until_ns = ?, "
                f"attempts = attempts + 1 WHERE id IN ({placeholders(len(ids))}) "
                f"RETURNING {OUTBOX_COLUMNS}",
                (worker_id, now_ns + lease_ns, *ids),
            )
            return sorted((_notification(r) for r in rows), key=lambda n: n.id)

        return self._retrying(body)

    def mark_delivered(self, notification_id: int, worker_id: str, now_ns: int) -> bool:
        """The receiver accepted it. False if it was already marked delivered.

        Accepted even from a worker whose lease ran out: the delivery happened.
        """
        return (
            self._retrying(
                lambda tx: tx.run(
                    "UPDATE outbox SET delivered_ns = ?, claimed_by = ?, claim_until_ns = NULL, "
                    "last_error = NULL WHERE id = ? AND delivered_ns IS NULL",
                    (now_ns, worker_id, notification_id),
                )
            )
            > 0
        )

    def mark_failed(
        self, notification_id: int, worker_id: str, *, error: str, next_attempt_ns: int
    ) -> bool:
        """Release the claim and retry at ``next_attempt_ns`` (the caller's back-off).

        False if ``worker_id`` no longer holds the claim (it expired and another worker
        took it, or it was delivered): nothing is changed then.
        """
        return (
            self._retrying(
                lambda tx: tx.run(
                    "UPDATE outbox SET last_error = ?, next_attempt_ns = ?, claimed_by = NULL, "
                    "claim_until_ns = NULL WHERE id = ? AND claimed_by = ? "
                    "AND delivered_ns IS NULL",
                    (error, next_attempt_ns, notification_id, worker_id),
                )
            )
            > 0
        )

    def waiting_notifications(self, dedup_key: str, after_id: int) -> list[Notification]:
        """Undelivered rows of ``dedup_key`` newer than ``after_id``, oldest first.

        For aggregation: the dispatcher holds the oldest row of the key, so no other
        worker can be sending any of these (they are claimable only after it).
        """
        rows = self._read(
            lambda tx: tx.rows(
                f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE dedup_key = ? AND id > ? "
                "AND delivered_ns IS NULL ORDER BY id",
                (dedup_key, after_id),
            )
        )
        return [_notification(r) for r in rows]

    def mark_superseded(
        self, notification_ids: Sequence[int], by_id: int, worker_id: str, now_ns: int
    ) -> int:
        """Settle rows without sending them: a newer row (``by_id``) says it all.

        They are marked delivered at ``now_ns`` with ``last_error`` "superseded by #<id>"
        so the history shows why they never reached the receiver. Rows delivered already,
        or leased to another worker whose lease still runs, are left alone. Returns how
        many were settled.
        """
        if not notification_ids:
            return 0
        ids = list(notification_ids)
        return self._retrying(
            lambda tx: tx.run(
                "UPDATE outbox SET delivered_ns = ?, last_error = ?, claimed_by = ?, "
                f"claim_until_ns = NULL WHERE id IN ({placeholders(len(ids))}) "
                "AND delivered_ns IS NULL AND (claimed_by IS NULL OR claimed_by = ? "
                "OR claim_until_ns IS NULL OR claim_until_ns <= ?)",
                (now_ns, f"superseded by #{by_id}", worker_id, *ids, worker_id, now_ns),
            )
        )

    def release_notifications(
        self, notification_ids: Sequence[int], worker_id: str, *, next_attempt_ns: int
    ) -> int:
        """Give back claims that were not tried (the route's rate limit): they are due
        again at ``next_attempt_ns``, and the claim is not counted as an attempt."""
        if not notification_ids:
            return 0
        ids = list(notification_ids)
        return self._retrying(
            lambda tx: tx.run(
                "UPDATE outbox SET next_attempt_ns = ?, claimed_by = NULL, "
                "claim_until_ns = NULL, attempts = CASE WHEN attempts > 0 THEN attempts - 1 "
                f"ELSE 0 END WHERE id IN ({placeholders(len(ids))}) AND claimed_by = ? "
                "AND delivered_ns IS NULL",
                (next_attempt_ns, *ids, worker_id),
            )
        )

    def outbox_backlog(self) -> int:
        """Undelivered notifications (claimed or not)."""
        row = self._read(
            lambda tx: tx.one("SELECT COUNT(*) FROM outbox WHERE delivered_ns IS NULL")
        )
        return int(row[0]) if row else 0

    # -- windows and retention ----------------------------------------------------------

    def site_window(self, site_code: str, since_ns: int) -> list[StoredRecord]:
        """A site's records with ``event_ns >= since_ns``, in event-time order."""
        rows = self._read(
            lambda tx: tx.rows(
                f"SELECT {RECORD_COLUMNS} FROM records "
                "WHERE site_code = ? AND event_ns >= ? ORDER BY event_ns, agent_id, seq",
                (site_code, since_ns),
            )
        )
        return [stored_record(r) for r in rows]

    #: Sites read in one statement by :meth:`site_windows`.
    WINDOWS_CHUNK = 200

    def site_windows(
        self, site_codes: Sequence[str], since_ns: int
    ) -> dict[str, list[StoredRecord]]:
        """:meth:`site_window` of each of ``site_codes`` (every one a key, empty if it has
        no records), read in one transaction: a rules rebuild of many sites at once."""
        codes = sorted(set(site_codes))
        chunks = [
            codes[i : i + self.WINDOWS_CHUNK] for i in range(0, len(codes), self.WINDOWS_CHUNK)
        ]

        def read(tx: Tx) -> list[tuple[Any, ...]]:
            rows: list[tuple[Any, ...]] = []
            for chunk in chunks:
                rows += tx.rows(
                    f"SELECT {RECORD_COLUMNS} FROM records WHERE site_code IN "
                    f"({placeholders(len(chunk))}) AND event_ns >= ? "
                    "ORDER BY site_code, event_ns, agent_id, seq",
                    (*chunk, since_ns),
                )
            return rows

        found: dict[str, list[StoredRecord]] = {code: [] for code in codes}
        for r in self._read(read) if chunks else []:
            found[r[1]].append(stored_record(r))
        return found

    def _prune_records(self, tx: Tx, older_than_ns: int) -> int:
        """Delete old records and take them off the sites' record counts (one scan; in
        site order, the order ingest locks site_state rows in). A record whose event time
        was judged from the future is old by its arrival: its event time says nothing."""
        where = "(event_ns < ? OR (time_quality = 'future' AND received_ns < ?))"
        params = (older_than_ns, older_than_ns)
        for site_code, count in tx.rows(
            f"SELECT site_code, COUNT(*) FROM records WHERE {where} GROUP BY site_code "
            "ORDER BY site_code",
            params,
        ):
            tx.run(
                "UPDATE site_state SET records = CASE WHEN records > ? THEN records - ? ELSE 0 "
                "END WHERE site_code = ?",
                (count, count, site_code),
            )
        tx.run("DELETE FROM site_rollups WHERE bucket_ns < ?", (older_than_ns,))
        return tx.run(f"DELETE FROM records WHERE {where}", params)

    def prune(self, records_older_than_ns: int, resolved_tickets_older_than_ns: int) -> PruneCounts:
        """Delete records with ``event_ns`` (``received_ns`` for a record from the future)
        before the first cut-off, and tickets resolved
        (``resolved_ns``) before the second with their history and outbox rows, and
        incidents resolved before it. A ticket or incident with an undelivered
        notification is kept until it is delivered."""
        records = self._retrying(lambda tx: self._prune_records(tx, records_older_than_ns))

        def tickets(tx: Tx) -> PruneCounts:
            ids = [
                int(r[0])
                for r in tx.rows(
                    "SELECT t.id FROM tickets t WHERE t.state = 'resolved' "
                    "AND t.resolved_ns < ? AND NOT EXISTS (SELECT 1 FROM outbox o "
                    f"WHERE o.ticket_id = t.id AND o.delivered_ns IS NULL){tx.lock_rows}",
                    (resolved_tickets_older_than_ns,),
                )
            ]
            counts = [0, 0, 0]
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = placeholders(len(chunk))
                tx.run(f"DELETE FROM incident_tickets WHERE ticket_id IN ({marks})", chunk)
                for i, sql in enumerate(
                    (
                        f"DELETE FROM ticket_events WHERE ticket_id IN ({marks})",
                        f"DELETE FROM outbox WHERE ticket_id IN ({marks})",
                        f"DELETE FROM tickets WHERE id IN ({marks})",
                    )
                ):
                    counts[i] += tx.run(sql, chunk)
            counts[1] += _prune_incidents(tx, resolved_tickets_older_than_ns)
            return PruneCounts(records, counts[2], counts[0], counts[1])

        return self._retrying(tickets)


def _prune_incidents(tx: Tx, older_than_ns: int) -> int:
    """Delete incidents resolved before the cut-off whose notifications were all
    delivered, with their memberships, history and outbox rows; the outbox rows deleted."""
    ids = [
        int(r[0])
        for r in tx.rows(
            "SELECT i.id FROM incidents i WHERE i.state = 'resolved' AND i.resolved_ns < ? "
            "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.incident_id = i.id "
            f"AND o.delivered_ns IS NULL){tx.lock_rows}",
            (older_than_ns,),
        )
    ]
    deleted = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = placeholders(len(chunk))
        tx.run(f"DELETE FROM incident_tickets WHERE incident_id IN ({marks})", chunk)
        tx.run(f"DELETE FROM incident_events WHERE incident_id IN ({marks})", chunk)
        deleted += tx.run(f"DELETE FROM outbox WHERE incident_id IN ({marks})", chunk)
        tx.run(f"DELETE FROM incidents WHERE id IN ({marks})", chunk)
    return deleted


def _notification(r: Sequence[Any]) -> Notification:
    return Notification(
        id=int(r[0]),
        ticket_id=opt_int(r[1]),
        dedup_key=str(r[2]),
        action=str(r[3]),
        route=str(r[4]),
        payload=str(r[5]),
        created_ns=int(r[6]),
        attempts=int(r[7]),
        next_attempt_ns=int(r[8]),
        delivered_ns=opt_int(r[9]),
        last_error=opt_str(r[10]),
        claimed_by=opt_str(r[11]),
        claim_until_ns=opt_int(r[12]),
        incident_id=opt_int(r[13]),
    )
