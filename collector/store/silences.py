"""Silences (planned work): announced, listed and ended; :mod:`collector.store.incidents`
reads the active ones when it reconciles a group (:class:`collector.incidents.Silence`).

Portable SQL over :class:`collector.store.sql.Transactional`, shared by both backends.
"""

# ruff: noqa: S608 - SQL is built from constants and placeholders; values are bound.

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from collector.incidents import Family, Silence
from collector.store.sql import Transactional, Tx, opt_str, placeholders

SILENCE_COLUMNS = (
    "id, operator, cell, kabupaten, province, family, start_ns, end_ns, created_by, reason, "
    "created_ns"
)


@dataclass(frozen=True, slots=True)
class StoredSilence:
    silence: Silence
    created_by: str
    reason: str
    created_ns: int


class SilenceMethods(Transactional):
    """Announcing, listing and ending silences."""

    def add_silence(
        self,
        *,
        operator: str,
        start_ns: int,
        end_ns: int,
        created_by: str,
        reason: str,
        now_ns: int,
        cell: str | None = None,
        kabupaten: str | None = None,
        province: str | None = None,
        family: str | None = None,
    ) -> StoredSilence:
        """Record planned work; incidents it matches page nobody from ``start_ns`` to
        ``end_ns``. Bad input raises ValueError naming the field."""
        check_silence(operator, start_ns, end_ns, cell, kabupaten, province, family, reason)
        values = (operator, cell, kabupaten, province, family, start_ns, end_ns, created_by)
        row = self._retrying(
            lambda tx: tx.one(
                f"INSERT INTO silences ({SILENCE_COLUMNS.removeprefix('id, ')}) "
                f"VALUES ({placeholders(10)}) RETURNING {SILENCE_COLUMNS}",
                (*values, reason, now_ns),
            )
        )
        assert row is not None
        return silence_from_row(row)

    def list_silences(
        self,
        *,
        active_after_ns: int | None = None,
        operators: Sequence[str] | None = None,
        limit: int = 500,
    ) -> list[StoredSilence]:
        """Silences, newest first; ``active_after_ns``: only those ending after it."""
        clauses, params = ["1 = 1"], list[object]()
        if active_after_ns is not None:
            clauses.append("end_ns > ?")
            params.append(active_after_ns)
        if operators is not None:
            clauses.append(
                f"operator IN ({placeholders(len(operators))})" if operators else "1 = 0"
            )
            params += list(operators)
        sql = (
            f"SELECT {SILENCE_COLUMNS} FROM silences WHERE {' AND '.join(clauses)} "
            "ORDER BY id DESC LIMIT ?"
        )
        return [silence_from_row(r) for r in self._read(lambda tx: tx.rows(sql, (*params, limit)))]

    def get_silence(self, silence_id: int) -> StoredSilence | None:
        row = self._read(
            lambda tx: tx.one(f"SELECT {SILENCE_COLUMNS} FROM silences WHERE id = ?", (silence_id,))
        )
        return None if row is None else silence_from_row(row)

    def expire_silence(self, silence_id: int, now_ns: int) -> bool:
        """End a silence now, or cancel one planned for later (False: no such silence, or
        it has ended already). Incidents it held are triggered at the next tick."""

        def body(tx: Tx) -> int:
            # One planned for later is cancelled: it starts and ends now.
            return tx.run(
                "UPDATE silences SET start_ns = CASE WHEN start_ns < ? THEN start_ns ELSE ? END, "
                "end_ns = ? WHERE id = ? AND end_ns > ?",
                (now_ns, now_ns - 1, now_ns, silence_id, now_ns),
            )

        return self._retrying(body) > 0


def check_silence(  # noqa: PLR0917 - the fields of a silence, in their order
    operator: str,
    start_ns: int,
    end_ns: int,
    cell: str | None,
    kabupaten: str | None,
    province: str | None,
    family: str | None,
    reason: str,
) -> None:
    """ValueError naming the first bad field of a silence."""
    if not operator:
        raise ValueError("operator: expected an MCC-MNC such as 510-10, or field-team")
    if end_ns <= start_ns:
        raise ValueError("end: expected a time after the start")
    if kabupaten is not None and not (len(kabupaten) == 4 and kabupaten.isdigit()):
        raise ValueError(
            f"kabupaten: expected 4 digits (the TPS code's first 4), got {kabupaten!r}"
        )
    if province is not None and not (len(province) == 2 and province.isdigit()):
        raise ValueError(f"province: expected 2 digits, got {province!r}")
    if cell is not None and not cell.strip():
        raise ValueError("cell: expected a cell such as 510-01:12825858")
    if family is not None and family not in tuple(Family):
        raise ValueError(f"family: expected one of {', '.join(Family)}, got {family!r}")
    if not reason.strip():
        raise ValueError("reason: say why (the planned work)")


def silence_from_row(r: Sequence[Any]) -> StoredSilence:
    family = opt_str(r[5])
    silence = Silence(
        id=int(r[0]), operator=str(r[1]), cell=opt_str(r[2]), kabupaten=opt_str(r[3]),
        province=opt_str(r[4]), family=None if family is None else Family(family),
        start_ns=int(r[6]), end_ns=int(r[7]),
    )  # fmt: skip
    return StoredSilence(silence, str(r[8]), str(r[9]), int(r[10]))
