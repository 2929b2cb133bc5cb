"""Where carecheck keeps its files: each system's own folders, $XDG_* when set, and an older data folder in place."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import platformdirs.macos
import platformdirs.unix
import pytest

from carecheck.load.cache import cache_folder
from carecheck.store import places
from carecheck.store.drafts import drafts_folder, save_draft
from carecheck.store.records import default_path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty home folder, no $XDG_* set, and platformdirs answering as it does on macOS."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for variable in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "CARECHECK_DB"):
        monkeypatch.delenv(variable, raising=False)
    mac = platformdirs.macos.MacOS()
    monkeypatch.setattr(platformdirs, "user_data_path", lambda: mac.user_data_path)
    monkeypatch.setattr(platformdirs, "user_cache_path", lambda: mac.user_cache_path)
    return tmp_path


def test_on_macos_data_and_cache_go_to_the_library_folders(home: Path) -> None:
    assert places.data_base() == home / "Library" / "Application Support"
    assert drafts_folder() == home / "Library" / "Application Support" / "carecheck" / "drafts"
    assert default_path() == home / "Library" / "Application Support" / "carecheck" / "records.sqlite3"
    assert cache_folder() == home / "Library" / "Caches" / "carecheck"


def test_a_data_folder_an_earlier_carecheck_made_is_kept_and_read_in_place(home: Path) -> None:
    old = home / ".local" / "share" / "carecheck"
    old.mkdir(parents=True)
    for folder in (old, old / "drafts"):  # private, as carecheck makes its folders
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)
    draft = save_draft({"age": 40}, "substances", None, None)
    assert draft.path.parent == old / "drafts"
    assert default_path() == old / "records.sqlite3"
    assert not (home / "Library").exists()


def test_xdg_folders_set_to_absolute_paths_win_on_every_system(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    assert drafts_folder() == home / "data" / "carecheck" / "drafts"
    assert cache_folder() == home / "cache" / "carecheck"
    monkeypatch.setenv("CARECHECK_DB", str(home / "clinic.db"))
    assert default_path() == home / "clinic.db"


def test_relative_xdg_folders_are_ignored(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", "data")
    monkeypatch.setenv("XDG_CACHE_HOME", "cache")
    assert places.data_base() == home / "Library" / "Application Support"
    assert places.cache_base() == home / "Library" / "Caches"


def test_on_linux_platformdirs_gives_the_folders_carecheck_always_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/ada")
    for variable in ("XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(variable, raising=False)
    linux = platformdirs.unix.Unix()
    assert linux.user_data_path == Path("/home/ada/.local/share")
    assert linux.user_cache_path == Path("/home/ada/.cache")
