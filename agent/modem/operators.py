"""Indonesian mobile operators by MCC-MNC (MCC 510), from FIELD.md "Operators".

Merged networks keep their old codes on the air for a while, so the old codes map to
the operator that now runs them.
"""

from __future__ import annotations

INDONESIA_MCC = "510"

#: MNC (as broadcast, two digits) -> operator name.
OPERATORS_510: dict[str, str] = {
    "00": "PSN",  # satellite
    "01": "Indosat Ooredoo Hutchison",
    "08": "XL Axiata",  # AXIS, merged into XL
    "09": "Smartfren",
    "10": "Telkomsel",
    "11": "XL Axiata",
    "20": "Telkomsel",  # TelkomMobile, merged
    "21": "Indosat Ooredoo Hutchison",
    "28": "Smartfren",  # Fren, merged
    "89": "Indosat Ooredoo Hutchison",  # "3", merged
    "99": "Smartfren",  # Esia, merged
}


def operator_name(mcc: str | None, mnc: str | None) -> str | None:
    """Return the operator's name for an MCC-MNC pair, or None when unknown.

    A three-digit MNC with a leading zero ("010") is matched as its two-digit form.
    """
    if mcc != INDONESIA_MCC or mnc is None:
        return None
    mnc = mnc.strip()
    if len(mnc) == 3 and mnc.startswith("0"):
        mnc = mnc[1:]
    return OPERATORS_510.get(mnc)
