"""The rules are pure and see only observations: no store, no generated code, no wire
checks, no I/O (walked with ``ast`` over every module of the package)."""

from __future__ import annotations

import ast
from pathlib import Path

import collector.rules

FORBIDDEN = (
    "collector.store",
    "collector.batches",
    "collector.ingest",
    "pantau.v1",
    "agent",
    "sqlite3",
    "psycopg",
    "grpc",
    "asyncio",
    "socket",
    "time",
)


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


def forbidden_in(path: Path) -> list[str]:
    return sorted(
        name
        for name in imported_modules(path)
        for bad in FORBIDDEN
        if name == bad or name.startswith(bad + ".")
    )


def test_the_rules_import_no_store_no_protobuf_and_no_io() -> None:
    package = Path(collector.rules.__file__).parent
    modules = sorted(package.glob("*.py"))
    assert len(modules) >= 10
    found = {m.name: forbidden_in(m) for m in modules}
    assert {name: bad for name, bad in found.items() if bad} == {}


def test_the_walker_sees_what_it_must_refuse(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import time\nfrom collector.store.model import StoredRecord\nfrom pantau.v1 import x\n"
    )
    assert forbidden_in(probe) == [
        "collector.store.model",
        "collector.store.model.StoredRecord",
        "pantau.v1",
        "pantau.v1.x",
        "time",
    ]
