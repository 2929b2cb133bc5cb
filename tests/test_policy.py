"""The built-in placement policy, rule by rule at its boundaries, as shared/spec/policy.md states it.

Each placement rule has a case just inside its condition (it fires and sets its minimum level) and a case just outside
(it does not fire). Further tables cover the derived values, how the final level is chosen, urgency, and the program
types and modalities added to a screen-positive result.
"""

from __future__ import annotations

from typing import Any

import pytest

from carecheck import Assessor, Result
from conftest import baseline_answers, with_alcohol, with_drugs, with_gad7, with_phq9

LEVELS = ("outpatient", "iop", "php", "inpatient")

POLICY_RULES = (
    "safety-acute",
    "safety-nonacute",
    "safety-past-attempt",
    "withdrawal-severe-now",
    "withdrawal-severe-risk",
    "withdrawal-now",
    "withdrawal-mild-risk",
    "medical-unstable",
    "self-care",
    "psychosis",
    "depression-severe",
    "mh-moderately-severe",
    "mh-moderate",
    "self-harm-thoughts",
    "use-high",
    "use-moderate",
    "env-no-home",
    "env-unsafe-home",
    "env-weak-high",
    "env-weak-moderate",
    "co-occurring",
    "relapse-floor",
    "relapse-step-up",
)
"""The placement table of policy.md, in its order."""


# --- helpers ----------------------------------------------------------------------------------------------------------


def rank(level: str) -> int:
    return LEVELS.index(level)


def fired(result: Result) -> set[str]:
    return {reason.rule for reason in result.reasons}


def assess(assessor: Assessor, answers: dict[str, Any]) -> Result:
    """Assess answers that give no item that was not asked, and check what holds for every result."""
    result = assessor.assess(answers)
    assert result.warnings == (), "the test answers give an item that is not asked"
    expected = max((rank(reason.level) for reason in result.reasons), default=0)
    assert result.level == LEVELS[expected], "the level is the highest minimum (outpatient when none fires)"
    assert result.screen_positive == bool(result.reasons)
    for reason in result.reasons:
        assert reason.deciding == (reason.level == result.level), reason.rule
    return result


def phq9_items(total: int) -> dict[str, int]:
    return {key: value for key, value in with_phq9(total).items() if key.startswith("phq9_")}


def audit_items(total: int) -> dict[str, int]:
    return {key: value for key, value in with_alcohol(total).items() if key.startswith("audit_")}


def gad7_items(total: int) -> dict[str, int]:
    return {key: value for key, value in with_gad7(total).items() if key.startswith("gad7_")}


def homeless(answers: dict[str, Any]) -> dict[str, Any]:
    """No housing: `home_use` is then not asked, so it is not given."""
    answers = answers | {"housing": "none"}
    del answers["home_use"]
    return answers


def asq_yes(item: int, acute: bool) -> dict[str, bool]:
    return {f"asq_{item}": True, "asq_5": acute}


def relapse(prior: str) -> dict[str, Any]:
    return {"prior_treatment": prior, "relapse_after_treatment": True}


def fires(rule: str, level: str, answers: dict[str, Any], label: str) -> Any:
    return pytest.param(answers, rule, level, id=f"{rule} fires: {label}")


def quiet(rule: str, answers: dict[str, Any], label: str) -> Any:
    return pytest.param(answers, rule, None, id=f"{rule} quiet: {label}")


def next_level(level: str) -> str:
    return LEVELS[min(rank(level) + 1, len(LEVELS) - 1)]


# --- every placement rule at its boundaries -------------------------------------------------------------------------

PRIORS = ("outpatient", "iop", "php", "inpatient")

RULE_CASES = [
    # safety
    *(
        fires("safety-acute", "inpatient", baseline_answers() | asq_yes(i, True), f"asq_{i} and asq_5 yes")
        for i in (1, 4)
    ),
    quiet("safety-acute", baseline_answers() | asq_yes(1, False), "asq_1 yes, asq_5 no"),
    quiet("safety-acute", baseline_answers(), "asq all no"),
    *(
        fires("safety-nonacute", "iop", baseline_answers() | asq_yes(i, False), f"asq_{i} yes, asq_5 no")
        for i in (1, 2, 3)
    ),
    quiet("safety-nonacute", baseline_answers(), "asq all no"),
    quiet("safety-nonacute", baseline_answers() | asq_yes(2, True), "asq_5 yes is acute"),
    # policy.md's safety-nonacute, for a past attempt alone: its own rule, so that its words say just that
    fires("safety-past-attempt", "iop", baseline_answers() | asq_yes(4, False), "asq_4 alone yes, asq_5 no"),
    quiet("safety-nonacute", baseline_answers() | asq_yes(4, False), "asq_4 alone is a past attempt"),
    quiet("safety-past-attempt", baseline_answers() | asq_yes(4, False) | {"asq_3": True}, "asq_3 and asq_4 yes"),
    quiet("safety-past-attempt", baseline_answers() | asq_yes(4, True), "asq_4 and asq_5 yes is acute"),
    # withdrawal
    fires(
        "withdrawal-severe-now",
        "inpatient",
        with_alcohol(0, withdrawal_now=True, withdrawal_history="severe"),
        "alcohol, now, severe history",
    ),
    fires(
        "withdrawal-severe-now",
        "inpatient",
        with_drugs(0, drug="opioids", withdrawal_now=True, withdrawal_history="severe"),
        "opioids, now, severe history",
    ),
    quiet("withdrawal-severe-now", with_alcohol(0, withdrawal_history="severe"), "severe history, not now"),
    quiet(
        "withdrawal-severe-now", with_alcohol(0, withdrawal_now=True, withdrawal_history="mild"), "now, mild history"
    ),
    fires(
        "withdrawal-severe-risk",
        "inpatient",
        with_alcohol(0, use_days=20, withdrawal_history="severe"),
        "alcohol, severe, 20 days",
    ),
    fires(
        "withdrawal-severe-risk",
        "inpatient",
        with_drugs(0, drug="sedatives", use_days=20, withdrawal_history="severe"),
        "sedatives, severe, 20 days",
    ),
    fires(
        "withdrawal-severe-risk",
        "inpatient",
        with_drugs(0, drug="opioids", substances=["opioids", "sedatives"], use_days=30, withdrawal_history="severe"),
        "opioids and sedatives, severe, 30 days",
    ),
    quiet("withdrawal-severe-risk", with_alcohol(0, use_days=19, withdrawal_history="severe"), "alcohol, 19 days"),
    quiet(
        "withdrawal-severe-risk",
        with_drugs(0, drug="opioids", use_days=20, withdrawal_history="severe"),
        "opioids only, 20 days",
    ),
    quiet("withdrawal-severe-risk", with_alcohol(0, use_days=20, withdrawal_history="mild"), "mild history"),
    *(
        fires(
            "withdrawal-now",
            "php",
            with_alcohol(0, withdrawal_now=True, withdrawal_history=history),
            f"now, {history} history",
        )
        for history in ("none", "mild")
    ),
    fires(
        "withdrawal-now",
        "php",
        with_drugs(0, drug="stimulants", withdrawal_now=True),
        "stimulants, now, no history",
    ),
    quiet("withdrawal-now", with_alcohol(0, withdrawal_now=True, withdrawal_history="severe"), "now, severe history"),
    quiet("withdrawal-now", with_alcohol(0, withdrawal_history="mild"), "not now"),
    fires("withdrawal-mild-risk", "iop", with_alcohol(0, use_days=20, withdrawal_history="mild"), "alcohol, 20 days"),
    fires(
        "withdrawal-mild-risk",
        "iop",
        with_drugs(0, drug="sedatives", use_days=20, withdrawal_history="mild"),
        "sedatives, 20 days",
    ),
    quiet("withdrawal-mild-risk", with_alcohol(0, use_days=19, withdrawal_history="mild"), "alcohol, 19 days"),
    quiet(
        "withdrawal-mild-risk",
        with_drugs(0, drug="opioids", use_days=20, withdrawal_history="mild"),
        "opioids only, 20 days",
    ),
    quiet("withdrawal-mild-risk", with_alcohol(0, use_days=20, withdrawal_history="none"), "no history"),
    quiet("withdrawal-mild-risk", with_alcohol(0, use_days=20, withdrawal_history="severe"), "severe history"),
    # health
    fires("medical-unstable", "inpatient", baseline_answers() | {"medical_unstable": True}, "medical_unstable"),
    quiet("medical-unstable", baseline_answers(), "medically stable"),
    fires("self-care", "inpatient", baseline_answers() | {"self_care": False}, "cannot self-care"),
    quiet("self-care", baseline_answers(), "self-care"),
    fires("psychosis", "php", baseline_answers() | {"psychosis": True}, "psychosis"),
    quiet("psychosis", baseline_answers(), "no psychosis"),
    # mood and anxiety
    fires("depression-severe", "php", with_phq9(20), "phq9 20"),
    fires("depression-severe", "php", with_phq9(27), "phq9 27"),
    quiet("depression-severe", with_phq9(19), "phq9 19"),
    fires("mh-moderately-severe", "iop", with_phq9(15), "phq9 15"),
    fires("mh-moderately-severe", "iop", with_phq9(19), "phq9 19"),
    quiet("mh-moderately-severe", with_phq9(14), "phq9 14"),
    quiet("mh-moderately-severe", with_phq9(20), "phq9 20"),
    fires("mh-moderately-severe", "iop", with_gad7(15), "gad7 15"),
    fires("mh-moderately-severe", "iop", with_gad7(21), "gad7 21"),
    quiet("mh-moderately-severe", with_gad7(14), "gad7 14"),
    fires("mh-moderate", "outpatient", with_phq9(10), "phq9 10"),
    fires("mh-moderate", "outpatient", with_phq9(14), "phq9 14"),
    quiet("mh-moderate", with_phq9(9), "phq9 9"),
    quiet("mh-moderate", with_phq9(15), "phq9 15"),
    fires("mh-moderate", "outpatient", with_gad7(10), "gad7 10"),
    fires("mh-moderate", "outpatient", with_gad7(14), "gad7 14"),
    quiet("mh-moderate", with_gad7(9), "gad7 9"),
    quiet("mh-moderate", with_gad7(15), "gad7 15"),
    fires("self-harm-thoughts", "outpatient", with_phq9(0, phq9_9=1), "phq9_9 1"),
    fires("self-harm-thoughts", "outpatient", with_phq9(0, phq9_9=3), "phq9_9 3"),
    quiet("self-harm-thoughts", with_phq9(24), "phq9 24 with phq9_9 0"),
    # drinking and drug use
    fires("use-high", "iop", with_alcohol(20), "audit 20"),
    fires("use-high", "iop", with_drugs(6), "dast 6"),
    quiet("use-high", with_alcohol(19), "audit 19"),
    quiet("use-high", with_drugs(5), "dast 5"),
    *(fires("use-moderate", "outpatient", with_alcohol(total), f"audit {total}") for total in (8, 15, 16, 19)),
    *(quiet("use-moderate", with_alcohol(total), f"audit {total}") for total in (7, 20)),
    *(fires("use-moderate", "outpatient", with_drugs(total), f"dast {total}") for total in (1, 2, 3, 5)),
    *(quiet("use-moderate", with_drugs(total), f"dast {total}") for total in (0, 6)),
    # environment
    fires("env-no-home", "inpatient", homeless(with_alcohol(20)), "audit 20, no housing"),
    fires("env-no-home", "inpatient", homeless(with_drugs(6)), "dast 6, no housing"),
    quiet("env-no-home", with_alcohol(20, housing="unstable"), "audit 20, unstable housing"),
    quiet("env-no-home", homeless(with_alcohol(19)), "audit 19, no housing"),
    fires(
        "env-unsafe-home",
        "inpatient",
        with_alcohol(20, home_use=True, support="none"),
        "audit 20, home use, no support",
    ),
    quiet("env-unsafe-home", with_alcohol(20, home_use=True, support="some"), "audit 20, home use, some support"),
    quiet("env-unsafe-home", with_alcohol(20, support="none"), "audit 20, no home use, no support"),
    quiet("env-unsafe-home", with_alcohol(19, home_use=True, support="none"), "audit 19, home use, no support"),
    fires("env-weak-high", "php", with_alcohol(20, housing="unstable"), "audit 20, unstable housing"),
    fires("env-weak-high", "php", with_alcohol(20, home_use=True), "audit 20, home use"),
    fires("env-weak-high", "php", with_alcohol(20, support="none"), "audit 20, no support"),
    fires("env-weak-high", "php", with_drugs(6, housing="unstable"), "dast 6, unstable housing"),
    quiet("env-weak-high", with_alcohol(20, support="some"), "audit 20, stable home, some support"),
    quiet("env-weak-high", homeless(with_alcohol(20)), "audit 20, no housing is not weak_home"),
    quiet("env-weak-high", with_alcohol(19, housing="unstable"), "audit 19, unstable housing"),
    fires("env-weak-moderate", "iop", with_alcohol(16, housing="unstable"), "audit 16, unstable housing"),
    fires("env-weak-moderate", "iop", with_alcohol(16, home_use=True), "audit 16, home use"),
    fires("env-weak-moderate", "iop", with_alcohol(16, support="none"), "audit 16, no support"),
    fires("env-weak-moderate", "iop", homeless(with_alcohol(16)), "audit 16, no housing"),
    fires("env-weak-moderate", "iop", with_drugs(3, housing="unstable"), "dast 3, unstable housing"),
    quiet("env-weak-moderate", with_alcohol(16, support="some"), "audit 16, stable home, some support"),
    quiet("env-weak-moderate", with_alcohol(15, housing="unstable"), "audit 15, unstable housing"),
    quiet("env-weak-moderate", with_drugs(2, housing="unstable"), "dast 2, unstable housing"),
    quiet("env-weak-moderate", with_alcohol(20, housing="unstable"), "audit 20, unstable housing"),
    # both at once
    fires("co-occurring", "php", with_alcohol(16, **phq9_items(15)), "audit 16, phq9 15"),
    fires("co-occurring", "php", with_drugs(3, **gad7_items(15)), "dast 3, gad7 15"),
    fires("co-occurring", "php", with_alcohol(20, **phq9_items(20)), "audit 20, phq9 20"),
    quiet("co-occurring", with_alcohol(15, **phq9_items(15)), "audit 15, phq9 15"),
    quiet("co-occurring", with_drugs(2, **gad7_items(15)), "dast 2, gad7 15"),
    quiet("co-occurring", with_alcohol(16, **phq9_items(14)), "audit 16, phq9 14"),
    quiet("co-occurring", with_drugs(3, **gad7_items(14)), "dast 3, gad7 14"),
    # relapse after treatment
    *(fires("relapse-floor", prior, baseline_answers() | relapse(prior), f"after {prior}") for prior in PRIORS),
    *(
        quiet(
            "relapse-floor",
            baseline_answers() | {"prior_treatment": prior, "relapse_after_treatment": False},
            f"{prior}, no relapse",
        )
        for prior in PRIORS
    ),
    quiet("relapse-floor", baseline_answers(), "no prior treatment"),
    *(
        fires("relapse-step-up", next_level(prior), with_alcohol(16, **relapse(prior)), f"audit 16, after {prior}")
        for prior in PRIORS
    ),
    fires("relapse-step-up", "php", with_drugs(3, **relapse("iop")), "dast 3, after iop"),
    quiet("relapse-step-up", with_alcohol(15, **relapse("iop")), "audit 15, after iop"),
    quiet("relapse-step-up", with_drugs(2, **relapse("iop")), "dast 2, after iop"),
    quiet(
        "relapse-step-up",
        with_alcohol(16, prior_treatment="iop", relapse_after_treatment=False),
        "audit 16, iop, no relapse",
    ),
]


@pytest.mark.parametrize(("answers", "rule", "minimum"), RULE_CASES)
def test_rule_at_its_boundary(assessor: Assessor, answers: dict[str, Any], rule: str, minimum: str | None) -> None:
    result = assess(assessor, answers)
    if minimum is None:
        assert rule not in fired(result)
        return
    assert rule in fired(result)
    (reason,) = (reason for reason in result.reasons if reason.rule == rule)
    assert reason.level == minimum
    assert rank(result.level) >= rank(minimum)
    assert result.screen_positive


def test_every_policy_rule_is_tested_both_ways() -> None:
    firing = {param.values[1] for param in RULE_CASES if param.values[2] is not None}
    quieting = {param.values[1] for param in RULE_CASES if param.values[2] is None}
    assert firing == set(POLICY_RULES)
    assert quieting == set(POLICY_RULES)


def test_rule_set_has_exactly_the_policy_rules(assessor: Assessor) -> None:
    assert tuple(rule.id for rule in assessor.placement) == POLICY_RULES


# --- derived values -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "use_severity"),
    [
        pytest.param(baseline_answers(), 0, id="no substances"),
        pytest.param(with_alcohol(0), 0, id="audit 0"),
        pytest.param(with_alcohol(7), 0, id="audit 7"),
        pytest.param(with_alcohol(8), 1, id="audit 8"),
        pytest.param(with_alcohol(15), 1, id="audit 15"),
        pytest.param(with_alcohol(16), 2, id="audit 16"),
        pytest.param(with_alcohol(19), 2, id="audit 19"),
        pytest.param(with_alcohol(20), 3, id="audit 20"),
        pytest.param(with_alcohol(40), 3, id="audit 40"),
        pytest.param(with_drugs(0), 0, id="dast 0"),
        pytest.param(with_drugs(1), 1, id="dast 1"),
        pytest.param(with_drugs(2), 1, id="dast 2"),
        pytest.param(with_drugs(3), 2, id="dast 3"),
        pytest.param(with_drugs(5), 2, id="dast 5"),
        pytest.param(with_drugs(6), 3, id="dast 6"),
        pytest.param(with_drugs(10), 3, id="dast 10"),
        pytest.param(
            with_drugs(3, substances=["alcohol", "cannabis"], **audit_items(8)), 2, id="audit 8 and dast 3 -> higher"
        ),
        pytest.param(
            with_drugs(1, substances=["alcohol", "cannabis"], **audit_items(20)), 3, id="audit 20 and dast 1 -> higher"
        ),
    ],
)
def test_use_severity(assessor: Assessor, answers: dict[str, Any], use_severity: int) -> None:
    assert assess(assessor, answers).derived["use_severity"] == use_severity


@pytest.mark.parametrize(
    ("answers", "mh_severity"),
    [
        pytest.param(with_phq9(9), 0, id="phq9 9"),
        pytest.param(with_phq9(10), 1, id="phq9 10"),
        pytest.param(with_phq9(14), 1, id="phq9 14"),
        pytest.param(with_phq9(15), 2, id="phq9 15"),
        pytest.param(with_phq9(19), 2, id="phq9 19"),
        pytest.param(with_phq9(20), 3, id="phq9 20"),
        pytest.param(with_gad7(9), 0, id="gad7 9"),
        pytest.param(with_gad7(10), 1, id="gad7 10"),
        pytest.param(with_gad7(14), 1, id="gad7 14"),
        pytest.param(with_gad7(15), 2, id="gad7 15"),
        pytest.param(with_gad7(21), 2, id="gad7 21"),
        pytest.param(with_gad7(15, **phq9_items(20)), 3, id="phq9 20 and gad7 15 -> higher"),
    ],
)
def test_mh_severity(assessor: Assessor, answers: dict[str, Any], mh_severity: int) -> None:
    assert assess(assessor, answers).derived["mh_severity"] == mh_severity


def test_an_instrument_not_asked_adds_nothing_drinker(assessor: Assessor) -> None:
    result = assess(assessor, with_alcohol(16))
    assert "dast" not in result.scores
    assert result.scores["audit"].total == 16
    assert result.derived["use_severity"] == 2


def test_an_instrument_not_asked_adds_nothing_drug_user(assessor: Assessor) -> None:
    result = assess(assessor, with_drugs(3))
    assert "audit" not in result.scores
    assert result.scores["dast"].total == 3
    assert result.derived["use_severity"] == 2


def test_a_drinker_at_low_risk_with_no_drugs_screens_negative(assessor: Assessor) -> None:
    result = assess(assessor, with_alcohol(7))
    assert "dast" not in result.scores
    assert result.derived["use_severity"] == 0
    assert not result.screen_positive


# --- the final level, deciding reasons, urgency ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param(baseline_answers(), id="nothing reported"),
        pytest.param(with_alcohol(7, use_days=19, withdrawal_history="mild"), id="audit 7, mild history, 19 days"),
        pytest.param(
            with_drugs(0, use_days=30, withdrawal_history="severe"), id="cannabis dast 0, severe history, 30 days"
        ),
        pytest.param(with_gad7(9, **phq9_items(9)), id="phq9 9, gad7 9"),
        pytest.param(
            baseline_answers() | {"age": 17, "support": "none", "readiness": 0, "mh_diagnosis": True},
            id="teen, no support, not ready",
        ),
        pytest.param(
            baseline_answers() | {"prior_treatment": "php", "relapse_after_treatment": False}, id="no relapse"
        ),
    ],
)
def test_no_rule_fired_is_screen_negative_outpatient(assessor: Assessor, answers: dict[str, Any]) -> None:
    result = assess(assessor, answers)
    assert result.reasons == ()
    assert result.screen_positive is False
    assert result.level == "outpatient"
    assert result.urgent is False
    assert result.safety_note is False
    assert result.program_types == ()
    assert result.modalities == ()


@pytest.mark.parametrize(
    ("answers", "level", "deciding"),
    [
        pytest.param(
            with_alcohol(8, psychosis=True, **asq_yes(1, False)),
            "php",
            {"psychosis"},
            id="outpatient + iop + php -> php",
        ),
        pytest.param(
            with_alcohol(0, withdrawal_now=True, withdrawal_history="mild", psychosis=True),
            "php",
            {"psychosis", "withdrawal-now"},
            id="two php rules both decide",
        ),
        pytest.param(
            with_phq9(10, phq9_9=1),
            "outpatient",
            {"mh-moderate", "self-harm-thoughts"},
            id="outpatient rules decide an outpatient result",
        ),
        pytest.param(
            with_alcohol(20, medical_unstable=True, **relapse("iop")),
            "inpatient",
            {"medical-unstable"},
            id="inpatient over use-high, relapse-floor iop",
        ),
        pytest.param(
            with_alcohol(20, **relapse("php")),
            "inpatient",
            {"relapse-step-up"},
            id="step-up above php beats use-high and relapse-floor",
        ),
        pytest.param(
            with_alcohol(16, housing="unstable", **gad7_items(15)),
            "php",
            {"co-occurring"},
            id="co-occurring over env-weak-moderate, mh-moderately-severe",
        ),
    ],
)
def test_final_level_is_the_highest_minimum(
    assessor: Assessor, answers: dict[str, Any], level: str, deciding: set[str]
) -> None:
    result = assess(assessor, answers)
    assert result.level == level
    assert {reason.rule for reason in result.reasons if reason.deciding} == deciding


@pytest.mark.parametrize(
    ("answers", "urgent"),
    [
        pytest.param(baseline_answers() | asq_yes(3, True), True, id="safety-acute"),
        pytest.param(
            with_alcohol(0, withdrawal_now=True, withdrawal_history="severe"), True, id="withdrawal-severe-now"
        ),
        pytest.param(baseline_answers() | asq_yes(3, False), False, id="safety-nonacute"),
        pytest.param(baseline_answers() | {"medical_unstable": True}, False, id="medical-unstable"),
        pytest.param(baseline_answers() | {"self_care": False}, False, id="self-care"),
        pytest.param(with_alcohol(0, use_days=30, withdrawal_history="severe"), False, id="withdrawal-severe-risk"),
        pytest.param(with_alcohol(0, withdrawal_now=True), False, id="withdrawal-now"),
        pytest.param(homeless(with_alcohol(20)), False, id="env-no-home"),
        pytest.param(with_alcohol(20, home_use=True, support="none"), False, id="env-unsafe-home"),
        pytest.param(baseline_answers() | relapse("inpatient"), False, id="relapse-floor inpatient"),
        pytest.param(with_phq9(27), False, id="depression-severe with self-harm thoughts"),
    ],
)
def test_urgent_only_from_safety_acute_or_severe_withdrawal_now(
    assessor: Assessor, answers: dict[str, Any], urgent: bool
) -> None:
    result = assess(assessor, answers)
    assert result.urgent is urgent
    assert {r.rule for r in result.reasons if r.urgent} <= {"safety-acute", "withdrawal-severe-now"}
    assert any(r.urgent for r in result.reasons) is urgent
    if urgent:
        assert result.level == "inpatient"


@pytest.mark.parametrize(
    ("answers", "safety_note"),
    [
        pytest.param(baseline_answers() | asq_yes(1, False), True, id="safety-nonacute"),
        pytest.param(with_phq9(0, phq9_9=1), True, id="self-harm-thoughts"),
        pytest.param(with_phq9(24), False, id="phq9 24 without item 9"),
        pytest.param(baseline_answers() | {"medical_unstable": True}, False, id="medical-unstable"),
    ],
)
def test_safety_note(assessor: Assessor, answers: dict[str, Any], safety_note: bool) -> None:
    result = assess(assessor, answers)
    assert result.safety_note is safety_note
    assert result.urgent is False


def test_safety_nonacute_is_not_urgent_but_shows_the_safety_note(assessor: Assessor) -> None:
    result = assess(assessor, baseline_answers() | asq_yes(2, False))
    assert fired(result) == {"safety-nonacute"}
    assert result.level == "iop"
    assert result.urgent is False
    assert result.safety_note is True


def test_safety_acute_is_urgent_inpatient(assessor: Assessor) -> None:
    result = assess(assessor, baseline_answers() | asq_yes(2, True))
    assert fired(result) == {"safety-acute"}
    assert result.level == "inpatient"
    assert result.urgent is True


# --- program types and modalities -----------------------------------------------------------------------------------


def positive(**extra: Any) -> dict[str, Any]:
    """A screen-positive baseline (phq9 10: mh-moderate, outpatient) that sets no other suggestion by itself."""
    return with_phq9(10, **extra)


SUGGESTION_CASES = [
    # program types
    pytest.param(with_alcohol(8, **phq9_items(10)), "dual-diagnosis", True, id="dual-diagnosis on: audit 8, phq9 10"),
    pytest.param(with_drugs(1, **gad7_items(10)), "dual-diagnosis", True, id="dual-diagnosis on: dast 1, gad7 10"),
    pytest.param(
        with_alcohol(8, mh_diagnosis=True), "dual-diagnosis", True, id="dual-diagnosis on: audit 8, diagnosis"
    ),
    pytest.param(with_alcohol(8, psychosis=True), "dual-diagnosis", True, id="dual-diagnosis on: audit 8, psychosis"),
    pytest.param(with_alcohol(8, **phq9_items(9)), "dual-diagnosis", False, id="dual-diagnosis off: audit 8, phq9 9"),
    pytest.param(
        with_alcohol(7, mh_diagnosis=True, **phq9_items(10)),
        "dual-diagnosis",
        False,
        id="dual-diagnosis off: audit 7, phq9 10, diagnosis",
    ),
    pytest.param(positive(age=17), "adolescent", True, id="adolescent on: age 17"),
    pytest.param(positive(age=18), "adolescent", False, id="adolescent off: age 18"),
    pytest.param(
        with_alcohol(0, withdrawal_now=True, withdrawal_history="severe"),
        "withdrawal-management",
        True,
        id="withdrawal-management on: withdrawal-severe-now",
    ),
    pytest.param(
        with_alcohol(0, use_days=20, withdrawal_history="severe"),
        "withdrawal-management",
        True,
        id="withdrawal-management on: withdrawal-severe-risk",
    ),
    pytest.param(
        with_drugs(0, withdrawal_now=True),
        "withdrawal-management",
        True,
        id="withdrawal-management on: withdrawal-now",
    ),
    pytest.param(
        with_alcohol(0, use_days=20, withdrawal_history="mild"),
        "withdrawal-management",
        True,
        id="withdrawal-management on: withdrawal-mild-risk",
    ),
    pytest.param(
        with_alcohol(20, use_days=19, withdrawal_history="mild"),
        "withdrawal-management",
        False,
        id="withdrawal-management off: audit 20, mild history, 19 days",
    ),
    pytest.param(
        with_drugs(6, drug="opioids", use_days=30, withdrawal_history="severe"),
        "withdrawal-management",
        False,
        id="withdrawal-management off: opioids dast 6, severe history, 30 days",
    ),
    # modalities
    pytest.param(positive(), "cbt", True, id="cbt on: screen positive"),
    pytest.param(positive(readiness=6), "motivational-interviewing", True, id="motivational-interviewing on: 6"),
    pytest.param(positive(readiness=0), "motivational-interviewing", True, id="motivational-interviewing on: 0"),
    pytest.param(positive(readiness=7), "motivational-interviewing", False, id="motivational-interviewing off: 7"),
    pytest.param(positive(age=17), "family-therapy", True, id="family-therapy on: age 17, strong support"),
    pytest.param(positive(support="some"), "family-therapy", True, id="family-therapy on: some support"),
    pytest.param(positive(support="none"), "family-therapy", True, id="family-therapy on: no support"),
    pytest.param(positive(age=18), "family-therapy", False, id="family-therapy off: age 18, strong support"),
    pytest.param(with_alcohol(8), "twelve-step-facilitation", True, id="twelve-step on: alcohol, audit 8"),
    pytest.param(with_drugs(1, drug="opioids"), "twelve-step-facilitation", True, id="twelve-step on: opioids, dast 1"),
    pytest.param(
        with_alcohol(7, **phq9_items(10)), "twelve-step-facilitation", False, id="twelve-step off: alcohol, audit 7"
    ),
    pytest.param(
        with_drugs(0, drug="opioids", **phq9_items(10)),
        "twelve-step-facilitation",
        False,
        id="twelve-step off: opioids, dast 0",
    ),
    pytest.param(with_drugs(1), "twelve-step-facilitation", False, id="twelve-step off: cannabis, dast 1"),
    *(
        pytest.param(with_drugs(1, drug="stimulants"), code, True, id=f"{code} on: stimulants, dast 1")
        for code in ("matrix-model", "contingency-management")
    ),
    *(
        pytest.param(
            with_drugs(0, drug="stimulants", **phq9_items(10)), code, False, id=f"{code} off: stimulants, dast 0"
        )
        for code in ("matrix-model", "contingency-management")
    ),
    *(
        pytest.param(with_drugs(1, drug="cannabis"), code, False, id=f"{code} off: cannabis, dast 1")
        for code in ("matrix-model", "contingency-management")
    ),
    pytest.param(baseline_answers() | asq_yes(1, False), "dbt", True, id="dbt on: asq non-acute"),
    pytest.param(baseline_answers() | asq_yes(1, True), "dbt", True, id="dbt on: asq acute"),
    pytest.param(with_phq9(15), "dbt", True, id="dbt on: phq9 15"),
    pytest.param(with_gad7(15), "dbt", True, id="dbt on: gad7 15"),
    pytest.param(with_phq9(14), "dbt", False, id="dbt off: phq9 14"),
    pytest.param(with_gad7(14), "dbt", False, id="dbt off: gad7 14"),
    pytest.param(with_gad7(10), "mindfulness", True, id="mindfulness on: gad7 10"),
    pytest.param(positive(**gad7_items(9)), "mindfulness", False, id="mindfulness off: gad7 9"),
    pytest.param(
        with_alcohol(16, medical_unstable=True), "therapeutic-community", True, id="therapeutic-community on: inpatient"
    ),
    pytest.param(
        with_alcohol(15, medical_unstable=True),
        "therapeutic-community",
        False,
        id="therapeutic-community off: inpatient, audit 15",
    ),
    pytest.param(
        with_alcohol(16, psychosis=True), "therapeutic-community", False, id="therapeutic-community off: php, audit 16"
    ),
]

PROGRAM_TYPES = {"dual-diagnosis", "adolescent", "withdrawal-management"}


@pytest.mark.parametrize(("answers", "code", "listed"), SUGGESTION_CASES)
def test_program_types_and_modalities(assessor: Assessor, answers: dict[str, Any], code: str, listed: bool) -> None:
    result = assess(assessor, answers)
    assert result.screen_positive, "a suggestion is judged only for a screen-positive result"
    codes = result.program_types if code in PROGRAM_TYPES else result.modalities
    assert (code in codes) is listed


def test_suggestions_never_change_the_level(assessor: Assessor) -> None:
    plain = assess(assessor, with_phq9(10, readiness=8, support="strong"))
    suggested = assess(assessor, with_phq9(10, readiness=0, support="none", age=17, **gad7_items(10)))
    assert len(suggested.modalities) > len(plain.modalities)
    assert plain.level == suggested.level == "outpatient"


def test_screen_negative_lists_no_suggestions_even_when_their_conditions_hold(assessor: Assessor) -> None:
    result = assess(assessor, baseline_answers() | {"age": 15, "support": "none", "readiness": 0})
    assert not result.screen_positive
    assert result.program_types == ()
    assert result.modalities == ()
