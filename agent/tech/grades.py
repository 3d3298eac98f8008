"""Signal grades and bars for the technician (pure, no I/O).

Grades are ``excellent``, ``good``, ``fair`` and ``poor``; a value at a bound takes the
better grade. The thresholds are the ones field teams use (FIELD.md; Teltonika's and
the operators' drive-test charts), the same as ``pantau-agent modem read``:

========================  =========  ==========  ===========  ========
quantity (RAT)            excellent  good        fair         poor
========================  =========  ==========  ===========  ========
RSRP dBm (LTE, NR)        >= -80     -80..-90    -90..-100    < -100
RSRQ dB (LTE, NR)         >= -10     -10..-15    -15..-20     < -20
SINR dB (LTE, NR)         >= 20      13..20      0..13        < 0
RSCP dBm (3G)             >= -70     -70..-85    -85..-100    < -100
Ec/Io dB (3G)             >= -6      -6..-10     -10..-20     < -20
RSSI dBm (2G)             >= -70     -70..-85    -85..-100    < -100
========================  =========  ==========  ===========  ========

The overall grade of a reading is the worst grade of the serving RAT's quantities
(strength and quality both limit a link). Bars: excellent 4, good 3, fair 2, poor 1,
no service 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

GRADES: Final = ("excellent", "good", "fair", "poor")
BARS: Final[Mapping[str, int]] = {"excellent": 4, "good": 3, "fair": 2, "poor": 1}

Thresholds = tuple[float, float, float]  # lower bounds of excellent, good, fair

#: Field name of a SignalSample -> (excellent, good, fair) lower bounds.
THRESHOLDS: Final[Mapping[str, Thresholds]] = {
    "rsrp_dbm": (-80, -90, -100),
    "rsrq_db": (-10, -15, -20),
    "sinr_db": (20, 13, 0),
    "nr_rsrp_dbm": (-80, -90, -100),
    "nr_rsrq_db": (-10, -15, -20),
    "nr_sinr_db": (20, 13, 0),
    "rscp_dbm": (-70, -85, -100),
    "ecio_db": (-6, -10, -20),
    "rssi_dbm": (-70, -85, -100),
}

#: The quantities graded per RAT family, strength first.
_BY_FAMILY: Final[Mapping[str, tuple[str, ...]]] = {
    "lte": ("rsrp_dbm", "rsrq_db", "sinr_db"),
    "nr": ("nr_rsrp_dbm", "nr_rsrq_db", "nr_sinr_db", "rsrp_dbm", "rsrq_db", "sinr_db"),
    "3g": ("rscp_dbm", "ecio_db"),
    "2g": ("rssi_dbm",),
}
#: Which quantities say "strength" (weak -> move the antenna) vs "quality" (interference).
STRENGTH: Final = frozenset({"rsrp_dbm", "nr_rsrp_dbm", "rscp_dbm", "rssi_dbm"})

_FAMILY: Final[Mapping[str, str]] = {
    "lte": "lte",
    "ltem": "lte",
    "nbiot": "lte",
    "nr5g-sa": "nr",
    "nr5g-nsa": "nr",
    "umts": "3g",
    "hspa": "3g",
    "gsm": "2g",
    "edge": "2g",
}
#: RAT -> the generation a technician knows ("4G").
GENERATION: Final[Mapping[str, str]] = {
    "lte": "4G",
    "ltem": "4G",
    "nbiot": "4G",
    "nr5g-sa": "5G",
    "nr5g-nsa": "5G",
    "umts": "3G",
    "hspa": "3G",
    "gsm": "2G",
    "edge": "2G",
}


def grade(field: str, value: float | None) -> str | None:
    """The grade of one quantity (None when absent or not graded)."""
    bounds = THRESHOLDS.get(field)
    if value is None or bounds is None:
        return None
    for bound, name in zip(bounds, GRADES, strict=False):
        if value >= bound:
            return name
    return "poor"


def family(rat: str | None) -> str | None:
    """``lte``, ``nr``, ``3g`` or ``2g`` for a RAT; None for none/unknown."""
    return None if rat is None else _FAMILY.get(rat)


def graded_fields(rat: str | None) -> tuple[str, ...]:
    """The quantities graded for the serving RAT (LTE's when the RAT is unknown)."""
    fam = family(rat)
    return _BY_FAMILY[fam] if fam is not None else _BY_FAMILY["lte"]


def worst(grades: list[str]) -> str | None:
    """The worst of several grades (None for none)."""
    if not grades:
        return None
    return max(grades, key=GRADES.index)


def grade_reading(rat: str | None, values: Mapping[str, float | None]) -> dict[str, str]:
    """``{field: grade}`` for the serving RAT's quantities that have a value."""
    out: dict[str, str] = {}
    for name in graded_fields(rat):
        g = grade(name, values.get(name))
        if g is not None:
            out[name] = g
    return out


def overall(rat: str | None, values: Mapping[str, float | None]) -> str | None:
    """The worst grade of the serving RAT's quantities (None without any)."""
    return worst(list(grade_reading(rat, values).values()))


def bars(grade_name: str | None) -> int:
    """0..4 bars for a grade (0: none)."""
    return 0 if grade_name is None else BARS[grade_name]
