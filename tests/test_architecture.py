"""Imports point inward, by folder: the pure core reads no files and knows nothing of its edges; nothing needs the
command line but `python -m carecheck`; and no two modules need each other, however indirectly."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "carecheck"

LAYERS = {
    "core": set(),
    "store": {"core"},
    "load": {"core", "store"},
    "output": {"core"},
    "clinic": {"core", "output", "store"},
    "api": {"core", "load", "output"},
    "authoring": {"core", "load", "output", "api"},
    "data": {"core", "api"},
    "cli": {"core", "load", "output", "store", "clinic", "authoring", "api", "data"},
}
"""Each folder, and the folders it may import besides itself. `api` is the package's own face (`carecheck`,
`carecheck.api`): what `import carecheck` offers a library user. `data` (Arrow tables and Parquet files) is a
skin over the library like `cli`, for data pipelines rather than people: it loads definitions through `api` and
scores with the core, and needs a third-party package (pyarrow) that nothing else may import."""

FORBIDDEN_STDLIB = {"os", "io", "sys", "pathlib", "shutil", "sqlite3", "subprocess", "socket", "datetime", "time"}
"""Ways out to files, processes, the network and the clock: the core is handed what it needs instead."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "api"


def imports(module: str) -> set[str]:
    """Every carecheck module or outside package that `module` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = {f"{node.module}.{alias.name}" for alias in node.names}
            found |= (names & MODULES.keys()) or {node.module}
    return found


def carecheck_imports(module: str) -> set[str]:
    """The carecheck modules `module` imports; the package itself (for `__version__`) is loaded by every import."""
    return {name for name in imports(module) if name in MODULES and name not in (module, "carecheck")}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_folder_imports_only_the_folders_inside_it(module: str) -> None:
    allowed = LAYERS[layer(module)] | {layer(module)}
    if module == "carecheck.__main__":
        allowed |= {"cli"}
    for name in carecheck_imports(module):
        assert layer(name) in allowed, f"{module} ({layer(module)}) imports {name} ({layer(name)})"


@pytest.mark.parametrize("module", sorted(name for name in MODULES if layer(name) == "core"))
def test_the_core_imports_only_the_standard_library_without_io(module: str) -> None:
    for name in imports(module) - {"__future__"} - MODULES.keys():
        top = name.split(".")[0]
        assert top != "carecheck", f"{module} imports {name}"
        assert top in sys.stdlib_module_names, f"{module} imports the third-party {name}"
        assert top not in FORBIDDEN_STDLIB, f"{module} imports {name}: the core does no I/O"


def test_nothing_imports_the_command_line_but_python_dash_m() -> None:
    for module in MODULES:
        if layer(module) != "cli" and module != "carecheck.__main__":
            assert not {name for name in carecheck_imports(module) if layer(name) == "cli"}, module


def test_no_module_needs_itself_through_others() -> None:
    graph = {module: carecheck_imports(module) for module in MODULES}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = [*path[path.index(module) :], module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for name in sorted(graph[module]):
            visit(name, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path) -> None:
    """The check above would pass on any graph if `carecheck_imports` found nothing: it finds what is there."""
    assert "carecheck.core.definitions" in carecheck_imports("carecheck.core.wording")
    assert "carecheck.cli.app" in carecheck_imports("carecheck.__main__")


def test_only_the_data_folder_imports_pyarrow() -> None:
    """pyarrow is an extra (`carecheck[data]`): a module outside `data` that imported it would fail without it."""
    for module in MODULES:
        if layer(module) != "data":
            assert not {name for name in imports(module) if name.split(".")[0] == "pyarrow"}, module
