"""Writing files that may hold health data: atomically, readable by the owner alone, and never over what is not ours.

Every writer (`--output`, the definitions cache, drafts, saved results, `batch --output`) and the records database
go through this module, which decides what carecheck may write:

- a new file, or a regular file of the user's own: a temporary file beside it, flushed and renamed over it;
- a standard stream (`-`, `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`), a character device (a terminal, `/dev/null`)
  or a FIFO: opened and written, never renamed over, so the device or pipe stays what it was;
- a symbolic link to a regular file, a file another user owns, a disk (block device), a socket or a folder:
  refused with a message that says why. carecheck does not write through links: a link planted by someone else
  could otherwise make it replace a file of theirs choosing.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, TextIO

from carecheck.core.errors import UsageError

TEMPORARY_PREFIX = ".carecheck-"
"""Temporary files are named `.carecheck-XXXXXXXX.part`, whatever the target's name, so that a target name of up
to 255 bytes still leaves room for them."""

_STREAMS = {"-": 1, "/dev/stdout": 1, "/dev/stderr": 2}


class WriteError(UsageError):
    """A file could not be written (a read-only folder, a full disk); nothing that was there before is lost.

    It exits 2 with the other faults a person fixes on the command line: here, by choosing another place.
    """

    kind = "unwritable-output"


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` with mode 0600: a temporary file beside it, flushed to disk, then renamed over it.

    A crash, a full disk or Ctrl-C leaves either the old file or the new one, never half of either.
    """
    with private_writer(path) as stream:
        stream.write(text)


def write_private_bytes(path: Path, data: bytes) -> None:
    """`write_private` for bytes."""
    with _writer(path, binary=True) as stream:
        stream.write(data)


def private_binary_writer(path: Path) -> contextlib.AbstractContextManager[IO[bytes]]:
    """`private_writer` for bytes (a Parquet file is written piece by piece, then renamed into place)."""
    return _atomic(path, binary=True)


def private_writer(path: Path) -> contextlib.AbstractContextManager[TextIO]:
    """A text stream into a private temporary file beside `path`, renamed over it when the block ends cleanly.

    On any error or interruption the temporary file is removed and whatever was at `path` stays as it was. A
    stream, a terminal, a device or a FIFO is written directly (see the module's docstring).
    """
    return _writer(path, binary=False)


def stream_descriptor(path: Path) -> int | None:
    """The open descriptor that `path` names (`-`, `/dev/stdout`, `/dev/fd/1`...), or None for an ordinary path."""
    name = str(path)
    if name in _STREAMS:
        return _STREAMS[name]
    for prefix in ("/dev/fd/", "/proc/self/fd/"):
        if name.startswith(prefix) and name[len(prefix) :].isdigit():
            return int(name[len(prefix) :])
    return None


def refusal(path: Path, status: os.stat_result, what: str) -> str | None:
    """Why carecheck must not write `path` (whose `lstat` is `status`), or None when it may."""
    if stat.S_ISLNK(status.st_mode):
        return (
            f"{path} is a symbolic link; carecheck does not write through links (one planted by someone else could "
            f"make it replace their choice of file): name the {what} itself"
        )
    if stat.S_ISDIR(status.st_mode):
        return f"{path} is a folder; name a {what}"
    if stat.S_ISBLK(status.st_mode):
        return f"{path} is a disk (a block device); carecheck does not write to disks"
    if not stat.S_ISREG(status.st_mode):
        return f"{path} is not a regular file (a device, a FIFO or a socket); name a {what}"
    if status.st_uid != os.geteuid():
        return (
            f"{path} belongs to another user (uid {status.st_uid}); carecheck does not change other users' files: "
            f"choose a {what} of your own"
        )
    return None


@contextlib.contextmanager
def _writer(path: Path, binary: bool) -> Iterator[Any]:
    descriptor = stream_descriptor(path)
    if descriptor is not None:
        if descriptor == 1:
            sys.stdout.flush()
        with _direct(path, os.dup(descriptor), binary) as stream:
            yield stream
        return
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        status = None
    except OSError as fault:
        raise WriteError(f"{path}: cannot write here: {fault.strerror}; choose another file") from None
    target = status
    if status is not None and stat.S_ISLNK(status.st_mode):
        with contextlib.suppress(OSError):
            target = os.stat(path)  # a link to a device or FIFO is written through like the device itself
    if target is not None and (stat.S_ISCHR(target.st_mode) or stat.S_ISFIFO(target.st_mode)):
        try:
            opened = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC)
        except OSError as fault:
            raise WriteError(f"{path}: cannot write here: {fault.strerror}") from None
        with _direct(path, opened, binary) as stream:
            yield stream
        return
    if status is not None:
        reason = refusal(path, status, "file")
        if reason is not None:
            raise WriteError(reason)
    with _atomic(path, binary) as stream:
        yield stream


@contextlib.contextmanager
def _direct(path: Path, descriptor: int, binary: bool) -> Iterator[Any]:
    """Write into an open device, FIFO or stream; it is never renamed over, truncated or made 0600."""
    if stat.S_ISREG(os.fstat(descriptor).st_mode) and stream_descriptor(path) is None:
        os.close(descriptor)  # swapped for a regular file since it was looked at: refuse rather than guess
        raise WriteError(f"{path} changed while it was opened; try again")
    try:
        stream = os.fdopen(descriptor, "wb") if binary else os.fdopen(descriptor, "w", encoding="utf-8")
        with stream:
            yield stream
            stream.flush()
    except OSError as fault:
        raise WriteError(f"{path}: could not write: {fault.strerror}") from None


@contextlib.contextmanager
def _atomic(path: Path, binary: bool) -> Iterator[Any]:
    directory = path.parent if str(path.parent) else Path(".")
    try:
        import tempfile  # only when writing: a file assessment printed to the terminal never needs it

        handle, temporary = tempfile.mkstemp(dir=directory, prefix=TEMPORARY_PREFIX, suffix=".part")
    except OSError as fault:
        raise WriteError(f"{path}: cannot write here: {fault.strerror}; choose another folder") from None
    try:
        with os.fdopen(handle, "wb") if binary else os.fdopen(handle, "w", encoding="utf-8") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600)  # mkstemp makes it 0600 already; this says so where it matters
        os.replace(temporary, path)
    except BaseException as fault:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(fault, OSError):
            raise WriteError(f"{path}: could not write the file: {fault.strerror}; nothing was changed") from None
        raise


def create_new(path: Path) -> bool:
    """Create `path` as an empty 0600 file of our own; False when something already has that name."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
    except FileExistsError:
        return False
    except OSError as fault:
        raise WriteError(f"{path}: cannot write here: {fault.strerror}; choose another folder") from None
    return True


def private_folder(base: Path, *parts: str) -> Path:
    """`base/parts...`, each level carecheck creates made 0700 (readable by the owner alone).

    A level that already exists must be a real folder (not a link) of the user's own that others cannot open: it
    is then used as it is. carecheck never changes the mode of a folder it did not create; it refuses instead.
    """
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as fault:
        raise WriteError(f"{base}: cannot keep files here: {fault.strerror}") from None
    folder = base
    for part in parts:
        folder = folder / part
        try:
            os.mkdir(folder, 0o700)
            created = True
        except FileExistsError:
            created = False
        except OSError as fault:
            raise WriteError(f"{folder}: cannot keep files here: {fault.strerror}") from None
        _check_folder(folder, created)
    return folder


def _check_folder(folder: Path, created: bool) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        try:
            status = os.lstat(folder)
        except OSError as fault:
            raise WriteError(f"{folder}: cannot keep files here: {fault.strerror}") from None
        reason = refusal(folder, status, "folder") if not stat.S_ISDIR(status.st_mode) else None
        raise WriteError(reason or f"{folder}: cannot keep files here") from None
    try:
        status = os.fstat(descriptor)
        if status.st_uid != os.geteuid():
            raise WriteError(
                f"{folder} belongs to another user (uid {status.st_uid}); carecheck keeps its files only in a "
                "folder of your own: remove it or point XDG_DATA_HOME elsewhere"
            )
        if created:
            os.fchmod(descriptor, 0o700)
        elif status.st_mode & 0o077:
            raise WriteError(
                f"{folder} can be opened by other users; carecheck keeps health data only in a private folder and "
                f"does not change folders it did not create: run `chmod 700 {folder}`"
            )
    finally:
        os.close(descriptor)
