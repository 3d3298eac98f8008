"""Finding the AT port by USB identity in a fake sysfs tree (sysfs is files), following a
re-enumerated modem through the real driver on a pty, and naming who holds a port."""

from __future__ import annotations

import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from agent.modem.errors import PortBusy, PortUnavailable
from agent.modem.reader import Modem
from agent.modem.usb import UsbIdentity, UsbTty, list_usb_ttys, port_holders, resolve_url
from agent.sim.modem import SimModem
from agent.sim.scenario import Scenario

EC25 = (0x2C7C, 0x0125)


class FakeSysfs:
    """A sysfs tree as the kernel lays it out for usb-serial (option) and cdc_acm ports."""

    def __init__(self, root: Path) -> None:
        self.sys = root / "sys"
        self.dev = root / "dev"
        self.dev.mkdir(parents=True)
        (self.sys / "class" / "tty").mkdir(parents=True)

    def usb_device(self, usb_path: str, vid: int, pid: int, **attrs: str) -> Path:
        bus = usb_path.split("-", 1)[0]
        node = self.sys / "devices" / "platform" / "soc" / f"usb{bus}" / usb_path
        node.mkdir(parents=True, exist_ok=True)
        (node / "idVendor").write_text(f"{vid:04x}\n")
        (node / "idProduct").write_text(f"{pid:04x}\n")
        for name, value in attrs.items():
            (node / name).write_text(value + "\n")
        return node

    def tty(self, name: str, usb: Path, interface: int, driver: str = "option") -> None:
        intf = usb / f"{usb.name}:1.{interface}"
        intf.mkdir(exist_ok=True)
        (intf / "bInterfaceNumber").write_text(f"{interface:02x}\n")
        drv = self.sys / "bus" / "usb" / "drivers" / driver
        drv.mkdir(parents=True, exist_ok=True)
        if not (intf / "driver").is_symlink():
            (intf / "driver").symlink_to(drv)
        device = intf if driver == "cdc_acm" else intf / name
        device.mkdir(exist_ok=True)
        entry = self.sys / "class" / "tty" / name
        entry.mkdir()
        (entry / "device").symlink_to(device)

    def platform_tty(self, name: str) -> None:
        device = self.sys / "devices" / "platform" / "serial8250"
        device.mkdir(parents=True, exist_ok=True)
        (self.sys / "class" / "tty" / name).mkdir()
        (self.sys / "class" / "tty" / name / "device").symlink_to(device)
        (self.sys / "class" / "tty" / "tty0").mkdir(exist_ok=True)  # virtual: no device

    def ec25(self, first: int, usb_path: str = "1-1") -> None:
        usb = self.usb_device(usb_path, *EC25, manufacturer="Quectel", product="EC25-E")
        for i in range(4):
            self.tty(f"ttyUSB{first + i}", usb, i)

    def unplug(self) -> None:
        for entry in (self.sys / "class" / "tty").iterdir():
            if entry.name.startswith("ttyUSB"):
                (entry / "device").unlink()
                entry.rmdir()

    def resolver(self) -> Any:
        return partial(resolve_url, sysfs_root=self.sys, dev_root=self.dev)


@pytest.fixture
def sysfs(tmp_path: Path) -> FakeSysfs:
    return FakeSysfs(tmp_path)


@pytest.mark.parametrize(
    ("text", "identity"),
    [
        ("usb:2c7c:0125:if02", UsbIdentity(0x2C7C, 0x0125, 2)),
        ("usb:1E0E:9001", UsbIdentity(0x1E0E, 0x9001)),
        ("usb:2c7c:0125:if02@1-1.3", UsbIdentity(0x2C7C, 0x0125, 2, "1-1.3")),
    ],
)
def test_identity_urls_round_trip(text: str, identity: UsbIdentity) -> None:
    assert UsbIdentity.parse(text) == identity
    assert UsbIdentity.parse(str(identity)) == identity
    assert str(identity) == text.lower()


@pytest.mark.parametrize("text", ["usb:2c7c", "usb:2c7c:0125:2", "usb:xyz0:0125:if02"])
def test_bad_identity_says_the_form(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected usb:VENDOR:PRODUCT\[:ifNN\]"):
        UsbIdentity.parse(text)
    with pytest.raises(ValueError, match="usb:2c7c:0125:if02"):
        Modem(text)


def test_lists_usb_ttys_with_their_interfaces(sysfs: FakeSysfs) -> None:
    sysfs.ec25(first=0)
    acm = sysfs.usb_device("1-2", 0x1546, 0x01A8)
    sysfs.tty("ttyACM0", acm, 0, driver="cdc_acm")
    sysfs.platform_tty("ttyS0")
    ttys = list_usb_ttys(sysfs.sys, sysfs.dev)
    assert [(t.name, t.interface, t.usb_path, t.driver) for t in ttys] == [
        ("ttyACM0", 0, "1-2", "cdc_acm"),
        ("ttyUSB0", 0, "1-1", "option"),
        ("ttyUSB1", 1, "1-1", "option"),
        ("ttyUSB2", 2, "1-1", "option"),
        ("ttyUSB3", 3, "1-1", "option"),
    ]
    assert ttys[3] == UsbTty(
        name="ttyUSB2",
        device=str(sysfs.dev / "ttyUSB2"),
        vendor_id=0x2C7C,
        product_id=0x0125,
        interface=2,
        usb_path="1-1",
        driver="option",
        manufacturer="Quectel",
        product="EC25-E",
    )
    assert str(ttys[3].identity) == "usb:2c7c:0125:if02"


def test_resolves_the_interface_wherever_it_enumerated(sysfs: FakeSysfs) -> None:
    resolve = sysfs.resolver()
    assert resolve("/dev/ttyUSB2") == "/dev/ttyUSB2"  # not an identity: unchanged
    sysfs.ec25(first=0)
    assert resolve("usb:2c7c:0125:if02") == str(sysfs.dev / "ttyUSB2")
    sysfs.unplug()
    with pytest.raises(PortUnavailable) as info:
        resolve("usb:2c7c:0125:if02")
    assert "no tty has USB identity usb:2c7c:0125:if02 right now" in str(info.value)
    assert "USB ttys present: none" in str(info.value)
    sysfs.ec25(first=1)  # back, one number up, as after a reboot
    assert resolve("usb:2c7c:0125:if02") == str(sysfs.dev / "ttyUSB3")


def test_two_identical_modems_by_usb_path(sysfs: FakeSysfs) -> None:
    sysfs.ec25(first=0, usb_path="1-1.2")
    sysfs.ec25(first=4, usb_path="1-1.3")
    resolve = sysfs.resolver()
    assert resolve("usb:2c7c:0125:if02@1-1.3") == str(sysfs.dev / "ttyUSB6")
    assert resolve("usb:2c7c:0125:if02") == str(sysfs.dev / "ttyUSB2")  # first, warned


def test_modem_follows_the_identity_across_re_enumeration(sysfs: FakeSysfs) -> None:
    scenario = Scenario.from_dict({"steps": [{"at_s": 0, "rsrp_dbm": -95}]})
    sysfs.ec25(first=0)
    modem = Modem("usb:2c7c:0125:if02", resolve=sysfs.resolver(), command_timeout_s=1)
    try:
        with SimModem(scenario, link_path=sysfs.dev / "ttyUSB2"):
            assert modem.read_signal().rsrp_dbm == -95.0
            assert modem.port.device == str(sysfs.dev / "ttyUSB2")
        sysfs.unplug()
        with pytest.raises(PortUnavailable):
            modem.read_signal()  # the pty is gone
        with pytest.raises(PortUnavailable, match="no tty has USB identity"):
            modem.read_signal()
        sysfs.ec25(first=1)
        with SimModem(scenario, link_path=sysfs.dev / "ttyUSB3"):
            assert modem.read_signal().rsrp_dbm == -95.0
            assert modem.port.device == str(sysfs.dev / "ttyUSB3")
    finally:
        modem.close()


HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
if sys.argv[3] == "lock":
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
with open("/proc/self/comm", "w") as comm:
    comm.write(sys.argv[2])
print("ready", flush=True)
sys.stdin.read()
"""


def hold(path: str, name: str, lock: bool) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, path, name, "lock" if lock else "open"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n"
    return proc


def release(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.close()
    proc.wait(timeout=5)
    proc.stdout.close()


@pytest.fixture
def sim() -> Any:
    with SimModem(Scenario.from_dict({"steps": [{"at_s": 0}]})) as modem:
        yield modem


def test_port_holders_names_processes(sim: SimModem) -> None:
    proc = hold(sim.port_path, "minicom", lock=False)
    try:
        holders = port_holders(sim.port_path)
        assert (proc.pid, "minicom") in [(h.pid, h.name) for h in holders]
    finally:
        release(proc)
    assert proc.pid not in [h.pid for h in port_holders(sim.port_path)]


def test_locked_port_is_busy_and_names_the_holder(sim: SimModem) -> None:
    proc = hold(sim.port_path, "minicom", lock=True)
    try:
        with pytest.raises(PortBusy) as info:
            Modem(sim.port_path).open()
    finally:
        release(proc)
    message = str(info.value)
    assert f"held by minicom (pid {proc.pid})" in message
    assert 'ENV{ID_MM_PORT_IGNORE}="1"' in message


def test_port_open_in_modem_manager_is_busy_even_for_root(sim: SimModem) -> None:
    # ModemManager's TIOCEXCL does not stop root: the open succeeds, the driver must
    # notice the holder and refuse, or the two would steal each other's answers.
    proc = hold(sim.port_path, "ModemManager", lock=False)
    try:
        modem = Modem(sim.port_path)
        with pytest.raises(PortBusy) as info:
            modem.open()
        assert not modem.port.is_open
    finally:
        release(proc)
    message = str(info.value)
    assert f"ModemManager (pid {proc.pid}) has it open" in message
    assert "systemctl stop ModemManager" in message
    with Modem(sim.port_path) as modem:  # free again
        assert modem.read_signal().sim_state == "ready"
