"""Fuzzing: whatever the answers, answer files, questionnaires or rule sets, carecheck ends with a result or one of
the contract's errors, never a traceback.

Example counts stay modest for CI; CARECHECK_FUZZ_EXAMPLES raises them for a longer hunt. There is no per-example
deadline (tests carry no timings); the loaders' size, depth and node limits are what bound the work.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carecheck import Assessor, load_assessor
from carecheck.api import load_pair
from carecheck.core.conditions import FIRED, ConditionError, Kind, NameInfo, Scope, compile_condition
from carecheck.core.errors import AnswerFileError, AnswersError, CarecheckError
from carecheck.core.sampling import random_answers
from carecheck.load.loader import answers_from_text, builtin_folder
from carecheck.output.formats import Format
from carecheck.output.render import render_result
from conftest import baseline_answers, run_carecheck
from test_compile import write_definitions

EXAMPLES = int(os.environ.get("CARECHECK_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # no timings in tests: hangs are bounded by the loaders' size, depth and node limits instead
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=os.environ.get("CARECHECK_FUZZ_RANDOM") != "1",
)
ASSESSOR = load_assessor()
ITEM_IDS = [item.id for item in ASSESSOR.items]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["yes", "no", "alcohol", "severe", "none", "stable", "[b]x[/b]", "\x1b[2J", "\u202e"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
keys = st.one_of(st.sampled_from([*ITEM_IDS, "id"]), st.text(max_size=12))


@pytest.mark.slow
@FUZZ
@given(changes=st.dictionaries(keys, values, max_size=12), drop=st.lists(st.sampled_from(ITEM_IDS), max_size=5))
def test_any_answers_give_a_result_or_a_list_of_problems(changes: dict[str, Any], drop: list[str]) -> None:
    answers = baseline_answers() | changes
    for item_id in drop:
        answers.pop(item_id, None)
    try:
        result = ASSESSOR.assess(answers)
    except AnswersError as error:
        assert error.problems
        assert all(problem.item and problem.message for problem in error.problems)
        return
    for fmt in Format:
        out = render_result(result, ASSESSOR, fmt)
        assert "\x1b" not in out


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_mutated_answer_files_parse_or_fail_with_a_message(data: st.DataObject) -> None:
    text = json.dumps(baseline_answers()) if data.draw(st.booleans()) else _yaml_answers()
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 8))
        insert = data.draw(
            st.sampled_from(
                [
                    "",
                    ":",
                    "- ",
                    "{",
                    "}",
                    "[",
                    "]",
                    "&a ",
                    "*a",
                    "\n  ",
                    "'",
                    '"',
                    "\0",
                    "\t",
                    "!!python/object:os.system ",
                    "# ",
                    "age: 9\n",
                ]
            )
        )
        text = text[:position] + insert + text[position + cut :]
    try:
        answers = answers_from_text(text, "fuzz.yaml")
    except AnswerFileError as error:
        assert error.message.startswith("fuzz.yaml")
        return
    with contextlib.suppress(AnswersError):
        ASSESSOR.assess(answers)


def _yaml_answers() -> str:
    return "".join(f"{key}: {json.dumps(value)}\n" for key, value in baseline_answers().items())


SCOPE = Scope(
    {name: NameInfo(Kind.NUMBER) for name in ("age", "phq9", "use_days")}
    | {"housing": NameInfo(Kind.TEXT, frozenset({"stable", "none"}))}
)


@FUZZ
@given(
    source=st.text(alphabet=st.sampled_from(list("agehousingphq9_ ()[]'\"=!<>,.-0123456789andornotin")), max_size=40)
)
def test_any_condition_text_compiles_or_names_its_fault(source: str) -> None:
    try:
        compiled = compile_condition(source, SCOPE)
    except ConditionError as error:
        assert error.message
        return
    compiled.holds({"age": 30, "phq9": 5, "use_days": None, "housing": "none"})


RULES_TEXT = (builtin_folder("rules") / "level-of-care.yaml").read_text()
RULE_LINES = RULES_TEXT.splitlines()


@pytest.mark.slow
@settings(FUZZ, max_examples=max(20, EXAMPLES // 4))
@given(data=st.data())
def test_mutated_rule_sets_load_or_fail_with_file_and_line(data: st.DataObject, tmp_path_factory: Any) -> None:
    lines = list(RULE_LINES)
    for _ in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "repeat", "swap-word", "indent"]))
        if action == "drop":
            del lines[index]
        elif action == "repeat":
            lines.insert(index, lines[index])
        elif action == "indent":
            lines[index] = "  " + lines[index]
        else:
            words = lines[index].split(" ")
            word = data.draw(st.integers(0, len(words) - 1))
            words[word] = data.draw(st.sampled_from(["psychosys", "'iop'", "99", "inpatient", "true", "==", "x"]))
            lines[index] = " ".join(words)
    path = Path(tmp_path_factory.mktemp("rules")) / "rules.yaml"
    path.write_text("\n".join(lines) + "\n")
    try:
        assessor = load_assessor(rules=str(path))
    except CarecheckError as error:
        assert error.exit_code in (2, 3)
        if error.exit_code == 3:
            assert "rules.yaml" in error.message
        return
    _assess_some(assessor)


def _assess_some(assessor: Assessor) -> None:
    with contextlib.suppress(AnswersError):
        assessor.assess(baseline_answers())
    # Whatever the rules say, the code generated from them decides as the closures do.
    generated, rng = assessor.generated(), random.Random(5)
    for _ in range(5):
        values, _, _ = assessor.check(random_answers(assessor, rng))
        assert generated.decide(values) == assessor.decide_by_closures(values)


@pytest.mark.slow
@settings(FUZZ, max_examples=max(10, EXAMPLES // 15))
@given(stdin=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_the_command_line_never_shows_a_traceback(stdin: bytes) -> None:
    process = run_carecheck("assess", "--format", "json", stdin=stdin, timeout=60)
    assert process.returncode in (0, 2)
    assert b"Traceback" not in process.stderr
    assert b"\x1b" not in process.stderr


# --- the command line over random files: the contract's exit codes, never "something went wrong" ------------------

_VALID = {
    "answers": json.dumps(baseline_answers()).encode(),
    "csv": (
        "id,"
        + ",".join(k for k, v in baseline_answers().items() if not isinstance(v, list))
        + "\nr1,"
        + ",".join(str(v).lower() for v in baseline_answers().values() if not isinstance(v, list))
        + "\n"
    ).encode(),
    "rules": b"extends: level-of-care\nid: mine\nversion: '1'\nplacement:\n  - id: r\n    when: age > 90\n"
    b"    level: iop\n    reason: x\n    criteria: [inpatient-when-needed]\n",
}


def _mutated(kind: str) -> st.SearchStrategy[bytes]:
    original = _VALID[kind]
    return st.tuples(st.integers(0, len(original)), st.integers(0, 20), st.binary(max_size=20)).map(
        lambda cut: original[: cut[0]] + cut[2] + original[cut[0] + cut[1] :]
    )


def _run_in_process(*args: str) -> tuple[int, str]:
    """The command as a person runs it, in this process (a process per example would take hours): exit code and
    everything written to stderr."""
    import io
    import sys

    from carecheck.cli.app import main

    stdout, stderr = io.StringIO(), io.StringIO()
    argv, stdin = sys.argv, sys.stdin
    sys.argv, sys.stdin = ["carecheck", *args], io.TextIOWrapper(io.BytesIO(b""))
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                main()
                code = 0
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 0
    finally:
        sys.argv, sys.stdin = argv, stdin
    return code, stderr.getvalue()


CLI_EXITS = {"answers": (0, 2), "csv": (0, 1, 2), "rules": (0, 3)}


@pytest.mark.slow
@settings(FUZZ, max_examples=max(30, EXAMPLES // 3))
@given(data=st.data())
def test_random_files_give_the_contracts_exit_codes_never_an_internal_error(
    data: st.DataObject, tmp_path_factory: Any
) -> None:
    kind = data.draw(st.sampled_from(sorted(CLI_EXITS)))
    content = data.draw(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode), _mutated(kind)))
    path = tmp_path_factory.mktemp("fuzz") / ("file.csv" if kind == "csv" else "file.yaml")
    path.write_bytes(content)
    if kind == "answers":
        code, stderr = _run_in_process("assess", "--answers", str(path), "--format", "json")
    elif kind == "csv":
        code, stderr = _run_in_process("batch", str(path), "--input-format", "csv")
    else:
        code, stderr = _run_in_process("validate", str(path))
    assert code in CLI_EXITS[kind], stderr
    assert "something went wrong" not in stderr
    assert "Traceback" not in stderr


# --- generated code against the closures, at the edges ---------------------------------------------------------------
# Values are drawn from a few numbers around the literals the conditions use (so equal values and neighbours are
# common), absent answers included; conditions use every operator and function in every shape.

EDGE_SCOPE = Scope(
    {
        "a": NameInfo(Kind.NUMBER),
        "b": NameInfo(Kind.NUMBER),
        "c": NameInfo(Kind.NUMBER, frozenset({1, 2, 3})),
        "n.total": NameInfo(Kind.NUMBER),
        "f": NameInfo(Kind.BOOL),
        "t": NameInfo(Kind.TEXT, frozenset({"x", "y", "z"})),
        "l": NameInfo(Kind.LIST, frozenset({"x", "y", "z"})),
        "v": NameInfo(Kind.ANY),
    },
    rule_ids=frozenset({"r1", "r2"}),
)
EDGE_NUMBERS = [1, 2, 3]
EDGE_ENVIRONMENTS = st.fixed_dictionaries(
    {
        "a": st.sampled_from([None, *EDGE_NUMBERS]),
        "b": st.sampled_from([None, *EDGE_NUMBERS]),
        "c": st.sampled_from([None, *EDGE_NUMBERS]),
        "n.total": st.sampled_from([None, 0, *EDGE_NUMBERS]),
        "f": st.sampled_from([None, True, False]),
        "t": st.sampled_from([None, "x", "y"]),
        "l": st.sampled_from([None, (), ("x",), ("y",), ("x", "y")]),
        "v": st.sampled_from([None, 2, 3, "x", True]),
        FIRED: st.sampled_from([frozenset(), frozenset({"r1"}), frozenset({"r2"}), frozenset({"r1", "r2"})]),
    }
)


_COUNTED = st.lists(
    st.sampled_from(["f", "v", "a > 1", "t == 'x'", "'x' in l", "asked(b)", "fired('r2')"]), min_size=1, max_size=3
).map(lambda parts: f"count({', '.join(parts)})")
_NUMBER = st.one_of(st.sampled_from(["a", "b", "c", "n.total", "v", *map(str, EDGE_NUMBERS)]), _COUNTED)
_IN = st.sampled_from(["in", "not in"])
_EDGE_TESTS = st.one_of(
    st.sampled_from(["f", "v", "l", "true", "false"]),
    st.tuples(_NUMBER, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), _NUMBER).map(" ".join),
    st.tuples(_NUMBER, _IN, st.sampled_from(["[]", "[2]", "[1, 3]", "[1, 2, 3]"])).map(" ".join),
    st.tuples(st.sampled_from(["t", "'x'", "v"]), _IN, st.sampled_from(["l", "v"])).map(" ".join),
    st.tuples(st.sampled_from(["t", "v"]), _IN, st.sampled_from(["[]", "['x']", "['x', 'y']"])).map(" ".join),
    st.tuples(
        st.sampled_from(["t", "f", "v"]), st.sampled_from(["==", "!="]), st.sampled_from(["t", "'x'", "f", "true"])
    ).map(" ".join),
    st.sampled_from(
        ["asked(a)", "asked(l)", "has_any(l, 'x')", "has_any(l, 'y', 'z')", "fired('r1')", "fired('r1', 'r2')"]
    ),
)
EDGE_CONDITIONS = st.recursive(
    _EDGE_TESTS,
    lambda inner: st.one_of(
        inner.map(lambda text: f"not ({text})"),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: " and ".join(f"({p})" for p in parts)),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: " or ".join(f"({p})" for p in parts)),
        st.tuples(st.sampled_from(["any", "all", "count"]), st.lists(inner, min_size=1, max_size=3)).map(
            lambda call: f"{call[0]}({', '.join(call[1])})"
        ),
    ),
    max_leaves=6,
)


def _value_or_error(function: Any, env: dict[str, Any]) -> Any:
    try:
        return function(env)
    except TypeError as error:  # `v < 2` with a word: both ways must refuse alike
        return type(error)


@pytest.mark.slow
@pytest.mark.mutation
@FUZZ
@given(source=EDGE_CONDITIONS, envs=st.lists(EDGE_ENVIRONMENTS, min_size=1, max_size=8))
def test_generated_conditions_agree_with_the_closures_at_the_edges(source: str, envs: list[dict[str, Any]]) -> None:
    from carecheck.core.codegen import evaluator

    try:
        compiled = compile_condition(source, EDGE_SCOPE)
    except ConditionError:
        return  # a drawn condition may not check (`v` with a list literal): the faults have their own tests
    generated, as_test = evaluator(compiled), evaluator(compiled, as_test=True)
    for env in envs:
        expected = _value_or_error(compiled.evaluate, env)
        got = _value_or_error(generated, env)
        assert (got, type(got)) == (expected, type(expected)), source
        if not isinstance(expected, type):
            assert bool(as_test(env)) is bool(expected), source


_RULE_NUMBER = st.one_of(
    st.sampled_from(["days", "lift", "lift.total", "lift_1", "lift_3", "0", "1", "2", "3", "5"]),
    st.lists(st.sampled_from(["asked(note)", "days > 2", "'a' in kinds", "d0"]), min_size=1, max_size=3).map(
        lambda parts: f"count({', '.join(parts)})"
    ),
)
_RULE_TESTS = st.one_of(
    st.tuples(_RULE_NUMBER, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), _RULE_NUMBER).map(" ".join),
    st.tuples(_RULE_NUMBER, _IN, st.sampled_from(["[]", "[2]", "[1, 3]"])).map(" ".join),
    st.tuples(
        st.sampled_from(["prior", "mood", "lift.band"]),
        st.sampled_from(["==", "!="]),
        st.sampled_from(["prior", "mood"]),
    ).map(" ".join),
    st.sampled_from(
        [
            "prior in ['outpatient', 'iop']",
            "prior not in ['iop']",
            "'a' in kinds",
            "'a' not in kinds",
            "mood in kinds",
            "has_any(kinds, 'a', 'b')",
            "asked(note)",
            "asked(days)",
            "mood == 'low'",
            "mood != 'good'",
            "lift.band == 'top'",
            "lift.band != 'low'",
            "note == ''",
            "d0",
            "d1 >= 2",
            "true",
        ]
    ),
)
_RULE_CONDITIONS = st.recursive(
    _RULE_TESTS,
    lambda inner: st.one_of(
        inner.map(lambda text: f"not ({text})"),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: " and ".join(f"({p})" for p in parts)),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: " or ".join(f"({p})" for p in parts)),
        st.tuples(st.sampled_from(["any", "all"]), st.lists(inner, min_size=1, max_size=3)).map(
            lambda call: f"{call[0]}({', '.join(call[1])})"
        ),
    ),
    max_leaves=4,
)
_EDGE_ANSWERS = st.fixed_dictionaries(
    {
        "prior": st.sampled_from([None, "outpatient", "iop", "unsure"]),
        "days": st.sampled_from([None, 0, 1, 2, 3, 4, 5]),
        "note": st.sampled_from([None, "", "a note"]),
        "kinds": st.sampled_from([None, (), ("a",), ("a", "b")]),
        "mood": st.sampled_from([None, "good", "low"]),
        "lift": st.one_of(st.none(), st.tuples(*[st.sampled_from([1, 2, 3])] * 3)),
    }
)


@pytest.mark.slow
@pytest.mark.mutation
@settings(FUZZ, max_examples=max(10, EXAMPLES // 5))
@given(
    whens=st.lists(_RULE_CONDITIONS, min_size=4, max_size=4),
    answers=st.lists(_EDGE_ANSWERS, min_size=1, max_size=6),
)
def test_generated_rule_sets_agree_with_the_closures_at_the_edges(
    whens: list[str], answers: list[dict[str, Any]], tmp_path_factory: Any
) -> None:
    """Rule sets whose placement rules, derived values and notes use every operator and function."""
    quoted = [json.dumps(when) for when in whens]
    derived_uses = [when.replace("d0", "true").replace("d1", "days") for when in quoted[:2]]
    placement = "".join(
        f"  - {{id: r{i}, when: {when}, level: {level}, reason: '{{days}} days: r{i}', criteria: [c]}}\n"
        for i, (when, level) in enumerate(zip(quoted, ["iop", "inpatient", "iop", "outpatient"], strict=True))
    )
    placement += (
        "  - {id: from-prior, when: 'asked(prior)', level: {item: prior, step: 1}, reason: '{prior}', criteria: [c]}"
    )
    extra = (
        "derived:\n"
        f"  - {{id: d0, description: d, expr: {derived_uses[0]}}}\n"
        f"  - {{id: d1, description: d, otherwise: 0,\n"
        f"     cases: [{{when: {derived_uses[1]}, value: 3}}, {{when: 'asked(days)', value: 1}}]}}\n"
        "notes:\n"
        f"  - {{id: n0, when: \"fired('r0') or level == 'iop'\", text: '{{d1}} and {{prior}}'}}\n"
        f"  - {{id: n1, when: {quoted[3]}, text: 'r3 {{note}}'}}\n"
    )
    folder = Path(tmp_path_factory.mktemp("rules"))
    try:
        assessor = Assessor(*load_pair(None, str(write_definitions(folder, placement=placement, extra=extra))))
    except CarecheckError as error:
        assert error.exit_code == 3, error.message  # a drawn condition that does not check, named with its line
        return
    generated = assessor.generated()
    for drawn in answers:
        lift = drawn.pop("lift")
        values = dict(drawn) | dict(zip(("lift_1", "lift_2", "lift_3"), lift or (None, None, None), strict=True))
        assert generated.decide(values) == assessor.decide_by_closures(values)
