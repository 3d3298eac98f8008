"""``init`` on a kit with several modems: the ``[[modems]]`` to write for the modems a
scan found (pure: no port is opened here, :mod:`agent.setup.ports` did that).

Each modem is named after its SIM's operator (the network from its IMSI:
:func:`agent.modem.monitor.sim_network`): ``tsel``, ``isat``, ``xl``, ``smartfren``;
a SIM of another or of no known network is ``m1``, ``m2``, ... by its place in the
scan. Two SIMs of one operator are ``tsel`` and ``tsel-2``.

The port is the USB identity (``usb:VID:PID:ifNN``, which survives re-enumeration);
when two modems share one (two modems of the same model) each gets its USB port path
(``usb:2c7c:0125:if02@1-1.3``), and a modem sysfs does not know keeps the name it was
found by. The interface is the network interface on the same USB device when there is
exactly one (``wwan0``); otherwise none (the probes take the default route until it
is written in by hand).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from agent.config import ModemSection
from agent.modem.model import ModemIdentity
from agent.modem.monitor import sim_network
from agent.setup.ports import FoundPort
from pantau.core.operators import operator_label

#: Short names of the operators, as a kit's ``[[modems]]`` name them.
SHORT_NAMES: dict[str, str] = {
    "Telkomsel": "tsel",
    "Indosat Ooredoo Hutchison": "isat",
    "XL Axiata": "xl",
    "Smartfren": "smartfren",
}


def network_of(found: FoundPort) -> str:
    """The MCC-MNC of the modem's SIM (``"510-10"``), ``""`` when its IMSI does not say."""
    return sim_network(ModemIdentity("", found.path, imsi=found.imsi)) if found.imsi else ""


def plan(found: Sequence[FoundPort], dialect: str = "auto") -> tuple[ModemSection, ...]:
    """The ``[[modems]]`` for the modems in ``found`` (other ports are left out), in
    the scan's order; see the module docstring."""
    modems = [f for f in found if f.is_modem]
    shared = Counter(f.usb for f in modems if f.usb)
    names: list[str] = []
    out: list[ModemSection] = []
    for index, f in enumerate(modems, start=1):
        short = SHORT_NAMES.get(operator_label(network_of(f) or None) or "", f"m{index}")
        name, n = short, 1
        while name in names:
            n += 1
            name = f"{short}-{n}"
        names.append(name)
        port = f.config_port
        if f.usb and shared[f.usb] > 1 and f.usb_path:
            port = f"{f.usb}@{f.usb_path}"
        interface = f.interfaces[0] if len(f.interfaces) == 1 else ""
        out.append(ModemSection(port=port, dialect=dialect, name=name, interface=interface))  # type: ignore[arg-type]
    return tuple(out)
