"""The CLI's text rendering of the query service's values (a table of sites). Pure functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from collector.store.model import SiteView
from pantau.core.operators import operator_name
from pantau.core.untrusted import terminal


def iso_seconds(ns: int | None) -> str | None:
    """ns since the epoch -> ISO 8601 UTC to the second, as the CLI writes times."""
    if ns is None:
        return None
    return dt.datetime.fromtimestamp(ns / 1e9, tz=dt.UTC).isoformat(timespec="seconds")


def _fmt(value: float | None, spec: str = ".0f") -> str:
    return "-" if value is None else format(value, spec)


def sites_table(sites: Sequence[SiteView], *, now_ns: int) -> str:
    header = (
        f"{'TPS code':<14} {'operator':<10} {'RAT':<9} {'reg':<11} {'RSRP':>5} {'RSRQ':>6} "
        f"{'SINR':>5} {'ping ms':>8} {'loss':>5} {'seen':>6} {'records':>8}"
    )
    lines = [header, "-" * len(header)]
    for site in sites:
        s, p = site.signal, site.ping
        op = "-"
        if s is not None and s.mcc and s.mnc:
            name = s.operator_name or operator_name(s.mcc, s.mnc)
            op = terminal(name.split()[0] if name and name.split() else f"{s.mcc}-{s.mnc}")
        seen = "never"
        if site.last_seen_ns is not None:
            seen = f"{max(0, (now_ns - site.last_seen_ns) // 1_000_000_000)}s"
        loss = "-" if p is None or p.loss_ratio is None else f"{p.loss_ratio:.0%}"
        lines.append(
            f"{terminal(site.site_code):<14} {op[:10]:<10} "
            f"{terminal(s.rat if s and s.rat else '-'):<9} "
            f"{terminal(s.reg_state if s and s.reg_state else '-')[:11]:<11} "
            f"{_fmt(s.rsrp_dbm if s else None):>5} {_fmt(s.rsrq_db if s else None, '.1f'):>6} "
            f"{_fmt(s.sinr_db if s else None):>5} {_fmt(p.median_ms if p else None, '.2f'):>8} "
            f"{loss:>5} {seen:>6} {site.records:>8}"
        )
    return "\n".join(lines)
