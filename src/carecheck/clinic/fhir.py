"""An intake record as a FHIR R5 (5.0.0) Bundle: the answers as a QuestionnaireResponse, the level as an Observation.

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

from carecheck.core.errors import CarecheckError
from carecheck.core.safetext import literal

FHIR_VERSION = "5.0.0"

CLIENT_SYSTEM = "urn:carecheck:client"
RECORD_SYSTEM = "urn:carecheck:record"
LEVEL_SYSTEM = "urn:carecheck:level"
INSTRUMENT_SYSTEM = "urn:carecheck:instrument"
RULES_SYSTEM = "urn:carecheck:rules"
QUESTIONNAIRE_HASH_SYSTEM = "urn:carecheck:questionnaire:sha256"
RULES_HASH_SYSTEM = "urn:carecheck:rules:sha256"

_OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_LOINC = "http://loinc.org"

# Total-score codes for the shipped instruments, by instrument id, each checked against its LOINC term page (code,
# long common name, method). Keyed by id: a custom definition that reuses one of these ids for another instrument
# would be mislabelled, so ids of the shipped instruments are reserved in practice. Instruments not listed here
# (ASQ, CIWA-Ar, COWS, ...) are named by text only: a guessed code in a clinical record is worse than none.
_TOTAL_SCORE_LOINC: dict[str, tuple[str, str]] = {
    "audit": ("75624-7", "Total score [AUDIT]"),
    "dast": ("82667-7", "Total score [DAST-10]"),
    "phq9": ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
    "gad7": ("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"),
}

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


def _text(value: Any) -> str | None:
    """Record text as a FHIR string: control characters made visible, None for nothing (FHIR has no empty string)."""
    if value is None:
        return None
    text = literal(str(value))
    return text if text.strip() else None


def _compact(**fields: Any) -> dict[str, Any]:
    """A FHIR element without its absent fields: FHIR refuses nulls, empty strings and empty lists."""
    return {name: value for name, value in fields.items() if value is not None and value != [] and value != {}}


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
    # An http-free canonical: the questionnaire is carecheck's own YAML, not a Questionnaire resource on a server.
    canonical = f"urn:carecheck:questionnaire:{questionnaire_id}"
    if questionnaire.get("version"):
        canonical += f"|{questionnaire['version']}"
    record_id = record.get("id")
    counselor = _text(record.get("counselor"))
    return _compact(
        resourceType="QuestionnaireResponse",
        # The hash pins the exact wording the client answered, which the id and version alone do not.
        meta=_hash_meta(QUESTIONNAIRE_HASH_SYSTEM, questionnaire),
        identifier=[{"system": RECORD_SYSTEM, "value": str(record_id)}] if record_id is not None else None,
        questionnaire=canonical,
        status="completed",
        subject=_subject(record),
        authored=record["created"],
        author={"display": counselor} if counselor else None,
        item=_sections(record.get("answers", []), questionnaire_id),
    )


def _hash_meta(system: str, definition: Mapping[str, Any]) -> dict[str, Any] | None:
    sha256 = definition.get("sha256")
    if not sha256:
        return None
    return {"tag": [{"system": system, "code": str(sha256)}]}


def _sections(answers: list[Mapping[str, Any]], questionnaire_id: str) -> list[dict[str, Any]]:
    """One group per run of answers from the same section (answers come in questionnaire order)."""
    runs: list[tuple[str, list[dict[str, Any]]]] = []
    for entry in answers:
        section = str(entry.get("section") or "")
        if not runs or section != runs[-1][0]:
            runs.append((section, []))
        runs[-1][1].append(_item(entry, questionnaire_id))
    # Item ids are snake_case identifiers, so a hyphenated group id can never collide with one.
    return [
        _compact(linkId=f"section-{number}", text=_text(section), item=items)
        for number, (section, items) in enumerate(runs, start=1)
    ]


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
    system = f"urn:carecheck:{questionnaire_id}:{entry['id']}"
    if kind == "choice":
        return [{"valueCoding": _coding(system, value, display)}]
    if kind == "multi":
        # The engine keeps a multi answer's values and their labels in the order of the choices, so they pair up.
        # None chosen leaves the item with no answer: it is there because it was answered, with nothing ticked.
        values = list(value or [])
        labels = list(display) if isinstance(display, list) and len(display) == len(values) else [None] * len(values)
        return [{"valueCoding": _coding(system, v, label)} for v, label in zip(values, labels, strict=True)]
    if kind == "text":
        text = _text(value)
        return [{"valueString": text}] if text else []
    raise CarecheckError(f"answer {entry.get('id')!r} has type {kind!r}, which the FHIR export does not know")


def _coding(system: str, value: Any, display: Any) -> dict[str, Any]:
    return _compact(system=system, code=str(value), display=_text(display))


def _level(record: Mapping[str, Any], level: str) -> dict[str, Any]:
    name = _text(record.get("level_names", {}).get(level))
    return _compact(coding=[_compact(system=LEVEL_SYSTEM, code=level, display=name)], text=name or level)


def _observation(record: Mapping[str, Any], response_url: str) -> dict[str, Any]:
    result = record["result"]
    rules = _definition(record, "rules")
    override = record.get("override")
    counselor = _text(record.get("counselor"))
    # Crisis help first, here as in every format: the urgent flag leads the components and the crisis text the notes.
    components = [{"code": {"text": "Urgent"}, "valueBoolean": bool(result.get("urgent"))}]
    components += [_score(instrument, score) for instrument, score in result.get("scores", {}).items()]
    components.append({"code": {"text": "Screen positive"}, "valueBoolean": bool(result.get("screen_positive"))})
    note: list[dict[str, Any]] = []
    safety = record.get("safety") or result.get("safety")
    if safety:
        contacts = " ".join(f"{_text(c.get('name'))}: {_text(c.get('how'))}" for c in safety.get("contacts", []))
        note.append({"text": f"{_text(safety.get('heading'))}. {_text(safety.get('message'))} {contacts}".strip()})
    if override:
        # The value stays the computed level; the counselor's decision sits beside it, so neither hides the other.
        components.append(
            {
                "code": {"text": "Level chosen by the counselor"},
                "valueCodeableConcept": _level(record, override["level"]),
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
        # No LOINC term for a level-of-care recommendation was verified, so the code is text only.
        code={"text": "Level of care recommendation"},
        subject=_subject(record),
        effectiveDateTime=record["created"],
        device={"display": f"carecheck {record['carecheck']}"} if record.get("carecheck") else None,
        valueCodeableConcept=_level(record, str(record["computed_level"])),
        note=note or None,
        method=method,
        derivedFrom=[{"reference": response_url}],
        component=components,
    )


def _credits(record: Mapping[str, Any]) -> str | None:
    """The questionnaires used, each with its credit and terms of use (DAST-10's terms ask for the credit wherever
    its items are used), as one note; None for a record written before credits were kept."""
    used = record.get("explanation", {}).get("instruments_used") or []
    said = [f"{_text(c.get('name'))}: {_text(c.get('credit'))} {_text(c.get('terms'))}".strip() for c in used]
    return "Questionnaires used: " + " ".join(said) if said else None


def _score(instrument: str, score: Mapping[str, Any]) -> dict[str, Any]:
    coding = [{"system": INSTRUMENT_SYSTEM, "code": instrument}]
    if instrument in _TOTAL_SCORE_LOINC:
        code, display = _TOTAL_SCORE_LOINC[instrument]
        coding.insert(0, {"system": _LOINC, "code": code, "display": display})
    band = _text(score.get("band"))
    return _compact(
        code={"coding": coding, "text": instrument},
        valueInteger=score["total"],
        interpretation=[{"text": band}] if band else None,
    )
