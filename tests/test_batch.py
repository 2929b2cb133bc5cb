"""`carecheck batch`: one result per record, in order, the same as `assess`, errors in place, streaming."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import select
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pexpect
import pytest

from carecheck import Assessor
from carecheck.cli.batch import run_batch
from carecheck.core.errors import AnswersError
from carecheck.core.result import result_to_dict
from carecheck.core.sampling import random_answers
from carecheck.core.wording import safety_dict
from carecheck.output.formats import BatchInput as InputFormat
from carecheck.output.formats import BatchOutput as OutputFormat
from carecheck.output.jsonresult import JsonResultWriter
from carecheck.output.render import result_json
from conftest import CARECHECK, baseline_answers, run_carecheck, spawn_carecheck


def records(assessor: Assessor, count: int, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [random_answers(assessor, rng, f"r{n}") for n in range(count)]


def batch_in_process(assessor: Assessor, text: str, **options: Any) -> tuple[list[str], int, int]:
    sink = io.StringIO()
    with tempfile.TemporaryFile() as stream:
        stream.write(text.encode())
        stream.seek(0)
        scored, failed = run_batch(assessor, stream, sink, **options)
    return sink.getvalue().splitlines(), scored, failed


@pytest.mark.slow
def test_600_random_records_give_line_for_line_what_assess_gives_alone(assessor: Assessor, tmp_path: Path) -> None:
    answer_sets = records(assessor, 600)
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(a) + "\n" for a in answer_sets))
    process = run_carecheck("batch", str(path))
    assert process.returncode == 0, process.stderr
    lines = process.stdout.splitlines()
    assert len(lines) == 600
    for answers, line in zip(answer_sets[:25], lines[:25], strict=True):
        one = tmp_path / "one.json"
        one.write_text(json.dumps(answers))
        alone = run_carecheck("assess", "--answers", str(one), "--format", "json")
        assert alone.returncode == 0, alone.stderr
        assert alone.stdout == line + "\n"
    for answers, line in zip(answer_sets, lines, strict=True):  # the rest in process: the same code as assess
        assert line == result_json(assessor.assess(answers), assessor)


@pytest.mark.slow
def test_the_fast_writer_is_byte_identical_to_plain_json_dumps(assessor: Assessor) -> None:
    writer = JsonResultWriter(assessor)
    extra = [
        baseline_answers() | {"id": 'ünï "quoted" \x1b[31m', "asq_1": True, "asq_5": True},
        baseline_answers() | {"id": 12, "phq9_9": 2, "audit_1": 1},
        baseline_answers() | {"pregnant": True, "hours_available": 2},
    ]
    for answers in records(assessor, 2000, seed=5) + extra:
        result = assessor.assess(answers)
        expected = json.dumps(
            result_to_dict(result, safety_dict(result, assessor), assessor.rules.rules.disclaimer),
            ensure_ascii=False,
            separators=(",", ":"),
        )
        assert writer.write(result) == expected


@pytest.mark.slow
def test_bad_records_come_back_as_error_objects_in_place(assessor: Assessor, tmp_path: Path) -> None:
    good = records(assessor, 4)
    lines = [
        json.dumps(good[0]),
        "this is not json",
        json.dumps(good[1]),
        json.dumps(baseline_answers() | {"id": "bad-value", "phq9_1": 9}),
        "[1, 2, 3]",
        '{"id": "twice", "age": 30, "age": 31}',
        "",
        json.dumps(good[2]),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    process = run_carecheck("batch", str(path))
    assert process.returncode == 1
    out = [json.loads(line) for line in process.stdout.splitlines()]
    assert len(out) == 7  # the blank line is skipped, every other line answered
    assert [o["id"] for o in out] == ["r0", None, "r1", "bad-value", None, None, "r2"]
    assert out[1]["error"]["kind"] == "unreadable-answers"
    assert out[1]["error"]["message"].startswith("line 2: not valid JSON")
    assert out[3]["error"]["problems"] == [{"item": "phq9_1", "message": "must be one of 0, 1, 2, 3, got 9"}]
    assert "line 5" in out[4]["error"]["message"]
    assert "'age' appears twice" in out[5]["error"]["message"]
    assert "level" in out[6]
    assert "Traceback" not in process.stderr


@pytest.mark.slow
def test_all_good_records_exit_0_and_stdin_works(assessor: Assessor) -> None:
    text = "".join(json.dumps(a) + "\n" for a in records(assessor, 20))
    process = run_carecheck("batch", "-", stdin=text)
    assert process.returncode == 0
    assert len(process.stdout.splitlines()) == 20


@pytest.mark.slow
def test_two_jobs_give_the_same_output_as_one(assessor: Assessor, tmp_path: Path) -> None:
    answer_sets = records(assessor, 700, seed=3)
    lines = [json.dumps(a) for a in answer_sets]
    lines[350] = "{broken"
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(lines) + "\n")
    one = run_carecheck("batch", str(path), "--jobs", "1")
    two = run_carecheck("batch", str(path), "--jobs", "2")
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout
    assert len(two.stdout.splitlines()) == 700


@pytest.mark.slow
def test_csv_in_and_csv_out(assessor: Assessor, tmp_path: Path) -> None:
    answer_sets = records(assessor, 30, seed=8)
    columns = ["id"] + [item.id for item in assessor.items]
    path = tmp_path / "answers.csv"
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, columns)
        writer.writeheader()
        for answers in answer_sets:
            writer.writerow(
                {k: ("[]" if v == [] else ";".join(v)) if isinstance(v, list) else v for k, v in answers.items()}
            )
    process = run_carecheck("batch", str(path), "--input-format", "csv", "--format", "csv")
    assert process.returncode == 0, process.stdout[-500:]
    rows = list(csv.DictReader(io.StringIO(process.stdout)))
    assert len(rows) == 30
    for answers, row in zip(answer_sets, rows, strict=True):
        expected = assessor.assess(answers)
        assert row["id"] == answers["id"]
        assert row["level"] == expected.level
        assert row["urgent"] == ("true" if expected.urgent else "false")
        assert row["phq9_total"] == str(expected.scores["phq9"].total)
        assert row["error"] == ""


@pytest.mark.slow
def test_a_csv_header_with_an_unknown_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text("id,phq_1\nx,1\n")
    process = run_carecheck("batch", str(path), "--input-format", "csv")
    assert process.returncode == 2
    assert "'phq_1' (did you mean 'phq9_1'?)" in process.stderr


@pytest.mark.slow
def test_results_stream_out_before_the_input_ends(assessor: Assessor) -> None:
    command = [sys.executable, *CARECHECK, "batch", "-"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as for most users
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    with subprocess.Popen(command, env=env, **pipes) as process:  # type: ignore[call-overload]
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write((json.dumps(records(assessor, 1)[0]) + "\n").encode())
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, "no result came back while the input was still open"
        assert json.loads(process.stdout.readline())["id"] == "r0"
        process.stdin.close()
        assert process.wait(timeout=60) == 0


def test_in_process_runs_count_what_they_scored(assessor: Assessor) -> None:
    text = json.dumps(baseline_answers()) + "\nnope\n"
    lines, scored, failed = batch_in_process(assessor, text)
    assert (scored, failed) == (2, 1)
    assert json.loads(lines[0])["level"] == "outpatient"
    csv_lines, _, _ = batch_in_process(assessor, text, output=OutputFormat.CSV)
    assert csv_lines[0].startswith("id,level,urgent,screen_positive,")
    assert csv_lines[2].endswith("line 2: not valid JSON: Expecting value: line 1 column 1 (char 0)")
    assert InputFormat("csv") is InputFormat.CSV


@pytest.mark.slow
def test_output_to_a_file_is_private_and_complete(assessor: Assessor, tmp_path: Path) -> None:
    source = tmp_path / "records.jsonl"
    source.write_text("".join(json.dumps(a) + "\n" for a in records(assessor, 10)))
    target = tmp_path / "out.jsonl"
    process = run_carecheck("batch", str(source), "--output", str(target))
    assert process.returncode == 0
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert len(target.read_text().splitlines()) == 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "records.jsonl"]


def test_results_written_straight_from_the_outcome_are_the_same_bytes(assessor: Assessor) -> None:
    writer = JsonResultWriter(assessor)
    extra = [
        baseline_answers() | {"id": 'ünï "quoted"', "asq_1": True, "asq_5": True},
        baseline_answers() | {"id": 12, "phq9_9": 2, "audit_1": 1},
        baseline_answers() | {"pregnant": True, "hours_available": 2},
    ]
    for answers in records(assessor, 2000, seed=9) + extra:
        values, warnings, record_id = assessor.check(answers)
        expected = writer.write(assessor.evaluate(values, warnings, record_id))
        assert writer.write_outcome(assessor.generated().decide(values), record_id, warnings) == expected


def test_a_key_given_twice_is_refused_wherever_it_is_and_colons_in_text_are_only_text(assessor: Assessor) -> None:
    answers = records(assessor, 1)[0] | {"id": "a:b:c"}
    lines = [
        json.dumps(answers),
        '{"id" : "spaced", "age" : 30 , "age":31}',
        '{"id": "nested", "age": {"x": 1, "x": 2}}',
        '{"id": "nested-ok", "age": {"x": 1, "y": ":"}}',
    ]
    out, _, failed = batch_in_process(assessor, "\n".join(lines))
    assert failed == 3
    assert out[0] == result_json(assessor.assess(answers), assessor)
    assert "'age' appears twice" in out[1]
    assert "'x' appears twice" in out[2]
    assert json.loads(out[3])["error"]["problems"][0]["item"] == "age"


@pytest.mark.slow
def test_lone_surrogates_are_refused_not_crashed_on(assessor: Assessor) -> None:
    with pytest.raises(AnswersError) as caught:
        assessor.assess(baseline_answers() | {"id": "\ud800"})
    assert caught.value.problems[0].item == "id"
    records = b"\n".join(json.dumps(baseline_answers() | {"id": n}).encode() for n in ("first", "\ud800", "third"))
    process = run_carecheck("batch", "-", stdin=records + b"\n")
    lines = process.stdout.decode().splitlines()
    assert process.returncode == 1
    assert [json.loads(line).get("id") for line in lines] == ["first", None, "third"]
    assert b"Traceback" not in process.stderr


@pytest.mark.slow
def test_batch_drops_a_byte_order_mark_and_reports_a_line_that_is_not_utf8(assessor: Assessor) -> None:
    good = json.dumps(baseline_answers() | {"id": "x"}).encode()
    process = run_carecheck("batch", "-", stdin=b"\xef\xbb\xbf" + good + b"\n" + b'{"id": "caf\xe9"}\n')
    assert process.returncode == 1, process.stderr
    lines = [json.loads(line) for line in process.stdout.decode().splitlines()]
    assert lines[0]["id"] == "x"
    assert lines[1]["error"]["message"] == "line 2: the line is not UTF-8 text"
    header = ",".join(["id", *baseline_answers()])
    row = ",".join(["r1", *("[]" if v == [] else str(v).lower() for v in baseline_answers().values())])
    csv_run = run_carecheck(
        "batch", "-", "--input-format", "csv", stdin=b"\xef\xbb\xbf" + f"{header}\n{row}\n".encode()
    )
    assert csv_run.returncode == 0, csv_run.stdout + csv_run.stderr
    assert json.loads(csv_run.stdout)["id"] == "r1"


@pytest.mark.slow
def test_csv_output_quotes_cells_that_hold_newlines() -> None:
    process = run_carecheck("batch", "-", "--format", "csv", stdin=b'{"id": "a\\nb", "age": 5}\n')
    assert process.returncode == 1, process.stderr
    rows = list(csv.reader(io.StringIO(process.stdout.decode())))
    assert len(rows) == 2
    assert rows[1][0] == "a\nb"
    assert "\n" in rows[1][-1]  # the error text lists each problem on its own line, inside one cell


@pytest.mark.slow
def test_csv_input_is_read_by_the_csv_rules_quotes_newlines_and_all() -> None:
    answers = baseline_answers()
    header = ",".join(["id", *answers])
    cells = ",".join("[]" if v == [] else str(v).lower() for v in answers.values())
    text = f'{header}\nr1 5",{cells}\n"multi\n\nline",{cells}\nr3,{cells}\n'
    process = run_carecheck("batch", "-", "--input-format", "csv", stdin=text.encode())
    assert process.returncode == 0, process.stderr
    ids = [json.loads(line)["id"] for line in process.stdout.decode().splitlines()]
    assert ids == ['r1 5"', "multi\n\nline", "r3"]


@pytest.mark.slow
def test_on_a_terminal_progress_shows_records_rate_elapsed_and_for_a_file_percent_and_time_left(
    assessor: Assessor, tmp_path: Path
) -> None:
    answers, results = tmp_path / "answers.jsonl", tmp_path / "results.json"
    answers.write_text("".join(json.dumps(record) + "\n" for record in records(assessor, 300)), encoding="utf-8")
    child = spawn_carecheck("batch", str(answers), "--output", str(results), dimensions=(24, 120))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before)
    assert "scored 300 records" in shown
    assert re.search(r"[\d,]+ records/s \d+:\d\d:\d\d", shown)
    assert re.search(r"100% \d+:\d\d:\d\d", shown), shown
    piped = run_carecheck("batch", str(answers), "--output", str(results), expect_exit=0)
    assert piped.stderr == ""  # not a terminal: nothing drawn


# --- CSV safety ---------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_repeated_csv_column_is_an_error_naming_the_file_and_the_column(tmp_path: Path) -> None:
    path = tmp_path / "answers.csv"
    path.write_text("id,asq_5,asq_5\nr1,true,false\n")
    process = run_carecheck("batch", str(path), "--input-format", "csv", expect_exit=2)
    assert process.stdout == ""
    assert f"{path}: the CSV header names the column 'asq_5' twice (columns 2 and 3)" in process.stderr


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "\tx"])
def test_csv_cells_a_spreadsheet_would_run_get_a_leading_quote(assessor: Assessor, cell: str) -> None:
    lines, _, _ = batch_in_process(
        assessor, json.dumps({**baseline_answers(), "id": cell}) + "\n", output=OutputFormat.CSV
    )
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    assert rows[1][0] == "'" + cell
    assert len(rows) == 2


def test_a_carriage_return_in_a_csv_cell_is_quoted_and_keeps_the_row_whole(assessor: Assessor) -> None:
    sink = io.StringIO()
    with tempfile.TemporaryFile() as stream:
        stream.write((json.dumps({**baseline_answers(), "id": "a\rb"}) + "\n").encode())
        stream.seek(0)
        run_batch(assessor, stream, sink, output=OutputFormat.CSV)
    assert '"a\rb",' in sink.getvalue()
    rows = list(csv.reader(io.StringIO(sink.getvalue(), newline="")))
    assert [row[0] for row in rows] == ["id", "a\rb"]


def test_an_escape_sequence_in_a_csv_cell_is_shown_not_sent(assessor: Assessor) -> None:
    lines, _, _ = batch_in_process(
        assessor, json.dumps({**baseline_answers(), "id": "\x1b]0;owned\x07\u202e"}) + "\n", output=OutputFormat.CSV
    )
    assert "\x1b" not in "".join(lines)
    assert "\\x1b]0;owned\\x07\\u202e" in lines[1]


# --- limits: long lines, endless input, memory with --jobs ---------------------------------------------------------


def test_a_record_over_the_line_limit_gets_an_error_line_and_the_run_goes_on(assessor: Assessor) -> None:
    from carecheck.core.limits import MAX_RECORD_BYTES

    good = json.dumps(baseline_answers())
    text = f'{good}\n{{"id": "{"x" * (MAX_RECORD_BYTES + 10)}"}}\n{good}\n'
    lines, scored, failed = batch_in_process(assessor, text)
    assert (scored, failed) == (3, 1)
    assert json.loads(lines[1])["error"]["message"].startswith("line 2: the record is longer than 1,048,576 bytes")
    assert json.loads(lines[2])["level"] == "outpatient"


def test_a_csv_cell_over_128_kb_is_read_and_a_row_over_the_limit_is_an_error_line(assessor: Assessor) -> None:
    from carecheck.core.limits import MAX_RECORD_BYTES

    answers = baseline_answers()
    header = ",".join(["id", *answers])
    row = ",".join(
        (";".join(value) or "[]") if isinstance(value, list) else str(value).lower() for value in answers.values()
    )
    text = f"{header}\n{'a' * 200_000},{row}\n{'b' * (MAX_RECORD_BYTES + 1)},{row}\nlast,{row}\n"
    lines, scored, failed = batch_in_process(assessor, text, input_format=InputFormat.CSV)
    assert (scored, failed) == (3, 1)
    assert json.loads(lines[0])["id"] == "a" * 200_000
    assert "line 3: the record is longer than" in json.loads(lines[1])["error"]["message"]
    assert json.loads(lines[2])["id"] == "last"


def test_one_line_of_40_mb_is_read_in_linear_time() -> None:
    import time

    from carecheck.cli.batch import read_lines

    with tempfile.TemporaryFile() as stream:
        stream.write(b"a" * 40_000_000 + b"\n{}\n")
        stream.seek(0)
        started = time.perf_counter()
        lines = list(read_lines(stream, lambda: None))
        took = time.perf_counter() - started
    assert [number for number, _ in lines] == [1, 2]
    assert took < 4, f"{took:.1f} s"


@pytest.mark.slow
def test_batch_of_dev_zero_ends_with_an_error() -> None:
    process = run_carecheck("batch", "/dev/zero", timeout=30, expect_exit=2)
    assert "NUL byte (line 1)" in process.stderr


def test_tasks_for_workers_are_bounded_in_bytes_as_well_as_records() -> None:
    from carecheck.cli.batch import _chunks
    from carecheck.core.limits import BATCH_TASK_BYTES

    big = [(n, "x" * 400_000) for n in range(20)]
    tasks = list(_chunks(iter(big), 256))  # type: ignore[arg-type]
    assert sum(map(len, tasks)) == 20
    assert all(sum(len(line) for _, line in task) <= BATCH_TASK_BYTES + 400_000 for task in tasks)
    assert max(map(len, tasks)) == 3


# --- ending a run: signals, and workers that end with their parent ------------------------------------------------


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _start_a_batch_with_workers(assessor: Assessor, tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    import time

    command = [sys.executable, *CARECHECK, "batch", "-", "--jobs", "2", *args]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdin is not None
    process.stdin.write("".join(json.dumps(a) + "\n" for a in records(assessor, 600)).encode())
    process.stdin.flush()  # and kept open: the run waits for more
    deadline = time.monotonic() + 60
    while len(_children(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)
    return process


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="looks for worker processes in /proc (Linux)")
@pytest.mark.parametrize(("signal_name", "code"), [("SIGTERM", 143), ("SIGHUP", 129), ("SIGINT", 130)])
def test_a_signal_ends_the_batch_removing_its_partial_output_and_its_workers(
    assessor: Assessor, tmp_path: Path, signal_name: str, code: int
) -> None:
    import signal

    output = tmp_path / "out" / "results.jsonl"
    output.parent.mkdir()
    process = _start_a_batch_with_workers(assessor, tmp_path, "--output", str(output))
    workers = _children(process.pid)
    assert len(workers) >= 2
    assert list(output.parent.iterdir()) != []  # the partial output is there while the run goes on
    process.send_signal(getattr(signal, signal_name))
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == code, stderr
    assert b"Traceback" not in stderr
    assert list(output.parent.iterdir()) == []
    assert not any(_alive(worker) for worker in workers)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="looks for worker processes in /proc (Linux)")
def test_workers_end_when_their_parent_is_killed(assessor: Assessor, tmp_path: Path) -> None:
    import signal
    import time

    process = _start_a_batch_with_workers(assessor, tmp_path)
    workers = _children(process.pid)
    assert len(workers) >= 2
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    deadline = time.monotonic() + 10
    while any(_alive(worker) for worker in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(worker) for worker in workers)
    assert process.stdout is not None
    process.stdout.read()  # would hang while a worker held the pipe open
    process.stdout.close()
    process.stderr.close()  # type: ignore[union-attr]
    process.stdin.close()  # type: ignore[union-attr]


def test_a_record_with_a_5000_digit_number_gets_an_error_line_in_carecheck_words(assessor: Assessor) -> None:
    lines, scored, failed = batch_in_process(assessor, '{"age": ' + "9" * 5000 + "}\n")
    assert (scored, failed) == (1, 1)
    message = json.loads(lines[0])["error"]["message"]
    assert message == "line 1: a number of over 4,300 digits; no answer needs one"
