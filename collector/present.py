"""How the collector writes times for people and programs (pure functions, no I/O).

Networks are written by :func:`pantau.core.operators.mcc_mnc`."""

from __future__ import annotations

import datetime as dt


def iso(ns: int | None) -> str | None:
    """ns since the epoch -> ISO 8601 UTC with milliseconds, e.g. 2026-02-14T07:30:00.000Z."""
    if ns is None:
        return None
    stamp = dt.datetime.fromtimestamp(ns // 1_000_000 / 1000, tz=dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
