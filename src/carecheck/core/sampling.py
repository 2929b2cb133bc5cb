"""Random answer sets that respect a questionnaire's branching: for benchmarks, fuzzing and property checks."""

from __future__ import annotations

import random
from typing import Any

from carecheck.core.assessor import Assessor
from carecheck.core.definitions import BooleanItem, ChoiceItem, IntegerItem, MultiChoiceItem, TextItem


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
        value: Any
        if isinstance(definition, IntegerItem):
            value = rng.randint(definition.min, definition.max)
        elif isinstance(definition, BooleanItem):
            value = rng.random() < 0.3
        elif isinstance(definition, ChoiceItem):
            value = rng.choice(definition.choices).value
        elif isinstance(definition, MultiChoiceItem):
            count = rng.choice((0, 0, 1, 1, 1, 2, 3))
            value = sorted({str(c.value) for c in rng.sample(definition.choices, min(count, len(definition.choices)))})
        else:
            assert isinstance(definition, TextItem)
            value = rng.choice(("", "a note", "ümlaut and emoji ✓"))[: definition.max_length]
        answers[item.id] = value
        values[item.id] = item.coerce(value)
    return answers
