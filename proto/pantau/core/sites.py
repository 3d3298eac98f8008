"""TPS (polling station) codes: 13 digits = 10-digit desa/kelurahan code + 3-digit TPS.

The desa code is Kemendagri's: province (2), kabupaten/kota (2), kecamatan (2),
desa (4). KPU keys its public data the same way.
"""

from __future__ import annotations

from typing import Final

from pantau.core.errors import PantauError

#: Kemendagri province codes (38 provinces since 2022).
PROVINCES: Final[dict[str, str]] = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua",
    "92": "Papua Barat",
    "93": "Papua Selatan",
    "94": "Papua Tengah",
    "95": "Papua Pegunungan",
    "96": "Papua Barat Daya",
}


class TpsCodeError(PantauError, ValueError):
    """Not a valid TPS code."""


#: Characters typed for a digit they look like (a letter O for a zero).
LOOKALIKES: dict[str, str] = {"O": "0", "o": "0", "I": "1", "l": "1", "i": "1", "L": "1"}


def first_non_digit(text: str) -> tuple[int, str] | None:
    """(1-based position, character) of the first character of ``text`` that is not an
    ASCII digit, or None."""
    for index, char in enumerate(text, start=1):
        if not ("0" <= char <= "9"):
            return index, char
    return None


def validate_tps_code(code: str) -> str:
    """Return the code if valid, else raise :class:`TpsCodeError` saying why."""
    bad = first_non_digit(code)
    if bad is not None:
        position, char = bad
        hint = f" (the digit {LOOKALIKES[char]}?)" if char in LOOKALIKES else ""
        raise TpsCodeError(
            f"TPS code {code!r} has {char!r} at position {position}, not a digit{hint}; "
            "it must be 13 digits (10-digit desa/kelurahan code + 3-digit TPS number, "
            "e.g. 3171011001005)"
        )
    if len(code) != 13:
        raise TpsCodeError(
            f"TPS code {code!r} must be 13 digits (10-digit desa/kelurahan code + "
            "3-digit TPS number, e.g. 3171011001005)"
        )
    if code[:2] not in PROVINCES:
        raise TpsCodeError(f"TPS code {code!r} starts with {code[:2]!r}, not a province code")
    if code[10:] == "000":
        raise TpsCodeError(f"TPS code {code!r} has TPS number 000; TPS numbers start at 001")
    return code


def province_of(code: str) -> str:
    return PROVINCES.get(code[:2], "unknown")
