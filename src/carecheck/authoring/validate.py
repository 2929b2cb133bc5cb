"""`carecheck validate`: load and cross-check definition files, reporting every faulty file rather than the first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from carecheck.api import load_pair
from carecheck.core.assessor import Assessor
from carecheck.core.compile import compile_questionnaire
from carecheck.core.definitions import LoadedQuestionnaire, Questionnaire, Section
from carecheck.core.errors import DefinitionError, UsageError
from carecheck.load.loader import (
    builtin_folder,
    display_name,
    iter_definition_files,
    load_instrument,
    load_questionnaire,
)


def _check_instrument(path: Path) -> str:
    loaded = load_instrument(path)
    instrument = loaded.instrument
    # An instrument is checked as a questionnaire of one section, so its scoring key and bands get the same checks.
    wrapper = Questionnaire(
        id="instrument-check",
        version="0",
        title=instrument.name,
        instruments={instrument.id: path.name},
        sections=[Section(id="only", title=instrument.name, instrument=instrument.id)],
    )
    compile_questionnaire(LoadedQuestionnaire(wrapper, loaded.source, {instrument.id: loaded}, ""))
    return f"instrument {instrument.id} {instrument.version}, {len(instrument.items)} items"


def _check_questionnaire(path: Path) -> str:
    loaded = load_questionnaire(path)
    items, instruments = compile_questionnaire(loaded)
    q = loaded.questionnaire
    return f"questionnaire {q.id} {q.version}, {len(items)} items, {len(instruments)} instruments"


def _check_rules(path: Path) -> str:
    questionnaire, rules = load_pair(None, str(path))
    assessor = Assessor(questionnaire, rules)
    r = rules.rules
    return (
        f"rule set {r.id} {r.version} for questionnaire {questionnaire.questionnaire.id}: "
        f"{len(assessor.placement)} placement rules, {len(r.criteria)} criteria"
    )


_CHECKS: dict[str, Callable[[Path], str]] = {
    "instruments": _check_instrument,
    "questionnaires": _check_questionnaire,
    "rules": _check_rules,
}


def validate_files(paths: list[Path], report: Callable[[str], None]) -> int:
    """Check each file (built-ins when `paths` is empty); report one line per file; return the number of faults."""
    if not paths:
        paths = [
            builtin_folder("questionnaires") / "instruments",
            builtin_folder("questionnaires"),
            builtin_folder("rules"),
        ]
    faults = 0
    files = list(iter_definition_files(paths))
    if not files:
        raise UsageError("no .yaml files were found there; name definition files or folders holding them")
    for kind, path in files:
        try:
            summary = _CHECKS[kind](path)
        except DefinitionError as error:
            faults += 1
            report(f"error: {error.message}")
        else:
            report(f"ok: {display_name(path)}: {summary}")
    return faults
