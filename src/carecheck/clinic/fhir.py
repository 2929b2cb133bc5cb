"""An intake record as a FHIR R5 (5.0.0) Bundle: the answers as a QuestionnaireResponse, the level as an Observation.

The response answers the Questionnaire `carecheck export questionnaire` gives (`clinic.fhir_questionnaire`): the same
canonical URL and version, linkIds and answer codings, so an SDC renderer can score it and `carecheck assess
--answers` can read it back.

R5 because it is the current release and the default model set of `fhir.resources` 8, which the tests validate
against; nothing here needs a feature R4B lacks, but R5's QuestionnaireResponse requires the `questionnaire`
canonical we always have. Pure: no I/O, no clock, no network; the export is a function of the record alone, so the
same record gives byte-identical JSON. carecheck never imports `fhir.resources` (a test-only dependency).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from carecheck.clinic.fhir_questionnaire import FHIR_VERSION, QUESTIONNAIRE_HASH_SYSTEM, compact, fhir_text, narrative
from carecheck.core import loinc
from carecheck.core.errors import CarecheckError
from carecheck.core.fhirnames import answer_coding, questionnaire_url, section_link_id

__all__ = ["FHIR_VERSION", "fhir_bundle"]

CLIENT_SYSTEM = "urn:carecheck:client"
RECORD_SYSTEM = "urn:carecheck:record"
LEVEL_SYSTEM = "urn:carecheck:level"
INSTRUMENT_SYSTEM = "urn:carecheck:instrument"
RULES_SYSTEM = "urn:carecheck:rules"
CONCEPT_SYSTEM = "urn:carecheck:concept"
"""carecheck's own concepts (docs/fhir.md lists them): no LOINC term for a level-of-care recommendation was found."""
BAND_SYSTEM = "urn:carecheck:band:"
"""An instrument's bands, as `urn:carecheck:band:phq9#moderate`: LOINC's PHQ-9 bands are bound to a deprecated term."""
RULES_HASH_SYSTEM = "urn:carecheck:rules:sha256"

_OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

# A fixed namespace, so that resource ids are stable across runs and machines (uuid5 is a hash, not a clock).
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:carecheck:fhir")

# FHIR integers are 32-bit; a larger answer (an integer item may allow one) goes out as a decimal instead.
_INT32 = range(-(2**31), 2**31)


def fhir_bundle(record: Mapping[str, Any]) -> dict[str, Any]:
    """A FHIR R5 `Bundle` of type `collection` for an intake record built by `carecheck.clinic.record.build_record`.

    It holds a `QuestionnaireResponse` (one item per answered item, grouped by section, answers typed by item type)
    and an `Observation` of the result (the computed level as its value; instrument totals, urgency, the screen
    and, with an override, the counselor's chosen level as components, the reason as a note) derived from it.
    Full URLs are `urn:uuid:` uuid5s of the record id, client and time, so one record always exports the same.
    Text from the record is kept as data, with control characters written out visibly (`\\x07`): FHIR strings may
    not hold them. Raises `CarecheckError` for an answer of a type this export does not know.
    """
    response_url = _full_url("QuestionnaireResponse", record)
    observation_url = _full_url("Observation", record)
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": record["created"],
        "entry": [
            {"fullUrl": response_url, "resource": _questionnaire_response(record)},
            {"fullUrl": observation_url, "resource": _observation(record, response_url)},
        ],
    }


def _full_url(kind: str, record: Mapping[str, Any]) -> str:
    # JSON of a list, not a joined string, so that no choice of client id can make two records' keys collide.
    key = json.dumps([kind, record.get("id"), record.get("client"), record.get("created")])
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, key)}"


_text = fhir_text
_compact = compact


def _subject(record: Mapping[str, Any]) -> dict[str, Any] | None:
    # A logical reference: the client is known by the service's own id, not by a Patient resource we could point to.
    client = _text(record.get("client"))
    if client is None:
        return None
    return {"type": "Patient", "identifier": {"system": CLIENT_SYSTEM, "value": client}}


def _definition(record: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    definition = record.get("result", {}).get(name)
    return definition if isinstance(definition, Mapping) else {}


def _questionnaire_response(record: Mapping[str, Any]) -> dict[str, Any]:
    questionnaire = _definition(record, "questionnaire")
    questionnaire_id = str(questionnaire.get("id", "questionnaire"))
    # The canonical of the Questionnaire `carecheck export questionnaire` gives, pinned to the answered version.
    canonical = questionnaire_url(questionnaire_id)
    if questionnaire.get("version"):
        canonical += f"|{questionnaire['version']}"
    record_id = record.get("id")
    counselor = _text(record.get("counselor"))
    answers = record.get("answers", [])
    title = _text(record.get("titles", {}).get("questionnaire")) or questionnaire_id
    lines = [f"{_text(entry.get('label') or entry.get('id'))}: {_in_words(entry.get('display'))}" for entry in answers]
    return _compact(
        resourceType="QuestionnaireResponse",
        # The hash pins the exact wording the client answered, which the id and version alone do not.
        meta=_hash_meta(QUESTIONNAIRE_HASH_SYSTEM, questionnaire),
        text=narrative(f"Answers to {title}, {record['created']}", lines),
        identifier=[{"system": RECORD_SYSTEM, "value": str(record_id)}] if record_id is not None else None,
        questionnaire=canonical,
        status="completed",
        subject=_subject(record),
        authored=record["created"],
        author={"display": counselor} if counselor else None,
        item=_sections(answers, questionnaire_id),
    )


def _in_words(display: Any) -> str:
    if isinstance(display, list):
        return "; ".join(str(_text(part)) for part in display) or "none"
    return _text(display) or "none"


def _hash_meta(system: str, definition: Mapping[str, Any]) -> dict[str, Any] | None:
    sha256 = definition.get("sha256")
    if not sha256:
        return None
    return {"tag": [{"system": system, "code": str(sha256)}]}


def _sections(answers: list[Mapping[str, Any]], questionnaire_id: str) -> list[dict[str, Any]]:
    """One group per section answered, linked by the section's id as in the exported Questionnaire (answers come in
    questionnaire order). A record stored before sections were recorded by id numbers its groups instead."""
    runs: list[tuple[str, str, str, list[dict[str, Any]]]] = []  # key, linkId, title, items
    for entry in answers:
        section = str(entry.get("section") or "")
        key = str(entry.get("section_id") or section)
        if not runs or key != runs[-1][0]:
            link_id = section_link_id(key) if entry.get("section_id") else f"section-{len(runs) + 1}"
            runs.append((key, link_id, section, []))
        runs[-1][3].append(_item(entry, questionnaire_id))
    return [_compact(linkId=link_id, text=_text(title), item=items) for _, link_id, title, items in runs]


def _item(entry: Mapping[str, Any], questionnaire_id: str) -> dict[str, Any]:
    return _compact(
        linkId=str(entry["id"]),
        text=_text(entry.get("prompt")),
        answer=_answers(entry, questionnaire_id),
    )


def _answers(entry: Mapping[str, Any], questionnaire_id: str) -> list[dict[str, Any]]:
    kind, value, display = entry.get("type"), entry.get("value"), entry.get("display")
    if kind == "integer":
        return [{"valueInteger": value} if value in _INT32 else {"valueDecimal": value}]
    if kind == "boolean":
        return [{"valueBoolean": bool(value)}]
    item_id, instrument = str(entry["id"]), entry.get("instrument")
    if kind == "choice":
        return [{"valueCoding": answer_coding(questionnaire_id, instrument, item_id, value, _text(display))}]
    if kind == "multi":
        # The engine keeps a multi answer's values and their labels in the order of the choices, so they pair up.
        # None chosen leaves the item with no answer: it is there because it was answered, with nothing ticked.
        values = list(value or [])
        labels = list(display) if isinstance(display, list) and len(display) == len(values) else [None] * len(values)
        return [
            {"valueCoding": answer_coding(questionnaire_id, instrument, item_id, v, _text(label))}
            for v, label in zip(values, labels, strict=True)
        ]
    if kind == "text":
        text = _text(value)
        return [{"valueString": text}] if text else []
    raise CarecheckError(f"answer {entry.get('id')!r} has type {kind!r}, which the FHIR export does not know")


def _level(record: Mapping[str, Any], level: str) -> dict[str, Any]:
    name = _text(record.get("level_names", {}).get(level))
    return _compact(coding=[_compact(system=LEVEL_SYSTEM, code=level, display=name)], text=name or level)


def _observation(record: Mapping[str, Any], response_url: str) -> dict[str, Any]:
    result = record["result"]
    rules = _definition(record, "rules")
    override = record.get("override")
    counselor = _text(record.get("counselor"))
    # Crisis help first, here as in every format: the urgent flag leads the components and the crisis text the notes.
    components = [_flag("urgent", "Urgent: crisis help first", bool(result.get("urgent")))]
    components += [_score(instrument, score) for instrument, score in result.get("scores", {}).items()]
    components.append(_flag("screen-positive", "Screen positive", bool(result.get("screen_positive"))))
    note: list[dict[str, Any]] = []
    safety = record.get("safety") or result.get("safety")
    if safety:
        contacts = " ".join(f"{_text(c.get('name'))}: {_text(c.get('how'))}" for c in safety.get("contacts", []))
        note.append({"text": f"{_text(safety.get('heading'))}. {_text(safety.get('message'))} {contacts}".strip()})
    computed = str(record["computed_level"])
    chosen = str(override["level"]) if override else computed
    if override:
        # The value is the level the client was placed at; the one carecheck computed stays beside it, never lost.
        components.append(
            {
                "code": _concept("computed-level", "Level computed by carecheck"),
                "valueCodeableConcept": _level(record, computed),
            }
        )
        note.append(_compact(authorString=counselor, text=_text(override.get("reason")) or "no reason given"))
    credits = _credits(record)
    if credits:
        note.append({"text": credits})
    method = None
    if rules.get("id"):
        rules_title = _text(record.get("titles", {}).get("rules"))
        coding = _compact(system=RULES_SYSTEM, version=rules.get("version") or None, code=str(rules["id"]))
        method = _compact(coding=[coding], text=rules_title)
    return _compact(
        resourceType="Observation",
        meta=_hash_meta(RULES_HASH_SYSTEM, rules),
        status="final",
        category=[{"coding": [{"system": _OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
        text=narrative(f"Level of care: {_level(record, chosen)['text']}", _summary(record, override)),
        # No LOINC term for a level-of-care recommendation was found, so carecheck's own concept codes it.
        code=_concept("level-of-care", "Level of care recommendation"),
        subject=_subject(record),
        effectiveDateTime=record["created"],
        performer=[{"display": counselor}] if counselor else None,
        device={"display": f"carecheck {record['carecheck']}"} if record.get("carecheck") else None,
        valueCodeableConcept=_level(record, chosen),
        note=note or None,
        method=method,
        derivedFrom=[{"reference": response_url}],
        component=components,
    )


def _concept(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": CONCEPT_SYSTEM, "code": code, "display": display}], "text": display}


def _flag(code: str, display: str, value: bool) -> dict[str, Any]:
    return {"code": _concept(code, display), "valueBoolean": value}


def _summary(record: Mapping[str, Any], override: Mapping[str, Any] | None) -> list[str]:
    """The narrative's lines: crisis help first, then the levels, the scores and the reason for an override."""
    result = record["result"]
    lines = ["Urgent: crisis help first (988, 911, the nearest emergency room)"] if result.get("urgent") else []
    if override:
        lines.append(
            f"Placed by the counselor; carecheck computed {_level(record, str(record['computed_level']))['text']}"
        )
        lines.append(f"Reason: {_text(override.get('reason')) or 'no reason given'}")
    for instrument, score in result.get("scores", {}).items():
        lines.append(f"{instrument}: {score['total']} ({_text(score.get('band')) or 'no band'})")
    return lines


def _credits(record: Mapping[str, Any]) -> str | None:
    """The questionnaires used, each with its credit and terms of use (DAST-10's terms ask for the credit wherever
    its items are used), as one note; None for a record written before credits were kept."""
    used = record.get("explanation", {}).get("instruments_used") or []
    said = [f"{_text(c.get('name'))}: {_text(c.get('credit'))} {_text(c.get('terms'))}".strip() for c in used]
    return "Questionnaires used: " + " ".join(said) if said else None


def _score(instrument: str, score: Mapping[str, Any]) -> dict[str, Any]:
    coding = [{"system": INSTRUMENT_SYSTEM, "code": instrument}]
    panel = loinc.PANELS.get(instrument)
    if panel is not None and panel.total is not None:
        coding.insert(0, {"system": loinc.SYSTEM, "code": panel.total[0], "display": panel.total[1]})
    band = _text(score.get("band"))
    interpretation = None
    if band:
        interpretation = [{"coding": [{"system": BAND_SYSTEM + instrument, "code": band}], "text": band}]
    return _compact(
        code={"coding": coding, "text": instrument},
        valueInteger=score["total"],
        interpretation=interpretation,
    )
