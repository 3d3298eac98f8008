"""The layering holds: which package may import which, and modules stay one job each.

The import graph is read from the source with :mod:`ast` (every ``import`` and
``from ... import``, at module level or inside a function: a lazy import is still a
dependency). A module's imports include its parent packages' ``__init__`` (Python
runs them first), so "the ticket engine imports no I/O" is checked on everything
importing it would load from this project, not just the file itself.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = {
    "agent": ROOT / "agent",
    "collector": ROOT / "collector",
    "pantau": ROOT / "proto" / "pantau",
}

#: Modules that start simulated kits: the only collector modules allowed to import the agent.
KIT_STARTERS = {"collector.demo"}
#: What a pure engine must not import, directly or through this project's modules.
IO_MODULES = {"sqlite3", "psycopg", "psycopg_pool", "grpc", "asyncio", "socket", "time"}
#: The agent's own libraries, which a collector-only install does not have.
AGENT_LIBRARIES = {"serial", "icmplib", "dns", "scapy"}
AGENT_DISTRIBUTIONS = {"pyserial", "icmplib", "dnspython", "scapy"}

MAX_LINES = 500


def _is_generated(path: Path) -> bool:
    return path.name.endswith(("_pb2.py", "_pb2_grpc.py", "_pb2.pyi"))


@cache
def modules() -> dict[str, Path]:
    """Every first-party module name -> its file (packages by their ``__init__.py``)."""
    found: dict[str, Path] = {}
    for top, folder in SOURCES.items():
        for path in folder.rglob("*.py"):
            if _is_generated(path):
                continue
            parts = [top, *path.relative_to(folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _absolute(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.split(".")
    if modules()[module].name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _import_nodes(tree: ast.AST, *, at_import: bool) -> list[ast.Import | ast.ImportFrom]:
    """Import statements in ``tree``; with ``at_import``, only those run by importing it.

    Those skip function bodies (a lazy import runs when the function is called) and
    ``if TYPE_CHECKING:`` blocks, and keep class bodies and module-level branches.
    """
    found: list[ast.Import | ast.ImportFrom] = []
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
            continue
        if at_import:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                todo.extend(node.orelse)
                continue
        todo.extend(ast.iter_child_nodes(node))
    return found


@cache
def direct_imports(module: str, *, at_import: bool = False) -> frozenset[str]:
    """The modules ``module`` names in its import statements (anywhere in the file, or
    with ``at_import`` only those that importing it runs)."""
    tree = ast.parse(modules()[module].read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in _import_nodes(tree, at_import=at_import):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        else:
            base = _absolute(module, node)
            names.add(base)
            # ``from package import submodule`` imports the submodule too.
            names.update(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules())
    return frozenset(names)


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


@cache
def loaded_by(module: str) -> frozenset[str]:
    """What ``module`` depends on: every import in its own file (lazy ones too: they run
    when it is used), and then what importing each first-party module runs, followed."""
    seen: set[str] = set()
    todo = list(direct_imports(module))
    for name in _with_parents(module):
        seen.add(name)
        if name != module and name in modules():
            todo.extend(direct_imports(name, at_import=True))
    while todo:
        current = todo.pop()
        for name in _with_parents(current):
            if name in seen:
                continue
            seen.add(name)
            if name in modules():
                todo.extend(direct_imports(name, at_import=True))
    return frozenset(seen)


def _top(name: str) -> str:
    return name.split(".", maxsplit=1)[0]


def _collector_modules() -> list[str]:
    return sorted(m for m in modules() if _top(m) == "collector")


def test_the_import_graph_sees_the_project() -> None:
    # The walker must find what is there, or every check below passes vacuously.
    assert {"collector.ingest", "collector.rules.engine", "agent.uplink"} <= set(modules())
    assert "pantau.v1" in direct_imports("collector.ingest") or any(
        n.startswith("pantau.v1") for n in direct_imports("collector.ingest")
    )
    assert "agent.modem.driver" in loaded_by("agent.modem.reader")
    # What importing a module runs is followed through first-party modules.
    assert "sqlite3" in loaded_by("collector.store.sqlite")
    assert {"collector.store.base", "collector.errors"} <= loaded_by("collector.store.model")


def test_the_collector_does_not_import_the_agent() -> None:
    offenders = {
        module: sorted(n for n in direct_imports(module) if _top(n) == "agent")
        for module in _collector_modules()
        if module not in KIT_STARTERS
    }
    assert {m: names for m, names in offenders.items() if names} == {}


def test_the_agent_does_not_import_the_collector() -> None:
    offenders = {
        module: sorted(n for n in direct_imports(module) if _top(n) == "collector")
        for module in modules()
        if _top(module) == "agent"
    }
    assert {m: names for m, names in offenders.items() if names} == {}


def test_the_shared_domain_imports_only_the_standard_library() -> None:
    for module in (m for m in modules() if m.startswith("pantau.core")):
        outside = {
            n
            for n in direct_imports(module)
            if not n.startswith("pantau.core") and _top(n) not in sys.stdlib_module_names
        }
        assert outside == set(), module


def test_the_rules_read_observations_only() -> None:
    rules = [m for m in modules() if m.startswith("collector.rules")]
    assert len(rules) > 5
    for module in rules:
        forbidden = {
            n
            for n in loaded_by(module)
            if n.startswith(("collector.store", "pantau.v1", "collector.batches"))
            or _top(n) in IO_MODULES
        }
        assert forbidden == set(), module


@pytest.mark.parametrize(
    "engine",
    [
        "collector.lifecycle",  # the ticket engine
        "collector.incidents",  # the incident engine
        "collector.incidents_by_hand",  # acknowledging and escalating incidents
        "collector.session",  # the stream session, and the pure modules it calls:
        "collector.batches",
        "collector.clocks",
        "collector.refusals",
        "collector.admission",  # admission control's decisions (reconnect storms)
        "collector.ranges",  # the valid ranges of what kits send
        "collector.store.rollups",  # the sites' rollups
        "collector.observe",
        "collector.rules.engine",
        "collector.notify_limits",  # route pacing and update aggregation
        "collector.notify_formats",  # route formats (PagerDuty, Alertmanager, TMF642)
    ],
)
def test_pure_engines_import_no_io(engine: str) -> None:
    assert engine in modules(), f"{engine} is where the engine lives (docs/architecture.md)"
    io = {n for n in loaded_by(engine) if _top(n) in IO_MODULES}
    assert io == set(), f"{engine} loads {sorted(io)}"


def test_the_query_service_knows_no_http() -> None:
    """The CLI and the web both call it: it must not need the web package to run."""
    web = {
        n
        for n in loaded_by("collector.query")
        if n.startswith("collector.web") or _top(n) == "aiohttp"
    }
    assert web == set()


def _docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def test_modules_are_one_job_each() -> None:
    """Over 500 lines a module's docstring must say why it is still one job."""
    files = [*modules().values(), *(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
    long = {
        str(path.relative_to(ROOT)): n
        for path in files
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
        and "one job" not in _docstring(path).lower()
    }
    assert long == {}


def test_a_collector_install_needs_none_of_the_agent_libraries() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    for requirements in (project["dependencies"], extras["collector"], extras["postgres"]):
        names = {r.split(">")[0].split("=")[0].split("[")[0].strip().lower() for r in requirements}
        assert names.isdisjoint(AGENT_DISTRIBUTIONS), names
    assert AGENT_DISTRIBUTIONS - {"scapy"} <= {
        r.split(">")[0].strip().lower() for r in extras["agent"]
    }


def test_every_collector_module_imports_without_the_agent_libraries() -> None:
    """Import the whole collector (but the demo) with the agent's libraries made missing."""
    script = textwrap.dedent(
        f"""
        import importlib, importlib.abc, sys

        class Missing(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {sorted(AGENT_LIBRARIES | {"agent"})!r}:
                    raise ModuleNotFoundError(f"No module named {{name!r}}")
                return None

        sys.meta_path.insert(0, Missing())
        for name in {[m for m in _collector_modules() if m not in KIT_STARTERS]!r}:
            importlib.import_module(name)
        print("imported", len(sys.modules))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("imported")


def test_every_package_is_in_the_distribution() -> None:
    """A package missing from [tool.setuptools] packages works in a checkout (editable
    install) and is absent from the wheel a collector or kit installs."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]
    roots = {name: ROOT / where for name, where in setuptools["package-dir"].items()}
    found = {
        ".".join((top, *init.parent.relative_to(where).parts))
        for top, where in roots.items()
        for init in where.rglob("__init__.py")
        if "node_modules" not in init.parts
    }
    assert found - set(setuptools["packages"]) == set()


def test_no_asyncio_wait_for_in_services() -> None:
    """asyncio.wait_for loses a racing cancellation on Python 3.11 (pantau.core.aio says
    how); the agent and the collector wait through pantau.core.aio."""
    users = [
        f"{name}:{node.lineno}"
        for name, path in modules().items()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute)
        and node.attr == "wait_for"
        and isinstance(node.value, ast.Name)
        and node.value.id == "asyncio"
    ]
    assert users == []
