"""``pantau-agent init`` on a full disk (a real tmpfs): it stops before the one-time
code is redeemed, says the disk is full (where, how much is free and needed) without
telling root to use sudo, and the same code enrolls the kit once room returns."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from chaos.procs import fill
from initkit import AGENT, SITE, RunningCollector, clean_env
from machine import tmpfs

from agent.config import load_agent_config
from agent.setup.files import read_credential


def init(disk: Path, *extra: str, lang: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AGENT, "init", "--yes", "--lang", lang,
         "--config", str(disk / "etc" / "agent.toml"),
         "--data-dir", str(disk / "data"),
         "--no-install-service", "--modem", "none", *extra],
        capture_output=True, text=True, timeout=60, env=clean_env(), check=False,
    )  # fmt: skip


def test_init_on_a_full_disk_keeps_the_code_for_when_room_returns(
    tmp_path: Path, collector: RunningCollector
) -> None:
    code = collector.code()
    args = ("--site", SITE, "--collector", collector.address, "--code", code)
    with tmpfs(tmp_path / "disk", "8m") as disk:
        filler = fill(disk)
        for lang, words in (
            ("en", ["The disk is full", "The enrollment code was not used"]),
            ("id", ["Disk penuh", "Kode pendaftaran belum dipakai"]),
        ):
            failed = init(disk, *args, lang=lang)
            said = failed.stdout + failed.stderr
            assert failed.returncode == 1, said
            assert all(w in said for w in words), said
            assert f"{disk / 'etc'}" in said and "262 kB" in said, said
            assert "sudo pantau-agent" not in said and "Run with sudo" not in said, said
            assert "Jalankan dengan sudo" not in said and "Traceback" not in said, said
        assert not (disk / "etc" / "agent.toml").exists()
        assert read_credential(disk / "data" / "credential") is None
        assert not [p for p in disk.rglob(".*") if p.is_file()]  # no probe or temp files

        filler.unlink()
        done = init(disk, *args, lang="en")
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"Enrolled: kit kit-{SITE} for TPS {SITE}." in done.stdout
        config = load_agent_config(disk / "etc" / "agent.toml")
        token = read_credential(disk / "data" / "credential")
        assert token is not None and config.credential_token() == token

        # Run again on a full disk, enrolled: stopped, the files as they were, and no
        # word of a code (none is needed).
        before = {
            p: p.read_bytes() for p in (disk / "etc" / "agent.toml", disk / "data" / "credential")
        }
        fill(disk)
        again = init(disk, lang="en")
        assert again.returncode == 1, again.stdout + again.stderr
        assert "The disk is full" in again.stderr and "code" not in again.stderr
        assert {p: p.read_bytes() for p in before} == before


def test_init_with_room_for_the_config_but_not_the_spool_reserve_stops_first(
    tmp_path: Path, collector: RunningCollector
) -> None:
    """A disk with a little room left (enough for the small files, not for the spool's
    reserve): still stopped before the code, naming the data directory."""
    code = collector.code()
    with tmpfs(tmp_path / "disk", "8m") as disk:
        filler = fill(disk)
        with filler.open("r+b") as handle:  # give back 1 MB: room for files, not the reserve
            handle.truncate(filler.stat().st_size - 1_000_000)
        failed = init(
            disk, "--site", SITE, "--collector", collector.address, "--code", code, lang="en"
        )
        assert failed.returncode == 1, failed.stdout + failed.stderr
        said = failed.stderr
        assert re.search(rf"{re.escape(str(disk / 'data'))} has (999 kB|1.0 MB) free, the kit "
                         r"needs 4.5 MB", said), said  # fmt: skip
        assert not (disk / "etc" / "agent.toml").exists()
        filler.unlink()
        done = init(
            disk, "--site", SITE, "--collector", collector.address, "--code", code, lang="en"
        )
        assert done.returncode == 0, done.stdout + done.stderr  # the code was still unused


def test_enroll_on_a_full_disk_keeps_the_code(tmp_path: Path, collector: RunningCollector) -> None:
    """``pantau-agent enroll`` (the step on its own) stops before the code as well."""
    code = collector.code()
    with tmpfs(tmp_path / "disk", "8m") as disk:
        filler = fill(disk)
        argv = [AGENT, "enroll", "--collector", collector.address, "--code", code,
                "--data-dir", str(disk / "data")]  # fmt: skip
        failed = subprocess.run(
            argv, capture_output=True, text=True, timeout=60, env=clean_env(), check=False
        )
        assert failed.returncode == 1, failed.stderr
        assert "The disk is full" in failed.stderr and "code was not used" in failed.stderr
        assert not [p for p in disk.rglob("*") if p.is_file() and p != filler]
        filler.unlink()
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=60, env=clean_env(), check=False
        )
        assert done.returncode == 0, done.stderr
        assert read_credential(disk / "data" / "credential") is not None
