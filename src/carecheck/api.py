"""carecheck as a library: load definitions by name or path, compile them once, assess many answer sets."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from carecheck.core import definitions, sources
from carecheck.core.assessor import Assessor
from carecheck.core.compile import CompiledQuestionnaire, compile_questionnaire
from carecheck.core.definitions import LoadedQuestionnaire, LoadedRuleSet
from carecheck.core.result import Result
from carecheck.load.cache import cached
from carecheck.load.loader import load_questionnaire, load_rules, resolve

DEFAULT_QUESTIONNAIRE = "self-assessment"
DEFAULT_RULES = "level-of-care"

Pair = tuple[LoadedQuestionnaire, LoadedRuleSet]


def _load(questionnaire_path: Path | None, rules_path: Path) -> tuple[Pair, list[Path]]:
    loaded_rules = load_rules(rules_path)
    if questionnaire_path is None:
        named = loaded_rules.rules.questionnaire
        relative = rules_path.parent / named
        questionnaire_path = relative if relative.suffix in (".yaml", ".yml") else resolve("questionnaires", named)
    loaded = load_questionnaire(questionnaire_path)
    files = [rules_path, *map(Path, loaded_rules.bases), questionnaire_path, *map(Path, loaded.bases)]
    files += [questionnaire_path.parent / path for path in loaded.questionnaire.instruments.values()]
    return (loaded, loaded_rules), files


def load_pair(questionnaire: str | None, rules: str | None) -> Pair:
    """Load a rule set and a questionnaire (each a built-in name or a path); without a questionnaire, the one the
    rule set names. Always reads the files afresh."""
    questionnaire_path = resolve("questionnaires", questionnaire) if questionnaire else None
    return _load(questionnaire_path, resolve("rules", rules or DEFAULT_RULES))[0]


def load_assessor(questionnaire: str | None = None, rules: str | None = None) -> Assessor:
    """A compiled assessor for a questionnaire and rule set, each a built-in name or a path.

    Validated definitions are reused from the per-user cache while their files are unchanged.
    Raises DefinitionError (a file is wrong) or UsageError (no such file or name).
    """
    questionnaire_path = resolve("questionnaires", questionnaire) if questionnaire else None
    rules_path = resolve("rules", rules or DEFAULT_RULES)

    def build() -> tuple[Pair, list[Path]]:
        pair, files = _load(questionnaire_path, rules_path)
        Assessor(*pair)  # only definitions that compile are kept, so a cached pair never fails to compile
        return pair, files

    key = (
        "definitions",
        _classes_digest(),
        str(rules_path.resolve()),
        str(questionnaire_path.resolve()) if questionnaire_path else "",
    )
    pair: Pair = cached(key, build)
    return Assessor(*pair)


def _classes_digest() -> str:
    """A cached pair is made of the classes in these files: an entry made by other versions of them is not used."""
    digest = hashlib.sha256()
    for module in (definitions, sources):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()


def load_questionnaire_only(questionnaire: str) -> CompiledQuestionnaire:
    """A questionnaire compiled without a rule set (for templates and answer schemas)."""
    loaded = load_questionnaire(resolve("questionnaires", questionnaire))
    return CompiledQuestionnaire(loaded, *compile_questionnaire(loaded))


@lru_cache(maxsize=8)
def _cached(questionnaire: str | None, rules: str | None) -> Assessor:
    return load_assessor(questionnaire, rules)


def assess(answers: Mapping[str, Any], questionnaire: str | None = None, rules: str | None = None) -> Result:
    """Assess one answer mapping with the built-in (or named) definitions, compiled once per process.

    Raises AnswersError listing every faulty item.
    """
    return _cached(questionnaire, rules).assess(answers)
