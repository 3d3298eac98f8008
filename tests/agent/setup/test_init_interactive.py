"""``pantau-agent init`` driven in a real terminal (pexpect), as a technician would: from
nothing to an enrolled kit whose ``pantau-agent run`` delivers records to the collector;
in English and in Bahasa Indonesia; Ctrl-C leaves nothing half-written."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pexpect
import pytest
from initkit import AGENT, SITE, RunningCollector, clean_env, wait_for

from agent.config import load_agent_config
from pantau.v1 import records_pb2


class Terminal:
    """Spawns ``pantau-agent init`` in a real terminal; everything is closed at the end.
    What each child printed is kept in ``init-<lang>.log`` for a failing test."""

    def __init__(self, tmp_path: Path, by_id: Path) -> None:
        self.tmp_path = tmp_path
        self.by_id = by_id
        self.children: list[pexpect.spawn] = []
        self.logs: list[TextIO] = []

    def init(self, lang: str) -> pexpect.spawn:
        tmp = self.tmp_path
        child = pexpect.spawn(
            AGENT,
            ["init", "--lang", lang, "--config", str(tmp / "etc" / "agent.toml"),
             "--data-dir", str(tmp / "data"), "--no-install-service", "--scan", str(self.by_id)],
            env=clean_env(), encoding="utf-8", timeout=30, dimensions=(50, 250),
        )  # fmt: skip
        log = (tmp / f"init-{lang}.log").open("a", encoding="utf-8")
        self.logs.append(log)
        child.logfile_read = log
        self.children.append(child)
        return child

    def close(self) -> None:
        for child in self.children:
            child.close(force=True)
        for log in self.logs:
            log.close()


@pytest.fixture
def terminal(tmp_path: Path, modem: tuple[object, Path]) -> Iterator[Terminal]:
    term = Terminal(tmp_path, modem[1].parent)
    try:
        yield term
    finally:
        term.close()


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None
    return child.exitstatus


def test_interactive_init_from_nothing_to_records_at_the_collector(
    tmp_path: Path,
    collector: RunningCollector,
    modem: tuple[object, Path],
    terminal: Terminal,
) -> None:
    _, link = modem
    code = collector.code()
    child = terminal.init("en")
    child.expect_exact("Pantau: setting up this TPS probe kit.")
    child.expect_exact("Step 1: looking for the modem")
    child.expect(r"1\) .*usb-Quectel_EC25-if02-port0: Quectel EC25, IMEI 867698041234567")
    child.expect_exact("0) no modem (network probes only)")
    child.expect_exact("Choose the modem (number) [1]: ")
    child.sendline("1")
    child.expect_exact("Modem: ")
    child.expect_exact("Step 2: the TPS code (13 digits, e.g. 3171011001005): ")
    child.sendline("3171011001")  # the desa code alone, TPS number forgotten
    child.expect_exact("TPS code 3171011001 is wrong: it must be 13 digits")
    child.expect_exact("got 10.")
    child.expect_exact("Step 2: the TPS code")
    child.sendline("9971011001005")
    child.expect_exact("it starts with 99, which is not a province code.")
    child.expect_exact("Step 2: the TPS code")
    child.sendline("3171011001 005")  # spaces are fine
    child.expect_exact(f"TPS {SITE}: province DKI Jakarta")
    child.expect_exact("Step 3: the collector's address")
    child.sendline("127.0.0.1:notaport")
    child.expect_exact("Collector address 127.0.0.1:notaport is wrong: write HOST:PORT")
    child.expect_exact("Step 3: the collector's address")
    child.sendline(collector.address)
    child.expect_exact("(at most 4 MB a check, counted in the daily data budget)? [Y/n]: ")
    child.sendline("")
    child.expect_exact("Speed test: on ([check] upload_test = true).")
    child.expect_exact(f"The collector {collector.address} is reachable.")
    child.expect_exact("Step 4: the one-time enrollment code (e.g. 7KQ2-M9XD-4H): ")
    child.sendline("0000-0000-00")  # well formed, but never issued
    child.expect_exact("Enrollment code 0000-0000-00 was refused")
    child.expect_exact("Step 4: the one-time enrollment code")
    child.sendline(code.lower())  # technicians type in lower case
    child.expect_exact(f"Enrolled: kit kit-{SITE} for TPS {SITE}.")
    child.expect_exact("Done: the kit is set up")
    child.expect_exact(f"pantau-agent check --config {tmp_path}")
    assert finish(child) == 0

    config_path = tmp_path / "etc" / "agent.toml"
    config = load_agent_config(config_path)
    assert config.agent.site == SITE and config.modem.port == str(link)
    assert config.collector.address == collector.address

    log = tmp_path / "agent.log"
    with log.open("wb") as out:
        agent = subprocess.Popen(
            [AGENT, "run", "--config", str(config_path)],
            env=clean_env(), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:

        def delivered() -> bool:
            assert agent.poll() is None, log.read_text()
            kinds = {
                records_pb2.Record.FromString(r.payload).WhichOneof("body")  # type: ignore[attr-defined]
                for r in collector.records(f"kit-{SITE}")
            }
            return {"event", "signal"} <= kinds

        wait_for(delivered, 60, "the kit's events and signal readings at the collector")
    finally:
        agent.terminate()
        agent.wait(30)
    assert agent.returncode == 0


def test_interactive_init_in_bahasa_indonesia(
    tmp_path: Path,
    collector: RunningCollector,
    terminal: Terminal,
) -> None:
    code = collector.code()
    child = terminal.init("id")
    child.expect_exact("Pantau: menyiapkan kit pemantau TPS ini.")
    child.expect_exact("Langkah 1: mencari modem")
    child.expect(r"1\) .*: Quectel EC25, IMEI 867698041234567")
    child.expect_exact("0) tanpa modem (hanya uji jaringan)")
    child.expect_exact("Pilih modem (nomor) [1]: ")
    child.sendline("")
    child.expect_exact("Langkah 2: kode TPS (13 digit, mis. 3171011001005): ")
    child.sendline("3171011001000")
    child.expect_exact("nomor TPS 000; nomor TPS mulai dari 001.")
    child.expect_exact("Langkah 2: kode TPS")
    child.sendline(SITE)
    child.expect_exact(f"TPS {SITE}: provinsi DKI Jakarta")
    child.expect_exact("Langkah 3: alamat kolektor")
    child.sendline(collector.address)
    child.expect_exact("dihitung dalam kuota data harian)? [Y/t]: ")
    child.sendline("tidak")  # declined: check will say the upload is not measured
    child.expect_exact("Uji kecepatan: tidak aktif ([check] upload_test = false)")
    child.expect_exact(f"Kolektor {collector.address} bisa dihubungi.")
    child.expect_exact("Langkah 4: kode pendaftaran sekali pakai")
    child.sendline("12345")
    child.expect_exact("Kode pendaftaran 12345 salah bentuk")
    child.expect_exact("Langkah 4: kode pendaftaran sekali pakai")
    child.sendline(code)
    child.expect_exact(f"Terdaftar: kit kit-{SITE} untuk TPS {SITE}.")
    child.expect_exact("Selesai: kit siap")
    child.expect_exact("(SIAP / KURANG BAIK / TIDAK SIAP)")
    assert finish(child) == 0
    kept = load_agent_config(tmp_path / "etc" / "agent.toml")
    assert kept.agent.site == SITE and kept.check.upload_test is False

    # Again: the existing setup is shown and kept, Enter takes every current value.
    child = terminal.init("id")
    child.expect_exact("Kit ini sudah punya konfigurasi")
    child.expect_exact("Kredensial kit sudah ada")
    child.expect_exact("Pilih modem (nomor) [1]: ")
    child.sendline("")
    child.expect_exact(f"Langkah 2: kode TPS (13 digit, mis. 3171011001005) [{SITE}]: ")
    child.sendline("")
    child.expect_exact(f"[{collector.address}]: ")
    child.sendline("")
    child.expect_exact("dihitung dalam kuota data harian)? [y/T]: ")  # the choice kept
    child.sendline("")
    child.expect_exact("Kredensial yang ada tetap dipakai")
    child.expect_exact("Tidak berubah: ")
    assert finish(child) == 0


def test_ctrl_c_stops_cleanly_and_writes_nothing(tmp_path: Path, terminal: Terminal) -> None:
    child = terminal.init("en")
    child.expect_exact("Choose the modem (number) [1]: ")
    child.sendline("1")
    child.expect_exact("Step 2: the TPS code")
    child.sendcontrol("c")
    child.expect_exact("Stopped. No file was left half-changed")
    assert finish(child) == 130
    assert not (tmp_path / "etc").exists() or not any((tmp_path / "etc").iterdir())
    assert not re.search("Traceback", child.before or "")
