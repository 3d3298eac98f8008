"""KPU-style coverage classes: does an operator work at a TPS (strong / medium / weak /
none), from the median LTE/NR RSRP and SINR of its readings.

One definition for the kit (``pantau-agent check`` comparing a kit's modems) and the
collector (the site page, the per-operator coverage export); docs/operations.md
("Multi-modem kits") gives the table:

* ``strong``: RSRP >= -95 dBm and SINR >= 10 dB (SINR not reported: RSRP alone);
* ``medium``: RSRP >= -105 dBm and SINR >= 0 dB;
* ``weak``: registered, below that;
* ``none``: registered in under half of the readings, or no RSRP (no service);
* ``unknown``: no readings.
"""

from __future__ import annotations

from typing import Final, Literal

CoverageClass = Literal["strong", "medium", "weak", "none", "unknown"]
#: (minimum RSRP dBm, minimum SINR dB) of the ``strong`` and ``medium`` classes.
STRONG: Final = (-95.0, 10.0)
MEDIUM: Final = (-105.0, 0.0)
#: Best first.
RANK: Final[tuple[CoverageClass, ...]] = ("strong", "medium", "weak", "none", "unknown")


def coverage_class(
    rsrp_dbm: float | None, sinr_db: float | None, readings: int, registered: int
) -> CoverageClass:
    """The class of an operator from the median RSRP and SINR of its ``readings``
    (``registered``: how many of them were registered); see the module."""
    if readings == 0:
        return "unknown"
    if rsrp_dbm is None or registered * 2 < readings:
        return "none"
    if rsrp_dbm >= STRONG[0] and (sinr_db is None or sinr_db >= STRONG[1]):
        return "strong"
    if rsrp_dbm >= MEDIUM[0] and (sinr_db is None or sinr_db >= MEDIUM[1]):
        return "medium"
    return "weak"
