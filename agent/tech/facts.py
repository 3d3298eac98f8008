"""Small readers shared by ``check`` and ``status``: disk room, spool backlog, data budget, the
running agent's status file, and blocking calls bounded in time. No heavy imports."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from agent import diskroom
from agent.diskroom import Room
from agent.tech.report import DataToday, SpoolSection
from pantau.core.aio import within

T = TypeVar("T")

_DAY_S = 86400


async def in_thread(fn: Callable[[], T], timeout_s: float) -> T:
    """Run a blocking ``fn`` in a daemon thread, waiting at most ``timeout_s``.

    Unlike ``asyncio.to_thread``, a call that overruns never holds the process at
    exit (a hung modem must not hang ``check``). Raises TimeoutError.
    """
    future = DaemonExecutor().submit(fn)
    return await within(asyncio.wrap_future(future), timeout_s)


class DaemonExecutor(concurrent.futures.ThreadPoolExecutor):
    """A default executor whose calls run in daemon threads and are never waited for.

    ``loop.getaddrinfo`` runs in the default executor; on a dead link a lookup can block
    for half a minute after its probe timed out, and ``asyncio.run`` (and the
    interpreter's exit) would wait for it. ``check`` promises a bounded time, so its
    loop uses this instead.
    """

    def submit(
        self, fn: Callable[..., T], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def target() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
                future.set_exception(exc)

        threading.Thread(target=target, name="pantau-check", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to wait for: the threads are daemons."""


def data_dir_room(data_dir: Path) -> Room:
    """Room for the running agent in its data directory: free space for the spool's
    reserve and the kit's files (a reserve already made counts), and a real write."""
    from agent.spool import RESERVE_BYTES

    reserve = data_dir / "spool.sqlite.reserve"
    try:
        made = reserve.stat().st_size
    except OSError:
        made = 0
    return diskroom.measure(data_dir, diskroom.data_dir_need(RESERVE_BYTES, made))


def spool_backlog(path: Path, now_ns: int | None = None) -> SpoolSection:
    """Records waiting in the spool file, read only (the agent may be running)."""
    if not path.exists():
        return SpoolSection(str(path))
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2.0)
        try:
            count, size = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM records"
            ).fetchone()
            first = db.execute("SELECT payload FROM records ORDER BY seq LIMIT 1").fetchone()
        finally:
            db.close()
    except sqlite3.Error as exc:
        return SpoolSection(str(path), exists=True, error=str(exc))
    oldest_age_s: float | None = None
    if first is not None:
        from google.protobuf.message import DecodeError

        from pantau.v1 import records_pb2

        try:
            record = records_pb2.Record.FromString(bytes(first[0]))
        except DecodeError:  # a damaged row: the age is unknown, not fatal
            record = None
        if record is not None and record.time.wall_unix_ns:
            now = time.time_ns() if now_ns is None else now_ns
            oldest_age_s = max(0.0, (now - record.time.wall_unix_ns) / 1e9)
    return SpoolSection(
        str(path), exists=True, records=int(count), bytes=int(size), oldest_age_s=oldest_age_s
    )


def data_today(path: Path, daily_bytes: int | None, now_s: float | None = None) -> DataToday:
    """Bytes the probes used today (UTC day) from the agent's ``budget.json``."""
    now = time.time() if now_s is None else now_s
    today = int(now // _DAY_S)
    used_bytes = 0
    error: str | None = None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if int(raw["day"]) == today:
            used_bytes = int(raw["used_bytes"])
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as exc:
        error = f"{path}: {exc}"
    return DataToday(
        used_bytes=used_bytes,
        daily_bytes=daily_bytes,
        ratio=used_bytes / daily_bytes if daily_bytes else None,
        day=time.strftime("%Y-%m-%d", time.gmtime(today * _DAY_S)),
        error=error,
    )
