"""The counselor's side of carecheck: an intake gathered, scored, decided (with any override), stored and shown."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from carecheck import __version__
from carecheck.clinic.record import Change, Override, build_record, check_override, check_reason
from carecheck.core.errors import CarecheckError, UsageError
from carecheck.core.safetext import literal
from carecheck.output.formats import ExportFormat

if TYPE_CHECKING:
    from carecheck.cli.session import Gathered
    from carecheck.cli.terminal import Terminal
    from carecheck.core.assessor import Assessor
    from carecheck.core.result import Result
    from carecheck.store.records import Records, Summary

INTAKE_DEFINITIONS = "counselor-intake"
"""The built-in questionnaire and rule set an intake uses unless others are named."""


class Intake(NamedTuple):
    record: dict[str, Any]
    result: Result
    assessor: Assessor


def now_utc() -> str:
    """The time of an intake as the record keeps it: UTC, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ask_override(assessor: Assessor, computed: str, terminal: Terminal) -> Override | None:
    """Ask the counselor to accept the computed level or choose another, with a reason (required)."""
    names = assessor.level_names
    terminal.say(f"\nThe screening computed: {names[computed]} ({computed}).")
    choices = ", ".join(assessor.levels)
    while True:
        typed = terminal.ask(f"Press Enter to accept it, or type another level ({choices}): ").strip().lower()
        if not typed:
            return None
        if typed not in assessor.levels or typed == computed:
            terminal.say(f"Type one of {choices} other than {computed}, or just press Enter to accept it.")
            continue
        while True:
            try:
                return Override(typed, check_reason(terminal.ask("Why does this client need that level? (required) ")))
            except UsageError as fault:
                terminal.say(fault.message.replace("--override needs --reason: ", "A reason is needed: "))


def take_intake(
    assessor: Assessor,
    gathered: Gathered,
    terminal: Terminal,
    records: Records,
    *,
    client: str,
    counselor: str | None,
    override_level: str | None,
    reason: str | None,
    definitions: tuple[str | None, str | None],
) -> Intake:
    """Score the answers, settle the placement (asking the counselor at a terminal when no --override was given),
    and store the record; the record's id is filled in. Typed answers are kept in a draft until the record is
    stored, and the draft is deleted once it is."""
    from carecheck.cli.session import keep_answers
    from carecheck.store.drafts import delete_draft

    result = assessor.assess(gathered.answers)
    override = check_override(assessor, result.level, override_level, reason)
    if override is None and override_level is None and gathered.can_ask:
        override = _asked_override(assessor, result.level, terminal, gathered, client, definitions)
    record = build_record(
        assessor,
        result,
        client=client,
        counselor=counselor,
        created=now_utc(),
        override=override,
        carecheck_version=__version__,
    )
    try:
        record["id"] = records.add(record)
    except CarecheckError:
        if gathered.interactive:
            keep_answers(gathered, definitions, terminal, client)
        raise
    if gathered.draft is not None:
        delete_draft(gathered.draft)
    return Intake(record, result, assessor)


def _asked_override(
    assessor: Assessor,
    computed: str,
    terminal: Terminal,
    gathered: Gathered,
    client: str,
    definitions: tuple[str | None, str | None],
) -> Override | None:
    """The counselor's decision at the terminal; stopping here keeps the typed answers in a draft."""
    from carecheck.cli.session import Interrupted, keep_answers

    try:
        return ask_override(assessor, computed, terminal)
    except (EOFError, KeyboardInterrupt):
        raise Interrupted(keep_answers(gathered, definitions, terminal, client)) from None


def export_record(record: dict[str, Any], fmt: ExportFormat) -> str:
    """A stored record as a document for the chart, another program or an EHR."""
    if fmt is ExportFormat.JSON:
        return json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    if fmt is ExportFormat.FHIR:
        from carecheck.clinic.fhir import fhir_bundle

        return json.dumps(fhir_bundle(record), ensure_ascii=False, indent=2) + "\n"
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
