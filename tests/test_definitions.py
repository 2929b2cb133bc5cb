"""The shipped definitions: every file loads and validates, and the questionnaire asks exactly the contract's items."""

from __future__ import annotations

from pathlib import Path

import pytest

from carecheck import Assessor
from carecheck.authoring.validate import validate_files
from carecheck.core.definitions import BooleanItem, ChoiceItem, IntegerItem, MultiChoiceItem
from carecheck.core.errors import DefinitionError
from carecheck.load.loader import builtin_folder, load_instrument, load_questionnaire, load_rules

SHIPPED = sorted(builtin_folder("questionnaires").rglob("*.yaml")) + sorted(builtin_folder("rules").glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_file_loads_and_validates(path: Path) -> None:
    lines: list[str] = []
    assert validate_files([path], lines.append) == 0, lines
    assert lines
    assert lines[0].startswith("ok: ")


def test_instruments_credit_their_authors_and_terms() -> None:
    for path in sorted((builtin_folder("questionnaires") / "instruments").glob("*.yaml")):
        attribution = load_instrument(path).instrument.attribution
        assert attribution.authors
        assert attribution.terms
        assert attribution.credit


def test_every_instrument_file_names_the_published_sources_of_its_text() -> None:
    """Each instrument names where its wording, choices, scoring and bands come from: a document with a year (and an
    edition where there is one) or a web page, and what the file takes from it."""
    for path in sorted((builtin_folder("questionnaires") / "instruments").glob("*.yaml")):
        sources = load_instrument(path).instrument.attribution.sources
        assert sources, path.name
        assert any(source.year is not None for source in sources), f"{path.name}: no dated publication"
        for source in sources:
            assert source.document
            assert source.gives
            assert source.year is not None or (source.url or "").startswith("http"), path.name
        said = " ".join(source.gives for source in sources)
        assert "band" in said, f"{path.name}: the bands' source is not named"


def test_a_source_without_a_year_or_a_url_is_refused(tmp_path: Path) -> None:
    text = (builtin_folder("questionnaires") / "instruments" / "gad7.yaml").read_text()
    text = text.replace("      year: 2006\n", "").replace("      url: https://www.phqscreeners.com/\n", "")
    path = tmp_path / "gad7.yaml"
    path.write_text(text)
    with pytest.raises(DefinitionError, match="year of publication or a url"):
        load_instrument(path)


def test_the_audit_counts_who_standard_drinks_and_says_what_a_us_serving_is() -> None:
    audit = load_instrument(builtin_folder("questionnaires") / "instruments" / "audit.yaml").instrument
    first = audit.items[0].help or ""
    assert "10 grams" in first
    assert "12-ounce" in first
    assert "1.4" in first
    assert "not for sale or for use in conjunction with commercial purposes" in audit.attribution.terms
    assert audit.attribution.sources[0].edition == "second edition"


def test_dast10_credits_both_holders_and_does_not_promise_privacy() -> None:
    dast = load_instrument(builtin_folder("questionnaires") / "instruments" / "dast10.yaml").instrument
    assert "Harvey A. Skinner" in dast.attribution.credit
    assert "Centre for Addiction and Mental Health" in dast.attribution.credit
    assert "non-commercial" in dast.attribution.terms
    assert all("private" not in (item.help or "") for item in dast.items)


INTEGER = {"age": (12, 120), "use_days": (0, 30), "readiness": (0, 10), "hours_available": (0, 80)}
CHOICES = {
    "withdrawal_history": ["none", "mild", "severe"],
    "prior_treatment": ["none", "outpatient", "iop", "php", "inpatient"],
    "housing": ["stable", "unstable", "none"],
    "support": ["none", "some", "strong"],
}
AUDIT = {f"audit_{i}": [0, 1, 2, 3, 4] for i in range(1, 9)} | {"audit_9": [0, 2, 4], "audit_10": [0, 2, 4]}
POINTS = AUDIT | {f"phq9_{i}": [0, 1, 2, 3] for i in range(1, 10)} | {f"gad7_{i}": [0, 1, 2, 3] for i in range(1, 8)}
BOOLEAN = (
    {f"dast_{i}" for i in range(1, 11)}
    | {f"asq_{i}" for i in range(1, 6)}
    | {
        "withdrawal_now",
        "medical_unstable",
        "pregnant",
        "psychosis",
        "self_care",
        "mh_diagnosis",
        "relapse_after_treatment",
        "home_use",
    }
)


def test_the_questionnaire_asks_exactly_the_contract_items(assessor: Assessor) -> None:
    items = {item.id: item.definition for item in assessor.items}
    assert set(items) == set(INTEGER) | set(CHOICES) | set(POINTS) | BOOLEAN | {"substances"}
    for item_id, (low, high) in INTEGER.items():
        item = items[item_id]
        assert isinstance(item, IntegerItem), item_id
        assert (item.min, item.max) == (low, high), item_id
    for item_id, values in (CHOICES | POINTS).items():
        item = items[item_id]
        assert isinstance(item, ChoiceItem), item_id
        assert [c.value for c in item.choices] == values, item_id
    for item_id in BOOLEAN:
        assert isinstance(items[item_id], BooleanItem), item_id
    substances = items["substances"]
    assert isinstance(substances, MultiChoiceItem)
    assert [c.value for c in substances.choices] == [
        "alcohol",
        "cannabis",
        "opioids",
        "stimulants",
        "sedatives",
        "other",
    ]
    assert [i for i, item in items.items() if not item.required] == ["pregnant"]


def test_the_rule_set_names_the_four_levels_in_order() -> None:
    rules = load_rules(builtin_folder("rules") / "level-of-care.yaml").rules
    assert [level.id for level in rules.levels] == ["outpatient", "iop", "php", "inpatient"]


def test_every_criterion_cites_a_real_heading_of_the_guide() -> None:
    rules = load_rules(builtin_folder("rules") / "level-of-care.yaml").rules
    headings = {
        "Introduction",
        "What is an IOP Program?",
        "Difference between Inpatient and Outpatient Facility",
        "Types of IOPs",
        "How to Find an IOP",
        "What to Expect in an IOP",
        "Modalities Used in IOP Programs",
        "12-Step Facilitation",
        "Cognitive Behavioral Therapy",
        "Motivational Approaches",
        "Therapeutic Community",
        "Matrix Model",
        "Community Reinforcement and Contingency Management Approaches",
        "Benefits of IOP Programs",
        "Conclusion",
    }
    assert set(rules.guide.sections) <= headings
    assert {criterion.section for criterion in rules.criteria} <= headings


def test_the_guides_known_flaws_are_left_behind() -> None:
    text = (builtin_folder("rules") / "level-of-care.yaml").read_text().lower()
    assert "on friday" not in text
    assert "residential program" not in text
    assert "personality disorder" not in text


def test_the_questionnaire_hash_covers_its_instruments(tmp_path: Path) -> None:
    source = builtin_folder("questionnaires")
    original = load_questionnaire(source / "self-assessment.yaml").sha256
    for item in source.rglob("*.yaml"):
        target = tmp_path / item.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(item.read_text())
    assert load_questionnaire(tmp_path / "self-assessment.yaml").sha256 == original
    gad7 = tmp_path / "instruments" / "gad7.yaml"
    gad7.write_text(gad7.read_text() + "\n# edited\n")
    assert load_questionnaire(tmp_path / "self-assessment.yaml").sha256 != original
