"""The interactive assessment, driven through a real pseudo-terminal as a person would use it."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pexpect
import pytest
import yaml

from carecheck import Assessor
from carecheck.cli.interview import Interview, Stopped, welcome
from carecheck.cli.terminal import PlainTerminal
from carecheck.core.definitions import BooleanItem, ChoiceItem, MultiChoiceItem
from conftest import baseline_answers, run_carecheck, spawn_carecheck, with_alcohol

PROMPT = "> "
REVIEW = "press Enter to see your result: "
SAVE = "or n for no: "


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "NO_COLOR": "1", "COLUMNS": "60"}


def spawn(env: dict[str, str], *args: str) -> pexpect.spawn:
    """The line-by-line interview (--plain), for screen readers; tests/test_fullscreen.py drives the full screen."""
    return spawn_carecheck("assess", "--plain", *args, env=env, dimensions=(40, 60))


def typed(assessor: Assessor, item_id: str, value: Any) -> str:
    """What a person would type for `value`: numbers from 1 for choices and checklists, yes or no."""
    definition = assessor.item_index[item_id].definition
    if isinstance(definition, MultiChoiceItem):
        positions = [str(n) for n, c in enumerate(definition.choices, 1) if c.value in value]
        return ",".join(positions) or "0"
    if isinstance(definition, BooleanItem):
        return "yes" if value else "no"
    if isinstance(definition, ChoiceItem):
        return str([c.value for c in definition.choices].index(value) + 1)
    return str(value)


def asked_in_order(assessor: Assessor, answers: dict[str, Any]) -> list[str]:
    _, asked = assessor.partial(answers)
    return [item.id for item in asked]


def answer_all(child: pexpect.spawn, assessor: Assessor, answers: dict[str, Any], start: int = 0) -> None:
    for item_id in asked_in_order(assessor, answers)[start:]:
        child.expect_exact(PROMPT)
        child.sendline(typed(assessor, item_id, answers.get(item_id)) if item_id in answers else "")


def json_from_file(assessor_args: list[str], answers: dict[str, Any], tmp_path: Path) -> str:
    path = tmp_path / "same.yaml"
    path.write_text(yaml.safe_dump(answers))
    process = run_carecheck("assess", "--answers", str(path), "--format", "json", *assessor_args)
    assert process.returncode == 0, process.stderr
    return process.stdout


@pytest.mark.slow
def test_answer_go_back_change_review_and_finish(assessor: Assessor, home: dict[str, str], tmp_path: Path) -> None:
    final = with_alcohol(18, use_days=12)
    order = asked_in_order(assessor, final)
    out = tmp_path / "result.json"
    child = spawn(home, "--format", "json", "--output", str(out))
    child.expect_exact("Question 1 of about")
    child.expect_exact(PROMPT)
    child.sendline("40")  # age, to be changed
    child.expect_exact(PROMPT)
    child.sendline("back")
    child.expect_exact("Your answer so far: 40")
    child.expect_exact(PROMPT)
    child.sendline(str(final["age"]))
    answer_all(child, assessor, final, start=1)
    child.expect_exact("Your answers")
    child.expect_exact(REVIEW)
    readiness = order.index("readiness") + 1
    child.sendline(str(readiness))
    child.expect_exact(PROMPT)
    child.sendline("3")
    child.expect_exact(REVIEW)
    child.sendline("")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    final["readiness"] = 3
    assert out.read_text() == json_from_file([], final, tmp_path)


@pytest.mark.slow
def test_branching_follows_the_answers(assessor: Assessor, home: dict[str, str]) -> None:
    child = spawn(home)
    child.expect_exact(PROMPT)
    child.sendline("30")
    child.expect_exact(PROMPT)
    child.sendline("0")  # no substances: the use, AUDIT and DAST questions are not asked
    child.expect_exact("Patient Health Questionnaire-9 (PHQ-9):")  # its credit and terms, where its items are asked
    child.expect_exact("Over the last 2 weeks")  # the PHQ-9's own instructions come next
    child.expect_exact("Question 3 of about ")
    child.expect_exact(PROMPT)
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130


@pytest.mark.slow
def test_ctrl_c_saves_a_draft_and_resume_reaches_the_same_result(
    assessor: Assessor, home: dict[str, str], tmp_path: Path
) -> None:
    final = with_alcohol(9)
    order = asked_in_order(assessor, final)
    child = spawn(home)
    for item_id in order[:10]:
        child.expect_exact(PROMPT)
        child.sendline(typed(assessor, item_id, final[item_id]))
    child.expect_exact(PROMPT)
    child.sendcontrol("c")
    child.expect_exact("Your answers so far are saved in")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    drafts = list((Path(home["XDG_DATA_HOME"]) / "carecheck" / "drafts").glob("*.json"))
    assert len(drafts) == 1
    assert oct(drafts[0].stat().st_mode & 0o777) == "0o600"

    listed = run_carecheck("drafts", env=home)
    assert listed.returncode == 0, listed.stderr
    assert drafts[0].stem in listed.stdout

    out = tmp_path / "result.json"
    child = spawn(home, "--resume", "--format", "json", "--output", str(out))
    child.expect_exact("Carrying on from your answers")
    answer_all(child, assessor, final, start=10)
    child.expect_exact(REVIEW)
    child.sendline("")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert out.read_text() == json_from_file([], final, tmp_path)
    assert not drafts[0].exists()  # a finished draft is deleted


@pytest.mark.slow
def test_an_urgent_answer_shows_crisis_help_before_the_next_question(assessor: Assessor, home: dict[str, str]) -> None:
    final = baseline_answers() | {"asq_1": True, "asq_5": True}
    order = asked_in_order(assessor, final)
    child = spawn(home)
    for item_id in order[: order.index("asq_5") + 1]:
        child.expect_exact(PROMPT)
        child.sendline(typed(assessor, item_id, final[item_id]))
    child.expect_exact("Question")
    shown = child.before
    assert "988" in shown
    assert "911" in shown
    assert "emergency room" in shown
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130


@pytest.mark.slow
def test_ask_missing_refuses_out_of_range_and_accepts_a_valid_answer(home: dict[str, str], tmp_path: Path) -> None:
    partial = baseline_answers()
    del partial["readiness"]
    path = tmp_path / "partial.yaml"
    path.write_text(yaml.safe_dump(partial))
    child = spawn(home, "--answers", str(path), "--ask-missing")
    child.expect_exact(PROMPT)
    child.sendline("35")
    child.expect_exact("from 0 to 10")
    child.expect_exact(PROMPT)
    child.sendline("8")
    child.expect_exact("Suggested level of care")
    child.expect_exact(SAVE)
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


@pytest.mark.slow
def test_ctrl_c_at_an_ask_missing_prompt_exits_130_and_says_where(home: dict[str, str], tmp_path: Path) -> None:
    partial = baseline_answers()
    del partial["readiness"]
    path = tmp_path / "partial.yaml"
    path.write_text(yaml.safe_dump(partial))
    child = spawn(home, "--answers", str(path), "--ask-missing")
    child.expect_exact(PROMPT)
    child.sendcontrol("c")
    child.expect_exact("Your answers so far are saved in")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    saved = json.loads(next((Path(home["XDG_DATA_HOME"]) / "carecheck" / "drafts").glob("*.json")).read_text())
    assert saved["answers"]["age"] == 35
    assert saved["position"] == "readiness"


@pytest.mark.slow
def test_no_input_never_asks_even_in_a_terminal(home: dict[str, str]) -> None:
    child = spawn(home, "--no-input")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "--no-input" in child.before


@pytest.mark.slow
def test_piped_stdin_with_missing_answers_exits_2_at_once_listing_them() -> None:
    partial = {k: v for k, v in baseline_answers().items() if k not in ("readiness", "support")}
    process = run_carecheck("assess", "--ask-missing", "--answers", "-", stdin=json.dumps(partial))
    assert process.returncode == 2
    assert "--ask-missing cannot ask here (standard input is not a terminal)" in process.stderr
    assert "readiness: is missing" in process.stderr
    assert "support: is missing" in process.stderr


@pytest.mark.slow
def test_ask_missing_says_why_an_invalid_answer_is_asked_again(home: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "partial.yaml"
    path.write_text(yaml.safe_dump(baseline_answers() | {"readiness": 35}))
    child = spawn(home, "--answers", str(path), "--ask-missing")
    said = r"The answer file's readiness must be a whole number from 0 to 10, got 35; it is asked again\."
    child.expect(said.replace(" ", r"\s+"))  # wrapped at the terminal's 60 columns
    child.expect_exact(PROMPT)
    child.sendline("6")
    child.expect_exact(SAVE)
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


@pytest.mark.slow
def test_drafts_can_be_listed_and_deleted(home: dict[str, str]) -> None:
    child = spawn(home)
    child.expect_exact(PROMPT)
    child.sendline("30")
    child.expect_exact(PROMPT)
    child.sendeof()
    child.expect_exact("saved in")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130

    def drafts(*args: str) -> str:
        return run_carecheck("drafts", *args, env=home, expect_exit=0).stdout

    listed = drafts()
    assert "1 answers  at substances" in listed
    assert drafts("--delete", "all") == "deleted 1 draft(s)\n"
    assert drafts() == ""


@pytest.mark.slow
def test_the_interactive_result_offers_to_save_a_document(home: dict[str, str], tmp_path: Path) -> None:
    partial = baseline_answers()
    del partial["hours_available"]
    path = tmp_path / "partial.yaml"
    path.write_text(yaml.safe_dump(partial))
    child = spawn(home, "--answers", str(path), "--ask-missing")
    child.expect_exact(PROMPT)
    child.sendline("12")
    child.expect_exact(SAVE)
    child.sendline("m")
    child.expect_exact("Saved to ")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    saved = list((Path(home["XDG_DATA_HOME"]) / "carecheck" / "results").glob("*.md"))
    assert len(saved) == 1
    assert oct(saved[0].stat().st_mode & 0o777) == "0o600"
    assert saved[0].read_text().startswith("# Your carecheck screening result")


@pytest.mark.slow
def test_thoughts_of_self_harm_show_988_calmly_in_the_flow(assessor: Assessor, home: dict[str, str]) -> None:
    final = baseline_answers() | {"phq9_9": 1}
    order = asked_in_order(assessor, final)
    child = spawn(home)
    for item_id in order[: order.index("phq9_9") + 1]:
        child.expect_exact(PROMPT)
        child.sendline(typed(assessor, item_id, final[item_id]))
    child.expect_exact("Question")
    assert "988" in child.before
    assert "911" not in child.before  # not a crisis: a calm note, not the emergency block
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130


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


def everything_but(*item_ids: str) -> dict[str, Any]:
    return {k: v for k, v in with_alcohol(9).items() if k not in item_ids}


def test_typing_2_on_the_typical_day_audit_question_records_3_or_4_drinks(assessor: Assessor) -> None:
    terminal = Scripted(["2"])
    answers = Interview(assessor, terminal, start=everything_but("audit_2"), only={"audit_2"}, review=False).run()
    assert answers["audit_2"] == 1  # "3 or 4" scores 1
    assert "  2  3 or 4" in terminal.said
    assert "  1  1 or 2" in terminal.said


def test_skip_on_a_required_question_says_it_cannot_be_skipped(assessor: Assessor) -> None:
    terminal = Scripted(["skip", "some"])
    start = everything_but("withdrawal_history")
    answers = Interview(assessor, terminal, start=start, only={"withdrawal_history"}, review=False).run()
    assert any("cannot be skipped" in line for line in terminal.said)
    assert answers["withdrawal_history"] == "mild"  # "Some withdrawal..." typed by its first word


@pytest.mark.parametrize("word", ["quit", "exit", "q", "QUIT"])
def test_quit_exit_and_q_stop_the_interview_keeping_the_answers(assessor: Assessor, word: str) -> None:
    interview = Interview(assessor, Scripted(["30", word]))
    with pytest.raises(Stopped) as stopped:
        interview.run()
    assert stopped.value.answers == {"age": 30}
    assert stopped.value.position == "substances"


def test_the_review_shows_each_whole_question_so_the_audit_items_can_be_told_apart(assessor: Assessor) -> None:
    terminal = Scripted([""])
    Interview(assessor, terminal, start=with_alcohol(9, pregnant=False)).run()
    said = "\n".join(terminal.said)
    for item_id in ("audit_4", "audit_5", "audit_6"):
        prompt = " ".join(assessor.item_index[item_id].definition.prompt.split())
        assert prompt in said
    assert "..." not in said


def test_the_first_screen_says_what_this_is_how_long_where_answers_stay_the_keys_and_988(
    assessor: Assessor,
) -> None:
    said = "\n".join(welcome(assessor))
    for words in ("screening aid", "minutes", "stay on this computer", "?", "back", "quit", "988"):
        assert words in said


@pytest.mark.slow
def test_quitting_after_an_urgent_answer_shows_crisis_help_last(assessor: Assessor, home: dict[str, str]) -> None:
    final = baseline_answers() | {"asq_1": True, "asq_5": True}
    order = asked_in_order(assessor, final)
    child = spawn(home)
    for item_id in order[: order.index("asq_5") + 1]:
        child.expect_exact(PROMPT)
        child.sendline(typed(assessor, item_id, final[item_id]))
    child.expect_exact(PROMPT)
    child.sendline("quit")
    child.expect_exact("saved in")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    shown = " ".join(child.before.split())
    safety = assessor.rules.rules.safety
    last_contact = " ".join(f"- {safety.crisis_contacts[-1].name}: {safety.crisis_contacts[-1].how}".split())
    assert shown.endswith(last_contact)  # the crisis contacts close the screen
    assert shown.index("To carry on later") < shown.index(safety.crisis_heading)
    assert "988" in shown


@pytest.mark.slow
def test_no_way_of_leaving_the_save_prompt_loses_the_result(home: dict[str, str], tmp_path: Path) -> None:
    partial = baseline_answers()
    del partial["hours_available"]
    path = tmp_path / "partial.yaml"
    path.write_text(yaml.safe_dump(partial))
    child = spawn(home, "--answers", str(path), "--ask-missing")
    child.expect_exact(PROMPT)
    child.sendline("12")
    child.expect_exact(SAVE)
    child.sendline("yes")
    child.expect_exact("Which kind of file?")
    child.expect_exact(SAVE)
    child.sendline("x")
    child.expect_exact("Please type m for Markdown")
    child.expect_exact(SAVE)
    child.sendcontrol("c")
    child.expect_exact("carecheck assess --resume")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    drafts = list((Path(home["XDG_DATA_HOME"]) / "carecheck" / "drafts").glob("*.json"))
    assert len(drafts) == 1
    assert json.loads(drafts[0].read_text())["answers"] == partial | {"hours_available": 12}

    child = spawn(home, "--resume")  # the kept answers give the same result back, then the same offer
    child.expect_exact(PROMPT)  # the optional question the file left out is offered again
    child.sendline("skip")
    child.expect_exact(REVIEW)
    child.sendline("")
    child.expect_exact("Suggested level of care")
    child.expect_exact(SAVE)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert drafts[0].exists()  # end of input keeps it too
    child = spawn(home, "--resume")
    child.expect_exact(PROMPT)
    child.sendline("skip")
    child.expect_exact(REVIEW)
    child.sendline("")
    child.expect_exact(SAVE)
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert not drafts[0].exists()  # declined: now it may go


@pytest.mark.slow
def test_closing_the_terminal_keeps_the_answers_in_a_draft(home: dict[str, str]) -> None:
    child = spawn(home)
    child.expect_exact(PROMPT)
    child.sendline("30")
    child.expect_exact(PROMPT)
    child.kill(signal.SIGHUP)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    saved = json.loads(next((Path(home["XDG_DATA_HOME"]) / "carecheck" / "drafts").glob("*.json")).read_text())
    assert saved["answers"] == {"age": 30}


def test_review_partway_lists_the_answers_so_far_and_goes_back_to_the_question(assessor: Assessor) -> None:
    terminal = Scripted(["30", "review", "", "0"])
    interview = Interview(assessor, terminal)
    with pytest.raises(Stopped) as stopped:
        interview.run()
    said = "\n".join(terminal.said)
    assert "1. How old are you?\n   Answer: 30" in said
    assert "press Enter to go back to the questions" in said
    assert "all that apply.\n   Answer: (not answered yet)" in said  # question 2, not yet reached
    assert stopped.value.answers == {"age": 30, "substances": []}
