"""A counselor's intake as data: a scored assessment, who and when, the counselor's own decision, and a record that
carries everything a report needs, so that it reads the same years later when the definitions have changed.

Pure: the caller supplies the clock, the client and counselor, and stores the record (see `records`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from carecheck.core.assessor import Assessor
from carecheck.core.compiled import say_value
from carecheck.core.definitions import Level
from carecheck.core.errors import UsageError
from carecheck.core.items import kind_of
from carecheck.core.result import Result, result_to_dict
from carecheck.core.wording import Explanation, explain, safety_dict

RECORD_VERSION = "1"
"""The shape of a stored record document; bump it (with a migration in `records`) when the shape changes."""

MAX_REASON_LENGTH = 2000
MAX_CLIENT_LENGTH = 64


class Override(NamedTuple):
    """The counselor's clinical decision to place at another level than the computed one, and why."""

    level: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"level": self.level, "reason": self.reason}


def check_client(client: str) -> str:
    """A client id as given, refused when empty, too long, or holding control characters (it is shown in reports)."""
    cleaned = client.strip()
    if not cleaned:
        raise UsageError("--client is empty: give the client's id as your service records it, such as C-1024")
    if len(cleaned) > MAX_CLIENT_LENGTH:
        raise UsageError(f"--client is {len(cleaned)} characters long; a client id has at most {MAX_CLIENT_LENGTH}")
    if any(not character.isprintable() for character in cleaned):
        raise UsageError("--client holds a control character; use letters, digits and punctuation only")
    return cleaned


def check_counselor(counselor: str | None) -> str | None:
    """A counselor's name as given (None when not given), held to the same rules as a client id: it is printed on
    the chart."""
    cleaned = (counselor or "").strip()
    if not cleaned:
        return None
    if len(cleaned) > MAX_CLIENT_LENGTH * 2:
        raise UsageError(f"--counselor is {len(cleaned)} characters long; a name has at most {MAX_CLIENT_LENGTH * 2}")
    if any(not character.isprintable() for character in cleaned):
        raise UsageError("--counselor holds a control character; use letters, digits and punctuation only")
    return cleaned


def check_reason(reason: str | None) -> str:
    """An override's reason: a sentence or a few, not empty and not a whole essay."""
    cleaned = (reason or "").strip()
    if not cleaned:
        raise UsageError(
            "--override needs --reason: say in a sentence why this client needs another level than the computed one"
        )
    if len(cleaned) > MAX_REASON_LENGTH:
        raise UsageError(f"the reason is {len(cleaned)} characters long; keep it under {MAX_REASON_LENGTH}")
    return cleaned


def check_override(assessor: Assessor, computed: str | None, level: str | None, reason: str | None) -> Override | None:
    """The counselor's override, checked: a level the rule set knows, other than the computed one, with a reason.
    Before scoring (`computed` None) all but the last can be checked, so a wrong flag fails before anything is asked."""
    level = level.strip().lower() if level is not None else None
    if level is None:
        if reason:
            raise UsageError("--reason goes with --override LEVEL: name the level you chose, or leave out --reason")
        return None
    if level not in assessor.levels:
        raise UsageError(f"--override {level!r} is not a level; choose one of: {', '.join(assessor.levels)}")
    if computed is not None and level == computed:
        raise UsageError(f"the computed level is already {level!r}: leave out --override to accept it")
    return Override(level, check_reason(reason))


def _plain(value: Any) -> Any:
    """An explanation (NamedTuples, tuples, a level definition) as JSON-ready data."""
    if isinstance(value, Level):
        return {
            "id": value.id,
            "name": value.name,
            "summary": value.summary,
            "setting": value.setting,
            "typical_week": value.typical_week,
            "hours_per_week": value.hours_per_week,
        }
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {field: _plain(getattr(value, field)) for field in value._fields}
    if isinstance(value, (tuple, list)):
        return [_plain(entry) for entry in value]
    return value


def answer_entries(result: Result, assessor: Assessor) -> list[dict[str, Any]]:
    """Every answered item in questionnaire order, with its wording and the answer in words (for reports and FHIR)."""
    entries: list[dict[str, Any]] = []
    titles = {section.id: section.title for section in assessor.questionnaire.questionnaire.sections}
    for compiled in assessor.items:
        value = result.answers.get(compiled.id)
        if value is None:
            continue
        item = compiled.definition
        display: str | list[str]
        kind = kind_of(item)
        if kind.takes_list:
            display = [str(c.label) for c in kind.choices(item) if c.value in value]
        elif kind.choices(item):
            display = kind.in_words(item, value)
        else:
            display = say_value(value)
        entries.append(
            {
                "id": compiled.id,
                "section": titles.get(compiled.section, compiled.section),
                "section_id": compiled.section,
                "instrument": compiled.instrument,
                "type": item.type,
                "label": item.label or compiled.id,
                "prompt": item.prompt,
                "value": list(value) if isinstance(value, tuple) else value,
                "display": display,
            }
        )
    return entries


def build_record(
    assessor: Assessor,
    result: Result,
    *,
    client: str,
    counselor: str | None,
    created: str,
    override: Override | None,
    carecheck_version: str,
) -> dict[str, Any]:
    """A self-contained intake record: the contract's result, the computed and chosen levels (the computed one is
    always kept), the answers in words, and the explanation a report is drawn from. `id` is set when it is stored."""
    explanation: Explanation = explain(result, assessor)
    questionnaire = assessor.questionnaire.questionnaire
    rules = assessor.rules.rules
    safety = safety_dict(result, assessor)
    return {
        "safety": safety,  # crisis help first, in the record as in every other format
        "record_version": RECORD_VERSION,
        "id": None,
        "client": client,
        "counselor": counselor,
        "created": created,
        "carecheck": carecheck_version,
        "computed_level": result.level,
        "chosen_level": override.level if override else result.level,
        "override": override.as_dict() if override else None,
        "level_names": dict(assessor.level_names),
        "titles": {"questionnaire": questionnaire.title, "rules": rules.title},
        "result": result_to_dict(result, safety, rules.disclaimer),
        "answers": answer_entries(result, assessor),
        "explanation": _plain(explanation),
    }


def chosen_level(record: Mapping[str, Any]) -> str:
    """The level the counselor placed at: the override's when there is one, else the computed level."""
    override = record.get("override")
    return str(override["level"]) if override else str(record["computed_level"])


class Change(NamedTuple):
    """One line of a comparison: what it is, its value in the earlier and the later record, and whether it moved."""

    what: str
    before: str
    after: str
    changed: bool


def _score_words(score: Mapping[str, Any] | None, shows_total: bool) -> str:
    if not score:
        return "not asked"
    return f"{score['total']} ({score['band']})" if shows_total else str(score["band"])


def _shows_total(record: Mapping[str, Any]) -> dict[str, bool]:
    """Per instrument, whether its total means something to a reader: the ASQ is a screen, not a sum, and is said
    by its result alone. Records written before this was kept show every total, as they did."""
    explained = record.get("explanation", {}).get("scores") or []
    ids = list(record["result"]["scores"])
    if len(explained) != len(ids):  # the explanation lists the scores in the result's order, one for one
        return {}
    return {
        i: not isinstance(s, Mapping) or s.get("show_total") is not False for i, s in zip(ids, explained, strict=True)
    }


def compare_records(first: Mapping[str, Any], second: Mapping[str, Any]) -> list[Change]:
    """Level and score changes between two intakes of one client (a reassessment), the earlier one first, side by
    side, in a fixed order. Two clients' intakes are not compared: that is almost always a typo in an id."""
    if first["client"] != second["client"]:
        raise UsageError(
            f"records {first['id']} and {second['id']} are for different clients ({first['client']} and "
            f"{second['client']}); compare two intakes of the same client (`carecheck records list --client ID`)"
        )
    earlier, later = sorted((first, second), key=lambda record: (record["created"], record["id"] or 0))
    names = {**earlier.get("level_names", {}), **later.get("level_names", {})}

    def level(record: Mapping[str, Any], key: str) -> str:
        return str(names.get(record[key], record[key]))

    rows = [
        ("record", str(earlier["id"]), str(later["id"])),
        ("date", str(earlier["created"]), str(later["created"])),
        ("computed level", level(earlier, "computed_level"), level(later, "computed_level")),
        ("chosen level", level(earlier, "chosen_level"), level(later, "chosen_level")),
        ("crisis help (urgent)", say_value(earlier["result"]["urgent"]), say_value(later["result"]["urgent"])),
        (
            "screen positive",
            say_value(earlier["result"]["screen_positive"]),
            say_value(later["result"]["screen_positive"]),
        ),
    ]
    scores_before, scores_after = earlier["result"]["scores"], later["result"]["scores"]
    totals = {**_shows_total(earlier), **_shows_total(later)}
    for instrument in [*scores_before, *(k for k in scores_after if k not in scores_before)]:
        shows = totals.get(instrument, True)
        before, after = scores_before.get(instrument), scores_after.get(instrument)
        rows.append((instrument, _score_words(before, shows), _score_words(after, shows)))
    profile_before, profile_after = earlier["result"].get("profile", {}), later["result"].get("profile", {})
    for area in [*profile_before, *(k for k in profile_after if k not in profile_before)]:
        rows.append((f"profile: {area}", str(profile_before.get(area, "-")), str(profile_after.get(area, "-"))))
    return [
        Change(what, before, after, before != after and what not in ("record", "date")) for what, before, after in rows
    ]
