"""``pantau-agent init`` unattended (flags, ``--yes``): enrolls, writes a config the agent
accepts, and running it again changes nothing; bad input and an unreachable or
refusing collector end with a clear message, a non-zero exit and no config."""

from __future__ import annotations

import socket
import stat
import subprocess
from pathlib import Path

from initkit import AGENT, SITE, RunningCollector, clean_env

from agent.config import load_agent_config
from agent.setup.files import read_credential


def init(tmp_path: Path, *extra: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [AGENT, "init", "--yes", "--lang", lang,
         "--config", str(tmp_path / "etc" / "agent.toml"),
         "--data-dir", str(tmp_path / "data"),
         "--no-install-service", *extra],
        capture_output=True, text=True, timeout=60, env=clean_env(), check=False,
    )  # fmt: skip


def snapshot(*paths: Path) -> dict[Path, tuple[bytes, int, int]]:
    return {
        p: (p.read_bytes(), p.stat().st_mtime_ns, stat.S_IMODE(p.stat().st_mode)) for p in paths
    }


def test_scripted_init_enrolls_and_rerunning_changes_nothing(
    tmp_path: Path, collector: RunningCollector, modem: tuple[object, Path]
) -> None:
    _, link = modem
    code = collector.code()
    args = ["--site", SITE, "--collector", collector.address, "--code", code,
            "--modem", str(link), "--dialect", "quectel"]  # fmt: skip
    first = init(tmp_path, *args)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"Enrolled: kit kit-{SITE} for TPS {SITE}." in first.stdout
    config_path = tmp_path / "etc" / "agent.toml"
    credential = tmp_path / "data" / "credential"
    config = load_agent_config(config_path)  # the agent's own loader accepts it
    assert config.agent.site == SITE and config.agent.id == f"kit-{SITE}"
    assert config.collector.address == collector.address
    assert config.modem.port == str(link) and config.modem.dialect == "quectel"
    assert {p.kind for p in config.probes} == {"icmp", "tcp"}
    token = read_credential(credential)
    assert token is not None and token.startswith(f"kit-{SITE}.")
    assert config.credential_token() == token
    for path in (config_path, credential):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The spool is the agent's: a re-run must leave it alone.
    spool = tmp_path / "data" / "spool.sqlite"
    spool.write_bytes(b"records waiting to be sent")
    before = snapshot(config_path, credential, spool)

    # The same command again (the code is used up now): nothing changes.
    again = init(tmp_path, *args)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Keeping the existing credential" in again.stdout
    assert "The enrollment code given was not used" in again.stdout
    assert f"Unchanged: {config_path}" in again.stdout
    assert snapshot(config_path, credential, spool) == before

    # And with no flags at all: everything comes from the existing config.
    bare = init(tmp_path)
    assert bare.returncode == 0, bare.stdout + bare.stderr
    assert snapshot(config_path, credential, spool) == before
    assert not list((tmp_path / "etc").glob(".*tmp"))


def test_wrong_enrollment_code_is_refused_and_nothing_is_written(
    tmp_path: Path, collector: RunningCollector
) -> None:
    result = init(tmp_path, "--site", SITE, "--collector", collector.address,
                  "--code", "7KQ2-M9XD-4H", "--modem", "none")  # fmt: skip
    assert result.returncode == 1
    assert "Enrollment code 7KQ2-M9XD-4H was refused: unknown, already used or expired" in (
        result.stderr
    )
    assert not (tmp_path / "etc" / "agent.toml").exists()
    assert not (tmp_path / "data" / "credential").exists()


def test_a_used_code_is_refused_in_indonesian(tmp_path: Path, collector: RunningCollector) -> None:
    code = collector.code()
    first = init(tmp_path / "a", "--site", SITE, "--collector", collector.address,
                 "--code", code, "--modem", "none")  # fmt: skip
    assert first.returncode == 0, first.stderr
    second = init(tmp_path / "b", "--site", SITE, "--collector", collector.address,
                  "--code", code, "--modem", "none", lang="id")  # fmt: skip
    assert second.returncode == 1
    assert "ditolak: tidak dikenal, sudah dipakai, atau kedaluwarsa" in second.stderr
    assert not (tmp_path / "b" / "etc" / "agent.toml").exists()


def test_unreachable_collector_is_said_and_nothing_is_written(tmp_path: Path) -> None:
    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{s.getsockname()[1]}"
    result = init(tmp_path, "--site", SITE, "--collector", address,
                  "--code", "7KQ2-M9XD-4H", "--modem", "none")  # fmt: skip
    assert result.returncode == 1
    assert f"The collector {address} cannot be reached" in result.stderr
    assert not (tmp_path / "etc" / "agent.toml").exists()
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())


def test_bad_flags_say_what_is_wrong(tmp_path: Path) -> None:
    bad_site = init(tmp_path, "--site", "3171011001", "--collector", "127.0.0.1:1",
                    "--code", "7KQ2-M9XD-4H", "--modem", "none")  # fmt: skip
    assert bad_site.returncode == 2
    assert "must be 13 digits" in bad_site.stderr and "got 10" in bad_site.stderr
    province = init(tmp_path, "--site", "9971011001005", "--modem", "none", lang="id")
    assert province.returncode == 2
    assert "awalan 99 bukan kode provinsi" in province.stderr
    no_site = init(tmp_path, "--modem", "none")
    assert no_site.returncode == 2 and "No value for --site" in no_site.stderr
    bad_code = init(tmp_path, "--site", SITE, "--collector", "127.0.0.1:1", "--code", "12",
                    "--modem", "none")  # fmt: skip
    assert bad_code.returncode in (1, 2)
    remote = init(tmp_path, "--site", SITE, "--collector", "collector.example:7600",
                  "--code", "7KQ2-M9XD-4H", "--modem", "none")  # fmt: skip
    assert remote.returncode == 2 and "--ca-file" in remote.stderr
    assert not (tmp_path / "etc" / "agent.toml").exists()


def test_re_enroll_replaces_the_credential_and_keeps_the_spool(
    tmp_path: Path, collector: RunningCollector
) -> None:
    base = ["--site", SITE, "--collector", collector.address, "--modem", "none"]
    assert init(tmp_path, *base, "--code", collector.code()).returncode == 0
    credential = tmp_path / "data" / "credential"
    old_token = read_credential(credential)
    spool = tmp_path / "data" / "spool.sqlite"
    spool.write_bytes(b"unsent")
    # A broken config (edited by hand) is replaced, and kept aside as .bak.
    config_path = tmp_path / "etc" / "agent.toml"
    config_path.write_text("[agent]\nsite = 'oops'\n", encoding="utf-8")
    result = init(tmp_path, *base, "--re-enroll", "--code", collector.code())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is not valid" in result.stdout
    new_token = read_credential(credential)
    assert new_token and new_token != old_token
    assert load_agent_config(config_path).credential_token() == new_token
    assert (tmp_path / "etc" / "agent.toml.bak").read_text(encoding="utf-8").startswith("[agent]")
    assert spool.read_bytes() == b"unsent"
