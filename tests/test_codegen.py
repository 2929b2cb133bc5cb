"""The generated code agrees with the closures it stands in for: the same checked values, the same outcome."""

from __future__ import annotations

import ast
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecheck import Assessor, load_assessor
from carecheck.core.assessor import GENERATE_AFTER as _GENERATE_AFTER
from carecheck.core.codegen import _literal, evaluator
from carecheck.core.conditions import FIRED, ConditionError, Kind, NameInfo, Scope, compile_condition
from carecheck.core.errors import AnswersError
from carecheck.core.sampling import random_answers
from carecheck.load.loader import builtin_folder
from conftest import baseline_answers, with_alcohol
from test_fuzz import ASSESSOR, FUZZ, ITEM_IDS, keys, values


def test_random_answer_sets_are_checked_and_decided_alike(assessor: Assessor) -> None:
    rng = random.Random(17)
    generated = assessor.generated()
    for n in range(1500):
        answers = random_answers(assessor, rng, f"r{n}" if n % 3 else None)
        checked, warnings, _ = assessor.check(answers)
        assert warnings == ()
        outcome = assessor.decide_by_closures(checked)
        assert generated.check_and_decide(answers, True) == (checked, outcome)
        assert generated.check_and_decide(answers, False) == (None, outcome)
        assert generated.decide(checked) == outcome


@pytest.mark.slow
@FUZZ
@given(changes=st.dictionaries(keys, values, max_size=12), drop=st.lists(st.sampled_from(ITEM_IDS), max_size=5))
def test_any_answers_take_the_fast_check_only_when_the_full_check_agrees(
    changes: dict[str, Any], drop: list[str]
) -> None:
    answers = baseline_answers() | changes
    for item_id in drop:
        answers.pop(item_id, None)
    generated = ASSESSOR.generated()
    fast = generated.check_and_decide(answers, True)
    try:
        checked, warnings, _ = ASSESSOR.check(answers)
    except AnswersError:
        assert fast is None
        return
    outcome = ASSESSOR.decide_by_closures(checked)
    assert fast is None or (fast == (checked, outcome) and warnings == ())
    assert generated.decide(checked) == outcome


@pytest.mark.slow
@FUZZ
@given(data=st.data())
def test_any_answers_given_as_checked_values_are_decided_alike(data: st.DataObject) -> None:
    """Checked values a questionnaire's branching would never produce still get the same outcome both ways."""
    checked, _, _ = ASSESSOR.check(random_answers(ASSESSOR, random.Random(data.draw(st.integers(0, 10**6)))))
    for item in ASSESSOR.items:
        if data.draw(st.booleans()):
            domain = [None, *_samples(item.definition)]
            checked[item.id] = data.draw(st.sampled_from(domain))
    assert ASSESSOR.generated().decide(checked) == ASSESSOR.decide_by_closures(checked)


def _samples(definition: Any) -> list[Any]:
    kind = definition.type
    if kind == "integer":
        return [definition.min, definition.max, (definition.min + definition.max) // 2]
    if kind == "boolean":
        return [True, False]
    if kind == "choice":
        return [choice.value for choice in definition.choices]
    if kind == "multi":
        names = [str(choice.value) for choice in definition.choices]
        return [(), tuple(names[:1]), tuple(names[1:3]), tuple(names)]
    return ["", "a note"]


SCOPE = Scope(
    {
        "age": NameInfo(Kind.NUMBER),
        "n.total": NameInfo(Kind.NUMBER),
        "flag": NameInfo(Kind.BOOL),
        "housing": NameInfo(Kind.TEXT, frozenset({"stable", "none"})),
        "drugs": NameInfo(Kind.LIST, frozenset({"a", "b", "c"})),
        "anything": NameInfo(Kind.ANY),
    },
    rule_ids=frozenset({"r-one", "r-two"}),
)
ENVIRONMENTS = st.fixed_dictionaries(
    {
        "age": st.one_of(st.none(), st.integers(-3, 99)),
        "n.total": st.one_of(st.none(), st.integers(0, 5)),
        "flag": st.one_of(st.none(), st.booleans()),
        "housing": st.sampled_from([None, "stable", "none"]),
        "drugs": st.sampled_from([None, (), ("a",), ("b", "c")]),
        "anything": st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["a", "none"])),
        FIRED: st.sampled_from([frozenset(), frozenset({"r-one"}), frozenset({"r-one", "r-two"})]),
    }
)
NUMBERS = st.sampled_from(["age", "n.total", "anything", "3", "-1", "0", "count(flag, age > 3, 'a' in drugs)"])
COMPARED = st.tuples(NUMBERS, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), NUMBERS)
WORDS = st.tuples(
    st.sampled_from(["housing", "anything"]), st.sampled_from(["==", "!="]), st.sampled_from(["'stable'", "housing"])
)
MEMBERS = st.tuples(
    st.sampled_from(["'a'", "'b'", "anything", "housing"]),
    st.sampled_from(["in", "not in"]),
    st.sampled_from(["drugs", "anything", "['a', 'none']", "[]"]),
)
TESTS = st.one_of(
    st.sampled_from(["flag", "true", "false", "anything", "asked(age)", "asked(drugs)", "fired('r-one', 'r-two')"]),
    st.sampled_from(["has_any(drugs, 'a', 'c')", "drugs == []", "drugs != ['a']", "anything in [1, 'a']"]),
    COMPARED.map(" ".join),
    WORDS.map(" ".join),
    MEMBERS.map(" ".join),
)
CONDITIONS = st.recursive(
    TESTS,
    lambda inner: st.one_of(
        inner.map(lambda text: f"not ({text})"),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: " and ".join(f"({p})" for p in parts)),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: " or ".join(f"({p})" for p in parts)),
        st.tuples(st.sampled_from(["any", "all", "count"]), st.lists(inner, min_size=1, max_size=3)).map(
            lambda call: f"{call[0]}({', '.join(call[1])})"
        ),
        st.tuples(st.lists(inner, min_size=1, max_size=3), st.sampled_from(["== 1", ">= 2", "!= 0", "== true"])).map(
            lambda call: f"count({', '.join(call[0])}) {call[1]}"
        ),
    ),
    max_leaves=8,
)


@pytest.mark.slow
@FUZZ
@given(source=CONDITIONS, envs=st.lists(ENVIRONMENTS, max_size=6))
def test_generated_conditions_have_the_closures_values(source: str, envs: list[dict[str, Any]]) -> None:
    try:
        compiled = compile_condition(source, SCOPE)
    except ConditionError:
        return
    generated, as_test = evaluator(compiled), evaluator(compiled, as_test=True)
    for env in envs:
        try:
            expected: Any = compiled.evaluate(env)
        except TypeError as error:  # `anything < 3` with text: both must refuse alike
            expected = type(error)
        try:
            got: Any = generated(env)
        except TypeError as error:
            got = type(error)
        assert got == expected, compiled.source
        assert type(got) is type(expected), compiled.source
        if not isinstance(expected, type):
            assert bool(as_test(env)) is bool(expected), compiled.source


@pytest.mark.slow
def test_an_assessor_generates_code_only_once_it_serves_many_answer_sets(assessor: Assessor) -> None:
    fresh = Assessor(assessor.questionnaire, assessor.rules)
    rng = random.Random(23)
    answer_sets = [random_answers(fresh, rng, f"r{n}") for n in range(_GENERATE_AFTER + 20)]
    first = [fresh.assess(answers) for answers in answer_sets[:_GENERATE_AFTER]]
    assert fresh._generated is None  # a command-line run of one assessment does not pay for compiling
    rest = [fresh.assess(answers) for answers in answer_sets[_GENERATE_AFTER:]]
    assert fresh._generated is not None
    assert first + rest == [assessor.assess(answers) for answers in answer_sets]


def test_rules_nested_deeper_than_python_compiles_keep_to_the_closures(tmp_path: Path) -> None:
    rules = (builtin_folder("rules") / "level-of-care.yaml").read_text()
    assert rules.count('when: "psychosis"') == 1
    path = tmp_path / "deep.yaml"
    path.write_text(rules.replace('when: "psychosis"', 'when: "' + "not " * 300 + 'psychosis"'))
    deep = load_assessor(rules=str(path))
    rng = random.Random(29)
    for n in range(40):
        answers = random_answers(deep, rng, f"r{n}")
        assert deep.assess(answers)[:-1] == ASSESSOR.assess(answers)[:-1]  # all but the rule set's reference
    assert deep.generated().check_and_decide(baseline_answers(), False) is None


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"id": 7},
        {"id": "r-1"},
        {"id": None},
        {"pregnant": True},  # an optional item answered
        {"age": 12},  # the least and the most a number may be
        {"age": 120},
    ],
)
def test_answers_in_normal_form_take_the_fast_check(assessor: Assessor, changes: dict[str, Any]) -> None:
    for answers in (baseline_answers() | changes, with_alcohol(12, **changes)):
        _assert_fast(assessor, answers)


def _assert_fast(assessor: Assessor, answers: dict[str, Any]) -> None:
    checked, warnings, _ = assessor.check(answers)
    assert warnings == ()
    assert assessor.generated().check_and_decide(answers, True) == (checked, assessor.decide_by_closures(checked))


@pytest.mark.parametrize(
    "changes",
    [
        {"id": "r\u00e9"},  # ids that need the full check's word
        {"id": 7.5},
        {"id": True},
        {"id": ["r"]},
        {"nonsense": 1},  # not an item
        {"self_care": "yes"},  # to be converted
        {"age": "35"},
        {"age": 11},  # out of range
        {"age": 121},
        {"age": True},
        {"housing": "stabel"},
        {"readiness": None},  # a required answer missing
        {"audit_1": 0},  # an answer to an item not asked (no alcohol)
        {"substances": ["alcohol"]},  # the items it asks for, missing
        {"substances": ["wine"]},
        {"asq_5": True},  # asked only after a yes
    ],
)
def test_answers_the_full_check_must_convert_or_refuse_take_it(assessor: Assessor, changes: dict[str, Any]) -> None:
    answers = baseline_answers() | changes
    if answers.get("readiness", 0) is None:
        del answers["readiness"]
    assert assessor.generated().check_and_decide(answers, True) is None


@pytest.mark.parametrize("value", [1.5, frozenset({"a"}), ("a", 1.5), ["a"], object(), b"x"])
def test_only_literals_of_the_condition_language_are_written_into_code(value: Any) -> None:
    with pytest.raises(AssertionError, match="is not a literal of the condition language"):
        _literal(value)


@pytest.mark.parametrize("value", [None, True, 0, -3, "it's", ("a", 1, False), ()])
def test_a_literal_is_written_as_python_reads_it_back(value: Any) -> None:
    assert ast.literal_eval(_literal(value)) == value
