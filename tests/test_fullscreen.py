"""The full-screen interview, driven headless by Textual's pilot as a person would with keys: a whole
self-assessment, a whole intake with an override, crisis help on the way out, the result and its save choice."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from carecheck import Assessor, load_assessor
from carecheck.cli.fullscreen.app import LEFT, CarecheckApp, decision_app, interview_app, result_app
from carecheck.cli.fullscreen.screens import CrisisScreen, DecisionScreen, QuestionScreen, ReviewScreen
from carecheck.cli.intake import decision_lines
from carecheck.cli.interview import welcome
from carecheck.clinic.record import Override, build_record
from carecheck.core.definitions import IntegerItem, MultiChoiceItem, TextItem
from carecheck.core.items import kind_of
from carecheck.store.records import open_records
from conftest import baseline_answers, with_alcohol
from intake_answers import drinking

pytestmark = pytest.mark.slow  # each drives a whole app headless


def run(coroutine: Coroutine[Any, Any, None]) -> None:
    asyncio.run(coroutine)


async def answer_current(app: CarecheckApp, pilot: Any, answers: dict[str, Any]) -> str:
    """Answer the question on screen as `answers` says, by keys (numbers from 1, typed numbers, ticks)."""
    screen = app.screen
    assert isinstance(screen, QuestionScreen)
    item = screen.item
    definition = item.definition
    value = answers.get(item.id)
    if value is None:
        await pilot.press("f3")  # skip, where allowed
    elif isinstance(definition, MultiChoiceItem):
        for number, choice in enumerate(definition.choices, 1):
            if choice.value in value:
                await pilot.press(str(number))  # ticks it
        await pilot.press("tab", "enter")  # Done
    elif isinstance(definition, IntegerItem | TextItem):
        await pilot.press(*str(value), "enter")
    else:
        position = kind_of(definition).choice_answers(definition).index(value) + 1
        await pilot.press(str(position))
    await pilot.pause()
    return item.id


async def answer_all(app: CarecheckApp, pilot: Any, answers: dict[str, Any]) -> list[str]:
    asked = []
    while app.return_value is None and isinstance(app.screen, QuestionScreen | CrisisScreen):
        if isinstance(app.screen, CrisisScreen):
            await pilot.click("#read")
            await pilot.pause()
            continue
        asked.append(await answer_current(app, pilot, answers))
    return asked


def test_a_whole_self_assessment_by_keys_gives_the_result_a_file_gives(assessor: Assessor) -> None:
    final = with_alcohol(18, use_days=12, pregnant=False)

    async def session() -> None:
        app = interview_app(assessor, {}, greeting=welcome(assessor))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("enter")  # the welcome's Begin
            await pilot.pause()
            first = app.screen
            assert isinstance(first, QuestionScreen)
            assert str(first.query_one("#progress-label").render()).startswith("Question 1 of about")
            asked = await answer_all(app, pilot, final)
            assert isinstance(app.screen, ReviewScreen)
            assert asked == [item.id for item in assessor.partial(final)[1]]
            await pilot.press("f5")
            await pilot.pause()
        assert app.return_value == final
        assert assessor.assess(app.return_value) == assessor.assess(final)

    run(session())


def test_in_the_review_any_answer_can_be_changed(assessor: Assessor) -> None:
    start = baseline_answers() | {"pregnant": False}

    async def session() -> None:
        app = interview_app(assessor, start)
        async with app.run_test(size=(80, 24)) as pilot:
            assert isinstance(app.screen, ReviewScreen)
            readiness = [item.id for item in assessor.partial(start)[1]].index("readiness")
            app.screen.query_one("#answers").highlighted = readiness  # type: ignore[attr-defined]
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, QuestionScreen)
            assert app.screen.item.id == "readiness"
            await pilot.press("end", "backspace", "3", "enter")  # the old answer is in the input
            await pilot.pause()
            assert isinstance(app.screen, ReviewScreen)
            await pilot.press("f5")
            await pilot.pause()
        assert app.return_value == start | {"readiness": 3}

    run(session())


def test_an_urgent_answer_shows_crisis_help_to_acknowledge_and_again_on_leaving(assessor: Assessor) -> None:
    final = baseline_answers() | {"asq_1": True, "asq_5": True}
    before = {k: v for k, v in final.items() if k not in ("asq_5", "readiness", "support", "hours_available")}

    async def session() -> None:
        app = interview_app(assessor, before | {"asq_5": None})
        async with app.run_test(size=(80, 24)) as pilot:
            assert isinstance(app.screen, QuestionScreen)
            assert app.screen.item.id == "asq_5"
            await pilot.press("1")  # yes
            await pilot.pause()
            assert isinstance(app.screen, CrisisScreen)
            await pilot.press("escape")  # it must be acknowledged, not waved away
            await pilot.pause()
            assert isinstance(app.screen, CrisisScreen)
            await pilot.click("#read")
            await pilot.pause()
            assert isinstance(app.screen, QuestionScreen)
            await pilot.press("ctrl+q")  # save and quit
            await pilot.pause()
            assert isinstance(app.screen, CrisisScreen)  # crisis help is the last screen
            assert "saved" in str(app.screen.query_one(".kept").render())
            await pilot.click("#read")
            await pilot.pause()
        assert app.return_value == LEFT
        assert app.brain is not None
        assert app.brain.answers["asq_5"] is True

    run(session())


def test_the_result_puts_level_first_and_saving_is_asked_until_answered(assessor: Assessor, tmp_path: Path) -> None:
    result = assessor.assess(with_alcohol(18))
    saved: list[str] = []

    def save(kind: str) -> Path:
        saved.append(kind)
        path = tmp_path / f"result.{kind}"
        path.write_text(kind)
        return path

    async def session() -> None:
        app = result_app(result, assessor, save)
        async with app.run_test(size=(80, 24)) as pilot:
            level = app.screen.query_one(".level")
            assert "Suggested level of care" in str(level.render())
            await pilot.press("x", "enter")  # neither is an answer: the choice stays on screen
            await pilot.pause()
            assert app.return_value is None
            await pilot.press("m")
            await pilot.pause()
        assert app.return_value == ("saved", str(tmp_path / "result.markdown"))
        assert saved == ["markdown"]

    run(session())


def test_leaving_the_result_unanswered_is_reported_so_the_draft_is_kept(assessor: Assessor) -> None:
    result = assessor.assess(baseline_answers())

    async def session() -> None:
        app = result_app(result, assessor, lambda kind: Path("/nonexistent"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+c")
            await pilot.pause()
        assert app.return_value == LEFT

    run(session())


@pytest.fixture(scope="module")
def intake_assessor() -> Assessor:
    return load_assessor(rules="counselor-intake")


def test_a_whole_intake_with_an_override_is_stored_with_its_reason(intake_assessor: Assessor, tmp_path: Path) -> None:
    final = drinking(ciwa=12, pregnant=False)
    clinician = {"ciwa_total", "intoxicated", "vitals_concern", "clinician_note"}
    own = {k: v for k, v in final.items() if k not in clinician}

    async def session() -> tuple[dict[str, Any], Override | None]:
        answers_app = interview_app(intake_assessor, own, only=clinician, review=False, counselor=True)
        async with answers_app.run_test(size=(80, 24)) as pilot:
            await answer_all(answers_app, pilot, final)
        answers = answers_app.return_value
        result = intake_assessor.assess(answers)
        app = decision_app(decision_lines(intake_assessor, result), intake_assessor, result.level)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.screen
            assert isinstance(screen, DecisionScreen)
            shown = " ".join(str(widget.render()) for widget in screen.query("Static"))
            assert "The screening computed: Partial hospitalization program (PHP)." in shown  # before any choice
            assert "The client's scores:" in shown
            await pilot.press("down", "enter")  # inpatient: the reason field opens
            await pilot.pause()
            assert screen.query_one("#reason-box").display
            await pilot.press("escape")  # cancelled: no reason kept
            await pilot.pause()
            assert not screen.query_one("#reason-box").display
            await pilot.press("4")  # inpatient again, by its number
            await pilot.pause()
            await pilot.press(*"No one at home at night.", "enter")
            await pilot.pause()
        return answers, app.return_value

    answers, override = asyncio.run(session())
    assert answers == {key: value for key, value in final.items() if value is not None}  # the note was skipped
    assert override == Override("inpatient", "No one at home at night.")
    result = intake_assessor.assess(answers)
    record = build_record(
        intake_assessor,
        result,
        client="C-1",
        counselor="R. Diaz",
        created="2026-11-30T01:00:00Z",
        override=override,
        carecheck_version="9",
    )
    with open_records(tmp_path / "records.db") as records:
        record_id = records.add(record)
        stored = records.get(record_id)
    assert stored["override"] == {"level": "inpatient", "reason": "No one at home at night."}
    assert stored["computed_level"] == "php"


def test_a_cancelled_override_then_the_computed_level_stores_no_reason(intake_assessor: Assessor) -> None:
    result = intake_assessor.assess(drinking(ciwa=12, pregnant=False))

    async def session() -> None:
        app = decision_app(decision_lines(intake_assessor, result), intake_assessor, result.level)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("down", "enter", *"because", "escape")
            await pilot.pause()
            await pilot.press("3")  # the computed level accepts it
            await pilot.pause()
        assert app.return_value is None

    run(session())


def test_a_file_assessment_never_loads_textual(tmp_path: Path) -> None:
    import yaml

    from conftest import run_carecheck

    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(baseline_answers()))
    script = (
        "import sys\n"
        "from carecheck.cli.app import main\n"
        f"sys.argv = ['carecheck', 'assess', '--answers', {str(path)!r}, '--format', 'json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('textual loaded' if 'textual' in sys.modules else 'textual not loaded')\n"
    )
    process = run_carecheck(stdin="", entry=("-c", script), expect_exit=0)
    assert process.stderr.endswith("textual not loaded")


def test_carrying_on_after_an_urgent_answer_starts_with_crisis_help(assessor: Assessor) -> None:
    draft = {"age": 30, "substances": [], "asq_1": True, "asq_5": True}

    async def session() -> None:
        app = interview_app(assessor, draft)
        async with app.run_test(size=(80, 24)) as pilot:
            assert isinstance(app.screen, CrisisScreen)
            await pilot.click("#read")
            await pilot.pause()
            assert isinstance(app.screen, QuestionScreen)

    run(session())


@pytest.mark.parametrize(
    ("outcome", "draft_kept"), [((LEFT, None), True), (("declined", None), False), (("saved", "/x.md"), False)]
)
def test_the_draft_goes_only_once_the_full_screen_result_is_saved_or_declined(
    assessor: Assessor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    outcome: tuple[str, str | None],
    draft_kept: bool,
) -> None:
    from carecheck.cli import flows
    from carecheck.cli.fullscreen import app as fullscreen_app
    from carecheck.cli.session import Gathered, Interrupted
    from carecheck.cli.terminal import PlainTerminal
    from carecheck.store.drafts import save_draft

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr(fullscreen_app, "run_result", lambda result, assessor, save: outcome)
    answers = baseline_answers() | {"asq_1": True, "asq_5": True}
    draft = save_draft(answers, None, None, None)
    gathered = Gathered(answers, True, draft, True, True)
    leave = flows._result_on_screen
    if draft_kept:
        with pytest.raises(Interrupted):
            leave(assessor.assess(answers), assessor, PlainTerminal(), gathered, (None, None), 80, False)
    else:
        leave(assessor.assess(answers), assessor, PlainTerminal(), gathered, (None, None), 80, False)
    assert draft.path.exists() == draft_kept
    shown = capsys.readouterr()
    assert "Suggested level of care" in shown.out  # the result stays in the terminal's scrollback
    safety = assessor.rules.rules.safety
    assert " ".join(shown.err.split()).endswith(" ".join(safety.crisis_contacts[-1].how.split()))  # crisis help last


def test_closing_the_terminal_of_the_full_screen_keeps_the_answers_in_a_draft(tmp_path: Path) -> None:
    import json
    import signal
    import time

    import pexpect

    from conftest import spawn_carecheck

    env = {"XDG_DATA_HOME": str(tmp_path), "TERM": "xterm-256color"}
    child = spawn_carecheck("assess", env=env, dimensions=(24, 80))
    child.expect("Welcome")
    child.send("\r")  # Begin
    child.expect("How old")
    child.send("30\r")
    child.expect("Question")
    time.sleep(0.5)
    child.kill(signal.SIGHUP)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    saved = json.loads(next((tmp_path / "carecheck" / "drafts").glob("*.json")).read_text())
    assert saved["answers"] == {"age": 30}
