"""The OpenAPI 3.0.3 document of the REST API (written by hand, checked by the tests)."""

from __future__ import annotations

from typing import Any


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Pantau operations centre", "version": "1"},
        "paths": {},
    }
