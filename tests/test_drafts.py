"""Drafts: private, atomic, and never losing the answers saved before."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pexpect
import pytest
import yaml

from carecheck.core.errors import UsageError
from carecheck.load.loader import builtin_folder
from carecheck.store import drafts, files
from carecheck.store.drafts import find_draft, list_drafts, save_draft
from conftest import baseline_answers, spawn_carecheck


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data"


def test_drafts_are_private_in_private_folders(data_home: Path) -> None:
    draft = save_draft({"age": 30}, "substances", None, None)
    assert stat.S_IMODE(draft.path.stat().st_mode) == 0o600
    assert stat.S_IMODE((data_home / "carecheck").stat().st_mode) == 0o700
    assert stat.S_IMODE((data_home / "carecheck" / "drafts").stat().st_mode) == 0o700


def test_ctrl_c_during_a_save_leaves_the_previous_draft_intact(monkeypatch: pytest.MonkeyPatch) -> None:
    first = save_draft({"age": 30}, "substances", None, None)

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_draft({"age": 30, "substances": ["alcohol"]}, "use_days", None, None, draft_id=first.id)
    kept = find_draft(first.id)
    assert kept.answers == {"age": 30}
    assert kept.position == "substances"
    assert [p.name for p in first.path.parent.iterdir()] == [first.path.name]


def test_the_newest_draft_is_resumed_by_default() -> None:
    save_draft({"age": 30}, "substances", None, None, draft_id="20260101-000000-aaaa")
    newer = save_draft({"age": 40}, "substances", None, None)
    assert find_draft(None).id == newer.id
    assert len(list_drafts()) == 2


def test_an_unknown_or_missing_draft_is_a_clear_error() -> None:
    with pytest.raises(UsageError, match="there are no saved drafts"):
        find_draft(None)
    save_draft({}, None, None, None)
    with pytest.raises(UsageError, match="no draft is called 'nope'"):
        find_draft("nope")


def test_an_unreadable_draft_is_passed_over(data_home: Path) -> None:
    save_draft({"age": 30}, None, None, None)
    (drafts.drafts_folder() / "broken.json").write_text("{not json")
    assert [d.answers for d in list_drafts()] == [{"age": 30}]


def test_a_counselor_resumes_only_the_same_clients_intake() -> None:
    own = save_draft({"age": 30}, "substances", None, None)
    first = save_draft({"age": 41}, "substances", None, "counselor-intake", client="C-1")
    second = save_draft({"age": 60}, "substances", None, "counselor-intake", client="C-2")
    assert find_draft(None, "C-1").id == first.id
    assert find_draft(None, "C-2").id == second.id
    assert find_draft(None).id == own.id  # a person's own assessment never picks up a counselor's intake
    with pytest.raises(UsageError, match="no saved drafts of client C-3's intake"):
        find_draft(None, "C-3")
    with pytest.raises(UsageError, match="is client C-2's intake, not client C-1's"):
        find_draft(second.id, "C-1")


def test_a_relative_data_home_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", "relative/data")
    assert drafts.data_base().is_absolute()


@pytest.mark.slow
def test_resume_carries_on_with_the_drafts_own_rule_set(tmp_path: Path, data_home: Path) -> None:
    rules = tmp_path / "custom-rules.yaml"
    text = (builtin_folder("rules") / "level-of-care.yaml").read_text()
    rules.write_text(text.replace('version: "1.0.0"', 'version: "9.9.9"', 1))
    env = {"XDG_DATA_HOME": str(data_home)}
    # a relative --rules path: the draft must keep it absolute
    child = spawn_carecheck("assess", "--plain", "--rules", rules.name, env=env, cwd=tmp_path)
    child.expect_exact("> ")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    draft_path = next((data_home / "carecheck" / "drafts").glob("*.json"))
    draft = json.loads(draft_path.read_text())
    assert draft["rules"] == str(rules.resolve())  # absolute, so a resume from elsewhere finds it
    draft["answers"] = {k: v for k, v in baseline_answers().items() if k != "readiness"} | {"pregnant": False}
    draft_path.write_text(json.dumps(draft))

    out = tmp_path / "result.json"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    child = spawn_carecheck(
        "assess", "--plain", "--resume", "--format", "json", "--output", str(out), env=env, cwd=elsewhere
    )
    child.expect_exact("> ")
    child.sendline("8")
    child.expect_exact("press Enter to see your result: ")
    child.sendline("")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert json.loads(out.read_text())["rules"]["version"] == "9.9.9"


@pytest.mark.slow
def test_answers_typed_are_kept_when_the_result_cannot_be_written(tmp_path: Path, data_home: Path) -> None:
    partial = {k: v for k, v in baseline_answers().items() if k != "readiness"}
    path = tmp_path / "partial.yaml"
    path.write_text(yaml.safe_dump(partial))
    unwritable = tmp_path / "no" / "such" / "folder" / "r.md"
    child = spawn_carecheck(
        "assess",
        "--plain",
        "--answers",
        str(path),
        "--ask-missing",
        "--output",
        str(unwritable),
        env={"XDG_DATA_HOME": str(data_home)},
    )
    child.expect_exact("> ")
    child.sendline("7")
    child.expect_exact("Your answers are kept in")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    kept = json.loads(next((data_home / "carecheck" / "drafts").glob("*.json")).read_text())
    assert kept["answers"]["readiness"] == 7


@pytest.mark.slow
def test_a_draft_named_without_resume_is_resumed(data_home: Path) -> None:
    draft = drafts.save_draft({"age": 33}, "substances", None, None, draft_id="named-draft")
    child = spawn_carecheck("assess", "--plain", "--draft", draft.id, env={"XDG_DATA_HOME": str(data_home)})
    child.expect_exact("Carrying on from your answers")
    child.expect_exact("> ")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert [p.stem for p in (data_home / "carecheck" / "drafts").glob("*.json")] == ["named-draft"]


def test_two_results_saved_in_the_same_second_get_names_of_their_own(tmp_path: Path) -> None:
    from datetime import datetime

    from carecheck.cli.flows import saved_result_path

    now = datetime(2026, 11, 30, 9, 15, 0)
    first, second = saved_result_path(tmp_path, now, "md"), saved_result_path(tmp_path, now, "md")
    assert first != second
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result-20261130-091500-2.md", "result-20261130-091500.md"]
    assert stat.S_IMODE(second.stat().st_mode) == 0o600


def test_ctrl_c_on_a_full_disk_says_the_answers_could_not_be_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from carecheck import load_assessor
    from carecheck.cli.interview import Stopped
    from carecheck.cli.session import Gatherer, Interrupted

    said: list[str] = []

    class Screen:
        def say(self, text: str) -> None:
            said.append(text)

    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    gatherer = Gatherer(load_assessor(), Screen(), True, (None, None))  # type: ignore[arg-type]
    with pytest.raises(Interrupted):
        gatherer.save(Stopped({"age": 30}, "substances"))
    assert said[0].startswith("Your answers could not be kept:")
    assert "No space left on device" in said[0]
    assert list_drafts() == []
