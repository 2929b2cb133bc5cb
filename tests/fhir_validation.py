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
from typing import Any

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
