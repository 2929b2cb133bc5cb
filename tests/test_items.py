"""Each kind of item says in one place what its answers may be, how one is coerced or refused, sampled, stepped
towards more severe, and shown; the template, the answer errors and the JSON Schema all read it from there."""

from __future__ import annotations

import random
from typing import Any

import jsonschema
import pytest

from carecheck import AnswersError, Assessor
from carecheck.authoring.template import answer_template
from carecheck.core.definitions import BooleanItem, Choice, ChoiceItem, IntegerItem, MultiChoiceItem, TextItem
from carecheck.core.items import KINDS, YES_OR_NO, kind_of

DAYS = IntegerItem(id="days", prompt="Days?", type="integer", min=0, max=30, severity="ascending")
FLAG = BooleanItem(id="flag", prompt="Flag?", type="boolean", severity="ascending")
SUPPORT = ChoiceItem(
    id="support",
    prompt="Support?",
    type="choice",
    severity="descending",
    choices=[
        Choice(value="none", label="No one"),
        Choice(value="some", label="Some"),
        Choice(value="strong", label="A lot"),
    ],
)
POINTS = ChoiceItem(
    id="points",
    prompt="Points?",
    type="choice",
    choices=[Choice(value=0, label="Never"), Choice(value=2, label="Often")],
)
USES = MultiChoiceItem(
    id="uses",
    prompt="Uses?",
    type="multi",
    severity="ascending",
    choices=[Choice(value="alcohol", label="Alcohol"), Choice(value="opioids", label="Opioids")],
)
NOTE = TextItem(id="note", prompt="Note?", type="text", max_length=5)
EVERY_KIND = [DAYS, FLAG, SUPPORT, POINTS, USES, NOTE]


def test_every_kind_of_item_has_its_behaviour_in_the_table() -> None:
    assert set(KINDS) == {type(item) for item in EVERY_KIND}


@pytest.mark.parametrize(
    ("item", "words"),
    [
        (DAYS, "a whole number from 0 to 30"),
        (FLAG, "true or false (yes or no)"),
        (SUPPORT, "one of none, some, strong"),
        (POINTS, "one of 0, 2"),
        (USES, "a list of any of alcohol, opioids ([] for none)"),
        (NOTE, "text of at most 5 characters"),
    ],
)
def test_each_kind_says_its_answers_in_words(item: Any, words: str) -> None:
    assert kind_of(item).describe(item) == words


@pytest.mark.parametrize(
    ("item", "given", "normal"),
    [
        (DAYS, 7, 7),
        (DAYS, "7", 7),
        (DAYS, 7.0, 7),
        (FLAG, "Yes", True),
        (FLAG, False, False),
        (SUPPORT, "Some", "some"),
        (POINTS, "2", 2),
        (USES, ["opioids", "Alcohol"], ("alcohol", "opioids")),
        (USES, "alcohol", ("alcohol",)),
        (NOTE, "hi", "hi"),
    ],
)
def test_each_kind_takes_an_answer_in_its_normal_form(item: Any, given: Any, normal: Any) -> None:
    assert kind_of(item).coercer(item)(given) == normal


@pytest.mark.parametrize(
    ("item", "given", "message"),
    [
        (DAYS, 31, "must be a whole number from 0 to 30, got 31"),
        (DAYS, True, "must be a whole number from 0 to 30, got True"),
        (FLAG, "maybe", "must be true or false (yes or no), got 'maybe'"),
        (SUPPORT, "sume", "must be one of none, some, strong, got 'sume' (did you mean 'some'?)"),
        (POINTS, 1, "must be one of 0, 2, got 1"),
        (USES, ["beer"], "must be a list of any of alcohol, opioids ([] for none); 'beer' is not one of them"),
        (NOTE, "too long", "must be text of at most 5 characters, got 'too long'"),
    ],
)
def test_each_kind_refuses_what_it_does_not_take_saying_what_it_takes(item: Any, given: Any, message: str) -> None:
    with pytest.raises(ValueError, match=r"^must be") as refused:
        kind_of(item).coercer(item)(given)
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize("item", EVERY_KIND, ids=lambda item: item.id)
def test_samples_are_answers_the_kind_takes_and_its_json_schema_accepts(item: Any) -> None:
    kind, rng = kind_of(item), random.Random(3)
    for _ in range(50):
        for value in (kind.sample(item, rng), kind.sample_edges(item, rng)):
            kind.coercer(item)(value)
            jsonschema.validate(value, kind.json_schema(item))


@pytest.mark.parametrize(
    ("item", "least", "most"),
    [(DAYS, 0, 30), (FLAG, False, True), (SUPPORT, "strong", "none"), (USES, [], ["alcohol", "opioids"])],
)
def test_severity_orders_the_answers_of_each_kind(item: Any, least: Any, most: Any) -> None:
    kind = kind_of(item)
    assert kind.extreme(item, most_severe=False) == least
    assert kind.extreme(item, most_severe=True) == most


def test_one_step_more_severe_follows_the_severity_and_stops_at_the_end() -> None:
    assert kind_of(DAYS).stepped(DAYS, 29, None) == 30
    assert kind_of(DAYS).stepped(DAYS, 30, None) is None
    assert kind_of(SUPPORT).stepped(SUPPORT, "strong", None) == "some"
    assert kind_of(SUPPORT).stepped(SUPPORT, "none", None) is None
    assert kind_of(FLAG).stepped(FLAG, False, None) is True
    assert kind_of(USES).step_choices(USES, ["alcohol"]) == ["opioids"]
    assert kind_of(USES).stepped(USES, ["alcohol"], "opioids") == ["alcohol", "opioids"]


def test_only_numbers_yes_no_and_numbered_choices_score_points() -> None:
    assert kind_of(DAYS).points(DAYS) == (0, 30)
    assert kind_of(FLAG).points(FLAG) == (0, 1)
    assert kind_of(POINTS).points(POINTS) == (0, 2)
    assert kind_of(SUPPORT).points(SUPPORT) is None
    assert kind_of(USES).points(USES) is None
    assert kind_of(NOTE).points(NOTE) is None


def test_answers_are_shown_by_their_words() -> None:
    assert kind_of(SUPPORT).in_words(SUPPORT, "some") == "Some"
    assert kind_of(USES).in_words(USES, ("alcohol", "opioids")) == "Alcohol, Opioids"
    assert kind_of(USES).in_words(USES, ()) == "none"
    assert kind_of(FLAG).in_words(FLAG, True) == "yes"


def test_a_yes_no_item_is_worded_alike_in_the_template_and_in_an_answer_error(assessor: Assessor) -> None:
    template = answer_template(assessor)
    assert f"medical_unstable:   # {YES_OR_NO}" in template
    with pytest.raises(AnswersError) as refused:
        assessor.check({"medical_unstable": "perhaps"})
    (problem,) = [p for p in refused.value.problems if p.item == "medical_unstable"]
    assert problem.message == f"must be {YES_OR_NO}, got 'perhaps'"


# --- typed at a terminal: numbered from 1 with their words, never by score ------------------------------------


def typed_as(item: Any, text: str) -> Any:
    kind = kind_of(item)
    return kind.parse_typed(item, kind.coercer(item), text)


def test_scored_choices_are_numbered_from_1_by_position_not_by_score() -> None:
    assert kind_of(POINTS).typing_help(POINTS) == ["  1  Never", "  2  Often"]
    assert typed_as(POINTS, "2") == 2
    assert typed_as(POINTS, "1") == 0
    with pytest.raises(ValueError, match="from 1 to 2"):
        typed_as(POINTS, "0")


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", "none"), ("no one", "none"), ("SOME", "some"), ("a l", "strong"), ("  A   lot ", "strong")],
)
def test_a_choice_is_typed_by_its_number_its_words_or_their_unique_start(text: str, value: str) -> None:
    assert typed_as(SUPPORT, text) == value


def test_a_start_shared_by_two_choices_asks_for_more() -> None:
    item = ChoiceItem(
        id="often",
        prompt="How often?",
        type="choice",
        choices=[Choice(value=0, label="2 to 4 times a month"), Choice(value=1, label="2 to 3 times a week")],
    )
    with pytest.raises(ValueError, match=r"more than one choice \(1, 2\)"):
        typed_as(item, "2 to")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        *[("yes", True), ("Yeah", True), ("y", True), ("yep.", True), ("1", True)],
        *[("no", False), ("NOPE", False), ("n", False), ("nah", False), ("2", False)],
    ],
)
def test_yes_or_no_takes_everyday_words_and_the_numbers_shown(text: str, value: bool) -> None:
    assert typed_as(FLAG, text) is value
    assert kind_of(FLAG).typing_help(FLAG) == ["  1  Yes", "  2  No"]


def test_a_word_that_is_neither_yes_nor_no_is_asked_again() -> None:
    with pytest.raises(ValueError, match="must be yes or no"):
        typed_as(FLAG, "maybe")


def test_checklist_entries_may_be_words_as_well_as_numbers() -> None:
    labels = [c.label for c in USES.choices]
    assert typed_as(USES, f"1, {labels[1][:3]}") == [str(USES.choices[0].value), str(USES.choices[1].value)]
