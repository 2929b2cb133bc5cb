"""The counselor's side at the terminal: an intake scored, its placement decided (asking for any override), stored."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from carecheck import __version__
from carecheck.clinic.export import now_utc
from carecheck.clinic.record import Override, build_record, check_override, check_reason
from carecheck.core.errors import CarecheckError, UsageError

if TYPE_CHECKING:
    from carecheck.cli.session import Gathered
    from carecheck.cli.terminal import Terminal
    from carecheck.core.assessor import Assessor
    from carecheck.core.result import Result
    from carecheck.store.records import Records


class Intake(NamedTuple):
    record: dict[str, Any]
    result: Result
    assessor: Assessor


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
