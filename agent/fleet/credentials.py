"""The fleet's kits' identities: codes from ``pantau-collector enroll --sites-file``,
traded for credentials over the real ``Enrollment.Enroll`` (as ``pantau-agent enroll``
does), and kept in a 0600 CSV so a second run reuses them.

The agent never imports the collector: ``--enroll`` runs the collector's own CLI
(``pantau-collector enroll --sites-file``) as a process against its store.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import grpc

from agent.errors import AgentError


class FleetSetupError(AgentError):
    """The fleet cannot get its kits' credentials (a bad file, a refused code)."""


@dataclass(frozen=True, slots=True)
class KitIdentity:
    agent_id: str
    site: str
    credential: str


def synthetic_sites(count: int, provinces: list[str]) -> list[str]:
    """``count`` distinct valid TPS codes spread over ``provinces`` (one kit per TPS)."""
    sites = []
    for i in range(count):
        province = provinces[i % len(provinces)]
        n = i // len(provinces)
        sites.append(f"{province}0101{n // 999 + 1:04d}{n % 999 + 1:03d}")
    return sites


def read_codes(path: Path) -> list[tuple[str, str, str]]:
    """(site, agent_id, code) of each line of an ``enroll --sites-file`` output file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FleetSetupError(f"cannot read the codes file {path}: {exc.strerror}") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or not {"tps_code", "agent_id", "code"} <= set(rows[0]):
        raise FleetSetupError(
            f"{path}: expected the output of `pantau-collector enroll --sites-file` "
            "(columns tps_code, agent_id, code)"
        )
    return [(r["tps_code"], r["agent_id"], r["code"]) for r in rows]


def read_credentials(path: Path) -> list[KitIdentity]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FleetSetupError(f"cannot read the credentials file {path}: {exc.strerror}") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and not {"agent_id", "site", "credential"} <= set(rows[0]):
        raise FleetSetupError(f"{path}: expected columns agent_id, site, credential")
    return [KitIdentity(r["agent_id"], r["site"], r["credential"]) for r in rows]


def write_credentials(path: Path, kits: list[KitIdentity]) -> None:
    """A new file, mode 0600 (an existing one is never overwritten)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise FleetSetupError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["agent_id", "site", "credential"])
        writer.writerows([k.agent_id, k.site, k.credential] for k in kits)


async def redeem(
    address: str,
    codes: list[tuple[str, str, str]],
    *,
    ca_file: str,
    insecure: bool,
    concurrency: int = 32,
) -> list[KitIdentity]:
    """Trade every code for a credential over ``Enrollment.Enroll``, ``concurrency`` at a time."""
    from agent.enroll import request

    gate = asyncio.Semaphore(concurrency)

    async def one(site: str, agent_id: str, code: str) -> KitIdentity:
        async with gate:
            try:
                got_id, got_site, token = await request(
                    address, code, ca_file=ca_file, insecure=insecure, timeout_s=30
                )
            except grpc.aio.AioRpcError as exc:
                raise FleetSetupError(
                    f"the collector refused the code of {agent_id} ({site}): "
                    f"{exc.code().name}: {exc.details()}"
                ) from None
        return KitIdentity(got_id, got_site, token)

    return list(await asyncio.gather(*(one(*c) for c in codes)))


def enroll_with_collector_cli(store: str, sites: list[str]) -> list[tuple[str, str, str]]:
    """Issue codes for ``sites`` with ``pantau-collector enroll --sites-file`` (a process:
    the agent does not import the collector) in ``store`` (a SQLite path or a URL)."""
    exe = Path(sys.executable).with_name("pantau-collector")
    command = str(exe) if exe.exists() else shutil.which("pantau-collector")
    if command is None:
        raise FleetSetupError("--enroll needs pantau-collector (pip install 'pantau[collector]')")
    with tempfile.TemporaryDirectory(prefix="pantau-fleet-") as tmp:
        sites_file = Path(tmp) / "sites.csv"
        sites_file.write_text("tps_code\n" + "".join(f"{s}\n" for s in sites), encoding="utf-8")
        out = Path(tmp) / "codes.csv"
        target = ["--store", store] if "://" in store else ["--data-dir", store]
        done = subprocess.run(
            [command, "enroll", *target, "--sites-file", str(sites_file), "--out", str(out),
             "--json"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not out.exists():
            raise FleetSetupError(
                f"pantau-collector enroll failed ({done.returncode}): {done.stderr.strip()[-2000:]}"
            )
        return read_codes(out)
