"""The shipped unit, udev rule and journald drop-in: systemd accepts the unit, the rule
parses and covers every modem vendor the agent knows; ``init --install-service``
writes them (into a scratch root here) and a second run changes nothing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from initkit import AGENT, SITE, RunningCollector, clean_env
from machine import unavailable

from agent.setup import install

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def unit_settings(text: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def verify(unit: Path) -> subprocess.CompletedProcess[str]:
    assert SYSTEMD_ANALYZE is not None
    return subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", str(unit)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit_as_init_writes_it(tmp_path: Path) -> None:
    # verify needs ExecStart's binary to exist: point it at this venv's pantau-agent.
    unit = tmp_path / install.UNIT_NAME
    unit.write_text(
        install.render_unit(AGENT, Path("/etc/pantau/agent.toml"), Path("/var/lib/pantau")),
        encoding="utf-8",
    )
    result = verify(unit)
    assert result.returncode == 0, result.stderr
    ours = [line for line in result.stderr.splitlines() if install.UNIT_NAME in line]
    assert ours == [], result.stderr
    # The shipped file as is (ExecStart through /usr/bin/env) is accepted too.
    shipped = tmp_path / "shipped" / install.UNIT_NAME
    shipped.parent.mkdir()
    shipped.write_text(install.shipped(install.UNIT_NAME), encoding="utf-8")
    result = verify(shipped)
    assert result.returncode == 0 and install.UNIT_NAME not in result.stderr, result.stderr


def test_the_unit_restarts_forever_under_a_watchdog_with_least_privilege() -> None:
    text = install.render_unit("/opt/pantau/bin/pantau-agent", Path("/etc/p.toml"), Path("/srv/k"))
    s = unit_settings(text)
    assert s["ExecStart"] == ["/opt/pantau/bin/pantau-agent run --config /etc/p.toml"]
    assert s["Type"] == ["notify"] and s["Restart"] == ["always"]
    assert s["RestartSec"] == ["5"] and s["WatchdogSec"] == ["60"]
    assert s["StartLimitIntervalSec"] == ["0"]  # never gives up
    assert "network-online.target" in s["After"][0] and s["Wants"] == ["network-online.target"]
    assert s["ProtectSystem"] == ["strict"] and s["ReadWritePaths"] == ["/srv/k"]
    assert s["RuntimeDirectory"] == ["pantau"] and s["RuntimeDirectoryPreserve"] == ["yes"]
    assert s["NoNewPrivileges"] == ["yes"] and s["PrivateTmp"] == ["yes"]
    assert s["CapabilityBoundingSet"] == ["CAP_NET_RAW"]
    assert s["AmbientCapabilities"] == ["CAP_NET_RAW"]
    assert s["SupplementaryGroups"] == ["dialout"] and s["User"] == [install.SERVICE_USER]
    assert s["WantedBy"] == ["multi-user.target"]
    spaced = install.render_unit("/opt/my kit/pantau-agent", Path("/etc/p.toml"), Path("/srv/k"))
    assert unit_settings(spaced)["ExecStart"] == [
        '"/opt/my kit/pantau-agent" run --config /etc/p.toml'
    ]


# udev rule syntax (udev(7)): KEY[{attr}] OP "value", comma separated.
_TOKEN = re.compile(
    r'\s*(?P<key>[A-Z_]+)(?:\{(?P<attr>[^}]+)\})?(?P<op>==|!=|\+=|-=|:=|=)"(?P<value>[^"]*)"\s*(?:,|$)'
)
_MATCH_KEYS = {
    "ACTION",
    "SUBSYSTEM",
    "SUBSYSTEMS",
    "KERNEL",
    "ATTR",
    "ATTRS",
    "ENV",
    "DRIVERS",
    "DRIVER",
    "TAG",
}
_ASSIGN_KEYS = {"ENV", "GOTO", "LABEL", "TAG", "MODE", "GROUP", "SYMLINK", "RUN"}


def parse_rules(text: str) -> list[list[dict[str, str]]]:
    rules = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        tokens, pos = [], 0
        while pos < len(line):
            m = _TOKEN.match(line, pos)
            assert m, f"line {number}: cannot parse at {line[pos:]!r}"
            token = {k: v or "" for k, v in m.groupdict().items()}
            if token["op"] in ("==", "!="):
                assert token["key"] in _MATCH_KEYS, f"line {number}: {token}"
            else:
                assert token["key"] in _ASSIGN_KEYS, f"line {number}: {token}"
            tokens.append(token)
            pos = m.end()
        rules.append(tokens)
    return rules


def test_the_udev_rule_parses_and_covers_every_known_modem_vendor() -> None:
    text = install.shipped(install.UDEV_RULE_NAME)
    udevadm_test_problems(text)
    rules = parse_rules(text)
    gotos = {t["value"] for r in rules for t in r if t["key"] == "GOTO"}
    labels = {t["value"] for r in rules for t in r if t["key"] == "LABEL"}
    assert gotos and gotos <= labels
    covered = set()
    for r in rules:
        vendor = [t["value"] for t in r if t["key"] == "ATTRS" and t["attr"] == "idVendor"]
        envs = {(t["attr"], t["op"], t["value"]) for t in r if t["key"] == "ENV"}
        if vendor:
            assert ("ID_MM_DEVICE_IGNORE", "=", "1") in envs
            assert ("ID_MM_PORT_IGNORE", "=", "1") in envs
            covered.add(vendor[0])
    assert covered == set(install.MODEM_VENDORS)
    assert {"05c6", "19d2", "1bc7", "1546"} <= covered  # Quectel EC20/UC20, ZTE, Telit, u-blox
    # PCIe modems (Fibocom L860-GL: iosm; MHI modules) by subsystem and driver, before
    # the USB-only part of the file.
    pcie = [r for r in rules if any(t["key"] == "SUBSYSTEM" and t["value"] in ("wwan", "pci")
                                    for t in r)]  # fmt: skip
    matched = {(t["key"], t["value"]) for r in pcie for t in r if t["op"] == "=="}
    assert {("SUBSYSTEM", "wwan"), ("DRIVER", "iosm"), ("DRIVER", "mhi-pci-generic")} <= matched
    usb_gate = next(i for i, r in enumerate(rules) if r[0]["key"] == "SUBSYSTEMS")
    assert all(rules.index(r) < usb_gate for r in pcie)
    # Every vendor the modem code names in a usb: identity is one the rule covers.
    usb_py = Path(__file__).parents[3] / "agent" / "modem" / "usb.py"
    named = set(re.findall(r"usb:([0-9a-f]{4}):", usb_py.read_text(encoding="utf-8")))
    assert named and named <= set(install.MODEM_VENDORS)


def udevadm_test_problems(text: str) -> None:
    """udev's own parser on the rule: ``udevadm verify`` (systemd >= 254), else
    ``udevadm test`` reading it from /run/udev/rules.d in a private mount namespace (a
    tmpfs over /run there: nothing on the host changes). Skipped only without either."""
    udevadm = shutil.which("udevadm")
    unshare = shutil.which("unshare")
    if udevadm is None:
        return
    helptext = subprocess.run(
        [udevadm, "--help"], capture_output=True, text=True, check=False
    ).stdout
    if "verify" in helptext:
        with tempfile.TemporaryDirectory() as tmp:
            rule = Path(tmp) / install.UDEV_RULE_NAME
            rule.write_text(text, encoding="utf-8")
            result = subprocess.run(
                [udevadm, "verify", str(rule)], capture_output=True, text=True, check=False
            )
        assert result.returncode == 0, result.stdout + result.stderr
        return
    if unshare is None or os.geteuid() != 0:
        return
    with tempfile.TemporaryDirectory() as tmp:
        rule = Path(tmp) / install.UDEV_RULE_NAME
        rule.write_text(text, encoding="utf-8")
        script = (
            "mount -t tmpfs tmpfs /run && mkdir -p /run/udev/rules.d && "
            f"cp {rule} /run/udev/rules.d/ && {udevadm} test --action=add /sys/class/net/lo"
        )
        result = subprocess.run(
            [unshare, "--mount", "--propagation", "private", "sh", "-c", script],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    out = result.stdout + result.stderr
    installed = f"/run/udev/rules.d/{install.UDEV_RULE_NAME}"
    assert f"Reading rules file: {installed}" in out, out
    problems = [line for line in out.splitlines() if line.startswith(f"{installed}:")]
    assert not problems, problems


def test_udev_parse_check_catches_a_bad_rule() -> None:
    if shutil.which("udevadm") is None or os.geteuid() != 0 or shutil.which("unshare") is None:
        unavailable("needs udevadm, unshare and root")
    with pytest.raises(AssertionError, match="Invalid key"):
        udevadm_test_problems('SUBSYSTEM=="tty", FOO=="1", ENV{ID_MM_PORT_IGNORE}="1"\n')


def test_install_order_udev_then_modemmanager_then_the_agent_once() -> None:
    p = install.plan("/opt/pantau/bin/pantau-agent", Path("/etc/pantau/agent.toml"),
                     Path("/var/lib/pantau"), start=True)  # fmt: skip
    first = [" ".join(c) for c in p.commands(list(p.files))]
    agent = [c for c in first if install.UNIT_NAME in c and "enable" not in c]
    assert agent == [f"systemctl restart {install.UNIT_NAME}"]  # the unit changed: once
    assert first[-1] == agent[0]
    order = [next(i for i, c in enumerate(first) if c.startswith(prefix)) for prefix in (
        "systemctl daemon-reload", "udevadm control --reload", "udevadm trigger",
        "systemctl try-restart ModemManager", f"systemctl restart {install.UNIT_NAME}",
    )]  # fmt: skip
    assert order == sorted(order)
    # Nothing changed: the agent is started (a no-op when running), not restarted.
    rerun = [" ".join(c) for c in p.commands([])]
    assert rerun == [
        f"systemctl enable {install.UNIT_NAME}",
        f"systemctl start {install.UNIT_NAME}",
    ]
    # The config changed: restarted once, so that it reads it.
    changed = install.plan("/a", Path("/c"), Path("/d"), start=True, restart=True)
    assert [" ".join(c) for c in changed.commands([])][
        -1
    ] == f"systemctl restart {install.UNIT_NAME}"
    assert install.plan("/a", Path("/c"), Path("/d")).commands([]) == [
        ["systemctl", "enable", install.UNIT_NAME]
    ]


def test_service_state_waits_out_activating_and_says_failed(tmp_path: Path) -> None:
    """``systemctl is-active`` stands in for a systemd this container does not run."""
    counter = tmp_path / "calls"
    fake = tmp_path / "systemctl"
    fake.write_text(
        "#!/bin/sh\n"
        f"n=$(cat {counter} 2>/dev/null || echo 0); n=$((n + 1)); echo $n > {counter}\n"
        "if [ $n -lt 3 ]; then echo activating; exit 3; fi\n"
        'echo "$STATE"; [ "$STATE" = active ]\n',
        encoding="utf-8",
    )
    fake.chmod(0o755)
    os.environ["STATE"] = "failed"
    try:
        assert install.service_state(systemctl=str(fake), wait_s=10) == "failed"
        assert counter.read_text().strip() == "3"
        counter.unlink()
        os.environ["STATE"] = "active"
        assert install.service_state(systemctl=str(fake), wait_s=10) == "active"
    finally:
        del os.environ["STATE"]
    assert "No such file" in install.service_state(systemctl=str(tmp_path / "none"))


def test_journald_is_bounded() -> None:
    text = install.shipped(install.JOURNALD_NAME)
    assert text.count("[Journal]") == 1
    s = unit_settings(text)
    assert set(s) <= {
        "Storage", "SystemMaxUse", "SystemKeepFree", "SystemMaxFileSize", "RuntimeMaxUse",
        "MaxRetentionSec",
    }  # fmt: skip
    assert re.fullmatch(r"\d+[KMG]", s["SystemMaxUse"][0])


def test_init_installs_the_service_files_and_a_rerun_changes_nothing(
    tmp_path: Path, collector: RunningCollector
) -> None:
    root = tmp_path / "root"
    cmd = [AGENT, "init", "--yes", "--lang", "en", "--root", str(root),
           "--config", str(tmp_path / "etc" / "agent.toml"), "--data-dir", str(tmp_path / "data"),
           "--site", SITE, "--collector", collector.address, "--code", collector.code(),
           "--modem", "none", "--install-service", "--start"]  # fmt: skip
    first = subprocess.run(
        cmd, capture_output=True, text=True, env=clean_env(), timeout=60, check=False
    )
    assert first.returncode == 0, first.stdout + first.stderr
    unit = root / install.UNIT_PATH
    rule = root / install.UDEV_PATH
    journald = root / install.JOURNALD_PATH
    settings = unit_settings(unit.read_text(encoding="utf-8"))
    assert settings["ExecStart"] == [f"{AGENT} run --config {tmp_path / 'etc' / 'agent.toml'}"]
    assert settings["ReadWritePaths"] == [str(tmp_path / "data")]
    assert rule.read_text(encoding="utf-8") == install.shipped(install.UDEV_RULE_NAME)
    assert journald.read_text(encoding="utf-8") == install.shipped(install.JOURNALD_NAME)
    assert "Command to run: systemctl enable pantau-agent.service" in first.stdout
    assert "Command to run: udevadm control --reload" in first.stdout
    mtimes = {p: p.stat().st_mtime_ns for p in (unit, rule, journald)}
    again = subprocess.run(
        cmd, capture_output=True, text=True, env=clean_env(), timeout=60, check=False
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"Unchanged: {unit}" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes


def test_install_service_without_systemd_fails_instead_of_saying_done(
    tmp_path: Path, collector: RunningCollector
) -> None:
    if install.systemd_running():
        unavailable("this host runs systemd: the service would really be installed")
    cmd = [AGENT, "init", "--yes", "--config", str(tmp_path / "etc" / "agent.toml"),
           "--data-dir", str(tmp_path / "data"), "--site", SITE,
           "--collector", collector.address, "--code", collector.code(), "--modem", "none",
           "--install-service", "--start"]  # fmt: skip
    done = subprocess.run(
        [*cmd, "--lang", "en"], capture_output=True, text=True, env=clean_env(), timeout=60,
        check=False,
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "The service was NOT installed although --install-service was asked for" in out
    assert "Done" not in out
    assert (tmp_path / "etc" / "agent.toml").exists()  # the configuration is kept
    again = subprocess.run(
        [*cmd, "--lang", "id"], capture_output=True, text=True, env=clean_env(), timeout=60,
        check=False,
    )  # fmt: skip
    assert again.returncode == 1 and "Layanan TIDAK dipasang" in again.stdout + again.stderr
    assert "Selesai" not in again.stdout
