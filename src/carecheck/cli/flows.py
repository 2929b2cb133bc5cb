"""The two flows a person runs at the command line, as library calls: an assessment and a counselor's intake.

Each starts (definitions, any draft), gathers the answers, assesses, delivers the result and, after an interview,
offers to save it. Errors are raised, never printed: the command line turns them into messages and exit codes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from carecheck.cli.console import emit, say_error, screen, warn
from carecheck.output.formats import ExportFormat, Format

if TYPE_CHECKING:
    from carecheck.cli.intake import Intake
    from carecheck.cli.session import Gathered
    from carecheck.cli.terminal import Terminal
    from carecheck.core.assessor import Assessor
    from carecheck.core.result import Result


@dataclass(frozen=True)
class AnswerOptions:
    """Where the answers come from and whether a person may be asked (see cli/session for the precedence)."""

    source: str | None = None
    resume: bool = False
    draft_id: str | None = None
    ask_missing: bool = False
    no_input: bool = False


@dataclass(frozen=True)
class OutputOptions:
    """How the result is shown: its format, the file it goes to (else stdout), and plain linear text."""

    fmt: Format = Format.TEXT
    output: Path | None = None
    plain: bool = False


def run_assessment(questionnaire: str | None, rules: str | None, asking: AnswerOptions, showing: OutputOptions) -> None:
    """Recommend a level of care: gather the answers, assess them, write the result, and after an interview in a
    terminal offer to save it as Markdown or HTML."""
    from carecheck.cli.fullscreen import can_drive
    from carecheck.cli.session import deliver, gather, start
    from carecheck.output.render import render_result

    assessor, resumed, definitions = start(questionnaire, rules, resume=asking.resume, draft_id=asking.draft_id)
    width, color = screen(showing.plain, showing.output is not None)
    terminal = _terminal(width, color)
    gathered = gather(
        assessor,
        terminal,
        source=asking.source,
        resume=resumed,
        ask_missing=asking.ask_missing,
        no_input=asking.no_input,
        definitions=definitions,
        fullscreen=can_drive(showing.plain),
    )
    result = assessor.assess(gathered.answers)
    warn(result.warnings)
    offer = gathered.interactive and showing.output is None and showing.fmt is Format.TEXT
    if offer and gathered.fullscreen:
        _result_on_screen(result, assessor, terminal, gathered, definitions, width, color)
        return
    deliver(
        gathered,
        definitions,
        terminal,
        lambda: emit(
            render_result(result, assessor, showing.fmt, width, color, showing.plain),
            showing.output,
        ),
        finished=not offer,
    )
    if offer:
        _offer_to_save(result, assessor, terminal, gathered, definitions)


def run_intake(
    questionnaire: str | None,
    rules: str | None,
    asking: AnswerOptions,
    showing: OutputOptions,
    *,
    client: str,
    counselor: str | None,
    override: str | None,
    reason: str | None,
    db: Path | None,
) -> None:
    """A counselor's intake: check the flags before anything is asked, gather the self-assessment and clinician
    items, settle the placement (with any override and its reason), store the record and show it."""
    from carecheck.cli.intake import take_intake
    from carecheck.cli.session import gather, start
    from carecheck.clinic.export import INTAKE_DEFINITIONS
    from carecheck.clinic.record import check_client, check_counselor, check_override
    from carecheck.store.records import open_records

    client, counselor = check_client(client), check_counselor(counselor)
    assessor, resumed, definitions = start(
        questionnaire, rules or INTAKE_DEFINITIONS, resume=asking.resume, draft_id=asking.draft_id, client=client
    )
    from carecheck.cli.fullscreen import can_drive

    check_override(assessor, None, override, reason)  # wrong flags fail before anything is asked,
    with open_records(db) as records:  # and so does a database that cannot be written
        width, color = screen(showing.plain, showing.output is not None)
        terminal = _terminal(width, color)
        gathered = gather(
            assessor,
            terminal,
            source=asking.source,
            resume=resumed,
            ask_missing=asking.ask_missing,
            no_input=asking.no_input,
            definitions=definitions,
            client=client,
            ask_optional=True,
            fullscreen=can_drive(showing.plain),
        )
        taken = take_intake(
            assessor,
            gathered,
            terminal,
            records,
            client=client,
            counselor=counselor,
            override_level=override,
            reason=reason,
            definitions=definitions,
        )
    warn(taken.result.warnings)
    say_error(f"saved as record {taken.record['id']} (`carecheck records show {taken.record['id']}`)")
    emit(_intake_output(taken, showing.fmt, width, color, showing.plain), showing.output)


def _intake_output(taken: Intake, fmt: Format, width: int, color: bool, plain: bool) -> str:
    from carecheck.clinic.export import export_record
    from carecheck.output.render import render_intake_text

    if fmt is Format.TEXT:
        return render_intake_text(taken.record, taken.result, taken.assessor, width, color, plain)
    return export_record(taken.record, ExportFormat(fmt.value))


def _terminal(width: int, color: bool) -> Terminal:
    from carecheck.cli.terminal import PlainTerminal

    return PlainTerminal(width, color)


def saved_result_path(folder: Path, now: datetime, suffix: str) -> Path:
    """A new name for a saved result, claimed (created empty, 0600) so that two results saved in the same second,
    by one person or two processes, never overwrite each other."""
    from carecheck.store.files import create_new

    stem = f"result-{now:%Y%m%d-%H%M%S}"
    for number in itertools.count(1):
        path = folder / (f"{stem}.{suffix}" if number == 1 else f"{stem}-{number}.{suffix}")
        if create_new(path):
            return path
    raise AssertionError("unreachable")  # itertools.count never ends


SAVE_PROMPT = "Save this result to keep or print? Type m for Markdown, h for HTML, or n for no: "

SAVE_ANSWERS: dict[str, Format | None] = {
    "m": Format.MARKDOWN,
    "markdown": Format.MARKDOWN,
    "md": Format.MARKDOWN,
    "h": Format.HTML,
    "html": Format.HTML,
    "n": None,
    "no": None,
    "nope": None,
    "no thanks": None,
}


def _offer_to_save(
    result: Result,
    assessor: Assessor,
    terminal: Terminal,
    gathered: Gathered,
    definitions: tuple[str | None, str | None],
) -> None:
    """Ask until the person answers; the draft goes only once the result is saved or declined. Leaving at the
    prompt (Ctrl-C, end of input) keeps the answers in a draft, so that no finished result is ever lost."""
    from carecheck.cli.session import Interrupted, forget_draft, keep_answers

    while True:
        try:
            typed = " ".join(terminal.ask(SAVE_PROMPT).lower().split()).rstrip(".!")
        except (EOFError, KeyboardInterrupt):
            terminal.say()
            kept = keep_answers(gathered, definitions, terminal)
            _crisis_again(result, assessor, terminal)
            raise Interrupted(kept) from None
        if typed in SAVE_ANSWERS:
            chosen = SAVE_ANSWERS[typed]
            break
        if typed in ("y", "yes", "yeah", "sure", "save", "ok"):
            terminal.say("Which kind of file? Type m for Markdown (plain text) or h for HTML (a web page to print).")
        else:
            terminal.say("Please type m for Markdown, h for HTML, or n to leave the result unsaved.")
    if chosen is not None:
        path = _save_document(result, assessor, chosen)
        terminal.say(f"Saved to {path} (only you can read it).")
    forget_draft(gathered)
    _crisis_again(result, assessor, terminal)


def _save_document(result: Result, assessor: Assessor, chosen: Format) -> Path:
    """The result as a private Markdown or HTML file in the data folder; its path."""
    from datetime import datetime

    from carecheck.output.render import render_result
    from carecheck.store.drafts import data_folder
    from carecheck.store.files import write_private

    suffix = "md" if chosen is Format.MARKDOWN else "html"
    path = saved_result_path(data_folder("results"), datetime.now(), suffix)
    write_private(path, render_result(result, assessor, chosen))
    return path


def _result_on_screen(
    result: Result,
    assessor: Assessor,
    terminal: Terminal,
    gathered: Gathered,
    definitions: tuple[str | None, str | None],
    width: int,
    color: bool,
) -> None:
    """The full-screen result with its save choice; afterwards the text result stays in the terminal's scrollback.
    The draft goes only once the result was saved or declined; leaving unanswered keeps it."""
    from carecheck.cli.fullscreen.app import LEFT, run_result
    from carecheck.cli.session import Interrupted, forget_draft, keep_answers
    from carecheck.output.render import render_result

    outcome, saved = run_result(result, assessor, lambda kind: _save_document(result, assessor, Format(kind)))
    emit(render_result(result, assessor, Format.TEXT, width, color), None)
    if outcome == LEFT:
        kept = keep_answers(gathered, definitions, terminal)
        _crisis_again(result, assessor, terminal)
        raise Interrupted(kept)
    if saved is not None:
        terminal.say(f"Saved to {saved} (only you can read it).")
    forget_draft(gathered)
    _crisis_again(result, assessor, terminal)


def _crisis_again(result: Result, assessor: Assessor, terminal: Terminal) -> None:
    """After an urgent answer, crisis help is the last thing on the screen, however the person leaves."""
    if result.urgent:
        from carecheck.cli.interview import say_crisis

        say_crisis(terminal, assessor)
