"""`carecheck export questionnaire`: the questionnaire as an R5 SDC Questionnaire, stable, LOINC-coded where confirmed,
valid to the spec's models and schema, with its branching, scoring and credits."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from carecheck import load_assessor
from carecheck.api import load_questionnaire_only
from carecheck.clinic.fhir import fhir_bundle
from carecheck.clinic.fhir_questionnaire import fhir_questionnaire, questionnaire_json
from carecheck.clinic.record import build_record
from carecheck.core.errors import CarecheckError
from conftest import run_carecheck, with_alcohol, with_drugs, with_gad7, with_phq9
from fhir_validation import dom6_warnings, invariant_findings, model_validates, schema_errors

NOT_RUN = {"ele-1", "txt-1", "txt-2"}
"""Invariants fhirpathpy cannot run (it lacks hasValue() and htmlChecks()); dom6_warnings checks the narratives."""

LOINC = "http://loinc.org"


def exported(name: str = "self-assessment") -> dict[str, Any]:
    compiled = load_questionnaire_only(name)
    return fhir_questionnaire(compiled.questionnaire, compiled.items)


def every_item(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        found[item["linkId"]] = item
        found |= every_item(item.get("item", []))
    return found


@pytest.fixture(scope="module")
def questionnaire() -> dict[str, Any]:
    return exported()


@pytest.fixture(scope="module")
def by_link(questionnaire: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return every_item(questionnaire["item"])


@pytest.mark.parametrize("name", ["self-assessment", "counselor-intake"])
def test_the_exported_questionnaire_validates_with_the_r5_models_and_has_every_narrative(name: str) -> None:
    resource = exported(name)
    model_validates(resource)
    assert dom6_warnings(resource) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", ["self-assessment", "counselor-intake"])
def test_the_exported_questionnaire_fits_the_official_r5_json_schema(name: str) -> None:
    assert schema_errors(exported(name)) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", ["self-assessment", "counselor-intake"])
def test_the_exported_questionnaire_breaks_no_r5_invariant_and_has_no_dom6_warning(name: str) -> None:
    failures, not_run = invariant_findings(exported(name))
    assert failures == []
    assert not_run <= NOT_RUN


def test_the_canonical_url_version_and_linkids_are_stable(
    questionnaire: dict[str, Any], by_link: dict[str, dict[str, Any]]
) -> None:
    assert questionnaire["url"] == "urn:carecheck:questionnaire:self-assessment"
    assert questionnaire["version"] == "1.0.0"
    assert questionnaire["status"] == "active"
    assert [group["linkId"] for group in questionnaire["item"]][:3] == [
        "section-about_you",
        "section-recent_use",
        "section-drinking",
    ]
    assert {"age", "substances", "phq9_9", "asq_5", "hours_available"} <= by_link.keys()
    compiled = load_questionnaire_only("self-assessment")
    assert questionnaire_json(compiled) == questionnaire_json(load_questionnaire_only("self-assessment"))


def test_questions_and_answers_carry_the_confirmed_loinc_codes(by_link: dict[str, dict[str, Any]]) -> None:
    assert by_link["section-mood"]["code"] == [
        {"system": LOINC, "code": "44249-1", "display": "PHQ-9 quick depression assessment panel [Reported.PHQ]"}
    ]
    assert by_link["section-drinking"]["code"][0]["code"] == "72110-0"
    assert by_link["phq9_1"]["code"][0]["code"] == "44250-9"
    assert by_link["audit_4"]["code"][0]["code"] == "97734-8"
    assert [o["valueCoding"]["code"] for o in by_link["phq9_9"]["answerOption"]] == [
        "LA6568-5",
        "LA6569-3",
        "LA6570-1",
        "LA6571-9",
    ]
    assert [o["extension"][0]["valueDecimal"] for o in by_link["phq9_9"]["answerOption"]] == [0, 1, 2, 3]


def test_what_no_source_confirms_stays_in_carecheck_s_own_codes(by_link: dict[str, dict[str, Any]]) -> None:
    for link_id in ("dast_1", "asq_1", "section-worry", "section-safety", "age"):
        assert "code" not in by_link[link_id], link_id
    audit_1 = by_link["audit_1"]["answerOption"][0]["valueCoding"]
    assert audit_1 == {"system": "urn:carecheck:self-assessment:audit_1", "code": "0", "display": "Never"}


def test_asked_if_conditions_become_enable_when(by_link: dict[str, dict[str, Any]]) -> None:
    alcohol = by_link["section-drinking"]["enableWhen"]
    substance_codings = [o["valueCoding"] for o in by_link["substances"]["answerOption"]]
    assert alcohol == [{"question": "substances", "operator": "=", "answerCoding": alcohol[0]["answerCoding"]}]
    assert alcohol[0]["answerCoding"]["code"] == "alcohol"
    assert {"system": alcohol[0]["answerCoding"]["system"], "code": "alcohol"}.items() <= substance_codings[0].items()
    assert by_link["section-recent_use"]["enableWhen"] == [
        {"question": "substances", "operator": "exists", "answerBoolean": True}
    ]
    assert by_link["section-drug_use"]["enableBehavior"] == "any"
    assert len(by_link["section-drug_use"]["enableWhen"]) == 5
    # carecheck's `!=` is false for an unanswered item; FHIR's is true, so the answer must exist as well.
    relapse = by_link["relapse_after_treatment"]
    assert relapse["enableBehavior"] == "all"
    assert [(c["operator"], c.get("answerCoding", {}).get("code")) for c in relapse["enableWhen"]] == [
        ("exists", None),
        ("!=", "none"),
    ]
    assert by_link["asq_5"]["enableBehavior"] == "any"


def test_instrument_totals_are_sdc_calculated_expressions(by_link: dict[str, dict[str, Any]]) -> None:
    total = by_link["phq9-total"]
    assert total["code"][0]["code"] == "44261-6"
    assert total["readOnly"] is True
    extension = total["extension"][0]
    assert extension["url"] == "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
    expression = extension["valueExpression"]["expression"]
    assert all(f"linkId = 'phq9_{n}'" in expression for n in range(1, 10))
    assert "url = 'http://hl7.org/fhir/StructureDefinition/itemWeight'" in expression
    # DAST-10 item 3 is reverse-scored: "no" scores the point.
    dast = by_link["dast-total"]["extension"][0]["valueExpression"]["expression"]
    assert "linkId = 'dast_3').answer.valueBoolean = false" in dast
    assert "linkId = 'dast_1').answer.valueBoolean = true" in dast


def test_each_instrument_s_credit_and_terms_are_in_copyright_and_item_text(
    questionnaire: dict[str, Any], by_link: dict[str, dict[str, Any]]
) -> None:
    compiled = load_questionnaire_only("self-assessment")
    for name, entry in compiled.questionnaire.instruments.items():
        credit = entry.instrument.attribution
        assert credit.name in questionnaire["copyright"]
        assert " ".join(credit.terms.split()) in " ".join(questionnaire["copyright"].split())
        assert by_link[f"{name}-credit"]["type"] == "display"
        assert credit.terms in by_link[f"{name}-credit"]["text"]


CONDITIONS = """\
id: fhir-conditions
version: '1'
title: Conditions
sections:
  - id: first
    title: First
    items:
      - {id: age, type: integer, min: 12, max: 99, prompt: Age?}
      - {id: smoker, type: boolean, prompt: Smoke?}
      - {id: older_smoker, type: boolean, prompt: Long?, when: "age >= 40 and not smoker"}
"""


def test_a_condition_enable_when_cannot_say_becomes_an_enable_when_expression(tmp_path: Path) -> None:
    path = tmp_path / "conditions.yaml"
    path.write_text(CONDITIONS)
    by_link = every_item(exported(str(path))["item"])
    extension = by_link["older_smoker"]["extension"][0]
    assert extension["url"].endswith("sdc-questionnaire-enableWhenExpression")
    assert extension["valueExpression"]["expression"] == (
        "((iif(%resource.item.where(linkId = 'section-first').item.where(linkId = 'age').answer.valueInteger >= 40, "
        "true, false)) and ((iif(%resource.item.where(linkId = 'section-first').item.where(linkId = 'smoker')"
        ".answer.valueBoolean = true, true, false))).not())"
    )
    assert "enableWhen" not in by_link["older_smoker"]


def test_a_condition_fhir_cannot_say_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "asked.yaml"
    path.write_text(CONDITIONS.replace("age >= 40 and not smoker", "asked(smoker)"))
    with pytest.raises(CarecheckError, match="item older_smoker cannot be written in FHIR"):
        exported(str(path))


@pytest.mark.slow
def test_the_command_writes_the_questionnaire(tmp_path: Path) -> None:
    output = tmp_path / "q.json"
    run_carecheck("export", "questionnaire", "--format", "fhir", "--output", str(output), expect_exit=0)
    assert json.loads(output.read_text()) == exported()
    assert output.stat().st_mode & 0o777 == 0o600


# --- the SDC expressions, run by a FHIRPath engine we did not write -------------------------------------------------

ANSWER_SETS = {
    "alcohol": with_alcohol(23),
    "drugs": with_drugs(6, drug="opioids", dast_3=False),
    "mood": with_phq9(17, phq9_9=2) | {"asq_1": True, "asq_5": False},
    "worry": with_gad7(12) | {"asq_2": True, "asq_4": True, "asq_5": True},
}


def response_to(answers: dict[str, Any]) -> dict[str, Any]:
    assessor = load_assessor()
    record = build_record(
        assessor,
        assessor.assess(answers),
        client="C-1",
        counselor=None,
        created="2026-01-02T03:04:05Z",
        override=None,
        carecheck_version="0.1.0",
    )
    response: dict[str, Any] = fhir_bundle(record)["entry"][0]["resource"]
    return response


@lru_cache(maxsize=64)
def _compiled_fhirpath(expression: str) -> Callable[[Any, Any], list[Any]]:
    from fhirpathpy import compile as compile_fhirpath
    from fhirpathpy.models import models

    # Parsing is the slow part of this engine: each expression is parsed once and run on many responses.
    return compile_fhirpath(expression, models["r5"])


def run_fhirpath(expression: str, response: dict[str, Any], questionnaire: dict[str, Any]) -> list[Any]:
    return _compiled_fhirpath(expression)(response, {"resource": response, "questionnaire": questionnaire})


@pytest.mark.slow
@pytest.mark.parametrize("answer_set", ANSWER_SETS)
def test_each_total_expression_scores_an_exported_response_as_carecheck_does(
    answer_set: str, questionnaire: dict[str, Any], by_link: dict[str, dict[str, Any]]
) -> None:
    answers = ANSWER_SETS[answer_set]
    result = load_assessor().assess(answers)
    response = response_to(answers)
    for instrument in ("audit", "dast", "phq9", "gad7", "asq"):
        expression = by_link[f"{instrument}-total"]["extension"][0]["valueExpression"]["expression"]
        score = result.scores.get(instrument)
        assert run_fhirpath(expression, response, questionnaire) == [score.total if score else 0], instrument


@pytest.mark.slow
def test_an_enable_when_expression_means_what_the_condition_means(tmp_path: Path) -> None:
    path = tmp_path / "conditions.yaml"
    path.write_text(CONDITIONS)
    questionnaire = exported(str(path))
    expression = every_item(questionnaire["item"])["older_smoker"]["extension"][0]["valueExpression"]["expression"]

    def enabled(*items: dict[str, Any]) -> list[Any]:
        group = {"linkId": "section-first", "item": list(items)}
        response = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": [group]}
        return run_fhirpath(expression, response, questionnaire)

    age = {"linkId": "age", "answer": [{"valueInteger": 52}]}
    young = {"linkId": "age", "answer": [{"valueInteger": 30}]}
    smoker = {"linkId": "smoker", "answer": [{"valueBoolean": True}]}
    non_smoker = {"linkId": "smoker", "answer": [{"valueBoolean": False}]}
    assert enabled(age, non_smoker) == [True]
    assert enabled(age) == [True]  # `not smoker` holds for an unanswered smoker, as in carecheck
    assert enabled(age, smoker) == [False]
    assert enabled(young, non_smoker) == [False]
    assert enabled(non_smoker) == [False]  # an unanswered age fails `age >= 40`, never leaves it undecided


@pytest.mark.slow
def test_the_validators_find_what_is_wrong(questionnaire: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(questionnaire))
    broken["item"][0]["item"][0]["answerOptions"] = []  # no such element
    broken["item"][0]["item"][2]["linkId"] = "age"  # a linkId twice
    del broken["text"]
    assert schema_errors(broken)
    assert dom6_warnings(broken) == ["Questionnaire: dom-6, no narrative"]
    assert [finding.split(":")[0] for finding in invariant_findings(broken)[0]] == [
        "warning dom-6 at Questionnaire.",
        "error que-2 at Questionnaire.",
    ]
    broken["text"] = {"status": "generated", "div": "<p>not a div</p>"}
    assert dom6_warnings(broken) == ["Questionnaire: the narrative is not a non-empty XHTML div"]
