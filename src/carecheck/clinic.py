"""The counselor's side of carecheck: an intake gathered, scored, decided (with any override), stored and shown."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from carecheck import __version__
from carecheck.errors import UsageError
from carecheck.formats import ExportFormat
from carecheck.intake import Change, Override, build_record, check_client, check_override

if TYPE_CHECKING:
    from carecheck.engine import Assessor
    from carecheck.result import Result
    from carecheck.session import Gathered
    from carecheck.terminal import Terminal

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
        reason = ""
        while not reason:
            reason = terminal.ask("Why does this client need that level? (required) ").strip()
        return check_override(assessor, computed, typed, reason)


def take_intake(
    assessor: Assessor,
    gathered: Gathered,
    terminal: Terminal,
    *,
    client: str,
    counselor: str | None,
    override_level: str | None,
    reason: str | None,
    db: Path | None,
    can_ask: bool,
) -> Intake:
    """Score the answers, settle the placement (asking the counselor when `can_ask` and no --override was given),
    and store the record; the record's id is filled in."""
    from carecheck.records import open_records

    client = check_client(client)
    result = assessor.assess(gathered.answers)
    override = check_override(assessor, result.level, override_level, reason)
    if override is None and override_level is None and can_ask:
        override = _asked_override(assessor, result.level, terminal, gathered)
    record = build_record(
        assessor,
        result,
        client=client,
        counselor=(counselor or "").strip() or None,
        created=now_utc(),
        override=override,
        carecheck_version=__version__,
    )
    with open_records(db) as records:
        record["id"] = records.add(record)
    return Intake(record, result, assessor)


def _asked_override(assessor: Assessor, computed: str, terminal: Terminal, gathered: Gathered) -> Override | None:
    """The counselor's decision at the terminal; stopping here keeps the typed answers in a draft."""
    from carecheck.drafts import save_draft
    from carecheck.session import Interrupted

    try:
        return ask_override(assessor, computed, terminal)
    except (EOFError, KeyboardInterrupt):
        draft_id = gathered.draft.id if gathered.draft else None
        kept = save_draft(gathered.answers, None, INTAKE_DEFINITIONS, INTAKE_DEFINITIONS, draft_id=draft_id)
        terminal.say(f"The answers are kept in {kept.path}; `carecheck intake --client ID --resume` carries on.")
        raise Interrupted(str(kept.path)) from None


def export_record(record: dict[str, Any], fmt: ExportFormat) -> str:
    """A stored record as a document for the chart, another program or an EHR."""
    if fmt is ExportFormat.JSON:
        return json.dumps(record, ensure_ascii=False, indent=2) + "\n"
    if fmt is ExportFormat.FHIR:
        from carecheck.fhir import fhir_bundle

        return json.dumps(fhir_bundle(record), ensure_ascii=False, indent=2) + "\n"
    from carecheck.report import chart_html, chart_markdown

    return chart_html(record) if fmt is ExportFormat.HTML else chart_markdown(record)


def parse_record_id(text: str) -> int:
    """A record id as typed on the command line (`records list` shows them)."""
    cleaned = text.strip().lstrip("#")
    if not cleaned.isdigit() or len(cleaned) > 18:
        raise UsageError(
            f"{text!r} is not a record id; record ids are whole numbers, as `carecheck records list` shows"
        )
    return int(cleaned)


def comparison_text(first: int, second: int, changes: list[Change]) -> str:
    """A side-by-side table of two records, changed lines marked, for a terminal or a plain-text note."""
    headers = ("", f"record {first}", f"record {second}", "")
    rows = [(c.what, c.before, c.after, "changed" if c.changed else "") for c in changes]
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(3)]
    lines = []
    for row in [headers, *rows]:
        cells = [str(row[i]).ljust(widths[i]) for i in range(3)]
        lines.append(("  ".join(cells) + ("  " + row[3] if row[3] else "")).rstrip())
    return "\n".join(lines) + "\n"
