"""The documentation runs: the worked example in docs/authoring.md is written out and every command it shows runs."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from conftest import run_carecheck

DOC = Path(__file__).resolve().parent.parent / "docs" / "authoring.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def blocks(kind: str) -> list[str]:
    return [body for language, body in BLOCK.findall(DOC.read_text()) if language == kind]


@pytest.fixture
def example(tmp_path: Path) -> Path:
    for body in blocks("yaml"):
        first = body.splitlines()[0]
        if first.startswith("# file: "):
            path = tmp_path / first.removeprefix("# file: ").strip()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body)
    return tmp_path


def run_documented(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a `carecheck ...` line as the document shows it."""
    words = shlex.split(command)
    assert words[0] == "carecheck"
    return run_carecheck(*words[1:], cwd=cwd, timeout=300)


@pytest.mark.slow
def test_every_command_of_the_worked_example_succeeds(example: Path) -> None:
    commands = [line for body in blocks("sh") for line in body.splitlines() if line.startswith("carecheck ")]
    assert len(commands) == 6
    outputs = {}
    for command in commands:
        process = run_documented(command, example)
        assert process.returncode == 0, f"{command}\n{process.stdout}\n{process.stderr}"
        outputs[command.split()[1]] = process.stdout
    assert "2 passed, 0 failed" in outputs["test"]
    assert "drinks_per_week:" in outputs["template"]


def test_the_reference_tables_name_every_command() -> None:
    text = DOC.read_text()
    for command in ("validate", "test", "explain", "verify", "template", "schema"):
        assert f"`carecheck {command}" in text


@pytest.mark.slow
def test_the_documented_mistake_is_caught_by_verify_and_confirmed_by_assess(example: Path) -> None:
    rules = example / "clinic-rules.yaml"
    text = rules.read_text()
    unsafe_rule = '  - id: not-safe\n    when: "feel_safe == false"\n    level: inpatient'
    assert unsafe_rule in text
    rules.write_text(text.replace(unsafe_rule, unsafe_rule.replace("level: inpatient", "level: iop")))
    checked = run_documented("carecheck verify --rules clinic-rules.yaml", example)
    assert checked.returncode == 1
    assert "Invariant unsafe-is-inpatient-and-urgent does not hold" in checked.stdout
    assert "{drinks_per_week: 0, feel_safe: false}" in checked.stdout
    (example / "shown.yaml").write_text("{drinks_per_week: 0, feel_safe: false}\n")
    confirmed = run_documented("carecheck assess --answers shown.yaml --rules clinic-rules.yaml --format json", example)
    assert confirmed.returncode == 0, confirmed.stderr
    assert '"level":"iop"' in confirmed.stdout


@pytest.mark.slow
def test_a_questionnaire_alone_gives_a_template_and_an_answers_schema(example: Path) -> None:
    template = run_documented("carecheck template --questionnaire quick-screen.yaml", example)
    assert template.returncode == 0, template.stderr
    assert "feel_safe:   # true or false" in template.stdout
    schema = run_documented("carecheck schema answers --questionnaire quick-screen.yaml", example)
    assert schema.returncode == 0, schema.stderr
    assert "drinks_per_week" in schema.stdout
