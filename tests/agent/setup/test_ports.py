"""Finding the modem: paths, globs and link directories; one entry per modem even when
it answers on several ports; ports that are not modems are not offered."""

from __future__ import annotations

from pathlib import Path

from initkit import SCENARIO

from agent.setup import ports
from agent.sim.modem import SimModem
from agent.sim.scenario import Scenario


def test_a_modem_on_two_ports_is_listed_once_under_its_first_name(
    tmp_path: Path, modem: tuple[SimModem, Path]
) -> None:
    sim, link = modem
    # The same modem (same IMEI) answering on a second port, as an EC25 does on if03.
    second = SimModem(Scenario.from_dict(SCENARIO), "quectel", link_path=tmp_path / "if03")
    second.start()
    try:
        not_a_modem = tmp_path / "not-a-port"
        not_a_modem.write_text("", encoding="utf-8")
        paths = [str(link.parent), str(tmp_path / "if03"), sim.port_path, str(not_a_modem)]
        found = ports.scan(paths, default=())
    finally:
        second.stop()
    modems = [f for f in found if f.is_modem]
    assert str(not_a_modem) in [f.path for f in found if not f.is_modem]
    assert [m.path for m in modems] == [str(link)]  # the link, not its pty, not if03
    only = modems[0]
    assert (only.manufacturer, only.model, only.imei) == ("Quectel", "EC25", "867698041234567")
    assert only.config_port == str(link)


def test_candidates_expand_globs_and_directories_and_skip_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "by-id").mkdir()
    target = tmp_path / "ttyFAKE0"
    target.write_text("", encoding="utf-8")
    (tmp_path / "by-id" / "usb-Maker_Modem-if02").symlink_to(target)
    got = ports.candidates(
        [str(tmp_path / "by-id"), str(tmp_path / "tty*"), str(tmp_path / "missing")], default=()
    )
    assert got == [str(tmp_path / "by-id" / "usb-Maker_Modem-if02")]  # one name per device
    assert ports.candidates(["socket://127.0.0.1:9"], default=()) == ["socket://127.0.0.1:9"]
