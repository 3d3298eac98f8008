"""Every word the operations centre shows has a text in both languages: each key a page
asks for by name (t("...") in the JS, data-i18n in the HTML) is in some module's table
in English and in Indonesian, each table has the same keys and placeholders in both,
and no Indonesian text holds a deny-listed English word. The pages' one zone table puts
every province in WIB, WITA or WIT."""

from __future__ import annotations

import re

import pytest
from i18nkit import JS, english_words, tables, used_keys

from pantau.core.sites import PROVINCES

pytestmark = pytest.mark.timeout(30)


def test_every_key_the_pages_use_is_in_both_languages() -> None:
    known = {"en": set(), "id": set()}
    for table in tables():
        for language, texts in table.texts.items():
            known[language] |= texts.keys()
    used = used_keys()
    assert len(used) > 100, "the pages ask for their words by key"
    for language in ("en", "id"):
        missing = {key: sorted(where) for key, where in used.items() if key not in known[language]}
        assert not missing, f"keys without a {language} text: {missing}"


def test_each_table_has_the_same_keys_and_placeholders_in_both_languages() -> None:
    found = tables()
    assert {t.path.name for t in found} >= {
        "i18n.js", "words.js", "dashboard.js", "site-words.js", "tickets.js", "tickets-ui.js",
        "login.js", "charts.js",
    }  # fmt: skip
    seen: dict[str, str] = {}
    for table in found:
        en, id_ = table.texts["en"], table.texts["id"]
        assert en.keys() == id_.keys(), (table.path.name, en.keys() ^ id_.keys())
        for key in en:
            assert key not in seen, f"{key} in both {seen[key]} and {table.path.name}"
            seen[key] = table.path.name
            holes = [set(re.findall(r"\{(\w+)\}", text[key])) for text in (en, id_)]
            assert holes[0] == holes[1], (table.path.name, key, holes)
            assert id_[key].strip(), (table.path.name, key)


def test_no_english_inside_the_indonesian_texts() -> None:
    leftovers = {
        key: words
        for table in tables()
        for key, text in table.texts["id"].items()
        if (words := english_words(re.sub(r"\{\w+\}", "", text)))
    }
    assert not leftovers, leftovers


def test_the_deny_list_finds_english_words_and_spares_names() -> None:
    assert english_words("Log out · 3 min ago") == ["Log out", "ago"]
    assert english_words("TPS 5171011001009 Telkomsel (510-10) SINR 12 dB · operator") == []
    assert english_words("no-service kit-open") == []


def test_the_zone_table_puts_every_province_in_one_zone() -> None:
    source = (JS / "i18n.js").read_text(encoding="utf-8")
    zones = {
        name: re.findall(r'"(\d\d)"', provinces)
        for name, provinces in re.findall(
            r"\b(WIB|WITA|WIT): \{[^}]*provinces: \[([^\]]*)\]", source
        )
    }
    assert set(zones) == {"WIB", "WITA", "WIT"}
    listed = [p for provinces in zones.values() for p in provinces]
    assert sorted(listed) == sorted(PROVINCES), "each province once"
    assert {"31", "32", "36", "11", "61", "62"} <= set(zones["WIB"])
    assert {"51", "52", "53", "63", "64", "65", "73"} <= set(zones["WITA"])
    assert {"81", "82", "91", "94", "96"} <= set(zones["WIT"])
