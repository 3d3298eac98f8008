"""A kit's backhaul: the link its data travels over to the collector.

A kit says it in its config (``[kit] backhaul``) and in every Hello (``Hello.backhaul``,
the ``Backhaul`` enum of pantau.v1: ``BACKHAUL_VSAT_GEO`` is ``"vsat-geo"`` here). The
collector judges a site's latency and loss against its backhaul's baseline and routes
its network problems to the link's queue (docs/operations.md, "Satellite kits").

Part of the shared domain (:mod:`pantau.core`): standard library only.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BACKHAULS",
    "CELLULAR",
    "SATELLITE_BACKHAULS",
    "check_backhaul",
    "enum_name",
    "from_enum_name",
]

CELLULAR: Final = "cellular"

#: Every backhaul a kit may declare, with what it means (English, Indonesian).
BACKHAULS: Final[dict[str, tuple[str, str]]] = {
    CELLULAR: ("the kit's own mobile data, the default", "data seluler kit sendiri, bawaan"),
    "vsat-geo": (
        "a geostationary VSAT link such as BAKTI, RTT 500-700 ms",
        "VSAT satelit geostasioner seperti BAKTI, RTT 500-700 ms",
    ),
    "vsat-leo": ("a low-earth-orbit satellite terminal", "terminal satelit orbit rendah"),
    "wired": ("a fixed line: fibre, DSL, the site's LAN", "sambungan kabel: serat optik, DSL, LAN"),
}

#: The backhauls over a satellite: their network problems go to the satellite queue.
SATELLITE_BACKHAULS: Final = frozenset({"vsat-geo", "vsat-leo"})

_ENUM_PREFIX = "BACKHAUL_"


def check_backhaul(value: str) -> str:
    """``value`` if it names a backhaul; else ValueError saying so in English, then in
    Indonesian (a config error the technician reads either way), listing them."""
    if value in BACKHAULS:
        return value
    english = "; ".join(f"{name!r} ({en})" for name, (en, _) in BACKHAULS.items())
    indonesian = "; ".join(f"{name!r} ({id_})" for name, (_, id_) in BACKHAULS.items())
    raise ValueError(
        f"backhaul: expected one of {english}, got {value!r} / "
        f"jenis sambungan {value!r} tidak dikenal, pilih salah satu: {indonesian}"
    )


def enum_name(backhaul: str) -> str:
    """``"vsat-geo"`` -> ``"BACKHAUL_VSAT_GEO"`` (the pantau.v1 enum value's name)."""
    return _ENUM_PREFIX + check_backhaul(backhaul).upper().replace("-", "_")


def from_enum_name(name: str) -> str:
    """``"BACKHAUL_VSAT_GEO"`` -> ``"vsat-geo"``; unspecified, or a value from a later
    pantau.v1 this side does not know, is cellular (judged as before the field)."""
    backhaul = name.removeprefix(_ENUM_PREFIX).lower().replace("_", "-")
    return backhaul if backhaul in BACKHAULS else CELLULAR
