"""Helpers for the operations centre's browser tests: Chromium's location and flags,
a browser context that records page errors, content-security-policy violations and
untranslated keys (the pages in English unless a test says otherwise),
the screenshot directory (``$PANTAU_SCREENSHOTS``, default ``artifacts/screenshots/``
at the repository root, which git ignores)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from machine import unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[4]
#: Playwright's own timeout for every action and wait (ms); tests are bounded at 60 s.
STEP_MS = 20_000


def skip_without_chromium() -> None:
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")


def screenshot_dir() -> Path:
    directory = Path(os.environ.get("PANTAU_SCREENSHOTS") or REPO / "artifacts" / "screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert len(data) > 1000, f"{path} is {len(data)} bytes"
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"


@dataclass
class Browsing:
    """Pages of one browser context, and what went wrong in them."""

    context: Any
    base: str
    problems: list[str] = field(default_factory=list)
    #: The pages' language, set before any page script runs (None: the page's own
    #: choice, Indonesian unless the reader switched).
    lang: str | None = "en"

    def page(self) -> Any:
        page = self.context.new_page()
        page.set_default_timeout(STEP_MS)
        if self.lang is not None:
            page.add_init_script(
                f"try {{ localStorage.setItem('pantau.lang', '{self.lang}') }} catch {{}}"
            )
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("console", self._console)
        return page

    def _console(self, message: Any) -> None:
        text = message.text
        if message.type == "error" and (
            "Content Security Policy" in text
            or "Uncaught" in text
            or "SyntaxError" in text
            or "untranslated key" in text
        ):
            self.problems.append(f"console: {text}")

    def login(self, name: str, password: str) -> None:
        """A session cookie in this context (the API login, as the page does it)."""
        response = self.context.request.post(
            f"{self.base}/api/v1/login", data={"username": name, "password": password}
        )
        assert response.ok, response.text()
