"""The counselor-intake policy (docs/intake.md): the default policy, plus rules for what a clinician observes."""

from __future__ import annotations

from typing import Any

import pytest

from carecheck import Assessor, load_assessor
from carecheck.authoring.verify import verify
from carecheck.core.errors import AnswersError
from conftest import baseline_answers
from intake_answers import clinician, drinking, opioids


@pytest.fixture(scope="module")
def intake() -> Assessor:
    return load_assessor(rules="counselor-intake")


def fired(assessor: Assessor, answers: dict[str, Any]) -> set[str]:
    return {reason.rule for reason in assessor.assess(answers).reasons}


@pytest.mark.parametrize(
    ("answers", "level", "urgent", "rule"),
    [
        (drinking(ciwa=7), "outpatient", False, None),
        (drinking(ciwa=8), "php", False, "ciwa-moderate"),
        (drinking(ciwa=14), "php", False, "ciwa-moderate"),
        # VA PAWS: "8 to 15" moderate and "15 or more" severe overlap at 15; read toward the more severe band
        (drinking(ciwa=15), "inpatient", True, "ciwa-severe"),
        (drinking(ciwa=67), "inpatient", True, "ciwa-severe"),
        (opioids(cows=12), "outpatient", False, None),
        (opioids(cows=13), "php", False, "cows-moderate-or-worse"),
        (opioids(cows=25), "php", False, "cows-moderate-or-worse"),
        (opioids(cows=36), "php", False, "cows-moderate-or-worse"),
        (opioids(cows=37), "inpatient", False, "cows-severe"),  # COWS severe (more than 36) decided on its own
        (clinician(intoxicated=True), "outpatient", True, "observed-intoxication"),
    ],
)
def test_clinician_findings_set_a_minimum_level(
    intake: Assessor, answers: dict[str, Any], level: str, urgent: bool, rule: str | None
) -> None:
    result = intake.assess(answers)
    assert (result.level, result.urgent) == (level, urgent)
    if rule is not None:
        assert rule in {reason.rule for reason in result.reasons}


@pytest.mark.parametrize(
    ("total", "band"), [(0, "minimal"), (7, "minimal"), (8, "moderate"), (14, "moderate"), (15, "severe")]
)
def test_ciwa_bands_are_the_published_ones(intake: Assessor, total: int, band: str) -> None:
    assert intake.assess(drinking(ciwa=total)).scores["ciwa"] == (total, band)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (4, "none"),
        (5, "mild"),
        (12, "mild"),
        (13, "moderate"),
        (24, "moderate"),
        (25, "moderately-severe"),
        (36, "moderately-severe"),
        (37, "severe"),
        (48, "severe"),
    ],
)
def test_cows_bands_are_the_published_ones(intake: Assessor, total: int, band: str) -> None:
    assert intake.assess(opioids(cows=total)).scores["cows"] == (total, band)


def test_severe_alcohol_withdrawal_brings_withdrawal_management(intake: Assessor) -> None:
    result = intake.assess(drinking(ciwa=20))
    assert "withdrawal-management" in result.program_types
    assert intake.assess(opioids(cows=14)).program_types.count("withdrawal-management") == 1
    assert "withdrawal-management" not in intake.assess(drinking(ciwa=3)).program_types


def test_observed_intoxication_gives_crisis_help_a_safety_note_and_a_rescreen_note(intake: Assessor) -> None:
    result = intake.assess(clinician(intoxicated=True))
    assert result.urgent
    assert result.safety_note
    assert "rescreen-when-sober" in {note.id for note in result.notes}


def test_vital_sign_concerns_add_a_note_and_show_in_the_profile(intake: Assessor) -> None:
    result = intake.assess(clinician(vitals_concern=True))
    assert "vital-signs" in {note.id for note in result.notes}
    assert dict(result.profile)["medical"] == 2


def test_the_default_policy_still_applies_unchanged(intake: Assessor) -> None:
    default = load_assessor()
    acute = baseline_answers() | {"asq_1": True, "asq_5": True}
    assert intake.assess(clinician(acute)).level == default.assess(acute).level == "inpatient"
    assert {r.id for r in default.placement} < {r.id for r in intake.placement}


def test_clinician_scales_are_asked_only_for_the_substances_they_measure(intake: Assessor) -> None:
    answers = clinician(ciwa_total=20)  # uses nothing: the CIWA-Ar is not asked
    result = intake.assess(answers)
    assert "ciwa" not in result.scores
    assert result.level == "outpatient"
    assert any("ciwa_total" in warning for warning in result.warnings)


def test_the_clinician_observations_are_required(intake: Assessor) -> None:
    with pytest.raises(AnswersError) as raised:
        intake.assess(baseline_answers())
    assert {problem.item for problem in raised.value.problems} == {"intoxicated", "vitals_concern"}


def test_the_intake_asks_every_self_assessment_item_first(intake: Assessor) -> None:
    own = [item.id for item in load_assessor().items]
    assert [item.id for item in intake.items][: len(own)] == own
    assert [item.id for item in intake.items][len(own) :] == [
        "ciwa_total",
        "cows_total",
        "intoxicated",
        "vitals_concern",
        "clinician_note",
    ]


@pytest.mark.slow
def test_the_intake_policy_keeps_its_invariants(intake: Assessor) -> None:
    report = verify(intake, samples=400, seed=3)
    assert report.passed, report


def test_crisis_help_in_an_intake_speaks_to_the_counselor_and_names_the_clinician_findings(intake: Assessor) -> None:
    from carecheck.core.wording import safety_dict

    safety = safety_dict(intake.assess(clinician(intoxicated=True)), intake)
    assert safety is not None
    assert "intoxicated" in safety["message"]
    assert "CIWA-Ar" not in safety["message"]  # the message names what was found, not every possible trigger
    assert "suicide" not in safety["message"]
    assert "your answers" not in safety["message"].lower()
    assert [contact["name"][:3] for contact in safety["contacts"]] == ["988", "Dea", "Eme", "The", "SAM"]
    severe = safety_dict(intake.assess(drinking(ciwa=20)), intake)
    assert severe is not None
    assert "CIWA-Ar" in severe["message"]
    assert "intoxicated" not in severe["message"]
