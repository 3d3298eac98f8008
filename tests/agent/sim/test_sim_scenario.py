"""Scenario files: the demo scenarios load, state is a step function, bad files say why."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.sim.scenario import (
    RadioState,
    Scenario,
    ScenarioError,
    bundled_scenario,
    load_scenario,
)


def test_demo_scenarios_tell_their_story() -> None:
    strong = load_scenario(bundled_scenario("strong-lte"))
    assert (strong.state_at(0).mcc, strong.state_at(0).mnc) == ("510", "10")
    assert all(-90 <= (strong.state_at(t).rsrp_dbm or 0) <= -80 for t in range(0, 120, 5))

    weak = load_scenario(bundled_scenario("weak-signal"))
    assert weak.state_at(5).mnc == "01"
    assert (weak.state_at(5).rsrp_dbm or 0) > -100
    assert (weak.state_at(25).rsrp_dbm or 0) < -110
    assert (weak.state_at(35).rsrp_dbm or 0) < -110
    assert (weak.state_at(45).rsrp_dbm or 0) > -100

    gone = load_scenario(bundled_scenario("no-service"))
    assert gone.state_at(10).reg_state == "home"
    assert (gone.state_at(20).reg_state, gone.state_at(20).rat) == ("searching", "none")
    assert gone.state_at(40).reg_state == "home"
    assert gone.state_at(40).mnc == "11"


def test_values_persist_and_loop() -> None:
    sc = Scenario.from_dict(
        {
            "loop": True,
            "duration_s": 30,
            "steps": [
                {"at_s": 0, "rsrp_dbm": -90, "pci": 7},
                {"at_s": 10, "rsrp_dbm": -100},
                {"at_s": 20.5, "sim_state": "absent"},
            ],
        },
        source="t.toml",
    )
    assert sc.name == "t"
    assert sc.state_at(0) == RadioState(rsrp_dbm=-90.0, pci=7)
    assert sc.state_at(9.99).rsrp_dbm == -90.0
    assert sc.state_at(10) == RadioState(rsrp_dbm=-100.0, pci=7)
    assert sc.state_at(25).sim_state == "absent"
    assert sc.state_at(25).rsrp_dbm == -100.0
    assert sc.state_at(31).rsrp_dbm == -90.0  # looped
    assert sc.state_at(-1).rsrp_dbm == -90.0


def test_without_loop_the_last_step_holds() -> None:
    sc = Scenario.from_dict({"steps": [{"at_s": 0}, {"at_s": 5, "rat": "umts"}]})
    assert sc.state_at(1e6).rat == "umts"
    assert sc.identity.imei.isdigit()


BAD = [
    ("steps = [", "F: not valid TOML: "),
    ("name = 'x'", "F: steps: expected at least one [[steps]] table with at_s = 0"),
    ("colour = 1\n[[steps]]\nat_s = 0", "F: unknown key 'colour' (expected one of: name, "),
    ("[[steps]]\nat_s = 1", "F: steps[0].at_s: the first step must be at 0, got 1"),
    ("[[steps]]\nrat = 'lte'", "F: steps[0].at_s: expected a number of seconds >= 0, got None"),
    (
        "[[steps]]\nat_s = 0\n[[steps]]\nat_s = 0",
        "F: steps[1].at_s: expected more than the previous step's 0, got 0",
    ),
    (
        "[[steps]]\nat_s = 0\nrsrp = -90",
        "F: steps[0]: unknown key 'rsrp' (expected one of: at_s, rat, ",
    ),
    (
        "[[steps]]\nat_s = 0\nrsrp_dbm = -150",
        "F: steps[0].rsrp_dbm: expected a number from -141 to -44 dBm, got -150",
    ),
    (
        "[[steps]]\nat_s = 0\nrsrp_dbm = 'weak'",
        "F: steps[0].rsrp_dbm: expected a number from -141 to -44 dBm, got 'weak'",
    ),
    (
        "[[steps]]\nat_s = 0\nrat = '6g'",
        "F: steps[0].rat: expected one of ('none', 'gsm', 'edge', 'umts', 'hspa', 'lte', "
        "'nbiot', 'ltem', 'nr5g-sa', 'nr5g-nsa'), got '6g'",
    ),
    (
        "[[steps]]\nat_s = 0\nsim_state = 'busy'",
        "F: steps[0].sim_state: expected one of ('ready', 'absent', 'pin', 'puk'), got 'busy'",
    ),
    (
        "[[steps]]\nat_s = 0\nmnc = 10",
        'F: steps[0].mnc: expected a string of 2 or 3 digits (e.g. "510"), got 10',
    ),
    (
        "[[steps]]\nat_s = 0\npci = 1008",
        "F: steps[0].pci: expected an integer from 0 to 1007, got 1008",
    ),
    (
        "[[steps]]\nat_s = 0\npci = true",
        "F: steps[0].pci: expected an integer from 0 to 1007, got True",
    ),
    ("loop = true\n[[steps]]\nat_s = 0", "F: loop = true needs duration_s (the loop's length)"),
    ("loop = 'yes'\n[[steps]]\nat_s = 0", "F: loop: expected true or false, got 'yes'"),
    (
        "duration_s = 5\n[[steps]]\nat_s = 0\n[[steps]]\nat_s = 5",
        "F: duration_s: expected a number greater than the last at_s (5), got 5",
    ),
    (
        "[identity]\nimei = '12'\n[[steps]]\nat_s = 0",
        "F: identity.imei: expected 14 to 17 digits, got '12'",
    ),
    (
        "[identity]\nvendor = 'x'\n[[steps]]\nat_s = 0",
        "F: identity: unknown key 'vendor' (expected one of: manufacturer, model, firmware, "
        "imei, imsi, iccid)",
    ),
    (
        "[identity]\nmodel = 25\n[[steps]]\nat_s = 0",
        "F: identity.model: expected a non-empty string, got 25",
    ),
    (
        "[[steps]]\nat_s = 0\nlat_deg = -90.5\nlon_deg = 106.8",
        "F: steps[0].lat_deg: expected a number from -90 to 90 degrees, got -90.5",
    ),
    (
        "[[steps]]\nat_s = 0\nlat_deg = 3.6\nlon_deg = 181",
        "F: steps[0].lon_deg: expected a number from -180 to 180 degrees, got 181",
    ),
    (
        "[[steps]]\nat_s = 0\nlat_deg = '6.2 S'\nlon_deg = 106.8",
        "F: steps[0].lat_deg: expected a number from -90 to 90 degrees, got '6.2 S'",
    ),
    (
        "[[steps]]\nat_s = 0\nlat_deg = -6.2",
        "F: steps[0]: lat_deg and lon_deg go together: expected both or neither, "
        "got lat_deg=-6.2, lon_deg=None",
    ),
    (
        "[[steps]]\nat_s = 0\ngnss_fix = 'no'",
        "F: steps[0].gnss_fix: expected true or false, got 'no'",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_files_say_file_key_and_expectation(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value).startswith(message.replace("F:", f"{path}:", 1))


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ScenarioError, match=r"nope.toml: cannot read scenario: No such file"):
        load_scenario(path)


def test_unknown_bundled_scenario() -> None:
    with pytest.raises(ScenarioError, match="no bundled scenario named 'x'"):
        bundled_scenario("x")


def test_vanish_windows_do_not_persist() -> None:
    sc = Scenario.from_dict(
        {
            "loop": True,
            "duration_s": 40,
            "steps": [{"at_s": 0}, {"at_s": 10, "vanish_s": 5}, {"at_s": 20, "pci": 1}],
        }
    )
    assert [sc.port_gone(t) for t in (9.9, 10, 14.9, 15, 25, 52)] == [
        False,
        True,
        True,
        False,
        False,
        True,
    ]


def test_flaky_modem_demo_and_delay_commands(tmp_path: Path) -> None:
    flaky = load_scenario(bundled_scenario("flaky-modem"))
    assert flaky.state_at(15).urc_per_s == 100
    assert flaky.state_at(25).garbage_bytes == 64
    assert (flaky.state_at(35).answer_delay_s, flaky.state_at(35).delay_commands) == (
        5.0,
        ("AT+CSQ",),
    )
    assert flaky.state_at(45).answer_delay_s == 0
    assert [flaky.port_gone(t) for t in (39.9, 40, 49.9, 50)] == [False, True, True, False]
    bad = tmp_path / "bad.toml"
    bad.write_text("[[steps]]\nat_s = 0\ndelay_commands = 'AT+CSQ'\n")
    with pytest.raises(ScenarioError, match=r"steps\[0\].delay_commands: expected a list of AT"):
        load_scenario(bad)


def test_gnss_position_in_both_hemispheres(tmp_path: Path) -> None:
    path = tmp_path / "drive.toml"
    path.write_text(
        "[[steps]]\nat_s = 0\n"  # no position yet: no fix
        "[[steps]]\nat_s = 10\nlat_deg = -6.2088\nlon_deg = 106.8456\n"  # Jakarta
        "[[steps]]\nat_s = 20\ngnss_fix = false\n"  # a tunnel
        "[[steps]]\nat_s = 30\ngnss_fix = true\nlat_deg = 3.5952\nlon_deg = 98.6722\n"  # Medan
        "[[steps]]\nat_s = 40\nlat_deg = -90\nlon_deg = -180\n"  # the bounds are valid
    )
    sc = load_scenario(path)
    assert (sc.state_at(5).lat_deg, sc.state_at(5).lon_deg) == (None, None)
    assert (sc.state_at(15).lat_deg, sc.state_at(15).lon_deg) == (-6.2088, 106.8456)
    lost = sc.state_at(25)
    assert (lost.gnss_fix, lost.lat_deg) == (False, -6.2088)  # kept for when it returns
    medan = sc.state_at(35)
    assert (medan.gnss_fix, medan.lat_deg, medan.lon_deg) == (True, 3.5952, 98.6722)
    assert isinstance(sc.state_at(45).lat_deg, float) and sc.state_at(45).lon_deg == -180.0
    # once set together, one coordinate may change alone
    moved = Scenario.from_dict(
        {"steps": [{"at_s": 0, "lat_deg": 3.6, "lon_deg": 98.7}, {"at_s": 1, "lat_deg": 3.7}]}
    )
    assert (moved.state_at(2).lat_deg, moved.state_at(2).lon_deg) == (3.7, 98.7)
