"""Authoring tools: `carecheck test`, `explain` and `template`, as a clinical team uses them."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import yaml

from carecheck import Assessor
from carecheck.api import load_questionnaire_only
from carecheck.authoring.cases import run_case
from carecheck.authoring.explain import explain_answers, report_dict, report_text
from carecheck.authoring.template import answer_template
from carecheck.core.errors import UsageError
from carecheck.core.sampling import random_answers
from conftest import baseline_answers, run_carecheck, with_alcohol

CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))


@pytest.mark.slow
def test_the_shared_cases_pass_through_carecheck_test() -> None:
    process = run_carecheck("test", *map(str, CASES))
    assert process.returncode == 0, process.stdout
    assert process.stdout.splitlines()[-1] == f"{len(CASES)} passed, 0 failed"


@pytest.mark.slow
def test_a_case_with_a_wrong_expectation_fails_and_is_named(tmp_path: Path) -> None:
    case = yaml.safe_load(CASES[0].read_text())
    case["name"] = "deliberately-wrong"
    case["expect"]["level"] = "outpatient"
    case["expect"]["modalities"] = ["cbt"]
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(yaml.safe_dump(case))
    process = run_carecheck("test", str(CASES[1]), str(wrong))
    assert process.returncode == 1
    assert "FAIL  deliberately-wrong" in process.stdout
    assert "level: expected 'outpatient', got 'inpatient'" in process.stdout
    assert "modalities: expected ['cbt'], got" in process.stdout
    assert process.stdout.splitlines()[-1] == "1 passed, 1 failed"


@pytest.mark.slow
def test_a_case_may_expect_any_subset_and_say_an_instrument_was_not_asked(tmp_path: Path) -> None:
    case = {
        "name": "subset",
        "answers": with_alcohol(9),
        "expect": {"urgent": False, "scores": {"audit": {"band": "hazardous"}, "dast": None}},
    }
    path = tmp_path / "subset.yaml"
    path.write_text(yaml.safe_dump(case))
    assert run_carecheck("test", str(path)).returncode == 0


def test_explain_traces_every_rule_and_why_the_level_won(assessor: Assessor) -> None:
    report = explain_answers(assessor, with_alcohol(25, use_days=25, housing="unstable"))
    data = report_dict(report)
    assert [rule["rule"] for rule in data["rules"]] == [rule.id for rule in assessor.placement]
    weak = next(rule for rule in data["rules"] if rule["rule"] == "env-weak-high")
    assert weak["fired"]
    assert weak["deciding"]
    assert weak["trace"]["condition"] == "use_severity == 3 and weak_home"
    assert [part["value"] for part in weak["trace"]["parts"]] == [True, True]
    assert data["why"].startswith("The result is php")
    assert {"id": "use_severity", "value": 3, "because": "audit >= 20 or dast >= 6"} in data["derived"]
    text = report_text(report)
    assert "env-weak-high -> php (decides)" in text
    assert "Rules that did not fire:" in text


@pytest.mark.slow
def test_explain_on_the_command_line_in_both_formats(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(baseline_answers()))
    text = run_carecheck("explain", "--answers", str(path))
    assert text.returncode == 0
    assert "No placement rule fired" in text.stdout
    complete = run_carecheck("explain", "--answers", str(path), "--format", "json")
    assert complete.returncode == 0, complete.stderr
    assert len(json.loads(complete.stdout)["rules"]) == 23  # the policy's 22, with safety-nonacute in two


def test_a_filled_in_template_scores_without_warnings(assessor: Assessor) -> None:
    text = answer_template(assessor)
    skeleton = yaml.safe_load(text)
    assert list(skeleton) == ["id", *[item.id for item in assessor.items]]
    assert all(value is None for value in skeleton.values())
    answers = random_answers(assessor, random.Random(4))
    filled = {key: answers.get(key) for key in skeleton}
    result = assessor.assess(filled)
    assert result.warnings == ()
    assert "# asked if 'alcohol' in substances" not in text  # conditions are part of each line's comment
    assert "audit_1:   # one of 0, 1, 2, 3, 4; asked if 'alcohol' in substances" in text


def test_a_template_quotes_choices_yaml_would_misread_and_keeps_titles_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(
        "id: q\nversion: '1'\ntitle: Q\nsections:\n  - id: s\n    title: |\n      Two\n      lines\n"
        "    items:\n      - id: smoker\n        type: choice\n        prompt: Do you smoke?\n"
        "        choices: [{value: 'no', label: 'No'}, {value: 'yes', label: 'Yes'}, {value: unsure, label: "
        "Unsure}]\n"
    )
    text = answer_template(load_questionnaire_only(str(path)))
    assert "one of 'no', 'yes', unsure" in text
    assert "# --- Two lines ---" in text
    assert yaml.safe_load(text) == {"id": None, "smoker": None}


def test_carecheck_test_compares_errors_and_types_strictly(assessor: Assessor, tmp_path: Path) -> None:
    def outcome(expect: dict[str, object], answers: dict[str, object] | None = None) -> tuple[str, ...]:
        path = tmp_path / "case.yaml"
        path.write_text(yaml.safe_dump({"name": "c", "answers": answers or baseline_answers(), "expect": expect}))
        return run_case(assessor, path).differences

    assert outcome({"urgent": 0}) == ("urgent: expected 0, got False",)
    assert outcome({"modalities": ["cbt", 1]}) == ("modalities: expected ['1', 'cbt'], got []",)
    bad = baseline_answers() | {"age": 5}
    assert outcome({"error": {"kind": "invalid-answers"}}, bad) == ()
    assert outcome({"error": {"kind": "something-else"}}, bad) == (
        "error.kind: expected 'something-else', got 'invalid-answers'",
    )
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(UsageError, match="not UTF-8"):
        run_case(assessor, latin)


def test_explain_shows_warnings(assessor: Assessor) -> None:
    report = explain_answers(assessor, baseline_answers() | {"audit_1": 2})
    assert "audit_1: ignored" in report_text(report)
    assert report_dict(report)["warnings"][0].startswith("audit_1: ignored")
