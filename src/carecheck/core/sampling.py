"""Random answer sets that respect a questionnaire's branching: for benchmarks, fuzzing and property checks."""

from __future__ import annotations

import random
from typing import Any

from carecheck.core.assessor import Assessor
from carecheck.core.items import kind_of


def random_answers(assessor: Assessor, rng: random.Random, record_id: str | None = None) -> dict[str, Any]:
    """A complete, valid answer set: every asked item answered (optional ones half the time), no others."""
    values: dict[str, Any] = {}
    answers: dict[str, Any] = {} if record_id is None else {"id": record_id}
    for item in assessor.items:
        if not item.asked(values):
            values[item.id] = None
            continue
        definition = item.definition
        if not definition.required and rng.random() < 0.5:
            values[item.id] = None
            continue
        value = kind_of(definition).sample(definition, rng)
        answers[item.id] = value
        values[item.id] = item.coerce(value)
    return answers
