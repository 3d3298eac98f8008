"""The rollups in SQL, one text for both backends: the upsert that adds a commit's
buckets to ``site_rollups``, and the batched read of many sites' windows.

The upsert adds counts and sums, keeps minimum and maximum, and appends the delta's
values while the row holds fewer than :data:`~collector.store.rollups.MAX_VALUES`
(``SET`` reads the row as it was, in both dialects), exactly as
:meth:`~collector.store.rollups.Figure.absorb` does. Rows are written in key order,
site first: a site's rows are written only by the transaction that holds its
``site_state`` row, so replicas cannot deadlock on them.
"""

# ruff: noqa: S608 - SQL is built from constants and placeholders; values are bound.

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from collector.store.rollups import (
    FIGURES,
    MAX_VALUES,
    Figure,
    Rollup,
    bucket_of,
    decode_values,
    encode_values,
)
from collector.store.sql import Transactional, Tx, placeholders

_PARTS = ("n", "min", "max", "sum", "values")
_KEY = ("site_code", "bucket_ns", "network", "kind")
_COLUMNS = (*_KEY, "records", *(f"{f}_{p}" for f in FIGURES for p in _PARTS))


def _figure_set(f: str) -> str:
    old, new = f"site_rollups.{f}", f"excluded.{f}"
    return (
        f"{f}_values = CASE WHEN {new}_n = 0 OR {old}_n >= {MAX_VALUES} THEN {old}_values "
        f"WHEN {old}_n = 0 THEN {new}_values ELSE {old}_values || ' ' || {new}_values END, "
        f"{f}_min = CASE WHEN {new}_min IS NOT NULL AND ({old}_min IS NULL OR "
        f"{new}_min < {old}_min) THEN {new}_min ELSE {old}_min END, "
        f"{f}_max = CASE WHEN {new}_max IS NOT NULL AND ({old}_max IS NULL OR "
        f"{new}_max > {old}_max) THEN {new}_max ELSE {old}_max END, "
        f"{f}_sum = {old}_sum + {new}_sum, {f}_n = {old}_n + {new}_n"
    )


#: Values one row of :func:`upsert_rollups` binds (the length of :func:`rollup_params`).
ROLLUP_WIDTH = len(_COLUMNS)
_ON_CONFLICT = (
    f" ON CONFLICT ({', '.join(_KEY)}) DO UPDATE SET "
    "records = site_rollups.records + excluded.records, "
    + ", ".join(_figure_set(f) for f in FIGURES)
)


def upsert_rollups(rows: int) -> str:
    """Adds ``rows`` buckets' deltas (:func:`rollup_params`, one after the other) to their
    rows in one statement: the deltas of one commit have distinct keys (:func:`deltas`),
    so each row of the table is written at most once by it."""
    one = f"({placeholders(ROLLUP_WIDTH)})"
    return (
        f"INSERT INTO site_rollups ({', '.join(_COLUMNS)}) VALUES "
        + ", ".join([one] * rows)
        + _ON_CONFLICT
    )


#: Adds one bucket's delta (:func:`rollup_params`) to its row.
UPSERT_ROLLUP = upsert_rollups(1)


_ABSENT: list[object] = [0, None, None, 0.0, ""] * len(FIGURES)
_AT = {name: 5 + 5 * i for i, name in enumerate(FIGURES)}


def rollup_params(row: Rollup) -> list[object]:
    """A delta's values for :data:`UPSERT_ROLLUP`, in its column order."""
    out = [row.site_code, row.bucket_ns, row.network, row.kind, row.records, *_ABSENT]
    for name, fig in row.figures.items():
        if fig.n:
            at = _AT[name]
            out[at : at + 5] = (fig.n, fig.min, fig.max, fig.sum, encode_values(fig.values))
    return out


def rollup_of_row(r: Sequence[object]) -> Rollup:
    rollup = Rollup(str(r[0]), str(r[2]), str(r[3]), int(str(r[1])), int(str(r[4])))
    for name, at in _AT.items():
        n, low, high, total, values = r[at : at + 5]
        if int(str(n)):
            rollup.figures[name] = Figure(
                int(str(n)),
                None if low is None else float(str(low)),
                None if high is None else float(str(high)),
                float(str(total)),
                decode_values(str(values)),
            )
    return rollup


def _rows(sql: str, params: Sequence[object]) -> Callable[[Tx], list[tuple[Any, ...]]]:
    return lambda tx: tx.rows(sql, params)


#: Site codes bound in one read (well under SQLite's limit on bound parameters).
_CHUNK = 500


class RollupMethods(Transactional):
    """The rollups a window reads, for many sites at once."""

    def rollups_since(self) -> int | None:
        """When the rollups begin (ns; None: this store keeps none)."""
        row = self._read(lambda tx: tx.one("SELECT MIN(since_ns) FROM rollups_start"))
        return None if row is None or row[0] is None else int(row[0])

    def rollups_of_sites(self, site_codes: Sequence[str], since_ns: int) -> dict[str, list[Rollup]]:
        """Per site: its rows of the buckets from the one holding ``since_ns`` on, in
        bucket order (one read per 500 sites, through the primary key)."""
        out: dict[str, list[Rollup]] = {code: [] for code in site_codes}
        start = bucket_of(since_ns)
        unique = sorted(set(site_codes))
        for first in range(0, len(unique), _CHUNK):
            chunk = unique[first : first + _CHUNK]
            sql = (
                f"SELECT {', '.join(_COLUMNS)} FROM site_rollups WHERE site_code IN "
                f"({placeholders(len(chunk))}) AND bucket_ns >= ? "
                "ORDER BY site_code, bucket_ns, network, kind"
            )
            for r in self._read(_rows(sql, (*chunk, start))):
                out[str(r[0])].append(rollup_of_row(r))
        return out
