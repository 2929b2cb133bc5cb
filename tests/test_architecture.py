"""Imports point inward: the pure core reads no files, talks to no terminal and knows nothing of its edges."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "carecheck"

CORE = {
    "conditions",
    "definitions",
    "engine",
    "explanation",
    "result",
    "intake",
    "codegen",
    "sources",
    "errors",
    "safetext",
    "formats",
    "sampling",
}
"""Questionnaire + rules + answers -> result, and the record of an intake: no I/O, no clock, no environment."""

FORBIDDEN_STDLIB = {"os", "io", "sys", "pathlib", "shutil", "sqlite3", "subprocess", "socket", "datetime", "time"}
"""Ways out to files, processes, the network and the clock: the core is handed what it needs instead."""


def imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("module", sorted(CORE))
def test_the_core_imports_only_the_core_and_the_standard_library(module: str) -> None:
    for name in imports(module) - {"__future__"}:
        top = name.split(".")[0]
        if top == "carecheck":
            assert name.removeprefix("carecheck.") in CORE, f"{module} imports the edge module {name}"
        else:
            assert top in sys.stdlib_module_names, f"{module} imports the third-party {name}"
            assert top not in FORBIDDEN_STDLIB, f"{module} imports {name}: the core does no I/O"


def test_every_module_is_either_core_or_a_named_edge() -> None:
    edges = {
        "__init__",
        "__main__",
        "api",
        "batch",
        "cache",
        "casefiles",
        "checking",
        "cli",
        "clinic",
        "drafts",
        "fhir",
        "files",
        "interview",
        "jsonresult",
        "loading",
        "records",
        "render",
        "report",
        "schema",
        "session",
        "template",
        "terminal",
        "tracing",
        "validation",
        "verify",
    }
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    assert modules == CORE | edges, modules ^ (CORE | edges)
