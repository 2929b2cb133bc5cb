"""Compiling definitions: instrument scoring and bands, placement levels read from answers, and reasons, each checked
through both the closures and the generated code on a small questionnaire and rule set written here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carecheck import Assessor, load_assessor
from carecheck.core.errors import AnswersError, DefinitionError

# An instrument scored from a minimum other than 0: each answer scores 1 to 3 points, `lift_3` reversed, so the
# total runs from 3 to 9.
INSTRUMENT = """id: lift
name: Lift scale
attribution:
  {{name: Lift scale, authors: Test authors, credit: Written for these tests., terms: Free to use,
   sources: [{{document: Written for these tests, year: 2026, gives: items and scoring}}]}}
items:
  - {{id: lift_1, type: choice, prompt: First?,
     choices: &points [{{value: 1, label: low}}, {{value: 2, label: mid}}, {{value: 3, label: high}}]}}
  - {{id: lift_2, type: choice, prompt: Second?, choices: *points}}
  - {{id: lift_3, type: choice, prompt: Third?, choices: *points}}
scoring:
  items: [lift_1, lift_2, lift_3]
  reverse: [lift_3]
  bands:
{bands}
"""
RANGED_BANDS = """    - {id: low, label: Low, min: 3, max: 4}
    - {id: middle, label: Middle, min: 5, max: 8}
    - {id: top, label: Top, min: 9}"""

QUESTIONNAIRE = """id: small
version: "1"
title: A small questionnaire
instruments:
  lift: lift.yaml
sections:
  - id: before
    title: Before
    items:
      - id: prior
        type: choice
        prompt: Which care did you have before?
        choices: [{value: outpatient, label: Outpatient}, {value: iop, label: IOP}, {value: unsure, label: Not sure}]
      - {id: days, type: integer, prompt: How many days?, min: 0, max: 30}
      - {id: note, type: text, prompt: Anything else?, required: false}
      - {id: alone, type: boolean, prompt: Alone?, required: false}
      - {id: kinds, type: multi, prompt: Which?, required: false, choices: [{value: a, label: A}, {value: b, label: B}]}
      - id: mood
        type: choice
        prompt: Mood?
        required: false
        choices: [{value: good, label: Good}, {value: low, label: Low}]
  - id: lift
    title: Lift
    instrument: lift
"""

RULES = """id: small-rules
version: "1"
title: Small rules
questionnaire: questionnaire.yaml
disclaimer: A test rule set.
guide: {{title: A guide, sections: [One]}}
criteria:
  - {{id: c, section: One, text: A criterion.}}
levels:
  - {{id: outpatient, name: Outpatient care, summary: s, setting: s, typical_week: w}}
  - {{id: iop, name: Intensive outpatient, summary: s, setting: s, typical_week: w}}
  - {{id: inpatient, name: Inpatient care, summary: s, setting: s, typical_week: w}}
placement:
{placement}
{extra}
suggestions: {{when: "true"}}
safety:
  crisis_heading: Help
  crisis_message: Help now.
  crisis_contacts: [{{name: "988", how: Call 988.}}]
  check_in_message: Talk soon.
  check_in_contacts: [{{name: "988", how: Call 988.}}]
finding_care:
  intro: Find care.
  checklist: [Ask.]
  contacts: [{{name: "988", how: Call 988.}}]
  section: One
"""
PLACEMENT = """  - id: stepped-up
    when: "asked(prior)"
    level: {item: prior, step: 1}
    reason: "{prior} was not enough."
    criteria: [c]
  - id: many-days
    when: "days >= 20"
    level: iop
    safety_note: true
    reason: "Use on {days} days."
    criteria: [c]
  - id: lift-top
    when: "lift.band == 'top'"
    level: inpatient
    urgent: true
    reason: "A lift total of {lift}"
    criteria: [c]"""


def write_definitions(
    folder: Path,
    *,
    bands: str = RANGED_BANDS,
    placement: str = PLACEMENT,
    questionnaire: str = QUESTIONNAIRE,
    extra: str = "",
) -> Path:
    """The small questionnaire and rule set in `folder` (`extra`: more sections of the rule set, such as derived
    values and notes); returns the rule set's path."""
    (folder / "lift.yaml").write_text(INSTRUMENT.format(bands=bands))
    (folder / "questionnaire.yaml").write_text(questionnaire)
    rules = folder / "rules.yaml"
    rules.write_text(RULES.format(placement=placement, extra=extra))
    return rules


def small_assessor(folder: Path, **changes: str) -> Assessor:
    return load_assessor(rules=str(write_definitions(folder, **changes)))


def load_error(folder: Path, **changes: str) -> str:
    with pytest.raises(DefinitionError) as caught:
        small_assessor(folder, **changes)
    return caught.value.message


def decided_both_ways(assessor: Assessor, values: dict[str, Any]) -> Any:
    """The outcome by the closures, after checking that the generated code gives the same, both from checked values
    and, where the values make a complete answer set, from the answers themselves."""
    checked = dict.fromkeys(item.id for item in assessor.items) | values
    outcome = assessor.decide_by_closures(checked)
    generated = assessor.generated()
    assert generated.decide(checked) == outcome
    answers = {key: value for key, value in values.items() if value is not None}
    try:
        fully_checked, warnings, _ = assessor.check(answers)
    except AnswersError:
        assert generated.check_and_decide(answers, True) is None
    else:
        fast = generated.check_and_decide(answers, True)
        assert fast == (fully_checked, assessor.decide_by_closures(fully_checked))
        assert warnings == ()
    return outcome


def line_of(path: Path, needle: str) -> int:
    return next(n for n, row in enumerate(path.read_text().splitlines(), 1) if needle in row)


# --- scoring from a minimum other than 0 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "total", "band"),
    [
        ((1, 1, 3), 3, "low"),  # the least total: every answer at its lowest points, the reversed one at its highest
        ((2, 1, 3), 4, "low"),
        ((1, 2, 2), 5, "middle"),
        ((3, 3, 2), 8, "middle"),
        ((3, 3, 1), 9, "top"),  # the most
        ((3, None, None), 3, "low"),  # one answer given: its points alone
        ((None, None, 1), 3, "low"),  # the reversed answer alone
    ],
)
def test_an_instrument_scored_from_one_gets_each_total_its_band(
    tmp_path: Path, answers: tuple[int | None, ...], total: int, band: str
) -> None:
    assessor = small_assessor(tmp_path)
    outcome = decided_both_ways(assessor, dict(zip(("lift_1", "lift_2", "lift_3"), answers, strict=True)))
    assert (outcome.scores["lift"].total, outcome.scores["lift"].band) == (total, band)


def test_an_instrument_with_no_answer_has_no_score(tmp_path: Path) -> None:
    outcome = decided_both_ways(small_assessor(tmp_path), {})
    assert "lift" not in outcome.scores


def test_the_range_of_totals_starts_at_the_least_points(tmp_path: Path) -> None:
    (instrument,) = small_assessor(tmp_path).definitions.instruments
    assert (instrument.minimum, instrument.maximum) == (3, 9)
    assert instrument.band_by_total == ("low", "low", "middle", "middle", "middle", "middle", "top")


def test_an_answer_that_may_be_left_out_widens_the_totals_the_bands_must_cover(tmp_path: Path) -> None:
    """The first answer is optional and the second asked only after a 3 to the first: one answered alone scores from
    1 point, below the 3 every answer together scores at least."""
    rules = write_definitions(tmp_path)
    instrument = tmp_path / "lift.yaml"
    instrument.write_text(instrument.read_text().replace("{id: lift_1,", "{id: lift_1, required: false,", 1))
    instrument.write_text(instrument.read_text().replace("{id: lift_2,", '{id: lift_2, when: "lift_1 == 3",', 1))
    with pytest.raises(DefinitionError) as caught:
        load_assessor(rules=str(rules))
    assert caught.value.message == (
        f"{instrument}:{line_of(instrument, 'bands:')}: instrument 'lift': a total of 1 falls in no band; totals "
        "run from 1 to 9, and each must fall in exactly one band"
    )
    instrument.write_text(
        instrument.read_text().replace("{id: low, label: Low, min: 3,", "{id: low, label: Low, min: 1,")
    )
    assessor = load_assessor(rules=str(rules))
    outcome = decided_both_ways(assessor, {"lift_3": 3})
    assert outcome.scores["lift"] == (1, "low")
    assert decided_both_ways(assessor, {"lift_1": 3, "lift_2": 3, "lift_3": 1}).scores["lift"] == (9, "top")


# --- band checks --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        (
            "    - {id: low, label: Low, min: 3, max: 5}\n    - {id: top, label: Top, min: 5}",
            "instrument 'lift': a total of 5 falls in more than one band (low, top); totals run from 3 to 9, and each "
            "must fall in exactly one band",
        ),
        (
            "    - {id: low, label: Low, max: 4}\n    - {id: top, label: Top, min: 5, max: 8}",
            "instrument 'lift': a total of 9 falls in no band; totals run from 3 to 9, and each must fall in exactly "
            "one band",
        ),
        (
            "    - {id: low, label: Low, min: 4, max: 6}\n    - {id: top, label: Top, min: 7}",
            "instrument 'lift': a total of 3 falls in no band; totals run from 3 to 9, and each must fall in exactly "
            "one band",
        ),
    ],
    ids=["overlapping", "short-of-the-maximum", "short-of-the-minimum"],
)
def test_ranged_bands_must_give_each_total_exactly_one_band(tmp_path: Path, bands: str, message: str) -> None:
    placement = PLACEMENT.replace("lift.band == 'top'", "lift >= 9")
    assert load_error(tmp_path, bands=bands, placement=placement) == (
        f"{tmp_path / 'lift.yaml'}:{line_of(tmp_path / 'lift.yaml', 'bands:')}: {message}"
    )


@pytest.mark.parametrize(
    "last",
    ['{id: top, label: Top, when: "lift_1 == 3"}', "{id: top, label: Top, min: 0}"],
)
def test_the_last_of_condition_bands_must_hold_always(tmp_path: Path, last: str) -> None:
    bands = f'    - {{id: low, label: Low, when: "lift_1 == 1"}}\n    - {last}'
    assert load_error(tmp_path, bands=bands) == (
        f"{tmp_path / 'lift.yaml'}:{line_of(tmp_path / 'lift.yaml', '{id: top')}: instrument 'lift': the last band "
        'must have `when: "true"` so that every answer set gets a band'
    )


@pytest.mark.parametrize(
    ("answers", "band"),
    [
        ({"lift_1": 1, "lift_2": 1, "lift_3": 1}, "low"),  # the first band that holds, though `middle` holds too
        ({"lift_1": 2, "lift_2": 1, "lift_3": 1}, "middle"),
        ({"lift_1": 3, "lift_2": 3, "lift_3": 3}, "top"),
        ({"lift_1": 3, "lift_2": None, "lift_3": None}, "top"),
        ({}, None),  # no answer: no score at all
    ],
)
def test_condition_bands_are_tried_in_order(tmp_path: Path, answers: dict[str, Any], band: str | None) -> None:
    bands = (
        '    - {id: low, label: Low, when: "lift_1 == 1"}\n'
        '    - {id: middle, label: Middle, when: "lift_1 <= 2 and asked(lift_2)"}\n'
        '    - {id: top, label: Top, when: " true "}'
    )
    outcome = decided_both_ways(small_assessor(tmp_path, bands=bands), answers)
    assert (outcome.scores["lift"].band if band else outcome.scores.get("lift")) == band


# --- placement: a level read from an answer -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            "priorr",
            "level.item 'priorr' must be a single-choice item whose choices are level ids (did you mean 'prior'?)",
        ),
        ("days", "level.item 'days' must be a single-choice item whose choices are level ids"),
        ("lift", "level.item 'lift' must be a single-choice item whose choices are level ids"),
    ],
    ids=["unknown", "a-number", "a-score"],
)
def test_a_level_read_from_an_item_needs_a_choice_item(tmp_path: Path, item: str, message: str) -> None:
    rules = tmp_path / "rules.yaml"
    error = load_error(tmp_path, placement=PLACEMENT.replace("{item: prior,", f"{{item: {item},"))
    assert error == f"{rules}:{line_of(rules, '{item: ')}: {message}"


def test_a_level_read_from_an_item_needs_a_choice_that_names_a_level(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    error = load_error(tmp_path, placement=PLACEMENT.replace("{item: prior,", "{item: mood,"))
    assert error == f"{rules}:{line_of(rules, '{item: ')}: none of the choices of 'mood' is a level id"


@pytest.mark.parametrize(
    ("prior", "step", "days", "level", "reasons"),
    [
        ("outpatient", 1, 0, "iop", ["Outpatient care was not enough."]),
        ("outpatient", 0, 0, "outpatient", ["Outpatient care was not enough."]),
        ("iop", 1, 0, "inpatient", ["Intensive outpatient was not enough."]),
        ("iop", 3, 0, "inpatient", ["Intensive outpatient was not enough."]),  # no higher than the top level
        ("unsure", 1, 0, "outpatient", []),  # an answer that names no level: the rule does not fire
        ("unsure", 1, 25, "iop", ["Use on 25 days."]),  # ... and the rules after it still do
        (None, 1, 25, "iop", ["Use on 25 days."]),
        ("outpatient", 1, 25, "iop", ["Outpatient care was not enough.", "Use on 25 days."]),
    ],
)
def test_a_level_read_from_an_answer_is_stepped_up_and_capped(
    tmp_path: Path, prior: str | None, step: int, days: int, level: str, reasons: list[str]
) -> None:
    assessor = small_assessor(tmp_path, placement=PLACEMENT.replace("step: 1", f"step: {step}"))
    outcome = decided_both_ways(assessor, {"prior": prior, "days": days})
    assert assessor.levels[outcome.final] == level
    assert [text for _, _, text, _ in outcome.fired] == reasons


# --- reasons ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "said"),
    [
        ("{prior} was not enough.", "Intensive outpatient was not enough."),  # starts with a placeholder
        ("Before: {prior}", "Before: Intensive outpatient"),  # ends with one
        ("{prior}", "Intensive outpatient"),
        ("{prior}{days}", "Intensive outpatient7"),
        ("Before: {prior}, for {days} days ({note}).", "Before: Intensive outpatient, for 7 days (not answered)."),
        ("No placeholder at all.", "No placeholder at all."),
        ("{kinds}; {alone}; {lift}; {lift.band}", "a, b; yes; 3; low"),
    ],
)
def test_a_reason_is_filled_alike_wherever_its_placeholders_stand(tmp_path: Path, reason: str, said: str) -> None:
    placement = PLACEMENT.replace('"{prior} was not enough."', repr(reason).replace("'", '"'))
    answers = {"prior": "iop", "days": 7, "lift_1": 1, "lift_2": 1, "lift_3": 3, "alone": True, "kinds": ("a", "b")}
    outcome = decided_both_ways(small_assessor(tmp_path, placement=placement), answers)
    assert outcome.fired[0][2] == said


@pytest.mark.parametrize(
    ("answers", "said"),
    [
        ({"prior": "unsure", "kinds": (), "alone": False}, "unsure; none; no"),  # a choice that names no level
        ({"prior": "outpatient", "kinds": ("b",)}, "Outpatient care; b; not answered"),
    ],
)
def test_values_are_said_in_words(tmp_path: Path, answers: dict[str, Any], said: str) -> None:
    placement = PLACEMENT.replace("days >= 20", "true").replace('"Use on {days} days."', '"{prior}; {kinds}; {alone}"')
    outcome = decided_both_ways(small_assessor(tmp_path, placement=placement), {"days": 3} | answers)
    assert [text for index, _, text, _ in outcome.fired if index == 1] == [said]


@pytest.mark.parametrize(
    ("days", "lift", "urgent", "safety_note"),
    [
        (19, (1, 1, 3), False, False),
        (20, (1, 1, 3), False, True),  # a safety note from the rule on days
        (3, (3, 3, 1), True, False),  # urgent from the rule on the lift band
        (30, (3, 3, 1), True, True),
    ],
)
def test_urgent_and_safety_note_come_from_the_rules_that_fired(
    tmp_path: Path, days: int, lift: tuple[int, ...], urgent: bool, safety_note: bool
) -> None:
    assessor = small_assessor(tmp_path)
    answers = {"prior": "unsure", "days": days} | dict(zip(("lift_1", "lift_2", "lift_3"), lift, strict=True))
    outcome = decided_both_ways(assessor, answers)
    assert (outcome.urgent, outcome.safety_note) == (urgent, safety_note)
    assert assessor.generated().check_and_decide(answers, False) == (None, outcome)  # complete: the fast path
    assert assessor.safety(dict.fromkeys(item.id for item in assessor.items) | answers) == (urgent, safety_note)
    assert assessor.safety(dict.fromkeys(item.id for item in assessor.items) | {"days": days}) == (False, safety_note)


# --- derived values ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "condition", "error"),
    [
        ("[1, 3], otherwise: 0", "d >= 2", None),  # whole numbers: a number
        ("[1, 3], otherwise: 0", "d == 'x'", "`==` compares a number value with a text value"),
        ("[1, 3]", "d >= 2", None),  # no otherwise: absent when no case holds, still a number
        ("[true, false], otherwise: false", "d == true", None),  # yes/no
        ("[true, false], otherwise: false", "d >= 1", "`>=` compares numbers, not yes/no with number"),
        ("[low, high], otherwise: none", "d == 'high'", None),  # words: those words only
        ("[low, high], otherwise: none", "d == 'none'", None),
        ("[low, high], otherwise: none", "d == 'hihg'", "'hihg' is not a value of 'd' (did you mean 'high'?)"),
        ("[low, high]", "d == 'none'", "'none' is not a value of 'd'"),
        ("[1, high], otherwise: 0", "d == 'high' or d >= 1", None),  # a mix: anything goes
        ("[true, 2], otherwise: 0", "d == true or d == 2", None),  # a yes/no is no number
    ],
)
def test_a_derived_value_has_the_kind_and_values_of_its_cases(
    tmp_path: Path, values: str, condition: str, error: str | None
) -> None:
    listed, _, otherwise = values.partition("], ")
    cases = ", ".join(
        f"{{when: 'days >= {n}', value: {value.strip()}}}" for n, value in enumerate(listed.strip("[]").split(","))
    )
    otherwise = f", {otherwise}" if otherwise else ""
    extra = f"derived:\n  - {{id: d, description: A derived value, cases: [{cases}]{otherwise}}}"
    placement = PLACEMENT.replace("days >= 20", condition)
    if error is None:  # the value both ways, for a few days on either side of the cases
        assessor = small_assessor(tmp_path, placement=placement, extra=extra)
        for days in (None, 0, 1, 2):
            decided_both_ways(assessor, {"days": days})
    else:
        assert error in load_error(tmp_path, placement=placement, extra=extra)


def test_the_record_id_key_cannot_be_an_item(tmp_path: Path) -> None:
    questionnaire = QUESTIONNAIRE.replace("{id: days,", "{id: id,")
    placement = PLACEMENT.replace("days", "prior")
    error = load_error(tmp_path, questionnaire=questionnaire, placement=placement)
    assert "item id 'id' is used twice (or is the reserved key `id`); give each item its own id" in error


def test_an_answer_that_may_be_left_out_and_scores_below_zero_widens_the_totals_both_ways(tmp_path: Path) -> None:
    """The second answer, optional, scores -3 or -1: the totals run from -1 (1 - 3 + 1) to 6 (3 + 3, without it)."""
    rules = write_definitions(
        tmp_path,
        bands="    - {id: low, label: Low, min: -1, max: 2}\n"
        "    - {id: middle, label: Middle, min: 3, max: 5}\n"
        "    - {id: top, label: Top, min: 6, max: 6}",
    )
    instrument = tmp_path / "lift.yaml"
    instrument.write_text(
        instrument.read_text().replace(
            "{id: lift_2, type: choice, prompt: Second?, choices: *points}",
            "{id: lift_2, type: choice, prompt: Second?, required: false,\n"
            "     choices: [{value: -3, label: much less}, {value: -1, label: less}]}",
        )
    )
    assessor = load_assessor(rules=str(rules))
    (compiled,) = assessor.definitions.instruments
    assert (compiled.minimum, compiled.maximum) == (-1, 6)
    for answers, score in [
        ((1, -3, 3), (-1, "low")),
        ((1, None, 3), (2, "low")),
        ((2, -1, 2), (3, "middle")),
        ((3, -1, 1), (5, "middle")),
        ((3, None, 1), (6, "top")),
    ]:
        outcome = decided_both_ways(assessor, dict(zip(("lift_1", "lift_2", "lift_3"), answers, strict=True)))
        assert outcome.scores["lift"] == score


def test_a_level_item_is_suggested_only_among_single_choice_items_that_name_levels(tmp_path: Path) -> None:
    questionnaire = QUESTIONNAIRE.replace("{value: b, label: B}", "{value: iop, label: IOP}")  # a multiple choice
    rules = tmp_path / "rules.yaml"
    error = load_error(
        tmp_path, questionnaire=questionnaire, placement=PLACEMENT.replace("{item: prior,", "{item: kind,")
    )
    assert error == (
        f"{rules}:{line_of(rules, '{item: ')}: level.item 'kind' must be a single-choice item whose choices are "
        "level ids"
    )
