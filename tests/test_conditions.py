"""The condition language: parsing, checking against known names, and absent-value semantics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from carecheck.core.codegen import evaluator
from carecheck.core.conditions import (
    FIRED,
    ConditionError,
    Kind,
    NameInfo,
    Scope,
    Trace,
    compile_condition,
    parse,
    trace,
    unparse,
)
from carecheck.load.loader import builtin_folder
from conftest import run_carecheck

SCOPE = Scope(
    {
        "age": NameInfo(Kind.NUMBER),
        "withdrawal_now": NameInfo(Kind.BOOL),
        "housing": NameInfo(Kind.TEXT, frozenset({"stable", "unstable", "none"})),
        "substances": NameInfo(Kind.LIST, frozenset({"alcohol", "cannabis", "opioids"})),
        "asq.band": NameInfo(Kind.TEXT, frozenset({"negative", "acute-positive"})),
        "phq9_9": NameInfo(Kind.NUMBER, frozenset({0, 1, 2, 3})),
    },
    rule_ids=frozenset({"safety-acute", "withdrawal-now"}),
)


def holds(source: str, **env: Any) -> bool:
    full = dict.fromkeys(SCOPE.names) | {FIRED: frozenset()} | env
    return compile_condition(source, SCOPE).holds(full)


@pytest.mark.parametrize(
    ("source", "env", "expected"),
    [
        ("age >= 18", {"age": 18}, True),
        ("age >= 18", {"age": 17}, False),
        ("age < 18 or housing == 'none'", {"age": 30, "housing": "none"}, True),
        ("withdrawal_now and housing != 'stable'", {"withdrawal_now": True, "housing": "unstable"}, True),
        ("not withdrawal_now", {"withdrawal_now": False}, True),
        ("'alcohol' in substances", {"substances": ("alcohol",)}, True),
        ("'alcohol' not in substances", {"substances": ("cannabis",)}, True),
        ("housing in ['stable', 'unstable']", {"housing": "none"}, False),
        ("has_any(substances, 'cannabis', 'opioids')", {"substances": ("alcohol", "opioids")}, True),
        ("has_any(substances, 'cannabis', 'opioids')", {"substances": ()}, False),
        ("substances != []", {"substances": ()}, False),
        ("count(withdrawal_now, age >= 18, housing == 'none') >= 2", {"withdrawal_now": True, "age": 20}, True),
        ("any(withdrawal_now, age > 60)", {"withdrawal_now": False, "age": 61}, True),
        ("all(withdrawal_now, age > 60)", {"withdrawal_now": True, "age": 61}, True),
        ("asq.band == 'acute-positive'", {"asq.band": "acute-positive"}, True),
        ("phq9_9 >= 1", {"phq9_9": 1}, True),
        ("(age > 10 and age < 20) or withdrawal_now", {"age": 15, "withdrawal_now": False}, True),
        ("fired('safety-acute')", {FIRED: frozenset({"safety-acute"})}, True),
        ("fired('safety-acute', 'withdrawal-now')", {FIRED: frozenset()}, False),
        ("true", {}, True),
    ],
)
def test_conditions_evaluate(source: str, env: dict[str, Any], expected: bool) -> None:
    assert holds(source, **env) is expected


@pytest.mark.parametrize(
    "source",
    [
        "age >= 18",
        "age < 18",
        "age == 0",
        "age != 5",
        "housing != 'none'",
        "'alcohol' in substances",
        "'alcohol' not in substances",
        "asked(age)",
        "withdrawal_now",
        "has_any(substances, 'alcohol')",
    ],
)
def test_an_absent_answer_makes_every_test_on_it_false(source: str) -> None:
    assert holds(source) is False


def test_not_of_an_absent_answer_is_true_so_policies_compare_explicitly() -> None:
    assert holds("not withdrawal_now") is True
    assert holds("withdrawal_now == false") is False


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("agee >= 18", "unknown name 'agee' (did you mean 'age'?)"),
        ("housing == 'stabel'", "'stabel' is not a value of 'housing' (did you mean 'stable'?)"),
        ("'alcohl' in substances", "'alcohl' is not a value of 'substances' (did you mean 'alcohol'?)"),
        ("has_any(substances, 'beer')", "'beer' is not a value of 'substances'"),
        ("asq.band == 'acute'", "'acute' is not a value of 'asq.band'"),
        ("age >= 'old'", "compares numbers"),
        ("housing == 3", "compares a text value with a number value"),
        ("age = 18", "use `==` to compare"),
        ("age >= 18 and", "expected a name, a number or a 'word', found the end of the condition"),
        ("(age >= 18", "expected ')'"),
        ("age >= 18 withdrawal_now", "missing `and` or `or`"),
        ("10 < age < 20", "cannot be chained"),
        ("True", "did you mean 'true'"),
        ("lenn(substances)", "unknown function 'lenn'"),
        ("fired('safety')", "no placement rule is called 'safety'"),
        ("", "the condition is empty"),
        ("age >= 18 ; import os", "unexpected character ';'"),
        ("__import__('os')", "unknown function '__import__'"),
        (
            "any(withdrawal_now withdrawal_now)",
            "expected `,` or `)` after an argument of any(), found 'withdrawal_now'",
        ),
        ("count(age > 1, age", "expected `,` or `)` after an argument of count(), found the end of the condition"),
        ("housing in ['stable' 'none']", "expected `,` or `]` after a list item, found \"'none'\""),
        ("housing in ['stabel']", "'stabel' is not a value of 'housing' (did you mean 'stable'?)"),
        ("housing not in ['none', 'stabel']", "'stabel' is not a value of 'housing' (did you mean 'stable'?)"),
        ("housing in [age]", "a list holds only numbers and 'words'"),
        ("housing == true", "`==` compares a text value with a yes/no value"),
        ("phq9_9 >= true", "`>=` compares numbers, not number with yes/no"),
        ("any()", "any() needs at least one argument"),
        ("asked(age, housing)", "asked() takes one name"),
        ("asked(age > 3)", "asked() takes one name"),
        ("has_any(substances)", "has_any() takes a multiple-choice item and the values to look for"),
        ("has_any(housing, 'none')", "has_any() needs a list, and 'housing' is not one"),
        ("has_any(substances, age)", "has_any() looks for fixed 'words'"),
        ("fired(safety)", "fired() takes placement rule ids in quotes"),
        ("substances in ['alcohol']", "`in` tests one value: use has_any(list, ...) for lists"),
        ("'alcohol' in housing", "`in` needs a list on its right, such as a multiple-choice item"),
        ("age ` 3", "unexpected character '`' (use 'single quotes' around words)"),
        ("(age > 3 age", "expected ')', found 'age'"),
        ("age 3 in [3]", "unexpected '3' (missing `and` or `or`?)"),
        ("housing 'none' in substances", "unexpected \"'none'\" (missing `and` or `or`?)"),
        ("phq9_9 in [count(withdrawal_now)]", "a list holds only numbers and 'words'"),
        ("has_any(substances, count(withdrawal_now))", "has_any() looks for fixed 'words'"),
        ("has_any(not substances, 'alcohol')", "has_any() takes a multiple-choice item and the values to look for"),
        ("fired(asked(age))", "fired() takes placement rule ids in quotes"),
        ("fired('safety-acute', 3)", "fired() takes placement rule ids in quotes"),
    ],
)
def test_faults_are_named_with_a_fix(source: str, message: str) -> None:
    with pytest.raises(ConditionError) as caught:
        compile_condition(source, SCOPE)
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("(age > 3", "expected ')', found the end of the condition"),
        ("(age > 3 age", "expected ')', found 'age'"),
        ("withdrawal_now not withdrawal_now", "unexpected 'not' (missing `and` or `or`?)"),
        ("and age > 3", "expected a name, a number or a 'word', found 'and'"),
        ("age == != 3", "expected a name, a number or a 'word', found '!='"),
        ("age == ) 3", "expected a name, a number or a 'word', found ')'"),
        ("any(age > 3", "expected `,` or `)` after an argument of any(), found the end of the condition"),
        ("housing in ['stable' and 'none']", "expected `,` or `]` after a list item, found 'and'"),
    ],
)
def test_a_parse_fault_says_what_was_expected_and_what_was_found(source: str, message: str) -> None:
    with pytest.raises(ConditionError) as caught:
        compile_condition(source, SCOPE)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("age > 3 ;", "unexpected character ';'"),
        ("age > 3 !", "unexpected character '!'"),
        ("age = 3", "unexpected character '=' (use `==` to compare)"),
        ("housing == \u2018none\u2019", "unexpected character '\u2018' (use 'single quotes' around words)"),
        ("housing == `none`", "unexpected character '`' (use 'single quotes' around words)"),
    ],
)
def test_a_character_the_language_does_not_know_is_named_with_a_hint_only_where_one_helps(
    source: str, message: str
) -> None:
    with pytest.raises(ConditionError) as caught:
        compile_condition(source, SCOPE)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("source", "column"),
    [
        ("any(withdrawal_now withdrawal_now)", 20),
        ("housing in ['stable', 'stabel']", 23),
        ("  agee > 3", 3),
        ("age > 3 ;", 9),
        ("(age > 3", 9),
        ("age > 3 withdrawal_now", 9),
        ("has_any(substances, 'beer')", 21),
        ("age > 3;", 8),
        ("age >= 18 and", 14),
        ("age >= 18 and ", 15),
    ],
)
def test_the_column_points_at_the_fault(source: str, column: int) -> None:  # counted from 1
    with pytest.raises(ConditionError) as caught:
        compile_condition(source, SCOPE)
    assert caught.value.column == column


@pytest.mark.parametrize(
    ("source", "env", "expected"),
    [
        ("true", {}, True),
        ("false", {}, False),
        ("not true", {}, False),
        ("withdrawal_now == true", {"withdrawal_now": True}, True),
        ("withdrawal_now == true", {"withdrawal_now": False}, False),
        ("withdrawal_now == true", {}, False),
        ("withdrawal_now != true", {"withdrawal_now": False}, True),
        ("withdrawal_now != true", {}, False),
        ("withdrawal_now == false", {"withdrawal_now": False}, True),
        ("true == withdrawal_now", {"withdrawal_now": True}, True),
        ("withdrawal_now in [true]", {"withdrawal_now": True}, True),
        ("withdrawal_now in [true]", {"withdrawal_now": False}, False),
        ("(not withdrawal_now) == true", {"withdrawal_now": False}, True),
        ("any(withdrawal_now) == true", {"withdrawal_now": True}, True),
        ("has_any(substances, 'alcohol') != asked(age)", {"substances": ("alcohol",)}, True),
        ("withdrawal_now or housing == 'none' or age > 60", {"age": 61}, True),
        ("withdrawal_now or housing == 'none' or age > 60", {"age": 60}, False),
        (
            "withdrawal_now and housing == 'none' and age > 60",
            {"withdrawal_now": True, "housing": "none", "age": 61},
            True,
        ),
        (
            "withdrawal_now and housing == 'none' and age > 60",
            {"withdrawal_now": True, "housing": "none", "age": 6},
            False,
        ),
        ("any(withdrawal_now, false, age > 60, true)", {}, True),
        ("all(true, withdrawal_now, age > 60, true)", {"withdrawal_now": True, "age": 61}, True),
        ("all(true, withdrawal_now, age > 60, true)", {"withdrawal_now": True, "age": 60}, False),
        ("(not withdrawal_now) != true", {"withdrawal_now": False}, False),
        ("(withdrawal_now or age > 3) == true", {"age": 4}, True),
        ("'stable' in ['stable', 'none']", {}, True),
        ("'stable' not in ['stable', 'none']", {}, False),
        ("3 in [1, 3]", {}, True),
        ("count(true, false, true) == 2", {}, True),
        ("any(false, withdrawal_now)", {"withdrawal_now": True}, True),
        ("all(true, withdrawal_now)", {"withdrawal_now": False}, False),
    ],
)
def test_the_literals_true_and_false_are_yes_no_values(source: str, env: dict[str, Any], expected: bool) -> None:
    assert holds(source, **env) is expected
    compiled = compile_condition(source, SCOPE)
    full = dict.fromkeys(SCOPE.names) | {FIRED: frozenset()} | env
    assert bool(evaluator(compiled)(full)) is expected


def test_errors_carry_the_column_of_the_fault() -> None:
    with pytest.raises(ConditionError) as caught:
        compile_condition("age >= 18 and agee < 3", SCOPE)
    assert caught.value.column == 15


def test_fired_is_refused_where_placement_is_not_yet_known() -> None:
    with pytest.raises(ConditionError, match="only available in suggestions and notes"):
        compile_condition("fired('safety-acute')", Scope(SCOPE.names))


def test_names_read_are_recorded_in_order() -> None:
    compiled = compile_condition("housing == 'none' or age > 3 and housing != 'stable'", SCOPE)
    assert compiled.names == ("housing", "age")


def test_parse_gives_a_tree_not_code() -> None:
    tree = parse("not (age >= 18)")
    assert tree.op == "not"
    assert tree.args[0].op == ">="


@pytest.mark.parametrize(
    "text",
    ["(" * 400 + "age > 1" + ")" * 400, "not " * 2000 + "age > 1", "any(" * 400 + "x" + ")" * 400, "[" * 400],
    ids=["brackets", "nots", "calls", "lists"],
)
def test_a_condition_nested_hundreds_deep_is_refused_with_a_column(text: str) -> None:
    with pytest.raises(ConditionError, match=r"nests too deeply \(at most 100 brackets, or 400 `not`s") as caught:
        parse(text)
    assert caught.value.column <= 4 * 401  # where the level past the limit opens: the fault is named where it starts


def test_a_number_of_thousands_of_digits_in_a_condition_is_refused() -> None:
    with pytest.raises(ConditionError, match="a number of 1,500 digits"):
        parse("age > " + "9" * 1500)


@pytest.mark.slow
def test_deep_conditions_and_huge_numbers_in_rule_files_exit_3(tmp_path: Path) -> None:
    for name, condition in (("deep", "(" * 400 + "age > 1" + ")" * 400), ("big", "age > " + "9" * 1500)):
        rules = tmp_path / f"{name}.yaml"
        rule = {"id": "r", "when": condition, "level": "iop", "reason": "x", "criteria": ["inpatient-when-needed"]}
        rules.write_text(f"extends: level-of-care\nid: m\nversion: '1'\nplacement: [{json.dumps(rule)}]\n")
        process = run_carecheck("validate", str(rules), expect_exit=3)
        assert "something went wrong" not in process.stderr + process.stdout
    derived = tmp_path / "derived.yaml"
    source = builtin_folder("rules") / "level-of-care.yaml"
    derived.write_text(source.read_text().replace("        value: 3\n", "        value: " + "9" * 5000 + "\n", 1))
    process = run_carecheck("validate", str(derived), expect_exit=3)
    assert "a number of 5,000 digits" in process.stdout


def test_conditions_just_inside_the_nesting_limit_compile() -> None:
    for text in (
        "(" * 99 + "age > 1" + ")" * 99,
        "not " * 396 + "age > 1",
        "(" * 49 + "not " * 199 + "age > 1" + ")" * 49,
    ):
        assert parse(text).op in ("not", ">")


# --- every operator, through both the closures and the generated code ----------------------------------------------

TABLE_SCOPE = Scope(
    {
        "left": NameInfo(Kind.NUMBER),
        "right": NameInfo(Kind.NUMBER),
        "flag": NameInfo(Kind.BOOL),
        "housing": NameInfo(Kind.TEXT, frozenset({"stable", "unstable", "none"})),
        "substances": NameInfo(Kind.LIST, frozenset({"alcohol", "cannabis", "none"})),
        "v": NameInfo(Kind.ANY),
    }
)


def both_ways(source: str, **env: Any) -> Any:
    """The condition's value by the closures, after checking that the generated code gives the same value (of the
    same type) and, read as a test, the same truth."""
    compiled = compile_condition(source, TABLE_SCOPE)
    full = dict.fromkeys(TABLE_SCOPE.names) | env
    value = compiled.evaluate(full)
    generated = evaluator(compiled)(full)
    assert (generated, type(generated)) == (value, type(value)), source
    assert bool(evaluator(compiled, as_test=True)(full)) is bool(value), source
    return value


@pytest.mark.parametrize(
    ("source", "housing", "expected"),
    [
        ("housing in ['stable', 'none']", "none", True),
        ("housing in ['stable', 'none']", "unstable", False),
        ("housing in ['stable', 'none']", None, False),
        ("housing not in ['stable', 'none']", "none", False),
        ("housing not in ['stable', 'none']", "unstable", True),
        ("housing not in ['stable', 'none']", None, False),  # absent: false, as every test on it
        ("not housing in ['stable', 'none']", "none", False),
        ("not housing in ['stable', 'none']", "unstable", True),
        ("not housing in ['stable', 'none']", None, True),  # `not` of a false test: true
        ("housing in []", "none", False),
        ("housing not in []", "none", True),
        ("housing not in []", None, False),
    ],
)
def test_not_in_is_neither_in_nor_a_bare_not_with_a_list_on_the_right(
    source: str, housing: str | None, expected: bool
) -> None:
    assert both_ways(source, housing=housing) is expected


@pytest.mark.parametrize(
    ("source", "substances", "expected"),
    [
        ("'alcohol' in substances", ("alcohol", "none"), True),
        ("'alcohol' in substances", ("cannabis",), False),
        ("'alcohol' in substances", (), False),
        ("'alcohol' in substances", None, False),
        ("'alcohol' not in substances", ("alcohol", "none"), False),
        ("'alcohol' not in substances", ("cannabis",), True),
        ("'alcohol' not in substances", (), True),
        ("'alcohol' not in substances", None, False),
        ("not 'alcohol' in substances", ("alcohol",), False),
        ("not 'alcohol' in substances", (), True),
        ("not 'alcohol' in substances", None, True),
    ],
)
def test_not_in_is_neither_in_nor_a_bare_not_with_an_answer_on_the_right(
    source: str, substances: tuple[str, ...] | None, expected: bool
) -> None:
    assert both_ways(source, substances=substances) is expected


@pytest.mark.parametrize(
    ("source", "housing", "substances", "expected"),
    [
        ("housing in substances", "none", ("alcohol", "none"), True),
        ("housing in substances", "stable", ("alcohol", "none"), False),
        ("housing in substances", None, ("none",), False),
        ("housing in substances", "none", None, False),
        ("housing not in substances", "none", ("alcohol", "none"), False),
        ("housing not in substances", "stable", ("alcohol", "none"), True),
        ("housing not in substances", None, ("none",), False),
        ("housing not in substances", "none", None, False),
        ("not housing in substances", "none", None, True),
        ("not housing in substances", "none", ("none",), False),
    ],
)
def test_not_in_between_two_answers(
    source: str, housing: str | None, substances: tuple[str, ...] | None, expected: bool
) -> None:
    assert both_ways(source, housing=housing, substances=substances) is expected


@pytest.mark.parametrize(
    ("source", "v", "expected"),
    [
        ("v in ['x', 1]", "x", True),
        ("v in ['x', 1]", 1, True),
        ("v in ['x', 1]", 2, False),
        ("v not in ['x', 1]", 2, True),
        ("v not in ['x', 1]", None, False),
        ("v in substances", "none", True),
        ("'none' in v", ("none",), True),
        ("'none' not in v", ("none",), False),
    ],
)
def test_a_value_of_any_kind_may_be_looked_for_and_in(source: str, v: Any, expected: bool) -> None:
    assert both_ways(source, v=v, substances=("none",)) is expected


@pytest.mark.parametrize(
    ("source", "flag", "expected"),
    [
        ("count(flag, flag, true) in [1]", False, True),
        ("count(flag, flag, true) in [1]", True, False),
        ("count(flag, flag, true) not in [1]", False, False),
        ("count(flag, flag, true) not in [1]", True, True),
        ("count(flag, flag, true) not in [1]", None, False),
        ("not count(flag, flag, true) in [1]", True, True),
    ],
)
def test_not_in_with_a_computed_value_on_the_left(source: str, flag: bool | None, expected: bool) -> None:
    assert both_ways(source, flag=flag) is expected


# For each pair (left, right): equal, one less, one more, each side absent, both absent.
PAIRS = [(3, 3), (2, 3), (4, 3), (None, 3), (3, None), (None, None)]
COMPARISONS = {
    "==": (True, False, False, False, False, False),
    "!=": (False, True, True, False, False, False),
    "<": (False, True, False, False, False, False),
    "<=": (True, True, False, False, False, False),
    ">": (False, False, True, False, False, False),
    ">=": (True, False, True, False, False, False),
}
# The same comparison written in each shape the closures and the generated code treat apart; `count(...)` of
# `left >= 1` ... `left >= 4` is `left` computed (and 0, not absent, when `left` is absent).
COMPUTED = "count(left >= 1, left >= 2, left >= 3, left >= 4)"
SHAPES = [
    "left {op} right",
    "left {op} {right}",
    "{left} {op} right",
    COMPUTED + " {op} right",
    COMPUTED + " {op} {right}",
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(("op", "expected"), COMPARISONS.items())
def test_each_comparison_of_equal_neighbouring_and_absent_values(
    op: str, expected: tuple[bool, ...], shape: str
) -> None:
    for (left, right), holds in zip(PAIRS, expected, strict=True):
        if left is None and ("{left}" in shape or shape.startswith("count")):
            continue  # a literal is never absent, nor is a count (of nothing, it is 0)
        if right is None and "{right}" in shape:
            continue
        source = shape.format(op=op, left=left, right=right)
        assert both_ways(source, left=left, right=right) is holds, source


# --- conditions back as text, and traced for `carecheck explain` ----------------------------------------------------


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("age>=18", "age >= 18"),
        ("(((age > 3)))", "age > 3"),
        ("not (age > 3)", "not age > 3"),
        ("not (withdrawal_now and age > 3)", "not (withdrawal_now and age > 3)"),
        ("not (withdrawal_now or age > 3)", "not (withdrawal_now or age > 3)"),
        ("(withdrawal_now or age > 3) and housing == 'none'", "(withdrawal_now or age > 3) and housing == 'none'"),
        ("withdrawal_now or (age > 3 and housing == 'none')", "withdrawal_now or (age > 3 and housing == 'none')"),
        ("withdrawal_now or age > 3 and housing == 'none'", "withdrawal_now or (age > 3 and housing == 'none')"),
        ("(withdrawal_now or age > 3) or true", "withdrawal_now or age > 3 or true"),
        ("housing not in [\"none\", 'stable']", "housing not in ['none', 'stable']"),
        ("housing in []", "housing in []"),
        ("phq9_9 in [1, 2]", "phq9_9 in [1, 2]"),
        ("any(withdrawal_now, false)", "any(withdrawal_now, false)"),
        ("count(withdrawal_now,age>3) >= 1", "count(withdrawal_now, age > 3) >= 1"),
        ("has_any(substances,'alcohol')", "has_any(substances, 'alcohol')"),
        ("fired('safety-acute')", "fired('safety-acute')"),
    ],
)
def test_a_tree_is_written_back_with_only_the_parentheses_it_needs(source: str, text: str) -> None:
    assert unparse(parse(source)) == text
    assert unparse(parse(text)) == text


def test_a_trace_shows_each_part_of_a_call_with_its_value() -> None:
    env = dict.fromkeys(SCOPE.names) | {"withdrawal_now": False, "age": 61, "substances": ("opioids",)}
    assert trace("any(withdrawal_now, age > 60)", SCOPE, env) == Trace(
        "any(withdrawal_now, age > 60)",
        True,
        (Trace("withdrawal_now", False, ()), Trace("age > 60", True, (Trace("age", 61, ()),))),
    )
    assert trace("count(withdrawal_now, age > 60, true) >= 2", SCOPE, env) == Trace(
        "count(withdrawal_now, age > 60, true) >= 2", True, ()
    )
    assert trace("count(withdrawal_now, age > 60, true)", SCOPE, env) == Trace(
        "count(withdrawal_now, age > 60, true)",
        2,
        (Trace("withdrawal_now", False, ()), Trace("age > 60", True, (Trace("age", 61, ()),)), Trace("true", True, ())),
    )
    assert trace("all(age > 60, not withdrawal_now)", SCOPE, env).parts[1] == Trace(
        "not withdrawal_now", True, (Trace("withdrawal_now", False, ()),)
    )
    assert trace("has_any(substances, 'opioids')", SCOPE, env) == Trace("has_any(substances, 'opioids')", True, ())
    assert trace("asked(housing)", SCOPE, env) == Trace("asked(housing)", False, ())


def test_a_trace_of_a_comparison_shows_the_names_it_reads() -> None:
    env = dict.fromkeys(SCOPE.names) | {"age": 20, "phq9_9": 3}
    assert trace("age > phq9_9", SCOPE, env) == Trace(
        "age > phq9_9", True, (Trace("age", 20, ()), Trace("phq9_9", 3, ()))
    )
    assert trace("'alcohol' not in substances", SCOPE, env) == Trace(
        "'alcohol' not in substances", False, (Trace("substances", None, ()),)
    )
