"""LOINC codes of the shipped instruments: panels, items, totals and answers, each one read in a citable source.

The sources (docs/fhir.md lists them with their versions): the loinc.org term pages of 44261-6, 72110-0, 75624-7,
82667-7, 69729-2 (the PHQ-SADS panel, which lists the PHQ-9 and GAD-7 items in order) and the answer list LL358-3;
the LHC-Forms PHQ-9 (LHNCBC/lforms `test/data/R4/phq9.json`); the US Core AUDIT-C Questionnaire (items 68519-8 and
68520-6 with their answers). What no source we could read confirms stays uncoded, because a wrong code in a clinical
record is worse than none: the DAST-10 items, the ASQ, the GAD-7 panel code, and the answers of AUDIT items 1, 9
and 10. An LA code names one answer string whatever question it answers, so an answer is coded where its exact
string has a confirmed LA code (the AUDIT items 4 to 8 share item 3's five answers).

Keyed by instrument id: an instrument is coded only when its items and answer values are exactly those listed here
(`matches`), so a custom instrument that reuses an id is left uncoded rather than mislabelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

SYSTEM = "http://loinc.org"


class Answer(NamedTuple):
    code: str
    display: str


class Question(NamedTuple):
    code: str
    display: str
    answers: Mapping[int, Answer] | None = None
    """The LA code of each answer value; None where the answers stay in carecheck's own code system."""


class Panel(NamedTuple):
    code: str | None
    """The panel's code; None where none was confirmed."""
    display: str | None
    total: tuple[str, str] | None
    """The total score's code and display."""
    items: Mapping[str, Question]
    """carecheck item id -> its LOINC question."""
    not_asked: frozenset[str] = frozenset()
    """Codes of the panel carecheck does not ask (an EHR's form may still send them): skipped when read."""


# Answer list LL358-3 (loinc.org/LL358-3): the PHQ-9 and GAD-7 frequency answers, scored 0 to 3.
_FREQUENCY = {
    0: Answer("LA6568-5", "Not at all"),
    1: Answer("LA6569-3", "Several days"),
    2: Answer("LA6570-1", "More than half the days"),
    3: Answer("LA6571-9", "Nearly every day"),
}
# US Core Questionnaire-AUDIT-C, item 68519-8, with ordinalValue 0..4.
_DRINKS_PER_DAY = {
    0: Answer("LA15694-5", "1 or 2"),
    1: Answer("LA15695-2", "3 or 4"),
    2: Answer("LA18930-0", "5 or 6"),
    3: Answer("LA18931-8", "7 to 9"),
    4: Answer("LA18932-6", "10 or more"),
}
# US Core Questionnaire-AUDIT-C, item 68520-6, with ordinalValue 0..4.
_HOW_OFTEN = {
    0: Answer("LA6270-8", "Never"),
    1: Answer("LA18933-4", "Less than monthly"),
    2: Answer("LA18876-5", "Monthly"),
    3: Answer("LA18891-4", "Weekly"),
    4: Answer("LA18934-2", "Daily or almost daily"),
}

PANELS: Mapping[str, Panel] = {
    "phq9": Panel(
        "44249-1",
        "PHQ-9 quick depression assessment panel [Reported.PHQ]",
        ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]"),
        {
            "phq9_1": Question("44250-9", "Little interest or pleasure in doing things", _FREQUENCY),
            "phq9_2": Question("44255-8", "Feeling down, depressed, or hopeless", _FREQUENCY),
            "phq9_3": Question("44259-0", "Trouble falling or staying asleep, or sleeping too much", _FREQUENCY),
            "phq9_4": Question("44254-1", "Feeling tired or having little energy", _FREQUENCY),
            "phq9_5": Question("44251-7", "Poor appetite or overeating", _FREQUENCY),
            "phq9_6": Question(
                "44258-2",
                "Feeling bad about yourself-or that you are a failure or have let yourself or your family down",
                _FREQUENCY,
            ),
            "phq9_7": Question(
                "44252-5",
                "Trouble concentrating on things, such as reading the newspaper or watching television",
                _FREQUENCY,
            ),
            "phq9_8": Question(
                "44253-3",
                "Moving or speaking so slowly that other people could have noticed. Or the opposite-being so fidgety "
                "or restless that you have been moving around a lot more than usual",
                _FREQUENCY,
            ),
            "phq9_9": Question(
                "44260-8",
                "Thoughts that you would be better off dead, or of hurting yourself in some way",
                _FREQUENCY,
            ),
        },
        # 69722-7: how difficult the problems made life (the PHQ-9's unscored tenth question).
        frozenset({"69722-7"}),
    ),
    "gad7": Panel(
        None,
        None,
        ("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]"),
        {
            "gad7_1": Question("69725-0", "Feeling nervous, anxious or on edge", _FREQUENCY),
            "gad7_2": Question(
                "68509-9", "Over the past 2 weeks have you not been able to stop or control worrying", _FREQUENCY
            ),
            "gad7_3": Question("69733-4", "Worrying too much about different things", _FREQUENCY),
            "gad7_4": Question("69734-2", "Trouble relaxing", _FREQUENCY),
            "gad7_5": Question("69735-9", "Being so restless that it is hard to sit still", _FREQUENCY),
            "gad7_6": Question("69689-8", "Becoming easily annoyed or irritable", _FREQUENCY),
            "gad7_7": Question("69736-7", "Feeling afraid as if something awful might happen", _FREQUENCY),
        },
    ),
    "audit": Panel(
        "72110-0",
        "Alcohol Use Disorder Identification Test [AUDIT]",
        ("75624-7", "Total score [AUDIT]"),
        {
            "audit_1": Question("68518-0", "How often do you have a drink containing alcohol?"),
            "audit_2": Question(
                "68519-8",
                "How many standard drinks containing alcohol do you have on a typical day when drinking?",
                _DRINKS_PER_DAY,
            ),
            "audit_3": Question("68520-6", "How often do you have six or more drinks on one occasion?", _HOW_OFTEN),
            "audit_4": Question(
                "97734-8",
                "During the past year, how often have you found that you were not able to stop drinking once you "
                "had started?",
                _HOW_OFTEN,
            ),
            "audit_5": Question(
                "97735-5",
                "During the past year, how often have you failed to do what was normally expected of you because of "
                "drinking?",
                _HOW_OFTEN,
            ),
            "audit_6": Question(
                "97736-3",
                "During the past year, how often have you needed a drink in the morning to get yourself going after "
                "a heavy drinking session?",
                _HOW_OFTEN,
            ),
            "audit_7": Question(
                "97737-1",
                "During the past year, how often have you had a feeling of guilt or remorse after drinking?",
                _HOW_OFTEN,
            ),
            "audit_8": Question(
                "97738-9",
                "During the past year, how often have you been unable to remember what happened the night before "
                "because you had been drinking?",
                _HOW_OFTEN,
            ),
            "audit_9": Question("97739-7", "Have you or someone else been injured as a result of your drinking?"),
            "audit_10": Question(
                "97740-5",
                "Has a relative or friend, doctor or other health worker been concerned about your drinking or "
                "suggested you cut down?",
            ),
        },
        # 46098-0: the panel's "Please select your gender", which carecheck does not ask.
        frozenset({"46098-0"}),
    ),
    "dast": Panel(
        "82666-9",
        "Drug Abuse Screening Test-10 [DAST-10]",
        ("82667-7", "Total score [DAST-10]"),
        {},
    ),
}


def matches(panel: Panel, items: Mapping[str, frozenset[object]]) -> bool:
    """Whether an instrument (item id -> its answer values) is the one this panel codes: every coded item is there,
    and where its answers are coded, it has exactly the coded answer values."""
    for item_id, question in panel.items.items():
        if item_id not in items:
            return False
        if question.answers is not None and set(question.answers) != items[item_id]:
            return False
    return True
