"""A kit's probes, run once per modem: bound to the modem's interface, named after it."""

from __future__ import annotations

from pathlib import Path

from agent.config import ModemSection, load_agent_config
from agent.service import bound_to

DATA = Path(__file__).resolve().parents[1] / "data" / "config"


def test_a_probe_runs_bound_to_each_modems_interface() -> None:
    config = load_agent_config(DATA / "multi-modem.toml")
    [probe] = config.probes
    assert probe.config.source is None
    bound = [bound_to(probe, modem) for modem in config.modems]
    assert [(b.name, b.config.source) for b in bound] == [
        ("ping-collector@tsel", "wwan0"),
        ("ping-collector@isat", "wwan1"),
        ("ping-collector@m3", "wwan2"),
    ]
    assert bound[0].config.count == probe.config.count  # the rest of its config as written


def test_a_probe_bound_in_its_own_file_keeps_its_source() -> None:
    config = load_agent_config(DATA / "multi-modem.toml")
    [probe] = config.probes
    pinned = bound_to(probe, ModemSection(port="/dev/x", interface="eth0"))  # a one-modem kit
    assert (pinned.name, pinned.config.source) == ("ping-collector", "eth0")
    again = bound_to(pinned, ModemSection(port="/dev/y", name="xl", interface="wwan2"))
    assert (again.name, again.config.source) == ("ping-collector@xl", "eth0")


def test_the_hello_lists_the_kits_modems(tmp_path: Path) -> None:
    from agent.clock import now
    from agent.service import AgentService
    from agent.uplink import build_hello

    text = (DATA / "multi-modem.toml").read_text(encoding="utf-8")
    path = tmp_path / "agent.toml"
    path.write_text(
        text.replace('site = "3171011001005"', f'site = "3171011001005"\ndata_dir = "{tmp_path}"'),
        encoding="utf-8",
    )
    service = AgentService(load_agent_config(path))
    try:
        service.monitors[0].network = "510-10"  # as once its IMSI is read
        modems = service.kit_modems()
        assert [(m.name, m.interface, m.network, m.HasField("identity")) for m in modems] == [
            ("tsel", "wwan0", "510-10", False),
            ("isat", "wwan1", "", False),
            ("m3", "wwan2", "", False),
        ]
        hello = build_hello("kit", "3171011001005", now(), modems=modems)
        assert [m.name for m in hello.modems] == ["tsel", "isat", "m3"]
        assert len(service.schedulers) == 3  # the probes once per modem
    finally:
        service.spool.close()
