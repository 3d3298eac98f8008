"""Finding sites by what people type (collector.search): code prefixes, province and
operator names, every word must match; text nobody types is a clear error."""

from __future__ import annotations

import pytest

from collector.search import SearchError, parse_search

JAKARTA_TSEL = ("3171011001005", ("510-10",))
JAKARTA_XL = ("3174021002001", ("510-11",))
BANDUNG_IOH = ("3273011001001", ("510-01",))
DENPASAR_XL = ("5171011001003", ("510-11", "510-10"))
JOGJA_NONE = ("3471011001001", ())
SITES = [JAKARTA_TSEL, JAKARTA_XL, BANDUNG_IOH, DENPASAR_XL, JOGJA_NONE]


def found(text: str) -> list[str]:
    search = parse_search(text)
    return [code for code, networks in SITES if search.keeps(code, networks)]


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("3171", ["3171011001005"]),
        ("31", ["3171011001005", "3174021002001"]),
        ("3171011001005", ["3171011001005"]),
        ("Jakarta", ["3171011001005", "3174021002001"]),
        ("jakarta", ["3171011001005", "3174021002001"]),
        ("DKI", ["3171011001005", "3174021002001"]),
        ("Jawa Barat", ["3273011001001"]),
        ("Bali", ["5171011001003"]),
        ("Yogya", ["3471011001001"]),
        ("jogja", ["3471011001001"]),
        ("Telkomsel", ["3171011001005", "5171011001003"]),
        ("XL", ["3174021002001", "5171011001003"]),
        ("xl", ["3174021002001", "5171011001003"]),
        ("Indosat", ["3273011001001"]),
        ("Telkomsel Jakarta", ["3171011001005"]),
        ("XL, 51", ["5171011001003"]),
        ("Kota Denpasar", []),  # no kabupaten table: a plain word naming nothing finds nothing
        ("Sulawesi", []),
        ("x", []),  # too short to be a prefix of an operator's name; no province starts so
    ],
)
def test_search_finds(text: str, codes: list[str]) -> None:
    assert found(text) == codes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "at least one word"),
        ("   ", "at least one word"),
        ("31710110010051", "a TPS code has 13 digits; '31710110010051' has 14"),
        ("a" * 101, "at most 100 characters, got 101"),
        ("a b c d e f g", "at most 6 words, got 7"),
        ("Jakarta\x00", "control characters"),
        ("\u202eJakarta", "control characters"),
    ],
)
def test_text_nobody_types_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(SearchError, match=message.replace("(", r"\(")):
        parse_search(text)
