"""The built-in instruments: totals and bands at every cut point (shared/spec/contract.md §3), item domains, and when
each instrument is asked at all."""

from __future__ import annotations

from typing import Any

import pytest

from carecheck import Assessor, Result
from carecheck.core.errors import AnswersError
from conftest import baseline_answers, with_alcohol, with_drugs, with_gad7, with_phq9


def assess(assessor: Assessor, answers: dict[str, Any]) -> Result:
    result = assessor.assess(answers)
    assert result.warnings == (), "the test answers give an item that is not asked"
    return result


def score(result: Result, instrument: str) -> tuple[int, str]:
    found = result.scores[instrument]
    return found.total, found.band


def audit_items(total: int) -> dict[str, int]:
    return {key: value for key, value in with_alcohol(total).items() if key.startswith("audit_")}


def problem_items(error: pytest.ExceptionInfo[AnswersError]) -> list[str]:
    return [problem.item for problem in error.value.problems]


# --- AUDIT --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "low-risk"),
        (7, "low-risk"),
        (8, "hazardous"),
        (15, "hazardous"),
        (16, "harmful"),
        (19, "harmful"),
        (20, "possible-dependence"),
        (33, "possible-dependence"),
        (40, "possible-dependence"),
    ],
    ids=lambda value: str(value),
)
def test_audit_bands(assessor: Assessor, total: int, band: str) -> None:
    assert score(assess(assessor, with_alcohol(total)), "audit") == (total, band)


@pytest.mark.parametrize(
    ("items", "total", "band"),
    [
        pytest.param({"audit_9": 2, "audit_10": 4}, 6, "low-risk", id="items 9 and 10 count 2 and 4"),
        pytest.param({"audit_9": 4, "audit_10": 4}, 8, "hazardous", id="items 9 and 10 alone reach 8"),
        pytest.param({"audit_1": 4, "audit_8": 3}, 7, "low-risk", id="items 1 and 8 count their points"),
    ],
)
def test_audit_total_is_the_sum_of_item_points(
    assessor: Assessor, items: dict[str, int], total: int, band: str
) -> None:
    assert score(assess(assessor, with_alcohol(0, **items)), "audit") == (total, band)


@pytest.mark.parametrize("item", ["audit_9", "audit_10"])
@pytest.mark.parametrize("value", [1, 3])
def test_audit_items_9_and_10_reject_odd_points(assessor: Assessor, item: str, value: int) -> None:
    with pytest.raises(AnswersError) as error:
        assessor.assess(with_alcohol(0, **{item: value}))
    assert problem_items(error) == [item]
    assert error.value.problems[0].message


@pytest.mark.parametrize("item", ["audit_9", "audit_10"])
@pytest.mark.parametrize("value", [0, 2, 4])
def test_audit_items_9_and_10_accept_0_2_4(assessor: Assessor, item: str, value: int) -> None:
    assert assess(assessor, with_alcohol(0, **{item: value})).scores["audit"].total == value


def test_audit_reports_both_items_9_and_10_at_once(assessor: Assessor) -> None:
    with pytest.raises(AnswersError) as error:
        assessor.assess(with_alcohol(0, audit_9=1, audit_10=3))
    assert sorted(problem_items(error)) == ["audit_10", "audit_9"]


@pytest.mark.parametrize("item", [f"audit_{i}" for i in range(1, 9)])
def test_audit_items_1_to_8_reject_5(assessor: Assessor, item: str) -> None:
    with pytest.raises(AnswersError) as error:
        assessor.assess(with_alcohol(0, **{item: 5}))
    assert problem_items(error) == [item]


@pytest.mark.parametrize("item", [f"audit_{i}" for i in range(1, 9)])
def test_audit_items_1_to_8_accept_4(assessor: Assessor, item: str) -> None:
    assert assess(assessor, with_alcohol(0, **{item: 4})).scores["audit"].total == 4


# --- DAST-10 ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none"),
        (1, "low"),
        (2, "low"),
        (3, "moderate"),
        (5, "moderate"),
        (6, "substantial"),
        (8, "substantial"),
        (9, "severe"),
        (10, "severe"),
    ],
    ids=lambda value: str(value),
)
def test_dast_bands(assessor: Assessor, total: int, band: str) -> None:
    assert score(assess(assessor, with_drugs(total)), "dast") == (total, band)


def dast(yes: set[int], dast_3: bool) -> dict[str, Any]:
    """A drug user answering yes to the items in `yes` (item 3 aside) and `dast_3` to item 3."""
    answers = with_drugs(0) | {f"dast_{i}": i in yes for i in range(1, 11) if i != 3}
    return answers | {"dast_3": dast_3}


@pytest.mark.parametrize(
    ("yes", "total_with_3_yes", "band_with_3_yes", "total_with_3_no", "band_with_3_no"),
    [
        pytest.param(set(), 0, "none", 1, "low", id="no other yes: 0/1"),
        pytest.param({1, 2}, 2, "low", 3, "moderate", id="two yes: 2/3"),
        pytest.param({1, 2, 4, 5, 6}, 5, "moderate", 6, "substantial", id="five yes: 5/6"),
        pytest.param({1, 2, 4, 5, 6, 7, 8, 9}, 8, "substantial", 9, "severe", id="eight yes: 8/9"),
        pytest.param({1, 2, 4, 5, 6, 7, 8, 9, 10}, 9, "severe", 10, "severe", id="nine yes: 9/10"),
    ],
)
def test_dast_item_3_is_reverse_scored(
    assessor: Assessor,
    yes: set[int],
    total_with_3_yes: int,
    band_with_3_yes: str,
    total_with_3_no: int,
    band_with_3_no: str,
) -> None:
    """Item 3 ("able to stop using when you want to") scores a point for no and none for yes."""
    assert score(assess(assessor, dast(yes, dast_3=True)), "dast") == (total_with_3_yes, band_with_3_yes)
    assert score(assess(assessor, dast(yes, dast_3=False)), "dast") == (total_with_3_no, band_with_3_no)


# --- PHQ-9 and GAD-7 ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately-severe"),
        (19, "moderately-severe"),
        (20, "severe"),
        (27, "severe"),
    ],
    ids=lambda value: str(value),
)
def test_phq9_bands(assessor: Assessor, total: int, band: str) -> None:
    assert score(assess(assessor, with_phq9(total)), "phq9") == (total, band)


def test_phq9_item_9_counts_toward_the_total(assessor: Assessor) -> None:
    assert score(assess(assessor, with_phq9(4, phq9_9=1)), "phq9") == (5, "mild")


@pytest.mark.parametrize("item", [f"phq9_{i}" for i in range(1, 10)])
def test_phq9_items_reject_4(assessor: Assessor, item: str) -> None:
    with pytest.raises(AnswersError) as error:
        assessor.assess(with_phq9(0, **{item: 4}))
    assert problem_items(error) == [item]


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
    ids=lambda value: str(value),
)
def test_gad7_bands(assessor: Assessor, total: int, band: str) -> None:
    assert score(assess(assessor, with_gad7(total)), "gad7") == (total, band)


@pytest.mark.parametrize("item", [f"gad7_{i}" for i in range(1, 8)])
def test_gad7_items_reject_4(assessor: Assessor, item: str) -> None:
    with pytest.raises(AnswersError) as error:
        assessor.assess(with_gad7(0, **{item: 4}))
    assert problem_items(error) == [item]


# --- ASQ ----------------------------------------------------------------------------------------------------------


def asq(yes: set[int], asq_5: bool | None) -> dict[str, Any]:
    """Baseline with yes to the ASQ items 1-4 in `yes`; item 5 given only when not None."""
    answers = baseline_answers() | {f"asq_{i}": i in yes for i in range(1, 5)}
    return answers if asq_5 is None else answers | {"asq_5": asq_5}


@pytest.mark.parametrize(
    ("yes", "asq_5", "total", "band"),
    [
        pytest.param(set(), None, 0, "negative", id="all no"),
        *(pytest.param({i}, False, 1, "non-acute-positive", id=f"asq_{i} yes, asq_5 no") for i in range(1, 5)),
        pytest.param({1, 3}, False, 2, "non-acute-positive", id="two yes, asq_5 no"),
        pytest.param({1, 2, 3, 4}, False, 4, "non-acute-positive", id="four yes, asq_5 no"),
        *(pytest.param({i}, True, 1, "acute-positive", id=f"asq_{i} yes, asq_5 yes") for i in range(1, 5)),
        pytest.param({1, 2, 3, 4}, True, 4, "acute-positive", id="four yes, asq_5 yes"),
    ],
)
def test_asq_total_counts_yes_among_1_to_4_and_band_follows_item_5(
    assessor: Assessor, yes: set[int], asq_5: bool | None, total: int, band: str
) -> None:
    assert score(assess(assessor, asq(yes, asq_5)), "asq") == (total, band)


@pytest.mark.parametrize("asq_5", [True, False])
def test_asq_5_given_while_1_to_4_are_no_is_ignored_with_a_warning(assessor: Assessor, asq_5: bool) -> None:
    result = assessor.assess(asq(set(), asq_5))
    assert score(result, "asq") == (0, "negative")
    assert any("asq_5" in warning for warning in result.warnings)
    assert result.urgent is False
    assert result.screen_positive is False


def test_asq_5_is_required_once_an_item_1_to_4_is_yes(assessor: Assessor) -> None:
    with pytest.raises(AnswersError) as error:
        assessor.assess(asq({2}, None))
    assert problem_items(error) == ["asq_5"]


# --- which instruments are asked ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "present", "absent"),
    [
        pytest.param(baseline_answers(), set(), {"audit", "dast"}, id="no substances"),
        pytest.param(with_alcohol(8), {"audit"}, {"dast"}, id="alcohol only"),
        *(
            pytest.param(with_drugs(1, drug=drug), {"dast"}, {"audit"}, id=f"{drug} only")
            for drug in ("cannabis", "opioids", "stimulants", "sedatives", "other")
        ),
        pytest.param(
            with_drugs(1, substances=["alcohol", "cannabis"], **audit_items(8)),
            {"audit", "dast"},
            set(),
            id="alcohol and cannabis",
        ),
    ],
)
def test_an_instrument_not_asked_is_absent_from_scores(
    assessor: Assessor, answers: dict[str, Any], present: set[str], absent: set[str]
) -> None:
    result = assess(assessor, answers)
    assert set(result.scores) == present | {"phq9", "gad7", "asq"}
    assert not absent & set(result.scores)


@pytest.mark.parametrize(
    ("answers", "ignored"),
    [
        pytest.param(baseline_answers() | {"audit_1": 4}, "audit_1", id="audit_1 without alcohol"),
        pytest.param(with_alcohol(0, dast_1=True), "dast_1", id="dast_1 with alcohol only"),
    ],
)
def test_items_of_an_instrument_not_asked_are_ignored_with_a_warning(
    assessor: Assessor, answers: dict[str, Any], ignored: str
) -> None:
    result = assessor.assess(answers)
    assert any(ignored in warning for warning in result.warnings)
    assert ignored.split("_")[0] not in result.scores
