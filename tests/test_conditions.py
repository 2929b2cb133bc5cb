"""The condition language: parsing, checking against known names, and absent-value semantics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from carecheck.core.conditions import FIRED, ConditionError, Kind, NameInfo, Scope, compile_condition, parse
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
    ],
)
def test_faults_are_named_with_a_fix(source: str, message: str) -> None:
    with pytest.raises(ConditionError) as caught:
        compile_condition(source, SCOPE)
    assert message in caught.value.message


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
