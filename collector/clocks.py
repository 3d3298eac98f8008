"""Event-time correction: the truth about when a record happened.

A kit's wall clock can be years off after a power cut (no RTC) until NTP syncs,
but its monotonic clock (CLOCK_BOOTTIME) is steady within one boot. When a kit
says Hello, the collector pairs the kit's monotonic time with its own wall
clock: an *anchor* for that boot. Any record of the same boot then gets::

    event = anchor.collector_ns - (anchor.monotonic_ns - record.monotonic_ns)

whatever the kit's wall clock said, so backfilled data lands at its true time.
Records from a boot with no anchor (the kit rebooted before it could connect)
fall back to the kit's wall clock, flagged by ``time_quality``.

The trusted-time rule lives here, once (:data:`TRUSTED_TIME`): only records whose
event time is anchored or comes from a synced clock reach the rules.

An event time more than :data:`FUTURE_TOLERANCE_NS` ahead of the collector's clock
when the record arrived (a kit clock saying 2100, synced or not, or a monotonic time
from another boot) is stored as received but judged ``"future"``
(:func:`judge`): never trusted, so it never feeds the rules, and never a site's
latest reading. Event times must fit int64 (:data:`EVENT_NS_RANGE`): a record whose
monotonic time puts it outside is refused (:mod:`collector.batches`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pantau.v1 import records_pb2

TimeQuality = Literal["monotonic", "synced-wall", "unsynced-wall", "future"]

#: Event times the rules trust. "unsynced-wall" is a kit clock that may say 1970 or
#: 2099: feeding it would put readings anywhere in a site's window (and evict the rest);
#: "future" is any event time too far ahead of the collector's clock at arrival.
TRUSTED_TIME: frozenset[str] = frozenset({"monotonic", "synced-wall"})

FUTURE: TimeQuality = "future"
#: How far ahead of the collector's clock (at arrival) an event time may be before it
#: is judged "future": clocks of kits and collector disagree by seconds, not minutes.
FUTURE_TOLERANCE_NS = 5 * 60 * 1_000_000_000
#: The event times the store can hold (int64 ns since the Unix epoch).
EVENT_NS_RANGE = range(-(2**63), 2**63)
#: The longest boot id an anchor keeps (a Linux boot id has 36 characters).
MAX_BOOT_ID = 128


@dataclass(frozen=True, slots=True)
class Anchor:
    monotonic_ns: int
    collector_ns: int


def event_time(
    stamp: records_pb2.RecordTime, anchors: Mapping[str, Anchor]
) -> tuple[int, TimeQuality]:
    anchor = anchors.get(stamp.boot_id)
    if anchor is not None:
        return anchor.collector_ns - (anchor.monotonic_ns - stamp.monotonic_ns), "monotonic"
    if stamp.clock_synced:
        return stamp.wall_unix_ns, "synced-wall"
    return stamp.wall_unix_ns, "unsynced-wall"


def judge(
    event_ns: int,
    quality: TimeQuality,
    received_ns: int,
    *,
    tolerance_ns: int = FUTURE_TOLERANCE_NS,
) -> TimeQuality:
    """``quality``, or ``"future"`` when ``event_ns`` is more than ``tolerance_ns`` ahead
    of ``received_ns`` (the collector's clock when the record arrived)."""
    return FUTURE if event_ns - received_ns > tolerance_ns else quality


def boot_id_fault(boot_id: str) -> str | None:
    """Why ``boot_id`` cannot be the boot id of an anchor, else None: a NUL (which
    PostgreSQL's text refuses: the store would fail on every retry) or more than
    :data:`MAX_BOOT_ID` characters. Both are a kit's bug."""
    if "\x00" in boot_id:
        return "holds a NUL character"
    if len(boot_id) > MAX_BOOT_ID:
        return f"is {len(boot_id)} characters long (at most {MAX_BOOT_ID})"
    return None


def clock_offset_ns(t1_agent: int, t2_collector: int, t3_collector: int, t4_agent: int) -> int:
    """The kit's clock offset from the collector's, NTP style (positive: kit is behind)."""
    return ((t2_collector - t1_agent) + (t3_collector - t4_agent)) // 2
