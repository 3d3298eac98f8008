"""Finding the modem: which serial ports exist, and which one answers AT.

Candidates, in order: ports given explicitly (``--modem PORT``, ``--scan PATH``: a
path, a glob or a directory of links), then ``/dev/serial/by-id/*`` (stable names),
``/dev/ttyUSB*``, ``/dev/ttyACM*`` and ``/dev/wwan*at*``. Paths that lead to the same
device are probed once, under the first (most stable) name. Each is probed with a
short ``AT`` and ``AT+CGMM`` (:func:`agent.modem.tools.probe_port`: a port held by
ModemManager is reported, not fought over); a port that answers with a model is
opened once more to read the identity (maker, model, IMEI).

The port written to the config is the USB identity (``usb:VID:PID:ifNN``, which
survives re-enumeration) when sysfs knows the device, else the name it was found by.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SCAN: tuple[str, ...] = (
    "/dev/serial/by-id",
    "/dev/ttyUSB*",
    "/dev/ttyACM*",
    "/dev/wwan*at*",
)


@dataclass(slots=True)
class FoundPort:
    """One candidate port and what probing it showed."""

    path: str  # the name it was found by (a by-id link, /dev/ttyUSB2, a pty)
    device: str  # what it resolves to
    usb: str | None = None  # usb:VID:PID:ifNN, when sysfs knows the device
    answers_at: bool = False
    manufacturer: str | None = None
    model: str | None = None
    imei: str | None = None
    imsi: str | None = None  # its SIM's, which names the operator
    usb_path: str | None = None  # the USB port path (1-1.3), when sysfs knows the device
    interfaces: tuple[str, ...] = ()  # the network interfaces on the same USB device
    held_by: str | None = None
    error: str | None = None

    @property
    def is_modem(self) -> bool:
        return self.answers_at and self.model is not None

    @property
    def config_port(self) -> str:
        """What to write as ``[modem] port``."""
        return self.usb or self.path


def expand(patterns: Iterable[str]) -> list[str]:
    """Paths from paths, globs and directories (a directory gives its entries)."""
    out: list[str] = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            matched = sorted(glob.glob(pattern))  # noqa: PTH207 - absolute patterns
        elif Path(pattern).is_dir():
            matched = sorted(str(p) for p in Path(pattern).iterdir())
        elif "://" in pattern or Path(pattern).exists() or os.path.lexists(pattern):
            matched = [pattern]
        else:
            matched = []
        out += [p for p in matched if p not in out]
    return out


def candidates(extra: Sequence[str] = (), *, default: Sequence[str] = DEFAULT_SCAN) -> list[str]:
    """Candidate ports, most stable name first, one per device."""
    seen: set[str] = set()
    out: list[str] = []
    for path in expand([*extra, *default]):
        key = path if "://" in path else os.path.realpath(path)
        if key in seen:
            continue
        seen.add(key)
        out.append(path)
    return out


def probe(path: str, *, timeout_s: float = 0.5, sysfs_root: Path = Path("/sys")) -> FoundPort:
    """Probe one port (see the module docstring). Never raises for a bad port."""
    from agent.modem import usb
    from agent.modem.errors import ModemError
    from agent.modem.reader import Modem
    from agent.modem.tools import probe_port

    device = path if "://" in path else os.path.realpath(path)
    found = FoundPort(path=path, device=device)
    if not usb.is_usb_url(path):
        for tty in usb.list_usb_ttys(sysfs_root):
            if tty.device == device:
                found.usb, found.usb_path = str(tty.identity), tty.usb_path
                found.interfaces = tuple(usb.net_interfaces(tty.usb_path, sysfs_root))
                break
    try:
        if usb.is_usb_url(path):
            device = found.device = usb.resolve_url(path, sysfs_root=sysfs_root)
        result = probe_port(path if "://" in path else device, timeout_s)
    except (ModemError, OSError, ValueError) as exc:
        found.error = str(exc)
        return found
    found.answers_at, found.model = result.answers_at, result.model
    found.held_by, found.error = result.held_by, result.error
    if found.is_modem:
        try:
            with Modem(path, command_timeout_s=max(1.0, timeout_s)) as modem:
                identity = modem.identity
        except (ModemError, OSError, ValueError) as exc:
            found.error = str(exc)
        else:
            if identity is not None:
                found.manufacturer = identity.manufacturer
                found.model = identity.model or found.model
                found.imei = identity.imei
                found.imsi = identity.imsi
    return found


def scan(
    extra: Sequence[str] = (),
    *,
    default: Sequence[str] = DEFAULT_SCAN,
    timeout_s: float = 0.5,
    sysfs_root: Path = Path("/sys"),
) -> list[FoundPort]:
    """Probe every candidate; modems first, in the candidates' order.

    A modem answers AT on more than one port (a Quectel EC25 on interfaces 2 and 3):
    ports with the IMEI of a port listed before them are left out, so each modem is
    listed once, under its first (most stable) name.
    """
    found = [
        probe(p, timeout_s=timeout_s, sysfs_root=sysfs_root)
        for p in candidates(extra, default=default)
    ]
    imeis: set[str] = set()
    unique = []
    for f in found:
        if f.is_modem and f.imei:
            if f.imei in imeis:
                continue
            imeis.add(f.imei)
        unique.append(f)
    return sorted(unique, key=lambda f: not f.is_modem)
