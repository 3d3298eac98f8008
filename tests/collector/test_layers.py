"""Which way the collector's imports point, walked with ``ast`` (nothing is imported).

- ``collector/rules`` is pure and sees only observations: no store, no generated
  code, no wire checks, no I/O.
- The stream session and the pure modules it calls for its rules do no I/O: no
  sqlite3, psycopg, grpc, asyncio, socket or time.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import collector

COLLECTOR = Path(collector.__file__).parent
IO = ("sqlite3", "psycopg", "grpc", "asyncio", "socket", "time")
NOT_IN_RULES = ("collector.store", "collector.batches", "collector.ingest", "pantau.v1", "agent")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports (``from x import y`` counts as x and x.y)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def forbidden_in(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        name
        for name in imported_modules(path)
        for bad in forbidden
        if name == bad or name.startswith(bad + ".")
    )


def test_the_rules_import_no_store_no_protobuf_and_no_io() -> None:
    modules = sorted((COLLECTOR / "rules").glob("*.py"))
    assert len(modules) >= 10
    found = {m.name: forbidden_in(m, NOT_IN_RULES + IO) for m in modules}
    assert {name: bad for name, bad in found.items() if bad} == {}


@pytest.mark.parametrize("module", ["session", "batches", "clocks", "refusals", "observe"])
def test_the_stream_session_and_its_pure_modules_do_no_io(module: str) -> None:
    assert forbidden_in(COLLECTOR / f"{module}.py", IO) == []


def test_the_walker_sees_what_it_must_refuse(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import time\nfrom collector.store.model import StoredRecord\nfrom pantau.v1 import x\n"
    )
    assert forbidden_in(probe, NOT_IN_RULES + IO) == [
        "collector.store.model",
        "collector.store.model.StoredRecord",
        "pantau.v1",
        "pantau.v1.x",
        "time",
    ]
