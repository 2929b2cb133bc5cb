"""The definitions cache: reused while files are unchanged, private, optional, and never holding answers."""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

import pytest

from carecheck import load_assessor
from carecheck.load.cache import cache_folder, cached
from carecheck.load.loader import builtin_folder
from conftest import CARECHECK, run_carecheck


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CARECHECK_CACHE", raising=False)
    return tmp_path / "cache" / "carecheck"


def test_a_value_is_reused_while_its_files_are_unchanged(cache_home: Path, tmp_path: Path) -> None:
    source = tmp_path / "def.yaml"
    source.write_text("one")
    builds: list[str] = []

    def build() -> tuple[str, list[Path]]:
        builds.append(source.read_text())
        return source.read_text(), [source]

    assert cached(("k",), build) == "one"
    assert cached(("k",), build) == "one"
    assert builds == ["one"]
    source.write_text("two")
    assert cached(("k",), build) == "two"
    assert builds == ["one", "two"]


def test_entries_are_private(cache_home: Path, tmp_path: Path) -> None:
    source = tmp_path / "def.yaml"
    source.write_text("x")
    cached(("k",), lambda: ("x", [source]))
    assert stat.S_IMODE(cache_home.stat().st_mode) == 0o700
    entries = list(cache_home.iterdir())
    assert len(entries) == 1
    assert stat.S_IMODE(entries[0].stat().st_mode) == 0o600


def test_a_folder_others_can_write_is_not_used(cache_home: Path) -> None:
    cache_home.mkdir(parents=True)
    os.chmod(cache_home, 0o777)
    assert cache_folder() is None


def test_caching_can_be_switched_off(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARECHECK_CACHE", "off")
    assert cache_folder() is None
    load_assessor()
    assert not cache_home.exists()


def test_a_corrupt_entry_is_only_a_miss(cache_home: Path, tmp_path: Path) -> None:
    source = tmp_path / "def.yaml"
    source.write_text("x")
    cached(("k",), lambda: ("x", [source]))
    for entry in cache_home.iterdir():
        entry.write_bytes(b"not a pickle")
    assert cached(("k",), lambda: ("rebuilt", [source])) == "rebuilt"


def test_the_assessor_from_the_cache_gives_the_same_results(cache_home: Path) -> None:
    from conftest import with_alcohol

    fresh = load_assessor()
    again = load_assessor()  # from the cache
    assert len(list(cache_home.iterdir())) == 1
    answers = with_alcohol(22, id="x")
    assert fresh.assess(answers) == again.assess(answers)


def test_an_edited_rule_file_is_read_afresh(cache_home: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text((builtin_folder("rules") / "level-of-care.yaml").read_text())
    rules_text = rules.read_text()
    assert load_assessor(rules=str(rules)).rules.rules.version == "1.0.0"
    rules.write_text(rules_text.replace('version: "1.0.0"', 'version: "1.0.1"', 1))
    assert load_assessor(rules=str(rules)).rules.rules.version == "1.0.1"


def test_the_cache_holds_definitions_not_answers(cache_home: Path) -> None:
    from conftest import baseline_answers

    load_assessor().assess(baseline_answers() | {"id": "secret-client-name"})
    for entry in cache_home.iterdir():
        assert b"secret-client-name" not in entry.read_bytes()
        files, _ = pickle.loads(entry.read_bytes())
        assert all(Path(name).suffix == ".yaml" for name, _digest in files)


@pytest.mark.slow
def test_a_run_with_cached_definitions_imports_no_pydantic(cache_home: Path) -> None:
    """The start-up bar (issue #6) rests on this: a cached run never builds the pydantic models."""
    answers = Path(__file__).resolve().parent.parent / "examples" / "weekend-drinker.yaml"
    importtime = ("-X", "importtime", *CARECHECK)
    heavy = {"pydantic._internal._model_construction", "pydantic.types", "carecheck.load.models"}

    def imported() -> set[str]:
        process = run_carecheck(
            "assess", "--answers", str(answers), "--format", "json", entry=importtime, expect_exit=0
        )
        return {line.rsplit("|", 1)[1].strip() for line in process.stderr.splitlines() if line.startswith("import ")}

    assert heavy <= imported()  # the first run reads the files and fills the cache
    assert not heavy & imported()
