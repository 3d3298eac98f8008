"""Every message ``init`` shows exists in Bahasa Indonesia and English, with the same
placeholders, and every key the code asks for is in the catalogue."""

from __future__ import annotations

import re
from pathlib import Path

from agent.i18n import placeholders
from agent.messages.init import MESSAGES

ROOT = Path(__file__).parents[3]
SOURCES = [ROOT / "agent" / "cli_init.py", *sorted((ROOT / "agent" / "setup").glob("*.py"))]


def test_every_init_message_is_in_both_languages_with_the_same_fields() -> None:
    for key, texts in MESSAGES.items():
        assert key.startswith("init."), key
        assert set(texts) == {"id", "en"}, key
        assert texts["id"].strip() and texts["en"].strip(), key
        assert placeholders(texts["id"]) == placeholders(texts["en"]), key


def test_every_key_the_code_asks_for_exists() -> None:
    used: set[str] = set()
    for source in SOURCES:
        used |= set(re.findall(r'"(init\.[a-z_.]+)"', source.read_text(encoding="utf-8")))
    assert used, "no keys found"
    missing = used - set(MESSAGES)
    assert not missing
    unused = set(MESSAGES) - used
    assert not unused, f"messages nothing shows: {sorted(unused)}"
