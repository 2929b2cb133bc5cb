"""Parquet in `carecheck batch`: told from the file, streamed batch by batch, the same results as JSON lines."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carecheck import Assessor
from carecheck.cli.batch import input_format_of, run_batch, run_batch_to_parquet, run_parquet_batch
from carecheck.core.errors import UsageError
from carecheck.data.columnar import assess_table
from carecheck.data.parquet import BATCH_ROWS, starts_as_parquet
from carecheck.output.formats import BatchInput, BatchOutput
from conftest import run_carecheck
from test_columnar import as_table, mixed_records


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same 600 records, some bad, as a Parquet file of small row groups and as JSON lines."""
    from conftest import _ASSESSOR as assessor

    folder = tmp_path_factory.mktemp("parquet")
    records = mixed_records(assessor, 600, seed=23)
    parquet, jsonl = folder / "answers.parquet", folder / "answers.jsonl"
    pq.write_table(as_table(assessor, records), parquet, row_group_size=100)
    jsonl.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return parquet, jsonl


def test_parquet_is_told_by_its_magic_bytes_and_looking_moves_nothing(answers: tuple[Path, Path]) -> None:
    parquet, jsonl = answers
    with parquet.open("rb") as stream:
        assert input_format_of(stream, None, "answers.parquet") is BatchInput.PARQUET
        assert stream.tell() == 0
    with jsonl.open("rb") as stream:
        assert input_format_of(stream, None, "answers.jsonl") is BatchInput.JSONL
        assert input_format_of(stream, BatchInput.CSV, "answers.jsonl") is BatchInput.CSV
        with pytest.raises(UsageError, match="not a Parquet file"):
            input_format_of(stream, BatchInput.PARQUET, "answers.jsonl")
    assert not starts_as_parquet(io.BytesIO(b"PAR1"))  # not a file: no position to read from


def test_parquet_in_gives_the_lines_json_lines_in_gives(assessor: Assessor, answers: tuple[Path, Path]) -> None:
    parquet, jsonl = answers
    for output in (BatchOutput.JSON, BatchOutput.CSV):
        from_parquet, from_jsonl = io.StringIO(), io.StringIO()
        with parquet.open("rb") as stream:
            counts = run_parquet_batch(assessor, stream, from_parquet, output=output)
        with jsonl.open("rb") as stream:
            assert run_batch(assessor, stream, from_jsonl, output=output) == counts
        assert from_parquet.getvalue() == from_jsonl.getvalue()
        assert counts[1] > 0


def test_json_lines_in_parquet_out_holds_what_the_columnar_api_gives(
    assessor: Assessor, answers: tuple[Path, Path], tmp_path: Path
) -> None:
    parquet, jsonl = answers
    results = tmp_path / "results.parquet"
    with jsonl.open("rb") as stream, results.open("wb") as sink:
        scored, failed = run_batch_to_parquet(assessor, stream, sink, input_format=BatchInput.JSONL)
    written = pq.read_table(results)
    expected = assess_table(pq.read_table(parquet), assessor)
    assert (scored, failed) == (600, 600 - expected.column("error").null_count)
    assert written.schema.equals(expected.schema, check_metadata=True)
    assert written == expected


def test_an_empty_input_still_gives_a_parquet_file_with_every_column(assessor: Assessor, tmp_path: Path) -> None:
    empty, results = tmp_path / "empty.jsonl", tmp_path / "results.parquet"
    empty.write_text("")
    with empty.open("rb") as stream, results.open("wb") as sink:
        assert run_batch_to_parquet(assessor, stream, sink, input_format=BatchInput.JSONL) == (0, 0)
    table = pq.read_table(results)
    assert table.num_rows == 0
    assert table.column_names[:3] == ["id", "level", "urgent"]


@pytest.mark.slow
def test_a_big_file_is_read_and_written_a_batch_at_a_time(assessor: Assessor, tmp_path: Path) -> None:
    answers, results = tmp_path / "big.parquet", tmp_path / "results.parquet"
    records = mixed_records(assessor, 100, seed=2) * ((2 * BATCH_ROWS) // 100 + 1)
    pq.write_table(as_table(assessor, records), answers, row_group_size=len(records))
    with answers.open("rb") as stream, results.open("wb") as sink:
        run_batch_to_parquet(assessor, stream, sink)
    file = pq.ParquetFile(results)
    assert file.metadata.num_rows == len(records)
    assert [file.metadata.row_group(n).num_rows for n in range(file.num_row_groups)] == [
        BATCH_ROWS,
        BATCH_ROWS,
        len(records) - 2 * BATCH_ROWS,
    ]


def test_a_file_that_is_not_parquet_past_its_magic_bytes_is_refused_by_name(assessor: Assessor, tmp_path: Path) -> None:
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1" + b"\0" * 100)
    with broken.open("rb") as stream, pytest.raises(UsageError, match=r"broken.parquet: not a readable Parquet file"):
        run_parquet_batch(assessor, stream, io.StringIO(), name="broken.parquet")


def test_a_parquet_column_that_is_no_item_is_refused(assessor: Assessor, tmp_path: Path) -> None:
    odd = tmp_path / "odd.parquet"
    pq.write_table(pa.table({"id": ["a"], "agee": [30]}), odd)
    with odd.open("rb") as stream, pytest.raises(UsageError, match=r"'agee'.*'age'"):
        run_parquet_batch(assessor, stream, io.StringIO())


@pytest.mark.slow
def test_parquet_in_and_out_from_the_command_line(
    assessor: Assessor, answers: tuple[Path, Path], tmp_path: Path
) -> None:
    parquet, _ = answers
    results = tmp_path / "results.parquet"
    run_carecheck("batch", str(parquet), "--format", "parquet", "--output", str(results), expect_exit=1)
    assert stat.S_IMODE(results.stat().st_mode) == 0o600
    expected = assess_table(pq.read_table(parquet), assessor)
    assert pq.read_table(results) == expected
    two_jobs = tmp_path / "two.parquet"
    run_carecheck("batch", str(parquet), "-f", "parquet", "-o", str(two_jobs), "--jobs", "2", expect_exit=1)
    assert pq.read_table(two_jobs) == expected
    by_lines = run_carecheck("batch", str(parquet), "--jobs", "2", expect_exit=1)
    assert by_lines.stdout == run_carecheck("batch", str(answers[1]), expect_exit=1).stdout


@pytest.mark.slow
def test_the_command_line_refuses_parquet_it_cannot_handle_in_one_line(answers: tuple[Path, Path]) -> None:
    parquet, jsonl = answers
    piped = run_carecheck("batch", "-", stdin=parquet.read_bytes(), expect_exit=2)
    assert piped.stderr.decode().count("\n") == 1
    assert b"not a pipe: pass the file's path" in piped.stderr
    assert piped.stdout == b""
    to_terminal = run_carecheck("batch", str(parquet), "--format", "parquet", expect_exit=2)
    assert "pass --output results.parquet" in to_terminal.stderr
    told_wrong = run_carecheck("batch", str(jsonl), "--input-format", "parquet", expect_exit=2)
    assert "not a Parquet file" in told_wrong.stderr
    blocked = "import sys; sys.modules['pyarrow'] = None; from carecheck.cli.app import main; main()"
    without = run_carecheck("batch", str(parquet), entry=("-c", blocked), expect_exit=2)
    assert (
        without.stderr
        == "carecheck: reading and writing Arrow and Parquet needs pyarrow: pip install 'carecheck[data]'\n"
    )


def test_json_ids_of_both_kinds_become_one_text_column_in_parquet(assessor: Assessor, tmp_path: Path) -> None:
    first, second = mixed_records(assessor, 2, seed=4)
    answers, results = tmp_path / "answers.jsonl", tmp_path / "results.parquet"
    answers.write_text(json.dumps(first | {"id": 7}) + "\n" + json.dumps(second | {"id": "r2"}) + "\nnot json\n")
    with answers.open("rb") as stream, results.open("wb") as sink:
        run_batch_to_parquet(assessor, stream, sink, input_format=BatchInput.JSONL)
    table = pq.read_table(results)
    assert table.column("id").to_pylist() == ["7", "r2", None]
    assert table.column("error").to_pylist()[2].startswith("line 3: not valid JSON")
