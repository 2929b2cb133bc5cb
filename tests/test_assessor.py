"""The engine: answers checked against the questionnaire, rules checked against both, results built purely."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from carecheck import Assessor, load_assessor
from carecheck.core.assessor import GENERATE_AFTER
from carecheck.core.errors import AnswersError, DefinitionError
from carecheck.core.sampling import random_answers
from carecheck.load.loader import builtin_folder
from conftest import baseline_answers, with_alcohol, with_phq9

# --- answers ------------------------------------------------------------------------------------------------------


def problems(assessor: Assessor, answers: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(AnswersError) as caught:
        assessor.assess(answers)
    return {p.item: p.message for p in caught.value.problems}


@pytest.mark.parametrize(
    ("item", "value", "message"),
    [
        ("age", 7, "must be a whole number from 12 to 120, got 7"),
        ("age", "thirty", "must be a whole number from 12 to 120, got 'thirty'"),
        ("age", True, "must be a whole number from 12 to 120, got True"),
        ("age", 35.5, "must be a whole number from 12 to 120, got 35.5"),
        ("phq9_3", 7, "must be one of 0, 1, 2, 3, got 7"),
        ("self_care", "maybe", "must be true or false (yes or no), got 'maybe'"),
        ("housing", "stabel", "must be one of stable, unstable, none, got 'stabel' (did you mean 'stable'?)"),
        ("substances", ["alcohol", "wine"], "'wine' is not one of them"),
        ("substances", {"alcohol": True}, "must be a list of any of alcohol"),
        ("readiness", 11, "must be a whole number from 0 to 10, got 11"),
    ],
)
def test_a_bad_value_names_the_item_and_what_is_allowed(
    assessor: Assessor, item: str, value: Any, message: str
) -> None:
    assert message in problems(assessor, baseline_answers() | {item: value})[item]


def test_a_missing_item_is_named_with_its_domain(assessor: Assessor) -> None:
    answers = baseline_answers()
    del answers["readiness"]
    assert problems(assessor, answers) == {"readiness": "is missing; answer with a whole number from 0 to 10"}


def test_every_fault_is_listed_at_once(assessor: Assessor) -> None:
    answers = baseline_answers() | {"age": 5, "phq_1": 2}
    del answers["support"]
    assert set(problems(assessor, answers)) == {"age", "phq_1", "support"}


def test_an_unknown_id_suggests_the_nearest_real_one(assessor: Assessor) -> None:
    found = problems(assessor, baseline_answers() | {"phq_1": 1})
    assert found == {"phq_1": "is not an item of this questionnaire (did you mean 'phq9_1'?)"}


def test_an_answer_to_an_item_not_asked_is_dropped_with_a_warning(assessor: Assessor) -> None:
    result = assessor.assess(baseline_answers() | {"audit_1": 4, "asq_5": True})
    assert "audit" not in result.scores
    assert not result.urgent  # asq_5 is asked only after a yes to items 1-4
    assert any(w.startswith("audit_1: ignored") for w in result.warnings)
    assert any(w.startswith("asq_5: ignored") for w in result.warnings)


def test_optional_items_may_be_left_out_and_yes_no_strings_are_accepted(assessor: Assessor) -> None:
    result = assessor.assess(baseline_answers() | {"self_care": "yes", "psychosis": "No"})
    assert result.answers["self_care"] is True
    assert result.answers["psychosis"] is False
    assert result.answers["pregnant"] is None


def test_multiple_choices_come_back_in_questionnaire_order_without_repeats(assessor: Assessor) -> None:
    answers = with_alcohol(0) | {"substances": ["alcohol", "Alcohol"]}
    assert assessor.assess(answers).answers["substances"] == ("alcohol",)


def test_the_record_id_is_echoed_and_checked(assessor: Assessor) -> None:
    assert assessor.assess(baseline_answers() | {"id": "client-7"}).record_id == "client-7"
    assert "id" in problems(assessor, baseline_answers() | {"id": ["a"]})


# --- results ------------------------------------------------------------------------------------------------------


def test_reasons_name_the_answers_they_read(assessor: Assessor) -> None:
    result = assessor.assess(with_phq9(21))
    reason = next(r for r in result.reasons if r.rule == "depression-severe")
    assert reason.items == tuple(f"phq9_{i}" for i in range(1, 10))
    assert reason.criteria
    assert "21" in reason.text


def test_the_same_answers_give_equal_results_from_many_threads(assessor: Assessor) -> None:
    answer_sets = [with_alcohol(t) for t in range(41)] * 5
    alone = [assessor.assess(a) for a in answer_sets]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(assessor.assess, answer_sets))
    assert together == alone


def test_definition_hashes_identify_the_files(assessor: Assessor) -> None:
    result = assessor.assess(baseline_answers())
    assert result.questionnaire.id == "self-assessment"
    assert result.rules.id == "level-of-care"
    assert len(result.questionnaire.sha256) == len(result.rules.sha256) == 64


# --- rule sets checked against the questionnaire ------------------------------------------------------------------

RULES = builtin_folder("rules") / "level-of-care.yaml"


def _assessor_with(tmp_path: Path, old: str, new: str) -> tuple[Path, DefinitionError]:
    text = RULES.read_text()
    assert old in text, old
    path = tmp_path / "rules.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(DefinitionError) as caught:
        load_assessor(rules=str(path))
    return path, caught.value


def _line(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            '"medical_unstable"',
            '"medical_unstabel"',
            "medical_unstabel",
            "unknown name 'medical_unstabel' (did you mean 'medical_unstable'?)",
        ),
        ("housing == 'none'\"", "housing == 'homeless'\"", "homeless", "'homeless' is not a value of 'housing'"),
        ("level: php", "level: hospital", "level: hospital", "level 'hospital' is not one of outpatient, iop"),
        (
            "criteria: [inpatient-round-the-clock, inpatient-when-needed]\n",
            "criteria: [inpatient-round-the-clok]\n",
            "inpatient-round-the-clok",
            "no criterion is called 'inpatient-round-the-clok' (did you mean 'inpatient-round-the-clock'?)",
        ),
        (
            'section: "Types of IOPs"',
            'section: "Kinds of IOPs"',
            "Kinds of IOPs",
            "cites 'Kinds of IOPs', which is not a heading listed under guide.sections",
        ),
    ],
)
def test_a_rule_set_fault_names_file_and_line(tmp_path: Path, old: str, new: str, needle: str, message: str) -> None:
    path, error = _assessor_with(tmp_path, old, new)
    assert f"rules.yaml:{_line(path, needle)}:" in error.message
    assert message in error.message


def test_a_placeholder_that_names_nothing_is_a_load_error_at_its_key(tmp_path: Path) -> None:
    path, error = _assessor_with(tmp_path, "{phq9}", "{phq_9}")
    key_line = max(
        n for n, line in enumerate(path.read_text().splitlines(), 1) if "reason:" in line and n < _line(path, "{phq_9}")
    )
    assert f"rules.yaml:{key_line}: the placeholder {{phq_9}} names nothing known" in error.message


def test_a_band_gap_in_an_instrument_is_a_load_error(tmp_path: Path) -> None:
    source = builtin_folder("questionnaires")
    for item in source.rglob("*.yaml"):
        target = tmp_path / item.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(item.read_text())
    gad7 = tmp_path / "instruments" / "gad7.yaml"
    text = gad7.read_text()
    gad7.write_text(text.replace("max: 14", "max: 13", 1))
    with pytest.raises(DefinitionError, match="a total of 14 falls in no band"):
        load_assessor(questionnaire=str(tmp_path / "self-assessment.yaml"))


def test_an_item_condition_may_only_look_back(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(
        "id: q\nversion: '1'\ntitle: Q\nsections:\n  - id: s\n    title: S\n    items:\n"
        "      - {id: first, type: boolean, prompt: First?, when: second}\n"
        "      - {id: second, type: boolean, prompt: Second?}\n"
        "      - {id: second, type: boolean, prompt: Again?}\n"
    )
    with pytest.raises(DefinitionError) as caught:
        load_assessor(questionnaire=str(path))
    assert "q.yaml:8:" in caught.value.message
    assert "conditions can name only items asked before this point" in caught.value.message


def test_a_fresh_assessor_shared_by_threads_while_it_starts_generating_code_gives_the_same_results() -> None:
    """The Assessor's one piece of state, when to generate code, changes while threads use it: results do not."""
    sequential, shared = load_assessor(), load_assessor()
    rng = random.Random(8)
    answer_sets = [random_answers(sequential, rng, f"t{n}") for n in range(3 * GENERATE_AFTER)]
    alone = [sequential.assess(answers) for answers in answer_sets]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(shared.assess, answer_sets))
    assert together == alone
    assert shared.generated() is shared.generated()  # generated once it was worth it, and kept
