"""``pantau-agent check`` on a broken kit: a data disk that is full (a real tmpfs) and a
modem lost in the middle of the check (a simulated modem on a real pty that vanishes or
goes silent after its first reading). Each is a finding with advice, never READY."""

from __future__ import annotations

import errno
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chaos.procs import fill
from machine import tmpfs
from techkit import LTE, RunningCollector, check_json, codes, collector, write_config

from agent import diskroom
from agent.sim.modem import SimModem
from agent.sim.scenario import Scenario
from agent.spool import RESERVE_BYTES, Spool, SpoolError

FAST = ("--samples", "3", "--register-wait", "1", "--no-throughput", "--ping-interval", "0.01")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    with collector(tmp_path_factory.mktemp("collector")) as c:
        yield c


def not_ready(doc: dict[str, Any]) -> set[str]:
    return {r["code"] for r in doc["reasons"] if r["severity"] == "not-ready"}


def no_spool(*_: object) -> tuple[str, int, bytes]:
    raise AssertionError("no overflow expected")


# -- the data disk -----------------------------------------------------------------------


def test_room_is_classified_from_free_space_and_the_write() -> None:
    need = diskroom.data_dir_need(RESERVE_BYTES)
    assert need == 2 * RESERVE_BYTES + diskroom.FILES_BYTES
    # A reserve the spool already made is room it gives back when the disk fills.
    assert diskroom.data_dir_need(RESERVE_BYTES, RESERVE_BYTES) == need - RESERVE_BYTES
    assert diskroom.classify(need, need, None) == "ok"
    assert diskroom.classify(need - 1, need, None) == "full"
    assert diskroom.classify(10 * need, need, errno.ENOSPC) == "full"  # no inodes left
    assert diskroom.classify(10 * need, need, errno.EROFS) == "read-only"
    assert diskroom.classify(10 * need, need, errno.EACCES) == "no-permission"
    assert diskroom.classify(10 * need, need, errno.EIO) == "error"


def test_a_full_data_disk_is_not_ready_with_the_room_needed(
    tmp_path: Path, running: RunningCollector
) -> None:
    """A data directory on a full disk: `run` could not open its spool there, so the
    kit is NOT READY, naming the directory, the free and the needed room; once room
    returns the same check is READY again."""
    with tmpfs(tmp_path / "disk", "8m") as disk:
        config = write_config(disk, address=f"127.0.0.1:{running.port}", token=running.token)
        data = disk / "kit"
        data.mkdir()
        filler = fill(disk)
        with pytest.raises(SpoolError):  # what `pantau-agent run` meets on this disk
            Spool(data / "spool.sqlite", max_bytes=1 << 20, overflow_record=no_spool)

        code, doc = check_json("--config", str(config), "--lang", "en", *FAST)
        assert (code, doc["verdict"]) == (4, "NOT_READY"), doc["reasons"]
        assert not_ready(doc) == {"DISK_FULL"}
        assert "FREE_DISK" in codes(doc, "advice")
        assert doc["disk"]["status"] == "full" and doc["disk"]["path"] == str(data)
        assert doc["disk"]["free_bytes"] < doc["disk"]["needed_bytes"]
        message = next(r["message"] for r in doc["reasons"] if r["code"] == "DISK_FULL")
        assert str(data) in message and "4.5 MB" in message, message
        assert not [p for p in data.iterdir() if p.name.startswith(".pantau-room")]

        code, doc = check_json("--config", str(config), "--lang", "id", *FAST)
        assert code == 4
        message = next(r["message"] for r in doc["reasons"] if r["code"] == "DISK_FULL")
        assert message.startswith("Disk data penuh:") and str(data) in message
        advice = next(a["message"] for a in doc["advice"] if a["code"] == "FREE_DISK")
        assert "Kosongkan ruang" in advice

        filler.unlink()
        code, doc = check_json("--config", str(config), "--lang", "en", *FAST)
        assert (code, doc["verdict"]) == (0, "READY"), doc["reasons"]
        assert doc["disk"]["status"] == "ok"


def test_a_data_disk_with_room_but_no_inodes_is_full(
    tmp_path: Path, running: RunningCollector
) -> None:
    """Free bytes are not enough: the check writes a file, and a filesystem out of
    inodes refuses it (statvfs alone would say there is room)."""
    with tmpfs(tmp_path / "disk", "8m,nr_inodes=8") as disk:
        config = write_config(disk, address=f"127.0.0.1:{running.port}", token=running.token)
        data = disk / "kit"
        data.mkdir()
        n = 0
        while True:
            try:
                (data / f"f{n}").touch()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                break
            n += 1
        code, doc = check_json("--config", str(config), "--lang", "en", *FAST)
        assert (code, doc["verdict"]) == (4, "NOT_READY"), doc["reasons"]
        assert "DISK_FULL" in codes(doc, "reasons")
        assert doc["disk"]["free_bytes"] >= doc["disk"]["needed_bytes"]


# -- the modem lost during the check -------------------------------------------------------


class FailingModem(SimModem):
    """A simulated modem that fails as its second reading begins (the first reading
    was answered): ``"vanish"`` closes the pty (USB re-enumeration: the reader's next
    read or write fails with EIO), ``"silent"`` stops answering anything."""

    def __init__(self, mode: str) -> None:
        super().__init__(Scenario.from_dict({"steps": [LTE]}), "quectel")
        self.mode = mode
        self.failed = threading.Event()

    def _handle(self, line: str) -> None:
        if not self.failed.is_set() and line.upper() == "AT+CPIN?" and self._readings() >= 1:
            self.failed.set()
            if self.mode == "vanish":
                self._close_port()
                self.scenario = Scenario.from_dict({"steps": [{**LTE, "vanish_s": 3600}]})
                return
        if self.failed.is_set():
            self.commands.append(line)
            return  # silent: the command goes unanswered
        super()._handle(line)

    def _readings(self) -> int:
        """Readings answered so far (each reading ends with the Quectel cell query)."""
        return sum(1 for c in self.commands if c.upper().startswith("AT+QENG"))


@pytest.mark.parametrize("mode", ["vanish", "silent"])
def test_a_modem_lost_during_the_check_is_not_ready(mode: str) -> None:
    """One reading answered, then the port vanishes (or the modem falls silent): the
    reading before is no pass; the loss is NOT READY with advice to re-seat it."""
    sim = FailingModem(mode)
    sim.start()
    try:
        code, doc = check_json(
            "--port", sim.port_path, "--dialect", "quectel", "--lang", "en", *FAST
        )
        assert sim.failed.is_set()
    finally:
        sim.stop()
    assert (code, doc["verdict"]) == (4, "NOT_READY"), doc["reasons"]
    assert doc["modem"]["status"] == "lost"
    assert doc["signal"]["samples"] == 1  # the one reading before the loss is not a pass
    assert "MODEM_LOST" in codes(doc, "reasons")
    assert "RESEAT_MODEM" in codes(doc, "advice")
    reason = next(r for r in doc["reasons"] if r["code"] == "MODEM_LOST")
    assert reason["severity"] == "not-ready" and sim.port_path in reason["message"]
    code, doc = _indonesian(mode)
    assert code == 4 and "MODEM_LOST" in codes(doc, "reasons")
    reason = next(r for r in doc["reasons"] if r["code"] == "MODEM_LOST")
    assert "hilang saat pemeriksaan" in reason["message"]
    advice = next(a for a in doc["advice"] if a["code"] == "RESEAT_MODEM")
    assert "Cabut modem" in advice["message"]


def _indonesian(mode: str) -> tuple[int, dict[str, Any]]:
    sim = FailingModem(mode)
    sim.start()
    try:
        return check_json("--port", sim.port_path, "--dialect", "quectel", "--lang", "id", *FAST)
    finally:
        sim.stop()
