"""The command line: gathers options, calls the library, and is the one place where errors become messages and exits.

Heavy modules (pydantic, yaml, the engine) are imported inside commands, so that `carecheck --version` and `--help`
start as fast as typer itself.
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO, NoReturn, TextIO

import typer

from carecheck import __version__
from carecheck.output.formats import BatchInput, BatchOutput, ExportFormat, Format, ListFormat

if TYPE_CHECKING:
    from carecheck.cli.intake import Intake
    from carecheck.cli.terminal import Terminal
    from carecheck.core.engine import Assessor, CompiledQuestionnaire
    from carecheck.core.result import Result

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_DEFINITION, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


app = typer.Typer(
    name="carecheck",
    help="A level-of-care screening aid for substance use and mental health. Not a diagnosis.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_debug = False


def _say_error(message: str) -> None:
    from carecheck.core.safetext import literal  # messages may quote input: never let it drive the terminal

    sys.stderr.write(f"carecheck: {literal(message)}\n")


def _fail(code: int) -> NoReturn:
    raise typer.Exit(code)


@contextmanager
def _boundary(fmt: Format = Format.TEXT) -> Iterator[None]:
    """Turn carecheck's errors into a message (and, for JSON, an error object) and the contract's exit code."""
    from carecheck.core.errors import AnswersError, CarecheckError

    try:
        yield
    except CarecheckError as error:
        if _debug:
            traceback.print_exc()
        if fmt is Format.JSON and error.exit_code == EXIT_USAGE:
            from carecheck.output.render import error_json

            problems = [p.as_dict() for p in error.problems] if isinstance(error, AnswersError) else []
            record_id = error.record_id if isinstance(error, AnswersError) else None
            sys.stdout.write(error_json(getattr(error, "kind", "usage"), error.message, problems, record_id) + "\n")
        _say_error(error.message)
        _fail(error.exit_code)


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"carecheck {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", help="Show the version and exit.", callback=_show_version, is_eager=True)
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="On failure, show a traceback (without local values).")
    ] = False,
) -> None:
    """A level-of-care screening aid for substance use and mental health. Not a diagnosis."""


QuestionnaireOption = Annotated[
    str | None,
    typer.Option(
        "--questionnaire",
        "-q",
        metavar="NAME_OR_PATH",
        help="A built-in questionnaire's name or a questionnaire file [default: the one the rules name]",
    ),
]
RulesOption = Annotated[
    str | None,
    typer.Option(
        "--rules", "-r", metavar="NAME_OR_PATH", help="A rule set file or built-in name [default: level-of-care]"
    ),
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="text for people; json for programs.")]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", metavar="FILE", help="Write there (atomically, mode 0600) instead of stdout."),
]


def _screen(plain: bool, to_file: bool) -> tuple[int, bool]:
    """Width and colour for text: colour only on a terminal, never with NO_COLOR, --plain or TERM=dumb."""
    terminal = not to_file and sys.stdout.isatty()
    color = terminal and not plain and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    width = min(max(shutil.get_terminal_size((80, 24)).columns, 40), 100) if terminal else 80
    return width, color


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from carecheck.store.files import write_private

    write_private(output, text)


def _warn(warnings: tuple[str, ...]) -> None:
    for warning in warnings:
        _say_error(f"warning: {warning}")


def _assessor(questionnaire: str | None, rules: str | None) -> Assessor:
    from carecheck.api import load_assessor

    return load_assessor(questionnaire, rules)


@app.command()
def assess(
    answers: Annotated[
        str | None,
        typer.Option("--answers", "-a", metavar="FILE", help="An answer file, YAML or JSON; - for standard input."),
    ] = None,
    fmt: FormatOption = Format.TEXT,
    output: OutputOption = None,
    questionnaire: QuestionnaireOption = None,
    rules: RulesOption = None,
    plain: Annotated[bool, typer.Option("--plain", help="Linear text without colour, for screen readers.")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Carry on from the newest saved draft.")] = False,
    draft: Annotated[
        str | None, typer.Option("--draft", metavar="ID", help="Carry on from this draft (see `carecheck drafts`).")
    ] = None,
    ask_missing: Annotated[
        bool, typer.Option("--ask-missing", help="With --answers: ask in the terminal for what the file lacks.")
    ] = False,
    no_input: Annotated[bool, typer.Option("--no-input", help="Never ask anything; fail instead.")] = False,
) -> None:
    """Recommend a level of care, with the reasons in plain words: asks the questions in a terminal, or scores an
    answer file."""
    with _boundary(fmt), _interrupts():
        from carecheck.cli.session import deliver, gather, start
        from carecheck.output.render import render_result

        assessor, resumed, definitions = start(questionnaire, rules, resume=resume, draft_id=draft)
        width, color = _screen(plain, output is not None)
        terminal = _terminal(width, color)
        gathered = gather(
            assessor,
            terminal,
            source=answers,
            resume=resumed,
            ask_missing=ask_missing,
            no_input=no_input,
            definitions=definitions,
        )
        result = assessor.assess(gathered.answers)
        _warn(result.warnings)
        deliver(
            gathered,
            definitions,
            terminal,
            lambda: _emit(render_result(result, assessor, fmt, width, color, plain), output),
        )
        if gathered.interactive and output is None and fmt is Format.TEXT:
            _offer_to_save(result, assessor, terminal)


DatabaseOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        metavar="FILE",
        help="The records database [default: $CARECHECK_DB, else records.sqlite3 in carecheck's data folder]",
    ),
]


@app.command()
def intake(
    client: Annotated[str, typer.Option("--client", "-c", metavar="ID", help="The client's id in your service.")],
    counselor: Annotated[
        str | None, typer.Option("--counselor", metavar="NAME", help="Who ran the intake (shown on the report).")
    ] = None,
    answers: Annotated[
        str | None,
        typer.Option("--answers", "-a", metavar="FILE", help="An answer file, YAML or JSON; - for standard input."),
    ] = None,
    override: Annotated[
        str | None,
        typer.Option("--override", metavar="LEVEL", help="Place at this level instead of the computed one."),
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", metavar="TEXT", help="Why (required with --override).")
    ] = None,
    fmt: FormatOption = Format.TEXT,
    output: OutputOption = None,
    db: DatabaseOption = None,
    questionnaire: QuestionnaireOption = None,
    rules: RulesOption = None,
    plain: Annotated[bool, typer.Option("--plain", help="Linear text without colour, for screen readers.")] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Carry on from the newest saved draft of this client's intake.")
    ] = False,
    draft: Annotated[
        str | None, typer.Option("--draft", metavar="ID", help="Carry on from this draft (see `carecheck drafts`).")
    ] = None,
    ask_missing: Annotated[
        bool,
        typer.Option("--ask-missing", help="With --answers: ask for what the file lacks (say, the clinician items)."),
    ] = False,
    no_input: Annotated[bool, typer.Option("--no-input", help="Never ask anything; fail instead.")] = False,
) -> None:
    """A counselor's intake: the self-assessment plus clinician items, an optional override with a reason, stored
    as a record (`carecheck records`)."""
    with _boundary(fmt), _interrupts():
        from carecheck.cli.intake import take_intake
        from carecheck.cli.session import gather, start
        from carecheck.clinic.export import INTAKE_DEFINITIONS
        from carecheck.clinic.record import check_client, check_counselor, check_override
        from carecheck.store.records import open_records

        client, counselor = check_client(client), check_counselor(counselor)
        assessor, resumed, definitions = start(
            questionnaire, rules or INTAKE_DEFINITIONS, resume=resume, draft_id=draft, client=client
        )
        check_override(assessor, None, override, reason)  # wrong flags fail before anything is asked,
        with open_records(db) as records:  # and so does a database that cannot be written
            width, color = _screen(plain, output is not None)
            terminal = _terminal(width, color)
            gathered = gather(
                assessor,
                terminal,
                source=answers,
                resume=resumed,
                ask_missing=ask_missing,
                no_input=no_input,
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
        _warn(taken.result.warnings)
        _say_error(f"saved as record {taken.record['id']} (`carecheck records show {taken.record['id']}`)")
        _emit(_intake_output(taken, fmt, width, color, plain), output)


def _intake_output(taken: Intake, fmt: Format, width: int, color: bool, plain: bool) -> str:
    from carecheck.clinic.export import export_record
    from carecheck.output.render import render_intake_text

    if fmt is Format.TEXT:
        return render_intake_text(taken.record, taken.result, taken.assessor, width, color, plain)
    return export_record(taken.record, ExportFormat(fmt.value))


records_app = typer.Typer(
    name="records",
    help="Stored intake records: list, show, export, compare and delete.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(records_app)

RecordArgument = Annotated[str, typer.Argument(metavar="ID", help="A record id, as `carecheck records list` shows.")]


@records_app.command("list")
def records_list(
    client: Annotated[str | None, typer.Option("--client", "-c", metavar="ID", help="Only this client's.")] = None,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="text or json.")] = ListFormat.TEXT,
    db: DatabaseOption = None,
) -> None:
    """List intake records, newest first."""
    with _boundary():
        import json

        from carecheck.store.records import open_records

        with open_records(db, create=False) as records:
            found = records.find(client)
        if fmt is ListFormat.JSON:
            _emit(json.dumps([row._asdict() for row in found], ensure_ascii=False) + "\n", None)
        elif found:
            from carecheck.clinic.export import summary_lines

            _emit(summary_lines(found), None)
        else:
            _say_error("no records" + (f" for client {client}" if client else ""))


@records_app.command("show")
def records_show(
    record: RecordArgument,
    plain: Annotated[bool, typer.Option("--plain", help="Linear text without colour, for screen readers.")] = False,
    db: DatabaseOption = None,
) -> None:
    """Show one record as readable text: the chart report's content for a terminal."""
    with _boundary():
        from carecheck.clinic.chart import chart_text
        from carecheck.clinic.export import stored_records

        width, color = _screen(plain, False)
        _emit(chart_text(stored_records(db, record)[0], width, color, plain), None)


@records_app.command("export")
def records_export(
    record: RecordArgument,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="json, markdown or html (the chart report), or fhir.")
    ] = ExportFormat.JSON,
    output: OutputOption = None,
    db: DatabaseOption = None,
) -> None:
    """Export one record: JSON, a chart report in Markdown or HTML, or a FHIR bundle for an EHR."""
    with _boundary():
        from carecheck.clinic.export import export_record, stored_records

        _emit(export_record(stored_records(db, record)[0], fmt), output)


@records_app.command("compare")
def records_compare(
    first: RecordArgument,
    second: RecordArgument,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="text or json.")] = ListFormat.TEXT,
    db: DatabaseOption = None,
) -> None:
    """Compare two intakes of one client (a reassessment): levels and scores side by side, the earlier first,
    changes marked."""
    with _boundary():
        import json

        from carecheck.clinic.export import comparison_text, stored_records
        from carecheck.clinic.record import compare_records

        changes = compare_records(*stored_records(db, first, second))
        as_json = json.dumps([c._asdict() for c in changes], ensure_ascii=False) + "\n"
        _emit(as_json if fmt is ListFormat.JSON else comparison_text(changes), None)


@records_app.command("delete")
def records_delete(
    record: RecordArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking first.")] = False,
    db: DatabaseOption = None,
) -> None:
    """Delete one record for good (it cannot be brought back)."""
    with _boundary():
        from carecheck.clinic.export import parse_record_id
        from carecheck.core.errors import UsageError
        from carecheck.store.records import open_records

        record_id = parse_record_id(record)
        with open_records(db, create=False) as records:
            found = records.get(record_id)
            if not yes:
                if not sys.stdin.isatty():
                    raise UsageError("deleting needs a yes: pass --yes, or run it in a terminal to be asked")
                question = f"Delete record {record_id} (client {found['client']}, {found['created']}) for good?"
                if not typer.confirm(question, default=False, err=True):
                    _say_error("nothing deleted")
                    return
            records.delete(record_id)
        _say_error(f"deleted record {record_id}")


def _questionnaire_or_assessor(questionnaire: str | None, rules: str | None) -> CompiledQuestionnaire | Assessor:
    """A questionnaire named without rules needs no rule set (one written for another questionnaire would fail)."""
    if questionnaire is not None and rules is None:
        from carecheck.api import load_questionnaire_only

        return load_questionnaire_only(questionnaire)
    return _assessor(questionnaire, rules)


def _terminal(width: int, color: bool) -> Terminal:
    from carecheck.cli.terminal import PlainTerminal

    return PlainTerminal(width, color)


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
    path = data_folder("results") / f"result-{datetime.now():%Y%m%d-%H%M%S}.{suffix}"
    write_private(path, render_result(result, assessor, chosen))
    terminal.say(f"Saved to {path} (only you can read it).")


@contextmanager
def _interrupts() -> Iterator[None]:
    """A stopped interview has saved its draft and said where; it ends with the contract's 130."""
    from carecheck.cli.session import Interrupted

    try:
        yield
    except Interrupted:
        _fail(EXIT_INTERRUPTED)


@app.command()
def drafts(
    delete: Annotated[
        str | None, typer.Option("--delete", metavar="ID|all", help="Delete one draft, or all of them.")
    ] = None,
) -> None:
    """List the saved drafts of unfinished assessments, or delete them."""
    with _boundary():
        from carecheck.store.drafts import delete_draft, find_draft, list_drafts

        if delete is not None:
            chosen = list_drafts() if delete == "all" else [find_draft(delete)]
            for draft in chosen:
                delete_draft(draft)
            typer.echo(f"deleted {len(chosen)} draft(s)")
            return
        for draft in list_drafts():
            typer.echo(f"{draft.id}  saved {draft.saved_at}  {len(draft.answers)} answers  at {draft.position}")


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Questionnaire, instrument or rule files, or folders of them [default: the built-ins]"),
    ] = None,
) -> None:
    """Check questionnaires, instruments and rule sets; every fault names file:line."""
    with _boundary():
        from carecheck.authoring.validate import validate_files

        faults = validate_files(paths or [], report=typer.echo)
        if faults:
            _fail(EXIT_DEFINITION)


@app.command()
def batch(
    source: Annotated[str, typer.Argument(metavar="FILE", help="Answer records, one per line (JSONL); - for stdin.")],
    fmt: Annotated[BatchOutput, typer.Option("--format", "-f", help="json lines, or flat csv rows.")] = (
        BatchOutput.JSON
    ),
    input_format: Annotated[
        BatchInput, typer.Option("--input-format", help="jsonl, or csv with one column per item id.")
    ] = BatchInput.JSONL,
    output: OutputOption = None,
    questionnaire: QuestionnaireOption = None,
    rules: RulesOption = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=64, help="Worker processes; order is kept.")] = 1,
) -> None:
    """Score many answer records: one result per line, in order; a bad record gets an error object on its line."""
    with _boundary():
        from carecheck.cli.batch import Progress, run_batch

        assessor = _assessor(questionnaire, rules)
        with _open_source(source) as stream, _open_sink(output) as sink:
            _, failed = run_batch(
                assessor,
                stream,
                sink,
                input_format=input_format,
                output=fmt,
                jobs=jobs,
                definitions=(questionnaire, rules),
                progress=Progress(sys.stderr if sys.stderr.isatty() else None),
            )
        if failed:
            _fail(EXIT_SOME_FAILED)


@contextmanager
def _open_source(source: str) -> Iterator[BinaryIO]:
    if source == "-":
        yield sys.stdin.buffer
        return
    from carecheck.core.errors import UsageError

    try:
        stream = open(source, "rb")  # noqa: SIM115 - closed below, after the whole run
    except OSError as fault:
        raise UsageError(f"{source}: cannot read the records: {fault.strerror}; check the path") from None
    with stream:
        yield stream


@contextmanager
def _open_sink(output: Path | None) -> Iterator[TextIO]:
    """Standard output, or a private temporary file beside `output` that replaces it only when the run is done.

    Standard output gets a buffer of its own (even under PYTHONUNBUFFERED): the batch flushes it whenever it waits
    for input, so results still arrive as soon as a record is scored.
    """
    if output is None:
        try:
            descriptor = sys.stdout.fileno()
        except (AttributeError, OSError, ValueError):  # a test runner's capture has no descriptor
            yield sys.stdout
            return
        sys.stdout.flush()
        raw = io.FileIO(descriptor, "w", closefd=False)
        stream = io.TextIOWrapper(io.BufferedWriter(raw, 1 << 16), encoding="utf-8", newline="\n")
        try:
            yield stream
        finally:
            stream.flush()
            stream.detach()
        return
    from carecheck.store.files import private_writer

    with private_writer(output) as sink:
        yield sink


@app.command("test")
def run_cases(
    cases: Annotated[list[Path], typer.Argument(metavar="CASE...", help="Case files: name, answers, expect.")],
    questionnaire: QuestionnaireOption = None,
    rules: RulesOption = None,
) -> None:
    """Run case files against a questionnaire and rule set; each failure shows expected against actual."""
    with _boundary():
        from carecheck.authoring.cases import run_case

        assessor = _assessor(questionnaire, rules)
        outcomes = [run_case(assessor, path) for path in cases]
        for outcome in outcomes:
            typer.echo(f"{'PASS' if outcome.passed else 'FAIL'}  {outcome.name}  ({outcome.path})")
            for difference in outcome.differences:
                typer.echo(f"      {difference}")
        failed = sum(1 for outcome in outcomes if not outcome.passed)
        typer.echo(f"{len(outcomes) - failed} passed, {failed} failed")
        if failed:
            _fail(EXIT_SOME_FAILED)


@app.command()
def explain(
    answers: Annotated[str, typer.Option("--answers", "-a", metavar="FILE", help="An answer file; - for stdin.")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="text (bounded) or json (complete).")] = Format.TEXT,
    questionnaire: QuestionnaireOption = None,
    rules: RulesOption = None,
) -> None:
    """Show the whole trace: every rule, fired or not, each part of its condition with its value, and why the
    final level won."""
    with _boundary(fmt):
        import json

        from carecheck.authoring.explain import explain_answers, report_dict, report_text
        from carecheck.load.loader import read_answers

        report = explain_answers(_assessor(questionnaire, rules), read_answers(answers))
        text = json.dumps(report_dict(report), ensure_ascii=False) + "\n" if fmt is Format.JSON else report_text(report)
        _emit(text, None)


@app.command()
def template(questionnaire: QuestionnaireOption = None, rules: RulesOption = None) -> None:
    """Print an answer-file skeleton: every item id, its domain and when it is asked, as comments."""
    with _boundary():
        from carecheck.authoring.template import answer_template

        _emit(answer_template(_questionnaire_or_assessor(questionnaire, rules)), None)


@app.command()
def schema(
    kind: Annotated[str, typer.Argument(metavar="KIND", help="questionnaire, instrument, rules, answers or result")],
    questionnaire: QuestionnaireOption = None,
    rules: RulesOption = None,
) -> None:
    """Print a JSON Schema (draft-07) for definition files, answer files or results, for editors and validators."""
    with _boundary():
        from carecheck.authoring.schema import schema_json

        definitions = _questionnaire_or_assessor(questionnaire, rules) if kind == "answers" else None
        _emit(schema_json(kind, definitions), None)


@app.command()
def verify(
    samples: Annotated[int, typer.Option("--samples", min=100, max=1_000_000, help="Answer sets to try.")] = 3000,
    seed: Annotated[int, typer.Option("--seed", help="Fixes the random answer sets, so runs repeat.")] = 1,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = Format.TEXT,
    questionnaire: QuestionnaireOption = None,
    rules: RulesOption = None,
) -> None:
    """Check that a rule set is sound over many answer sets: invariants, monotonicity, completeness, dead and
    shadowed rules. Each violation comes with a minimal answer file that shows it."""
    with _boundary():
        import json

        from carecheck.authoring.verify import report_dict, report_text, verify

        report = verify(_assessor(questionnaire, rules), samples=samples, seed=seed)
        as_json = fmt is Format.JSON
        _emit(json.dumps(report_dict(report), ensure_ascii=False) + "\n" if as_json else report_text(report), None)
        if not report.passed:  # dead and shadowed rules are reported, but only broken properties fail the run
            _fail(EXIT_SOME_FAILED)


def main() -> None:
    """The console script: strips `--debug` from anywhere in the arguments, then runs the app."""
    global _debug
    args = sys.argv[1:]
    _debug = "--debug" in args or os.environ.get("CARECHECK_DEBUG") == "1"
    args = [arg for arg in args if arg != "--debug"]
    if args == ["--version"]:  # answered before typer builds every command: scripts call it to probe for carecheck
        sys.stdout.write(f"carecheck {__version__}\n")
        return
    try:
        app(args=args, prog_name="carecheck")
    except SystemExit:
        raise
    except KeyboardInterrupt:
        _say_error("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(EXIT_SOME_FAILED)
    except Exception:
        if _debug:
            traceback.print_exc()
        else:
            _say_error(
                "something went wrong inside carecheck (not in your answers). Run again with --debug to see "
                "where, and please report it."
            )
        sys.exit(EXIT_SOME_FAILED)
