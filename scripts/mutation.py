"""Mutation testing of the core: a seeded sample of cosmic-ray mutants per module, each run against the tests that
speak for that module, and the score per module (the share of behaviour-changing mutants some test notices).

    pip install -e '.[mutation]'
    python scripts/mutation.py                       # conditions, compile, compiled, codegen: 150 mutants each
    python scripts/mutation.py conditions --sample 40 --jobs 2 --survivors

Mutants that only touch a type annotation (or an `if TYPE_CHECKING:` import) are left out before sampling: with
`from __future__ import annotations` nothing evaluates them. Mutants that change no behaviour at all are listed, each
with its reason, in docs/mutation.md (```mutant blocks); they count neither as killed nor as survived. Each worker
mutates its own copy of the source tree, so the checkout is never touched and runs can go side by side.
Not part of .ci/run: a full run takes 15 to 30 minutes on two cores.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import random
import re
import shlex
import shutil
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from queue import Queue
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
CORE = Path("src/carecheck/core")
EQUIVALENTS = ROOT / "docs" / "mutation.md"

# The tests that speak for each module: the quick ones and those marked `mutation`, stopping at the first failure.
TESTS = {
    "conditions": ["test_conditions.py", "test_codegen.py", "test_fuzz.py"],
    "compile": ["test_compile.py", "test_definitions.py", "test_instruments.py", "test_assessor.py", "test_extends.py"],
    "compiled": ["test_compile.py", "test_assessor.py", "test_codegen.py", "test_instruments.py", "test_policy.py"],
    "codegen": ["test_codegen.py", "test_conditions.py", "test_compile.py", "test_fuzz.py", "test_assessor.py"],
}
SKIPPED_COPY = ("*.venv", ".git", "__pycache__", ".hypothesis", ".*_cache", "mutants", "build", "dist", "*.egg-info")


class Mutant(NamedTuple):
    module: str
    operator: str
    occurrence: int
    line: int
    before: str
    """The mutated line as it was, stripped: with `after`, what identifies a mutant in docs/mutation.md."""
    after: str


class Outcome(NamedTuple):
    mutant: Mutant
    verdict: str
    """killed, survived, equivalent, incompetent (the mutation could not be run) or no-test."""
    seconds: float


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("modules", nargs="*", default=list(TESTS), help=f"core modules ({', '.join(TESTS)})")
    parser.add_argument("--sample", type=int, default=150, help="mutants per module (all when fewer): 150")
    parser.add_argument("--seed", type=int, default=18, help="the sample's seed: 18")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested side by side: 2")
    parser.add_argument("--timeout", type=float, default=120, help="seconds before a test run counts as killed")
    parser.add_argument("--survivors", action="store_true", help="print each surviving mutant's line")
    parser.add_argument("--json", type=Path, help="write every mutant's verdict to this file")
    parser.add_argument(
        "--rescore",
        type=Path,
        metavar="JSON",
        help="print the figures of an earlier run's --json file again, with the "
        "equivalent mutants docs/mutation.md lists now (runs nothing)",
    )
    options = parser.parse_args()
    if options.rescore:
        return rescore(options.rescore, options.survivors)
    unknown = [module for module in options.modules if module not in TESTS]
    if unknown:
        parser.error(f"unknown module {unknown[0]!r}: choose from {', '.join(TESTS)}")
    try:
        import cosmic_ray.plugins  # noqa: F401  (a dev-only tool: only this script needs it)
    except ImportError:
        print("mutation testing needs cosmic-ray: pip install -e '.[mutation]'", file=sys.stderr)
        return 2
    equivalent = read_equivalents(EQUIVALENTS)
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="carecheck-mutation-") as scratch:
        copies: Queue[Path] = Queue()
        for index in range(options.jobs):
            copy = Path(scratch) / f"tree{index}"
            shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*SKIPPED_COPY))
            copies.put(copy)
        for module in options.modules:
            # Sampled from a copy, so that the mutants are those of the source tested even if the checkout changes.
            mutants = sample(copies.queue[0], module, options.sample, options.seed)
            command = test_command(module)
            baseline = run_one(None, copies.queue[0], command, options.timeout, equivalent)
            if baseline != "survived":
                print(f"{module}: the tests fail without any mutant; fix them first", file=sys.stderr)
                return 1
            started = time.monotonic()
            with ThreadPoolExecutor(options.jobs) as pool:
                results = list(
                    pool.map(lambda m: timed(m, copies, command, options.timeout, equivalent), mutants)  # noqa: B023
                )
            outcomes += results
            print(summary(module, results, time.monotonic() - started), flush=True)
            if options.survivors:
                print_survivors(results)
    if options.json:
        rows = [o.mutant._asdict() | {"verdict": o.verdict, "seconds": round(o.seconds, 1)} for o in outcomes]
        options.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


def rescore(path: Path, survivors: bool) -> int:
    equivalent = read_equivalents(EQUIVALENTS)
    rows = json.loads(path.read_text())
    for module in dict.fromkeys(row["module"] for row in rows):
        outcomes = []
        for row in rows:
            if row["module"] == module:
                mutant = Mutant(*(row[field] for field in Mutant._fields))
                verdict = row["verdict"]
                if verdict in ("survived", "equivalent"):
                    verdict = "equivalent" if (module, mutant.before, mutant.after) in equivalent else "survived"
                outcomes.append(Outcome(mutant, verdict, 0.0))
        print(summary(module, outcomes, None))
        if survivors:
            print_survivors(outcomes)
    return 0


def print_survivors(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        if outcome.verdict in ("survived", "incompetent"):
            m = outcome.mutant
            print(f"  {outcome.verdict} {m.module}.py:{m.line} {m.operator}: {m.before!r} -> {m.after!r}")


def test_command(module: str) -> str:
    tests = " ".join(f"tests/{name}" for name in TESTS[module] if (ROOT / "tests" / name).is_file())
    python = shlex.quote(sys.executable)
    # The copy's own source comes first on the path (the checkout is installed in editable mode).
    pytest = f"{python} -m pytest -x -q -p no:cacheprovider -m 'not slow or mutation'"
    return f"PYTHONPATH=src PYTHONDONTWRITEBYTECODE=1 {pytest} {tests}"


def sample(tree: Path, module: str, size: int, seed: int) -> list[Mutant]:
    """A seeded sample of the module's mutants, annotation-only ones left out."""
    import cosmic_ray.plugins
    from cosmic_ray.ast import ast_nodes, get_ast_from_path
    from cosmic_ray.mutating import mutate_code

    path = tree / CORE / f"{module}.py"
    source = path.read_text(encoding="utf-8")
    skipped = unevaluated_spans(source)
    found: list[tuple[str, int, int]] = []
    tree = get_ast_from_path(path)
    for name in cosmic_ray.plugins.operator_names():
        operator_class = cosmic_ray.plugins.get_operator(name)
        if operator_class.arguments():  # the variable operators need a cause and an effect to be named
            continue
        operator = operator_class()
        positions = (start for node in ast_nodes(tree) for start, _ in operator.mutation_positions(node))
        for occurrence, (line, column) in enumerate(positions):
            if not any(span_start <= (line, column) < span_end for span_start, span_end in skipped):
                found.append((name, occurrence, line))
    chosen = sorted(random.Random(f"{seed}:{module}").sample(found, min(size, len(found))))
    mutants = []
    lines = source.splitlines()
    for name, occurrence, line in chosen:
        mutated = mutate_code(source, cosmic_ray.plugins.get_operator(name)(), occurrence)
        before, after = changed_line(lines, mutated.splitlines() if mutated else lines, line)
        mutants.append(Mutant(module, name.removeprefix("core/"), occurrence, line, before, after))
    return mutants


def unevaluated_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) of every annotation and `if TYPE_CHECKING:` block: code that never runs."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        parts: list[Any] = []
        if isinstance(node, ast.arg | ast.AnnAssign):
            parts.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            parts.append(node.returns)
        elif isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            parts.append(node)
        spans += [
            ((part.lineno, part.col_offset), (part.end_lineno, part.end_col_offset))
            for part in parts
            if part is not None
        ]
    return spans


def changed_line(before: list[str], after: list[str], line: int) -> tuple[str, str]:
    """The mutant's line before and after, stripped (a mutant changes one line, whatever its operator)."""
    old = new = ""
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if tag != "equal":
            old, new = " ".join(s.strip() for s in before[i1:i2]), " ".join(s.strip() for s in after[j1:j2])
            break
    return old or before[line - 1].strip(), new


def read_equivalents(path: Path) -> set[tuple[str, str, str]]:
    """(module, before, after) of each mutant docs/mutation.md explains as changing no behaviour."""
    found = set()
    for block in re.findall(r"```mutant\n(.*?)```", path.read_text(encoding="utf-8") if path.is_file() else "", re.S):
        fields = {line[:1]: line[2:].strip() for line in block.splitlines() if line[:2] in ("- ", "+ ")}
        module = re.search(r"^module: (\w+)", block, re.M)
        if module and "-" in fields and "+" in fields:
            found.add((module.group(1), fields["-"], fields["+"]))
    return found


def timed(mutant: Mutant, copies: Queue[Path], command: str, timeout: float, equivalent: set[Any]) -> Outcome:
    copy = copies.get()
    try:
        started = time.monotonic()
        verdict = run_one(mutant, copy, command, timeout, equivalent)
        print(verdict[0], end="", file=sys.stderr, flush=True)  # progress: k(illed), s(urvived), e(quivalent) ...
        return Outcome(mutant, verdict, time.monotonic() - started)
    finally:
        copies.put(copy)


def run_one(mutant: Mutant | None, copy: Path, command: str, timeout: float, equivalent: set[Any]) -> str:
    from cosmic_ray.mutating import mutate_and_test
    from cosmic_ray.work_item import MutationSpec, TestOutcome, WorkerOutcome

    shell = f"sh -c {shlex.quote(f'cd {shlex.quote(str(copy))} && exec env {command}')}"
    if mutant is None:
        from cosmic_ray.testing import run_tests

        outcome, _ = run_tests(shell, timeout)
        return str(outcome.value)
    spec = MutationSpec(
        copy / CORE / f"{mutant.module}.py", f"core/{mutant.operator}", mutant.occurrence, (1, 0), (1, 1)
    )
    result = mutate_and_test([spec], shell, timeout)
    if result.worker_outcome == WorkerOutcome.NO_TEST:
        return "no-test"
    if result.worker_outcome != WorkerOutcome.NORMAL:
        return "incompetent"
    if result.test_outcome == TestOutcome.SURVIVED:
        return "equivalent" if (mutant.module, mutant.before, mutant.after) in equivalent else "survived"
    return "killed"


def summary(module: str, outcomes: list[Outcome], seconds: float | None) -> str:
    counts = Counter(outcome.verdict for outcome in outcomes)
    changing = counts["killed"] + counts["survived"]  # an incompetent mutant is the tool's failure, not the tests'
    score = 100 * counts["killed"] / changing if changing else 100.0
    parts = ", ".join(
        f"{counts[v]} {v}" for v in ("killed", "survived", "equivalent", "incompetent", "no-test") if counts[v]
    )
    return (
        f"{module}: {score:.1f}% of {changing} behaviour-changing mutants killed "
        f"({len(outcomes)} sampled: {parts}{'' if seconds is None else f'; {seconds:.0f} s'})"
    )


if __name__ == "__main__":
    sys.exit(main())
