"""The command line as scripts and people meet it: real processes, exit codes, stdout and stderr."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from carecheck.load.loader import builtin_folder
from conftest import baseline_answers, run_carecheck, with_alcohol

CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))


def write(tmp_path: Path, answers: dict[str, Any] | str, name: str = "answers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(answers if isinstance(answers, str) else yaml.safe_dump(answers))
    return path


def assert_no_traceback(process: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in process.stderr + process.stdout


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_the_shared_cases_agree_with_the_policy(case: Path, tmp_path: Path) -> None:
    spec = yaml.safe_load(case.read_text())
    process = run_carecheck("assess", "--answers", str(write(tmp_path, spec["answers"])), "--format", "json")
    assert process.returncode == 0, process.stderr
    got = json.loads(process.stdout)
    expect = spec["expect"]
    for key in ("level", "urgent", "screen_positive"):
        assert got[key] == expect[key], key
    assert {k: (v["total"], v["band"]) for k, v in got["scores"].items()} == {
        k: (v["total"], v["band"]) for k, v in expect["scores"].items()
    }
    assert sorted(got["program_types"]) == sorted(expect["program_types"])
    assert sorted(got["modalities"]) == sorted(expect["modalities"])


@pytest.mark.slow
def test_json_has_the_contract_keys_and_nothing_else_on_stdout(tmp_path: Path) -> None:
    process = run_carecheck("assess", "--answers", str(write(tmp_path, with_alcohol(17))), "--format", "json")
    assert process.returncode == 0, process.stderr
    result = json.loads(process.stdout)
    assert {
        "schema_version",
        "id",
        "level",
        "urgent",
        "screen_positive",
        "scores",
        "program_types",
        "modalities",
        "reasons",
        "questionnaire",
        "rules",
    } <= set(result)
    assert result["schema_version"] == "1"
    assert result["scores"]["audit"] == {"total": 17, "band": "harmful"}
    reason = result["reasons"][0]
    assert set(reason) == {"rule", "level", "deciding", "text", "criteria", "items"}
    assert set(result["questionnaire"]) == set(result["rules"]) == {"id", "version", "sha256"}


@pytest.mark.slow
def test_the_same_answers_twice_give_byte_identical_json(tmp_path: Path) -> None:
    path = write(tmp_path, with_alcohol(25, id="same"))
    first = run_carecheck("assess", "--answers", str(path), "--format", "json")
    second = run_carecheck("assess", "--answers", str(path), "--format", "json")
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout


@pytest.mark.slow
def test_piped_stdin_is_the_answer_file_and_dash_reads_it_too(tmp_path: Path) -> None:
    text = json.dumps(baseline_answers())
    piped = run_carecheck("assess", "--format", "json", stdin=text)
    dashed = run_carecheck("assess", "--answers", "-", "--format", "json", stdin=text)
    assert piped.returncode == dashed.returncode == 0
    assert piped.stdout == dashed.stdout
    assert json.loads(piped.stdout)["screen_positive"] is False


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content", "args", "named"),
    [
        (baseline_answers() | {"phq9_3": 7}, (), "phq9_3: must be one of 0, 1, 2, 3, got 7"),
        ({k: v for k, v in baseline_answers().items() if k != "age"}, (), "age: is missing"),
        (baseline_answers() | {"phq_1": 0}, (), "phq_1: is not an item of this questionnaire (did you mean 'phq9_1'?)"),
        ("age: 35\nhousing: [stable\n", (), "answers.yaml:3: invalid YAML"),
        ("", (), "answers.yaml: is empty"),
        ("- age\n- 35\n", (), "is a list, not a mapping"),
        (None, (), "no such answer file"),
    ],
    ids=["bad-value", "missing-item", "unknown-id", "yaml-syntax", "empty", "list", "missing-path"],
)
def test_bad_answers_exit_2_naming_the_item_or_line(
    tmp_path: Path, content: dict[str, Any] | str | None, args: tuple[str, ...], named: str
) -> None:
    path = tmp_path / "answers.yaml" if content is None else write(tmp_path, content)
    process = run_carecheck("assess", "--answers", str(path), *args)
    assert process.returncode == 2
    assert named in process.stderr
    assert process.stdout == ""
    assert_no_traceback(process)


@pytest.mark.slow
def test_with_json_an_answer_error_is_also_an_error_object_on_stdout(tmp_path: Path) -> None:
    path = write(tmp_path, baseline_answers() | {"phq9_3": 7, "id": "r1"})
    process = run_carecheck("assess", "--answers", str(path), "--format", "json")
    assert process.returncode == 2
    error = json.loads(process.stdout)
    assert error["id"] == "r1"
    assert error["error"]["kind"] == "invalid-answers"
    assert error["error"]["problems"] == [{"item": "phq9_3", "message": "must be one of 0, 1, 2, 3, got 7"}]


@pytest.mark.slow
def test_unknown_options_and_formats_exit_2(tmp_path: Path) -> None:
    assert run_carecheck("assess", "--format", "pdf").returncode == 2
    assert run_carecheck("assess", "--colour").returncode == 2


@pytest.mark.slow
def test_debug_shows_a_traceback_without_local_values(tmp_path: Path) -> None:
    path = write(tmp_path, baseline_answers() | {"phq9_3": 7})
    process = run_carecheck("assess", "--answers", str(path), "--debug")
    assert process.returncode == 2
    assert "Traceback" in process.stderr
    assert "locals" not in process.stderr.lower()


@pytest.mark.slow
def test_warnings_go_to_stderr_and_name_no_values(tmp_path: Path) -> None:
    path = write(tmp_path, baseline_answers() | {"audit_1": 3})
    process = run_carecheck("assess", "--answers", str(path), "--format", "json")
    assert process.returncode == 0
    assert "warning: audit_1: ignored" in process.stderr
    assert "3" not in process.stderr.split("warning:")[1].split("ignored")[0]
    assert json.loads(process.stdout)["warnings"][0].startswith("audit_1: ignored")


@pytest.mark.slow
def test_output_is_written_atomically_and_privately(tmp_path: Path) -> None:
    target = tmp_path / "result.md"
    process = run_carecheck(
        "assess", "--answers", str(write(tmp_path, with_alcohol(9))), "--format", "markdown", "--output", str(target)
    )
    assert process.returncode == 0
    assert process.stdout == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_text().startswith("# Your carecheck screening result")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.yaml", "result.md"]  # no temporary file left


@pytest.mark.slow
def test_an_installed_style_run_from_an_empty_folder_finds_the_builtins(tmp_path: Path) -> None:
    answers = write(tmp_path, baseline_answers())
    empty = tmp_path / "empty"
    empty.mkdir()
    process = run_carecheck("assess", "--answers", str(answers), "--format", "json", cwd=empty)
    assert process.returncode == 0, process.stderr
    assert list(empty.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
def test_crisis_help_comes_first_in_every_format(tmp_path: Path, fmt: str) -> None:
    answers = baseline_answers() | {"asq_1": True, "asq_5": True}
    process = run_carecheck("assess", "--answers", str(write(tmp_path, answers)), "--format", fmt)
    assert process.returncode == 0
    out = process.stdout
    first_988 = out.index("988")
    assert "911" in out
    assert "emergency room" in out
    for later in ("Suggested level of care", "schema_version", "level"):
        if later in out:
            assert first_988 < out.index(later)


@pytest.mark.slow
def test_no_color_and_non_terminals_get_plain_text(tmp_path: Path) -> None:
    answers = write(tmp_path, baseline_answers() | {"asq_1": True, "asq_5": True})
    process = run_carecheck("assess", "--answers", str(answers), env={"NO_COLOR": "1"})
    assert process.returncode == 0, process.stderr
    assert "\x1b" not in process.stdout


@pytest.mark.slow
def test_validate_passes_on_the_shipped_files() -> None:
    process = run_carecheck("validate")
    assert process.returncode == 0, process.stdout + process.stderr
    assert "ok: " in process.stdout
    assert "level-of-care" in process.stdout


@pytest.mark.slow
def test_validate_exits_3_naming_file_and_line_of_an_unknown_item(tmp_path: Path) -> None:
    rules = builtin_folder("rules") / "level-of-care.yaml"
    text = rules.read_text().replace('when: "psychosis"', 'when: "psychosys"', 1)
    bad = tmp_path / "mine.yaml"
    bad.write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "psychosys" in row)
    process = run_carecheck("validate", str(bad))
    assert process.returncode == 3
    assert f"mine.yaml:{line}: in `psychosys` (column 1): unknown name 'psychosys' (did you mean 'psychosis'?)" in (
        process.stdout
    )
    assert_no_traceback(process)


@pytest.mark.slow
def test_assess_with_a_broken_rule_set_exits_3(tmp_path: Path) -> None:
    bad = tmp_path / "mine.yaml"
    bad.write_text("id: mine\n")
    process = run_carecheck("assess", "--rules", str(bad), stdin=json.dumps(baseline_answers()))
    assert process.returncode == 3
    assert "mine.yaml" in process.stderr
    assert_no_traceback(process)


@pytest.mark.slow
def test_version_and_help_work() -> None:
    version = run_carecheck("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("carecheck ")
    helped = run_carecheck("assess", "--help")
    assert helped.returncode == 0
    assert "--answers" in helped.stdout


def test_every_command_is_documented_in_the_readme() -> None:
    from carecheck.cli.app import app

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    names = [
        command.name or (command.callback.__name__ if command.callback else "") for command in app.registered_commands
    ]
    assert len(names) == 11
    for name in names:
        assert f"carecheck {name}" in readme, name
    groups = {group.typer_instance.info.name: group.typer_instance for group in app.registered_groups}
    assert set(groups) == {"records", "export"}
    for name, group in groups.items():
        for command in group.registered_commands:
            assert f"carecheck {name} {command.name}" in readme, f"{name} {command.name}"


@pytest.mark.slow
def test_bare_names_are_built_ins_whatever_lies_in_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "level-of-care").mkdir()
    (tmp_path / "self-assessment").write_text("not a questionnaire")
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump(baseline_answers()))
    process = run_carecheck("assess", "--answers", str(answers), "--format", "json", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    assert json.loads(process.stdout)["rules"]["id"] == "level-of-care"


@pytest.mark.slow
def test_error_objects_do_not_depend_on_the_order_of_keys(tmp_path: Path) -> None:
    answers = baseline_answers() | {"phq_1": 1, "gad_2": 1, "zz": 1}
    outputs = set()
    for order in (list(answers), sorted(answers), sorted(answers, reverse=True)):
        path = tmp_path / "a.json"
        path.write_text(json.dumps({key: answers[key] for key in order}))
        outputs.add(run_carecheck("assess", "--answers", str(path), "--format", "json", expect_exit=2).stdout)
    assert len(outputs) == 1


@pytest.mark.slow
def test_the_bash_completion_script_completes_commands_and_choices_in_a_real_bash(tmp_path: Path) -> None:
    script = tmp_path / "carecheck.bash"
    script.write_text(run_carecheck("completion", "bash", expect_exit=0).stdout)
    # The script runs `carecheck`: a wrapper of that name that starts this interpreter's carecheck.
    wrapper = tmp_path / "carecheck"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m carecheck "$@"\n')
    wrapper.chmod(0o755)
    complete = (
        f"source {script}; "
        'COMP_WORDS=(carecheck rec); COMP_CWORD=1; _carecheck_completion carecheck; echo "${COMPREPLY[@]}"; '
        'COMP_WORDS=(carecheck batch --format p); COMP_CWORD=3; _carecheck_completion carecheck; echo "${COMPREPLY[@]}"'
    )
    shell = subprocess.run(
        ["bash", "-c", complete],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"},
        timeout=60,
        check=True,
    )
    assert shell.stdout.splitlines() == ["records", "parquet"]
    for other in ("zsh", "fish", "powershell"):
        assert "_CARECHECK_COMPLETE" in run_carecheck("completion", other, expect_exit=0).stdout
