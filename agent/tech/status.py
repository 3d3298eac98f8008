"""The running agent's status file, and reading it for ``pantau-agent status``.

The service writes ``<data_dir>/status.json`` (next to its spool) every
:data:`WRITE_INTERVAL_S` seconds and when it stops, atomically (a temporary file in the
same directory, then rename), so a reader never sees half a file. Under systemd
(``RuntimeDirectory=pantau``, so ``$RUNTIME_DIRECTORY`` is set) the file lives in that
directory in RAM instead, and ``<data_dir>/status.json`` is a link to it: a Pi's SD card
is not rewritten every few seconds, and readers keep one path. Schema (version 1)::

    {
      "schema": 1,
      "version": "0.1.0", "pid": 1234,
      "agent_id": "...", "site": "3171011001005", "collector": "host:7600",
      "started_unix": 1732800000.0, "written_unix": 1732800123.4,
      "uptime_s": 123.4, "write_interval_s": 5.0, "stopped": false,
      "modem": {"port": "/dev/ttyUSB2", "identity": {...} | null},
      "last_reading": {"time_unix": ..., "reading": {SignalSample fields}} | null,
      "uplink": {"connected": true, "last_ack_unix": ... | null, "last_ack_seq": 42,
                 "last_error": null | "...", "connects": 1},
      "spool": {"records": 3, "bytes": 1234, "disk_full": false,
                "pending_records": 0, "dropped_unreported": 0},
      "data_today": {"used_bytes": 0, "daily_bytes": 20000000},
      "records_produced": 99,
      "last_errors": ["..."]
    }

(``disk_full``: the data disk filled up and the spool lives on its reserve;
``pending_records``: records in memory waiting for the spool; ``dropped_unreported``:
records dropped from memory whose drop report has not reached the spool yet.)

A status older than ``max(3 * write_interval_s, STALE_MIN_S)`` or whose pid is gone
means the agent is not running (or hung); ``stopped`` is set by a clean stop.

The file is padded with spaces to a multiple of :data:`BLOCK` bytes. When the data
disk is full, so that no new file can be made, the writer overwrites the current file
in place instead (its blocks are already allocated), and ``status`` keeps working;
a reader that catches that write half done reads again.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import time
from pathlib import Path
from typing import Any, Final

FILENAME: Final = "status.json"
SCHEMA: Final = 1
WRITE_INTERVAL_S: Final = 5.0
STALE_MIN_S: Final = 15.0
#: The status file's size is a multiple of this (so that it can be rewritten in place).
BLOCK: Final = 8192

RUNNING, STALE, NOT_RUNNING = "running", "stale", "not-running"


def status_path(data_dir: Path) -> Path:
    return data_dir / FILENAME


def service_status_path(data_dir: Path, runtime_dir: str | None) -> Path:
    """Where the service writes its status: ``runtime_dir`` (systemd's
    ``$RUNTIME_DIRECTORY``, the first of a ``:``-separated list) with a link to it at
    :func:`status_path`; without one, or when the link cannot be made, the data
    directory itself. Idempotent. Raises nothing."""
    link = status_path(data_dir)
    first = (runtime_dir or "").split(":")[0]
    if not first:
        return link
    target = Path(first) / FILENAME
    try:
        if link.is_symlink() and link.readlink() == target:
            return target
        tmp = link.with_name(f".{link.name}.{os.getpid()}.link")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target)
        tmp.replace(link)  # an old regular file from a run outside systemd goes too
    except OSError:
        return link
    return target


def write_status(path: Path, doc: dict[str, Any]) -> None:
    """Replace ``path`` with ``doc`` atomically (tmp + rename); on a full disk, overwrite
    it in place when it is big enough. Raises OSError."""
    data = json.dumps(doc, indent=1, sort_keys=True).encode("utf-8") + b"\n"
    data += b" " * (-len(data) % BLOCK)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as handle:
            handle.write(data)
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        _overwrite(path, data)


def _overwrite(path: Path, data: bytes) -> None:
    """Write ``data`` over the start of the existing file ``path`` (no new blocks)."""
    fd = os.open(path, os.O_WRONLY)
    try:
        if os.fstat(fd).st_size < len(data):
            raise OSError(errno.ENOSPC, "no room for a larger status file", str(path))
        os.pwrite(fd, data, 0)
    finally:
        os.close(fd)


def pid_alive(pid: int) -> bool:
    """True when a process with ``pid`` exists (EPERM: it exists, as another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_status(path: Path, now_s: float | None = None) -> dict[str, Any]:
    """The agent's state: ``{"state": running|stale|not-running, "why", "age_s", "status"}``.

    ``why`` (for not-running / stale): ``no-file``, ``unreadable``, ``stopped``,
    ``pid-gone``, ``old``.
    """
    now = time.time() if now_s is None else now_s
    try:
        doc = _load(path)
    except FileNotFoundError:
        return {"state": NOT_RUNNING, "why": "no-file", "age_s": None, "status": None}
    except (OSError, ValueError) as exc:
        return {
            "state": NOT_RUNNING,
            "why": "unreadable",
            "error": str(exc),
            "age_s": None,
            "status": None,
        }
    written = float(doc.get("written_unix") or 0.0)
    age = max(0.0, now - written)
    interval = float(doc.get("write_interval_s") or WRITE_INTERVAL_S)
    out: dict[str, Any] = {"state": RUNNING, "why": None, "age_s": age, "status": doc}
    if doc.get("stopped"):
        out.update(state=NOT_RUNNING, why="stopped")
    elif not pid_alive(int(doc.get("pid") or 0)):
        out.update(state=NOT_RUNNING, why="pid-gone")
    elif age > max(3 * interval, STALE_MIN_S):
        out.update(state=STALE, why="old")
    return out


def _load(path: Path) -> dict[str, Any]:
    """The status document, read again (twice at most) if caught half rewritten in place."""
    for attempt in range(3):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            if attempt == 2:
                raise
            time.sleep(0.05)
            continue
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
        return doc
    raise AssertionError("unreachable")  # pragma: no cover


def reading_dict(msg: Any) -> dict[str, Any]:
    """A ``pantau.v1.SignalReading`` as the SignalSample field names and values (the
    enums as agent.modem.model names: ``rat="lte"``, ``sim_state="pin"``)."""
    from agent.modem import model

    names: dict[str, dict[int, str]] = {
        "rat": {int(v): k for k, v in model._RAT_TO_PROTO.items()},
        "reg_state": {int(v): k for k, v in model._REG_TO_PROTO.items()},
        "sim_state": {int(v): k for k, v in model._SIM_TO_PROTO.items()},
    }
    out: dict[str, Any] = {}
    for desc, value in msg.ListFields():
        if desc.name in names:
            out[desc.name] = names[desc.name].get(int(value))
        elif desc.name in ("neighbours", "carriers"):
            out[desc.name] = [model.cell_dict(item) for item in value]
        elif desc.name != "neighbours_reported":
            out[desc.name] = value
    if msg.neighbours_reported:
        out.setdefault("neighbours", [])
    return out
