"""scripts/mutation.py: the list of equivalent mutants stays true to the code, and only code that runs is mutated."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutation_script", ROOT / "scripts" / "mutation.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # cosmic-ray is imported only when mutants are made: not needed here
    return module


def test_every_equivalent_mutant_listed_names_a_line_the_module_has() -> None:
    script = _script()
    listed = script.read_equivalents(ROOT / "docs" / "mutation.md")
    assert len(listed) >= 20
    for module, before, after in listed:
        lines = {line.strip() for line in (ROOT / "src/carecheck/core" / f"{module}.py").read_text().splitlines()}
        assert before in lines, f"docs/mutation.md lists a mutant of a line {module}.py no longer has: {before}"
        assert after != before


def test_annotations_and_type_checking_imports_are_not_mutated() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from x import Y\n"
        "def f(a: int = 1) -> list[int]:\n"
        "    b: int = a + 1\n"
        "    return [b]\n"
    )
    spans = _script().unevaluated_spans(source)

    def skipped(line: int, column: int) -> bool:
        return any(start <= (line, column) < end for start, end in spans)

    assert skipped(3, 4)  # the import under TYPE_CHECKING
    assert skipped(4, 9)  # `int` of a
    assert skipped(4, 22)  # `list[int]` returned
    assert skipped(5, 7)  # b's annotation
    assert not skipped(4, 15)  # the default value 1 runs
    assert not skipped(5, 13)  # `a + 1` runs
    assert not skipped(6, 11)
