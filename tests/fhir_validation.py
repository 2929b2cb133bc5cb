"""Checks of exported FHIR by software carecheck did not write: fhir.resources' R5 models, the official R5 JSON Schema.

The schema ships in the `hl7.fhir.r5.core` package (`package/openapi/fhir.schema.json`, 4 MB); `.ci/run` fetches it
with `npm pack` into a cache outside the repository and names it in FHIR_R5_SCHEMA. A test that needs it skips, saying
why, where it cannot be had, except on CI (CI=true), where its absence is a failure.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ElementTree
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from fhir.resources import get_fhir_model_class

SCHEMA_PLACES = (
    os.environ.get("FHIR_R5_SCHEMA", ""),
    str(Path.home() / ".cache" / "carecheck-ci" / "package" / "openapi" / "fhir.schema.json"),  # where .ci/run puts it
)
DOMAIN_RESOURCES = {"Questionnaire", "QuestionnaireResponse", "Observation"}
"""The DomainResources carecheck exports (a Bundle is not one): dom-6 asks each for a narrative."""


@lru_cache(maxsize=1)
def _schema_validator() -> Any:
    import jsonschema

    for place in SCHEMA_PLACES:
        if place and Path(place).is_file():
            return jsonschema.Draft6Validator(json.loads(Path(place).read_text()))
    reason = "the official R5 JSON Schema is absent: set FHIR_R5_SCHEMA (.ci/run fetches hl7.fhir.r5.core with npm)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def schema_errors(resource: dict[str, Any]) -> list[str]:
    """What the official R5 JSON Schema finds wrong, one line an error."""
    errors = _schema_validator().iter_errors(resource)
    return [f"{list(error.absolute_path)}: {error.message[:200]}" for error in errors]


def model_validates(resource: dict[str, Any]) -> None:
    """fhir.resources' R5 model of the resource accepts it (raises its ValidationError otherwise)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def resources_in(resource: dict[str, Any]) -> list[dict[str, Any]]:
    if resource["resourceType"] == "Bundle":
        return [entry["resource"] for entry in resource["entry"]]
    return [resource]


def dom6_warnings(resource: dict[str, Any]) -> list[str]:
    """dom-6 ("a resource should have narrative") and txt-1/txt-2 in short: a non-empty, well-formed XHTML div."""
    warnings = []
    for each in resources_in(resource):
        div = each.get("text", {}).get("div", "")
        if each["resourceType"] in DOMAIN_RESOURCES and not div:
            warnings.append(f"{each['resourceType']}: dom-6, no narrative")
            continue
        root = ElementTree.fromstring(div)
        if root.tag != "{http://www.w3.org/1999/xhtml}div" or not "".join(root.itertext()).strip():
            warnings.append(f"{each['resourceType']}: the narrative is not a non-empty XHTML div")
    return warnings


# --- the spec's own invariants, run by a FHIRPath engine ------------------------------------------------------------

INVARIANT_SOURCES = ("DomainResource", "Narrative", "Questionnaire", "QuestionnaireResponse", "Observation")
"""The R5 StructureDefinitions whose constraints are run (the package has none for Bundle)."""


class Invariant(NamedTuple):
    key: str
    severity: str
    expression: str
    human: str


def _package_folder() -> Path:
    schema = Path(_schema_place())
    return schema.parent.parent


def _schema_place() -> str:
    for place in SCHEMA_PLACES:
        if place and Path(place).is_file():
            return place
    reason = "the official R5 package is absent: set FHIR_R5_SCHEMA (.ci/run fetches hl7.fhir.r5.core with npm)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@lru_cache(maxsize=8)
def _invariants(name: str) -> dict[str, list[Invariant]]:
    """Element path (without the type's name) -> the constraints on it, from the package's StructureDefinition."""
    definition = json.loads((_package_folder() / f"StructureDefinition-{name}.json").read_text())
    found: dict[str, list[Invariant]] = {}
    for element in definition["snapshot"]["element"]:
        path = element["path"].partition(".")[2]
        for constraint in element.get("constraint", []):
            invariant = Invariant(
                constraint["key"], constraint["severity"], constraint["expression"], constraint["human"]
            )
            found.setdefault(path, []).append(invariant)
    return found


@lru_cache(maxsize=256)
def _compiled(expression: str) -> Any:
    from fhirpathpy import compile as compile_fhirpath
    from fhirpathpy.models import models

    return compile_fhirpath(expression, models["r5"])


def _fhirpath_of(kind: str, path: str) -> str:
    """An element path as FHIRPath from the resource: nested items (which the snapshot writes once, as `item`) reached
    with repeat(), a choice element by its name without `[x]`."""
    nested = "repeat(item | answer.item)" if kind == "QuestionnaireResponse" else "repeat(item)"
    steps = []
    for name in path.split("."):
        if name == "item" and kind in ("Questionnaire", "QuestionnaireResponse"):
            steps = [nested] if not steps else [*steps, nested]
        else:
            steps.append(name.removesuffix("[x]"))
    return ".".join(steps)


def invariant_findings(resource: dict[str, Any]) -> tuple[list[str], set[str]]:
    """The R5 core invariants (errors and warnings, dom-6 among them) that fail on each resource in `resource`, run
    by fhirpathpy from the resource, as the validator runs them: `severity key at path: what it asks`; and the keys
    the engine could not run (a function it lacks, such as htmlChecks)."""
    failures: list[str] = []
    not_run: set[str] = set()
    for each in resources_in(resource):
        kind = each["resourceType"]
        if kind not in INVARIANT_SOURCES:
            continue
        checks = [*_invariants("DomainResource").items(), *_invariants(kind).items()]
        checks += [(f"text.{path}" if path else "text", inv) for path, inv in _invariants("Narrative").items()]
        for path, invariants in checks:
            for invariant in invariants:
                expression = f"{_fhirpath_of(kind, path)}.all({invariant.expression})" if path else invariant.expression
                try:
                    result = _compiled(expression)(each, {"resource": each, "rootResource": each})
                except Exception:  # an engine without a function the spec uses (htmlChecks, hasValue)
                    not_run.add(invariant.key)
                    continue
                finding = f"{invariant.severity} {invariant.key} at {kind}.{path}: {invariant.human}"
                if result != [True] and finding not in failures:  # dom-6 is in two StructureDefinitions
                    failures.append(finding)
    return failures, not_run
