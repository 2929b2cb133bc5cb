"""Writing files: atomic, private, and never losing what was saved before."""

from __future__ import annotations

import os
import stat
import tempfile
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

    monkeypatch.setattr(tempfile, "mkstemp", read_only)  # what files imports when it writes
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


# --- targets that are not ours: devices, FIFOs, streams, links, other users' files --------------------------------

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: making a device node or another user's file")


@as_root
def test_a_device_given_as_output_is_written_into_never_replaced(tmp_path: Path) -> None:
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # our own copy of /dev/null
    os.chmod(null, 0o666)
    write_private(null, "# result\n")
    assert stat.S_ISCHR(null.lstat().st_mode)
    assert stat.S_IMODE(null.lstat().st_mode) == 0o666
    assert [p.name for p in tmp_path.iterdir()] == ["null"]


@as_root
def test_a_full_device_gives_a_full_disk_message_and_stays_a_device(tmp_path: Path) -> None:
    full = tmp_path / "full"
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))  # a copy of /dev/full
    with pytest.raises(WriteError, match="No space left on device"):
        write_private(full, "x" * 100_000)
    assert stat.S_ISCHR(full.lstat().st_mode)


def test_a_fifo_given_as_output_gets_the_text_through_it(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    write_private(fifo, "through the pipe\n")
    reader.join(5)
    assert received == [b"through the pipe\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["-", "/dev/stdout"])
def test_stdout_named_as_output_is_written_to(tmp_path: Path, name: str) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump(baseline_answers()))
    process = run_carecheck("assess", "-a", str(answers), "-f", "markdown", "-o", name, expect_exit=0)
    assert process.stdout.startswith("#")


def test_a_symbolic_link_is_refused_and_its_target_left_alone(tmp_path: Path) -> None:
    victim = tmp_path / "bashrc"
    victim.write_text("alias ls='ls -F'\n")
    os.chmod(victim, 0o644)
    link = tmp_path / "result.md"
    link.symlink_to(victim)
    with pytest.raises(WriteError, match="symbolic link"):
        write_private(link, "result")
    assert victim.read_text() == "alias ls='ls -F'\n"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    assert link.is_symlink()


@as_root
def test_another_users_file_is_not_replaced(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs.md"
    theirs.write_text("their notes")
    os.chown(theirs, 65534, 65534)
    with pytest.raises(WriteError, match="belongs to another user"):
        write_private(theirs, "result")
    assert theirs.read_text() == "their notes"
    assert theirs.stat().st_uid == 65534


def test_a_folder_given_as_output_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match="is a folder"):
        write_private(tmp_path, "result")


def test_an_output_name_of_255_bytes_can_be_written(tmp_path: Path) -> None:
    target = tmp_path / ("r" * 252 + ".md")
    write_private(target, "result")
    assert target.read_text() == "result"


def test_a_linked_data_folder_is_refused_and_its_target_keeps_its_mode(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    base = tmp_path / "data"
    base.mkdir()
    (base / "carecheck").symlink_to(shared)
    with pytest.raises(WriteError, match="symbolic link"):
        files.private_folder(base, "carecheck", "drafts")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert list(shared.iterdir()) == []


def test_an_existing_folder_others_can_open_is_refused_not_changed(tmp_path: Path) -> None:
    (tmp_path / "carecheck").mkdir()
    os.chmod(tmp_path / "carecheck", 0o755)
    with pytest.raises(WriteError, match="chmod 700"):
        files.private_folder(tmp_path, "carecheck")
    assert stat.S_IMODE((tmp_path / "carecheck").stat().st_mode) == 0o755


@as_root
def test_another_users_data_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "carecheck").mkdir(mode=0o700)
    os.chown(tmp_path / "carecheck", 65534, 65534)
    with pytest.raises(WriteError, match="belongs to another user"):
        files.private_folder(tmp_path, "carecheck")
