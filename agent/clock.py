"""The kit's clocks: wall time, monotonic time, boot id and NTP sync state.

A Raspberry Pi has no real-time clock: after a power cut at a site without network
its wall clock is wrong until NTP syncs. Every record therefore carries all four
facts, and the collector corrects event times from the monotonic clock (see
``collector.clocks``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

_BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")
_TIME_ERROR = 5  # adjtimex(2): clock not synchronised


@dataclass(frozen=True, slots=True)
class Stamp:
    """When something happened, as the kit saw it."""

    wall_unix_ns: int
    monotonic_ns: int
    boot_id: str
    clock_synced: bool


@functools.cache
def boot_id() -> str:
    """This boot's id; a random one per process where the kernel gives none."""
    try:
        return _BOOT_ID_PATH.read_text(encoding="ascii").strip()
    except OSError:
        return f"process-{uuid.uuid4()}"


def monotonic_ns() -> int:
    """Nanoseconds since boot, counting suspend (CLOCK_BOOTTIME where available)."""
    clock = getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC)
    return time.clock_gettime_ns(clock)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None


def clock_synced() -> bool:
    """True when the kernel says the wall clock is NTP-synchronised.

    Uses ``adjtimex(2)`` in read-only mode (modes = 0), as ``timedatectl`` does:
    the call returns TIME_ERROR while the clock is unsynchronised.
    """
    libc = _libc()
    if libc is None or not hasattr(libc, "adjtimex"):
        return False
    buf = ctypes.create_string_buffer(512)  # struct timex is ~208 bytes; modes=0
    state = int(libc.adjtimex(buf))
    return state not in (-1, _TIME_ERROR)


def now() -> Stamp:
    return Stamp(
        wall_unix_ns=time.time_ns(),
        monotonic_ns=monotonic_ns(),
        boot_id=boot_id(),
        clock_synced=clock_synced(),
    )
