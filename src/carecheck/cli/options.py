"""The command line's options, each declared once: commands name these aliases instead of repeating a typer.Option.

Two commands that share a switch but explain it differently (an intake resumes a client's draft) get an alias each,
side by side, so that the difference is seen and kept on purpose.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from carecheck import __version__
from carecheck.output.formats import Format, ListFormat


class VerifyMethod(StrEnum):
    """How `carecheck verify` checks a policy: proved by a solver over every answer set, or tried on samples."""

    PROOF = "proof"
    SAMPLING = "sampling"


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"carecheck {__version__}\n")
        raise typer.Exit()


VersionOption = Annotated[
    bool, typer.Option("--version", help="Show the version and exit.", callback=_show_version, is_eager=True)
]
DebugOption = Annotated[bool, typer.Option("--debug", help="On failure, show a traceback (without local values).")]

QuestionnaireOption = Annotated[
    str | None,
    typer.Option(
        "--questionnaire",
        "-q",
        metavar="NAME_OR_PATH",
        help="A built-in questionnaire's name or a questionnaire file [default: the one the rules name]",
    ),
]
ExportQuestionnaireOption = Annotated[
    str,
    typer.Option(
        "--questionnaire", "-q", metavar="NAME_OR_PATH", help="A built-in questionnaire's name or a questionnaire file."
    ),
]
RulesOption = Annotated[
    str | None,
    typer.Option(
        "--rules", "-r", metavar="NAME_OR_PATH", help="A rule set file or built-in name [default: level-of-care]"
    ),
]

FormatOption = Annotated[Format, typer.Option("--format", "-f", help="text for people; json for programs.")]
ListFormatOption = Annotated[ListFormat, typer.Option("--format", "-f", help="text or json.")]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", metavar="FILE", help="Write there (atomically, mode 0600) instead of stdout."),
]
PlainOption = Annotated[bool, typer.Option("--plain", help="Linear text without colour, for screen readers.")]

AnswersOption = Annotated[
    str | None,
    typer.Option("--answers", "-a", metavar="FILE", help="An answer file, YAML or JSON; - for standard input."),
]
NoInputOption = Annotated[bool, typer.Option("--no-input", help="Never ask anything; fail instead.")]
DraftOption = Annotated[
    str | None, typer.Option("--draft", metavar="ID", help="Carry on from this draft (see `carecheck drafts`).")
]
ResumeOption = Annotated[bool, typer.Option("--resume", help="Carry on from the newest saved draft.")]
IntakeResumeOption = Annotated[
    bool, typer.Option("--resume", help="Carry on from the newest saved draft of this client's intake.")
]
AskMissingOption = Annotated[
    bool, typer.Option("--ask-missing", help="With --answers: ask in the terminal for what the file lacks.")
]
IntakeAskMissingOption = Annotated[
    bool,
    typer.Option("--ask-missing", help="With --answers: ask for what the file lacks (say, the clinician items)."),
]

ClientOption = Annotated[str, typer.Option("--client", "-c", metavar="ID", help="The client's id in your service.")]
ClientFilterOption = Annotated[str | None, typer.Option("--client", "-c", metavar="ID", help="Only this client's.")]
DatabaseOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        metavar="FILE",
        help="The records database [default: $CARECHECK_DB, else records.sqlite3 in carecheck's data folder]",
    ),
]
RecordArgument = Annotated[str, typer.Argument(metavar="ID", help="A record id, as `carecheck records list` shows.")]
