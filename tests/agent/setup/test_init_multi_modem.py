"""``init`` on a kit with a modem per operator: three modems found are written as three
``[[modems]]`` named after their SIMs; a re-run keeps them (every key as written);
``--modem`` goes back to one modem."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pexpect
from initkit import AGENT, SITE, RunningCollector, clean_env
from test_init_scripted import init

from agent.config import load_agent_config
from agent.modem.usb import net_interfaces
from agent.setup.modems_plan import plan
from agent.setup.ports import FoundPort
from agent.sim.kit import SimKit, SimSlot
from agent.sim.scenario import Scenario, bundled_scenario, load_scenario

MODEMS = """[[modems]]
name = "tsel"
port = "/dev/ttyUSB2"
dialect = "quectel"
interface = "wwan0"

[[modems]]
name = "xl"
port = "/dev/ttyUSB6"
interval_s = 60
interface = "wwan1"
"""


def test_a_rerun_keeps_the_modems(tmp_path: Path, collector: RunningCollector) -> None:
    args = ["--site", SITE, "--collector", collector.address]
    config_path = tmp_path / "etc" / "agent.toml"
    first = init(tmp_path, *args, "--modem", "none", "--code", collector.code())
    assert first.returncode == 0, first.stdout + first.stderr
    text = config_path.read_text()
    assert '[modem]\nport = ""\n' in text
    config_path.write_text(text.replace('[modem]\nport = ""\n', MODEMS))
    before = load_agent_config(config_path).modems

    again = init(tmp_path, *args, "--lang", "en")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "This kit has 2 modems (a modem per operator, [[modems]]): all are kept." in again.stdout
    assert load_agent_config(config_path).modems == before
    assert "[modem]\n" not in config_path.read_text()

    single = init(tmp_path, *args, "--modem", "none")
    assert single.returncode == 0, single.stdout + single.stderr
    assert load_agent_config(config_path).modems == ()


def scenario(name: str, imei: str) -> Scenario:
    base = load_scenario(bundled_scenario(name))
    return dataclasses.replace(base, identity=dataclasses.replace(base.identity, imei=imei))


def test_init_writes_a_modem_per_operator_when_it_finds_three(
    tmp_path: Path, collector: RunningCollector
) -> None:
    by_id = tmp_path / "by-id"
    by_id.mkdir()
    kit = SimKit(
        [
            SimSlot("a", scenario("strong-lte", "867698041230001"), "quectel"),
            SimSlot("b", scenario("indosat-fading", "867698041230002")),
            SimSlot("c", scenario("xl-no-service", "867698041230003")),
        ],
        link_dir=by_id,
    )
    args = ["--site", SITE, "--collector", collector.address, "--scan", str(by_id)]
    config_path = tmp_path / "etc" / "agent.toml"
    with kit:
        kit.start()
        first = init(tmp_path, *args, "--code", collector.code())
        assert first.returncode == 0, first.stdout + first.stderr
        modems = load_agent_config(config_path).modems
        assert [(m.name, m.port) for m in modems] == [
            ("tsel", str(by_id / "a")), ("isat", str(by_id / "b")), ("xl", str(by_id / "c")),
        ]  # fmt: skip
        assert "3 modems answered: all are used, a modem per operator ([[modems]])" in first.stdout
        assert f"  isat: Indosat Ooredoo Hutchison (510-01), port {by_id / 'b'}" in first.stdout

        # a technician can still force one modem
        single = init(tmp_path, *args, "--modem", str(by_id / "a"))
        assert single.returncode == 0, single.stdout + single.stderr
        config = load_agent_config(config_path)
        assert (config.modem.port, config.modems[0].name) == (str(by_id / "a"), "")
        assert len(config.modems) == 1


def found(path: str, imsi: str | None, usb: str | None = None, **more: object) -> FoundPort:
    return FoundPort(path, path, usb=usb, answers_at=True, model="EC25", imsi=imsi, **more)  # type: ignore[arg-type]


def test_the_plan_names_each_modem_after_its_sim_and_tells_twins_apart() -> None:
    planned = plan(
        [
            found("/dev/ttyUSB2", "510101234567890", "usb:2c7c:0125:if02", usb_path="1-1.2",
                  interfaces=("wwan0",)),
            found("/dev/ttyUSB6", "510101234567891", "usb:2c7c:0125:if02", usb_path="1-1.3",
                  interfaces=("wwan1", "wwan2")),
            found("/dev/ttyACM0", None),
            FoundPort("/dev/ttyS0", "/dev/ttyS0"),  # not a modem
            found("/dev/ttyUSB9", "502121234567890"),  # a Malaysian SIM: no short name
        ]
    )  # fmt: skip
    assert [(m.name, m.port, m.interface) for m in planned] == [
        ("tsel", "usb:2c7c:0125:if02@1-1.2", "wwan0"),
        ("tsel-2", "usb:2c7c:0125:if02@1-1.3", ""),  # two interfaces: which one is a guess
        ("m3", "/dev/ttyACM0", ""),
        ("m4", "/dev/ttyUSB9", ""),
    ]


def test_the_network_interfaces_of_a_usb_modem_are_read_from_sysfs(tmp_path: Path) -> None:
    device = tmp_path / "bus" / "usb" / "devices" / "1-1.3"
    (device / "1-1.3:1.2" / "ttyUSB2").mkdir(parents=True)
    (device / "1-1.3:1.4" / "net" / "wwan0").mkdir(parents=True)
    assert net_interfaces("1-1.3", tmp_path) == ["wwan0"]
    assert net_interfaces("1-1.4", tmp_path) == []


def test_interactive_init_offers_every_modem_found(
    tmp_path: Path, collector: RunningCollector
) -> None:
    by_id = tmp_path / "by-id"
    by_id.mkdir()
    kit = SimKit(
        [
            SimSlot("a", scenario("xl-no-service", "867698041230004")),
            SimSlot("b", scenario("strong-lte", "867698041230005"), "quectel"),
        ],
        link_dir=by_id,
    )
    with kit, (tmp_path / "init.log").open("w", encoding="utf-8") as log:
        kit.start()
        child = pexpect.spawn(
            AGENT,
            ["init", "--lang", "id", "--config", str(tmp_path / "etc" / "agent.toml"),
             "--data-dir", str(tmp_path / "data"), "--no-install-service", "--scan", str(by_id),
             "--site", SITE, "--collector", collector.address, "--code", collector.code(),
             "--no-upload-test"],
            env=clean_env(), encoding="utf-8", timeout=30, dimensions=(50, 250),
        )  # fmt: skip
        child.logfile_read = log
        try:
            child.expect_exact("Pakai ke-2 modem, satu per operator? [Y/t]: ")
            child.sendline("")
            child.expect_exact("Ada 2 modem: semuanya dipakai, satu per operator ([[modems]]).")
            child.expect_exact(f"  xl: XL Axiata (510-11), port {by_id / 'a'}, antarmuka -")
            child.expect_exact(f"  tsel: Telkomsel (510-10), port {by_id / 'b'}, antarmuka -")
            child.expect(pexpect.EOF)
        finally:
            child.close(force=True)
    assert child.exitstatus == 0, (tmp_path / "init.log").read_text()
    modems = load_agent_config(tmp_path / "etc" / "agent.toml").modems
    assert [m.name for m in modems] == ["xl", "tsel"]
