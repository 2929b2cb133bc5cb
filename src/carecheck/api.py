"""carecheck as a library: load definitions by name or path, compile them once, assess many answer sets."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from carecheck.definitions import LoadedQuestionnaire, LoadedRuleSet
from carecheck.engine import Assessor
from carecheck.loading import load_questionnaire, load_rules, resolve
from carecheck.result import Result

DEFAULT_QUESTIONNAIRE = "self-assessment"
DEFAULT_RULES = "level-of-care"


def load_pair(questionnaire: str | None, rules: str | None) -> tuple[LoadedQuestionnaire, LoadedRuleSet]:
    """Load a rule set and a questionnaire; without a questionnaire, the one the rule set names."""
    rules_path = resolve("rules", rules or DEFAULT_RULES)
    loaded_rules = load_rules(rules_path)
    if questionnaire is None:
        named = loaded_rules.rules.questionnaire
        relative = rules_path.parent / named
        questionnaire_path = relative if relative.suffix in (".yaml", ".yml") else resolve("questionnaires", named)
    else:
        questionnaire_path = resolve("questionnaires", questionnaire)
    return load_questionnaire(questionnaire_path), loaded_rules


def load_assessor(questionnaire: str | None = None, rules: str | None = None) -> Assessor:
    """A compiled assessor for a questionnaire and rule set, each a built-in name or a path.

    Raises DefinitionError (a file is wrong) or UsageError (no such file or name).
    """
    return Assessor(*load_pair(questionnaire, rules))


@lru_cache(maxsize=8)
def _cached(questionnaire: str | None, rules: str | None) -> Assessor:
    return load_assessor(questionnaire, rules)


def assess(answers: Mapping[str, Any], questionnaire: str | None = None, rules: str | None = None) -> Result:
    """Assess one answer mapping with the built-in (or named) definitions, compiled once per process.

    Raises AnswersError listing every faulty item.
    """
    return _cached(questionnaire, rules).assess(answers)


def builtin_path(kind: str, name: str) -> Path:
    """The file behind a built-in questionnaire or rule set name."""
    return resolve(kind, name)
