"""Shared fixtures: the namespace test network (``netlab``) and its skip helper."""

from collections.abc import Iterator

import pytest
from machine import unavailable
from netlab import NetLab, cleanup_leftovers, netns_unavailable


def skip_without_netns() -> None:
    """Skip the calling test, with the reason in the summary, when namespaces are unusable."""
    reason = netns_unavailable()
    if reason is not None:
        unavailable(reason)


@pytest.fixture(scope="session")
def _netns_leftovers_cleaned() -> None:
    """Delete namespaces that crashed runs left behind (once per session)."""
    skip_without_netns()
    cleanup_leftovers()


@pytest.fixture
def netlab(_netns_leftovers_cleaned: None) -> Iterator[NetLab]:
    """A fresh :class:`netlab.NetLab`; everything it built is gone after the test."""
    with NetLab() as lab:
        yield lab
