"""The columnar API: a table of answers in, a table of results out, field for field what `carecheck batch` says."""

from __future__ import annotations

import json
import random
import sys
import tempfile
from typing import Any

import pyarrow as pa
import pytest

from carecheck import Assessor, UsageError
from carecheck.cli.batch import run_batch
from carecheck.core.sampling import random_answers
from carecheck.data.columnar import (
    INSTALL_HINT,
    answer_schema,
    assess_batches,
    assess_table,
    require_pyarrow,
    result_schema,
)


def spoil(record: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """One of the faults a real table holds, in a value its column's type can carry."""
    bad = dict(record)
    fault = rng.randrange(5)
    if fault == 0:
        bad["age"] = 212  # out of range
    elif fault == 1:
        bad["phq9_1"] = 7  # not one of the choices
    elif fault == 2:
        bad["housing"] = "castle"  # not one of the choices
    elif fault == 3:
        bad.pop("age")  # a required item left empty
    else:
        bad["substances"] = ["alcohol", "moonbeams"]  # one choice that does not exist
    return bad


def mixed_records(assessor: Assessor, count: int, seed: int) -> list[dict[str, Any]]:
    """Seeded random answer sets, about one in ten spoiled, some answering an item that was not asked (a warning)."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        record = random_answers(assessor, rng, f"r{n}")
        roll = rng.random()
        if roll < 0.1:
            record = spoil(record, rng)
        elif roll < 0.15 and "audit_1" not in record:
            record["audit_1"] = 2  # answered though alcohol was not named: ignored, with a warning
        out.append(record)
    return out


def as_table(assessor: Assessor, records: list[dict[str, Any]], id_type: pa.DataType | None = None) -> pa.Table:
    return pa.Table.from_pylist(records, schema=answer_schema(assessor, id_type))


def batch_json(assessor: Assessor, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What `carecheck batch` writes for the records as JSON lines, one object per record."""
    text = "".join(json.dumps(record) + "\n" for record in records)
    sink = __import__("io").StringIO()
    with tempfile.TemporaryFile() as stream:
        stream.write(text.encode())
        stream.seek(0)
        run_batch(assessor, stream, sink)
    return [json.loads(line) for line in sink.getvalue().splitlines()]


def expected_row(assessor: Assessor, result: dict[str, Any]) -> dict[str, Any]:
    """A `batch` JSON object as the row the results table should hold for it."""
    row: dict[str, Any] = {"id": result["id"]}
    if "error" in result:
        row |= {"level": None, "urgent": None, "safety_note": None, "screen_positive": None}
        for instrument in assessor.instruments:
            row |= {f"{instrument.id}_total": None, f"{instrument.id}_band": None}
        return row | {"fired_rules": None, "warnings": None, "error": result["error"]["message"]}
    row |= {
        "level": result["level"],
        "urgent": result["urgent"],
        "safety_note": result["safety"] is not None,
        "screen_positive": result["screen_positive"],
    }
    for instrument in assessor.instruments:
        score = result["scores"].get(instrument.id)
        row[f"{instrument.id}_total"] = None if score is None else score["total"]
        row[f"{instrument.id}_band"] = None if score is None else score["band"]
    return row | {
        "fired_rules": [reason["rule"] for reason in result["reasons"]],
        "warnings": result["warnings"],
        "error": None,
    }


def test_600_records_with_bad_rows_give_field_for_field_what_batch_gives(assessor: Assessor) -> None:
    records = mixed_records(assessor, 600, seed=17)
    expected = [expected_row(assessor, result) for result in batch_json(assessor, records)]
    table = assess_table(as_table(assessor, records), assessor)
    assert table.num_rows == 600
    assert table.to_pylist() == expected
    failed = [row for row in expected if row["error"] is not None]
    warned = [row for row in expected if row["warnings"]]
    assert 30 < len(failed) < 100, "the test must hold bad rows to mean anything"
    assert warned, "and rows that scored with a warning"


def test_a_table_of_many_batches_and_a_stream_of_batches_keep_their_rows_in_order(assessor: Assessor) -> None:
    table = as_table(assessor, mixed_records(assessor, 300, seed=5))
    whole = assess_table(table.combine_chunks(), assessor)
    pieces = pa.Table.from_batches(table.to_batches(max_chunksize=64))
    assert pieces.num_rows == 300
    assert len(pieces.to_batches()) == 5
    assert assess_table(pieces, assessor).to_pylist() == whole.to_pylist()
    streamed = list(assess_batches(pieces.to_batches(), assessor))
    assert [batch.num_rows for batch in streamed] == [64, 64, 64, 64, 44]
    assert pa.Table.from_batches(streamed).to_pylist() == whole.to_pylist()
    one = assess_table(pieces.to_batches()[1], assessor)
    assert one.to_pylist() == whole.slice(64, 64).to_pylist()


def test_whole_number_ids_stay_whole_numbers_and_a_table_without_ids_gets_nulls(assessor: Assessor) -> None:
    records = mixed_records(assessor, 20, seed=3)
    numbered = [record | {"id": n} for n, record in enumerate(records)]
    results = assess_table(as_table(assessor, numbered, pa.int64()), assessor)
    assert results.schema.field("id").type == pa.int64()
    assert results.column("id").to_pylist() == list(range(20))
    anonymous = as_table(assessor, records).drop_columns(["id"])
    assert assess_table(anonymous, assessor).column("id").to_pylist() == [None] * 20


def test_values_of_other_types_convert_as_in_an_answer_file(assessor: Assessor) -> None:
    records = mixed_records(assessor, 50, seed=8)
    text_types = pa.schema(
        [field if pa.types.is_list(field.type) else field.with_type(pa.string()) for field in answer_schema(assessor)]
    )
    as_text = pa.Table.from_pylist(
        [{key: value if isinstance(value, list) else str(value).lower() for key, value in r.items()} for r in records],
        schema=text_types,
    )
    assert as_text.schema.field("age").type == pa.string()
    expected = assess_table(as_table(assessor, records), assessor)
    converted = assess_table(as_text, assessor)
    # The same results; an error message quotes the value as given ('212' rather than 212).
    assert converted.drop_columns(["warnings", "error"]) == expected.drop_columns(["warnings", "error"])
    assert converted.column("error").is_null() == expected.column("error").is_null()


def test_a_column_that_is_no_item_is_refused_with_the_likely_name(assessor: Assessor) -> None:
    table = as_table(assessor, mixed_records(assessor, 3, seed=1)).append_column("agee", pa.array([1, 2, 3]))
    with pytest.raises(UsageError, match=r"not items of the questionnaire: 'agee'.*'age'"):
        assess_table(table, assessor)


def test_the_results_carry_crisis_help_and_the_definitions_in_their_metadata(assessor: Assessor) -> None:
    metadata = result_schema(assessor).metadata
    crisis = json.loads(metadata[b"carecheck.crisis_help"])
    assert crisis["urgent"] is True
    assert "988" in json.dumps(crisis)
    assert json.loads(metadata[b"carecheck.rules"])["id"] == "level-of-care"
    assert assess_table(as_table(assessor, []), assessor).schema.equals(result_schema(assessor), check_metadata=True)


def test_without_an_assessor_the_built_in_definitions_are_compiled_once_per_process(assessor: Assessor) -> None:
    from carecheck.data.columnar import cached_assessor

    table = as_table(assessor, mixed_records(assessor, 10, seed=2))
    first = assess_table(table)
    misses = cached_assessor.cache_info().misses
    assert assess_table(table).to_pylist() == first.to_pylist() == assess_table(table, assessor).to_pylist()
    assert cached_assessor.cache_info().misses == misses


def test_without_pyarrow_one_line_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(UsageError) as caught:
        require_pyarrow()
    assert caught.value.message == INSTALL_HINT
    assert "pip install 'carecheck[data]'" in INSTALL_HINT
    assert "\n" not in INSTALL_HINT
