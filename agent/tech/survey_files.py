"""``pantau-agent survey``'s output files, valid on disk after every reading.

GeoJSON cannot be appended to and stay valid, so :class:`GeoJsonWriter` writes the whole
FeatureCollection to a temporary file in the same directory, fsyncs it and renames it
over the target (then fsyncs the directory): what is on disk is always the previous
complete document or the new one, never half of one, whether the disk fills, the power
goes or the survey is killed. A survey is small (an hour at 5 s is 720 points, a few
hundred kB), so rewriting it per reading costs little.

:class:`CsvWriter` appends one row per reading with a single unbuffered write, fsynced;
a write that fails (a full disk) is cut back to the last whole row, so the file stays a
valid CSV of the rows before.

A write that fails raises :class:`SurveyFileError`: the path, the OS error, and the free
space left (for the technician's message); the file keeps what it held before.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.diskroom import free_bytes
from agent.errors import AgentError
from pantau.core.untrusted import csv_cell


class SurveyFileError(AgentError):
    """An output file could not take a reading; it still holds the ones before."""

    def __init__(self, path: Path, error: OSError, kept: int) -> None:
        self.path = path
        self.error = error
        self.kept = kept  # points (GeoJSON) or rows (CSV) the file holds
        self.free_bytes = free_bytes(path.parent)
        super().__init__(f"cannot write {path}: {error.strerror or error}")

    @property
    def disk_full(self) -> bool:
        import errno

        return self.error.errno in (errno.ENOSPC, errno.EDQUOT)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def replace_atomically(path: Path, data: bytes) -> None:
    """``path`` becomes ``data`` at once: a temporary file beside it, fsynced, renamed
    over it. On failure the temporary file is removed and ``path`` is as it was."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


class GeoJsonWriter:
    """A FeatureCollection of Point features, replaced whole and atomically per add."""

    _HEAD = '{"type": "FeatureCollection", "features": [\n'
    _TAIL = "\n]}\n"

    def __init__(self, path: Path, properties: Sequence[str]) -> None:
        self.path = path
        self.properties = tuple(properties)
        self._features: list[str] = []
        try:
            self._commit()
        except OSError as exc:
            raise SurveyFileError(path, exc, kept=0) from exc

    @property
    def count(self) -> int:
        return len(self._features)

    def add(self, row: dict[str, Any]) -> None:
        """Add a point (``row`` has lat, lon and the properties). Raises SurveyFileError."""
        feature = {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
            "properties": {k: row[k] for k in self.properties},
        }
        self._features.append(json.dumps(feature, ensure_ascii=False, allow_nan=False))
        try:
            self._commit()
        except OSError as exc:
            self._features.pop()
            raise SurveyFileError(self.path, exc, kept=len(self._features)) from exc

    def _commit(self) -> None:
        text = self._HEAD + ",\n".join(self._features) + self._TAIL
        replace_atomically(self.path, text.encode("utf-8"))

    def close(self) -> None:
        """Nothing to do: the file is complete after every add."""


class CsvWriter:
    """A CSV file of ``columns``, one whole row per add, cut back if a write fails."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.path = path
        self.columns = list(columns)
        self.count = 0
        self._size = 0
        try:
            self._fd: int | None = os.open(
                path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644
            )
        except OSError as exc:
            raise SurveyFileError(path, exc, kept=0) from exc
        try:
            self._append(self._encode(None))
        except SurveyFileError:
            self.close()
            raise

    def _encode(self, row: dict[str, Any] | None) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=self.columns)
        if row is None:
            writer.writeheader()
        else:
            # a modem's operator name starting like a formula is shown, not evaluated
            writer.writerow({k: csv_cell(row[k]) for k in self.columns})
        return out.getvalue().encode("utf-8")

    def add(self, row: dict[str, Any]) -> None:
        """Append a row. Raises SurveyFileError (the file keeps the rows before)."""
        self._append(self._encode(row))
        self.count += 1

    def _append(self, data: bytes) -> None:
        assert self._fd is not None
        try:
            _write_all(self._fd, data)
            os.fsync(self._fd)
        except OSError as exc:
            with contextlib.suppress(OSError):  # a truncate frees blocks: it works when full
                os.ftruncate(self._fd, self._size)
                os.lseek(self._fd, self._size, os.SEEK_SET)
            raise SurveyFileError(self.path, exc, kept=self.count) from exc
        self._size += len(data)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
