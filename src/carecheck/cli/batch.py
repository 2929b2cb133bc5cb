"""`carecheck batch`: answer records in (JSON lines or CSV), one result per record out, in order, streaming.

A bad record becomes an error object on its own line and the run goes on. Input is read in chunks as it arrives
and output is flushed before every wait for more input, so a service that writes one record at a time gets its
answer at once, while a large file is processed in large, cheap steps. Memory stays flat however long the input.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import signal
import stat
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import AbstractContextManager
from typing import IO, Any, NamedTuple

from carecheck.core.assessor import Assessor
from carecheck.core.compiled import RECORD_ID
from carecheck.core.errors import AnswersError
from carecheck.core.items import kind_of
from carecheck.core.limits import BATCH_TASK_BYTES, MAX_RECORD_BYTES
from carecheck.core.result import Result
from carecheck.core.safetext import literal
from carecheck.output.formats import BatchInput as InputFormat
from carecheck.output.formats import BatchOutput as OutputFormat
from carecheck.output.jsonresult import JsonResultWriter
from carecheck.output.render import error_json

CHUNK_BYTES = 1 << 16
LINES_PER_TASK = 256
"""Records sent to a worker process at a time with --jobs: large enough to amortise the hand-over."""


class Unreadable(NamedTuple):
    """A record that cannot be read as text: why (it becomes the error line of that record)."""

    reason: str


NOT_UTF8 = Unreadable("the line is not UTF-8 text")
TOO_LONG = Unreadable(f"the record is longer than {MAX_RECORD_BYTES:,} bytes, the most one record may be")

Line = tuple[int, str | Unreadable]
"""An input line's number and its text, or why it cannot be read."""
Row = tuple[int, list[str] | Unreadable]
"""A CSV row's first line number and its cells, or why it cannot be read."""
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
        except json.JSONDecodeError as error:
            raise _Unreadable(f"not valid JSON: {error}") from None
        except ValueError as error:  # Python's own limit on the digits of an integer
            if "appears twice" in str(error):
                raise _Unreadable(f"not valid JSON: {error}") from None
            raise _Unreadable("a number of over 4,300 digits; no answer needs one") from None
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

    def score_json_line(self, number: int, line: str | Unreadable) -> Scored:
        try:
            if not isinstance(line, str):
                raise _Unreadable(line.reason)
            return self.score(self.parse_json(line))
        except _Unreadable as fault:
            return self.error("unreadable-answers", f"line {number}: {fault}", [])


class _Unreadable(Exception):
    pass


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is run as a formula by spreadsheets (CSV injection): it gets a leading `'`."""


def _csv_cell(cell: Any) -> Any:
    if cell is True or cell is False:
        return "true" if cell else "false"
    if not isinstance(cell, str):
        return cell
    # Line breaks stay (the cell is quoted); every other control character is shown as `\x1b`, so that an id from
    # the input can drive neither a terminal nor a spreadsheet.
    shown = _NOT_LINE_BREAKS.sub(lambda part: literal(part.group()), cell)
    return "'" + shown if shown.startswith(_FORMULA_STARTS) else shown


_NOT_LINE_BREAKS = re.compile(r"[^\r\n]+")


def _csv_line(cells: list[Any]) -> str:
    # "\r\n" as the terminator, so that the writer quotes cells holding a carriage return as well as a newline;
    # the caller adds its own line end.
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([_csv_cell(cell) for cell in cells])
    return buffer.getvalue()[:-2]


# --- streaming input ----------------------------------------------------------------------------------------------


def _physical_lines(stream: IO[bytes], before_wait: Callable[[], None]) -> Iterator[tuple[int, bytes | None]]:
    """Numbered lines (without their newline) as they arrive; None for a line over MAX_RECORD_BYTES, whose bytes
    are dropped as they come. `before_wait` runs before each read that may block. A byte-order mark at the start
    (Excel writes one) is dropped. Each byte is looked at once, whatever the lines' lengths."""
    descriptor = stream.fileno()
    pending = bytearray()
    skipping = False  # inside a line that is already too long
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
        if b"\0" in chunk:  # no text holds one; /dev/zero or a binary file would otherwise be read for ever
            from carecheck.core.errors import UsageError

            raise UsageError(
                f"the input holds a NUL byte (line {number + 1 + chunk[: chunk.index(0)].count(10)}): it is binary "
                "data, not records of text; the records before it were scored"
            )
        pieces = chunk.split(b"\n")
        if len(pieces) > 1:
            number += 1
            if skipping or len(pending) + len(pieces[0]) > MAX_RECORD_BYTES:
                yield number, None
            else:
                pending += pieces[0]
                yield number, bytes(pending)
            pending.clear()
            skipping = False
            for piece in pieces[1:-1]:
                number += 1
                yield number, piece if len(piece) <= MAX_RECORD_BYTES else None
        if not skipping:
            pending += pieces[-1]
            if len(pending) > MAX_RECORD_BYTES:
                skipping = True
                pending.clear()
    if skipping:
        yield number + 1, None
    elif pending:
        yield number + 1, bytes(pending)


def read_lines(stream: IO[bytes], before_wait: Callable[[], None]) -> Iterator[Line]:
    """Numbered non-blank lines as they arrive, as text or the reason they cannot be read."""
    for number, piece in _physical_lines(stream, before_wait):
        if piece is None:
            yield number, TOO_LONG
        elif piece.strip():
            yield number, _decoded(piece)


def _decoded(piece: bytes) -> str | Unreadable:
    try:
        return piece.decode("utf-8")
    except UnicodeDecodeError:
        return NOT_UTF8


def csv_rows(stream: IO[bytes], before_wait: Callable[[], None]) -> Iterator[Row]:
    """CSV rows as they arrive, numbered by the line they start on, or why a row cannot be read. The csv module
    does the parsing, so quoted cells may hold commas, quotes, newlines and blank lines."""
    bad: dict[int, Unreadable] = {}

    def text_lines() -> Iterator[str]:
        for number, piece in _physical_lines(stream, before_wait):
            if piece is None:
                bad[number] = TOO_LONG
                yield "\n"
                continue
            try:
                yield piece.decode("utf-8") + "\n"
            except UnicodeDecodeError:
                bad[number] = NOT_UTF8
                yield piece.decode("utf-8", errors="replace") + "\n"

    # A cell may be as long as a record (the csv module's own limit is 128 KB); longer lines never reach it.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_BYTES))
    reader = csv.reader(text_lines())
    start = 1
    for row in reader:
        rows_lines = range(start, reader.line_num + 1)
        number, start = start, reader.line_num + 1
        faults = [bad[line] for line in rows_lines if line in bad]
        if faults:
            yield number, faults[0]
        elif row and row != [""]:
            yield number, row


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


class Stopped(KeyboardInterrupt):
    """The run was ended by SIGTERM or SIGHUP: it ends as Ctrl-C does (partial output removed, workers stopped),
    and the command exits 128 + the signal's number, as a shell reports it."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.signal_number = number


@contextlib.contextmanager
def ended_by_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise `Stopped` in the main thread while the block runs, so the run unwinds cleanly."""

    def stop(number: int, _: object) -> None:
        raise Stopped(number)

    previous = {number: signal.signal(number, stop) for number in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


PR_SET_PDEATHSIG = 1
"""prctl(2)'s option: the signal a process gets when its parent ends (Linux)."""


def _die_with_parent(parent: int) -> None:
    """A worker ends when its parent does, however the parent ended (even by SIGKILL): a worker left behind would
    wait for work for ever, holding the pipeline's output open so that its reader hangs."""
    watched = True
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            watched = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0
        except (OSError, AttributeError):
            watched = True
    if watched:  # elsewhere, a thread that notices the parent is gone

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # the parent ended before the line above took effect
        os._exit(1)


def _start_worker(questionnaire: str | None, rules: str | None, output: OutputFormat, parent: int) -> None:
    _die_with_parent(parent)
    # The parent alone decides when the run ends: Ctrl-C reaches the whole process group, and the parent then
    # stops its workers; a worker's own traceback would only clutter the terminal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
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
            if isinstance(cells, Unreadable):
                raise _Unreadable(cells.reason)
            if isinstance(cells, str):
                raise _Unreadable("the line is not a CSV row")
            if len(cells) > len(header):
                raise _Unreadable("the row has more cells than the header has columns")
            out.append(scorer.score(scorer.from_csv_row(dict(zip(header, cells, strict=False)))))
        except _Unreadable as fault:
            out.append(scorer.error("unreadable-answers", f"line {number}: {fault}", []))
    return out


def _chunks(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    """Tasks of `size` records, or fewer where they would hold more than BATCH_TASK_BYTES: with large records,
    memory stays bounded by the tasks in flight, not by their count alone."""
    task: list[Record] = []
    held = 0
    for record in records:
        task.append(record)
        content = record[1]
        held += len(content) if isinstance(content, str) else sum(map(len, content)) if isinstance(content, list) else 0
        if len(task) >= size or held >= BATCH_TASK_BYTES:
            yield task
            task = []
            held = 0
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
    name: str = "the CSV input",
) -> tuple[int, int]:
    """Score every record from `source` onto `sink`, in order. Returns (records scored, records with errors).

    With `jobs` > 1, records go to that many worker processes in tasks of LINES_PER_TASK, with a bounded number
    of tasks in flight, so memory stays flat and order is kept; `definitions` names what the workers load; `name`
    is how messages name the input.
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
        if isinstance(first[1], Unreadable):
            from carecheck.core.errors import UsageError

            raise UsageError(f"{name}: the CSV header cannot be read: {first[1].reason}; save the file as UTF-8")
        header = [cell.strip() for cell in first[1]]
        _check_header(assessor, header, name)
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
        pool = ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(*definitions, output, os.getpid()))
        try:
            in_flight: deque[Future[list[Scored]]] = deque()
            for task in _chunks(records, LINES_PER_TASK):
                in_flight.append(pool.submit(_score_task, task, input_format, header))
                while len(in_flight) >= jobs * 2:
                    emit(in_flight.popleft().result())
            while in_flight:
                emit(in_flight.popleft().result())
        except BaseException:
            _stop_workers(pool)
            raise
        pool.shutdown()
    sink.flush()
    progress.close()
    return scored, failed


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the workers now, rather than letting them finish the tasks in flight (an interrupted run ends at once)."""
    workers = list((getattr(pool, "_processes", None) or {}).values())  # no public way to stop them: its own list
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join(5)
    # Let the executor's own thread see its workers gone and end now: left to the interpreter's exit, it would race
    # the closing of its wake-up pipe and print a traceback.
    pool.shutdown(wait=True)


def _guarded(rows: Iterator[Row]) -> Iterator[Row]:
    try:
        yield from rows
    except csv.Error as fault:
        raise _csv_fault(fault) from None


def _csv_fault(fault: csv.Error) -> Exception:
    from carecheck.core.errors import UsageError

    return UsageError(f"the CSV cannot be read further: {fault}; the rows before it were scored")


def _check_header(assessor: Assessor, header: list[str], name: str) -> None:
    from carecheck.core.conditions import suggest
    from carecheck.core.errors import UsageError

    seen: dict[str, int] = {}
    for number, column in enumerate(header, 1):
        if column in seen:  # dict(zip(...)) would keep the last silently: one answer would hide another
            raise UsageError(
                f"{name}: the CSV header names the column {column!r} twice (columns {seen[column]} and {number}); "
                "keep one of them"
            )
        seen[column] = number
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
            name=name,
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
        batches, schema = _text_results(assessor, source, input_format, name), result_schema(assessor)
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
    with ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(*definitions, output, os.getpid())) as pool:
        in_flight: deque[Future[Any]] = deque()
        for item in items:
            in_flight.append(pool.submit(task, item))
            while len(in_flight) >= jobs * 2:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()


def _text_results(assessor: Assessor, source: IO[bytes], input_format: InputFormat, name: str) -> Iterator[Any]:
    """JSON lines or CSV in, result batches out (for Parquet output). Record ids become text: a Parquet column has
    one type, and a JSON file may mix whole numbers and text."""
    from carecheck.data.columnar import ResultColumns, result_schema
    from carecheck.data.parquet import BATCH_ROWS

    scorer = LineScorer(assessor, OutputFormat.JSON)
    schema = result_schema(assessor)
    results = ResultColumns(assessor)
    for number, answers in _text_records(assessor, scorer, source, input_format, name):
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
    assessor: Assessor, scorer: LineScorer, source: IO[bytes], input_format: InputFormat, name: str
) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Each record of a JSON lines or CSV input with its line number: its answers, or why it cannot be read."""
    if input_format is InputFormat.JSONL:
        for number, line in read_lines(source, lambda: None):
            try:
                if isinstance(line, Unreadable):
                    raise _Unreadable(line.reason)
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
    if isinstance(first[1], Unreadable):
        from carecheck.core.errors import UsageError

        raise UsageError(f"{name}: the CSV header cannot be read ({first[1].reason}); save the file as UTF-8")
    header = [cell.strip() for cell in first[1]]
    _check_header(assessor, header, name)
    for number, cells in _guarded(rows):
        try:
            if isinstance(cells, Unreadable):
                raise _Unreadable(cells.reason)
            if len(cells) > len(header):
                raise _Unreadable("the row has more cells than the header has columns")
            yield number, scorer.from_csv_row(dict(zip(header, cells, strict=False)))
        except _Unreadable as fault:
            yield number, str(fault)
