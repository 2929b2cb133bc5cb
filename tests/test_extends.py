"""A rule set that builds on another: entries merged by id, faults named in the file they come from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carecheck import load_assessor
from carecheck.api import load_pair
from carecheck.core.errors import DefinitionError
from carecheck.load.loader import builtin_folder, load_rules
from conftest import baseline_answers, with_gad7

CHILD = """extends: {base}
id: riverside
version: "1.0"
title: Riverside Clinic policy
placement:
  - id: mh-moderate
    when: "(phq9 >= 10 and phq9 <= 14) or (gad7 >= 10 and gad7 <= 14)"
    level: iop
    reason: Riverside offers its structured program for moderate mood or anxiety symptoms.
    criteria: [{criterion}]
  - id: young-adult-use
    when: "age < 25 and use_severity >= 2"
    level: iop
    reason: Young adults with this level of use do better with more structure.
    criteria: [iop-more-than-weekly]
"""


def child(tmp_path: Path, base: str = "level-of-care", criterion: str = "iop-more-than-weekly") -> Path:
    path = tmp_path / "riverside.yaml"
    path.write_text(CHILD.format(base=base, criterion=criterion))
    return path


def test_entries_with_the_same_id_replace_the_bases_and_new_ones_are_added(tmp_path: Path) -> None:
    loaded = load_rules(child(tmp_path))
    rules = loaded.rules
    ids = [rule.id for rule in rules.placement]
    assert len(ids) == 24
    assert ids.index("mh-moderate") == 12  # in the base's place
    assert ids[-1] == "young-adult-use"
    assert rules.extends == "level-of-care"
    assert rules.id == "riverside"
    assert rules.disclaimer == load_rules(builtin_folder("rules") / "level-of-care.yaml").rules.disclaimer
    assessor = load_assessor(rules=str(tmp_path / "riverside.yaml"))
    assert assessor.assess(with_gad7(11)).level == "iop"
    assert load_assessor().assess(with_gad7(11)).level == "outpatient"  # the built-in policy is untouched


def test_a_fault_in_the_extending_file_names_its_own_line(tmp_path: Path) -> None:
    path = child(tmp_path, criterion="iop-more-than-weeklyy")
    with pytest.raises(DefinitionError) as caught:
        load_assessor(rules=str(path))
    assert caught.value.message.startswith(f"{path}:10: no criterion is called 'iop-more-than-weeklyy'")


def test_a_fault_inherited_from_the_base_names_the_base_file(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    text = (builtin_folder("rules") / "level-of-care.yaml").read_text()
    base.write_text(text.replace('    when: "psychosis"', '    when: "psychosys"', 1))
    with pytest.raises(DefinitionError) as caught:
        load_assessor(rules=str(child(tmp_path, base="base.yaml")))
    line = next(n for n, row in enumerate(base.read_text().splitlines(), 1) if "psychosys" in row)
    assert caught.value.message.startswith(f"{base}:{line}: in `psychosys`")


def test_a_circle_of_extends_and_a_missing_base_are_load_errors(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nid: a\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nid: b\n")
    with pytest.raises(DefinitionError, match="goes round in a circle"):
        load_rules(tmp_path / "a.yaml")
    with pytest.raises(DefinitionError, match=r"riverside.yaml:1: `extends`: no rule set at 'nowhere.yaml'"):
        load_rules(child(tmp_path, base="nowhere.yaml"))


def test_a_relative_questionnaire_in_the_base_stays_relative_to_the_base(tmp_path: Path) -> None:
    source = builtin_folder("questionnaires")
    clinic = tmp_path / "clinic"
    for item in source.rglob("*.yaml"):
        target = clinic / "questionnaires" / item.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(item.read_text())
    base = clinic / "base-rules.yaml"
    text = (builtin_folder("rules") / "level-of-care.yaml").read_text()
    base.write_text(text + "\nquestionnaire: questionnaires/self-assessment.yaml\n")
    elsewhere = tmp_path / "teams"
    elsewhere.mkdir()
    path = child(elsewhere, base="../clinic/base-rules.yaml")
    questionnaire, _ = load_pair(None, str(path))
    assert questionnaire.source.file.endswith("clinic/questionnaires/self-assessment.yaml")


def test_an_edited_base_refreshes_the_cache(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text((builtin_folder("rules") / "level-of-care.yaml").read_text())
    path = child(tmp_path, base="base.yaml")
    before = load_assessor(rules=str(path)).assess(baseline_answers()).rules.sha256
    base.write_text(base.read_text() + "\n# edited\n")
    after = load_assessor(rules=str(path)).assess(baseline_answers()).rules.sha256
    assert before != after


def test_validate_knows_a_rule_set_that_only_extends(tmp_path: Path) -> None:
    from carecheck.authoring.validate import validate_files

    path = tmp_path / "only-invariants.yaml"
    path.write_text(
        "extends: level-of-care\nid: strict\nversion: '1'\ntitle: Strict\ninvariants:\n"
        "  - id: psychosis-is-day-treatment-or-more\n    description: Psychosis gets at least day treatment.\n"
        "    when: \"psychosis\"\n    expect: \"level == 'php' or level == 'inpatient'\"\n"
    )
    report: list[str] = []
    assert validate_files([path], report.append) == 0, report
    assert report[0].startswith("ok: ")
    assert "rule set strict" in report[0]


# --- questionnaires that build on another ---------------------------------------------------------------------------

QUESTIONNAIRE_CHILD = """extends: {base}
id: riverside-intake
version: "1.0"
title: Riverside intake
sections:
  - id: clinic
    title: At the clinic
    items:
      - id: walked_in
        type: boolean
        prompt: Did the client walk in without an appointment?
        required: false
"""


def copy_questionnaire(tmp_path: Path) -> Path:
    """The built-in self-assessment and its instruments, copied beside the test's files."""
    import shutil

    folder = tmp_path / "base"
    shutil.copytree(builtin_folder("questionnaires"), folder)
    return folder / "self-assessment.yaml"


def test_a_questionnaire_includes_its_bases_sections_and_instruments(tmp_path: Path) -> None:
    from carecheck.load.loader import load_questionnaire

    base = copy_questionnaire(tmp_path)
    path = tmp_path / "riverside.yaml"
    path.write_text(QUESTIONNAIRE_CHILD.format(base="base/self-assessment.yaml"))
    loaded = load_questionnaire(path)
    own = load_questionnaire(base)
    assert [s.id for s in loaded.questionnaire.sections] == [*(s.id for s in own.questionnaire.sections), "clinic"]
    assert set(loaded.instruments) == set(own.instruments)  # instrument paths stay relative to the base file
    assert loaded.bases == (str(base.resolve()),)
    assert loaded.sha256 != own.sha256


def test_a_section_with_the_bases_id_replaces_it_in_place(tmp_path: Path) -> None:
    from carecheck.load.loader import load_questionnaire

    path = tmp_path / "short.yaml"
    path.write_text(
        "extends: self-assessment\nid: short\nversion: '1'\ntitle: Short\nsections:\n"
        "  - id: about_you\n    title: First\n    items:\n"
        "      - id: age\n        type: integer\n        prompt: Age?\n        min: 12\n        max: 120\n"
        "      - id: substances\n        type: multi\n        prompt: Used?\n        choices:\n"
        "          - {value: alcohol, label: Alcohol}\n          - {value: cannabis, label: Cannabis}\n"
        "          - {value: opioids, label: Opioids}\n          - {value: stimulants, label: Stimulants}\n"
        "          - {value: sedatives, label: Sedatives}\n          - {value: other, label: Other}\n"
    )
    sections = load_questionnaire(path).questionnaire.sections
    assert sections[0].id == "about_you"
    assert sections[0].title == "First"
    assert len(sections) == len(
        load_questionnaire(builtin_folder("questionnaires") / "self-assessment.yaml").questionnaire.sections
    )


def test_a_fault_in_an_extending_questionnaire_names_its_own_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "riverside.yaml"
    path.write_text(QUESTIONNAIRE_CHILD.format(base="self-assessment").replace("type: boolean", "type: bool"))
    with pytest.raises(DefinitionError) as caught:
        load_assessor(questionnaire=str(path))
    assert caught.value.message.startswith(f"{path}:9: sections[11].items[0]: `type` must be one of")


def test_an_edited_base_questionnaire_refreshes_the_cache(tmp_path: Path) -> None:
    base = copy_questionnaire(tmp_path)
    path = tmp_path / "riverside.yaml"
    path.write_text(QUESTIONNAIRE_CHILD.format(base="base/self-assessment.yaml"))
    before = load_assessor(questionnaire=str(path)).questionnaire.sha256
    base.write_text(base.read_text() + "\n# edited\n")
    assert load_assessor(questionnaire=str(path)).questionnaire.sha256 != before


def test_programs_merge_by_id_inside_suggestions(tmp_path: Path) -> None:
    path = tmp_path / "programs.yaml"
    path.write_text(
        "extends: level-of-care\nid: programs\nversion: '1'\ntitle: Programs\nsuggestions:\n  programs:\n"
        '    - id: adolescent\n      name: Youth program\n      when: "age < 21"\n      text: For young adults too.\n'
    )
    rules = load_rules(path).rules
    base = load_rules(builtin_folder("rules") / "level-of-care.yaml").rules
    assert [p.id for p in rules.suggestions.programs] == [p.id for p in base.suggestions.programs]
    assert next(p for p in rules.suggestions.programs if p.id == "adolescent").when == "age < 21"
    assert rules.suggestions.when == base.suggestions.when
    assert rules.suggestions.modalities == base.suggestions.modalities


def _rule_documents(count: int) -> tuple[Any, Any]:
    from carecheck.load.loader import _Document

    def document(rules: list[dict[str, str]]) -> _Document:
        lines: dict[tuple[Any, ...], int] = {(): 1, ("placement",): 1}
        for index, rule in enumerate(rules):
            for key in rule:
                lines[("placement", index, key)] = index + 2
        return _Document({"placement": rules, "extends": "x"}, lines, {}, [], [])

    rules = [{"id": f"r{n}", "when": "age > 1", "level": "iop", "reason": "x"} for n in range(count)]
    return document(rules), document(rules[::2])


@pytest.mark.slow
def test_extends_merges_in_linear_time() -> None:
    import gc
    import time

    from carecheck.load.loader import _merge

    def seconds(count: int) -> float:
        base, child = _rule_documents(count)
        best = float("inf")
        gc.disable()  # a collection landing in one run would look like work the merge did
        try:
            for _ in range(5):
                started = time.process_time()
                _merge(base, child, "base.yaml", "rules")
                best = min(best, time.process_time() - started)
        finally:
            gc.enable()
        return best

    small, large = seconds(1_000), seconds(8_000)
    assert large < small * 8 * 3, f"8 times the rules took {large / small:.0f} times as long"  # quadratic: 64
