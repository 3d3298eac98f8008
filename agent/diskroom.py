"""Is there room to write in a directory? Free space and a real write, before it matters.

``check`` asks it of the data directory (a spool that cannot open is a kit that keeps
nothing), ``init`` of the config and data directories before the one-time enrollment
code is redeemed (a code traded for a credential that cannot be written is burnt).

:func:`measure` does the I/O: ``statvfs`` of the directory (or of its nearest existing
parent, where it would be created), then a small file created, written, fsynced and
removed, which catches what ``statvfs`` cannot see (no inodes left, a read-only mount,
a quota). :func:`classify` decides from those facts alone (pure).

What the data directory needs (:func:`data_dir_need`): the spool makes its reserve
only with twice the reserve free (:mod:`agent.spool`), plus room for the small files
beside it (credential, status, budget). A reserve already made counts as room: it is
given back the moment the disk fills.
"""

from __future__ import annotations

import contextlib
import errno
import os
from dataclasses import dataclass
from pathlib import Path

#: Room for the small files: the config, credential, status file, budget, ca.crt.
FILES_BYTES = 256 * 1024
#: What the probe file writes (one page: a full disk refuses it).
PROBE_BYTES = 4096

OK, FULL, READ_ONLY, NO_PERMISSION, ERROR = "ok", "full", "read-only", "no-permission", "error"

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_PERMISSION_ERRNOS = frozenset({errno.EACCES, errno.EPERM})


@dataclass(frozen=True, slots=True)
class Room:
    """The facts about one directory and what they mean (``status``, from
    :func:`classify`). ``checked`` is the directory measured: ``path`` itself, or its
    nearest existing parent when ``path`` does not exist yet."""

    path: str
    checked: str
    status: str  # ok | full | read-only | no-permission | error
    free_bytes: int | None
    needed_bytes: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == OK


def data_dir_need(reserve_bytes: int, existing_reserve_bytes: int = 0) -> int:
    """Free bytes the data directory needs: twice the spool's reserve (what the spool
    wants free before it makes one) and the small files, less a reserve already made."""
    return max(FILES_BYTES, 2 * reserve_bytes + FILES_BYTES - existing_reserve_bytes)


def classify(free_bytes: int | None, needed_bytes: int, write_errno: int | None) -> str:
    """The directory's status from its free space and the probe write's errno (pure)."""
    if write_errno in _FULL_ERRNOS:
        return FULL
    if write_errno == errno.EROFS:
        return READ_ONLY
    if write_errno in _PERMISSION_ERRNOS:
        return NO_PERMISSION
    if write_errno is not None:
        return ERROR
    if free_bytes is not None and free_bytes < needed_bytes:
        return FULL
    return OK


def existing_parent(path: Path) -> Path:
    """``path``, or its nearest parent that exists (where it would be created)."""
    node = path
    while not node.exists() and node != node.parent:
        node = node.parent
    return node


def probe_write(directory: Path) -> OSError | None:
    """Create, write, fsync and remove a small file in ``directory``; the error, if any."""
    probe = directory / f".pantau-room.{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, b"\0" * PROBE_BYTES)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        return exc
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    return None


def free_bytes(directory: Path) -> int | None:
    """Bytes an unprivileged writer may still use on ``directory``'s filesystem."""
    try:
        stat = os.statvfs(directory)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize


def measure(path: Path, needed_bytes: int) -> Room:
    """The room in ``path`` (or where it would be created), with a real write."""
    checked = existing_parent(path)
    free = free_bytes(checked)
    failed = probe_write(checked)
    code = None if failed is None else (failed.errno or errno.EIO)
    error = None if failed is None else (failed.strerror or str(failed))
    return Room(
        path=str(path),
        checked=str(checked),
        status=classify(free, needed_bytes, code),
        free_bytes=free,
        needed_bytes=needed_bytes,
        error=error,
    )
