"""Reading answer and definition files: safe parsing, limits, and faults that name file:line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from carecheck.core.errors import AnswerFileError, DefinitionError, UsageError
from carecheck.load.loader import (
    MAX_FILE_BYTES,
    answers_from_text,
    builtin_folder,
    load_questionnaire,
    load_rules,
    parse_yaml,
    read_answers,
    resolve,
)


def test_yaml_and_json_are_told_apart_by_content_not_name(tmp_path: Path) -> None:
    as_json = tmp_path / "answers.yaml"
    as_json.write_text('{"age": 35, "substances": ["alcohol"]}')
    as_yaml = tmp_path / "answers.json"
    as_yaml.write_text("age: 35\nsubstances: [alcohol]\n")
    assert read_answers(str(as_json)) == read_answers(str(as_yaml)) == {"age": 35, "substances": ["alcohol"]}


def test_a_yaml_flow_mapping_that_is_not_json_still_reads() -> None:
    assert answers_from_text("{age: 35, housing: stable}", "x") == {"age": 35, "housing": "stable"}


def test_standard_input_is_read_with_dash() -> None:
    assert read_answers("-", io.BytesIO(b"age: 40\n")) == {"age": 40}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("   \n\n", "is empty"),
        ("# only a comment\n", "holds no answers"),
        ("- age\n- 35\n", "is a list, not a mapping of item ids to answers"),
        ("[1, 2]", "is a list, not a mapping"),
        ("35", "is a single int value, not a mapping"),
        ("age: 35\nage: 36\n", "answers.yaml:2: the key 'age' appears twice"),
        ('{"age": 35, "age": 36}', "the key 'age' appears twice"),
        ("age: [35\nhousing: stable\n", "answers.yaml:2: invalid YAML"),
        ("age: 35\n  housing: stable\n", "answers.yaml:2: invalid YAML"),
    ],
)
def test_unreadable_answer_files_say_what_and_where(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(text)
    with pytest.raises(AnswerFileError) as caught:
        read_answers(str(path))
    assert message in caught.value.message
    assert caught.value.exit_code == 2


def test_a_missing_answer_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(AnswerFileError, match="no such answer file; check the path"):
        read_answers(str(tmp_path / "nope.yaml"))


def test_binary_and_non_utf8_input_get_a_clear_message(tmp_path: Path) -> None:
    binary = tmp_path / "a.bin"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0")
    with pytest.raises(AnswerFileError, match="binary file"):
        read_answers(str(binary))
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("id: caf\xe9\n".encode("latin-1"))
    with pytest.raises(AnswerFileError, match="not UTF-8 text"):
        read_answers(str(latin))


def test_an_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    with pytest.raises(AnswerFileError, match="carecheck reads at most 5 MB"):
        read_answers(str(big))


@pytest.mark.slow
def test_an_alias_bomb_is_refused_after_a_bounded_amount_of_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """No timing here (tests must pass on a slow machine): the bound is the number of values built, counted."""
    from carecheck.load import loader as loading

    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, 10):
        bomb += f"{chr(97 + level)}: &{chr(97 + level)} [" + ", ".join([f"*{chr(96 + level)}"] * 10) + "]\n"
    built = []
    real = loading._build

    def counting(loader: object, root: object) -> object:
        original = loader.construct_object  # type: ignore[attr-defined]

        def construct(node: object) -> object:
            built.append(1)
            return original(node)

        loader.construct_object = construct  # type: ignore[attr-defined]
        return real(loader, root)  # type: ignore[arg-type]

    monkeypatch.setattr(loading, "_build", counting)
    with pytest.raises(AnswerFileError, match="expands to more than 200,000 values"):
        answers_from_text(bomb, "bomb.yaml")
    assert len(built) <= loading.MAX_NODES  # 10**10 values were asked for


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(AnswerFileError, match="nests deeper"):
        answers_from_text("a: " + "[" * 200 + "]" * 200, "deep.yaml")


def test_line_numbers_are_kept_for_every_key() -> None:
    data, lines = parse_yaml("id: x\nsections:\n  - id: one\n    items: []\n")
    assert data["sections"][0]["id"] == "one"
    assert lines[("sections", 0, "id")] == 3
    assert lines[("sections", 0, "items")] == 4


def test_builtins_are_found_by_name_and_paths_by_path() -> None:
    assert resolve("questionnaires", "self-assessment") == builtin_folder("questionnaires") / "self-assessment.yaml"
    with pytest.raises(UsageError, match="did you mean 'self-assessment'"):
        resolve("questionnaires", "self-asessment")
    with pytest.raises(UsageError, match="no such file"):
        resolve("rules", "missing/rules.yaml")


# --- definition files ---------------------------------------------------------------------------------------------

RULES = builtin_folder("rules") / "level-of-care.yaml"


def _broken_rules(tmp_path: Path, old: str, new: str) -> Path:
    text = RULES.read_text()
    assert old in text, old
    path = tmp_path / "rules.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_an_unknown_key_in_a_definition_names_file_line_and_suggests(tmp_path: Path) -> None:
    path = _broken_rules(tmp_path, "    urgent: true\n", "    urgnet: true\n")
    with pytest.raises(DefinitionError) as caught:
        load_rules(path)
    assert f"rules.yaml:{_line_of(path, 'urgnet')}:" in caught.value.message
    assert "unknown key 'urgnet' (did you mean 'urgent'?)" in caught.value.message
    assert caught.value.exit_code == 3


def test_a_missing_key_names_where_it_belongs(tmp_path: Path) -> None:
    path = _broken_rules(tmp_path, 'version: "1.0.0"\n', "")
    with pytest.raises(DefinitionError, match=r"rules.yaml:\d+: version: the key 'version' is required"):
        load_rules(path)


def test_a_yaml_error_in_a_definition_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("id: q\nversion: '1'\ntitle: [unclosed\n")
    with pytest.raises(DefinitionError, match=r"q.yaml:\d+: invalid YAML"):
        load_questionnaire(path)


def test_an_instrument_file_that_is_missing_is_named(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(
        "id: q\nversion: '1'\ntitle: Q\ninstruments:\n  audit: nowhere/audit.yaml\n"
        "sections:\n  - id: s\n    title: S\n    instrument: audit\n"
    )
    with pytest.raises(DefinitionError, match=r"q.yaml:5: instrument 'audit': no file at 'nowhere/audit.yaml'"):
        load_questionnaire(path)


def test_a_50_mb_answer_file_is_refused_with_a_size_message(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as stream:
        stream.write(b"age: 35\n")
        stream.write(b"#" * (50 * 1024 * 1024))
    with pytest.raises(AnswerFileError, match=r"the file is 5\.2 MB; carecheck reads at most 5 MB"):
        read_answers(str(huge))


def test_duplicate_keys_in_a_definition_name_the_key_and_line(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("id: q\nversion: '1'\ntitle: Q\ntitle: Again\nsections: []\n")
    with pytest.raises(DefinitionError, match=r"q.yaml:4: the key 'title' appears twice"):
        load_questionnaire(path)


def test_yaml_tags_that_would_run_code_are_refused() -> None:
    with pytest.raises(AnswerFileError, match=r"evil\.yaml:1: the tag .* is not allowed"):
        answers_from_text("age: !!python/object/apply:os.system ['echo owned']\n", "evil.yaml")
    with pytest.raises(AnswerFileError, match=r"evil\.yaml:1: invalid YAML"):
        answers_from_text("age: !!python/name:os.system 1\n", "evil.yaml")


def test_deep_json_nesting_is_refused() -> None:
    with pytest.raises(AnswerFileError, match="nests deeper than 64 levels"):
        answers_from_text('{"age": ' + "[" * 100 + "]" * 100 + "}", "deep.json")


# --- YAML 1.2: an answer means one thing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("use_days: 010", 10),  # YAML 1.1 read 8 (octal); editors and the JSON Schema read 10
        ("asq_1: on", "on"),  # 1.1 read true
        ("asq_1: off", "off"),
        ("asq_1: yes", "yes"),  # text, which the yes/no coercer accepts as the contract says
        ("age: 1:05", "1:05"),  # 1.1 read 65 (base 60)
        ("hours_available: 1_0", "1_0"),  # 1.1 read 10
        ("age: 0o17", 15),
        ("age: 0x1F", 31),
        ("seen: 2026-01-01", "2026-01-01"),  # 1.1 read a date
        ("flag: True", True),
        ("flag: FALSE", False),
        ("gone: ~", None),
        ("ratio: 1e3", 1000.0),
    ],
)
def test_yaml_is_read_as_yaml_1_2_core_schema(text: str, value: object) -> None:
    assert list(answers_from_text(text, "a.yaml").values()) == [value]


def test_on_for_a_yes_no_item_is_refused_with_the_usual_message() -> None:
    from carecheck import load_assessor
    from carecheck.core.errors import AnswersError
    from conftest import baseline_answers

    text = "".join(f"{key}: {value}\n" for key, value in baseline_answers().items() if key != "asq_1")
    answers = answers_from_text(text + "asq_1: on\n", "a.yaml")
    with pytest.raises(AnswersError) as caught:
        load_assessor().assess(answers)
    assert [problem.item for problem in caught.value.problems] == ["asq_1"]
    assert "'on'" in caught.value.problems[0].message
    assert not load_assessor().assess(answers_from_text(text + "asq_1: no\n", "a.yaml")).urgent


def test_definitions_read_yaml_1_2_too(tmp_path: Path) -> None:
    assert parse_yaml("version: 010\nno: on\n")[0] == {"version": 10, "no": "on"}


@pytest.mark.parametrize(
    "text",
    [
        "age: " + "9" * 5000,
        '{"age": ' + "9" * 5000 + "}",
        "id: 0x" + "f" * 4000,
        "age: -" + "1" * 5000,
    ],
)
def test_a_number_of_thousands_of_digits_is_refused_in_carecheck_words(text: str) -> None:
    with pytest.raises(AnswerFileError, match=r"a number of \d,\d{3} digits; carecheck reads numbers of at most 100"):
        answers_from_text(text, "a.yaml")


def test_did_you_mean_is_capped_and_the_rest_counted() -> None:
    from carecheck import load_assessor
    from carecheck.core.errors import AnswersError
    from carecheck.core.limits import MAX_SUGGESTED_KEYS

    answers = {f"phq9_{n % 10}{n}": 1 for n in range(20_000)}
    with pytest.raises(AnswersError) as caught:
        load_assessor().assess(answers)
    unknown = [p for p in caught.value.problems if "not an item" in p.message or "more unknown" in p.message]
    assert len(unknown) == MAX_SUGGESTED_KEYS + 1
    assert unknown[-1].message == f"and {20_000 - MAX_SUGGESTED_KEYS:,} more unknown keys"


def test_unknown_keys_in_a_definition_are_capped_too(tmp_path: Path) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text("extends: level-of-care\nid: m\nversion: '1'\n" + "".join(f"k{n}: 1\n" for n in range(500)))
    with pytest.raises(DefinitionError) as caught:
        load_rules(rules)
    assert caught.value.message.count(": unknown key") == 20
    assert caught.value.message.endswith("and 480 more unknown keys")
