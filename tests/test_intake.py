"""The intake core: a counselor's override is checked, and a record keeps the computed level beside the chosen one."""

from __future__ import annotations

import json

import pytest

from carecheck import Assessor, load_assessor
from carecheck.clinic.record import (
    Override,
    build_record,
    check_client,
    check_counselor,
    check_override,
    chosen_level,
    compare_records,
)
from carecheck.core.errors import UsageError
from intake_answers import drinking

CREATED = "2026-11-26T19:30:12Z"


@pytest.fixture(scope="module")
def intake_assessor() -> Assessor:
    return load_assessor(rules="counselor-intake")


def record_for(
    assessor: Assessor,
    answers: dict[str, object],
    override: Override | None = None,
    client: str = "C-1",
    created: str = CREATED,
) -> dict[str, object]:
    result = assessor.assess(answers)
    return build_record(
        assessor, result, client=client, counselor="R. Diaz", created=created, override=override, carecheck_version="9"
    )


@pytest.mark.parametrize(
    ("level", "reason", "fault"),
    [
        ("inpatient", None, "needs --reason"),
        ("inpatient", "   ", "needs --reason"),
        ("residential", "because", "is not a level"),
        ("php", "because", "already 'php'"),
        (None, "because", "--reason goes with --override"),
        ("inpatient", "x" * 2001, "keep it under 2000"),
    ],
)
def test_an_override_needs_a_known_other_level_and_a_reason(
    intake_assessor: Assessor, level: str | None, reason: str | None, fault: str
) -> None:
    with pytest.raises(UsageError, match=fault):
        check_override(intake_assessor, "php", level, reason)


def test_an_override_keeps_the_reason_trimmed(intake_assessor: Assessor) -> None:
    assert check_override(intake_assessor, "php", "inpatient", "  Lives alone.  ") == Override(
        "inpatient", "Lives alone."
    )
    assert check_override(intake_assessor, "php", None, None) is None


@pytest.mark.parametrize(
    ("client", "fault"), [("", "empty"), ("  ", "empty"), ("C\x1b[2J", "control"), ("x" * 65, "65")]
)
def test_a_client_id_is_refused_when_it_cannot_be_shown_safely(client: str, fault: str) -> None:
    with pytest.raises(UsageError, match=fault):
        check_client(client)


def test_the_record_keeps_the_computed_level_beside_the_override(intake_assessor: Assessor) -> None:
    record = record_for(intake_assessor, drinking(ciwa=12), Override("inpatient", "Lives alone."))
    assert record["computed_level"] == "php"
    assert record["result"]["level"] == "php"  # the contract's result is what the policy said
    assert record["chosen_level"] == "inpatient" == chosen_level(record)
    assert record["override"] == {"level": "inpatient", "reason": "Lives alone."}


def test_without_an_override_the_chosen_level_is_the_computed_one(intake_assessor: Assessor) -> None:
    record = record_for(intake_assessor, drinking(ciwa=3))
    assert record["override"] is None
    assert record["chosen_level"] == record["computed_level"] == chosen_level(record)


def test_the_record_is_self_contained_json(intake_assessor: Assessor) -> None:
    record = record_for(intake_assessor, drinking(ciwa=20, clinician_note="Tremor at rest."))
    again = json.loads(json.dumps(record))
    assert again == record
    assert record["result"]["scores"]["ciwa"] == {"total": 20, "band": "severe"}
    assert record["level_names"]["inpatient"]
    assert record["explanation"]["scores"], "the report draws on the explanation, not on live definitions"
    answered = {entry["id"]: entry for entry in record["answers"]}
    assert answered["clinician_note"]["display"] == "Tremor at rest."
    assert answered["substances"]["display"] == ["Alcohol (beer, wine, liquor)"]
    assert answered["ciwa_total"]["section"] == "Clinician: alcohol withdrawal"
    assert "cows_total" not in answered  # not asked: the client uses no opioids


def test_compare_lists_level_and_score_changes_in_a_fixed_order(intake_assessor: Assessor) -> None:
    first = record_for(intake_assessor, drinking(ciwa=12))
    second = record_for(intake_assessor, drinking(ciwa=4))
    changes = {change.what: change for change in compare_records(first, second)}
    assert changes["computed level"].changed
    assert changes["ciwa"].before == "12 (moderate)"
    assert changes["ciwa"].after == "4 (minimal)"
    assert not changes["audit"].changed
    assert not changes["date"].changed  # the same clock here; a date is context, never a "change"
    assert [c.what for c in compare_records(first, second)][:4] == ["record", "date", "computed level", "chosen level"]


def test_compare_shows_an_instrument_asked_only_once_as_not_asked(intake_assessor: Assessor) -> None:
    first = record_for(intake_assessor, drinking(ciwa=12))
    second = record_for(intake_assessor, drinking())
    ciwa = next(change for change in compare_records(first, second) if change.what == "ciwa")
    assert (ciwa.before, ciwa.after, ciwa.changed) == ("12 (moderate)", "not asked", True)


def test_compare_says_the_asq_by_its_result_never_as_a_count(intake_assessor: Assessor) -> None:
    first = record_for(intake_assessor, drinking(ciwa=4, asq_4=True, asq_5=False))
    second = record_for(intake_assessor, drinking(ciwa=4))
    asq = next(change for change in compare_records(first, second) if change.what == "asq")
    assert (asq.before, asq.after) == ("non-acute-positive", "negative")


def test_crisis_help_comes_first_in_the_record(intake_assessor: Assessor) -> None:
    urgent = record_for(intake_assessor, drinking(ciwa=20))
    assert next(iter(urgent)) == "safety"
    assert "988" in json.dumps(urgent["safety"])
    assert "911" in json.dumps(urgent["safety"])
    assert record_for(intake_assessor, drinking(ciwa=3))["safety"] is None


def test_compare_puts_the_earlier_intake_first_whichever_is_named_first(intake_assessor: Assessor) -> None:
    earlier = record_for(intake_assessor, drinking(ciwa=12), created="2026-10-01T09:00:00Z")
    later = record_for(intake_assessor, drinking(ciwa=4), created="2026-11-01T09:00:00Z")
    ciwa = next(change for change in compare_records(later, earlier) if change.what == "ciwa")
    assert (ciwa.before, ciwa.after) == ("12 (moderate)", "4 (minimal)")


def test_two_clients_intakes_are_not_compared(intake_assessor: Assessor) -> None:
    one = record_for(intake_assessor, drinking(ciwa=12), client="C-1")
    other = record_for(intake_assessor, drinking(ciwa=4), client="C-2")
    with pytest.raises(UsageError, match="different clients"):
        compare_records(one, other)


def test_an_override_level_may_be_typed_in_capitals(intake_assessor: Assessor) -> None:
    assert check_override(intake_assessor, "php", " Inpatient ", "Lives alone.") == Override(
        "inpatient", "Lives alone."
    )


@pytest.mark.parametrize(("counselor", "expected"), [(None, None), ("  ", None), (" R. Diaz ", "R. Diaz")])
def test_a_counselors_name_is_optional_and_trimmed(counselor: str | None, expected: str | None) -> None:
    assert check_counselor(counselor) == expected


def test_a_counselors_name_with_control_characters_is_refused() -> None:
    with pytest.raises(UsageError, match="control character"):
        check_counselor("R.\x1b[31m Diaz")


def test_the_counselor_reads_crisis_help_first_then_the_computed_level_then_the_levels(
    intake_assessor: Assessor,
) -> None:
    from carecheck.cli.intake import decision_lines
    from intake_answers import clinician

    result = intake_assessor.assess(clinician(asq_1=True, asq_5=True, pregnant=False))
    lines = decision_lines(intake_assessor, result)
    safety = intake_assessor.rules.rules.safety
    assert lines[0] == safety.crisis_heading
    assert lines.index("The screening computed: Inpatient or residential care.") > lines.index(safety.crisis_message)
    assert lines[-1] == "  4  Inpatient or residential care  (computed by the screening)"
