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
import re
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import IO, Any, NamedTuple

from carecheck.core.assessor import Assessor
from carecheck.core.compiled import RECORD_ID
from carecheck.core.errors import AnswersError
from carecheck.core.items import kind_of
from carecheck.core.result import Result
from carecheck.core.safetext import literal
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
    """A count on stderr, redrawn at most ten times a second; silent unless stderr is a terminal."""

    def __init__(self, stream: IO[str] | None) -> None:
        self.stream = stream
        self.count = 0
        self.shown_at = 0.0

    def advance(self, records: int) -> None:
        self.count += records
        if self.stream is None:
            return
        import time

        now = time.monotonic()
        if now - self.shown_at >= 0.1:
            self.shown_at = now
            self.stream.write(f"\rscored {self.count:,} records")
            self.stream.flush()

    def close(self) -> None:
        if self.stream is not None and self.shown_at:
            self.stream.write(f"\rscored {self.count:,} records\n")
            self.stream.flush()


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
        if first[1] is None:
            from carecheck.core.errors import UsageError

            raise UsageError("the CSV header is not UTF-8 text; save the file as UTF-8")
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
