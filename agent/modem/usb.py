"""Find a modem's AT port by USB identity, and who holds a port. Reads sysfs and procfs only.

The AT port is a USB *interface* of the modem, not a fixed ``/dev/ttyUSBn``: when the
modem reboots it re-enumerates and ttyUSB2 may come back as ttyUSB3. Configure the port
by identity instead::

    usb:2c7c:0125:if02              Quectel EC25, interface 2 (its AT port)
    usb:2c7c:0125:if02@1-1.3        the same, on USB port path 1-1.3 (two identical modems)

:func:`resolve_url` turns such a URL into the current device path (``/dev/ttyUSB2``);
any other URL is returned unchanged. The driver calls it on every (re)open.

sysfs layout read (``/sys/class/tty/<name>/device`` resolves into the USB tree)::

    /sys/devices/.../usb1/1-1/                  idVendor, idProduct, manufacturer, product,
    |                                           serial (the USB device; its name is the
    |                                           port path, e.g. 1-1 or 1-1.3)
    +-- 1-1:1.2/                                bInterfaceNumber (hex), driver -> option
        +-- ttyUSB2/                            <- class/tty/ttyUSB2/device (usb-serial)
    +-- 1-1:1.0/                                <- class/tty/ttyACM0/device (cdc_acm)

Who holds a port: :func:`port_holders` scans ``/proc/<pid>/fd`` for descriptors open on
the device (as root it sees every process; as a user only its own). ModemManager opens
modem ports with TIOCEXCL, which refuses other opens with EBUSY, except to root: root
opens succeed and the two programs then steal each other's answers, so the driver checks
for a ModemManager holder after opening (:func:`modem_manager_holder`).

Everything takes ``sysfs_root`` / ``dev_root`` / ``proc_root`` so tests build a fake tree.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from agent.modem.errors import PortUnavailable

log = logging.getLogger(__name__)

USB_URL_PREFIX = "usb:"
#: Process names (``/proc/<pid>/comm``) that manage modems and grab their ports.
MODEM_MANAGER_NAMES: tuple[str, ...] = ("ModemManager",)
#: sysfs classes whose members can be AT ports.
TTY_CLASSES: tuple[str, ...] = ("tty", "wwan")

_URL_RE = re.compile(
    r"^usb:(?P<vid>[0-9a-fA-F]{4}):(?P<pid>[0-9a-fA-F]{4})"
    r"(?::if(?P<iface>[0-9a-fA-F]{1,2}))?(?:@(?P<path>[0-9][0-9.\-]*))?$"
)


@dataclass(frozen=True, slots=True)
class UsbIdentity:
    """A USB modem port by identity: vendor, product, interface (None: any) and
    optionally the USB port path (``1-1.3``) to tell identical modems apart."""

    vendor_id: int
    product_id: int
    interface: int | None = None
    usb_path: str | None = None

    @classmethod
    def parse(cls, url: str) -> UsbIdentity:
        """Parse ``usb:VVVV:PPPP[:ifNN][@PATH]`` (hex ids). Raises ValueError."""
        m = _URL_RE.match(url.strip())
        if m is None:
            raise ValueError(
                f"modem port {url!r}: expected usb:VENDOR:PRODUCT[:ifNN][@USBPATH] with hex "
                "ids, e.g. usb:2c7c:0125:if02 (Quectel EC25's AT port is interface 2; "
                "`pantau-agent modem detect` lists what is plugged in)"
            )
        iface = m.group("iface")
        return cls(
            vendor_id=int(m.group("vid"), 16),
            product_id=int(m.group("pid"), 16),
            interface=None if iface is None else int(iface, 16),
            usb_path=m.group("path"),
        )

    def __str__(self) -> str:
        text = f"usb:{self.vendor_id:04x}:{self.product_id:04x}"
        if self.interface is not None:
            text += f":if{self.interface:02x}"
        if self.usb_path is not None:
            text += f"@{self.usb_path}"
        return text

    def matches(self, tty: UsbTty) -> bool:
        return (
            tty.vendor_id == self.vendor_id
            and tty.product_id == self.product_id
            and (self.interface is None or tty.interface == self.interface)
            and (self.usb_path is None or tty.usb_path == self.usb_path)
        )


@dataclass(frozen=True, slots=True)
class UsbTty:
    """A tty device that belongs to a USB interface."""

    name: str  # ttyUSB2
    device: str  # /dev/ttyUSB2
    vendor_id: int
    product_id: int
    interface: int
    usb_path: str  # the USB device's sysfs name: 1-1, 1-1.3
    driver: str | None = None  # the interface's driver: option, cdc_acm, qcserial
    manufacturer: str | None = None
    product: str | None = None
    serial: str | None = None

    @property
    def identity(self) -> UsbIdentity:
        return UsbIdentity(self.vendor_id, self.product_id, self.interface)


def is_usb_url(url: str) -> bool:
    return url.strip().lower().startswith(USB_URL_PREFIX)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip() or None
    except OSError:
        return None


def _hex(path: Path) -> int | None:
    text = _read(path)
    try:
        return None if text is None else int(text, 16)
    except ValueError:
        return None


def _usb_tty(name: str, device_dir: Path, sysfs_root: Path, dev_root: Path) -> UsbTty | None:
    """Walk up from a tty's device directory to its USB interface and device."""
    top = sysfs_root.resolve()
    node = device_dir
    while node != top and top in node.parents:
        interface = _hex(node / "bInterfaceNumber")
        if interface is not None:
            usb = node.parent
            vendor, product = _hex(usb / "idVendor"), _hex(usb / "idProduct")
            if vendor is None or product is None:
                return None
            driver = node / "driver"
            return UsbTty(
                name=name,
                device=str(dev_root / name),
                vendor_id=vendor,
                product_id=product,
                interface=interface,
                usb_path=usb.name,
                driver=driver.resolve().name if driver.is_symlink() else None,
                manufacturer=_read(usb / "manufacturer"),
                product=_read(usb / "product"),
                serial=_read(usb / "serial"),
            )
        node = node.parent
    return None


def list_usb_ttys(sysfs_root: Path = Path("/sys"), dev_root: Path = Path("/dev")) -> list[UsbTty]:
    """Every tty (and wwan port) that sits on a USB interface, sorted by USB identity."""
    found: list[UsbTty] = []
    for cls in TTY_CLASSES:
        class_dir = sysfs_root / "class" / cls
        try:
            names = sorted(entry.name for entry in class_dir.iterdir())
        except OSError:
            continue
        for name in names:
            link = class_dir / name / "device"
            if not link.exists():
                continue  # virtual consoles and ptys have no device
            tty = _usb_tty(name, link.resolve(), sysfs_root, dev_root)
            if tty is not None:
                found.append(tty)
    found.sort(key=lambda t: (t.vendor_id, t.product_id, t.usb_path, t.interface, t.name))
    return found


def net_interfaces(usb_path: str, sysfs_root: Path = Path("/sys")) -> list[str]:
    """The network interfaces (``wwan0``) on the USB device at port path ``usb_path``
    (``1-1.3``): ``bus/usb/devices/<path>/<path>:*/net/*``, sorted; none when sysfs
    does not show one (a modem in a mode without a data interface)."""
    device = sysfs_root / "bus" / "usb" / "devices" / usb_path
    try:
        functions = sorted(device.glob(f"{usb_path}:*"))
    except OSError:
        return []
    names: list[str] = []
    for function in functions:
        try:
            names += sorted(entry.name for entry in (function / "net").iterdir())
        except OSError:
            continue
    return names


def find_ttys(
    identity: UsbIdentity, sysfs_root: Path = Path("/sys"), dev_root: Path = Path("/dev")
) -> list[UsbTty]:
    return [t for t in list_usb_ttys(sysfs_root, dev_root) if identity.matches(t)]


def resolve_url(url: str, *, sysfs_root: Path = Path("/sys"), dev_root: Path = Path("/dev")) -> str:
    """The device path a ``usb:`` URL names right now; other URLs unchanged.

    Raises PortUnavailable (naming the identity and what is plugged in) when no tty
    matches, ValueError for a malformed ``usb:`` URL.
    """
    if not is_usb_url(url):
        return url
    identity = UsbIdentity.parse(url)
    matches = find_ttys(identity, sysfs_root, dev_root)
    if not matches:
        present = list_usb_ttys(sysfs_root, dev_root)
        seen = ", ".join(f"{t.identity}@{t.usb_path} ({t.name})" for t in present) or "none"
        raise PortUnavailable(
            url,
            f"no tty has USB identity {identity} right now (USB ttys present: {seen}); "
            "the modem may be rebooting or unplugged",
        )
    if len(matches) > 1:
        log.warning(
            "%s matches %s; using %s (add @USBPATH to choose)",
            identity,
            ", ".join(f"{t.name}@{t.usb_path}" for t in matches),
            matches[0].name,
        )
    return matches[0].device


@dataclass(frozen=True, slots=True)
class Holder:
    """A process with a descriptor open on a port."""

    pid: int
    name: str

    def __str__(self) -> str:
        return f"{self.name} (pid {self.pid})"


def port_holders(
    device: str, *, proc_root: Path = Path("/proc"), exclude_pid: int | None = None
) -> list[Holder]:
    """Processes with ``device`` open (those this user may inspect), by pid."""
    try:
        target = os.path.realpath(device)
    except OSError:
        return []
    holders: list[Holder] = []
    try:
        pids = [int(p.name) for p in proc_root.iterdir() if p.name.isdigit()]
    except OSError:
        return []
    for pid in sorted(pids):
        if pid == exclude_pid:
            continue
        fd_dir = proc_root / str(pid) / "fd"
        try:
            fds = list(fd_dir.iterdir())
        except OSError:
            continue  # gone, or not ours to see
        for fd in fds:
            try:
                link = str(fd.readlink())
            except OSError:
                continue
            if link == target:
                holders.append(Holder(pid, _read(proc_root / str(pid) / "comm") or "?"))
                break
    return holders


def modem_manager_holder(device: str, *, proc_root: Path = Path("/proc")) -> Holder | None:
    """The ModemManager process holding ``device``, if any (visible to this user)."""
    for holder in port_holders(device, proc_root=proc_root, exclude_pid=os.getpid()):
        if holder.name in MODEM_MANAGER_NAMES:
            return holder
    return None
