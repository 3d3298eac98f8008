"""The daily data budget of the kit's SIM: every probe's bytes counted, expensive probes
skipped once the day's bytes are spent.

Day boundary: midnight **UTC** (07:00 WIB, 08:00 WITA, 09:00 WIT). The budget is the
kit's own cap, not the operator's quota; kits rarely have a time zone set, and one fleet-wide
boundary makes kits comparable. After a power cut the wall clock may be wrong until NTP syncs:
a clock that went *back* never reopens a spent day (the stored day only moves forward), and
one that jumps forward at worst starts a new day early.

Persistence: a small JSON file in the agent's data dir (``budget.json``), replaced
atomically (write a temporary file, fsync, rename) on every charge, so the count survives
restarts. An unreadable file is reported through ``problem`` and counting starts from zero.
Several processes may charge the same file (the running agent, and ``pantau-agent check``
testing the link beside it): each charge re-reads the file under an advisory lock
(``budget.json.lock``), so no process's bytes overwrite another's. Run as root next to a
service running as its own user, the files keep the data directory's owner.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Budget", "BudgetState"]

_DAY_S = 86400


@dataclass(frozen=True, slots=True)
class BudgetState:
    day: int  # days since the epoch, UTC
    used_bytes: int


class Budget:
    """``daily_bytes`` per UTC day, persisted at ``path``."""

    def __init__(
        self,
        path: Path,
        daily_bytes: int,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if daily_bytes <= 0:
            raise ValueError(f"daily_bytes must be positive, got {daily_bytes}")
        self.path = path
        self.daily_bytes = daily_bytes
        self._clock = wall_clock
        self.problem: str | None = None
        self._state = self._load()

    def _today(self) -> int:
        return int(self._clock() // _DAY_S)

    def _load(self) -> BudgetState:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return BudgetState(int(raw["day"]), int(raw["used_bytes"]))
        except FileNotFoundError:
            return BudgetState(self._today(), 0)
        except (OSError, ValueError, KeyError, TypeError) as err:
            self.problem = f"data budget file {self.path} unreadable ({err}); counting from zero"
            return BudgetState(self._today(), 0)

    def _current(self) -> BudgetState:
        today = self._today()
        if today > self._state.day:
            self._state = BudgetState(today, 0)
        return self._state

    @property
    def used_bytes(self) -> int:
        return self._current().used_bytes

    @property
    def remaining_bytes(self) -> int:
        return max(0, self.daily_bytes - self.used_bytes)

    def spent(self) -> bool:
        return self.used_bytes >= self.daily_bytes

    def charge(self, nbytes: int) -> None:
        """Count ``nbytes`` against today and persist (with what other processes charged)."""
        if nbytes <= 0:
            return
        with self._locked():
            self._merge(self._read())
            state = self._current()
            self._state = BudgetState(state.day, state.used_bytes + nbytes)
            self._save()

    def _read(self) -> BudgetState | None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return BudgetState(int(raw["day"]), int(raw["used_bytes"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing or unreadable: what this process counted stands

    def _merge(self, stored: BudgetState | None) -> None:
        """Take another process's newer count; a stored day in the past changes nothing."""
        if stored is None or stored.day < self._state.day:
            return
        if stored.day > self._state.day:
            self._state = stored
        else:
            self._state = BudgetState(stored.day, max(stored.used_bytes, self._state.used_bytes))

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive advisory lock beside the file (none where it cannot be had)."""
        try:
            import fcntl
        except ImportError:  # not POSIX
            yield
            return
        lock = self.path.with_name(self.path.name + ".lock")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDONLY | os.O_CREAT, 0o644)
        except OSError:
            yield  # a read-only data dir: _save reports it
            return
        try:
            self._keep_owner(lock)
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _keep_owner(self, path: Path) -> None:
        """As root, give ``path`` the data directory's owner (the service's user)."""
        if not hasattr(os, "geteuid") or os.geteuid() != 0:
            return
        with contextlib.suppress(OSError):
            owner = self.path.parent.stat()
            if path.stat().st_uid != owner.st_uid:
                os.chown(path, owner.st_uid, owner.st_gid)

    def describe(self) -> str:
        return (
            f"daily data budget spent: {self.used_bytes} of {self.daily_bytes} bytes used "
            "today (resets at 00:00 UTC)"
        )

    def _save(self) -> None:
        data = json.dumps({"day": self._state.day, "used_bytes": self._state.used_bytes})
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tmp.open("w", encoding="utf-8") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            self._keep_owner(tmp)
            tmp.replace(self.path)
        except OSError as err:
            with contextlib.suppress(OSError):
                tmp.unlink()  # a full disk must not keep half a file
            self.problem = f"cannot save the data budget to {self.path}: {err.strerror}"
