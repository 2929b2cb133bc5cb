"""Writing files: atomic, private, and never losing what was saved before."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml

from carecheck.store import files
from carecheck.store.files import WriteError, private_writer, write_private
from conftest import baseline_answers, run_carecheck


def test_a_write_is_private_and_replaces_the_old_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "result.md"
    target.write_text("old")
    os.chmod(target, 0o644)
    write_private(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["result.md"]


def test_an_interrupt_during_a_save_leaves_the_previous_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "draft.yaml"
    target.write_text("previous answers")

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_private(target, "half-written new answers")
    assert target.read_text() == "previous answers"
    assert [p.name for p in tmp_path.iterdir()] == ["draft.yaml"]  # no temporary file left behind


def test_a_streamed_write_that_fails_midway_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("complete earlier run\n")

    def stopped_midway() -> None:
        with private_writer(target) as stream:
            stream.write("partial\n")
            raise RuntimeError("the batch stopped")

    with pytest.raises(RuntimeError):
        stopped_midway()
    assert target.read_text() == "complete earlier run\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_a_read_only_folder_gives_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def read_only(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied")  # what a read-only folder answers (root is exempt)

    monkeypatch.setattr(files.tempfile, "mkstemp", read_only)
    with pytest.raises(WriteError, match="cannot write here: Permission denied; choose another folder"):
        write_private(tmp_path / "x.md", "text")


def test_a_full_disk_gives_a_clear_error_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "result.md"
    target.write_text("kept")

    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(WriteError) as caught:
        write_private(target, "new")
    assert "No space left on device; nothing was changed" in caught.value.message
    assert caught.value.exit_code == 2
    assert target.read_text() == "kept"


@pytest.mark.slow
def test_the_command_line_reports_an_unwritable_output_without_a_traceback(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump(baseline_answers()))
    process = run_carecheck(
        "assess", "--answers", str(answers), "--output", str(tmp_path / "no" / "such" / "folder" / "out.md")
    )
    assert process.returncode == 2
    assert "cannot write here" in process.stderr
    assert "Traceback" not in process.stderr


@pytest.mark.slow
def test_nothing_is_written_to_the_current_folder_unless_asked(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump(baseline_answers()))
    work = tmp_path / "work"
    work.mkdir()
    for args in (["assess", "--answers", str(answers)], ["validate"], ["batch", "-"]):
        run_carecheck(*args, cwd=work, expect_exit=0)
    assert list(work.iterdir()) == []
