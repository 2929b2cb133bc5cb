"""FHIR export: an intake record as an R5 Bundle that the spec's own models accept, the same every time."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.bundle import Bundle

from carecheck import Assessor, load_assessor
from carecheck.clinic.fhir import fhir_bundle
from carecheck.clinic.record import Override, build_record
from carecheck.core.definitions import MultiChoiceItem
from carecheck.core.errors import CarecheckError
from conftest import baseline_answers, with_alcohol, with_drugs, with_gad7, with_phq9

CREATED = "2026-11-26T19:30:12Z"
HOSTILE = "<script>alert(1)</script>"

# A questionnaire that adds a free-text item to the shipped one, as the counselor intake does with its note.
NOTE_QUESTIONNAIRE = """\
id: intake-test
version: '1'
title: Intake test
extends: self-assessment
sections:
  - id: counselor_notes
    title: Counselor's notes
    items:
      - {id: clinician_note, type: text, required: false, prompt: Anything the counselor noticed?}
"""


@pytest.fixture(scope="module")
def note_assessor(tmp_path_factory: pytest.TempPathFactory) -> Assessor:
    path = tmp_path_factory.mktemp("fhir") / "intake-test.yaml"
    path.write_text(NOTE_QUESTIONNAIRE)
    return load_assessor(str(path))


def record_for(
    assessor: Assessor,
    answers: dict[str, Any],
    *,
    client: str = "C-1024",
    counselor: str | None = "Dana Ortiz",
    override: Override | None = None,
    record_id: int | None = 17,
) -> dict[str, Any]:
    result = assessor.assess(answers)
    record = build_record(
        assessor,
        result,
        client=client,
        counselor=counselor,
        created=CREATED,
        override=override,
        carecheck_version="0.1.0",
    )
    record["id"] = record_id  # as the record store sets it
    return record


def resources(bundle: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    response, observation = (entry["resource"] for entry in bundle["entry"])
    assert response["resourceType"] == "QuestionnaireResponse"
    assert observation["resourceType"] == "Observation"
    return response, observation


def items(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The answered items, out of their section groups."""
    return [item for group in response["item"] for item in group["item"]]


def component(observation: dict[str, Any], text: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [c for c in observation["component"] if c["code"]["text"] == text]
    assert len(found) == 1, f"{len(found)} components named {text!r}"
    return found[0]


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, entry in value.items():
            yield key
            yield from strings(entry)
    elif isinstance(value, list):
        for entry in value:
            yield from strings(entry)


def valid(bundle: dict[str, Any]) -> Bundle:
    """The bundle as the R5 models read it; raises when any element breaks the spec's types or cardinalities."""
    return Bundle.model_validate(bundle)


# --- validity -----------------------------------------------------------------------------------------------------

ANSWER_SETS = {
    "screen-negative": baseline_answers(),
    "heavy drinking": with_alcohol(20),
    "drug use": with_drugs(5),
    "low mood": with_phq9(15),
    "anxiety": with_gad7(12),
    "two substances": with_drugs(4) | with_alcohol(9) | {"substances": ["cannabis", "alcohol"]},
}


@pytest.mark.parametrize("answers", ANSWER_SETS.values(), ids=ANSWER_SETS.keys())
def test_a_record_exports_as_a_valid_r5_collection(assessor: Assessor, answers: dict[str, Any]) -> None:
    bundle = fhir_bundle(record_for(assessor, answers))
    parsed = valid(bundle)
    assert parsed.type == "collection"
    assert [type(entry.resource).__name__ for entry in parsed.entry or []] == ["QuestionnaireResponse", "Observation"]


def test_a_record_with_an_override_and_a_text_answer_is_valid(note_assessor: Assessor) -> None:
    answers = with_alcohol(20, clinician_note="Came with a friend.\nAsked about evening groups.")
    record = record_for(note_assessor, answers, override=Override("php", "Two relapses after IOP in a year."))
    valid(fhir_bundle(record))


def test_the_shipped_counselor_intake_exports_with_its_clinician_note() -> None:
    intake = load_assessor("counselor-intake", "counselor-intake")
    findings = {"intoxicated": False, "vitals_concern": False, "ciwa_total": 12, "clinician_note": "Hands shaking."}
    record = record_for(intake, with_alcohol(10) | findings, override=Override("iop", "Prefers evening groups."))
    valid(fhir_bundle(record))
    assert answer_of(record, "clinician_note") == [{"valueString": "Hands shaking."}]
    assert answer_of(record, "ciwa_total") == [{"valueInteger": 12}]


def test_an_unstored_record_without_a_counselor_is_valid(assessor: Assessor) -> None:
    bundle = fhir_bundle(record_for(assessor, baseline_answers(), counselor=None, record_id=None))
    valid(bundle)
    response, _ = resources(bundle)
    assert "author" not in response
    assert "identifier" not in response


# --- the questionnaire response -----------------------------------------------------------------------------------


def test_the_response_names_the_questionnaire_client_counselor_and_time(assessor: Assessor) -> None:
    record = record_for(assessor, baseline_answers())
    response, _ = resources(fhir_bundle(record))
    definition = record["result"]["questionnaire"]
    assert response["status"] == "completed"
    assert response["questionnaire"] == f"urn:carecheck:questionnaire:{definition['id']}|{definition['version']}"
    assert response["meta"]["tag"] == [{"system": "urn:carecheck:questionnaire:sha256", "code": definition["sha256"]}]
    assert response["identifier"] == [{"system": "urn:carecheck:record", "value": "17"}]
    assert response["subject"]["identifier"] == {"system": "urn:carecheck:client", "value": "C-1024"}
    assert response["authored"] == CREATED
    assert response["author"] == {"display": "Dana Ortiz"}


def test_one_item_per_answered_item_in_order_grouped_by_section(note_assessor: Assessor) -> None:
    record = record_for(note_assessor, with_alcohol(12, clinician_note="Calm and engaged."))
    response, _ = resources(fhir_bundle(record))
    assert [item["linkId"] for item in items(response)] == [entry["id"] for entry in record["answers"]]
    assert [item["text"] for item in items(response)] == [entry["prompt"] for entry in record["answers"]]
    sections = [entry["section"] for entry in record["answers"]]
    assert [group["text"] for group in response["item"]] == list(dict.fromkeys(sections))
    assert all("answer" not in group for group in response["item"])  # a group holds items, never answers


def answer_of(record: dict[str, Any], item_id: str) -> list[dict[str, Any]]:
    response, _ = resources(fhir_bundle(record))
    [item] = [item for item in items(response) if item["linkId"] == item_id]
    return list(item.get("answer", []))


def test_answers_are_typed_by_item_type(note_assessor: Assessor) -> None:
    answers = with_alcohol(12, clinician_note="Calm and engaged.")
    record = record_for(note_assessor, answers)
    assert {entry["type"] for entry in record["answers"]} == {"integer", "boolean", "choice", "multi", "text"}
    assert answer_of(record, "age") == [{"valueInteger": 35}]
    assert answer_of(record, "withdrawal_now") == [{"valueBoolean": False}]
    for item_id, code in [("audit_1", "4"), ("housing", "stable")]:  # a scored choice and a worded one
        [entry] = [entry for entry in record["answers"] if entry["id"] == item_id]
        assert str(entry["value"]) == code
        system = f"urn:carecheck:intake-test:{item_id}"
        assert answer_of(record, item_id) == [
            {"valueCoding": {"system": system, "code": code, "display": entry["display"]}}
        ]
    assert answer_of(record, "clinician_note") == [{"valueString": "Calm and engaged."}]


def test_a_multiple_choice_answer_gives_one_coding_per_choice_with_its_own_label(assessor: Assessor) -> None:
    record = record_for(assessor, ANSWER_SETS["two substances"])
    [substances] = [compiled.definition for compiled in assessor.items if compiled.id == "substances"]
    assert isinstance(substances, MultiChoiceItem)
    labels = {str(choice.value): str(choice.label) for choice in substances.choices}
    codings = [answer["valueCoding"] for answer in answer_of(record, "substances")]
    assert sorted(coding["code"] for coding in codings) == ["alcohol", "cannabis"]
    assert all(coding["display"] == labels[coding["code"]] for coding in codings)


def test_nothing_ticked_and_an_empty_note_leave_the_item_without_an_answer(note_assessor: Assessor) -> None:
    record = record_for(note_assessor, baseline_answers() | {"clinician_note": ""})
    assert answer_of(record, "substances") == []
    assert answer_of(record, "clinician_note") == []
    valid(fhir_bundle(record))


def test_hand_written_answers_of_every_type_export(assessor: Assessor) -> None:
    record = record_for(assessor, baseline_answers())
    record["answers"] = [
        {"id": "n", "section": "S", "type": "integer", "prompt": "N?", "value": 7, "display": "7"},
        {"id": "big", "section": "S", "type": "integer", "prompt": "Big?", "value": 2**40, "display": "big"},
        {"id": "b", "section": "S", "type": "boolean", "prompt": "B?", "value": True, "display": "yes"},
        {"id": "c", "section": "T", "type": "choice", "prompt": "C?", "value": 2, "display": "Two"},
        {"id": "m", "section": "T", "type": "multi", "prompt": "M?", "value": ["x", "y"], "display": ["X", "Y"]},
        {"id": "t", "section": "T", "type": "text", "prompt": "T?", "value": "free words", "display": "free words"},
    ]
    response, _ = resources(fhir_bundle(record))
    assert [[next(iter(a)) for a in item["answer"]] for item in items(response)] == [
        ["valueInteger"],
        ["valueDecimal"],  # past FHIR's 32-bit integer
        ["valueBoolean"],
        ["valueCoding"],
        ["valueCoding", "valueCoding"],
        ["valueString"],
    ]
    assert [group["text"] for group in response["item"]] == ["S", "T"]
    valid(fhir_bundle(record))


def test_an_answer_of_an_unknown_type_is_refused_by_name(assessor: Assessor) -> None:
    record = record_for(assessor, baseline_answers())
    record["answers"] = [{"id": "when", "section": "S", "type": "date", "prompt": "When?", "value": "2026-01-01"}]
    with pytest.raises(CarecheckError, match="'when' has type 'date'"):
        fhir_bundle(record)


# --- the observation ----------------------------------------------------------------------------------------------


def test_the_observation_carries_the_computed_level_and_scores(assessor: Assessor) -> None:
    record = record_for(assessor, with_alcohol(20))
    bundle = fhir_bundle(record)
    response_url = bundle["entry"][0]["fullUrl"]
    _, observation = resources(bundle)
    assert observation["status"] == "final"
    assert observation["category"][0]["coding"][0]["code"] == "survey"
    assert observation["code"] == {
        "coding": [
            {"system": "urn:carecheck:concept", "code": "level-of-care", "display": "Level of care recommendation"}
        ],
        "text": "Level of care recommendation",
    }
    assert observation["effectiveDateTime"] == CREATED
    assert observation["subject"]["identifier"] == {"system": "urn:carecheck:client", "value": "C-1024"}
    assert observation["derivedFrom"] == [{"reference": response_url}]
    level = record["computed_level"]
    assert observation["valueCodeableConcept"]["coding"] == [
        {"system": "urn:carecheck:level", "code": level, "display": record["level_names"][level]}
    ]
    audit = component(observation, "audit")
    assert audit["valueInteger"] == record["result"]["scores"]["audit"]["total"] == 20
    band = record["result"]["scores"]["audit"]["band"]
    assert audit["interpretation"] == [{"coding": [{"system": "urn:carecheck:band:audit", "code": band}], "text": band}]
    assert component(observation, "Urgent: crisis help first")["valueBoolean"] is record["result"]["urgent"]
    assert component(observation, "Screen positive")["valueBoolean"] is True
    assert observation["performer"] == [{"display": "Dana Ortiz"}]
    assert all(c["code"]["text"] != "Level computed by carecheck" for c in observation["component"])
    # no crisis text and no override here: the one note credits the questionnaires used (DAST-10's terms ask for it)
    assert [note["text"][:21] for note in observation["note"]] == ["Questionnaires used: "]
    assert "© World Health Organization, 2001" in observation["note"][0]["text"]


# Each code checked against its LOINC term page; instruments without a verified code are named by text alone.
LOINC_TOTALS = [
    ("audit", "75624-7"),
    ("dast", "82667-7"),
    ("phq9", "44261-6"),
    ("gad7", "70274-6"),
    ("asq", None),
]


@pytest.mark.parametrize(("instrument", "loinc"), LOINC_TOTALS)
def test_instrument_totals_carry_verified_loinc_codes_only(
    assessor: Assessor, instrument: str, loinc: str | None
) -> None:
    _, observation = resources(fhir_bundle(record_for(assessor, ANSWER_SETS["two substances"])))
    codings = component(observation, instrument)["code"]["coding"]
    assert [c["code"] for c in codings if c["system"] == "http://loinc.org"] == ([loinc] if loinc else [])
    assert {"system": "urn:carecheck:instrument", "code": instrument} in codings


def test_an_override_adds_the_chosen_level_and_reason_without_hiding_the_computed_one(assessor: Assessor) -> None:
    record = record_for(assessor, with_alcohol(20), override=Override("php", "Two relapses after IOP in a year."))
    _, observation = resources(fhir_bundle(record))
    # The value is where the client was placed; the computed level stays beside it as a component.
    assert observation["valueCodeableConcept"]["coding"] == [
        {"system": "urn:carecheck:level", "code": "php", "display": record["level_names"]["php"]}
    ]
    computed = component(observation, "Level computed by carecheck")["valueCodeableConcept"]
    assert computed["coding"][0]["code"] == record["computed_level"] != "php"
    assert observation["note"][0] == {"authorString": "Dana Ortiz", "text": "Two relapses after IOP in a year."}
    assert observation["note"][1]["text"].startswith("Questionnaires used: ")


# --- determinism and hostile text ---------------------------------------------------------------------------------


def test_the_same_record_exports_byte_identically(assessor: Assessor) -> None:
    override = Override("php", "Two relapses after IOP in a year.")
    first = json.dumps(fhir_bundle(record_for(assessor, with_alcohol(20), override=override)), sort_keys=True)
    second = json.dumps(fhir_bundle(record_for(assessor, with_alcohol(20), override=override)), sort_keys=True)
    assert first == second


def test_full_urls_are_uuid5s_of_the_record_id_client_and_time(assessor: Assessor) -> None:
    def urls(**changes: Any) -> list[str]:
        return [entry["fullUrl"] for entry in fhir_bundle(record_for(assessor, baseline_answers(), **changes))["entry"]]

    base = urls()
    assert all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", url) and uuid.UUID(url[9:]).version == 5 for url in base)
    assert len(set(base)) == 2
    assert urls(counselor="Someone else") == base  # who exported it does not change which record it is
    assert urls(client="C-2048") != base
    assert urls(record_id=18) != base


def test_hostile_text_survives_as_data_and_no_control_character_reaches_fhir(note_assessor: Assessor) -> None:
    note = f"{HOSTILE}\x07 bell\x1b[31m red\u202e reversed\ttab\nline"
    record = record_for(
        note_assessor,
        baseline_answers() | {"clinician_note": note},
        client=HOSTILE,
        counselor=f"Dr {HOSTILE}\x00",
        override=Override("iop", f"{HOSTILE}\x1b[2J cleared"),
    )
    bundle = fhir_bundle(record)
    valid(bundle)
    response, observation = resources(bundle)
    assert answer_of(record, "clinician_note") == [
        {"valueString": f"{HOSTILE}\\x07 bell\\x1b[31m red\\u202e reversed\ttab\nline"}
    ]
    assert response["subject"]["identifier"]["value"] == HOSTILE
    assert response["author"] == {"display": f"Dr {HOSTILE}\\x00"}
    assert observation["note"][0]["text"] == f"{HOSTILE}\\x1b[2J cleared"
    # FHIR strings may hold tab, newline and carriage return, and no other character below a space.
    assert not [s for s in strings(bundle) if re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", s)]


def test_carecheck_does_not_import_the_fhir_models() -> None:
    code = "import sys, carecheck.clinic.fhir; sys.exit('fhir.resources' in sys.modules or 'fhir' in sys.modules)"
    process = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent, check=False)
    assert process.returncode == 0


def test_an_urgent_intake_leads_with_crisis_help() -> None:
    intake = load_assessor("counselor-intake", "counselor-intake")
    findings = {"intoxicated": False, "vitals_concern": False, "ciwa_total": 20}
    record = record_for(intake, with_alcohol(10) | findings, override=Override("php", "Detox bed tomorrow."))
    valid(fhir_bundle(record))
    observation = resources(fhir_bundle(record))[1]
    assert observation["component"][0]["code"]["coding"][0]["code"] == "urgent"
    assert observation["component"][0]["valueBoolean"] is True
    assert observation["text"]["div"].index("988") < observation["text"]["div"].index("ciwa")
    crisis = observation["note"][0]["text"]
    assert "988" in crisis
    assert "911" in crisis
    assert "emergency room" in crisis
    assert observation["note"][1]["text"] == "Detox bed tomorrow."


def test_a_record_stored_before_section_ids_still_exports_with_numbered_groups(assessor: Assessor) -> None:
    record = record_for(assessor, with_alcohol(20))
    for entry in record["answers"]:
        del entry["section_id"], entry["instrument"]
    bundle = fhir_bundle(record)
    valid(bundle)
    groups = [group["linkId"] for group in resources(bundle)[0]["item"]]
    assert groups[:3] == ["section-1", "section-2", "section-3"]
