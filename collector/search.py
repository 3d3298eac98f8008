"""Finding sites by what people type: a TPS code prefix, a province name, an operator.

:func:`parse_search` turns a search text into a :class:`SiteSearch` (pure, no I/O);
:meth:`SiteSearch.keeps` tells whether a site matches. The text is split into words,
and a site matches when it matches every word (``"Telkomsel Jakarta"``: Telkomsel
sites in DKI Jakarta; ``"Jawa Barat"``: the province whose name has both words).
A word is

- digits: a prefix of the TPS code (``"31"`` a province, ``"3171"`` a kabupaten/kota,
  up to the 13 digits of one TPS), since the code is Kemendagri's area code;
- otherwise a name, matched case-insensitively against the start of any word of a
  province's name (``"jakarta"``, ``"yogya"``) and of an operator's name or alias
  (``"telkomsel"``, ``"xl"``, ``"im3"``): a site matches when it is in such a
  province or known on such a network.

Kabupaten/kota names are not known (no table of them ships with Pantau): their code
prefix finds them. A plain word that names nothing matches no site; that is an empty
answer, not an error. Errors (:class:`SearchError`, a ``ValueError``) are kept for
text nobody types into a search box: too long, too many words, control characters,
more than 13 digits.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pantau.core.operators import OPERATORS_510
from pantau.core.sites import PROVINCES

MAX_CHARS = 100
MAX_WORDS = 6
#: Names people use for networks beside the names in the MNC table.
ALIASES: Mapping[str, str] = {
    "telkomsel": "510-10",
    "tsel": "510-10",
    "simpati": "510-10",
    "indosat": "510-01",
    "ioh": "510-01",
    "ooredoo": "510-01",
    "im3": "510-21",
    "tri": "510-89",
    "three": "510-89",
    "xl": "510-11",
    "axiata": "510-11",
    "axis": "510-08",
    "smartfren": "510-09",
    "fren": "510-28",
}
#: Province aliases people type (the official name is matched word by word).
PROVINCE_ALIASES: Mapping[str, str] = {"jogja": "34", "jogjakarta": "34", "ntb": "52", "ntt": "53"}


class SearchError(ValueError):
    """A search text no person types (the message says what is wrong)."""


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a search: a code prefix, or the provinces and networks it names."""

    text: str
    prefix: str | None = None
    provinces: frozenset[str] = frozenset()
    networks: frozenset[str] = frozenset()

    def keeps(self, code: str, networks: Iterable[str]) -> bool:
        if self.prefix is not None:
            return code.startswith(self.prefix)
        if code[:2] in self.provinces:
            return True
        return bool(self.networks) and not self.networks.isdisjoint(networks)


@dataclass(frozen=True, slots=True)
class SiteSearch:
    """A parsed search: every word must match."""

    words: tuple[Word, ...]

    def keeps(self, code: str, networks: Iterable[str]) -> bool:
        known = tuple(networks)
        return all(w.keeps(code, known) for w in self.words)


def _fold(text: str) -> str:
    """Lower case without accents, for comparing names."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _name_words(name: str) -> list[str]:
    return _fold(name).replace("-", " ").split()


def _networks_named() -> dict[str, set[str]]:
    named: dict[str, set[str]] = {}
    for mnc, name in OPERATORS_510.items():
        for word in _name_words(name):
            named.setdefault(word, set()).add(f"510-{mnc}")
    for alias, network in ALIASES.items():
        named.setdefault(alias, set()).add(network)
    return named


_NETWORK_WORDS = _networks_named()
_PROVINCE_WORDS = {code: _name_words(name) for code, name in PROVINCES.items()}


def _word(text: str) -> Word:
    if text.isascii() and text.isdigit():
        if len(text) > 13:
            raise SearchError(
                f"a TPS code has 13 digits; {text!r} has {len(text)} "
                "(type its first digits to find an area: 31 a province, 3171 a kabupaten/kota)"
            )
        return Word(text, prefix=text)
    folded = _fold(text)
    provinces = {
        c for c, words in _PROVINCE_WORDS.items() if any(w.startswith(folded) for w in words)
    }
    if folded in PROVINCE_ALIASES:
        provinces.add(PROVINCE_ALIASES[folded])
    networks: set[str] = set()
    for word, found in _NETWORK_WORDS.items():
        if word.startswith(folded) if len(folded) >= 3 else word == folded:
            networks |= found
    return Word(text, provinces=frozenset(provinces), networks=frozenset(networks))


def parse_search(text: str) -> SiteSearch:
    """``text`` as a :class:`SiteSearch`; :class:`SearchError` for text nobody types."""
    if len(text) > MAX_CHARS:
        raise SearchError(f"a search is at most {MAX_CHARS} characters, got {len(text)}")
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") and char not in "\t":
            raise SearchError(f"a search must not contain control characters (found {char!r})")
    words = text.replace(",", " ").split()
    if not words:
        raise SearchError("a search needs at least one word or digit")
    if len(words) > MAX_WORDS:
        raise SearchError(f"a search has at most {MAX_WORDS} words, got {len(words)}")
    return SiteSearch(tuple(_word(w) for w in words))
