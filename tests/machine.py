"""What to do when this machine lacks something a test needs.

On a developer's machine the test is skipped, with the reason in the summary. Under CI
(``CI`` set) it fails instead: `.ci/run` installs and starts everything the suite needs
(root, PostgreSQL, Chromium, nftables, ...), so a missing part there is a broken CI set-up,
never a quiet skip.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"CI must provide this: {reason}", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A real filesystem of ``size`` (e.g. "8m", or "8m,nr_inodes=8") mounted at ``where``
    (a real full disk); unmounted after, even when the test fails. Needs root."""
    if os.geteuid() != 0:
        unavailable("needs root to mount a small tmpfs (a real full disk)")
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
