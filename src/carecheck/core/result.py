"""What an assessment returns, and its JSON form (the contract's result object)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

SCHEMA_VERSION = "1"


class Score(NamedTuple):
    total: int
    band: str


class Reason(NamedTuple):
    """A placement rule that fired: the level it asks for, in plain words, on which answers and criteria."""

    rule: str
    level: str
    deciding: bool
    text: str
    criteria: tuple[str, ...]
    items: tuple[str, ...]
    urgent: bool = False


class Note(NamedTuple):
    id: str
    text: str


class DefinitionRef(NamedTuple):
    id: str
    version: str
    sha256: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "version": self.version, "sha256": self.sha256}


class Outcome(NamedTuple):
    """What the rules decided for one set of checked answers, before it is laid out as a Result."""

    scores: dict[str, Score]
    derived: dict[str, Any]
    fired: list[tuple[int, int, str, tuple[str, ...]]]
    """Each placement rule that fired: (its index, the index of the level it asks for, its reason text, the items it
    reads that were answered)."""
    final: int
    """The index of the level placed at."""
    urgent: bool
    safety_note: bool
    """Whether a fired rule asks for a safety note (an urgent result shows crisis help instead)."""
    programs: tuple[str, ...]
    modalities: tuple[str, ...]
    notes: tuple[Note, ...]
    profile: tuple[tuple[str, int], ...]


class Result(NamedTuple):
    """The outcome of one assessment, with the checked answers and derived values that explanations quote."""

    record_id: str | int | None
    level: str
    urgent: bool
    safety_note: bool
    screen_positive: bool
    scores: Mapping[str, Score]
    program_types: tuple[str, ...]
    modalities: tuple[str, ...]
    profile: tuple[tuple[str, int], ...]
    """The severity profile: (area, value) in the rule set's order; display only."""
    reasons: tuple[Reason, ...]
    notes: tuple[Note, ...]
    warnings: tuple[str, ...]
    answers: Mapping[str, Any]
    """Every item's checked answer (None where it was not asked or not answered)."""
    derived: Mapping[str, Any]
    questionnaire: DefinitionRef
    rules: DefinitionRef

    @property
    def deciding(self) -> tuple[Reason, ...]:
        return tuple(reason for reason in self.reasons if reason.deciding)


def result_to_dict(result: Result, safety: Mapping[str, Any] | None, notice: str) -> dict[str, Any]:
    """The contract's result object. `safety` (crisis help) comes first so that no reader can miss it."""
    return {
        "safety": safety,
        "schema_version": SCHEMA_VERSION,
        "id": result.record_id,
        "level": result.level,
        "urgent": result.urgent,
        "screen_positive": result.screen_positive,
        "scores": {name: {"total": score.total, "band": score.band} for name, score in result.scores.items()},
        "program_types": list(result.program_types),
        "modalities": list(result.modalities),
        "profile": dict(result.profile),
        "reasons": [
            {
                "rule": reason.rule,
                "level": reason.level,
                "deciding": reason.deciding,
                "text": reason.text,
                "criteria": list(reason.criteria),
                "items": list(reason.items),
            }
            for reason in result.reasons
        ],
        "notes": [{"id": note.id, "text": note.text} for note in result.notes],
        "warnings": list(result.warnings),
        "notice": notice,
        "questionnaire": result.questionnaire.as_dict(),
        "rules": result.rules.as_dict(),
    }


def error_to_dict(kind: str, message: str, problems: list[dict[str, str]], record_id: Any = None) -> dict[str, Any]:
    """The contract's error object, for `batch` lines and `--format json` on exit 2."""
    return {
        "schema_version": SCHEMA_VERSION,
        "id": record_id,
        "error": {"kind": kind, "message": message, "problems": problems},
    }
