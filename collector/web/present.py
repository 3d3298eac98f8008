"""How the API writes times and networks (pure functions, no I/O)."""

from __future__ import annotations

import datetime as dt


def iso(ns: int | None) -> str | None:
    """ns since the epoch -> ISO 8601 UTC with milliseconds, e.g. 2026-02-14T07:30:00.000Z."""
    if ns is None:
        return None
    stamp = dt.datetime.fromtimestamp(ns // 1_000_000 / 1000, tz=dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def mcc_mnc(mcc: str | None, mnc: str | None) -> str | None:
    """The site's network as ``"510-10"`` (a three-digit MNC with a leading zero shortened)."""
    if not mcc or not mnc:
        return None
    mnc = mnc.strip()
    if len(mnc) == 3 and mnc.startswith("0"):
        mnc = mnc[1:]
    return f"{mcc.strip()}-{mnc}"
