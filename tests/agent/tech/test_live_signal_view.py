"""The live signal view: the pure sparkline builder (table tests), and ``check --watch``
and ``survey`` on a real terminal (pexpect) against the simulated modem whose RSRP
steps from -110 to -80 dBm when the test says so (the simulator's clock is the
test's): the graph grows, its newest characters go from low to high blocks, the value
changes; a pipe gets no control sequences."""

from __future__ import annotations

import io
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from techkit import CLI, LTE, run_cli

from agent.i18n import Messages
from agent.sim.modem import SimModem
from agent.sim.scenario import Scenario
from agent.tech import live

LOW, HIGH = -115.0, -75.0  # the RSRP range (live.RANGES)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], ""),
        ([-115.0], "▁"),
        ([-75.0], "█"),
        ([-150.0, -30.0], "▁█"),  # out of range: clipped to the ends
        ([-114.9, -110.0, -105.0, -100.0, -95.0, -90.0, -85.0, -80.0], "▁▂▃▄▅▆▇█"),
        ([-110.1, -109.9], "▁▂"),  # 5 dB a level, the bound in the upper level
        ([-110.0, None, -80.0], "▂·█"),  # a missing reading: the gap character
        ([None, None], "··"),
    ],
)
def test_sparkline_table(values: list[float | None], expected: str) -> None:
    assert live.sparkline(values, LOW, HIGH) == expected


def test_sparkline_keeps_the_newest_readings_and_has_an_ascii_form() -> None:
    values: list[float | None] = [-120.0] * 5 + [-75.0] * 3
    assert live.sparkline(values, LOW, HIGH, width=4) == "▁███"
    assert live.sparkline(values, LOW, HIGH, width=0) == ""
    ascii_line = live.sparkline(
        [-120.0, None, -75.0], LOW, HIGH, blocks=live.ASCII_BLOCKS, gap=live.ASCII_GAP
    )
    assert ascii_line == "_ #"


def test_ranges_eight_levels_strength_grade_bounds_on_level_edges() -> None:
    from agent.tech import grades

    for name, (low, high) in live.RANGES.items():
        assert live.level(low, low, high) == 0 and live.level(high, low, high) == 7
        if name not in grades.STRENGTH:
            continue
        step = (high - low) / 8
        excellent = grades.THRESHOLDS[name][0]
        assert live.level(excellent, low, high) == 7  # excellent: a full block
        for bound in grades.THRESHOLDS[name]:
            # A grade's bound starts a level: half a step below is the level under it.
            assert live.level(bound - step / 2, low, high) == live.level(bound, low, high) - 1


@pytest.mark.parametrize(
    ("name", "value", "block"),
    [  # the scale table of docs/technician.md
        ("rsrp_dbm", -115.0, "▁"),
        ("rsrp_dbm", -100.0, "▄"),
        ("rsrp_dbm", -90.0, "▆"),
        ("rsrp_dbm", -80.0, "█"),
        ("sinr_db", -10.0, "▁"),
        ("sinr_db", 0.0, "▃"),
        ("sinr_db", 20.0, "▇"),
        ("sinr_db", 25.0, "█"),
        ("rscp_dbm", -105.0, "▁"),
        ("rssi_dbm", -70.0, "█"),
        ("ecio_db", -24.0, "▁"),
        ("ecio_db", -3.0, "█"),
    ],
)
def test_the_documented_scale(name: str, value: float, block: str) -> None:
    assert live.sparkline([value], *live.RANGES[name]) == block


@pytest.mark.parametrize(
    ("rat", "labels"),
    [
        ("lte", ["RSRP", "SINR"]),
        ("nr5g-nsa", ["RSRP", "SINR"]),
        ("nr5g-sa", ["NR RSRP", "NR SINR"]),
        ("umts", ["RSCP", "Ec/Io"]),
        ("gsm", ["RSSI"]),
        (None, ["RSRP", "SINR"]),
    ],
)
def test_frame_rows_follow_the_serving_rat(rat: str | None, labels: list[str]) -> None:
    lines = live.frame_lines([{}], rat, False, Messages("en"), width=10)
    assert [line[:8].strip() for line in lines] == labels


def test_frame_shows_value_unit_and_grade_in_the_language() -> None:
    history: list[dict[str, float | None]] = [
        {"rsrp_dbm": -110.0, "sinr_db": -2.0},
        {"rsrp_dbm": -80.0, "sinr_db": 22.0},
    ]
    en = live.frame_lines(history, "lte", True, Messages("en"), width=10)
    assert en[0].split() == ["RSRP", "▂█", "-80", "dBm", "excellent"]
    assert en[1].split() == ["SINR", "▂▇", "22", "dB", "excellent"]
    ind = live.frame_lines(history, "lte", True, Messages("id"), width=10)
    assert ind[0].split() == ["RSRP", "▂█", "-80", "dBm", "sangat", "baik"]
    # Not registered: the graph and value, no grade.
    gone = live.frame_lines([*history, {}], "lte", False, Messages("id"), width=10)
    assert gone[0].split() == ["RSRP", "▂█·", "-", "dBm"]


def test_redraw_moves_up_over_the_previous_frame() -> None:
    assert live.redraw(["a", "b"], 0) == "\r\033[Ja\nb\n"
    assert live.redraw(["a", "b"], 2) == "\r\033[2A\033[Ja\nb\n"


# -- on a real terminal ------------------------------------------------------------------

WEAK = {**LTE, "rsrp_dbm": -110, "sinr_db": -2}
STRONG = {"at_s": 100, "rsrp_dbm": -80, "sinr_db": 22}
FRAME = re.compile(r"RSRP +([▁▂▃▄▅▆▇█·]+) +(-?\d+) dBm")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class _Clock:
    """The simulator's clock, moved by the test: the step happens when the test says."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _sim(clock: _Clock) -> SimModem:
    modem = SimModem(Scenario.from_dict({"steps": [WEAK, STRONG]}), "quectel", clock=clock)
    modem.start()
    return modem


def _frames(child: Any, until: Any, timeout: float = 30) -> list[tuple[str, int]]:
    """Frames (sparkline, value) as they arrive, until ``until(frames)`` holds."""
    import pexpect

    frames: list[tuple[str, int]] = []
    while not frames or not until(frames):
        child.expect(FRAME, timeout=timeout)
        match = child.match
        assert match is not None and not isinstance(match, type(pexpect.EOF))
        frames.append((match.group(1), int(match.group(2))))
    return frames


def _spawn(argv: list[str]) -> Any:
    import pexpect

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    child = pexpect.spawn(
        CLI, argv, env={**env, "LANG": "C.UTF-8"}, encoding="utf-8", timeout=60,
        dimensions=(40, 160),
    )  # fmt: skip
    child.logfile_read = io.StringIO()  # the whole screen output, for the assertions
    return child


def _watch_the_step(
    child: Any, clock: _Clock
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    low = set("▁▂")
    before = _frames(child, lambda f: len(f[-1][0]) >= 3)
    assert all(value == -110 for _, value in before)
    assert all(set(line) <= low for line, _ in before)
    assert [len(line) for line, _ in before] == list(range(1, len(before) + 1))  # growing
    clock.now = 200.0  # the antenna moved: RSRP -110 -> -80 dBm
    after = _frames(child, lambda f: f[-1][1] == -80 and f[-1][0].endswith("██"))
    line, _ = after[-1]
    assert len(line) > len(before[-1][0])
    assert line.startswith(before[-1][0])  # the old readings stay, low, on the left
    assert line[-1] == "█" and set(line[: len(before[-1][0])]) <= low
    return before, after


@pytest.mark.timeout(90)
def test_check_watch_on_a_terminal_shows_the_step() -> None:
    import pexpect

    clock = _Clock()
    sim = _sim(clock)
    try:
        child = _spawn(
            ["check", "--port", sim.port_path, "--lang", "en", "--no-throughput", "--watch", "10"]
        )
        try:
            child.expect("Watching the signal for 10 s")
            _watch_the_step(child, clock)
            child.expect(pexpect.EOF, timeout=60)
            out = child.before or ""
        finally:
            child.close(force=True)
    finally:
        sim.stop()
    report = ANSI.sub("", out).split("Pantau: kit readiness check")[-1]
    # The verdict grades the last readings: the antenna's new place.
    assert re.search(r"^ +RSRP +-80 dBm +excellent", report, re.MULTILINE), report
    assert "RESULT: READY" in report


@pytest.mark.timeout(90)
def test_survey_on_a_terminal_lines_scroll_above_the_graph(tmp_path: Path) -> None:
    import pexpect

    clock = _Clock()
    sim = _sim(clock)
    try:
        child = _spawn(
            ["survey", "--port", sim.port_path, "--lang", "id", "--interval", "1",
             "--out", str(tmp_path)]
        )  # fmt: skip
        try:
            before, after = _watch_the_step(child, clock)
            child.sendintr()  # Ctrl-C: the survey ends with its summary
            child.expect(pexpect.EOF, timeout=30)
            screen = child.logfile_read.getvalue()
            out = ANSI.sub("", screen).replace("\r\n", "\n").replace("\r", "")
        finally:
            child.close(force=True)
    finally:
        sim.stop()
    assert before[0][1] == -110 and after[-1][1] == -80
    # The reading lines (the table's, with the values) scroll above the graph.
    rows = re.findall(r"^\d\d:\d\d:\d\d .*?(-110|-80) +-8 +(-2|22) ", out, re.MULTILINE)
    assert ("-110", "-2") in rows and ("-80", "22") in rows, out
    assert "\x1b[2A\x1b[J" in screen  # redrawn in place: up over the last frame, erased
    assert "Survei dimulai" in out and "pembacaan" in out.split(after[-1][0])[-1]


def test_not_a_terminal_no_control_sequences(tmp_path: Path) -> None:
    clock = _Clock()
    sim = _sim(clock)
    try:
        proc = run_cli(
            "check", "--port", sim.port_path, "--lang", "en", "--no-throughput",
            "--watch", "2", "--samples", "2",
        )  # fmt: skip
        survey = subprocess.run(
            [CLI, "survey", "--port", sim.port_path, "--interval", "1", "--duration", "2",
             "--out", str(tmp_path)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        sim.stop()
    for out in (proc.stdout, proc.stderr, survey.stdout):
        assert "\x1b" not in out and not FRAME.search(out), out
    assert "RESULT" in proc.stdout


def test_watch_bounds() -> None:
    proc = run_cli("check", "--port", "/dev/null", "--watch", "601")
    assert proc.returncode == 2
    assert "--watch: expected 0 to 600 s, got 601" in proc.stderr
