"""A counselor's day through the command line: intake with an override, records found, exported, compared, deleted."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pexpect
import pytest
import yaml

from conftest import run_carecheck, spawn_carecheck
from intake_answers import drinking


@pytest.fixture
def desk(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """An empty working folder, and a private data folder and database for the counselor."""
    work = tmp_path / "work"
    work.mkdir()
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "CARECHECK_DB": str(tmp_path / "clinic.db")}
    return work, env


def answer_file(folder: Path, answers: dict[str, Any], name: str) -> Path:
    path = folder.parent / name
    path.write_text(yaml.safe_dump(answers))
    return path


@pytest.mark.slow
def test_intake_override_list_export_compare_delete(desk: tuple[Path, dict[str, str]]) -> None:
    work, env = desk
    first_answers = answer_file(work, drinking(ciwa=12, clinician_note="Tremor at rest."), "first.yaml")
    made = run_carecheck(
        "intake",
        "--client",
        "C-1024",
        "--counselor",
        "R. Diaz",
        "--answers",
        str(first_answers),
        "--override",
        "inpatient",
        "--reason",
        "Lives alone; seizures when stopping in 2024.",
        "--format",
        "json",
        cwd=work,
        env=env,
    )
    assert made.returncode == 0, made.stderr
    first = json.loads(made.stdout)
    assert (first["computed_level"], first["chosen_level"]) == ("php", "inpatient")
    assert "saved as record" in made.stderr

    listed = run_carecheck(
        "records", "list", "--client", "C-1024", "--format", "json", cwd=work, env=env, expect_exit=0
    )
    assert [row["id"] for row in json.loads(listed.stdout)] == [first["id"]]
    text_list = run_carecheck("records", "list", cwd=work, env=env, expect_exit=0).stdout
    assert "C-1024" in text_list
    assert "computed php, placed at inpatient" in text_list  # the computed level is never hidden

    record_id = str(first["id"])
    exported = {
        fmt: run_carecheck("records", "export", record_id, "--format", fmt, cwd=work, env=env)
        for fmt in ("json", "markdown", "html", "fhir")
    }
    assert all(done.returncode == 0 for done in exported.values()), {k: v.stderr for k, v in exported.items()}
    assert json.loads(exported["json"].stdout) == first
    for fmt in ("markdown", "html"):
        assert "Lives alone; seizures when stopping in 2024." in exported[fmt].stdout
        assert "Partial hospitalization program (PHP)" in exported[fmt].stdout  # the computed level is never hidden
    bundle = json.loads(exported["fhir"].stdout)
    assert bundle["resourceType"] == "Bundle"
    assert {entry["resource"]["resourceType"] for entry in bundle["entry"]} >= {"QuestionnaireResponse", "Observation"}
    shown = run_carecheck("records", "show", record_id, cwd=work, env=env)
    assert shown.returncode == 0
    assert "C-1024" in shown.stdout

    second_answers = answer_file(work, drinking(ciwa=3), "second.yaml")
    again = run_carecheck(
        "intake", "--client", "C-1024", "--answers", str(second_answers), "--format", "json", cwd=work, env=env
    )
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    compared = run_carecheck("records", "compare", record_id, str(second["id"]), cwd=work, env=env)
    assert compared.returncode == 0, compared.stderr
    lines = {line.split("  ")[0]: line for line in compared.stdout.splitlines()}
    assert "12 (moderate)" in lines["ciwa"]
    assert "3 (minimal)" in lines["ciwa"]
    assert lines["ciwa"].endswith("changed")
    assert lines["computed level"].endswith("changed")
    compared_json = json.loads(
        run_carecheck(
            "records", "compare", record_id, str(second["id"]), "-f", "json", cwd=work, env=env, expect_exit=0
        ).stdout
    )
    assert {
        "what": "chosen level",
        "before": "Inpatient or residential care",
        "after": "Outpatient counseling",
        "changed": True,
    } in compared_json

    deleted = run_carecheck("records", "delete", record_id, "--yes", cwd=work, env=env)
    assert deleted.returncode == 0, deleted.stderr
    remaining = json.loads(
        run_carecheck("records", "list", "--client", "C-1024", "-f", "json", cwd=work, env=env, expect_exit=0).stdout
    )
    assert [row["id"] for row in remaining] == [second["id"]]
    gone = run_carecheck("records", "show", record_id, cwd=work, env=env)
    assert gone.returncode == 2
    assert f"no record {record_id}" in gone.stderr

    assert list(work.iterdir()) == [], "nothing is written to the current folder unless asked"
    assert stat.S_IMODE(Path(env["CARECHECK_DB"]).stat().st_mode) == 0o600


@pytest.mark.slow
def test_an_export_to_a_file_is_private(desk: tuple[Path, dict[str, str]]) -> None:
    work, env = desk
    path = answer_file(work, drinking(ciwa=9), "a.yaml")
    record_id = json.loads(
        run_carecheck("intake", "-c", "C-7", "-a", str(path), "-f", "json", cwd=work, env=env, expect_exit=0).stdout
    )["id"]
    out = work / "chart.html"
    done = run_carecheck(
        "records", "export", str(record_id), "--format", "html", "--output", str(out), cwd=work, env=env
    )
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "fault"),
    [
        (["--override", "inpatient"], "needs --reason"),
        (["--override", "residential", "--reason", "x"], "not a level"),
        (["--reason", "x"], "--reason goes with --override"),
        (["--override", "php", "--reason", "x"], "already 'php'"),
    ],
)
def test_a_faulty_override_exits_2_and_stores_nothing(
    desk: tuple[Path, dict[str, str]], args: list[str], fault: str
) -> None:
    work, env = desk
    path = answer_file(work, drinking(ciwa=12), "a.yaml")
    done = run_carecheck("intake", "--client", "C-1", "--answers", str(path), *args, cwd=work, env=env)
    assert done.returncode == 2
    assert fault in done.stderr
    assert "Traceback" not in done.stderr
    listed = run_carecheck("records", "list", "-f", "json", cwd=work, env=env)
    assert listed.returncode in (0, 2), listed.stderr
    assert listed.returncode == 2 or json.loads(listed.stdout) == []


@pytest.mark.slow
def test_missing_clinician_items_are_named(desk: tuple[Path, dict[str, str]]) -> None:
    work, env = desk
    answers = drinking(ciwa=3)
    del answers["intoxicated"]
    done = run_carecheck(
        "intake", "--client", "C-1", "--answers", str(answer_file(work, answers, "a.yaml")), cwd=work, env=env
    )
    assert done.returncode == 2
    assert "intoxicated" in done.stderr


@pytest.mark.slow
def test_the_text_result_shows_both_levels_after_crisis_help(desk: tuple[Path, dict[str, str]]) -> None:
    work, env = desk
    path = answer_file(work, drinking(ciwa=20), "a.yaml")
    done = run_carecheck(
        "intake",
        "-c",
        "C-3",
        "-a",
        str(path),
        "--override",
        "php",
        "--reason",
        "Detox bed tomorrow.",
        cwd=work,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.index("988") < text.index("INTAKE FOR CLIENT C-3")
    assert "Computed by the screening: Inpatient or residential care" in text
    assert "Counselor's placement: Partial hospitalization program (PHP)" in text
    assert "Reason: Detox bed tomorrow." in text


@pytest.mark.slow
def test_reading_commands_on_a_missing_database_say_how_to_start(desk: tuple[Path, dict[str, str]]) -> None:
    work, env = desk
    done = run_carecheck("records", "list", cwd=work, env=env)
    assert done.returncode == 2
    assert "no records database" in done.stderr
    assert not Path(env["CARECHECK_DB"]).exists()


@pytest.mark.slow
def test_delete_without_a_terminal_needs_yes(desk: tuple[Path, dict[str, str]]) -> None:
    work, env = desk
    path = answer_file(work, drinking(), "a.yaml")
    record_id = json.loads(
        run_carecheck("intake", "-c", "C-1", "-a", str(path), "-f", "json", cwd=work, env=env, expect_exit=0).stdout
    )["id"]
    done = run_carecheck("records", "delete", str(record_id), cwd=work, env=env)
    assert done.returncode == 2
    assert "--yes" in done.stderr
    assert run_carecheck("records", "show", str(record_id), cwd=work, env=env).returncode == 0


def spawn(env: dict[str, str], cwd: Path, command: str, *args: str) -> pexpect.spawn:
    """The line-by-line intake (--plain); tests/test_fullscreen.py drives the full screen."""
    return spawn_carecheck(command, "--plain", *args, env={**env, "NO_COLOR": "1"}, cwd=cwd, dimensions=(40, 100))


@pytest.mark.slow
def test_at_a_terminal_the_counselor_is_asked_to_accept_or_override(desk: tuple[Path, dict[str, str]]) -> None:
    work, env = desk
    path = answer_file(work, drinking(ciwa=12), "a.yaml")
    child = spawn(
        env,
        work,
        "intake",
        "--client",
        "C-5",
        "--answers",
        str(path),
        "--format",
        "json",
        "--output",
        str(work.parent / "out.json"),
    )
    child.expect("computed: Partial hospitalization program")
    child.expect("type another level")
    child.sendline("residential")
    child.expect("Type one of")
    child.sendline("inpatient")
    child.expect("Why does this client need that level")
    child.sendline("")
    child.expect("Why does this client need that level")
    child.sendline("No one at home at night.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    saved = json.loads((work.parent / "out.json").read_text())
    assert saved["override"] == {"level": "inpatient", "reason": "No one at home at night."}
    assert saved["computed_level"] == "php"


@pytest.mark.slow
def test_ctrl_c_at_the_override_question_keeps_the_answers_in_a_draft(desk: tuple[Path, dict[str, str]]) -> None:
    work, env = desk
    path = answer_file(work, drinking(ciwa=12), "a.yaml")
    child = spawn(env, work, "intake", "--client", "C-5", "--answers", str(path))
    child.expect("type another level")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    drafts = list((Path(env["XDG_DATA_HOME"]) / "carecheck" / "drafts").glob("*"))
    assert len(drafts) == 1
    assert stat.S_IMODE(drafts[0].stat().st_mode) == 0o600
    assert json.loads(drafts[0].read_text())["client"] == "C-5"
    assert json.loads(run_carecheck("records", "list", "-f", "json", cwd=work, env=env, expect_exit=0).stdout) == []


@pytest.mark.slow
def test_a_self_assessment_file_plus_the_clinician_items_asked_then_resumed(desk: tuple[Path, dict[str, str]]) -> None:
    """A counselor takes the client's own answer file, is asked only the clinician items, stops, and carries on."""
    work, env = desk
    own = drinking(ciwa=12, pregnant=False)  # every optional item answered, so only the clinician's are asked
    for clinician_item in ("ciwa_total", "intoxicated", "vitals_concern"):
        own.pop(clinician_item)
    path = answer_file(work, own, "own.yaml")
    child = spawn(env, work, "intake", "--client", "C-8", "--answers", str(path), "--ask-missing")
    child.expect_exact("> ")
    child.sendcontrol("c")
    child.expect_exact("To carry on later, run: carecheck intake --client C-8 --resume")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130

    child = spawn(env, work, "intake", "--client", "C-8", "--resume", "--format", "json", "--output", "../r.json")
    child.expect("CIWA-Ar total")
    child.expect_exact("> ")
    child.sendline("12")
    for _ in range(2):  # intoxicated, vital signs
        child.expect_exact("> ")
        child.sendline("no")
    child.expect_exact("> ")  # the optional note
    child.sendline("")
    child.expect("press Enter")  # the review
    child.sendline("")
    child.expect("type another level")
    child.sendline("")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    saved = json.loads((work.parent / "r.json").read_text())
    assert (saved["client"], saved["computed_level"], saved["override"]) == ("C-8", "php", None)


@pytest.mark.slow
def test_when_the_output_cannot_be_written_the_stored_record_is_named(desk: tuple[Path, dict[str, str]]) -> None:
    work, env = desk
    path = answer_file(work, drinking(ciwa=12), "a.yaml")
    done = run_carecheck(
        "intake", "-c", "C-1", "-a", str(path), "-o", str(work / "missing" / "r.txt"), cwd=work, env=env
    )
    assert done.returncode == 2
    assert "saved as record 1" in done.stderr
    assert [
        row["id"]
        for row in json.loads(run_carecheck("records", "list", "-f", "json", cwd=work, env=env, expect_exit=0).stdout)
    ] == [1]
    assert not (Path(env["XDG_DATA_HOME"]) / "carecheck" / "drafts").exists()


@pytest.mark.slow
def test_a_database_that_cannot_be_used_fails_before_any_question(desk: tuple[Path, dict[str, str]]) -> None:
    work, env = desk
    child = spawn(env, work, "intake", "--client", "C-1", "--db", str(work.parent))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "is a folder" in child.before
    assert "Question" not in child.before


@pytest.mark.slow
@pytest.mark.parametrize("typed", ["²", "٣", "-1", "abc", "1" * 19])
def test_a_record_id_is_ascii_digits(desk: tuple[Path, dict[str, str]], typed: str) -> None:
    work, env = desk
    path = answer_file(work, drinking(), "a.yaml")
    run_carecheck("intake", "-c", "C-1", "-a", str(path), cwd=work, env=env, expect_exit=0)
    done = run_carecheck("records", "show", "--", typed, cwd=work, env=env)
    assert done.returncode == 2, done.stderr
    assert "is not a record id" in done.stderr


@pytest.mark.slow
def test_records_show_is_plain_text_not_markdown(desk: tuple[Path, dict[str, str]]) -> None:
    work, env = desk
    path = answer_file(work, drinking(ciwa=12, clinician_note="Tremor | sweating."), "a.yaml")
    run_carecheck(
        "intake",
        "-c",
        "C-1",
        "-a",
        str(path),
        "--override",
        "inpatient",
        "--reason",
        "Lives alone.",
        cwd=work,
        env=env,
        expect_exit=0,
    )
    shown = run_carecheck("records", "show", "1", cwd=work, env=env, expect_exit=0).stdout
    assert "Computed by the screening: Partial hospitalization program (PHP)" in shown
    assert "Tremor | sweating." in shown
    assert "\\|" not in shown
    assert "**" not in shown


@pytest.mark.slow
def test_a_too_long_reason_at_the_prompt_is_asked_again(desk: tuple[Path, dict[str, str]]) -> None:
    work, env = desk
    path = answer_file(work, drinking(ciwa=12), "a.yaml")
    child = spawn(env, work, "intake", "--client", "C-5", "--answers", str(path), "-f", "json", "-o", "../o.json")
    child.expect("type another level")
    child.sendline("inpatient")
    child.expect("Why does this client need that level")
    child.sendline("x" * 2100)
    child.expect("keep it under 2000")
    child.expect("Why does this client need that level")
    child.sendline("Lives alone.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert json.loads((work.parent / "o.json").read_text())["override"]["reason"] == "Lives alone."


@pytest.mark.slow
def test_ask_missing_also_offers_the_withdrawal_scores_the_file_left_out(desk: tuple[Path, dict[str, str]]) -> None:
    work, env = desk
    own = drinking(pregnant=False)  # a drinker's file with the observations but no CIWA-Ar total
    path = answer_file(work, own, "own.yaml")
    child = spawn(env, work, "intake", "-c", "C-9", "-a", str(path), "--ask-missing", "-f", "json", "-o", "../o.json")
    child.expect("CIWA-Ar total")
    child.expect_exact("> ")
    child.sendline("17")
    child.expect_exact("> ")  # the optional note
    child.sendline("skip")
    child.expect("type another level")
    child.sendline("")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    saved = json.loads((work.parent / "o.json").read_text())
    assert saved["result"]["scores"]["ciwa"] == {"total": 17, "band": "severe"}
    assert saved["computed_level"] == "inpatient"


@pytest.mark.slow
def test_the_computed_level_its_reasons_and_scores_are_on_screen_before_the_override_question(
    desk: tuple[Path, dict[str, str]],
) -> None:
    work, env = desk
    path = answer_file(work, drinking(ciwa=12), "a.yaml")
    child = spawn(env, work, "intake", "-c", "C-5", "-a", str(path), "-f", "json", "-o", "../o.json")
    child.expect("type another level")
    before = " ".join(child.before.split())
    assert "The screening computed: Partial hospitalization program (PHP)." in before
    assert "Why the screening points there:" in before
    assert "The client's scores:" in before
    assert "CIWA-Ar" in before
    assert "3 Partial hospitalization program (PHP) (computed by the screening)" in before
    child.sendline("inpatient")
    child.expect("Why does this client need that level")
    child.sendline("cancel")  # the override is dropped: no reason is kept
    child.expect_exact("Override cancelled")
    child.expect("type another level")
    child.sendline("3")  # the computed level picked by its number accepts it
    child.expect_exact("Accepted: Partial hospitalization program")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    saved = json.loads((work.parent / "o.json").read_text())
    assert saved["override"] is None
    assert saved["computed_level"] == "php"
    assert "cancel" not in json.dumps(saved)
