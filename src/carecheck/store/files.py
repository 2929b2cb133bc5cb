"""Writing files that may hold health data: atomically, readable by the owner alone."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, TextIO

from carecheck.core.errors import UsageError


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
    with _atomic(path, binary=True) as stream:
        stream.write(data)


def private_binary_writer(path: Path) -> contextlib.AbstractContextManager[IO[bytes]]:
    """`private_writer` for bytes (a Parquet file is written piece by piece, then renamed into place)."""
    return _atomic(path, binary=True)


def private_writer(path: Path) -> contextlib.AbstractContextManager[TextIO]:
    """A text stream into a private temporary file beside `path`, renamed over it when the block ends cleanly.

    On any error or interruption the temporary file is removed and whatever was at `path` stays as it was.
    """
    return _atomic(path, binary=False)


@contextlib.contextmanager
def _atomic(path: Path, binary: bool) -> Iterator[Any]:
    directory = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".part")
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


def private_folder(base: Path, *parts: str) -> Path:
    """`base/parts...`, each level carecheck creates made 0700 (readable by the owner alone)."""
    folder = base
    for part in parts:
        folder = folder / part
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(folder, 0o700)
        except OSError as fault:
            raise WriteError(f"{folder}: cannot keep files here: {fault.strerror}") from None
    return folder
