"""Mobile operators by MCC-MNC: Indonesia (MCC 510) built in, anything else from config.

Sources: FIELD.md "Operators"; ITU-T E.212 list of MNCs / "Mobile Network Codes in ITU
region 5xx (Oceania)" for the codes of closed networks. Merged networks keep their old
codes on the air for a while, so an old code maps to the operator that now runs it;
codes of networks that closed without a successor keep their own name. XL Axiata and
Smartfren have merged as XLSmart; the on-air names are still XL and Smartfren and are
kept until the codes change (override them from config if you prefer).

``operator_name(mcc, mnc)`` reads the built-in table; ``operator_name(mcc, mnc, extra)``
looks in ``extra`` first (keys "51010", "510-10", "510 10" or "510-010"), so a kit can
name a roaming partner near a border (Malaysia 502, Timor-Leste 514, Papua New Guinea
537) or rename an operator without a code change. :func:`operator_overrides` validates
such a mapping from a config file once, with an error naming the bad key.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

__all__ = [
    "INDONESIA_MCC",
    "OPERATORS_510",
    "mcc_mnc",
    "operator_label",
    "operator_name",
    "operator_overrides",
]

INDONESIA_MCC = "510"

#: MNC (as broadcast, two digits) -> operator name. Every code assigned in MCC 510.
OPERATORS_510: dict[str, str] = {
    "00": "PSN",  # Pasifik Satelit Nusantara, satellite
    "01": "Indosat Ooredoo Hutchison",
    "03": "Indosat Ooredoo Hutchison",  # StarOne (Indosat CDMA), closed
    "07": "Telkomsel",  # TelkomFlexi (Telkom CDMA), users moved to Telkomsel
    "08": "XL Axiata",  # AXIS, merged into XL
    "09": "Smartfren",
    "10": "Telkomsel",
    "11": "XL Axiata",
    "20": "Telkomsel",  # TelkomMobile, merged
    "21": "Indosat Ooredoo Hutchison",  # IM3, merged
    "27": "Net1 Indonesia",  # Sampoerna Telekomunikasi, LTE 450
    "28": "Smartfren",  # Fren, merged
    "78": "Hinet",  # Berca Hardayaperkasa, closed
    "88": "BOLT",  # Internux, closed 2018
    "89": "Indosat Ooredoo Hutchison",  # "3", merged
    "99": "Smartfren",  # Esia, merged
}

_KEY = re.compile(r"^\s*(\d{3})[\s\-]?(\d{2,3})\s*$")


def _normalise(mcc: str, mnc: str) -> str:
    """("510", "010") -> "51010": a three-digit MNC with a leading zero is its
    two-digit form (modems print both)."""
    mnc = mnc.strip()
    if len(mnc) == 3 and mnc.startswith("0"):
        mnc = mnc[1:]
    return mcc.strip() + mnc


def operator_overrides(mapping: Mapping[str, str]) -> dict[str, str]:
    """Validate ``{"MCC-MNC": name}`` from config into the form :func:`operator_name`
    reads. Raises ValueError naming the first bad key or empty name."""
    out: dict[str, str] = {}
    for key, name in mapping.items():
        m = _KEY.match(str(key))
        if m is None:
            raise ValueError(
                f"operator override {key!r}: expected MCC-MNC like '510-10' or '51010' "
                "(3-digit MCC, 2- or 3-digit MNC)"
            )
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"operator override {key!r}: the name must be a non-empty string")
        out[_normalise(m.group(1), m.group(2))] = name.strip()
    return out


def operator_name(
    mcc: str | None, mnc: str | None, extra: Mapping[str, str] | None = None
) -> str | None:
    """Return the operator's name for an MCC-MNC pair, or None when unknown.

    ``extra`` (keys in any form :func:`operator_overrides` accepts) is consulted first
    and may name networks of any country. A three-digit MNC with a leading zero
    ("010") is matched as its two-digit form.
    """
    if mcc is None or mnc is None:
        return None
    key = _normalise(mcc, mnc)
    if extra:
        found = operator_overrides(extra).get(key)
        if found is not None:
            return found
    if mcc.strip() != INDONESIA_MCC:
        return None
    return OPERATORS_510.get(key[3:])


def mcc_mnc(mcc: str | None, mnc: str | None) -> str | None:
    """A network as people and the collector write it: ``("510", "010")`` -> ``"510-10"``
    (None when either part is missing)."""
    if not mcc or not mnc:
        return None
    key = _normalise(mcc, mnc)
    return f"{key[:3]}-{key[3:]}"


@functools.lru_cache(maxsize=4096)  # bounded: a kit may send any text; the ingest asks often
def network_of(mcc: str | None, mnc: str | None) -> str | None:
    """:func:`mcc_mnc`, but only for a real network: three digits and two or three
    (None for a modem's garbage, which must not become a network a site is on)."""
    code = mcc_mnc(mcc, mnc)
    return code if code is not None and is_network(code) else None


def is_network(code: str) -> bool:
    """``"510-10"``: a network, as :func:`mcc_mnc` writes one (not a queue's name)."""
    return _NETWORK.fullmatch(code) is not None


_NETWORK = re.compile(r"[0-9]{3}-[0-9]{2,3}")


def operator_label(code: str | None) -> str | None:
    """``"510-10"`` -> ``"Telkomsel"`` (None for None or a code of no known network)."""
    if code is None:
        return None
    mcc, _, mnc = code.partition("-")
    return operator_name(mcc, mnc)
