"""Health data stays private: no network, no answer values where they do not belong, no locals in tracebacks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from carecheck.load.loader import builtin_folder
from conftest import baseline_answers, run_carecheck, with_alcohol

# Runs carecheck with an audit hook that stops the process at the first attempt to open or use a socket.
NO_NETWORK = """
import sys
def refuse(event, args):
    if event.startswith(("socket.", "http.", "urllib.", "ftplib.", "smtplib.")):
        sys.stderr.write("NETWORK: " + event + "\\n")
        sys.stderr.flush()
        import os
        os._exit(99)
sys.addaudithook(refuse)
sys.argv = ["carecheck", *sys.argv[1:]]
from carecheck.cli.app import main
main()
"""


def carecheck_offline(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_carecheck(*args, stdin=stdin, entry=("-c", NO_NETWORK))


@pytest.mark.slow
def test_no_command_opens_a_socket(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump(with_alcohol(30, id="x")))
    records = "".join(json.dumps(with_alcohol(t, id=str(t))) + "\n" for t in range(0, 40, 3))
    runs = [carecheck_offline("assess", "--answers", str(answers), "--format", fmt) for fmt in ("text", "json", "html")]
    runs.append(carecheck_offline("validate"))
    runs.append(carecheck_offline("batch", "-", stdin=records))
    runs.append(carecheck_offline("batch", "-", "--jobs", "2", stdin=records))
    runs.append(carecheck_offline("assess", "--answers", str(tmp_path / "missing.yaml")))
    for run in runs:
        assert "NETWORK" not in run.stderr, run.stderr
        assert run.returncode in (0, 2), run.stderr
    assert [run.returncode for run in runs] == [0, 0, 0, 0, 0, 0, 2]  # only the missing answer file is refused


@pytest.mark.slow
def test_an_error_message_quotes_only_the_faulty_items_own_value(tmp_path: Path) -> None:
    answers = baseline_answers() | {"id": "client-4471", "age": 7, "hours_available": 77, "readiness": 3}
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(answers))
    process = run_carecheck("assess", "--answers", str(path))
    assert process.returncode == 2
    assert "age: must be a whole number from 12 to 120, got 7" in process.stderr
    for other in ("77", "client-4471", "readiness"):
        assert other not in process.stderr


@pytest.mark.slow
def test_warnings_name_items_not_values(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(baseline_answers() | {"dast_1": True, "audit_3": 4}))
    process = run_carecheck("assess", "--answers", str(path), "--format", "json")
    assert process.returncode == 0
    warnings = [line for line in process.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 2
    assert not any("True" in line or ": 4" in line for line in warnings)


@pytest.mark.slow
def test_escape_sequences_in_messages_never_reach_the_terminal_raw(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(json.dumps(baseline_answers() | {"\x1b]0;owned\x07": 1, "housing": "\x1b[2Jgone"}))
    process = run_carecheck("assess", "--answers", str(path))
    assert process.returncode == 2
    assert "\x1b" not in process.stderr
    assert "\x07" not in process.stderr
    assert "\\x1b]0;owned\\x07: is not an item" in process.stderr


# --- every command shows strings from files, answers and the database literally ----------------------------------

ESCAPE = "\x1b]0;owned\x07\x1b[2J"


def _shown_not_sent(output: str) -> None:
    assert "\x1b" not in output
    assert "\x07" not in output
    assert "\\x1b]0;owned\\x07" in output


@pytest.mark.slow
def test_carecheck_test_shows_a_case_name_literally(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(json.dumps({"name": ESCAPE, "answers": baseline_answers(), "expect": {"level": "outpatient"}}))
    _shown_not_sent(run_carecheck("test", str(case), expect_exit=0).stdout)


@pytest.mark.slow
def test_validate_shows_a_version_and_condition_text_literally(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(f"extends: level-of-care\nid: mine\nversion: {json.dumps(ESCAPE)}\n")
    _shown_not_sent(run_carecheck("validate", str(good), expect_exit=0).stdout)
    bad = tmp_path / "bad.yaml"
    rule = {"id": "r", "when": f"age > {ESCAPE}", "level": "iop", "reason": "x", "criteria": ["inpatient-when-needed"]}
    bad.write_text(f"extends: level-of-care\nid: mine\nversion: '1'\nplacement: [{json.dumps(rule)}]\n")
    _shown_not_sent(run_carecheck("validate", str(bad), expect_exit=3).stdout)


@pytest.mark.slow
def test_template_shows_section_titles_literally(tmp_path: Path) -> None:
    source = builtin_folder("questionnaires") / "self-assessment.yaml"
    text = source.read_text().replace("title: About you", f"title: {json.dumps(ESCAPE)}")
    text = text.replace(": instruments/", f": {source.parent}/instruments/")
    mine = tmp_path / "mine.yaml"
    mine.write_text(text)
    _shown_not_sent(run_carecheck("template", "--questionnaire", str(mine), expect_exit=0).stdout)


@pytest.mark.slow
def test_records_compare_shows_stored_level_names_literally(tmp_path: Path) -> None:
    from carecheck import load_assessor
    from carecheck.clinic.record import build_record
    from carecheck.store.records import open_records
    from intake_answers import drinking

    assessor = load_assessor(rules="counselor-intake")
    database = tmp_path / "r.db"
    with open_records(database) as records:
        for created in ("2026-11-01T10:00:00Z", "2026-11-20T10:00:00Z"):
            document = build_record(
                assessor,
                assessor.assess(drinking(ciwa=12)),
                client="C-1",
                counselor=None,
                created=created,
                carecheck_version="9",
                override=None,
            )
            document["level_names"] = dict.fromkeys(document.get("level_names", {}), ESCAPE) or {"x": ESCAPE}
            document["computed_level"] = ESCAPE
            records.add(document)
    _shown_not_sent(run_carecheck("records", "compare", "1", "2", "--db", str(database), expect_exit=0).stdout)


@pytest.mark.slow
def test_drafts_shows_a_drafts_fields_and_file_name_literally(tmp_path: Path) -> None:
    drafts = tmp_path / "data" / "carecheck" / "drafts"
    drafts.mkdir(parents=True, mode=0o700)
    (tmp_path / "data" / "carecheck").chmod(0o700)
    payload = {"saved_at": ESCAPE, "answers": {"age": 30}, "position": ESCAPE, "client": None}
    (drafts / f"{ESCAPE}.json").write_text(json.dumps(payload))
    process = run_carecheck("drafts", env={"XDG_DATA_HOME": str(tmp_path / "data")}, expect_exit=0)
    _shown_not_sent(process.stdout)


def test_json_escapes_bidi_and_c1_controls_in_both_writers() -> None:
    from carecheck import load_assessor
    from carecheck.output.jsonresult import JsonResultWriter
    from carecheck.output.render import error_json, result_json

    assessor = load_assessor()
    result = assessor.assess(baseline_answers() | {"id": "a\u202eb\x9bc\u061cd\u2028"})
    fast, plain = JsonResultWriter(assessor).write(result), result_json(result, assessor)
    assert fast == plain
    assert '"id":"a\\u202eb\\u009bc\\u061cd\\u2028"' in plain
    assert json.loads(plain)["id"] == "a\u202eb\x9bc\u061cd\u2028"
    assert "\\u202e" in error_json("invalid-answers", "m", [], "\u202e")


def test_text_shows_the_arabic_letter_mark() -> None:
    from carecheck.core.safetext import literal

    assert literal("a\u061cb") == "a\\u061cb"
