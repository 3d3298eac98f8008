"""The agent's lifeline task: the key from the Welcome, the counter kept across restarts,
the signed text the collector can verify, and a failing modem."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from agent.modem.engine import FinalKind, FinalResult
from agent.modem.errors import CommandFailed
from agent.sms.settings import SmsSection
from agent.sms.task import Lifeline
from pantau.core import lifeline
from pantau.v1 import records_pb2

SECRET = b"collector-sms-secret-0123456789"
KEY = lifeline.kit_key(SECRET, "kit-1")
CONFIG = SmsSection(enabled=True, collector_number="+628110000099", after_s=60, repeat_s=600)


class Kit:
    """The lifeline's surroundings, each a plain attribute a test sets."""

    def __init__(self, data_dir: Path) -> None:
        self.now = 0.0
        self.up = False
        self.key = b""
        self.reading: records_pb2.SignalReading | None = records_pb2.SignalReading(
            rat=records_pb2.RAT_LTE,
            reg_state=records_pb2.REG_STATE_HOME,
            mcc="510",
            mnc="10",
            rsrp_dbm=-97.4,
        )
        self.sent: list[tuple[str, str]] = []
        self.fail = False
        self.task = self.make(data_dir)

    def make(self, data_dir: Path) -> Lifeline:
        return Lifeline(
            CONFIG,
            data_dir,
            "kit-1",
            uplink_up=lambda: self.up,
            sms_key=lambda: self.key,
            reading=lambda: self.reading,
            backlog=lambda: 1234,
            last_error=lambda: "UNAVAILABLE: Network is unreachable",
            send=self.send,
            clock=lambda: self.now,
            wall_clock=lambda: 1_764_860_000 + self.now,
        )

    async def send(self, number: str, text: str) -> int:
        if self.fail:
            raise CommandFailed(
                "AT+CMGS=40", FinalResult(FinalKind.CMS, "+CMS ERROR: 331", 331), "pty"
            )
        self.sent.append((number, text))
        return len(self.sent)

    def tick(self, at_s: float) -> bool:
        self.now = at_s
        return asyncio.run(self.task.tick())


def test_sends_a_verifiable_status_once_down_long_enough(tmp_path: Path) -> None:
    kit = Kit(tmp_path)
    kit.key = KEY
    assert not kit.tick(0) and not kit.tick(59)
    assert kit.tick(60)
    ((number, text),) = kit.sent
    assert number == "+628110000099"
    judged = lifeline.judge(text, lifeline.kit_key(SECRET, "kit-1"), None)
    assert judged.verdict is lifeline.Verdict.ACCEPTED
    assert judged.status == lifeline.Status(
        "kit-1", 1, 1_764_860_060, 1, records_pb2.RAT_LTE, -97, "51010", 1234, 60,
        "unavailable_network_is_u",
    )  # fmt: skip
    assert not kit.tick(600) and kit.tick(660)  # repeat_s later
    assert [lifeline.parse(t).status.counter for _, t in kit.sent] == [1, 2]


def test_key_from_the_welcome_is_kept_private(tmp_path: Path) -> None:
    kit = Kit(tmp_path)
    assert not kit.tick(0) and not kit.tick(100)
    assert kit.task.last_problem is not None and "no SMS key yet" in kit.task.last_problem
    kit.key = KEY
    kit.up = True
    kit.tick(101)
    key_file = tmp_path / "sms.key"
    assert bytes.fromhex(key_file.read_text()) == KEY
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_counter_survives_a_restart_and_a_failed_send(tmp_path: Path) -> None:
    kit = Kit(tmp_path)
    kit.key = KEY
    kit.fail = True
    kit.tick(0)
    assert not kit.tick(60)
    problem = kit.task.last_problem or ""
    assert problem.startswith("SMS to +628110000099 failed:") and "331" in problem
    kit.fail = False
    kit.task = kit.make(tmp_path)  # a restart: the monotonic clock starts over
    kit.tick(0)
    assert kit.tick(60)
    assert lifeline.parse(kit.sent[0][1]).status.counter == 2  # 1 was spent on the failure


def test_no_sms_when_data_flows_or_the_modem_is_not_registered(tmp_path: Path) -> None:
    kit = Kit(tmp_path)
    kit.key = KEY
    kit.up = True
    assert not kit.tick(0) and not kit.tick(1000)
    kit.up = False
    kit.reading = records_pb2.SignalReading(reg_state=records_pb2.REG_STATE_SEARCHING)
    assert not kit.tick(1001) and not kit.tick(2000)
    kit.reading = None  # the modem is lost
    assert not kit.tick(3000)
    assert kit.sent == []


def test_a_damaged_state_file_never_restarts_the_counter(tmp_path: Path) -> None:
    (tmp_path / "sms.json").write_text("{not json")
    kit = Kit(tmp_path)
    kit.key = KEY
    kit.tick(0)
    assert kit.tick(60)
    assert lifeline.parse(kit.sent[0][1]).status.counter > 1_700_000_000


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"enabled": True}, "collector_number: required when enabled"),
        ({"collector_number": "08x"}, "collector_number: phone number '08x'"),
    ],
)
def test_settings_refusals(kwargs: dict[str, object], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        SmsSection(**kwargs)  # type: ignore[arg-type]
