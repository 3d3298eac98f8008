"""The browser the operations centre's browser tests share: Debian's Chromium through
Playwright, one per test module (skipped, visibly, where the machine has none)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browserkit import CHROMIUM, CHROMIUM_ARGS, skip_without_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    skip_without_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
