"""Drafts: private, atomic, and never losing the answers saved before."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from carecheck.core.errors import UsageError
from carecheck.store import drafts, files
from carecheck.store.drafts import find_draft, list_drafts, save_draft


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
