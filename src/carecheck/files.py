"""Writing files that may hold health data: atomically, readable by the owner alone."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from carecheck.errors import CarecheckError


class WriteError(CarecheckError):
    """A file could not be written; nothing that was there before is lost."""

    exit_code = 1


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` with mode 0600: a temporary file beside it, flushed to disk, then renamed over it.

    A crash, a full disk or Ctrl-C leaves either the old file or the new one, never half of either.
    """
    directory = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".part")
    except OSError as fault:
        raise WriteError(f"{path}: cannot write here: {fault.strerror}; choose another folder") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException as fault:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(fault, OSError):
            raise WriteError(f"{path}: could not write the file: {fault.strerror}; nothing was changed") from None
        raise
