"""Answers checked against a compiled questionnaire: each in its normal form, or every fault named at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carecheck.core.compiled import RECORD_ID, CompiledDefinitions, CompiledItem
from carecheck.core.conditions import suggest
from carecheck.core.errors import AnswersError, Problem
from carecheck.core.items import encodable
from carecheck.core.limits import MAX_SUGGESTED_KEYS

_NOT_GIVEN = object()


def check_answers(
    definitions: CompiledDefinitions, answers: Mapping[str, Any]
) -> tuple[dict[str, Any], tuple[str, ...], str | int | None]:
    """Check raw answers against the questionnaire.

    Returns the normal form of every item (None where not asked or not answered), warnings, and the record id.
    Raises AnswersError listing every faulty item.
    """
    problems: list[Problem] = []
    record_id = answers.get(RECORD_ID)
    if record_id is not None and (
        isinstance(record_id, bool)
        or not isinstance(record_id, (str, int))
        or (isinstance(record_id, str) and not encodable(record_id))
    ):
        problems.append(Problem(RECORD_ID, "must be text (valid Unicode) or a whole number"))
        record_id = None
    unknown = answers.keys() - definitions.known_keys
    # Sorted, so that the same answers give the same message whatever the order of their keys. A did-you-mean
    # costs a comparison with every item: the first few get one, the rest are counted.
    for key in sorted(unknown, key=str)[:MAX_SUGGESTED_KEYS]:
        readable = isinstance(key, str) and key.strip() and encodable(key)
        name = key if readable else repr(key)  # an empty key shows as '', a broken one escaped
        hint = suggest(name, definitions.item_index)
        problems.append(Problem(name, f"is not an item of this questionnaire{hint}"))
    if len(unknown) > MAX_SUGGESTED_KEYS:
        problems.append(Problem("...", f"and {len(unknown) - MAX_SUGGESTED_KEYS:,} more unknown keys"))
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for section_when, steps in definitions.check_plan:
        # A section's condition names only earlier items, so it is decided once for all of its items.
        section_asked = section_when is None or section_when(values)
        for item_id, own_when, coerce, required, item in steps:
            raw = answers.get(item_id, _NOT_GIVEN)
            if not section_asked or (own_when is not None and not own_when(values)):
                values[item_id] = None
                if raw is not _NOT_GIVEN and raw is not None:  # an empty answer is no answer
                    reason = " and ".join(condition.source for condition in item.conditions)
                    warnings.append(f"{item_id}: ignored, since it is asked only when {reason}")
                continue
            if raw is _NOT_GIVEN or raw is None:
                values[item_id] = None
                if required:
                    problems.append(Problem(item_id, f"is missing; answer with {item.domain}"))
                continue
            try:
                values[item_id] = coerce(raw)
            except ValueError as fault:
                values[item_id] = None
                problems.append(Problem(item_id, str(fault)))
    if problems:
        raise AnswersError(problems, record_id if isinstance(record_id, (str, int)) else None)
    return values, tuple(warnings), record_id


def partial_answers(
    definitions: CompiledDefinitions, answers: Mapping[str, Any]
) -> tuple[dict[str, Any], list[CompiledItem]]:
    """For an answer set still being filled in: the normal form of each valid answer (None elsewhere), and the
    items asked given those answers, in order. Invalid answers count as not yet given."""
    values: dict[str, Any] = {}
    asked: list[CompiledItem] = []
    for item in definitions.items:
        if not item.asked(values):
            values[item.id] = None
            continue
        asked.append(item)
        raw = answers.get(item.id)
        try:
            values[item.id] = None if raw is None else item.coerce(raw)
        except ValueError:
            values[item.id] = None
    return values, asked
