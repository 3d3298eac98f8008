"""Bulk enrollment: one-time codes for every TPS site of a CSV file.

``pantau-collector enroll --sites-file SITES.csv --out CODES.csv``. The CSV has a
header naming ``tps_code`` and, optionally, ``agent_id`` (the columns
``enroll --site`` takes per site; the default agent id is ``kit-<site>``). Every line
is checked before anything is written (:func:`parse_sites`, pure): a bad TPS code
(the message names the line and the offending character), a bad agent id, a site
or agent id given twice in the file. The good lines are then issued codes in
batches, one transaction per batch (:meth:`AccountStore.add_enrollment_codes`),
which also refuses sites already enrolled (an active agent, or an unused code still
valid) and agent ids already in use. Codes go to the output file, created with mode
0600 and never overwritten (:func:`open_private`): a code is a key to the fleet.

Every refusal is one :class:`Refusal`: the line number and one sentence in English
and in Bahasa Indonesia, so a person fixing the file can read either.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from collector import auth
from collector.enrollment import code_hash, new_code
from collector.errors import CollectorError
from collector.store import AccountStore
from pantau.core.sites import PROVINCES

#: Lines issued in one transaction.
BATCH_LINES = 1000
#: The columns a sites file may have (``tps_code`` is required).
COLUMNS = ("tps_code", "agent_id")


class SitesFileError(CollectorError):
    """A sites file that cannot be read at all (no header, not CSV, not UTF-8)."""


@dataclass(frozen=True, slots=True)
class SiteLine:
    line: int
    site_code: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class Refusal:
    line: int
    site_code: str
    en: str
    id: str

    def text(self) -> str:
        return f"line {self.line}: {self.en} / baris {self.line}: {self.id}"


@dataclass(frozen=True, slots=True)
class Issued:
    line: int
    site_code: str
    agent_id: str
    code: str


def tps_code_fault(code: str) -> tuple[str, str] | None:
    """Why ``code`` is not a TPS code, in English and Indonesian, naming the first bad
    character; None if it is one. The same rules as :func:`pantau.core.sites.validate_tps_code`."""
    for position, char in enumerate(code, start=1):
        if not (char.isascii() and char.isdigit()):
            shown = repr(char)
            return (
                f"TPS code {code!r} has {shown} at position {position}: a TPS code is 13 digits",
                f"kode TPS {code!r} berisi {shown} di posisi {position}: kode TPS terdiri "
                "dari 13 angka",
            )
    if len(code) != 13:
        return (
            f"TPS code {code!r} has {len(code)} digits: a TPS code is 13 digits",
            f"kode TPS {code!r} terdiri dari {len(code)} angka: kode TPS terdiri dari 13 angka",
        )
    if code[:2] not in PROVINCES:
        return (
            f"TPS code {code!r} starts with {code[:2]!r}, not a province code",
            f"kode TPS {code!r} diawali {code[:2]!r}, bukan kode provinsi",
        )
    if code[10:] == "000":
        return (
            f"TPS code {code!r} has TPS number 000: TPS numbers start at 001",
            f"kode TPS {code!r} bernomor TPS 000: nomor TPS dimulai dari 001",
        )
    return None


def parse_sites(text: str) -> tuple[list[SiteLine], list[Refusal]]:
    """The good lines of a sites file and a refusal for each bad one (pure).

    Raises :class:`SitesFileError` for a file with no usable header."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise SitesFileError("the sites file is empty: its first line must be tps_code") from None
    except csv.Error as exc:
        raise SitesFileError(f"line 1: not CSV: {exc}") from None
    unknown = [h for h in header if h not in COLUMNS]
    if "tps_code" not in header or unknown or len(set(header)) != len(header):
        raise SitesFileError(
            f"line 1: the header must name tps_code and optionally agent_id (got "
            f"{','.join(header)!r}) / baris 1: judul kolom harus tps_code, boleh ditambah "
            "agent_id"
        )
    good: list[SiteLine] = []
    refused: list[Refusal] = []
    sites: dict[str, int] = {}
    agents: dict[str, int] = {}
    try:
        for row in reader:
            number = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            line = _check_row(number, dict(zip(header, (c.strip() for c in row), strict=False)),
                              len(row) == len(header), sites, agents)  # fmt: skip
            if isinstance(line, Refusal):
                refused.append(line)
            else:
                good.append(line)
    except csv.Error as exc:
        raise SitesFileError(f"line {reader.line_num}: not CSV: {exc}") from None
    return good, refused


def _check_row(
    number: int,
    cells: dict[str, str],
    complete: bool,
    sites: dict[str, int],
    agents: dict[str, int],
) -> SiteLine | Refusal:
    site = cells.get("tps_code", "")
    if not complete:
        return Refusal(number, site, "wrong number of columns for the header",
                       "jumlah kolom tidak sesuai dengan judul kolom")  # fmt: skip
    fault = tps_code_fault(site)
    if fault is not None:
        return Refusal(number, site, *fault)
    agent = cells.get("agent_id") or f"kit-{site}"
    if not auth.valid_agent_id(agent):
        return Refusal(
            number, site,
            f"agent id {agent[:64]!r} must be 1-64 letters, digits, '-' or '_'",
            f"agent id {agent[:64]!r} harus 1-64 huruf, angka, '-' atau '_'",
        )  # fmt: skip
    if site in sites:
        return Refusal(number, site, f"TPS {site} is also on line {sites[site]}",
                       f"TPS {site} juga ada di baris {sites[site]}")  # fmt: skip
    if agent in agents:
        return Refusal(number, site, f"agent id {agent} is also on line {agents[agent]}",
                       f"agent id {agent} juga ada di baris {agents[agent]}")  # fmt: skip
    sites[site], agents[agent] = number, number
    return SiteLine(number, site, agent)


def open_private(path: Path) -> IO[str]:
    """``path`` created new with mode 0600 (refusing an existing file), for writing."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SitesFileError(
            f"{path} exists: codes are never written over a file (choose a new name) / "
            f"{path} sudah ada: kode tidak pernah ditulis menimpa berkas (pilih nama lain)"
        ) from None
    except OSError as exc:
        raise SitesFileError(f"cannot create {path}: {exc.strerror}") from None
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


def enroll_lines(
    store: AccountStore,
    lines: Sequence[SiteLine],
    out: IO[str],
    *,
    ttl_s: float,
    batch: int = BATCH_LINES,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> tuple[list[Issued], list[Refusal]]:
    """Issue a code for each line, ``batch`` lines per transaction, writing each batch's
    codes to ``out`` (CSV: tps_code, agent_id, code, expires) once it is committed."""
    writer = csv.writer(out)
    writer.writerow(["tps_code", "agent_id", "code", "expires_unix"])
    expires_ns = time.time_ns() + int(ttl_s * 1e9)
    issued: list[Issued] = []
    refused: list[Refusal] = []
    for start in range(0, len(lines), batch):
        chunk = lines[start : start + batch]
        codes = {line.line: new_code() for line in chunk}
        taken = set(
            store.add_enrollment_codes(
                [(code_hash(codes[ln.line]), ln.site_code, ln.agent_id) for ln in chunk],
                expires_ns,
            )
        )
        for ln in chunk:
            if ln.site_code in taken:
                refused.append(_already(ln))
                continue
            issued.append(Issued(ln.line, ln.site_code, ln.agent_id, codes[ln.line]))
            writer.writerow([ln.site_code, ln.agent_id, codes[ln.line], expires_ns // 10**9])
        out.flush()
        progress(min(start + batch, len(lines)), len(lines))
    return issued, refused


def _already(ln: SiteLine) -> Refusal:
    return Refusal(
        ln.line,
        ln.site_code,
        f"TPS {ln.site_code} (or agent id {ln.agent_id}) is already enrolled or has a valid code",
        f"TPS {ln.site_code} (atau agent id {ln.agent_id}) sudah terdaftar atau sudah punya "
        "kode yang berlaku",
    )
