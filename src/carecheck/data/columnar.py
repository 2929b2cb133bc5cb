"""Tables of answers in, tables of results out: carecheck as a step of Arrow, Parquet, Spark, Dask, Ray and Polars.

A table has one column per item id (and an optional `id` column); a null is no answer. Each column is turned into
Python values once, each row is handed to the generated `check_and_decide` as a dict of the answers it has, and the
results are gathered column by column and turned into Arrow arrays once per batch. A row that fails gets its
message in the `error` column, in place, and nulls elsewhere. pyarrow is imported here and nowhere on the start-up
path: `carecheck[data]` installs it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from carecheck.api import load_assessor
from carecheck.core.assessor import Assessor
from carecheck.core.compiled import RECORD_ID
from carecheck.core.conditions import suggest
from carecheck.core.errors import AnswersError, UsageError
from carecheck.core.items import kind_of
from carecheck.core.result import Outcome, Result
from carecheck.core.wording import safety_dict_for

if TYPE_CHECKING:
    import pyarrow as pa

INSTALL_HINT = "reading and writing Arrow and Parquet needs pyarrow: pip install 'carecheck[data]'"


def require_pyarrow() -> Any:
    """The pyarrow module, or a UsageError that says in one line how to install it."""
    try:
        import pyarrow
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    return pyarrow


@lru_cache(maxsize=8)
def cached_assessor(questionnaire: str | None = None, rules: str | None = None) -> Assessor:
    """One compiled assessor per process for each pair of definitions, its code generated up front: a Spark, Dask
    or Ray worker that scores thousands of batches compiles the definitions once."""
    assessor = load_assessor(questionnaire, rules)
    assessor.generated()
    return assessor


def result_schema(assessor: Assessor, id_type: pa.DataType | None = None) -> pa.Schema:
    """The columns `assess_table` returns, in order, with the definitions and crisis help in the metadata.

    id (the input's id type; text without one), level, urgent, safety_note (crisis or safety help is to be shown),
    screen_positive, `<instrument>_total` and `<instrument>_band` for each instrument (null when it was not asked),
    fired_rules (the ids of the placement rules that fired, in order), warnings, and error (null when the row scored).
    """
    pa = require_pyarrow()
    fields = [
        pa.field("id", id_type if id_type is not None else pa.string()),
        pa.field("level", pa.string()),
        pa.field("urgent", pa.bool_()),
        pa.field("safety_note", pa.bool_()),
        pa.field("screen_positive", pa.bool_()),
    ]
    for instrument in assessor.instruments:
        fields += [pa.field(f"{instrument.id}_total", pa.int64()), pa.field(f"{instrument.id}_band", pa.string())]
    # Lists name their values "element", as Parquet does: a table read back from a file equals the one written.
    texts = pa.list_(pa.field("element", pa.string()))
    fields += [
        pa.field("fired_rules", texts),
        pa.field("warnings", texts),
        pa.field("error", pa.string()),
    ]
    rules = assessor.rules.rules
    # A table has no first line to put crisis help on: its metadata carries it, beside what the JSON result repeats
    # on every record (the notice and which definitions scored it).
    metadata = {
        "carecheck.notice": rules.disclaimer,
        "carecheck.crisis_help": json.dumps(safety_dict_for(True, True, rules.safety), ensure_ascii=False),
        "carecheck.questionnaire": json.dumps(assessor.definitions.ref_questionnaire.as_dict()),
        "carecheck.rules": json.dumps(assessor.definitions.ref_rules.as_dict()),
    }
    return pa.schema(fields, metadata=metadata)


class ResultColumns:
    """The results of one batch, gathered as one Python list per output column until `batch()` makes them Arrow."""

    def __init__(self, assessor: Assessor) -> None:
        self.assessor = assessor
        self.instruments = [instrument.id for instrument in assessor.instruments]
        self.rule_ids = [rule.id for rule in assessor.placement]
        self.check_and_decide = assessor.generated().check_and_decide
        self.ids: list[Any] = []
        self.levels: list[str | None] = []
        self.urgent: list[bool | None] = []
        self.safety_note: list[bool | None] = []
        self.screen_positive: list[bool | None] = []
        self.totals: dict[str, list[int | None]] = {name: [] for name in self.instruments}
        self.bands: dict[str, list[str | None]] = {name: [] for name in self.instruments}
        self.fired: list[list[str] | None] = []
        self.warnings: list[list[str] | None] = []
        self.errors: list[str | None] = []

    def __len__(self) -> int:
        return len(self.errors)

    def add(self, answers: Mapping[str, Any]) -> bool:
        """Score one answer set into the columns; False when it failed (its message is in the error column)."""
        checked = self.check_and_decide(answers, False)
        if checked is not None:  # the common case: answers already in normal form, nothing to warn about
            self.add_outcome(answers.get(RECORD_ID), checked[1])
            return True
        try:
            result = self.assessor.assess(answers)
        except AnswersError as error:
            self.add_error(error.record_id, error.message)
            return False
        self.add_result(result)
        return True

    def add_outcome(self, record_id: Any, outcome: Outcome) -> None:
        final = outcome.final
        self._add(
            record_id,
            self.assessor.levels[final],
            outcome.urgent,
            outcome.urgent or outcome.safety_note,
            bool(outcome.fired),
            outcome.scores,
            [self.rule_ids[index] for index, _, _, _ in outcome.fired],
            [],
        )

    def add_result(self, result: Result) -> None:
        self._add(
            result.record_id,
            result.level,
            result.urgent,
            result.safety_note,
            result.screen_positive,
            result.scores,
            [reason.rule for reason in result.reasons],
            list(result.warnings),
        )

    def _add(
        self,
        record_id: Any,
        level: str,
        urgent: bool,
        safety_note: bool,
        screen_positive: bool,
        scores: Mapping[str, Any],
        fired: list[str],
        warnings: list[str],
    ) -> None:
        self.ids.append(record_id)
        self.levels.append(level)
        self.urgent.append(urgent)
        self.safety_note.append(safety_note)
        self.screen_positive.append(screen_positive)
        for name in self.instruments:
            score = scores.get(name)
            self.totals[name].append(None if score is None else score.total)
            self.bands[name].append(None if score is None else score.band)
        self.fired.append(fired)
        self.warnings.append(warnings)
        self.errors.append(None)

    def add_error(self, record_id: Any, message: str) -> None:
        """A row that did not score: its id (None when it has none that is valid), nulls, and the message."""
        self.ids.append(record_id)
        for column in (self.levels, self.urgent, self.safety_note, self.screen_positive, self.fired, self.warnings):
            column.append(None)
        for name in self.instruments:
            self.totals[name].append(None)
            self.bands[name].append(None)
        self.errors.append(message)

    def batch(self, schema: pa.Schema) -> pa.RecordBatch:
        """The gathered results as one record batch of `schema` (from `result_schema`); the columns start afresh."""
        pa = require_pyarrow()
        columns: list[list[Any]] = [self.ids, self.levels, self.urgent, self.safety_note, self.screen_positive]
        for name in self.instruments:
            columns += [self.totals[name], self.bands[name]]
        columns += [self.fired, self.warnings, self.errors]
        arrays = [pa.array(values, type=field.type) for values, field in zip(columns, schema, strict=True)]
        batch = pa.RecordBatch.from_arrays(arrays, schema=schema)
        self.__init__(self.assessor)  # type: ignore[misc]  # the same columns, empty, for the next batch
        return batch


def answer_schema(assessor: Assessor, id_type: pa.DataType | None = None) -> pa.Schema:
    """The Arrow schema of an answer table for these definitions: `id`, then each item in order with the type of
    its normal form (a whole number, yes/no as a boolean, text, several choices as a list of text). Tables may hold
    any subset of these columns, in any order, and other types that convert (a float 3.0, the text "yes")."""
    pa = require_pyarrow()
    types = {"int": pa.int64(), "bool": pa.bool_(), "str": pa.string()}
    fields = [pa.field(RECORD_ID, id_type if id_type is not None else pa.string())]
    for item in assessor.items:
        kind = kind_of(item.definition)
        normal = kind.normal_form(item.definition)
        if kind.takes_list:
            fields.append(pa.field(item.id, pa.list_(pa.string())))
        else:
            fields.append(pa.field(item.id, types[normal.type_name] if normal is not None else pa.string()))
    return pa.schema(fields)


def answer_columns(assessor: Assessor, names: Iterable[str]) -> list[str]:
    """The column names of an answer table, checked: each an item id or `id`, else a UsageError naming the strays."""
    names = list(names)
    known = set(assessor.item_index) | {RECORD_ID}
    unknown = [name for name in names if name not in known]
    if unknown:
        hints = "; ".join(f"{name!r}{suggest(name, known)}" for name in unknown)
        raise UsageError(f"the table has columns that are not items of the questionnaire: {hints}")
    return names


def id_type_of(schema: pa.Schema) -> pa.DataType | None:
    """The id column's type, when it can hold record ids (text or whole numbers); else None (text)."""
    pa = require_pyarrow()
    if RECORD_ID not in schema.names:
        return None
    kind = schema.field(RECORD_ID).type
    # A record id is text or a whole number (as in JSON); a column of anything else fails on every row, id null.
    return kind if pa.types.is_integer(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind) else None


def rows_of(data: pa.Table | pa.RecordBatch) -> Iterator[dict[str, Any]]:
    """Each row as a dict of its answers, a null as None: columns become Python lists once. The checks read None
    as no answer, exactly as a key left out, so no row needs its nulls taken out."""
    names = data.schema.names
    columns = [column.to_pylist() for column in data.columns]
    for row in zip(*columns, strict=True):
        yield dict(zip(names, row, strict=True))


def score_batch(data: pa.Table | pa.RecordBatch, assessor: Assessor) -> pa.RecordBatch:
    """One table or batch of answers as one record batch of results, row for row."""
    answer_columns(assessor, data.schema.names)
    schema = result_schema(assessor, id_type_of(data.schema))
    results = ResultColumns(assessor)
    for answers in rows_of(data):
        results.add(answers)
    return results.batch(schema)


def assess_table(
    data: pa.Table | pa.RecordBatch,
    assessor: Assessor | None = None,
    *,
    questionnaire: str | None = None,
    rules: str | None = None,
) -> pa.Table:
    """Score a table (or record batch) of answers, one column per item id, into a table of results, row for row.

    Without an assessor, the named definitions (default: the built-in ones) are compiled once per process and kept,
    which is what a worker of Spark, Dask, Ray or Polars wants. Rows whose answers do not fit the questionnaire get
    their message in the `error` column; a column that is no item of the questionnaire raises UsageError.
    """
    pa = require_pyarrow()
    assessor = assessor if assessor is not None else cached_assessor(questionnaire, rules)
    batches = data.to_batches() if isinstance(data, pa.Table) else [data]
    if not batches:
        return result_schema(assessor, id_type_of(data.schema)).empty_table()
    return pa.Table.from_batches([score_batch(batch, assessor) for batch in batches])


def assess_batches(
    batches: Iterable[pa.RecordBatch],
    assessor: Assessor | None = None,
    *,
    questionnaire: str | None = None,
    rules: str | None = None,
) -> Iterator[pa.RecordBatch]:
    """Results for a stream of record batches, one out for each one in: the shape of Spark's `mapInArrow`."""
    assessor = assessor if assessor is not None else cached_assessor(questionnaire, rules)
    for batch in batches:
        yield score_batch(batch, assessor)
