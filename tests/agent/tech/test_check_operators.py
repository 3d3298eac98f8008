"""``check`` on a kit with a modem per operator: each operator side by side, the best
recommended (pure choice, and through the CLI with three simulated modems)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from techkit import run_cli

from agent.i18n import Messages
from agent.sim.kit import SimKit, SimSlot
from agent.sim.scenario import bundled_scenario, load_scenario
from agent.tech.operators import ModemLook, human_lines, recommend


def look(
    name: str, coverage: str, rsrp: float | None = None, sinr: float | None = None
) -> ModemLook:
    return ModemLook(name, f"/dev/{name}", "ok", coverage=coverage, rsrp_dbm=rsrp, sinr_db=sinr)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("looks", "best"),
    [
        ([look("a", "weak", -112), look("b", "strong", -85), look("c", "none")], "b"),
        ([look("a", "medium", -100, 5), look("b", "medium", -98, 2)], "b"),  # RSRP first
        ([look("a", "medium", -100, 5), look("b", "medium", -100, 8)], "b"),  # then SINR
        ([look("a", "none"), look("b", "unknown")], None),  # nobody registered
        ([ModemLook("a", "/dev/a", "not-found"), look("b", "weak", -115)], "b"),
        ([], None),
    ],
)
def test_recommend(looks: list[ModemLook], best: str | None) -> None:
    found = recommend(looks)
    assert (found.name if found else None) == best


def test_the_side_by_side_block_reads_in_both_languages() -> None:
    tsel = ModemLook("tsel", "/dev/tsel", "ok", "510-10", "Telkomsel", coverage="strong",
                     rsrp_dbm=-85.0, sinr_db=15.0)  # fmt: skip
    looks = [tsel, ModemLook("xl", "/dev/xl", "not-found")]
    assert human_lines(looks, Messages("en"))[1:] == [
        "Operators side by side (a modem per operator):",
        "  tsel: Telkomsel (510-10), coverage strong, RSRP -85 dBm, SINR 15 dB",
        "  xl: the modem at /dev/xl cannot be read",
        "Recommended for this TPS: Telkomsel (510-10) (modem tsel).",
    ]
    assert human_lines(looks, Messages("id"))[-1] == (
        "Disarankan untuk TPS ini: Telkomsel (510-10) (modem tsel)."
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_check_recommends_telkomsel_over_a_fading_indosat_and_an_unserved_xl(
    tmp_path: Path,
) -> None:
    kit = SimKit(
        [
            SimSlot("tsel", load_scenario(bundled_scenario("strong-lte")), "quectel"),
            SimSlot("isat", load_scenario(bundled_scenario("indosat-fading"))),
            SimSlot("xl", load_scenario(bundled_scenario("xl-no-service"))),
        ]
    )
    with kit:
        ports = kit.start()
        config = tmp_path / "agent.toml"
        config.write_text(
            f"""
[agent]
site = "3171011001005"
data_dir = "{tmp_path / "kit"}"

[collector]
address = "127.0.0.1:{free_port()}"
credential = "kit-1.secret"

{kit.modems_toml(ports)}
""",
            encoding="utf-8",
        )
        proc = run_cli(
            "check", "--json", "--config", str(config), "--lang", "en", "--no-throughput",
            "--samples", "2", "--register-wait", "1", "--ping-interval", "0.01",
        )  # fmt: skip
    doc = json.loads(proc.stdout)
    ops = doc["operators"]
    tsel, isat, xl = ops["modems"]
    assert (tsel["name"], tsel["network"], tsel["coverage"]) == ("tsel", "510-10", "strong")
    # medium in its first seconds, weak once it fades (check reads the modems in turn)
    assert (isat["name"], isat["network"], isat["coverage"] in ("medium", "weak")) == (
        "isat", "510-01", True,
    )  # fmt: skip
    assert (xl["name"], xl["network"], xl["coverage"]) == ("xl", "510-11", "none")
    assert (ops["recommended"], ops["recommended_network"]) == ("tsel", "510-10")
    assert ops["recommendation"] == "Recommended for this TPS: Telkomsel (510-10) (modem tsel)."
