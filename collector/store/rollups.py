"""Per-site rollups: 5-minute figures per site, network and kind, kept at ingest.

A site's long windows (coverage over a day, a chart of the election) are read from
``site_rollups``, not from its raw records: one row per (site, network, kind,
5-minute bucket of event time) holding the bucket's record count and, per figure
(RSRP, RSRQ and SINR of signal readings; the median round-trip time and the loss
of ping rounds), its count, minimum, maximum, sum and its first values.

No I/O and no clock: the ingest turns each record into a :class:`Sample` where it
decodes it (``collector.batches.rollup_sample``), the store folds the samples of
the records a commit stored into one :class:`Rollup` per bucket (:func:`deltas`)
and adds each to its row (counts and sums added, minimum and maximum kept, values
appended: :mod:`collector.store.rollup_sql`); a read folds the rows of a window
back with :func:`merge` (each :class:`Figure`'s ``median`` and ``mean``).

Medians and their tolerance: a bucket keeps its values while it holds fewer than
:data:`MAX_VALUES` (a commit's values are appended while the row holds fewer; so
at least the first 60 by arrival, at most 119), written with 7 significant digits.
A window's median is the median of the values its buckets keep: at election-day
cadence (a signal reading and a ping round a minute, 5 a bucket) every value is
kept and the median is exact to the 7th digit; a bucket of a denser kit gives its
first values only (a backlog drains in seq order, so they are its oldest).
Counts, minimum, maximum and mean (loss) are always exact. A record judged from
the future is not in any bucket (its time says nothing). A network is the
reading's own (MCC-MNC); a ping round takes the network of the signal reading
before it in the same batch, or none (``""``).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

BUCKET_NS = 5 * 60 * 10**9
#: Values a bucket keeps per figure for its medians (see the module doc).
MAX_VALUES = 60

#: Each kind with rollups, and the figures it has, as (figure, field of the reading).
KIND_FIGURES: dict[str, tuple[tuple[str, str], ...]] = {
    "signal": (("rsrp_dbm", "rsrp_dbm"), ("rsrq_db", "rsrq_db"), ("sinr_db", "sinr_db")),
    "ping": (("rtt_ms", "median_ms"), ("loss_ratio", "loss_ratio")),
}
FIGURES: tuple[str, ...] = tuple(name for figs in KIND_FIGURES.values() for name, _ in figs)


@dataclass(slots=True)  # a value, not frozen: built per record (see model.RecordRow)
class Sample:
    """One stored record's part of a bucket: its kind, network and figures (an absent
    or out-of-range figure is not there)."""

    kind: str
    network: str
    event_ns: int
    values: tuple[tuple[str, float], ...]


@dataclass(slots=True)
class Figure:
    """One figure's rollup in a bucket (or a window)."""

    n: int = 0
    min: float | None = None
    max: float | None = None
    sum: float = 0.0
    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.n += 1
        self.min = value if self.min is None else min(self.min, value)
        self.max = value if self.max is None else max(self.max, value)
        self.sum += value
        if len(self.values) < MAX_VALUES:
            self.values.append(value)

    def absorb(self, other: Figure, *, capped: bool = True) -> None:
        """Add ``other``: as the store adds a commit's delta to a bucket's row (its
        values while the row holds fewer than the cap), or, not ``capped``, as a
        window gathers its buckets (every value they keep)."""
        if other.n == 0:
            return
        if not capped or self.n < MAX_VALUES:
            self.values.extend(other.values)
        self.n += other.n
        self.sum += other.sum
        if other.min is not None and (self.min is None or other.min < self.min):
            self.min = other.min
        if other.max is not None and (self.max is None or other.max > self.max):
            self.max = other.max

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    @property
    def mean(self) -> float | None:
        return self.sum / self.n if self.n else None


@dataclass(slots=True)
class Rollup:
    """A bucket's row: (site, network, kind, bucket start) and its figures."""

    site_code: str
    network: str
    kind: str
    bucket_ns: int
    records: int = 0
    figures: dict[str, Figure] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int, str, str]:
        """The row's key, in the order rows are written (site first, as site_state)."""
        return (self.site_code, self.bucket_ns, self.network, self.kind)


def bucket_of(event_ns: int) -> int:
    return event_ns - event_ns % BUCKET_NS


def deltas(site_samples: Iterable[tuple[str, Sample]]) -> list[Rollup]:
    """The rows to add for (site, sample) pairs of stored records, in key order (the
    ingest's hot path: values gathered per figure, then counted with builtins)."""
    groups: dict[tuple[str, int, str, str], list[Sample]] = {}
    for site_code, s in site_samples:
        event_ns = s.event_ns
        key = (site_code, event_ns - event_ns % BUCKET_NS, s.network, s.kind)
        found = groups.get(key)
        if found is None:
            groups[key] = [s]
        else:
            found.append(s)
    out = []
    for key in sorted(groups):
        samples = groups[key]
        per: dict[str, list[float]] = {}
        for s in samples:
            for name, value in s.values:
                values = per.get(name)
                if values is None:
                    per[name] = [value]
                else:
                    values.append(value)
        figures = {
            name: Figure(len(vs), min(vs), max(vs), sum(vs), vs[:MAX_VALUES])
            for name, vs in per.items()
        }
        out.append(Rollup(key[0], key[2], key[3], key[1], len(samples), figures))
    return out


def merge(rows: Iterable[Rollup]) -> dict[str, Figure]:
    """A window's figures from its buckets' rows (of one site, or several)."""
    total: dict[str, Figure] = {}
    for row in rows:
        for name, fig in row.figures.items():
            total.setdefault(name, Figure()).absorb(fig, capped=False)
    return total


def records_of(rows: Iterable[Rollup], kind: str) -> int:
    return sum(r.records for r in rows if r.kind == kind)


def encode_values(values: Sequence[float]) -> str:
    """A figure's kept values as stored: space-separated, 7 significant digits."""
    return " ".join(format(v, ".7g") for v in values)


def decode_values(text: str) -> list[float]:
    return [float(v) for v in text.split()]
