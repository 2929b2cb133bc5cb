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
    )
    result = assessor.assess(gathered.answers)
    warn(result.warnings)
    deliver(
        gathered,
        definitions,
        terminal,
        lambda: emit(
            render_result(result, assessor, showing.fmt, width, color, showing.plain),
            showing.output,
        ),
    )
    if gathered.interactive and showing.output is None and showing.fmt is Format.TEXT:
        _offer_to_save(result, assessor, terminal)


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


def _offer_to_save(result: Result, assessor: Assessor, terminal: Terminal) -> None:
    from datetime import datetime

    from carecheck.output.render import render_result
    from carecheck.store.drafts import data_folder
    from carecheck.store.files import write_private

    try:
        choice = terminal.ask("Save this result to keep or print? Type m for Markdown, h for HTML, or press Enter: ")
    except (EOFError, KeyboardInterrupt):
        return
    formats = {"m": Format.MARKDOWN, "h": Format.HTML}
    chosen = formats.get(choice.strip().lower()[:1])
    if chosen is None:
        return
    suffix = "md" if chosen is Format.MARKDOWN else "html"
    path = saved_result_path(data_folder("results"), datetime.now(), suffix)
    write_private(path, render_result(result, assessor, chosen))
    terminal.say(f"Saved to {path} (only you can read it).")
