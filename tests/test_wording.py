"""The words of a result (core/wording): crisis help that names its trigger, an urgent result that keeps to today, the
ASQ said as its result, cautions up front, credits for every questionnaire used, and each thing said once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from carecheck import Assessor, load_assessor
from carecheck.clinic.chart import chart_html, chart_markdown, chart_text
from carecheck.clinic.record import build_record
from carecheck.core.wording import explain
from carecheck.output.formats import Format
from carecheck.output.render import render_result
from conftest import baseline_answers, with_alcohol
from intake_answers import drinking

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
CASES = sorted((ROOT / "tests" / "cases").glob("*.yaml"))
INTAKE_CASES = sorted((ROOT / "tests" / "cases" / "intake").glob("*.yaml"))

ACUTE_ASQ = {"asq_3": True, "asq_5": True}
PAST_ATTEMPT_ONLY = {"asq_4": True, "asq_5": False}
SEVERE_WITHDRAWAL_NOW = {"withdrawal_now": True, "withdrawal_history": "severe"}


@pytest.fixture(scope="module")
def intake() -> Assessor:
    return load_assessor(rules="counselor-intake")


def text_of(assessor: Assessor, answers: dict[str, Any], fmt: Format = Format.TEXT) -> str:
    return render_result(assessor.assess(answers), assessor, fmt, width=10_000)


def before_the_result(text: str) -> str:
    return text.split("YOUR CARECHECK SCREENING RESULT")[0]


# --- crisis help names what was found ------------------------------------------------------------------------------


def test_crisis_help_for_suicide_now_speaks_of_suicide_not_withdrawal(assessor: Assessor) -> None:
    crisis = before_the_result(text_of(assessor, baseline_answers() | ACUTE_ASQ))
    assert crisis.startswith("!! Please get help now !!")
    assert "thoughts of killing yourself right now" in crisis
    assert "emergency mental health evaluation" in crisis
    assert "withdrawal" not in crisis


def test_crisis_help_for_severe_withdrawal_speaks_of_withdrawal_not_suicide(assessor: Assessor) -> None:
    crisis = before_the_result(text_of(assessor, with_alcohol(20, **SEVERE_WITHDRAWAL_NOW)))
    assert "withdrawal" in crisis
    assert "suicide" not in crisis
    assert "killing yourself" not in crisis


def test_crisis_contacts_give_988s_options_the_relay_and_samhsas_helpline(assessor: Assessor) -> None:
    crisis = before_the_result(text_of(assessor, baseline_answers() | ACUTE_ASQ))
    for said in ("Call or text 988", "988lifeline.org", "press 1", "press 2", "AYUDA", "711", "ASL", "911"):
        assert said in crisis
    assert "1-800-662-4357" in crisis
    assert "English and Spanish" in crisis


# --- an urgent result keeps to today -------------------------------------------------------------------------------

LATER = ("What to expect", "A typical week", "stays often last", "Insurance:", "How to find care", "Fitting care")


@pytest.mark.parametrize("answers", [baseline_answers() | ACUTE_ASQ, with_alcohol(20, **SEVERE_WITHDRAWAL_NOW)])
def test_an_acute_result_leaves_out_residential_details_schedules_and_insurance(
    assessor: Assessor, answers: dict[str, Any]
) -> None:
    result = assessor.assess(answers)
    assert result.urgent
    assert result.level == "inpatient"
    for fmt in (Format.TEXT, Format.MARKDOWN, Format.HTML):
        shown = render_result(result, assessor, fmt, width=10_000)
        for later in LATER:
            assert later not in shown, (fmt, later)
        assert "can wait until you are safe" in shown


def test_a_non_urgent_inpatient_result_keeps_what_to_expect_and_the_checklist(assessor: Assessor) -> None:
    text = text_of(assessor, with_alcohol(20, use_days=28, withdrawal_history="severe"))
    assert "What to expect: Inpatient or residential care" in text
    assert "Insurance:" in text
    assert "can wait until you are safe" not in text


# --- the ASQ -------------------------------------------------------------------------------------------------------


def test_a_past_attempt_alone_is_said_as_such_and_asks_for_a_safety_check_today(assessor: Assessor) -> None:
    result = assessor.assess(baseline_answers() | PAST_ATTEMPT_ONLY)
    assert result.safety_note
    assert not result.urgent
    text = render_result(result, assessor, Format.TEXT, width=10_000)
    check_in = text.split("YOUR CARECHECK")[0]
    assert "tried to kill yourself in the past" in check_in
    assert "safety check with a clinician today" in check_in
    assert "before anything else" in check_in
    for not_said in ("wishing you were dead", "thoughts of suicide, in recent weeks", "thoughts get stronger"):
        assert not_said not in text
    assert "yes to: tried to kill yourself before" in text


def test_recent_thoughts_ask_for_a_safety_check_today_not_soon(assessor: Assessor) -> None:
    check_in = before_the_result(text_of(assessor, baseline_answers() | {"asq_1": True, "asq_5": False}))
    assert "wishing you were dead" in check_in
    assert "brief safety check with a clinician today" in check_in
    assert "soon" not in check_in


@pytest.mark.parametrize("fmt", [Format.TEXT, Format.MARKDOWN, Format.HTML])
def test_the_asq_is_shown_as_its_result_never_as_a_count(assessor: Assessor, fmt: Format) -> None:
    answers = baseline_answers() | {"asq_1": True, "asq_2": True, "asq_5": False}
    result = assessor.assess(answers)
    assert result.scores["asq"].total == 2  # the JSON keeps the contract's count
    shown = render_result(result, assessor, fmt, width=10_000)
    assert "of 4" not in shown
    assert "Ask Suicide-Screening Questions (ASQ): Non-acute positive" in shown


# --- do not stop suddenly ------------------------------------------------------------------------------------------


def test_severe_withdrawal_before_with_heavy_use_says_do_not_stop_suddenly_under_the_headline(
    assessor: Assessor,
) -> None:
    text = text_of(assessor, with_alcohol(20, use_days=25, withdrawal_history="severe"))
    caution = "Important: Do not stop drinking or taking sedatives suddenly on your own."
    assert caution in text
    assert "Get medical advice first" in text
    assert text.index(caution) < text.index("Why this level")
    urgent = text_of(assessor, with_alcohol(20, use_days=25, **SEVERE_WITHDRAWAL_NOW))
    assert caution in urgent


@pytest.mark.parametrize(
    "answers",
    [
        with_alcohol(20, use_days=25, withdrawal_history="mild"),
        with_alcohol(20, use_days=10, withdrawal_history="severe"),
        baseline_answers(),
    ],
)
def test_the_caution_is_only_for_severe_withdrawal_before_with_heavy_use(
    assessor: Assessor, answers: dict[str, Any]
) -> None:
    assert "Do not stop drinking" not in text_of(assessor, answers)


# --- credits -------------------------------------------------------------------------------------------------------

CREDITS = {
    "audit": "© World Health Organization, 2001",
    "dast": "© 1982 Harvey A. Skinner, PhD, and the Centre for Addiction and Mental Health",
    "phq9": "Developed by Drs. Robert L. Spitzer",
    "gad7": "Developed by Drs. Robert L. Spitzer",
    "asq": "National Institute of Mental Health (NIMH) ASQ Toolkit",
}


def _escaped(text: str, fmt: Format) -> str:
    if fmt is Format.HTML:
        return text.replace("&", "&amp;")
    if fmt is Format.MARKDOWN:
        return text.replace("&", "\\&")
    return text


@pytest.mark.parametrize("fmt", [Format.TEXT, Format.MARKDOWN, Format.HTML])
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_result_format_lists_the_questionnaires_used_with_their_credit(
    assessor: Assessor, path: Path, fmt: Format
) -> None:
    result = assessor.assess(yaml.safe_load(path.read_text()))
    shown = render_result(result, assessor, fmt, width=10_000)
    assert "Questionnaires used" in shown
    for instrument in result.scores:
        assert _escaped(CREDITS[instrument], fmt) in shown, instrument
    for instrument in {"audit", "dast"} - set(result.scores):
        assert _escaped(CREDITS[instrument], fmt) not in shown, instrument  # only those whose items were asked


def test_the_chart_report_lists_the_questionnaires_used_with_their_credit_and_terms(intake: Assessor) -> None:
    answers = drinking(ciwa=12) | {"dast_1": True}
    answers["substances"] = ["alcohol", "cannabis"]
    answers.update({f"dast_{i}": False for i in range(2, 11)} | {"dast_3": True})
    result = intake.assess(answers)
    assert {"audit", "dast", "ciwa"} <= set(result.scores)
    chart = build_record(
        intake,
        result,
        client="C-1",
        counselor="R. Diaz",
        created="2026-01-02T03:04:05+00:00",
        override=None,
        carecheck_version="test",
    )
    page, markdown, text = chart_html(chart), chart_markdown(chart), chart_text(chart, width=10_000)
    assert "<h2>Questionnaires used</h2>" in page
    assert "Questionnaires used" in markdown
    assert "Questionnaires used" in text
    for said in (CREDITS["dast"], "non-commercial use", "Sullivan JT", "not for sale"):
        assert said in text
        assert _escaped(said, Format.MARKDOWN) in markdown
        assert said in page


# --- each thing said once ------------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def sentences(text: str) -> list[str]:
    """The sentences of a text result laid out without wrapping: every line, list markers off, split at each end.
    A part in parentheses is a reference, not a sentence (`(Guide section: ...)` after each criterion it backs)."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip().removeprefix("- ").strip()
        parts = _SENTENCE_END.split(line)
        out += [part for part in parts if len(part.split()) >= 4 and not part.startswith("(")]
    return out


def long_urgent_intake() -> dict[str, Any]:
    """Nearly every rule of the intake at once: suicide now, severe withdrawal now on both scales, intoxicated,
    a weak home, relapse after an IOP."""
    answers = yaml.safe_load((ROOT / "tests" / "cases" / "intake" / "ciwa-severe.yaml").read_text())["answers"]
    answers |= {"id": "long-urgent", "asq_1": True, "asq_3": True, "asq_4": True, "asq_5": True}
    answers |= {"substances": ["alcohol", "sedatives", "opioids"], "ciwa_total": 22, "cows_total": 38}
    answers |= {"withdrawal_now": True, "withdrawal_history": "severe", "intoxicated": True, "vitals_concern": True}
    answers |= {"housing": "unstable", "home_use": True, "support": "none", "prior_treatment": "iop"}
    answers |= {"relapse_after_treatment": True, "clinician_note": "Tremor, sweating."}
    answers |= {f"phq9_{i}": 2 for i in range(1, 10)} | {f"dast_{i}": i in (1, 2, 4, 5, 9) for i in range(1, 11)}
    return answers


def _answers(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    return data["answers"] if "answers" in data and "expect" in data else data


@pytest.mark.parametrize(
    ("path", "rules"),
    [(p, "level-of-care") for p in EXAMPLES + CASES]
    + [(p, "counselor-intake") for p in INTAKE_CASES]
    + [(None, "counselor-intake")],
    ids=lambda v: v.stem if isinstance(v, Path) else "long-urgent-intake" if v is None else v,
)
def test_no_sentence_is_said_twice_in_one_text_result(path: Path | None, rules: str, assessor: Assessor) -> None:
    used = assessor if rules == "level-of-care" else load_assessor(rules=rules)
    answers = long_urgent_intake() if path is None else _answers(path)
    text = render_result(used.assess(answers), used, Format.TEXT, width=10_000)
    said = sentences(text)
    repeated = sorted({s for s in said if said.count(s) > 1})
    assert repeated == []


def test_the_headline_names_the_level_and_its_deciding_reasons_in_one_sentence(assessor: Assessor) -> None:
    explanation = explain(assessor.assess(with_alcohol(20, use_days=28, withdrawal_history="severe")), assessor)
    assert explanation.summary == (
        "The level of care that fits your answers best is Inpatient or residential care, because of severe "
        "withdrawal before with alcohol or sedative use on most days."
    )
    assert "more of your answers" not in explanation.summary


def test_lower_levels_are_ruled_out_by_rule_names_not_their_sentences_again(assessor: Assessor) -> None:
    text = text_of(assessor, with_alcohol(25, use_days=28, withdrawal_history="severe"))
    lower = text.split("Why a lower level is not enough")[1].split("\n\n", 2)[1]
    assert lower.startswith("- Outpatient counseling: not enough because of severe withdrawal before")
    assert "and drinking or drug use in the highest range." in lower
    assert "You drank" not in lower


def test_evidence_is_only_what_made_the_rule_hold_in_words(assessor: Assessor) -> None:
    answers = with_alcohol(22, housing="stable", home_use=True, support="some")
    explanation = explain(assessor.assess(answers), assessor)
    weak = next(r for r in explanation.deciding + explanation.also_noted if r.rule == "env-weak-high")
    assert any(e.startswith("someone at home drinks or uses heavily: yes") for e in weak.evidence)
    assert not any("housing" in e for e in weak.evidence)  # stable housing did not count toward a weak home
    assert not any("support" in e for e in weak.evidence)


def test_evidence_leaves_out_a_score_whose_part_of_the_condition_did_not_hold(assessor: Assessor) -> None:
    from conftest import with_phq9

    explanation = explain(assessor.assess(with_phq9(12)), assessor)
    moderate = next(r for r in explanation.deciding if r.rule == "mh-moderate")
    assert [e.split(":")[0] for e in moderate.evidence] == ["Patient Health Questionnaire (PHQ-9)"]
