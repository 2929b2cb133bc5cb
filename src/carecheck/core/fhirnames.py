"""The names carecheck gives its FHIR artefacts: canonical URLs, local code systems, linkIds and answer codings.

One place, because the exported Questionnaire, the QuestionnaireResponses that answer it and the reading of such a
response back into answers must agree on every one of them. linkIds of questions are carecheck's item ids (snake_case
identifiers); every other linkId holds a hyphen, so no choice of item ids can collide with one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carecheck.core import loinc

QUESTIONNAIRE_PREFIX = "urn:carecheck:questionnaire:"
"""Questionnaire.url is this prefix and the questionnaire's id (a URN: carecheck has no web server to point at)."""

ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
CALCULATED_EXPRESSION = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
ENABLE_WHEN_EXPRESSION = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"


def questionnaire_url(questionnaire_id: str) -> str:
    return QUESTIONNAIRE_PREFIX + questionnaire_id


def answer_system(questionnaire_id: str, item_id: str) -> str:
    """The local code system of one item's answers: its codes are the answer values of the answer file."""
    return f"urn:carecheck:{questionnaire_id}:{item_id}"


def section_link_id(section_id: str) -> str:
    return f"section-{section_id}"


def total_link_id(instrument_id: str) -> str:
    return f"{instrument_id}-total"


def loinc_question(instrument_id: str | None, item_id: str) -> loinc.Question | None:
    panel = loinc.PANELS.get(instrument_id or "")
    return panel.items.get(item_id) if panel is not None else None


def answer_coding(
    questionnaire_id: str, instrument_id: str | None, item_id: str, value: Any, label: str | None, coded: bool = True
) -> dict[str, Any]:
    """The coding of one answer value: its LOINC answer (LA) code where one is confirmed, else carecheck's own."""
    question = loinc_question(instrument_id, item_id) if coded else None
    if question is not None and question.answers is not None and isinstance(value, int):
        answer = question.answers.get(value)
        if answer is not None:
            return {"system": loinc.SYSTEM, "code": answer.code, "display": answer.display}
    coding = {"system": answer_system(questionnaire_id, item_id), "code": str(value)}
    if label:
        coding["display"] = label
    return coding


def loinc_answers(instrument_id: str | None, item_id: str) -> Mapping[str, int]:
    """LA code -> answer value, for reading a LOINC-coded answer back."""
    question = loinc_question(instrument_id, item_id)
    if question is None or question.answers is None:
        return {}
    return {answer.code: value for value, answer in question.answers.items()}
