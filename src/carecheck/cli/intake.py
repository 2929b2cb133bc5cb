"""The counselor's side at the terminal: an intake scored, its placement decided (asking for any override), stored."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from carecheck import __version__
from carecheck.clinic.export import now_utc
from carecheck.clinic.record import Override, build_record, check_override, check_reason
from carecheck.core.errors import CarecheckError, UsageError
from carecheck.core.safetext import literal

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


CANCEL = frozenset({"cancel", "back", "c"})
"""Typed at the reason prompt: the override is dropped and the level is asked again (no reason is stored)."""


def decision_lines(assessor: Assessor, result: Result) -> list[str]:
    """What the counselor reads before deciding: the computed level, the reasons that decided it, the scores, and
    the levels to choose from, numbered from 1. Written about the client, for the counselor."""
    from carecheck.core.wording import explain

    explanation = explain(result, assessor)
    names = assessor.level_names
    lines = []
    if result.urgent:  # crisis help first, on every screen that shows this result
        from carecheck.cli.interview import crisis_lines

        lines += [line.strip("! ") if line.startswith("!!") else line for line in crisis_lines(assessor)]
    lines.append(f"The screening computed: {names[result.level]}.")
    if explanation.deciding:
        lines.append("Why the screening points there:")
        lines += [f"- {reason.text} (Based on: {'; '.join(reason.evidence)}.)" for reason in explanation.deciding]
    else:
        lines.append("No rule asked for more than the least intensive level.")
    if explanation.scores:
        lines.append("The client's scores:")
        lines += [f"- {s.instrument}: {s.total} of {s.maximum} ({s.band})" for s in explanation.scores]
    lines.append("Levels of care:")
    for number, level in enumerate(assessor.levels, 1):
        marker = "  (computed by the screening)" if level == result.level else ""
        lines.append(f"  {number}  {names[level]}{marker}")
    return [literal(line) for line in lines]


def pick_level(assessor: Assessor, typed: str) -> str | None:
    """The level a counselor typed: its number from 1, its id, or the start of its name; None if none fits."""
    from carecheck.core.items import pick_typed

    text = typed.strip().lower()
    if text in assessor.levels:
        return text
    try:
        return assessor.levels[pick_typed([assessor.level_names[level] for level in assessor.levels], text)]
    except ValueError:
        return None


def ask_override(assessor: Assessor, result: Result, terminal: Terminal) -> Override | None:
    """Show the computed level with its reasons and scores, then ask the counselor to accept it or choose another
    with a reason (required). Picking the computed level accepts it; `cancel` at the reason goes back."""
    names = assessor.level_names
    computed = result.level
    terminal.say()
    for line in decision_lines(assessor, result):
        terminal.say(line)
    while True:
        typed = terminal.ask(
            f"Press Enter to accept {names[computed]}, or type another level (its number or name): "
        ).strip()
        if not typed:
            return None
        chosen = pick_level(assessor, typed)
        if chosen is None:
            terminal.say(f"Type one of the numbers 1 to {len(assessor.levels)} or a level's name, or press Enter.")
            continue
        if chosen == computed:
            terminal.say(f"Accepted: {names[computed]}, as the screening computed.")
            return None
        override = _ask_reason(chosen, names[chosen], names[computed], terminal)
        if override is not None:
            return override
        terminal.say(f"Override cancelled: no reason is kept. The screening computed {names[computed]}.")


def _ask_reason(chosen: str, chosen_name: str, computed_name: str, terminal: Terminal) -> Override | None:
    while True:
        typed = terminal.ask(
            f"Why does this client need that level ({chosen_name} rather than {computed_name})?"
            " Type the reason, or cancel to go back: "
        )
        if typed.strip().lower() in CANCEL:
            return None
        try:
            return Override(chosen, check_reason(typed))
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
        override = _asked_override(assessor, result, terminal, gathered, client, definitions)
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
    result: Result,
    terminal: Terminal,
    gathered: Gathered,
    client: str,
    definitions: tuple[str | None, str | None],
) -> Override | None:
    """The counselor's decision at the terminal; stopping here keeps the typed answers in a draft."""
    from carecheck.cli.session import Interrupted, keep_answers

    if gathered.fullscreen:
        from carecheck.cli.fullscreen.app import run_decision

        decided = run_decision(decision_lines(assessor, result), assessor, result.level)
        if isinstance(decided, str):  # the counselor left before deciding
            raise Interrupted(keep_answers(gathered, definitions, terminal, client))
        return decided
    try:
        return ask_override(assessor, result, terminal)
    except (EOFError, KeyboardInterrupt):
        raise Interrupted(keep_answers(gathered, definitions, terminal, client)) from None
