"""The command line: gathers options, calls the library, and is the one place where errors become messages and exits.

Heavy modules (pydantic, yaml, the engine) are imported inside commands, so that `carecheck --version` and `--help`
start as fast as typer itself.
"""

from __future__ import annotations

import io
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO, NoReturn, TextIO

import typer

from carecheck import __version__
from carecheck.cli.console import emit, say_error, screen
from carecheck.cli.options import (
    AnswersOption,
    AskMissingOption,
    ClientFilterOption,
    ClientOption,
    DatabaseOption,
    DebugOption,
    DraftOption,
    ExportQuestionnaireOption,
    FormatOption,
    IntakeAskMissingOption,
    IntakeResumeOption,
    ListFormatOption,
    NoInputOption,
    OutputOption,
    PlainOption,
    QuestionnaireOption,
    RecordArgument,
    ResumeOption,
    RulesOption,
    VerifyMethod,
    VersionOption,
)
from carecheck.core.safetext import json_escaped, literal
from carecheck.output.formats import (
    BatchInput,
    BatchOutput,
    ExportFormat,
    Format,
    ListFormat,
    QuestionnaireFormat,
    Shell,
)

if TYPE_CHECKING:
    from carecheck.core.assessor import Assessor
    from carecheck.core.compile import CompiledQuestionnaire

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_DEFINITION, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
COMPLETE_VARIABLE = "_CARECHECK_COMPLETE"
"""What the completion scripts set when a shell asks carecheck for completions (typer's convention for the name)."""


app = typer.Typer(
    name="carecheck",
    help="A level-of-care screening aid for substance use and mental health. Not a diagnosis.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_debug = False


def _json(value: object) -> str:
    """A command's JSON output: one line, UTF-8, with what could drive a terminal escaped (see `json_escaped`)."""
    import json

    return json_escaped(json.dumps(value, ensure_ascii=False)) + "\n"


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
        say_error(error.message)
        _fail(error.exit_code)


@app.callback()
def _root(
    version: VersionOption = False,
    debug: DebugOption = False,
) -> None:
    """A level-of-care screening aid for substance use and mental health. Not a diagnosis."""


def _assessor(questionnaire: str | None, rules: str | None) -> Assessor:
    from carecheck.api import load_assessor

    return load_assessor(questionnaire, rules)


@app.command()
def assess(
    answers: AnswersOption = None,
    fmt: FormatOption = Format.TEXT,
    output: OutputOption = None,
    questionnaire: QuestionnaireOption = None,
    rules: RulesOption = None,
    plain: PlainOption = False,
    resume: ResumeOption = False,
    draft: DraftOption = None,
    ask_missing: AskMissingOption = False,
    no_input: NoInputOption = False,
) -> None:
    """Recommend a level of care, with the reasons in plain words: asks the questions in a terminal, or scores an
    answer file."""
    with _boundary(fmt), _interrupts():
        from carecheck.cli.flows import AnswerOptions, OutputOptions, run_assessment

        asking = AnswerOptions(answers, resume=resume, draft_id=draft, ask_missing=ask_missing, no_input=no_input)
        run_assessment(questionnaire, rules, asking, OutputOptions(fmt, output, plain=plain))


@app.command()
def intake(
    client: ClientOption,
    counselor: Annotated[
        str | None, typer.Option("--counselor", metavar="NAME", help="Who ran the intake (shown on the report).")
    ] = None,
    answers: AnswersOption = None,
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
    plain: PlainOption = False,
    resume: IntakeResumeOption = False,
    draft: DraftOption = None,
    ask_missing: IntakeAskMissingOption = False,
    no_input: NoInputOption = False,
) -> None:
    """A counselor's intake: the self-assessment plus clinician items, an optional override with a reason, stored
    as a record (`carecheck records`)."""
    with _boundary(fmt), _interrupts():
        from carecheck.cli.flows import AnswerOptions, OutputOptions, run_intake

        asking = AnswerOptions(answers, resume=resume, draft_id=draft, ask_missing=ask_missing, no_input=no_input)
        showing = OutputOptions(fmt, output, plain=plain)
        run_intake(
            questionnaire,
            rules,
            asking,
            showing,
            client=client,
            counselor=counselor,
            override=override,
            reason=reason,
            db=db,
        )


records_app = typer.Typer(
    name="records",
    help="Stored intake records: list, show, export, compare and delete.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(records_app)


@records_app.command("list")
def records_list(
    client: ClientFilterOption = None,
    fmt: ListFormatOption = ListFormat.TEXT,
    db: DatabaseOption = None,
) -> None:
    """List intake records, newest first."""
    with _boundary():
        from carecheck.store.records import open_records

        with open_records(db, create=False) as records:
            found = records.find(client)
        if fmt is ListFormat.JSON:
            emit(_json([row._asdict() for row in found]), None)
        elif found:
            from carecheck.clinic.export import summary_lines

            emit(literal(summary_lines(found)), None)
        else:
            say_error("no records" + (f" for client {client}" if client else ""))


@records_app.command("show")
def records_show(
    record: RecordArgument,
    plain: PlainOption = False,
    db: DatabaseOption = None,
) -> None:
    """Show one record as readable text: the chart report's content for a terminal."""
    with _boundary():
        from carecheck.clinic.chart import chart_text
        from carecheck.clinic.export import stored_records

        width, color = screen(plain, False)
        emit(chart_text(stored_records(db, record)[0], width, color, plain), None)


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

        emit(export_record(stored_records(db, record)[0], fmt), output)


@records_app.command("compare")
def records_compare(
    first: RecordArgument,
    second: RecordArgument,
    fmt: ListFormatOption = ListFormat.TEXT,
    db: DatabaseOption = None,
) -> None:
    """Compare two intakes of one client (a reassessment): levels and scores side by side, the earlier first,
    changes marked."""
    with _boundary():
        from carecheck.clinic.export import comparison_text, stored_records
        from carecheck.clinic.record import compare_records

        changes = compare_records(*stored_records(db, first, second))
        emit(
            _json([c._asdict() for c in changes]) if fmt is ListFormat.JSON else literal(comparison_text(changes)), None
        )


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
                    say_error("nothing deleted")
                    return
            records.delete(record_id)
        say_error(f"deleted record {record_id}")


export_app = typer.Typer(
    name="export",
    help="Export definitions for other software: the questionnaire as a FHIR Questionnaire.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(export_app)


@export_app.command("questionnaire")
def export_questionnaire(
    questionnaire: ExportQuestionnaireOption = "self-assessment",
    fmt: Annotated[
        QuestionnaireFormat, typer.Option("--format", "-f", help="fhir: an R5 Questionnaire with SDC scoring.")
    ] = QuestionnaireFormat.FHIR,
    output: OutputOption = None,
) -> None:
    """Export a questionnaire as a FHIR R5 Questionnaire (LOINC-coded, SDC-scored) that an EHR or a form renderer
    can show, and whose responses `carecheck assess --answers` reads back."""
    with _boundary():
        from carecheck.api import load_questionnaire_only
        from carecheck.clinic.fhir_questionnaire import questionnaire_json

        emit(questionnaire_json(load_questionnaire_only(questionnaire)), output)


def _questionnaire_or_assessor(questionnaire: str | None, rules: str | None) -> CompiledQuestionnaire | Assessor:
    """A questionnaire named without rules needs no rule set (one written for another questionnaire would fail)."""
    if questionnaire is not None and rules is None:
        from carecheck.api import load_questionnaire_only

        return load_questionnaire_only(questionnaire)
    return _assessor(questionnaire, rules)


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
        for draft in list_drafts():  # a draft file is input like any other: its fields and name may hold escapes
            line = f"{draft.id}  saved {draft.saved_at}  {len(draft.answers)} answers  at {draft.position}"
            typer.echo(literal(line))


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

        faults = validate_files(paths or [], report=lambda line: typer.echo(literal(line)))
        if faults:
            _fail(EXIT_DEFINITION)


@app.command()
def batch(
    source: Annotated[
        str, typer.Argument(metavar="FILE", help="Answer records: JSON lines, CSV, or a Parquet file; - for stdin.")
    ],
    fmt: Annotated[BatchOutput, typer.Option("--format", "-f", help="json lines, flat csv rows, or parquet.")] = (
        BatchOutput.JSON
    ),
    input_format: Annotated[
        BatchInput | None,
        typer.Option("--input-format", help="jsonl (default) or csv with one column per item id; Parquet is told."),
    ] = None,
    output: OutputOption = None,
    questionnaire: QuestionnaireOption = None,
    rules: RulesOption = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, max=64, help="Worker processes; order is kept.")] = 1,
) -> None:
    """Score many answer records: one result per line, in order; a bad record gets an error object on its line."""
    from carecheck.cli.batch import Stopped, ended_by_signals

    try:
        with _boundary(), ended_by_signals():
            from carecheck.cli.batch import Progress, input_format_of, run_any_batch

            assessor = _assessor(questionnaire, rules)
            with _open_source(source) as stream, Progress(sys.stderr if sys.stderr.isatty() else None) as progress:
                progress.measure_file(stream)
                _, failed = run_any_batch(
                    assessor,
                    stream,
                    lambda: _open_sink(output),
                    lambda: _open_binary_sink(output),
                    input_format=input_format_of(stream, input_format, source),
                    output=fmt,
                    jobs=jobs,
                    definitions=(questionnaire, rules),
                    progress=progress,
                    name="standard input" if source == "-" else source,
                )
            if failed:
                _fail(EXIT_SOME_FAILED)
    except Stopped as stop:  # SIGTERM or SIGHUP: ended like Ctrl-C, with the code a shell shows for the signal
        import signal

        say_error(f"stopped by {signal.Signals(stop.signal_number).name}; nothing half-written was left behind")
        _fail(128 + stop.signal_number)


@contextmanager
def _open_binary_sink(output: Path | None) -> Iterator[BinaryIO]:
    """A private temporary file beside `output` that replaces it when the run is done: Parquet is never written to
    a terminal or a pipe (its index comes last, and a half-written file is no file)."""
    from carecheck.core.errors import UsageError
    from carecheck.store.files import private_binary_writer

    if output is None:
        raise UsageError("Parquet results are a file: pass --output results.parquet")
    with private_binary_writer(output) as sink:
        yield sink  # type: ignore[misc]


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
        for outcome in outcomes:  # case names, paths and differences come from files: shown, never obeyed
            typer.echo(literal(f"{'PASS' if outcome.passed else 'FAIL'}  {outcome.name}  ({outcome.path})"))
            for difference in outcome.differences:
                typer.echo(literal(f"      {difference}"))
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
        from carecheck.authoring.explain import explain_answers, report_dict, report_text
        from carecheck.load.loader import read_answers

        report = explain_answers(_assessor(questionnaire, rules), read_answers(answers))
        as_json = fmt is Format.JSON
        emit(_json(report_dict(report)) if as_json else literal(report_text(report)), None)


@app.command()
def template(questionnaire: QuestionnaireOption = None, rules: RulesOption = None) -> None:
    """Print an answer-file skeleton: every item id, its domain and when it is asked, as comments."""
    with _boundary():
        from carecheck.authoring.template import answer_template

        emit(literal(answer_template(_questionnaire_or_assessor(questionnaire, rules))), None)


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
        emit(schema_json(kind, definitions), None)


@app.command()
def verify(
    method: Annotated[
        VerifyMethod, typer.Option("--method", help="proof (a solver, over every answer set) or sampling.")
    ] = VerifyMethod.PROOF,
    strict: Annotated[bool, typer.Option("--strict", help="Dead and shadowed rules fail the run too.")] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, max=3600, help="Seconds the solver may spend on one question.")
    ] = 20,
    samples: Annotated[
        int | None, typer.Option("--samples", min=100, max=1_000_000, help="Answer sets to try (sampling).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Fixes the random answer sets, so runs repeat (sampling).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = Format.TEXT,
    questionnaire: QuestionnaireOption = None,
    rules: RulesOption = None,
) -> None:
    """Check that a rule set is sound: invariants, monotonicity, completeness, dead and shadowed rules, proved over
    every answer set by a solver (or tried on many, with --method sampling). Each finding comes with an answer file
    that shows it."""
    with _boundary():
        from carecheck.authoring import verify as checks

        as_json = fmt is Format.JSON
        if method is VerifyMethod.SAMPLING:
            report = checks.verify(_assessor(questionnaire, rules), samples=samples or 3000, seed=seed or 1)
            emit(_json(checks.report_dict(report)) if as_json else literal(checks.report_text(report)), None)
            failed = any(v.check not in checks.FAILING for v in report.violations) if strict else False
            if not report.passed or failed:  # dead and shadowed rules fail only a strict run
                _fail(EXIT_SOME_FAILED)
            return
        if samples is not None or seed is not None:
            from carecheck.core.errors import UsageError

            raise UsageError("--samples and --seed go with --method sampling; a proof covers every answer set")
        checks.require_solver()
        from carecheck.authoring.proof import proof_dict, proof_text, prove

        proof = prove(_assessor(questionnaire, rules), timeout=timeout)
        text = _json(proof_dict(proof, strict)) if as_json else literal(proof_text(proof, strict))
        emit(text, None)
        if not proof.passed(strict):
            _fail(EXIT_SOME_FAILED)


@app.command()
def completion(shell: Annotated[Shell, typer.Argument(help="bash, zsh, fish or powershell.")]) -> None:
    """Print the shell completion script for carecheck; save it where your shell loads completions (see the README)."""
    # A command rather than typer's --install-completion: that option costs every start-up an import of typer's
    # completion machinery, which this command (and a shell asking for completions, see `main`) imports only then.
    from typer.completion import get_completion_script  # type: ignore[attr-defined]  # typer's own, re-exported

    script = get_completion_script(prog_name="carecheck", complete_var=COMPLETE_VARIABLE, shell=shell.value)
    typer.echo(script)


def main() -> None:
    """The console script: strips `--debug` from anywhere in the arguments, then runs the app."""
    global _debug
    args = sys.argv[1:]
    _debug = "--debug" in args or os.environ.get("CARECHECK_DEBUG") == "1"
    args = [arg for arg in args if arg != "--debug"]
    if args == ["--version"]:  # answered before typer builds every command: scripts call it to probe for carecheck
        sys.stdout.write(f"carecheck {__version__}\n")
        return
    if COMPLETE_VARIABLE in os.environ:  # a shell asking for completions: typer answers, once it knows the shells
        from typer.completion import completion_init  # type: ignore[attr-defined]  # typer's own, re-exported

        completion_init()
    try:
        app(args=args, prog_name="carecheck")
    except SystemExit:
        raise
    except KeyboardInterrupt:
        say_error("interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(EXIT_SOME_FAILED)
    except Exception:
        if _debug:
            traceback.print_exc()
        else:
            say_error(
                "something went wrong inside carecheck (not in your answers). Run again with --debug to see "
                "where, and please report it."
            )
        sys.exit(EXIT_SOME_FAILED)
