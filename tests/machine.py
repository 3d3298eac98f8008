"""What to do when this machine lacks something a test needs.

On a developer's machine the test is skipped, with the reason in the summary. Under CI
(``CI`` set) it fails instead: `.ci/run` installs and starts everything the suite needs
(root, PostgreSQL, Chromium, nftables, ...), so a missing part there is a broken CI set-up,
never a quiet skip.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide this: {reason}", pytrace=False)
    pytest.skip(reason)
