"""`carecheck test`: case files (`name`, `answers`, `expect` with any subset of the result's keys) run against a
questionnaire and rule set, each failure named with expected against actual."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from carecheck.core.assessor import Assessor
from carecheck.core.errors import AnswersError, UsageError
from carecheck.core.result import result_to_dict
from carecheck.core.wording import safety_dict
from carecheck.load.loader import answers_from_text

UNORDERED = {"program_types", "modalities", "warnings"}
"""Result lists whose order carries no meaning: compared as sets of codes."""


class CaseOutcome(NamedTuple):
    name: str
    path: Path
    differences: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.differences


def read_case(path: Path) -> tuple[str, dict[str, Any], dict[str, Any]]:
    from carecheck.core.errors import AnswerFileError

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as fault:
        raise UsageError(f"{path}: cannot read the case: {fault.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: the case is not UTF-8 text; save it as UTF-8") from None
    try:
        case = answers_from_text(text, str(path))
    except AnswerFileError as error:
        raise UsageError(error.message) from None
    answers, expect = case.get("answers"), case.get("expect")
    if not isinstance(answers, dict) or not isinstance(expect, dict):
        raise UsageError(f"{path}: a case needs `answers:` and `expect:` mappings (and a `name:`)")
    return str(case.get("name") or path.stem), answers, expect


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Where `actual` departs from `expected`; mappings are compared on the expected keys only."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where or 'result'}: expected {expected!r}, got {actual!r}"]
        found = []
        for key, value in expected.items():
            path = f"{where}.{key}" if where else str(key)
            if value is None:  # `dast: null` says the instrument was not asked
                if actual.get(key) is not None:
                    found.append(f"{path}: expected nothing, got {actual[key]!r}")
            elif actual.get(key) is None:
                found.append(f"{path}: expected {value!r}, got nothing")
            else:
                found += differences(value, actual[key], path)
        return found
    if where.split(".")[-1] in UNORDERED and isinstance(expected, list) and isinstance(actual, list):
        wanted, got = sorted(map(str, expected)), sorted(map(str, actual))
        return [] if wanted == got else [f"{where}: expected {wanted}, got {got}"]
    if isinstance(expected, bool) != isinstance(actual, bool):  # 0 is not false, nor 1 true, in a result
        return [f"{where}: expected {expected!r}, got {actual!r}"]
    return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]


def run_case(assessor: Assessor, path: Path) -> CaseOutcome:
    name, answers, expect = read_case(path)
    try:
        result = assessor.assess(answers)
    except AnswersError as error:
        if "error" in expect:  # a case may expect the answers to be refused, and say how
            actual_error = {
                "kind": error.kind,
                "message": error.message,
                "problems": [p.as_dict() for p in error.problems],
            }
            return CaseOutcome(name, path, tuple(differences({"error": expect["error"]}, {"error": actual_error})))
        return CaseOutcome(name, path, (f"the answers do not fit: {error.message}",))
    actual = result_to_dict(result, safety_dict(result, assessor), assessor.rules.rules.disclaimer)
    return CaseOutcome(name, path, tuple(differences(expect, actual)))
