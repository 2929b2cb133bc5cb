"""`carecheck batch`: answer records in (JSON lines or CSV), one result per record out, in order, streaming.

A bad record becomes an error object on its own line and the run goes on. Input is read in chunks as it arrives
and output is flushed before every wait for more input, so a service that writes one record at a time gets its
answer at once, while a large file is processed in large, cheap steps. Memory stays flat however long the input.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import AbstractContextManager
from typing import IO, Any, NamedTuple

from carecheck.core.assessor import Assessor
from carecheck.core.compiled import RECORD_ID
from carecheck.core.errors import AnswersError
from carecheck.core.items import kind_of
from carecheck.core.result import Result
from carecheck.output.formats import BatchInput as InputFormat
from carecheck.output.formats import BatchOutput as OutputFormat
from carecheck.output.jsonresult import JsonResultWriter
from carecheck.output.render import error_json

CHUNK_BYTES = 1 << 16
LINES_PER_TASK = 256
"""Records sent to a worker process at a time with --jobs: large enough to amortise the hand-over."""


Line = tuple[int, str | None]
"""An input line's number and its text (None where it is not UTF-8)."""
Row = tuple[int, list[str] | None]
"""A CSV row's first line number and its cells (None where it is not UTF-8)."""
Record = Line | Row


class Scored(NamedTuple):
    """One output line (without its newline) and whether the record scored."""

    text: str
    ok: bool


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        keys = [key for key, _ in pairs]
        twice = next(key for index, key in enumerate(keys) if key in keys[:index])
        raise ValueError(f"the key {twice!r} appears twice; keep one of them")
    return record


_DECODER = json.JSONDecoder(object_pairs_hook=_reject_duplicates)
"""Built once: json.loads with a hook would build a new decoder for every record."""
_PLAIN_DECODER = json.JSONDecoder()
"""For records that cannot hold a key twice (see `LineScorer.parse_json`): no Python call per object."""


class LineScorer:
    """Turns one input record into one output line; holds the compiled assessor and the output layout."""

    def __init__(self, assessor: Assessor, output: OutputFormat) -> None:
        self.assessor = assessor
        self.output = output
        self.instruments = [instrument.id for instrument in assessor.instruments]
        self.multi = {item.id for item in assessor.items if kind_of(item.definition).takes_list}
        self.json = JsonResultWriter(assessor)
        self.check_and_decide = assessor.generated().check_and_decide

    # --- input ---

    def parse_json(self, line: str) -> dict[str, Any]:
        # JSON has a colon after every key and nowhere else outside strings, so an object with as many keys as the
        # line has colons has no key twice: it needs no hook that looks for one. Any other line takes the full path.
        try:
            record = _PLAIN_DECODER.decode(line)
        except (ValueError, RecursionError):
            record = None
        if type(record) is dict and len(record) == line.count(":"):
            return record
        try:
            record = _DECODER.decode(line)
        except ValueError as error:
            raise _Unreadable(f"not valid JSON: {error}") from None
        except RecursionError:
            raise _Unreadable("the record nests too deeply") from None
        if not isinstance(record, dict):
            raise _Unreadable(f"a record must be one JSON object of item ids and answers, not {type(record).__name__}")
        return record

    def from_csv_row(self, row: dict[str, str]) -> dict[str, Any]:
        """A CSV row as answers: an empty cell is no answer; multiple choices are `;`-separated (`[]` for none)."""
        record: dict[str, Any] = {}
        for key, cell in row.items():
            if key is None:
                raise _Unreadable("the row has more cells than the header has columns")
            value = (cell or "").strip()
            if not value:
                continue
            if key in self.multi:
                record[key] = [] if value == "[]" else [part.strip() for part in value.split(";") if part.strip()]
            else:
                record[key] = value
        return record

    # --- output ---

    def score(self, record: dict[str, Any]) -> Scored:
        if self.output is OutputFormat.JSON:
            checked = self.check_and_decide(record, False)
            if checked is not None:  # the common case, written without building a Result
                return Scored(self.json.write_outcome(checked[1], record.get(RECORD_ID)), True)
        try:
            result = self.assessor.assess(record)
        except AnswersError as error:
            problems = [p.as_dict() for p in error.problems]
            return self.error(error.kind, error.message, problems, error.record_id)
        return Scored(self.render(result), True)

    def render(self, result: Result) -> str:
        if self.output is OutputFormat.JSON:
            return self.json.write(result)
        row: list[Any] = [result.record_id, result.level, result.urgent, result.screen_positive]
        for instrument in self.instruments:
            score = result.scores.get(instrument)
            row += [score.total, score.band] if score is not None else ["", ""]
        return _csv_line([*row, ""])

    def error(self, kind: str, message: str, problems: list[dict[str, str]], record_id: Any = None) -> Scored:
        if self.output is OutputFormat.JSON:
            return Scored(error_json(kind, message, problems, record_id), False)
        blank = [""] * (3 + 2 * len(self.instruments))
        return Scored(_csv_line([record_id if isinstance(record_id, (str, int)) else "", *blank, message]), False)

    def csv_header(self) -> str:
        columns = ["id", "level", "urgent", "screen_positive"]
        for instrument in self.instruments:
            columns += [f"{instrument}_total", f"{instrument}_band"]
        return _csv_line([*columns, "error"])

    def score_json_line(self, number: int, line: str | None) -> Scored:
        try:
            if line is None:
                raise _Unreadable("the line is not UTF-8 text")
            return self.score(self.parse_json(line))
        except _Unreadable as fault:
            return self.error("unreadable-answers", f"line {number}: {fault}", [])


class _Unreadable(Exception):
    pass


def _csv_line(cells: list[Any]) -> str:
    # A real line terminator, so that the writer quotes cells holding newlines; the caller adds its own.
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(
        ["true" if cell is True else "false" if cell is False else cell for cell in cells]
    )
    return buffer.getvalue()[:-1]


# --- streaming input ----------------------------------------------------------------------------------------------


def read_lines(stream: IO[bytes], before_wait: Callable[[], None]) -> Iterator[Line]:
    """Numbered non-blank lines as they arrive (None for a line that is not UTF-8); `before_wait` runs before each
    read that may block. A byte-order mark at the start (Excel writes one) is dropped."""
    descriptor = stream.fileno()
    pending = b""
    number = 0
    first = True
    while True:
        before_wait()
        chunk = os.read(descriptor, CHUNK_BYTES)
        if not chunk:
            break
        if first:
            _refuse_parquet(chunk)
            chunk, first = chunk.removeprefix(b"\xef\xbb\xbf"), False
        pieces = (pending + chunk).split(b"\n")
        pending = pieces.pop()
        for piece in pieces:
            number += 1
            if piece.strip():
                yield number, _decoded(piece)
    if pending.strip():
        yield number + 1, _decoded(pending)


def _decoded(piece: bytes) -> str | None:
    try:
        return piece.decode("utf-8")
    except UnicodeDecodeError:
        return None


def csv_rows(stream: IO[bytes], before_wait: Callable[[], None]) -> Iterator[tuple[int, list[str] | None]]:
    """CSV rows as they arrive, numbered by the line they start on; None for a row that is not UTF-8. The csv
    module does the parsing, so quoted cells may hold commas, quotes, newlines and blank lines."""
    bad: set[int] = set()

    def text_lines() -> Iterator[str]:
        descriptor = stream.fileno()
        pending = b""
        number = 0
        first = True
        while True:
            before_wait()
            chunk = os.read(descriptor, CHUNK_BYTES)
            if first:
                _refuse_parquet(chunk)
                chunk, first = chunk.removeprefix(b"\xef\xbb\xbf"), False
            if not chunk:
                break
            pieces = (pending + chunk).split(b"\n")
            pending = pieces.pop()
            for piece in pieces:
                number += 1
                yield _text_or_mark(piece, number, bad) + "\n"
        if pending:
            yield _text_or_mark(pending, number + 1, bad)

    reader = csv.reader(text_lines())
    start = 1
    for row in reader:
        rows_lines = range(start, reader.line_num + 1)
        number, start = start, reader.line_num + 1
        if not row or row == [""]:
            continue
        yield number, None if any(line in bad for line in rows_lines) else row


def _text_or_mark(piece: bytes, number: int, bad: set[int]) -> str:
    try:
        return piece.decode("utf-8")
    except UnicodeDecodeError:
        bad.add(number)
        return piece.decode("utf-8", errors="replace")


# --- running ------------------------------------------------------------------------------------------------------


class Progress:
    """Records scored, records a second and time elapsed, drawn by rich on stderr at most ten times a second; with
    a known total (a file's size, a Parquet file's rows) also a bar, percent done and time left. Silent (and rich
    never imported) unless stderr is a terminal."""

    def __init__(self, stream: IO[str] | None) -> None:
        self.stream = stream
        self.count = 0
        self.shown_at = 0.0
        self.total: int | None = None
        self.position: Callable[[], int] | None = None
        """How much of `total` is done, when it is not a count of records (bytes read of a file)."""
        self.display: Any = None
        self.task: Any = None

    def measure_file(self, source: IO[bytes]) -> None:
        """Take a regular file's size as the total, and how far it has been read as the part done."""
        try:
            descriptor = source.fileno()
            info = os.fstat(descriptor)
        except (OSError, ValueError, AttributeError):
            return
        if stat.S_ISREG(info.st_mode) and info.st_size:
            self.total = info.st_size
            self.position = lambda: os.lseek(descriptor, 0, os.SEEK_CUR)

    def measure_rows(self, rows: int) -> None:
        """A known number of records (a Parquet file's) as the total."""
        self.total, self.position = rows or None, None

    def advance(self, records: int) -> None:
        self.count += records
        if self.stream is None:
            return
        import time

        now = time.monotonic()
        if now - self.shown_at >= 0.1:
            self.shown_at = now
            self._show()

    def _show(self) -> None:
        if self.display is None:
            self.display, self.task = _progress_display(self.stream, self.total)
            self.display.start()
        done = self.position() if self.position is not None else self.count
        self.display.update(self.task, completed=done, records=self.count, refresh=True)

    def close(self) -> None:
        """Draw the final count (a file read to its end is 100%) and give the terminal back; safe to call twice."""
        display, self.display = self.display, None
        if display is not None:
            done = self.total if self.position is not None else self.count
            display.update(self.task, completed=done, records=self.count, refresh=True)
            display.stop()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Also when the run stops on an error or Ctrl-C: rich hides the cursor while it draws.
        self.close()


def _progress_display(stream: IO[str] | None, total: int | None) -> tuple[Any, Any]:
    """rich's progress display for a batch run, and its one task; rich is imported only here, only on a terminal."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        ProgressColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as Display
    from rich.text import Text

    class RecordsPerSecond(ProgressColumn):
        def render(self, task: Any) -> Text:
            elapsed = task.elapsed or 0.0
            rate = task.fields["records"] / elapsed if elapsed > 0 else 0.0
            return Text(f"{rate:,.0f} records/s")

    columns: list[ProgressColumn] = [
        TextColumn("scored {task.fields[records]:,} records"),
        RecordsPerSecond(),
        TimeElapsedColumn(),
    ]
    if total is not None:
        columns += [BarColumn(), TaskProgressColumn(), TimeRemainingColumn()]
    # No redrawing thread and no capture of stdout: results may be going to stdout, and are not rich's to touch.
    display = Display(
        *columns, console=Console(file=stream), auto_refresh=False, redirect_stdout=False, redirect_stderr=False
    )
    return display, display.add_task("batch", total=total, records=0)


class _Worker:
    """State of one worker process with --jobs: its own compiled assessor."""

    scorer: LineScorer | None = None


def _start_worker(questionnaire: str | None, rules: str | None, output: OutputFormat) -> None:
    from carecheck.api import load_assessor

    _Worker.scorer = LineScorer(load_assessor(questionnaire, rules), output)


def _score_task(task: list[Record], input_format: InputFormat, header: list[str] | None) -> list[Scored]:
    scorer = _Worker.scorer
    assert scorer is not None
    return _score_many(scorer, task, input_format, header)


def _score_many(
    scorer: LineScorer, task: list[Record], input_format: InputFormat, header: list[str] | None
) -> list[Scored]:
    if input_format is InputFormat.JSONL:
        return [scorer.score_json_line(number, line) for number, line in task if not isinstance(line, list)]
    assert header is not None
    out = []
    for number, cells in task:
        try:
            if cells is None or isinstance(cells, str):
                raise _Unreadable("the line is not UTF-8 text")
            if len(cells) > len(header):
                raise _Unreadable("the row has more cells than the header has columns")
            out.append(scorer.score(scorer.from_csv_row(dict(zip(header, cells, strict=False)))))
        except _Unreadable as fault:
            out.append(scorer.error("unreadable-answers", f"line {number}: {fault}", []))
    return out


def _chunks(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    task: list[Record] = []
    for record in records:
        task.append(record)
        if len(task) >= size:
            yield task
            task = []
    if task:
        yield task


def run_batch(
    assessor: Assessor,
    source: IO[bytes],
    sink: IO[str],
    *,
    input_format: InputFormat = InputFormat.JSONL,
    output: OutputFormat = OutputFormat.JSON,
    jobs: int = 1,
    definitions: tuple[str | None, str | None] = (None, None),
    progress: Progress | None = None,
) -> tuple[int, int]:
    """Score every record from `source` onto `sink`, in order. Returns (records scored, records with errors).

    With `jobs` > 1, records go to that many worker processes in tasks of LINES_PER_TASK, with a bounded number
    of tasks in flight, so memory stays flat and order is kept; `definitions` names what the workers load.
    """
    scorer = LineScorer(assessor, output)
    progress = progress or Progress(None)
    header: list[str] | None = None
    records: Iterator[Record]
    if input_format is InputFormat.CSV:
        rows = csv_rows(source, sink.flush)
        try:
            first = next(rows, None)
        except csv.Error as fault:
            raise _csv_fault(fault) from None
        if first is None:
            return 0, 0
        if first[1] is None:
            from carecheck.core.errors import UsageError

            raise UsageError("the CSV header is not UTF-8 text; save the file as UTF-8")
        header = [cell.strip() for cell in first[1]]
        _check_header(assessor, header)
        records = _guarded(rows)
    else:
        records = read_lines(source, sink.flush)
    if output is OutputFormat.CSV:
        sink.write(scorer.csv_header() + "\n")
    scored = failed = 0

    def emit(results: list[Scored]) -> None:
        nonlocal scored, failed
        sink.write("".join(result.text + "\n" for result in results))
        scored += len(results)
        failed += sum(1 for result in results if not result.ok)
        progress.advance(len(results))

    if jobs <= 1 and input_format is InputFormat.JSONL:
        # The hot loop of a large batch: one record at a time, so that a record arriving alone on a pipe is
        # answered before the next read, with as little work around the scoring as possible.
        write, score_line, count = sink.write, scorer.score_json_line, progress.stream is not None
        for number, line in records:
            assert not isinstance(line, list)
            text, ok = score_line(number, line)
            write(text + "\n")
            scored += 1
            if not ok:
                failed += 1
            if count:
                progress.advance(1)
    elif jobs <= 1:
        for record in records:
            emit(_score_many(scorer, [record], input_format, header))
    else:
        with ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(*definitions, output)) as pool:
            in_flight: deque[Future[list[Scored]]] = deque()
            for task in _chunks(records, LINES_PER_TASK):
                in_flight.append(pool.submit(_score_task, task, input_format, header))
                while len(in_flight) >= jobs * 2:
                    emit(in_flight.popleft().result())
            while in_flight:
                emit(in_flight.popleft().result())
    sink.flush()
    progress.close()
    return scored, failed


def _guarded(rows: Iterator[Row]) -> Iterator[Row]:
    try:
        yield from rows
    except csv.Error as fault:
        raise _csv_fault(fault) from None


def _csv_fault(fault: csv.Error) -> Exception:
    from carecheck.core.errors import UsageError

    return UsageError(f"the CSV cannot be read further: {fault}; the rows before it were scored")


def _check_header(assessor: Assessor, header: list[str]) -> None:
    from carecheck.core.conditions import suggest
    from carecheck.core.errors import UsageError

    known = set(assessor.item_index) | {"id"}
    unknown = [column for column in header if column not in known]
    if unknown:
        hints = "; ".join(f"{column!r}{suggest(column, known)}" for column in unknown)
        raise UsageError(f"the CSV header names columns that are not items of the questionnaire: {hints}")


# --- Parquet on either side (format dispatch) ---------------------------------------------------------------------


def _refuse_parquet(chunk: bytes) -> None:
    """Parquet arriving through a pipe (a file is told before it is read): refused, not read as lines of garbage."""
    from carecheck.data.parquet import MAGIC

    if chunk.startswith(MAGIC):
        from carecheck.core.errors import UsageError

        raise UsageError("the input is a Parquet file, which is read from a file, not a pipe: pass the file's path")


def input_format_of(source: IO[bytes], told: InputFormat | None, name: str) -> InputFormat:
    """Parquet when the file starts with Parquet's magic bytes; otherwise what --input-format says (JSON lines when
    it says nothing). Looking leaves the stream where it was."""
    from carecheck.core.errors import UsageError
    from carecheck.data.parquet import starts_as_parquet

    if starts_as_parquet(source):
        return InputFormat.PARQUET
    if told is InputFormat.PARQUET:
        raise UsageError(f"{name}: not a Parquet file (it does not start with PAR1); pass a .parquet file's path")
    return told or InputFormat.JSONL


def run_any_batch(
    assessor: Assessor,
    source: IO[bytes],
    text_sink: Callable[[], AbstractContextManager[IO[str]]],
    binary_sink: Callable[[], AbstractContextManager[IO[bytes]]],
    *,
    input_format: InputFormat,
    output: OutputFormat,
    jobs: int,
    definitions: tuple[str | None, str | None],
    progress: Progress,
    name: str,
) -> tuple[int, int]:
    """The batch for these formats: Parquet results go to a binary sink, the others to a text one; each sink is
    opened only once the input has been found readable."""
    if output is OutputFormat.PARQUET:
        with binary_sink() as binary:
            return run_batch_to_parquet(
                assessor,
                source,
                binary,
                input_format=input_format,
                jobs=jobs,
                definitions=definitions,
                progress=progress,
                name=name,
            )
    with text_sink() as sink:
        if input_format is InputFormat.PARQUET:
            return run_parquet_batch(
                assessor, source, sink, output=output, jobs=jobs, definitions=definitions, progress=progress, name=name
            )
        return run_batch(
            assessor,
            source,
            sink,
            input_format=input_format,
            output=output,
            jobs=jobs,
            definitions=definitions,
            progress=progress,
        )


def run_parquet_batch(
    assessor: Assessor,
    source: IO[bytes],
    sink: IO[str],
    *,
    output: OutputFormat = OutputFormat.JSON,
    jobs: int = 1,
    definitions: tuple[str | None, str | None] = (None, None),
    progress: Progress | None = None,
    name: str = "-",
) -> tuple[int, int]:
    """`run_batch` for a Parquet file of answers, results as JSON lines or CSV: the same lines, in the same order, as
    for the same records as JSON lines. Returns (records scored, records with errors)."""
    from carecheck.data.parquet import AnswerFile

    progress = progress or Progress(None)
    answers = AnswerFile(source, assessor, name)
    progress.measure_rows(answers.rows)
    scorer = LineScorer(assessor, output)
    if output is OutputFormat.CSV:
        sink.write(scorer.csv_header() + "\n")
    if jobs <= 1:
        results: Iterator[list[Scored]] = (_score_rows(scorer, batch) for batch in answers.batches())
    else:
        results = _in_order(jobs, _score_rows_task, answers.batches(), definitions, output)
    scored = failed = 0
    for lines in results:
        sink.write("".join(line.text + "\n" for line in lines))
        scored += len(lines)
        failed += sum(1 for line in lines if not line.ok)
        progress.advance(len(lines))
    sink.flush()
    progress.close()
    return scored, failed


def run_batch_to_parquet(
    assessor: Assessor,
    source: IO[bytes],
    sink: IO[bytes],
    *,
    input_format: InputFormat = InputFormat.PARQUET,
    jobs: int = 1,
    definitions: tuple[str | None, str | None] = (None, None),
    progress: Progress | None = None,
    name: str = "-",
) -> tuple[int, int]:
    """Score any input into a Parquet file of results (the columns of `carecheck.data.columnar.result_schema`),
    one row group per batch as it is scored. Returns (records scored, records with errors)."""
    from carecheck.data.columnar import result_schema
    from carecheck.data.parquet import ResultWriter

    progress = progress or Progress(None)
    if input_format is InputFormat.PARQUET:
        batches, schema = _parquet_results(assessor, source, jobs, definitions, progress, name)
    else:
        batches, schema = _text_results(assessor, source, input_format), result_schema(assessor)
    writer = ResultWriter(sink, schema)
    scored = failed = 0
    for batch in batches:
        writer.write(batch)
        scored += batch.num_rows
        failed += batch.num_rows - batch.column("error").null_count
        progress.advance(batch.num_rows)
    writer.close()
    progress.close()
    return scored, failed


def _parquet_results(
    assessor: Assessor,
    source: IO[bytes],
    jobs: int,
    definitions: tuple[str | None, str | None],
    progress: Progress,
    name: str,
) -> tuple[Iterator[Any], Any]:
    from carecheck.data.columnar import score_batch
    from carecheck.data.parquet import AnswerFile

    answers = AnswerFile(source, assessor, name)
    progress.measure_rows(answers.rows)
    schema = answers.result_schema(assessor)
    if jobs <= 1:
        return (score_batch(batch, assessor) for batch in answers.batches()), schema
    return _in_order(jobs, _score_arrow_task, answers.batches(), definitions, OutputFormat.PARQUET), schema


def _score_rows(scorer: LineScorer, batch: Any) -> list[Scored]:
    from carecheck.data.columnar import rows_of

    return [scorer.score(answers) for answers in rows_of(batch)]


def _score_rows_task(batch: Any) -> list[Scored]:
    scorer = _Worker.scorer
    assert scorer is not None
    return _score_rows(scorer, batch)


def _score_arrow_task(batch: Any) -> Any:
    scorer = _Worker.scorer
    assert scorer is not None
    from carecheck.data.columnar import score_batch

    return score_batch(batch, scorer.assessor)


def _in_order(
    jobs: int,
    task: Callable[[Any], Any],
    items: Iterator[Any],
    definitions: tuple[str | None, str | None],
    output: OutputFormat,
) -> Iterator[Any]:
    """`task` of each item in `jobs` worker processes, each with its own compiled assessor; results in order, with
    at most two tasks a worker in flight, so memory stays flat."""
    with ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(*definitions, output)) as pool:
        in_flight: deque[Future[Any]] = deque()
        for item in items:
            in_flight.append(pool.submit(task, item))
            while len(in_flight) >= jobs * 2:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()


def _text_results(assessor: Assessor, source: IO[bytes], input_format: InputFormat) -> Iterator[Any]:
    """JSON lines or CSV in, result batches out (for Parquet output). Record ids become text: a Parquet column has
    one type, and a JSON file may mix whole numbers and text."""
    from carecheck.data.columnar import ResultColumns, result_schema
    from carecheck.data.parquet import BATCH_ROWS

    scorer = LineScorer(assessor, OutputFormat.JSON)
    schema = result_schema(assessor)
    results = ResultColumns(assessor)
    for number, answers in _text_records(assessor, scorer, source, input_format):
        if isinstance(answers, str):
            results.add_error(None, f"line {number}: {answers}")
        else:
            results.add(answers)
        if len(results) >= BATCH_ROWS:
            yield _with_text_ids(results).batch(schema)
    if len(results):
        yield _with_text_ids(results).batch(schema)


def _with_text_ids(results: Any) -> Any:
    results.ids = [str(value) if type(value) is int else value for value in results.ids]
    return results


def _text_records(
    assessor: Assessor, scorer: LineScorer, source: IO[bytes], input_format: InputFormat
) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Each record of a JSON lines or CSV input with its line number: its answers, or why it cannot be read."""
    if input_format is InputFormat.JSONL:
        for number, line in read_lines(source, lambda: None):
            try:
                if line is None:
                    raise _Unreadable("the line is not UTF-8 text")
                yield number, scorer.parse_json(line)
            except _Unreadable as fault:
                yield number, str(fault)
        return
    rows = csv_rows(source, lambda: None)
    try:
        first = next(rows, None)
    except csv.Error as fault:
        raise _csv_fault(fault) from None
    if first is None:
        return
    if first[1] is None:
        from carecheck.core.errors import UsageError

        raise UsageError("the CSV header is not UTF-8 text; save the file as UTF-8")
    header = [cell.strip() for cell in first[1]]
    _check_header(assessor, header)
    for number, cells in _guarded(rows):
        try:
            if cells is None:
                raise _Unreadable("the line is not UTF-8 text")
            if len(cells) > len(header):
                raise _Unreadable("the row has more cells than the header has columns")
            yield number, scorer.from_csv_row(dict(zip(header, cells, strict=False)))
        except _Unreadable as fault:
            yield number, str(fault)
