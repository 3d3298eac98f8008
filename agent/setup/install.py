"""Unattended running: the systemd unit, the udev rule for ModemManager, bounded logs.

The shipped files live in ``agent/units/``. :func:`plan` renders them for this kit
(the agent's executable, its config file, its data directory) and :func:`apply`
writes them (atomically, only what changed) under ``root`` (``/`` on a kit; a
temporary directory in tests) and runs the commands that make systemd and udev take
them, only when this is the real root on a running systemd. Otherwise the caller
prints the commands for the technician.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

UNIT_NAME = "pantau-agent.service"
UDEV_RULE_NAME = "77-pantau-modem.rules"
JOURNALD_NAME = "journald-pantau.conf"
SERVICE_USER = "pantau"

#: USB vendor ids of the modem makers the agent reads (hex, lower case). The udev rule
#: covers each of them; PCIe modems (no USB vendor id) by their wwan/mhi subsystem.
MODEM_VENDORS: dict[str, str] = {
    "2c7c": "Quectel",
    "05c6": "Qualcomm (Quectel EC20/UC20, others on Qualcomm's id)",
    "1e0e": "SIMCom",
    "12d1": "Huawei",
    "1199": "Sierra Wireless",
    "2cb7": "Fibocom",
    "19d2": "ZTE",
    "1bc7": "Telit",
    "1546": "u-blox",
}

UNIT_PATH = Path("etc/systemd/system") / UNIT_NAME
UDEV_PATH = Path("etc/udev/rules.d") / UDEV_RULE_NAME
JOURNALD_PATH = Path("etc/systemd/journald.conf.d/pantau.conf")


def shipped(name: str) -> str:
    """The text of a file shipped in ``agent/units``."""
    return resources.files("agent").joinpath("units", name).read_text(encoding="utf-8")


def render_unit(executable: str, config: Path, data_dir: Path) -> str:
    """The unit for this kit: its executable, config file and data directory."""
    out = []
    for line in shipped(UNIT_NAME).splitlines():
        key = line.partition("=")[0]
        if key == "ExecStart":
            out.append(f"ExecStart={_quote(executable)} run --config {_quote(str(config))}")
        elif key == "ReadWritePaths":
            out.append(f"ReadWritePaths={_quote(str(data_dir))}")
        elif key == "ProtectHome" and _under_home(executable, config, data_dir):
            out.append("ProtectHome=read-only")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def _under_home(*paths: object) -> bool:
    return any(str(p).startswith(("/home/", "/root/", "/run/user/")) for p in paths)


def _quote(text: str) -> str:
    if text and all(c.isalnum() or c in "/._-+:@" for c in text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def agent_executable() -> str:
    """The absolute path of the ``pantau-agent`` being run (a venv's, usually)."""
    import sys

    argv0 = Path(sys.argv[0])
    if argv0.name == "pantau-agent" and argv0.exists():
        return str(argv0.absolute())
    found = shutil.which("pantau-agent")
    if found:
        return str(Path(found).absolute())
    return str(Path(sys.executable).with_name("pantau-agent"))


def systemd_running(root: Path = Path("/")) -> bool:
    """True on a host booted with systemd (``/run/systemd/system`` exists)."""
    return (root / "run/systemd/system").is_dir()


@dataclass(slots=True)
class Plan:
    """Files to write (relative to the root), the commands each needs once it changed,
    the commands that always run (idempotent ones), and how the agent is started."""

    files: dict[Path, str] = field(default_factory=dict)
    on_change: dict[Path, list[list[str]]] = field(default_factory=dict)
    always: list[list[str]] = field(default_factory=list)
    #: None: not started; "start" (restarted instead when its unit changed) or "restart".
    start: str | None = None

    def commands(self, changed: Sequence[Path]) -> list[list[str]]:
        """What to run after writing, given the files (relative paths) that changed: the
        files' commands (systemd, then udev and ModemManager, then journald), the
        idempotent ones, and last the agent, started or restarted once, so that it opens
        the modem after ModemManager has let go of it."""
        out: list[list[str]] = []
        for rel in self.files:
            if rel in changed:
                out += [c for c in self.on_change.get(rel, []) if c not in out]
        out += [c for c in self.always if c not in out]
        if self.start is not None:
            verb = "restart" if self.start == "restart" or UNIT_PATH in changed else "start"
            out.append(["systemctl", verb, UNIT_NAME])
        return out


def plan(
    executable: str,
    config: Path,
    data_dir: Path,
    *,
    udev: bool = True,
    journald: bool = True,
    start: bool = False,
    restart: bool = False,
) -> Plan:
    """The files and commands for this kit. ``restart``: the config changed, so a
    running service must restart to read it (with ``start``)."""
    p = Plan()
    p.files[UNIT_PATH] = render_unit(executable, config, data_dir)
    p.on_change[UNIT_PATH] = [["systemctl", "daemon-reload"]]
    if udev:
        p.files[UDEV_PATH] = shipped(UDEV_RULE_NAME)
        p.on_change[UDEV_PATH] = [
            ["udevadm", "control", "--reload"],
            ["udevadm", "trigger", "--action=change", "--subsystem-match=tty",
             "--subsystem-match=usb", "--subsystem-match=wwan"],
            ["udevadm", "settle", "--timeout=10"],
            ["systemctl", "try-restart", "ModemManager.service"],
        ]  # fmt: skip
    if journald:
        p.files[JOURNALD_PATH] = shipped(JOURNALD_NAME)
        p.on_change[JOURNALD_PATH] = [["systemctl", "restart", "systemd-journald.service"]]
    p.always.append(["systemctl", "enable", UNIT_NAME])
    if start:
        p.start = "restart" if restart else "start"
    return p


def service_state(
    unit: str = UNIT_NAME,
    *,
    wait_s: float = 10.0,
    systemctl: str = "systemctl",
) -> str:
    """``systemctl is-active`` of ``unit``, waited on while it is still activating (up to
    ``wait_s``): ``active`` when it runs, else what systemd says (``failed``,
    ``inactive``, ``activating``...) or why it could not be asked."""
    import time

    deadline = time.monotonic() + wait_s
    while True:
        try:
            result = subprocess.run(
                [systemctl, "is-active", unit], capture_output=True, text=True, timeout=10,
                check=False,
            )  # fmt: skip
            state = result.stdout.strip() or result.stderr.strip() or f"exit {result.returncode}"
        except (OSError, subprocess.TimeoutExpired) as exc:
            return str(exc)
        if state not in ("activating", "reloading") or time.monotonic() >= deadline:
            return state
        time.sleep(0.5)


def user_commands(user: str = SERVICE_USER) -> list[list[str]]:
    """Create the service's system user (in the group dialout for the modem)."""
    return [
        ["useradd", "--system", "--user-group", "--no-create-home",
         "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", user],
        ["usermod", "--append", "--groups", "dialout", user],
    ]  # fmt: skip


def user_exists(user: str = SERVICE_USER) -> bool:
    import pwd

    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


@dataclass(slots=True)
class Applied:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def write_files(p: Plan, root: Path) -> Applied:
    from agent.setup.files import atomic_write

    done = Applied()
    for rel, text in p.files.items():
        target = root / rel
        if atomic_write(target, text.encode("utf-8"), 0o644):
            done.written.append(target)
        else:
            done.unchanged.append(target)
    return done


def run_commands(
    commands: Sequence[Sequence[str]], done: Applied, *, timeout_s: float = 60
) -> None:
    """Run each command; a failure is recorded (with its output) and the rest still run."""
    for command in commands:
        text = " ".join(command)
        try:
            result = subprocess.run(
                list(command), capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            done.failed.append((text, str(exc)))
            continue
        if result.returncode != 0:
            done.failed.append((text, (result.stderr or result.stdout).strip()))
        else:
            done.ran.append(text)


def own_for_service(paths: Sequence[Path], user: str = SERVICE_USER) -> None:
    """Give the service user the data directory (recursively) and its files."""
    import grp
    import pwd

    uid = pwd.getpwnam(user).pw_uid
    gid = grp.getgrnam(user).gr_gid
    for path in paths:
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                os.chown(dirpath, uid, gid)
                for name in dirnames + filenames:
                    os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)  # noqa: PTH118
        elif path.exists():
            os.chown(path, uid, gid)
