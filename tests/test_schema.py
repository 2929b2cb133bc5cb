"""The JSON Schemas: the committed copies match the code, they are plain draft-07, and every shipped file fits."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

import carecheck.authoring.schema
from carecheck import Assessor, UsageError
from carecheck.authoring.schema import KINDS, schema_files, schema_for
from carecheck.authoring.template import answer_template
from carecheck.output.render import result_json
from conftest import baseline_answers

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
REGENERATE = next(
    line.strip() for line in (carecheck.authoring.schema.__doc__ or "").splitlines() if ".venv/bin/python" in line
)
"""The one-liner that the module's docstring gives for regenerating `schemas/`."""

INSTRUMENTS = ROOT / "questionnaires" / "instruments"
# Each shipped definition file names its schema on its first line, relative to itself, for yaml-language-server.
SHIPPED = {
    **dict.fromkeys(sorted((ROOT / "questionnaires").glob("*.yaml")), "../schemas/questionnaire.schema.json"),
    **dict.fromkeys(sorted(INSTRUMENTS.glob("*.yaml")), "../../schemas/instrument.schema.json"),
    **dict.fromkeys(sorted((ROOT / "rules").glob("*.yaml")), "../schemas/rules.schema.json"),
}
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def committed(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{kind}.schema.json").read_text())
    return schema


def problems(kind: str, document: Any) -> list[str]:
    """Every way the document breaks the committed schema, as `path: message`; empty when it fits."""
    errors = Draft7Validator(committed(kind)).iter_errors(document)
    return [f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}" for error in errors]


ONE_SUBSCHEMA = ("items", "additionalProperties", "propertyNames", "contains", "not", "if", "then", "else")


def subschemas(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The schema and every schema nested in it (not the names under `properties` and `definitions`)."""
    yield schema
    for keyword, value in schema.items():
        if keyword in ("properties", "definitions", "patternProperties"):
            for nested in value.values():
                yield from subschemas(nested)
        elif keyword in ("anyOf", "oneOf", "allOf") or (keyword == "items" and isinstance(value, list)):
            for nested in value:
                yield from subschemas(nested)
        elif isinstance(value, dict) and keyword in ONE_SUBSCHEMA:
            yield from subschemas(value)


# --- the committed files cannot drift from the code ---------------------------------------------------------------


def test_the_committed_schemas_are_what_the_code_generates(assessor: Assessor) -> None:
    expected = schema_files(assessor)
    on_disk = {f"schemas/{path.name}": path.read_text() for path in SCHEMAS.glob("*.schema.json")}
    stale = sorted(path for path in expected.keys() | on_disk.keys() if expected.get(path) != on_disk.get(path))
    assert not stale, f"{', '.join(stale)} out of date; regenerate from the top of the checkout with:\n{REGENERATE}"


def test_an_unknown_kind_names_the_valid_ones() -> None:
    with pytest.raises(UsageError, match=r"'rule'.*did you mean 'rules'.*questionnaire, instrument, rules, answers"):
        schema_for("rule")


# --- plain draft-07, as yaml-language-server reads it --------------------------------------------------------------

DRAFT_07_KEYWORDS = {
    "$schema", "$id", "$ref", "$comment", "title", "description", "default", "examples", "readOnly", "writeOnly",
    "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "format", "contentMediaType", "contentEncoding", "items",
    "additionalItems", "maxItems", "minItems", "uniqueItems", "contains", "maxProperties", "minProperties",
    "required", "properties", "patternProperties", "additionalProperties", "dependencies", "propertyNames",
    "if", "then", "else", "allOf", "anyOf", "oneOf", "not", "definitions",
}  # fmt: skip
ANNOTATIONS = {"discriminator"}
"""pydantic's OpenAPI `discriminator`: validators ignore it; each branch's `type` const does the work."""


@pytest.mark.parametrize("kind", KINDS)
def test_each_schema_is_a_valid_draft_07_schema(kind: str) -> None:
    Draft7Validator.check_schema(committed(kind))
    assert committed(kind)["$schema"] == "http://json-schema.org/draft-07/schema#"


@pytest.mark.parametrize("kind", KINDS)
def test_each_schema_uses_only_draft_07_keywords_and_local_definitions(kind: str) -> None:
    for schema in subschemas(committed(kind)):
        assert schema.keys() <= DRAFT_07_KEYWORDS | ANNOTATIONS, schema.keys() - DRAFT_07_KEYWORDS - ANNOTATIONS
        if "$ref" in schema:
            # Draft-07 ignores every keyword beside a $ref, so none may be there to be lost.
            assert schema.keys() == {"$ref"}, schema
            assert schema["$ref"].removeprefix("#/definitions/") in committed(kind)["definitions"]


@pytest.mark.parametrize("kind", ["questionnaire", "instrument", "rules"])
def test_definition_schemas_forbid_unknown_keys_as_the_models_do(kind: str) -> None:
    objects = [schema for schema in subschemas(committed(kind)) if "properties" in schema]
    assert objects
    assert all(schema["additionalProperties"] is False for schema in objects)


def test_the_answers_schema_requires_nothing_since_items_depend_on_earlier_answers() -> None:
    schema = committed("answers")
    assert "required" not in schema
    assert "cannot express" in schema["description"]
    assert schema["additionalProperties"] is False


# --- every shipped file fits its schema ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(SHIPPED), ids=lambda path: path.name)
def test_each_shipped_definition_file_fits_its_schema(path: Path) -> None:
    kind = Path(SHIPPED[path]).name.removesuffix(".schema.json")
    assert problems(kind, yaml.safe_load(path.read_text())) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_each_example_answer_file_fits_the_answers_schema(path: Path) -> None:
    assert problems("answers", yaml.safe_load(path.read_text())) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_the_result_for_each_example_fits_the_result_schema(path: Path, assessor: Assessor) -> None:
    result = json.loads(result_json(assessor.assess(yaml.safe_load(path.read_text())), assessor))
    assert problems("result", result) == []


def test_an_urgent_result_with_crisis_help_fits_the_result_schema(assessor: Assessor) -> None:
    answers = baseline_answers() | {"id": 42, "asq_1": True, "asq_5": True}
    result = json.loads(result_json(assessor.assess(answers), assessor))
    assert result["urgent"] is True
    assert result["safety"]["urgent"] is True
    assert problems("result", result) == []


# --- broken files do not fit --------------------------------------------------------------------------------------


def _first_rule(rules: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = rules["placement"][0]
    return rule


BROKEN_RULES: dict[str, Callable[[dict[str, Any]], None]] = {
    "an unknown top-level key": lambda rules: rules.update(placment=[]),
    "an unknown key in a rule": lambda rules: _first_rule(rules).update(levle="iop"),
    "a level that is a number": lambda rules: _first_rule(rules).update(level=3),
    "a level mapping without its item": lambda rules: _first_rule(rules).update(level={"step": 1}),
    "a rule without a reason": lambda rules: _first_rule(rules).pop("reason"),
    "a rule id that is not kebab-case": lambda rules: _first_rule(rules).update(id="Use_Moderate"),
    "no levels": lambda rules: rules.update(levels=[]),
}


@pytest.mark.parametrize("break_it", BROKEN_RULES.values(), ids=BROKEN_RULES.keys())
def test_a_broken_rule_set_does_not_fit(break_it: Callable[[dict[str, Any]], None]) -> None:
    rules = copy.deepcopy(yaml.safe_load((ROOT / "rules" / "level-of-care.yaml").read_text()))
    break_it(rules)
    assert problems("rules", rules) != []


@pytest.mark.parametrize(
    ("change", "fits"),
    [
        ({"withdrawal_now": "Yes"}, True),
        ({"withdrawal_now": " no "}, True),
        ({"withdrawal_now": "FALSE"}, True),
        ({"withdrawal_now": "maybe"}, False),
        ({"withdrawal_now": 1}, False),
        ({"audit_9": 2}, True),
        ({"audit_9": 3}, False),
        ({"phq9_3": 7}, False),
        ({"age": 11}, False),
        ({"substances": ["alcohol", "alcohol"]}, False),
        ({"substances": ["wine"]}, False),
        ({"housing": "tent"}, False),
        ({"id": "intake-0042"}, True),
        ({"id": True}, False),
        ({"phq_1": 0}, False),
    ],
)
def test_the_answers_schema_checks_each_items_domain(change: dict[str, Any], fits: bool) -> None:
    assert (problems("answers", baseline_answers() | change) == []) is fits


# --- editors find the schemas -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(SHIPPED), ids=lambda path: str(path.relative_to(ROOT)))
def test_each_shipped_definition_file_names_its_schema_on_its_first_line(path: Path) -> None:
    first_line = path.read_text().split("\n", 1)[0]
    assert first_line == f"# yaml-language-server: $schema={SHIPPED[path]}"
    assert (path.parent / SHIPPED[path]).is_file()


def test_the_answers_schema_accepts_the_template_it_describes(assessor: Assessor) -> None:
    Draft7Validator(schema_for("answers", assessor)).validate(yaml.safe_load(answer_template(assessor)))


# --- the schema and the tool agree on every answer -----------------------------------------------------------------

WRITTEN_FORMS = [
    *["010", "on", "off", "yes", "no", "'yes'", "Yes", "y", "true", "True", "TRUE", "'true'", "1:05", "1_0", "0x1F"],
    *["0o7", "3", "'3'", "'2'", "' 2 '", "3.0", "2.0", "1.5", "-1", "1e3", ".inf", "''", "[]", "'alcohol'"],
    *["[alcohol]", "[alcohol, alcohol]", "[alcohol, wine]", "stable", "'none'", "{a: 1}", "[[1]]", "'0 '"],
    *["Stable", "' STABLE '", "[Alcohol]", "'Alcohol'", "[alcohol, Alcohol]", "'stable-ish'", "'3 3'", "'03'"],
]


@pytest.mark.slow
def test_the_answers_schema_and_the_tool_agree_on_each_mutated_answer_file(assessor: Assessor) -> None:
    """Each item of a complete answer file, rewritten in each of many YAML forms: the schema accepts it exactly
    when `carecheck assess` does. An empty answer (null) is left out: the schema requires nothing (see above),
    and the tool then says which items are missing."""
    from carecheck.core.errors import AnswersError
    from carecheck.load.loader import answers_from_text

    validator = Draft7Validator(committed("answers"))
    base = baseline_answers()
    disagreements = []
    for item in base:
        rest = "".join(f"{key}: {json.dumps(value)}\n" for key, value in base.items() if key != item)
        for form in WRITTEN_FORMS:
            answers = answers_from_text(f"{rest}{item}: {form}\n", "answers.yaml")
            schema_takes = not any(list(e.absolute_path)[:1] == [item] for e in validator.iter_errors(answers))
            try:
                assessor.assess(answers)
                tool_takes = True
            except AnswersError as error:
                tool_takes = all(problem.item != item for problem in error.problems)
            if schema_takes != tool_takes:
                disagreements.append(f"{item}: {form} (schema {schema_takes}, tool {tool_takes})")
    assert disagreements == []
