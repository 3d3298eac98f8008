"""Fixtures for the ``init`` tests (see :mod:`initkit`)."""

from initkit import collector, modem

__all__ = ["collector", "modem"]
