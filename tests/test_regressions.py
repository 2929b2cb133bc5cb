"""Faults found in review, each pinned by a test that fails without its fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from carecheck import Assessor
from carecheck.cli.interview import Interview
from carecheck.cli.terminal import PlainTerminal
from carecheck.core.errors import AnswersError, UsageError
from carecheck.output.formats import Format
from carecheck.output.render import render_result
from conftest import baseline_answers


class Scripted:
    """A terminal that types the given lines, then stops as Ctrl-D would."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = list(lines)
        self.said: list[str] = []

    def ask(self, prompt: str) -> str:
        self.said.append(prompt)
        if not self.lines:
            raise EOFError
        return self.lines.pop(0)

    def say(self, text: str = "") -> None:
        self.said.append(text)


def carecheck(*args: str, stdin: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "carecheck", *args], input=stdin, capture_output=True, cwd=cwd, timeout=120
    )


def test_typing_0_for_no_substances_gives_an_empty_list(assessor: Assessor) -> None:
    start = {k: v for k, v in baseline_answers().items() if k != "substances"}
    interview = Interview(assessor, Scripted(["0"]), start=start, only={"substances"}, review=False)
    answers = interview.run()
    assert answers["substances"] == []
    assert assessor.assess(answers).screen_positive is False


def test_the_conversation_goes_to_stderr_so_stdout_holds_only_the_result(capsys: pytest.CaptureFixture[str]) -> None:
    PlainTerminal().say("Question 1 of about 40")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Question 1" in captured.err


def test_a_non_ascii_digit_at_the_review_is_asked_again(assessor: Assessor) -> None:
    terminal = Scripted(["²", ""])
    Interview(assessor, terminal, start=baseline_answers() | {"pregnant": False}).run()
    assert any("Please type a number from 1 to" in line for line in terminal.said)


def test_bare_names_are_built_ins_whatever_lies_in_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "level-of-care").mkdir()
    (tmp_path / "self-assessment").write_text("not a questionnaire")
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump(baseline_answers()))
    process = carecheck("assess", "--answers", str(answers), "--format", "json", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    assert json.loads(process.stdout)["rules"]["id"] == "level-of-care"


def test_lone_surrogates_are_refused_not_crashed_on(assessor: Assessor) -> None:
    with pytest.raises(AnswersError) as caught:
        assessor.assess(baseline_answers() | {"id": "\ud800"})
    assert caught.value.problems[0].item == "id"
    records = b"\n".join(json.dumps(baseline_answers() | {"id": n}).encode() for n in ("first", "\ud800", "third"))
    process = carecheck("batch", "-", stdin=records + b"\n")
    lines = process.stdout.decode().splitlines()
    assert process.returncode == 1
    assert [json.loads(line).get("id") for line in lines] == ["first", None, "third"]
    assert b"Traceback" not in process.stderr


def test_markdown_shows_markup_in_an_id_as_text(assessor: Assessor) -> None:
    result = assessor.assess(baseline_answers() | {"id": "a\n# Heading\n- item\n---"})
    markdown = render_result(result, assessor, Format.MARKDOWN)
    assert "\n# Heading" not in markdown
    assert "\n- item" not in markdown
    assert "\n---" not in markdown
    assert "Record: a \\# Heading - item ---" in markdown


def test_batch_drops_a_byte_order_mark_and_reports_a_line_that_is_not_utf8(assessor: Assessor) -> None:
    good = json.dumps(baseline_answers() | {"id": "x"}).encode()
    process = carecheck("batch", "-", stdin=b"\xef\xbb\xbf" + good + b"\n" + b'{"id": "caf\xe9"}\n')
    lines = [json.loads(line) for line in process.stdout.decode().splitlines()]
    assert lines[0]["id"] == "x"
    assert lines[1]["error"]["message"] == "line 2: the line is not UTF-8 text"
    header = ",".join(["id", *baseline_answers()])
    row = ",".join(["r1", *("[]" if v == [] else str(v).lower() for v in baseline_answers().values())])
    csv_run = carecheck("batch", "-", "--input-format", "csv", stdin=b"\xef\xbb\xbf" + f"{header}\n{row}\n".encode())
    assert csv_run.returncode == 0, csv_run.stdout + csv_run.stderr
    assert json.loads(csv_run.stdout)["id"] == "r1"


def test_error_objects_do_not_depend_on_the_order_of_keys(tmp_path: Path) -> None:
    answers = baseline_answers() | {"phq_1": 1, "gad_2": 1, "zz": 1}
    outputs = set()
    for order in (list(answers), sorted(answers), sorted(answers, reverse=True)):
        path = tmp_path / "a.json"
        path.write_text(json.dumps({key: answers[key] for key in order}))
        outputs.add(carecheck("assess", "--answers", str(path), "--format", "json").stdout)
    assert len(outputs) == 1


def test_resume_carries_on_with_the_drafts_own_rule_set(tmp_path: Path) -> None:
    import pexpect

    from carecheck.load.loader import builtin_folder

    rules = tmp_path / "custom-rules.yaml"
    text = (builtin_folder("rules") / "level-of-care.yaml").read_text()
    rules.write_text(text.replace('version: "1.0.0"', 'version: "9.9.9"', 1))
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    child = pexpect.spawn(  # a relative --rules path: the draft must keep it absolute
        sys.executable,
        ["-m", "carecheck", "assess", "--rules", rules.name],
        env=env,
        encoding="utf-8",
        timeout=30,
        cwd=str(tmp_path),
    )
    child.expect_exact("> ")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    draft_path = next((tmp_path / "data" / "carecheck" / "drafts").glob("*.json"))
    draft = json.loads(draft_path.read_text())
    assert draft["rules"] == str(rules.resolve())  # absolute, so a resume from elsewhere finds it
    draft["answers"] = {k: v for k, v in baseline_answers().items() if k != "readiness"} | {"pregnant": False}
    draft_path.write_text(json.dumps(draft))

    out = tmp_path / "result.json"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    child = pexpect.spawn(
        sys.executable,
        ["-m", "carecheck", "assess", "--resume", "--format", "json", "--output", str(out)],
        env=env,
        encoding="utf-8",
        timeout=30,
        cwd=str(elsewhere),
    )
    child.expect_exact("> ")
    child.sendline("8")
    child.expect_exact("press Enter to see your result: ")
    child.sendline("")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert json.loads(out.read_text())["rules"]["version"] == "9.9.9"


# --- the second review -----------------------------------------------------------------------------------------


def test_answers_typed_are_kept_when_the_result_cannot_be_written(tmp_path: Path) -> None:
    import pexpect

    partial = {k: v for k, v in baseline_answers().items() if k != "readiness"}
    path = tmp_path / "partial.yaml"
    path.write_text(yaml.safe_dump(partial))
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    command = [
        "-m",
        "carecheck",
        "assess",
        "--answers",
        str(path),
        "--ask-missing",
        "--output",
        str(tmp_path / "no" / "such" / "folder" / "r.md"),
    ]
    child = pexpect.spawn(sys.executable, command, env=env, encoding="utf-8", timeout=30)
    child.expect_exact("> ")
    child.sendline("7")
    child.expect_exact("Your answers are kept in")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    kept = json.loads(next((tmp_path / "data" / "carecheck" / "drafts").glob("*.json")).read_text())
    assert kept["answers"]["readiness"] == 7


def test_csv_output_quotes_cells_that_hold_newlines() -> None:
    import csv
    import io

    process = carecheck("batch", "-", "--format", "csv", stdin=b'{"id": "a\\nb", "age": 5}\n')
    rows = list(csv.reader(io.StringIO(process.stdout.decode())))
    assert len(rows) == 2
    assert rows[1][0] == "a\nb"
    assert "\n" in rows[1][-1]  # the error text lists each problem on its own line, inside one cell


def test_csv_input_is_read_by_the_csv_rules_quotes_newlines_and_all() -> None:
    answers = baseline_answers()
    header = ",".join(["id", *answers])
    cells = ",".join("[]" if v == [] else str(v).lower() for v in answers.values())
    text = f'{header}\nr1 5",{cells}\n"multi\n\nline",{cells}\nr3,{cells}\n'
    process = carecheck("batch", "-", "--input-format", "csv", stdin=text.encode())
    assert process.returncode == 0, process.stderr
    ids = [json.loads(line)["id"] for line in process.stdout.decode().splitlines()]
    assert ids == ['r1 5"', "multi\n\nline", "r3"]


def test_short_text_items_are_sampled_within_their_length(tmp_path: Path) -> None:
    import random

    from carecheck.api import load_questionnaire_only
    from carecheck.core.sampling import random_answers

    path = tmp_path / "q.yaml"
    path.write_text(
        "id: q\nversion: '1'\ntitle: Q\nsections:\n  - id: s\n    title: S\n    items:\n"
        "      - {id: note, type: text, max_length: 3, prompt: A note?}\n"
    )
    compiled = load_questionnaire_only(str(path))
    for seed in range(20):
        assert len(random_answers(compiled, random.Random(seed))["note"]) <= 3  # type: ignore[arg-type]


def test_a_template_quotes_choices_yaml_would_misread_and_keeps_titles_on_one_line(tmp_path: Path) -> None:
    from carecheck.api import load_questionnaire_only
    from carecheck.authoring.template import answer_template

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
    from carecheck.authoring.cases import run_case

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
    from carecheck.authoring.explain import explain_answers, report_dict, report_text

    report = explain_answers(assessor, baseline_answers() | {"audit_1": 2})
    assert "audit_1: ignored" in report_text(report)
    assert report_dict(report)["warnings"][0].startswith("audit_1: ignored")


def test_the_answers_schema_accepts_the_template_it_describes(assessor: Assessor) -> None:
    import jsonschema

    from carecheck.authoring.schema import schema_for
    from carecheck.authoring.template import answer_template

    jsonschema.Draft7Validator(schema_for("answers", assessor)).validate(yaml.safe_load(answer_template(assessor)))


def test_a_draft_named_without_resume_is_resumed(tmp_path: Path) -> None:
    import pexpect

    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    from carecheck.store import drafts

    os.environ["XDG_DATA_HOME"] = env["XDG_DATA_HOME"]
    try:
        draft = drafts.save_draft({"age": 33}, "substances", None, None, draft_id="named-draft")
    finally:
        del os.environ["XDG_DATA_HOME"]
    child = pexpect.spawn(
        sys.executable, ["-m", "carecheck", "assess", "--draft", draft.id], env=env, encoding="utf-8", timeout=30
    )
    child.expect_exact("Carrying on from your answers")
    child.expect_exact("> ")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert [p.stem for p in (tmp_path / "data" / "carecheck" / "drafts").glob("*.json")] == ["named-draft"]
