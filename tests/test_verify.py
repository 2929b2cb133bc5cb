"""`carecheck verify`'s core: the shipped policy is sound, and a policy that is not is caught, with a minimal answer
set that `carecheck assess` itself confirms."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from carecheck import Assessor, Result, load_assessor
from carecheck.authoring.verify import (
    CHECKS,
    COMPLETENESS,
    DEAD_RULE,
    INVARIANTS,
    MONOTONICITY,
    SHADOWED_RULE,
    Report,
    report_dict,
    report_text,
    verify,
)
from conftest import baseline_answers

RULES = Path(__file__).resolve().parent.parent / "rules" / "level-of-care.yaml"
LEVELS = ("outpatient", "iop", "php", "inpatient")
UNORDERED = {"age", "readiness", "hours_available"}  # no answer is more severe than another

NON_MONOTONE = """\
  - id: odd
    when: "phq9 >= 5 and phq9 <= 9"
    level: inpatient
    reason: "Mild depression gets inpatient care, but moderate depression does not: a deliberate mistake."
    criteria: [right-level]
"""

DEAD = """\
  - id: never
    when: "housing == 'none' and home_use"
    level: iop
    reason: "Cannot fire: home_use is asked only when there is housing."
    criteria: [right-level]
"""

WRONG_INVARIANT = """\
  - id: psychosis-is-inpatient
    description: Psychosis always gives inpatient care (it does not; the policy says PHP).
    when: "psychosis"
    expect: "level == 'inpatient'"
"""


def policy_with(folder: Path, placement: str = "", invariants: str = "") -> str:
    """The shipped policy with extra placement rules and invariants, saved in `folder`."""
    text = RULES.read_text(encoding="utf-8")
    text = text.replace("\nplacement:\n", "\nplacement:\n" + placement, 1)
    text = text.replace("\ninvariants:\n", "\ninvariants:\n" + invariants, 1)
    path = folder / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def assessed(answers: dict[str, Any], rules: str, path: Path) -> dict[str, Any]:
    """What `carecheck assess --format json` says of these answers, run as a person would run it."""
    path.write_text(yaml.safe_dump(answers, sort_keys=False), encoding="utf-8")
    command = [sys.executable, "-m", "carecheck", "assess", "--answers", str(path), "--format", "json"]
    done = subprocess.run([*command, "--rules", rules], capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["warnings"] == []  # complete and valid: no answer ignored
    return result


def changed_from_baseline(answers: dict[str, Any]) -> dict[str, Any]:
    """The ordered answers that differ from the screen-negative baseline."""
    baseline = baseline_answers()
    return {k: v for k, v in answers.items() if k in baseline and k not in UNORDERED and v != baseline[k]}


@pytest.fixture(scope="module")
def shipped(assessor: Assessor) -> Report:
    return verify(assessor)


@pytest.fixture(scope="module")
def non_monotone(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Report]:
    rules = policy_with(tmp_path_factory.mktemp("odd"), placement=NON_MONOTONE)
    return rules, verify(load_assessor(rules=rules), samples=1500)


@pytest.mark.slow
def test_the_shipped_policy_is_sound(shipped: Report, assessor: Assessor) -> None:
    assert shipped.passed
    assert shipped.violations == [], report_text(shipped)
    assert shipped.samples == 3000
    assert shipped.checks == CHECKS
    assert shipped.tallies[COMPLETENESS].checked == 3000 + shipped.tallies[MONOTONICITY].checked
    assert shipped.tallies[MONOTONICITY].checked > 50_000
    assert shipped.tallies[DEAD_RULE].checked == len(assessor.placement)
    # Sampling reaches every invariant's condition, the rare ones (acute suicide risk, severe withdrawal now) too.
    assert set(shipped.coverage) == {invariant[0] for invariant in assessor.invariants}
    assert min(shipped.coverage.values()) >= 100


@pytest.mark.slow
def test_a_more_severe_answer_that_lowers_the_level_is_caught(non_monotone: tuple[str, Report], tmp_path: Path) -> None:
    rules, report = non_monotone
    assert not report.passed
    found = [v for v in report.violations if v.check == MONOTONICITY]
    assert {v.subject for v in found} == {f"phq9_{i}" for i in range(1, 10)}
    assert report.tallies[MONOTONICITY].failed >= len(found)
    odd = load_assessor(rules=rules)
    for violation in found:
        assert violation.other is not None
        before, after = odd.assess(violation.answers), odd.assess(violation.other)
        assert LEVELS.index(after.level) < LEVELS.index(before.level)
        assert violation.other[violation.subject] == violation.answers[violation.subject] + 1
        # Minimal: nothing but the mood answers departs from the screen-negative baseline.
        assert all(key.startswith("phq9_") for key in changed_from_baseline(violation.answers))
    first = found[0]
    assert first.other is not None
    before_json = assessed(first.answers, rules, tmp_path / "before.yaml")
    after_json = assessed(first.other, rules, tmp_path / "after.yaml")
    assert before_json["level"] == "inpatient"
    assert LEVELS.index(after_json["level"]) < LEVELS.index(before_json["level"])


@pytest.mark.slow
def test_a_rule_that_can_never_fire_is_reported_dead(tmp_path: Path) -> None:
    report = verify(load_assessor(rules=policy_with(tmp_path, placement=DEAD)), samples=1500)
    dead = [(v.subject, v.answers) for v in report.violations if v.check == DEAD_RULE]
    assert dead == [("never", {})]
    assert report.passed  # dead and shadowed rules are advice for the author, not unsoundness
    assert report.tallies[DEAD_RULE].failed == 1


@pytest.mark.slow
def test_a_broken_invariant_is_caught_with_answers_that_show_it(tmp_path: Path) -> None:
    rules = policy_with(tmp_path, invariants=WRONG_INVARIANT)
    report = verify(load_assessor(rules=rules), samples=1500)
    assert not report.passed
    found = [v for v in report.violations if v.check == INVARIANTS]
    assert [v.subject for v in found] == ["psychosis-is-inpatient"]
    assert changed_from_baseline(found[0].answers) == {"psychosis": True}
    assert "php" in found[0].message
    result = assessed(found[0].answers, rules, tmp_path / "answers.yaml")
    assert result["level"] == "php"
    assert result["reasons"][0]["rule"] == "psychosis"


class FaultyAssessor(Assessor):
    """The built-in definitions, with an engine that fails whenever psychosis is answered yes."""

    def evaluate(self, values: Mapping[str, Any], warnings: tuple[str, ...] = (), record_id: Any = None) -> Result:
        if values.get("psychosis"):
            raise ZeroDivisionError("a rule divided by zero")
        return super().evaluate(values, warnings, record_id)


@pytest.mark.slow
def test_answers_the_engine_cannot_assess_are_caught(assessor: Assessor) -> None:
    report = verify(FaultyAssessor(assessor.questionnaire, assessor.rules), samples=300)
    assert not report.passed
    found = [v for v in report.violations if v.check == COMPLETENESS]
    assert len(found) == 1
    assert "ZeroDivisionError: a rule divided by zero" in found[0].message
    assert changed_from_baseline(found[0].answers) == {"psychosis": True}
    assert report.tallies[COMPLETENESS].failed >= 1


@pytest.mark.slow
def test_the_same_seed_gives_the_same_report(non_monotone: tuple[str, Report]) -> None:
    rules, report = non_monotone
    again = verify(load_assessor(rules=rules), samples=1500)
    assert again == report
    assert verify(load_assessor(rules=rules), samples=1500, seed=2) != report


@pytest.mark.slow  # its fixtures verify two policies: two seconds
def test_the_report_reads_as_text_and_as_json(non_monotone: tuple[str, Report], shipped: Report) -> None:
    _, report = non_monotone
    text = report_text(report)
    for check in CHECKS:
        assert sum(line.startswith(f"{check}: ") for line in text.splitlines()) >= 1
    assert "monotonicity: FAILED: " in text
    first = report.violations[0]
    block = text.split("  Answers:\n", 1)[1].split("\n  The same", 1)[0]
    assert yaml.safe_load("\n".join(line[4:] for line in block.splitlines())) == first.answers
    data = json.loads(json.dumps(report_dict(report)))
    assert data["passed"] is False
    assert data["checks"][MONOTONICITY]["failed"] == report.tallies[MONOTONICITY].failed
    assert data["violations"][0]["answers"] == first.answers
    assert report_text(shipped).endswith("Passed.\n")
    assert [line.split(":")[0] for line in report_text(shipped).splitlines()[1:6]] == list(CHECKS)
    assert SHADOWED_RULE in report_dict(shipped)["checks"]


def test_at_least_one_sample() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        verify(load_assessor(), samples=0)
