"""A stored intake record read back and written out: by id, as JSON, a chart report or FHIR, and as terminal lines."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carecheck.core.errors import UsageError
from carecheck.core.safetext import json_escaped, literal
from carecheck.output.formats import ExportFormat

if TYPE_CHECKING:
    from carecheck.clinic.record import Change
    from carecheck.store.records import Summary

INTAKE_DEFINITIONS = "counselor-intake"
"""The built-in questionnaire and rule set an intake uses unless others are named."""


def now_utc() -> str:
    """The time of an intake as the record keeps it: UTC, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def export_record(record: dict[str, Any], fmt: ExportFormat) -> str:
    """A stored record as a document for the chart, another program or an EHR."""
    if fmt is ExportFormat.JSON:
        return json_escaped(json.dumps(record, ensure_ascii=False, indent=2)) + "\n"
    if fmt is ExportFormat.FHIR:
        from carecheck.clinic.fhir import fhir_bundle

        return json_escaped(json.dumps(fhir_bundle(record), ensure_ascii=False, indent=2)) + "\n"
    from carecheck.clinic.chart import chart_html, chart_markdown

    return chart_html(record) if fmt is ExportFormat.HTML else chart_markdown(record)


_RECORD_ID = re.compile(r"#?([0-9]{1,18})")


def parse_record_id(text: str) -> int:
    """A record id as typed on the command line (`records list` shows them): ASCII digits only."""
    found = _RECORD_ID.fullmatch(text.strip())
    if found is None:
        raise UsageError(
            f"{text!r} is not a record id; record ids are whole numbers, as `carecheck records list` shows"
        )
    return int(found.group(1))


def stored_records(db: Path | None, *record_ids: str) -> list[dict[str, Any]]:
    """The records with these ids, as typed on the command line, read in one go; a missing database or record is
    a clear error, and reading never creates a database."""
    from carecheck.store.records import open_records

    wanted = [parse_record_id(record_id) for record_id in record_ids]
    with open_records(db, create=False) as records:
        return [records.get(record_id) for record_id in wanted]


def summary_lines(rows: list[Summary]) -> str:
    """`records list` for a terminal: a header, then one intake a line; an override shows both levels."""
    table = [("record", "date (UTC)", "client", "counselor", "level", "")]
    for row in rows:
        level = (
            row.computed_level
            if row.chosen_level == row.computed_level
            else (f"computed {row.computed_level}, placed at {row.chosen_level}")
        )
        table.append(
            (
                str(row.id),
                row.created,
                literal(row.client),
                literal(row.counselor or "-"),
                level,
                "URGENT" if row.urgent else "",
            )
        )
    return _columns(table)


def _columns(table: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() + "\n" for row in table
    )


def comparison_text(changes: list[Change]) -> str:
    """Two intakes side by side, the earlier first, changed lines marked, for a terminal or a plain-text note."""
    table = [(c.what, c.before, c.after, "changed" if c.changed else "") for c in changes]
    return _columns(table)
