"""`carecheck verify`'s proof: checks decided by z3 over every answer set, counterexamples that `carecheck assess`
confirms, and an encoding held to the engine answer set by answer set."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
import z3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carecheck import Assessor, load_assessor
from carecheck.authoring.encoding import Encoder, count_answer_sets
from carecheck.authoring.proof import PROVED, REFUTED, UNKNOWN, proof_dict, proof_text, prove
from carecheck.authoring.verify import COMPLETENESS, DEAD_RULE, INVARIANTS, MONOTONICITY, SHADOWED_RULE
from carecheck.core.definitions import TextItem
from carecheck.core.items import kind_of
from carecheck.core.sampling import random_answers
from conftest import run_carecheck

HERE = Path(__file__).resolve().parent / "verify"
LEVELS = ("outpatient", "iop", "php", "inpatient")
DOC = Path(__file__).resolve().parent.parent / "docs" / "authoring.md"


def rules(name: str) -> str:
    return str(HERE / f"{name}.yaml")


def assess(answers: dict[str, Any], rule_file: str, path: Path) -> dict[str, Any]:
    """What `carecheck assess --format json` says of these answers, run as a person would run it."""
    path.write_text(yaml.safe_dump(answers, sort_keys=False), encoding="utf-8")
    done = run_carecheck("assess", "--answers", str(path), "--format", "json", "--rules", rule_file, expect_exit=0)
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["warnings"] == []  # complete and valid: every answer was asked
    return result


def calm(assessor: Assessor, answers: dict[str, Any]) -> set[str]:
    """The items whose answers differ from the calm baseline (each at its least severe)."""
    changed = set()
    for item in assessor.items:
        if item.id in answers:
            definition = item.definition
            if answers[item.id] != kind_of(definition).extreme(definition, most_severe=False):
                changed.add(item.id)
    return changed


# --- acceptance: the rule sets ------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_rare_trap_is_refuted_on_monotonicity_with_a_pair_that_assess_confirms(tmp_path: Path) -> None:
    done = run_carecheck("verify", "--rules", rules("rare-trap"), "--format", "json", expect_exit=1)
    report = json.loads(done.stdout)
    assert report["method"] == "proof"
    assert report["passed"] is False
    assert report["checks"][MONOTONICITY]["status"] == REFUTED
    assert report["checks"][MONOTONICITY]["subjects"]["phq9_1"] == REFUTED
    assert report["checks"][INVARIANTS]["status"] == PROVED
    first = next(v for v in report["violations"] if v["check"] == MONOTONICITY)
    before = assess(first["answers"], rules("rare-trap"), tmp_path / "before.yaml")
    after = assess(first["other"], rules("rare-trap"), tmp_path / "after.yaml")
    assert before["level"] == "inpatient"
    assert LEVELS.index(after["level"]) < LEVELS.index(before["level"])
    changed = {k for k in first["answers"] if first["answers"][k] != first["other"].get(k)}
    assert changed == {first["subject"]}  # one answer one step more severe, nothing else
    # Minimal: only what the trap needs departs from the calm baseline (some use, 13 days, mood and worry answers).
    departed = calm(load_assessor(rules=rules("rare-trap")), first["answers"])
    assert departed <= {"substances", "use_days"} | {f"phq9_{i}" for i in range(1, 10)} | {
        f"gad7_{i}" for i in range(1, 8)
    }


@pytest.mark.slow
def test_a_rule_that_can_never_fire_is_proved_dead_and_fails_only_a_strict_run() -> None:
    report = prove(load_assessor(rules=rules("never-fires")))
    assert report.verdicts[DEAD_RULE].subjects["never-fires"] == "dead"
    assert report.verdicts[DEAD_RULE].status == REFUTED
    assert "never-fires" not in report.verdicts[SHADOWED_RULE].subjects
    assert report.passed()
    assert not report.passed(strict=True)
    assert "review: placement rules that never fire, proved: 1 of 24 (never-fires)" in proof_text(report)
    run_carecheck("verify", "--rules", rules("never-fires"), expect_exit=0)
    run_carecheck("verify", "--rules", rules("never-fires"), "--strict", expect_exit=1)


@pytest.mark.slow
def test_a_rule_that_fires_only_at_the_extremes_is_not_called_dead() -> None:
    report = prove(load_assessor(rules=rules("extremes")))
    assert report.verdicts[DEAD_RULE].subjects["extremes"] == "fires"
    assert report.verdicts[SHADOWED_RULE].subjects["extremes"] == "decides"
    assert report.passed(strict=True)


@pytest.mark.slow
def test_a_rare_non_acute_urgent_rule_is_refuted_on_the_crisis_help_invariant(tmp_path: Path) -> None:
    report = prove(load_assessor(rules=rules("rare-urgent")))
    assert report.verdicts[INVARIANTS].subjects["crisis-help-only-for-acute-risk"] == REFUTED
    found = next(v for v in report.violations if v.subject == "crisis-help-only-for-acute-risk")
    result = assess(found.answers, rules("rare-urgent"), tmp_path / "answers.yaml")
    assert result["urgent"] is True
    assert "rare-urgent" in {reason["rule"] for reason in result["reasons"] if reason["deciding"]}
    assert not found.answers.get("asq_5")
    assert not found.answers.get("withdrawal_now")
    assert not report.passed()


@pytest.mark.slow
@pytest.mark.parametrize("rule_set", ["level-of-care", "counselor-intake"])
def test_the_shipped_policies_are_proved_sound_in_under_30_seconds(rule_set: str) -> None:
    assessor = load_assessor(rules=rule_set)
    started = time.monotonic()
    report = prove(assessor)
    assert time.monotonic() - started < 30
    assert report.passed(strict=True), proof_text(report)
    assert {verdict.status for verdict in report.verdicts.values()} == {PROVED}
    assert set(report.verdicts[INVARIANTS].subjects) == {invariant[0] for invariant in assessor.invariants}
    assert set(report.verdicts[DEAD_RULE].subjects.values()) == {"fires"}
    assert report.violations == []
    assert report.unknown == []


@pytest.mark.slow
def test_answers_the_engine_cannot_assess_are_found_and_shown() -> None:
    # A derived value that is a word or a number: `mixed >= 1` raises TypeError in the engine when it is a word.
    assessor = load_assessor(rules=rules("mixed-kinds"))
    report = prove(assessor)
    assert report.verdicts[COMPLETENESS].status == REFUTED
    found = next(v for v in report.violations if v.check == COMPLETENESS)
    assert "TypeError" in found.message
    assert calm(assessor, found.answers) <= {"psychosis", "age", "readiness", "hours_available"}
    assert found.answers["psychosis"] is True
    with pytest.raises(TypeError):
        assessor.assess(found.answers)


# --- reports ------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_documented_example_is_proved_for_all_402_answer_sets(tmp_path: Path) -> None:
    for body in (block.split("```", 1)[0] for block in DOC.read_text(encoding="utf-8").split("```yaml\n")[1:]):
        first = body.splitlines()[0]
        if first.startswith("# file: "):
            path = tmp_path / first.removeprefix("# file: ").strip()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body, encoding="utf-8")
    assessor = load_assessor(rules=str(tmp_path / "clinic-rules.yaml"))
    assert count_answer_sets(assessor.definitions, Encoder(assessor.definitions).strings) == (1 + 100 * 2) * 2
    done = run_carecheck("verify", "--rules", "clinic-rules.yaml", "--format", "json", cwd=tmp_path, expect_exit=0)
    report = json.loads(done.stdout)
    assert report["answer_sets"] == 402
    assert report["method"] == "proof"
    assert report["passed"] is True
    assert set(report["checks"]) == {INVARIANTS, MONOTONICITY, COMPLETENESS, DEAD_RULE, SHADOWED_RULE}
    text = run_carecheck("verify", "--rules", "clinic-rules.yaml", cwd=tmp_path, expect_exit=0).stdout
    assert "invariants: proved for all 402 answer sets (1 invariant)" in text
    assert text.endswith("Passed.\n")


@pytest.mark.slow
def test_a_report_as_json_says_how_it_knows(assessor: Assessor) -> None:
    report = prove(assessor)
    data = json.loads(json.dumps(proof_dict(report)))
    assert data["method"] == "proof"
    assert data["answer_sets"] == report.answer_sets > 10**30
    assert data["checks"][MONOTONICITY]["status"] == PROVED
    assert data["violations"] == []
    assert data["unknown"] == []
    assert f"proved for all {report.answer_sets:,} answer sets" in proof_text(report)


@pytest.mark.slow
def test_without_z3_verify_says_in_one_line_how_to_install_it(tmp_path: Path) -> None:
    (tmp_path / "z3.py").write_text("raise ModuleNotFoundError(\"No module named 'z3'\", name='z3')\n")
    done = run_carecheck("verify", env={"PYTHONPATH": str(tmp_path)}, expect_exit=2)
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "pip install 'carecheck[verify]'" in lines[0]
    assert "Traceback" not in done.stderr
    # Sampling needs no solver.
    sampled = run_carecheck("verify", "--method", "sampling", "--samples", "100", env={"PYTHONPATH": str(tmp_path)})
    assert sampled.returncode in (0, 1)
    assert sampled.stdout.startswith("Checked 100 sampled answer sets")


@pytest.mark.slow
def test_samples_go_with_the_sampling_method_only() -> None:
    done = run_carecheck("verify", "--samples", "500", expect_exit=2)
    assert "--method sampling" in done.stderr


# --- the encoding held to the engine ------------------------------------------------------------------------------


def edge_answers(assessor: Assessor, rng: random.Random) -> dict[str, Any]:
    """A complete answer set whose answers sit at the ends of their ranges (branching respected)."""
    values: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    mode = rng.choice(("least", "most", "edges"))
    for item in assessor.items:
        values[item.id] = None
        definition = item.definition
        if not item.asked(values) or (not definition.required and rng.random() < 0.5):
            continue
        kind = kind_of(definition)
        if mode == "edges" or not definition.severity:
            value = kind.sample_edges(definition, rng)
        else:
            value = kind.extreme(definition, most_severe=mode == "most")
        answers[item.id] = value
        values[item.id] = item.coerce(value)
    return answers


def held_to_the_engine(assessor: Assessor, count: int, seed: int) -> int:
    """For `count` random and boundary answer sets, the encoding at that point decides as the engine does."""
    encoder = Encoder(assessor.definitions)
    space = encoder.space("")
    decision = encoder.decide(space)
    solver = z3.Solver()
    solver.add(*space.constraints)
    rng = random.Random(seed)
    programs = [code for code, _ in assessor.programs]
    modalities = [code for code, _ in assessor.modalities]
    checked = 0
    for index in range(count):
        answers = random_answers(assessor, rng) if index % 2 else edge_answers(assessor, rng)
        result = assessor.assess(answers)
        solver.push()
        for item_id, item in space.items.items():
            if item_id in answers:
                solver.add(item.answered, encoder.equals(item, answers[item_id]))
            elif not item.item.definition.required:
                solver.add(z3.Not(item.answered))
        assert solver.check() == z3.sat, answers  # the answer set is in the encoded space
        model = solver.model()

        def holds(term: Any, model: Any = model) -> bool:
            return bool(z3.is_true(model.eval(term, model_completion=True)))

        assert holds(z3.Not(decision.raises))
        assert assessor.levels[model.eval(decision.final).as_long()] == result.level, answers
        assert holds(decision.urgent) == result.urgent, answers
        assert (holds(decision.urgent) or holds(decision.safety_note)) == result.safety_note, answers
        fired = {rule.id for rule, fire in zip(assessor.placement, decision.fires, strict=True) if holds(fire)}
        assert fired == {reason.rule for reason in result.reasons}, answers
        deciding = {rule.id for i, rule in enumerate(assessor.placement) if holds(decision.deciding(i))}
        assert deciding == {reason.rule for reason in result.reasons if reason.deciding}
        assert [p for p, on in zip(programs, decision.programs, strict=True) if holds(on)] == list(result.program_types)
        assert [m for m, on in zip(modalities, decision.modalities, strict=True) if holds(on)] == list(
            result.modalities
        )
        assert [n[0] for n, on in zip(assessor.notes, decision.notes, strict=True) if holds(on)] == [
            note.id for note in result.notes
        ]
        # The item values round-trip: the answer file read back from the model is the one put in.
        # (A free text no condition names comes back as one such text: what the rules can tell apart.)
        expected = dict(result.answers)
        for item in assessor.items:
            if isinstance(item.definition, TextItem) and expected[item.id] not in (None, *encoder.strings.codes):
                expected[item.id] = encoder.other_text(item.definition)
        assert assessor.check(encoder.answers(space, model))[0] == expected
        solver.pop()
        checked += 1
    return checked


@pytest.mark.slow
def test_the_encoding_decides_as_the_engine_on_thousands_of_answer_sets(assessor: Assessor) -> None:
    assert held_to_the_engine(assessor, 1500, seed=7) == 1500


@pytest.mark.slow
def test_the_encoding_decides_as_the_engine_for_the_counselor_intake() -> None:
    assert held_to_the_engine(load_assessor(rules="counselor-intake"), 500, seed=8) == 500


@pytest.mark.slow  # z3 and the encoding take a second to start
def test_the_encoding_decides_as_the_engine_on_a_few_answer_sets(assessor: Assessor) -> None:
    assert held_to_the_engine(assessor, 40, seed=9) == 40


ATOMS = [
    "phq9 >= 10",
    "phq9.total == 17",
    "gad7 < 5",
    "use_days == 13",
    "use_days >= 20",
    "'alcohol' in substances",
    "'alcohol' not in substances",
    "has_any(substances, 'opioids', 'other')",
    "substances == ['cannabis']",
    "housing == 'none'",
    "housing in ['unstable', 'none']",
    "support != 'strong'",
    "asq.band == 'acute-positive'",
    "asq.band != 'negative'",
    "withdrawal_now",
    "not psychosis",
    "self_care == false",
    "audit.total >= 1",
    "dast.band == 'moderate'",
    "use_severity >= 2",
    "mh_severity == 3",
    "weak_home",
    "count(psychosis, medical_unstable, home_use) >= 2",
    "asked(home_use)",
    "any(pregnant, age < 18)",
    "prior_treatment == 'iop'",
]


@st.composite
def conditions(draw: st.DrawFn) -> str:
    """Up to three atoms joined by `and`/`or`, each possibly negated, possibly grouped."""
    parts = [
        ("not " if draw(st.booleans()) else "") + f"({draw(st.sampled_from(ATOMS))})"
        for _ in range(draw(st.integers(1, 3)))
    ]
    text = parts[0]
    for part in parts[1:]:
        text = f"({text}){draw(st.sampled_from([' and ', ' or ']))}{part}"
    return text


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(
    placed=st.lists(
        st.tuples(conditions(), st.sampled_from(LEVELS), st.booleans()),
        min_size=1,
        max_size=3,
    ),
    invariant=st.tuples(conditions(), conditions()),
)
def test_fuzzed_rule_sets_verify_without_crashing(
    placed: list[tuple[str, str, bool]], invariant: tuple[str, str], tmp_path_factory: Any
) -> None:
    """Random placement rules and an invariant on top of the shipped policy: the proof ends with a report whose
    every finding the engine has confirmed, or unknown; never an exception."""
    rule_set: dict[str, Any] = {"extends": "level-of-care", "id": "fuzzed", "version": "0.0.1"}
    rule_set["placement"] = [
        {
            "id": f"fuzz-{i}",
            "when": when,
            "level": level,
            "urgent": urgent,
            "reason": "Fuzzed.",
            "criteria": ["right-level"],
        }
        for i, (when, level, urgent) in enumerate(placed)
    ]
    rule_set["invariants"] = [
        {"id": "fuzz-invariant", "description": "Fuzzed.", "when": invariant[0], "expect": invariant[1]}
    ]
    path = Path(tmp_path_factory.mktemp("rules")) / "rules.yaml"
    path.write_text(yaml.safe_dump(rule_set, sort_keys=False))
    assessor = load_assessor(rules=str(path))
    report = prove(assessor, timeout=10)
    assert set(report.verdicts) == {INVARIANTS, MONOTONICITY, COMPLETENESS, DEAD_RULE, SHADOWED_RULE}
    assert all(entry.reason for entry in report.unknown)
    levels = {level: index for index, level in enumerate(LEVELS)}
    for violation in report.violations:
        if violation.check == MONOTONICITY:
            assert violation.other is not None
            before, after = assessor.assess(violation.answers), assessor.assess(violation.other)
            assert levels[after.level] < levels[before.level]
        elif violation.check == DEAD_RULE:
            assert violation.subject.startswith("fuzz-")
    proof_text(report)
    json.dumps(proof_dict(report))


@pytest.mark.slow
def test_z3_stays_off_the_start_up_path() -> None:
    code = "import sys, carecheck.cli.app, carecheck.authoring.verify; sys.exit('z3' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=60).returncode == 0


@pytest.mark.slow
def test_a_solver_that_gives_up_leaves_checks_unknown_never_passed(assessor: Assessor) -> None:
    report = prove(assessor, timeout=0.001)
    assert UNKNOWN in {verdict.status for verdict in report.verdicts.values()}
    assert not report.passed()
    assert report.unknown
    assert all("not proved" in entry.reason for entry in report.unknown)
    assert "UNKNOWN: not proved" in proof_text(report)
    assert proof_text(report).endswith("Failed: the policy is not proved sound; see the findings above.\n")


@pytest.mark.slow
def test_what_the_solver_cannot_state_exactly_is_unknown_and_fails_the_run() -> None:
    done = run_carecheck("verify", "--rules", rules("free-text"), "--format", "json", expect_exit=1)
    report = json.loads(done.stdout)
    assert {check["status"] for check in report["checks"].values()} == {UNKNOWN}
    assert "comparing two free-text answers" in report["unknown"][0]["reason"]
    assert report["passed"] is False
