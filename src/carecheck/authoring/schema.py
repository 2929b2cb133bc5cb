"""JSON Schemas (draft-07) for carecheck's files: definitions, answer files and the JSON result, for editors and tools.

The copies in `schemas/` are what `schema_files()` returns; a test keeps them equal. After changing a definition model,
the built-in questionnaire or the result, regenerate them from the top of the checkout with:

  .venv/bin/python -c "import carecheck.authoring.schema as s;[open(p,'w').write(t)for p,t in s.schema_files().items()]"
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from carecheck.core.conditions import suggest
from carecheck.core.definitions import Frozen, Instrument, Item, Questionnaire, RuleSet
from carecheck.core.errors import UsageError
from carecheck.core.items import kind_of
from carecheck.core.result import SCHEMA_VERSION
from carecheck.load.models import models

if TYPE_CHECKING:
    from carecheck.core.assessor import Assessor
    from carecheck.core.compile import CompiledQuestionnaire
    from carecheck.core.compiled import CompiledItem

__all__ = ["KINDS", "schema_files", "schema_for", "schema_json"]

KINDS = ("questionnaire", "instrument", "rules", "answers", "result")

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
"""Draft-07 rather than 2020-12: yaml-language-server and most editors validate with draft-07."""

# The codes the contract (section 3) fixes; a result that uses others breaks its readers.
LEVELS = ("outpatient", "iop", "php", "inpatient")
PROGRAM_TYPES = ("dual-diagnosis", "adolescent", "withdrawal-management")
MODALITIES = (
    "cbt",
    "dbt",
    "mindfulness",
    "motivational-interviewing",
    "family-therapy",
    "twelve-step-facilitation",
    "matrix-model",
    "contingency-management",
    "therapeutic-community",
)

_CODE_PATTERN = r"^[a-z][a-z0-9-]*$"
# ECMA-262 regular expressions have no inline case-insensitive flag, so each letter carries both cases.


def schema_for(kind: str, assessor: Assessor | CompiledQuestionnaire | None = None) -> dict[str, Any]:
    """The JSON Schema (draft-07) for one kind of file: one of `KINDS`.

    `answers` describes the answer files of the assessor's questionnaire (the built-in one when `assessor` is None);
    the other kinds ignore `assessor`. Raises UsageError for an unknown kind.
    """
    if kind == "questionnaire":
        return _definition_schema(
            Questionnaire,
            "carecheck questionnaire",
            "A questionnaire file: its sections, items and the instrument files it includes. Checks each file's "
            "shape; `carecheck validate` also checks what the schema cannot (conditions, cross-references).",
        )
    if kind == "instrument":
        return _definition_schema(
            Instrument,
            "carecheck instrument",
            "An instrument file included by a questionnaire: its items, scoring key, bands and attribution. Checks "
            "each file's shape; `carecheck validate` also checks what the schema cannot (conditions, bands).",
        )
    if kind == "rules":
        return _definition_schema(
            RuleSet,
            "carecheck rule set",
            "A placement policy: levels, derived values, placement rules, suggestions, notes and the criteria "
            "catalogue. Checks the file's shape; `carecheck validate` also checks what the schema cannot "
            "(conditions, and that every item, choice, level and criterion named exists).",
            merged=("suggestions",),
        )
    if kind == "answers":
        if assessor is None:
            from carecheck.api import load_assessor  # an edge that reads files: only for this convenience

            assessor = load_assessor()
        return _answers_schema(assessor)
    if kind == "result":
        return _result_schema()
    raise UsageError(f"no schema kind is called {kind!r}{suggest(kind, KINDS)}; choose one of: {', '.join(KINDS)}")


def schema_json(kind: str, assessor: Assessor | CompiledQuestionnaire | None = None) -> str:
    """`schema_for` as indented JSON text ending in a newline; the same inputs always give the same bytes."""
    return json.dumps(schema_for(kind, assessor), indent=2, sort_keys=False) + "\n"


def schema_files(assessor: Assessor | None = None) -> dict[str, str]:
    """The files committed in `schemas/`: path from the top of the checkout -> text (answers for `assessor`)."""
    return {f"schemas/{kind}.schema.json": schema_json(kind, assessor) for kind in KINDS}


# --- definition files: the classes of `definitions` are the single source of truth ------------------------------------


def _definition_schema(cls: type[Frozen], title: str, description: str, merged: tuple[str, ...] = ()) -> dict[str, Any]:
    # Draft-07 keeps shared schemas under `definitions`; `$defs` is a 2019-09 keyword that draft-07 tools do not
    # resolve. pydantic adds no other post-draft-07 keyword for these models; `discriminator` is an OpenAPI
    # annotation that validators ignore (the `type` const of each branch does the discriminating).
    generated = models()[cls].model_json_schema(ref_template="#/definitions/{model}")
    definitions = generated.pop("$defs", {})
    generated.pop("title", None)
    return {
        "$schema": DRAFT_07,
        "title": title,
        "description": description,
        **_partial_when_extending(generated, definitions, merged),
        "definitions": definitions,
    }


def _partial_when_extending(
    generated: dict[str, Any], definitions: dict[str, Any], merged: tuple[str, ...]
) -> dict[str, Any]:
    """A file with `extends:` gives only what differs from its base: no top-level key is required then, and the
    mappings merged key by key (`merged`) may be partial. Draft-07 cannot relax a nested `required` only when a
    top-level key is present, so those mappings require nothing here; `carecheck validate` still names a missing
    key in a complete file. Entries of lists are whole either way."""
    if "extends" not in generated["properties"]:
        return generated
    for key in merged:
        definitions[generated["properties"][key]["$ref"].rsplit("/", 1)[1]].pop("required", None)
    required = generated.pop("required", [])
    return {**generated, "if": {"required": ["extends"]}, "else": {"required": required}}


# --- answer files: generated from the questionnaire, since each questionnaire has its own items ----------------------


def _answers_schema(assessor: Assessor | CompiledQuestionnaire) -> dict[str, Any]:
    questionnaire = assessor.questionnaire.questionnaire
    properties: dict[str, Any] = {
        "id": {
            "type": ["string", "integer", "null"],
            "description": "An optional label for the record, echoed in the result.",
        }
    }
    # An empty answer (null) is no answer, as `carecheck template` leaves it: allowed for every item.
    properties |= {item.id: {"anyOf": [_answer_schema(item), {"type": "null"}]} for item in assessor.items}
    return {
        "$schema": DRAFT_07,
        "title": f"carecheck answers: {questionnaire.id} {questionnaire.version}",
        "description": (
            f"An answer file for the questionnaire {questionnaire.id!r}: item id -> answer. No item is listed as "
            "required: an item is asked only when its condition holds on earlier answers, which JSON Schema cannot "
            "express, so `carecheck assess` names any missing answer instead."
        ),
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


def _answer_schema(item: CompiledItem) -> dict[str, Any]:
    definition = item.definition
    notes = [definition.prompt, f"Answer with {item.domain}."]
    choices = kind_of(definition).choices(definition)
    if choices:
        notes.append("\n".join(f"{choice.value}: {choice.label}" for choice in choices))
    if item.conditions:
        notes.append("Asked only when " + " and ".join(condition.source for condition in item.conditions) + ".")
    if not definition.required:
        notes.append("Optional.")
    return {**_answer_domain(definition), "description": "\n\n".join(notes)}


def _answer_domain(definition: Item) -> dict[str, Any]:
    return kind_of(definition).json_schema(definition)


# --- the JSON result: written by hand, since it is a contract (shared/spec/contract.md, section 3) -------------------


def _result_schema() -> dict[str, Any]:
    def array_of(schema: dict[str, Any], **limits: Any) -> dict[str, Any]:
        return {"type": "array", "items": schema, **limits}

    text = {"type": "string"}
    code = {"type": "string", "pattern": _CODE_PATTERN}

    return {
        "$schema": DRAFT_07,
        "title": f"carecheck result (schema_version {SCHEMA_VERSION})",
        "description": (
            "What `carecheck assess --format json` prints and each line of `carecheck batch` holds for a record that "
            "scored. Keys beyond these may be added (the contract welcomes them), so objects are left open."
        ),
        "type": "object",
        "required": [
            "safety",
            "schema_version",
            "id",
            "level",
            "urgent",
            "screen_positive",
            "scores",
            "program_types",
            "modalities",
            "profile",
            "reasons",
            "notes",
            "warnings",
            "notice",
            "questionnaire",
            "rules",
        ],
        "properties": {
            "safety": {
                "description": "null, crisis help (urgent) or a calm safety check-in; first, so that no one misses it.",
                "anyOf": [{"type": "null"}, {"$ref": "#/definitions/safety"}],
            },
            "schema_version": {"const": SCHEMA_VERSION},
            "id": {"type": ["string", "integer", "null"], "description": "Echoed from the answers' `id`."},
            "level": {"enum": list(LEVELS)},
            "urgent": {"type": "boolean", "description": "Crisis help comes before anything else."},
            "screen_positive": {"type": "boolean"},
            "scores": {
                "type": "object",
                "description": "Instrument id -> its score; an instrument that was not asked is absent (or null).",
                "additionalProperties": {"anyOf": [{"$ref": "#/definitions/score"}, {"type": "null"}]},
            },
            "program_types": array_of({"enum": list(PROGRAM_TYPES)}, uniqueItems=True),
            "modalities": array_of({"enum": list(MODALITIES)}, uniqueItems=True),
            "profile": {
                "type": "object",
                "description": "Area -> severity from 0 up to the area's maximum; display only, never the level.",
                "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 10},
            },
            "reasons": array_of({"$ref": "#/definitions/reason"}),
            "notes": array_of({"$ref": "#/definitions/note"}),
            "warnings": array_of(text),
            "notice": {"type": "string", "description": "A screening aid, not a diagnosis."},
            "questionnaire": {"$ref": "#/definitions/definition"},
            "rules": {"$ref": "#/definitions/definition"},
        },
        "definitions": {
            "safety": {
                "type": "object",
                "required": ["urgent", "heading", "message", "contacts"],
                "properties": {
                    "urgent": {"type": "boolean"},
                    "heading": {"type": "string"},
                    "message": {"type": "string"},
                    "contacts": array_of(
                        {"type": "object", "required": ["name", "how"], "properties": {"name": text, "how": text}},
                        minItems=1,
                    ),
                },
            },
            "score": {
                "type": "object",
                "required": ["total", "band"],
                "properties": {"total": {"type": "integer"}, "band": code},
            },
            "reason": {
                "type": "object",
                "description": "A placement rule that fired; `deciding` when its level is the result's.",
                "required": ["rule", "level", "deciding", "text", "criteria", "items"],
                "properties": {
                    "rule": code,
                    "level": {"enum": list(LEVELS)},
                    "deciding": {"type": "boolean"},
                    "text": {"type": "string"},
                    "criteria": array_of(code),
                    "items": array_of(text),
                },
            },
            "note": {
                "type": "object",
                "required": ["id", "text"],
                "properties": {"id": code, "text": text},
            },
            "definition": {
                "type": "object",
                "description": "Which questionnaire or rule set gave the result, and a hash of its files' bytes.",
                "required": ["id", "version", "sha256"],
                "properties": {
                    "id": {"type": "string"},
                    "version": {"type": "string"},
                    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                },
            },
        },
    }
