"""Valid ranges of what the modem parsers produce, and the check that makes an impossible
value absent.

A modem's firmware can print nonsense: a level in the wrong unit (tenths where whole dB
were expected), a lost sign, an overflowed counter, a cell id of 2^63. None of that may
become a stored number. Every parser that builds values from the modem's free-form
numbers passes its result through :func:`drop_invalid` (the reader and
:mod:`agent.modem.interpret` do it once more on what they assemble): a value outside its
field's range, or not finite, becomes absent (``None``) and one WARNING line on the
``agent.modem.ranges`` logger says which field, what value, the valid range and where
it came from. Absent, never clamped: a clamped value would look like a real reading.

The table (:data:`RANGES`) is per field and per RAT family (:data:`RAT_FAMILY`); the
fields of the NR leg of a 5G NSA reading (``nr_*``) always use the NR ranges, the other
fields of that reading the LTE anchor's. A value whose RAT is unknown is checked against
the widest range its field has. Bounds are inclusive and a little generous where modems
report the edge of a 3GPP range as one step beyond it (+CESQ / ^HCSQ code 0 prints RSRP
-141 for "below -140").

Sources: 3GPP TS 36.133 9.1 (LTE RSRP -140..-44 dBm, RSRQ -34..2.5 dB extended;
NB-IoT / LTE-M coverage enhancement down to -156 dBm), TS 38.133 10.1 (NR SS-RSRP
-156..-31 dBm, SS-RSRQ -43..20 dB, SS-SINR -23..40 dB), TS 27.007 (+CSQ 0..31, +CESQ
code ranges), TS 36.101 / 38.101 (EARFCN 0..262143, NR-ARFCN 0..3279165), TS 45.005
(ARFCN 0..1023), TS 25.101 (UARFCN 0..16383), TS 36.211 / 38.211 (PCI 0..503 / 0..1007),
TS 23.003 (LAC 16 bits, TAC 24 bits, ECI 28 bits, NCI 36 bits), TS 36.101 5.6 / 38.101-1
5.3 (channel bandwidths: LTE 1.4..20 MHz, NR 5..400 MHz). Neighbour cells and component
carriers (:class:`~agent.modem.model.NeighbourCell`, ``CarrierComponent``) are checked
with the same table against their own RAT ("gsm", "umts", "lte", "nr").

Pure apart from the log line: no I/O, no clock.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "RANGES",
    "RAT_FAMILY",
    "Invalid",
    "Range",
    "drop_invalid",
    "drop_invalid_values",
    "family_of",
    "invalid_values",
    "valid_range",
]

log = logging.getLogger(__name__)

T = TypeVar("T", bound="DataclassInstance")


@dataclass(frozen=True, slots=True)
class Range:
    """Inclusive bounds of a field's possible values, in ``unit``."""

    lo: float
    hi: float
    unit: str = ""

    def __contains__(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return math.isfinite(value) and self.lo <= value <= self.hi

    def __str__(self) -> str:
        return f"{self.lo:g}..{self.hi:g}{' ' + self.unit if self.unit else ''}"


#: rat (agent.modem.model.RATS) -> the family whose ranges apply. An NSA reading's own
#: fields are the LTE anchor's; its ``nr_*`` fields are checked as "nr".
RAT_FAMILY: dict[str, str] = {
    "gsm": "gsm",
    "edge": "gsm",
    "umts": "umts",
    "hspa": "umts",
    "lte": "lte",
    "nr5g-nsa": "lte",
    "ltem": "lpwa",
    "nbiot": "lpwa",
    "nr5g-sa": "nr",
    "nr": "nr",  # a neighbour cell's or a component carrier's own RAT (model.CELL_RATS)
}
_ALL = ("gsm", "umts", "lte", "lpwa", "nr")
_EUTRA = ("lte", "lpwa")


def _same(families: tuple[str, ...], bounds: Range) -> dict[str, Range]:
    return dict.fromkeys(families, bounds)


#: field -> RAT family -> valid range. A family missing for a field means the field
#: does not exist on that RAT: any value is checked against the field's widest range.
RANGES: dict[str, dict[str, Range]] = {
    # Levels.
    "rsrp_dbm": {
        "lte": Range(-141, -44, "dBm"),
        "lpwa": Range(-157, -44, "dBm"),
        "nr": Range(-157, -31, "dBm"),
    },
    "rsrq_db": {**_same(_EUTRA, Range(-34.5, 3, "dB")), "nr": Range(-43.5, 20, "dB")},
    "sinr_db": {**_same(_EUTRA, Range(-25, 50, "dB")), "nr": Range(-25, 50, "dB")},
    "rssi_dbm": _same(_ALL, Range(-125, -10, "dBm")),
    "rscp_dbm": {"umts": Range(-125, -20, "dBm")},
    "ecio_db": {"umts": Range(-33, 0, "dB")},
    "csq": _same(_ALL, Range(0, 31)),
    "ber_percent": _same(_ALL, Range(0, 100, "%")),
    "nr_rsrp_dbm": {"nr": Range(-157, -31, "dBm")},
    "nr_rsrq_db": {"nr": Range(-43.5, 20, "dB")},
    "nr_sinr_db": {"nr": Range(-25, 50, "dB")},
    # Identities and channels.
    "lac": _same(("gsm", "umts"), Range(0, 0xFFFF)),
    "tac": _same((*_EUTRA, "nr"), Range(0, 0xFFFFFF)),
    "cell_id": {
        **_same(("gsm", "umts", *_EUTRA), Range(0, 0xFFFFFFF)),
        "nr": Range(0, 2**36 - 1),
    },
    "pci": {**_same(_EUTRA, Range(0, 503)), "nr": Range(0, 1007)},
    "psc": {"umts": Range(0, 511)},
    "earfcn": _same(_EUTRA, Range(0, 262143)),
    "uarfcn": {"umts": Range(0, 16383)},
    "arfcn": {"gsm": Range(0, 1023), "nr": Range(0, 3279165)},
    "band": _same(_ALL, Range(1, 1024)),
    "nr_pci": {"nr": Range(0, 1007)},
    "nr_arfcn": {"nr": Range(0, 3279165)},
    "nr_band": {"nr": Range(1, 1024)},
    # Component carriers (TS 36.101 5.6 / TS 38.101-1 5.3: channel bandwidths).
    "bandwidth_mhz": {"lte": Range(1.4, 20, "MHz"), "nr": Range(5, 400, "MHz")},
    # Position (WGS84).
    "lat_deg": _same(_ALL, Range(-90, 90, "deg")),
    "lon_deg": _same(_ALL, Range(-180, 180, "deg")),
}


def family_of(rat: object) -> str | None:
    """The range family of a rat ("lte", "nr", ...), None when unknown or "none"."""
    return RAT_FAMILY.get(rat) if isinstance(rat, str) else None


def valid_range(name: str, rat: str | None) -> Range | None:
    """The valid range of field ``name`` on ``rat``; the widest when the rat is unknown
    or the field does not exist on it; None for a field without a range."""
    per_family = RANGES.get(name)
    if per_family is None:
        return None
    family = "nr" if name.startswith("nr_") else family_of(rat)
    if family is not None and family in per_family:
        return per_family[family]
    options = per_family.values()
    unit = next(iter(options)).unit
    return Range(min(r.lo for r in options), max(r.hi for r in options), unit)


@dataclass(frozen=True, slots=True)
class Invalid:
    """A value outside its field's range (or not finite)."""

    name: str
    value: object
    valid: Range
    rat: str | None

    @property
    def reason(self) -> str:
        on = f" on {self.rat}" if self.rat else ""
        return f"{self.name}={self.value!r} is impossible{on} (valid {self.valid}): left absent"


def invalid_values(values: Mapping[str, object], rat: str | None) -> tuple[Invalid, ...]:
    """Every value of ``values`` outside its range (pure). ``None`` is absent, not
    invalid; a field without a range (text, enums) is never invalid here."""
    found: list[Invalid] = []
    for name, value in values.items():
        if value is None:
            continue
        bounds = valid_range(name, rat)
        if bounds is not None and value not in bounds:
            found.append(Invalid(name, value, bounds, rat))
    return tuple(found)


def _log(source: str, invalid: tuple[Invalid, ...]) -> None:
    for item in invalid:
        log.warning("%s: %s", source, item.reason)


def drop_invalid_values(values: dict[str, object], *, source: str) -> dict[str, object]:
    """``values`` without its impossible values (each logged); the rat is
    ``values["rat"]``."""
    rat = values.get("rat")
    invalid = invalid_values(values, rat if isinstance(rat, str) else None)
    if not invalid:
        return values
    _log(source, invalid)
    dropped = {item.name for item in invalid}
    return {k: v for k, v in values.items() if k not in dropped}


def drop_invalid(result: T, *, source: str) -> T:
    """A parser's result (a dataclass) with each impossible value set to None (each
    logged); the rat is the result's own ``rat`` field when it has one."""
    current = {f.name: getattr(result, f.name) for f in fields(result)}
    rat = current.get("rat")
    invalid = invalid_values(current, rat if isinstance(rat, str) else None)
    if not invalid:
        return result
    _log(source, invalid)
    return replace(result, **{item.name: None for item in invalid})
