"""FHIR in: a QuestionnaireResponse (carecheck's own, R5 or R4, or an EHR's LOINC-coded form) read as answers by
`assess`, `batch` and the library; whatever cannot be mapped is named by linkId or code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from carecheck import load_assessor
from carecheck.clinic.fhir import fhir_bundle
from carecheck.clinic.record import Override, build_record
from carecheck.core.errors import AnswersError
from conftest import baseline_answers, run_carecheck, with_alcohol
from fhir_validation import dom6_warnings, invariant_findings, model_validates, schema_errors

INTAKE = load_assessor("counselor-intake", "counselor-intake")
SELF = load_assessor()
FINDINGS = {"intoxicated": False, "vitals_concern": True, "clinician_note": "Tremor & <sweats>"}

# A PHQ-9 as an EHR's LOINC form sends it (LHC-Forms style: linkIds are /LOINC paths, answers LA codes, the
# unscored difficulty question and the EHR's own total included), in R4, which has a single identifier.
EHR_PHQ9: dict[str, Any] = {
    "resourceType": "QuestionnaireResponse",
    "questionnaire": "http://loinc.org/q/44249-1",
    "identifier": {"system": "urn:oid:2.16.840.1.113883.19.5", "value": "PHQ-77"},
    "status": "completed",
    "item": [
        {"linkId": "/44250-9", "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA6569-3"}}]},
        {"linkId": "/44255-8", "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA6570-1"}}]},
        {"linkId": "/44259-0", "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA6571-9"}}]},
        {"linkId": "/44254-1", "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA6571-9"}}]},
        {"linkId": "/44251-7", "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA6568-5"}}]},
        {"linkId": "/44258-2", "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA6569-3"}}]},
        {"linkId": "/44252-5", "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA6570-1"}}]},
        {"linkId": "/44253-3", "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA6568-5"}}]},
        {"linkId": "/44260-8", "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA6569-3"}}]},
        {"linkId": "/69722-7", "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA6573-5"}}]},
        {"linkId": "/44261-6", "answer": [{"valueDecimal": 14}]},
    ],
}
EHR_PHQ9_ANSWERS = {f"phq9_{n}": points for n, points in enumerate([1, 2, 3, 3, 0, 1, 2, 0, 1], start=1)}


def intake_record(override: Override | None = None) -> dict[str, Any]:
    result = INTAKE.assess(with_alcohol(18) | FINDINGS)
    record = build_record(
        INTAKE,
        result,
        client="C-9",
        counselor="R. Diaz",
        created="2026-01-02T03:04:05Z",
        override=override,
        carecheck_version="0.1.0",
    )
    record["id"] = 4
    return record


def response_of(bundle: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = bundle["entry"][0]["resource"]
    return resource


def test_the_exported_bundle_validates_with_the_r5_models_and_has_every_narrative() -> None:
    bundle = fhir_bundle(intake_record(Override("php", "Lives alone, no car.")))
    model_validates(bundle)
    assert dom6_warnings(bundle) == []


@pytest.mark.slow
def test_the_exported_bundle_fits_the_official_r5_json_schema() -> None:
    assert schema_errors(fhir_bundle(intake_record(Override("php", "Lives alone, no car.")))) == []


@pytest.mark.slow
def test_the_exported_bundle_breaks_no_r5_invariant_and_has_no_dom6_warning() -> None:
    bundle = fhir_bundle(intake_record(Override("php", "Lives alone, no car.")))
    # fhirpathpy lacks hasValue() and htmlChecks(): ele-1, txt-1 and txt-2 are not run (dom6_warnings parses the divs).
    failures, not_run = invariant_findings(bundle)
    assert failures == []
    assert not_run <= {"ele-1", "txt-1", "txt-2"}


def test_the_exported_response_reads_back_as_the_same_answers() -> None:
    record = intake_record()
    answers = INTAKE.answers_from(response_of(fhir_bundle(record)))
    original = INTAKE.assess(with_alcohol(18) | FINDINGS)
    again = INTAKE.assess(answers)
    assert again.record_id == "4"
    assert (again.level, again.scores, again.reasons) == (original.level, original.scores, original.reasons)
    assert {key: value for key, value in answers.items() if key != "id"} == {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in original.answers.items()
        if value is not None
    }


@pytest.mark.slow
def test_round_trip_intake_fhir_export_assess_gives_the_same_level_scores_and_reasons(tmp_path: Path) -> None:
    answers, db = tmp_path / "intake.yaml", tmp_path / "records.sqlite3"
    answers.write_text(yaml.safe_dump(with_alcohol(18) | FINDINGS))
    intake = run_carecheck(
        "intake", "--client", "C-9", "--answers", str(answers), "--db", str(db), "--format", "json", expect_exit=0
    )
    bundle = run_carecheck("records", "export", "1", "--format", "fhir", "--db", str(db), expect_exit=0).stdout
    exported = tmp_path / "bundle.json"
    exported.write_text(bundle)
    response = tmp_path / "response.json"
    response.write_text(json.dumps(response_of(json.loads(bundle))))
    before = json.loads(intake.stdout)["result"]
    for path in (response, exported):  # the response alone, or the whole Bundle as exported
        process = run_carecheck(
            "assess", "--answers", str(path), "--rules", "counselor-intake", "--format", "json", expect_exit=0
        )
        after = json.loads(process.stdout)
        assert (after["level"], after["scores"], after["reasons"]) == (
            before["level"],
            before["scores"],
            before["reasons"],
        )


def test_an_r4_response_of_the_carecheck_questionnaire_is_read() -> None:
    r4 = response_of(fhir_bundle(intake_record()))
    r4["identifier"] = r4["identifier"][0]  # R4's QuestionnaireResponse has one identifier, not a list
    assert INTAKE.assess(r4).level == INTAKE.assess(with_alcohol(18) | FINDINGS).level


def test_an_ehr_phq9_coded_with_loinc_44249_1_is_accepted_and_scored() -> None:
    answers = SELF.answers_from(EHR_PHQ9)
    assert answers == EHR_PHQ9_ANSWERS | {"id": "PHQ-77"}
    result = SELF.assess(baseline_answers() | answers)
    assert result.scores["phq9"].total == 13
    assert result.scores["phq9"].band == "moderate"
    assert result.answers["phq9_9"] == 1


@pytest.mark.slow
def test_assess_reads_an_ehr_phq9_and_asks_only_for_what_it_lacks(tmp_path: Path) -> None:
    path = tmp_path / "phq9.json"
    path.write_text(json.dumps(EHR_PHQ9))
    process = run_carecheck("assess", "--answers", str(path), "--format", "json", expect_exit=2)
    problems = {problem["item"] for problem in json.loads(process.stdout)["error"]["problems"]}
    assert "age" in problems
    assert not {item for item in problems if item.startswith(("phq9", "/"))}


def test_batch_scores_a_line_that_is_a_questionnaire_response(tmp_path: Path) -> None:
    response = response_of(fhir_bundle(intake_record()))
    broken = json.loads(json.dumps(response))
    broken["item"][0]["item"][0]["linkId"] = "agee"
    lines = tmp_path / "in.jsonl"
    lines.write_text(json.dumps(response) + "\n" + json.dumps(broken) + "\n")
    process = run_carecheck("batch", str(lines), "--rules", "counselor-intake", expect_exit=1)
    first, second = (json.loads(line) for line in process.stdout.splitlines())
    assert first["level"] == INTAKE.assess(with_alcohol(18) | FINDINGS).level
    assert first["id"] == "4"
    assert {"item": "agee", "message": "is not an item of carecheck's 'counselor-intake' questionnaire"} in second[
        "error"
    ]["problems"]


def problems_of(response: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(AnswersError) as caught:
        SELF.answers_from(response)
    return [(problem.item, problem.message) for problem in caught.value.problems]


def with_items(*items: dict[str, Any], questionnaire: str = "http://example.org/forms/intake") -> dict[str, Any]:
    response = {"resourceType": "QuestionnaireResponse", "questionnaire": questionnaire, "status": "completed"}
    return response | {"item": list(items)}


def test_an_unknown_loinc_code_is_named() -> None:
    item = {"linkId": "/72166-2", "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA18978-9"}}]}
    assert problems_of(with_items(item)) == [("/72166-2", "LOINC 72166-2 is not a question carecheck asks")]


def test_an_item_without_a_loinc_code_is_named() -> None:
    item = {"linkId": "q1", "answer": [{"valueInteger": 3}]}
    [(link_id, message)] = problems_of(with_items(item))
    assert link_id == "q1"
    assert "no LOINC code" in message


def test_an_answer_code_the_item_does_not_have_is_named_with_its_code() -> None:
    item = {"linkId": "/44250-9", "answer": [{"valueCoding": {"system": "http://loinc.org", "code": "LA6575-0"}}]}
    assert problems_of(with_items(item)) == [
        ("/44250-9", "the answer http://loinc.org#LA6575-0 is not one of the answers of 'phq9_1'")
    ]


def test_a_response_to_another_carecheck_questionnaire_says_which_to_use() -> None:
    [(item, message)] = problems_of(with_items(questionnaire="urn:carecheck:questionnaire:counselor-intake|1.0.0"))
    assert item == "questionnaire"
    assert "--questionnaire counselor-intake" in message


def test_a_resource_that_is_not_a_response_is_refused() -> None:
    assert problems_of({"resourceType": "Patient"})[0][0] == "resourceType"


@pytest.mark.slow
def test_assess_names_the_linkid_it_cannot_map_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "response.json"
    path.write_text(json.dumps(with_items({"linkId": "/72166-2", "answer": [{"valueBoolean": True}]})))
    process = run_carecheck("assess", "--answers", str(path), expect_exit=2)
    assert "/72166-2: LOINC 72166-2 is not a question carecheck asks" in process.stderr
