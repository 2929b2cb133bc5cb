"""A per-user cache of validated definitions, so that each run need not parse YAML and re-validate unchanged files.

It holds definitions only, never answers. An entry is used only when every file it came from still has the same
bytes; the folder is the user's own (0700) and each entry is written atomically (0600). Any fault just means a miss.
Set CARECHECK_CACHE=off to disable it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from carecheck import __version__


def cache_folder() -> Path | None:
    """Where entries live, or None when caching is off or the folder is not safely the user's own."""
    if os.environ.get("CARECHECK_CACHE", "").lower() in ("off", "0", "no", "false"):
        return None
    from carecheck.store.places import cache_base

    folder = cache_base() / "carecheck"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError:
        return None  # a cache we cannot keep costs speed, not correctness
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None  # someone else could plant an entry: do without
    return folder


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cached(key_parts: tuple[str, ...], build: Callable[[], tuple[Any, list[Path]]]) -> Any:
    """The value `build` makes, reused while the files it reports reading are unchanged.

    `build` returns the value and the files it read; `key_parts` tell apart calls that read different files.
    """
    folder = cache_folder()
    if folder is None:
        return build()[0]
    key = hashlib.sha256("\0".join((__version__, sys.version, *key_parts)).encode()).hexdigest()
    entry = folder / f"{key}.pickle"
    try:
        with entry.open("rb") as stream:
            files, value = pickle.load(stream)
        if all(_digest(Path(name)) == digest for name, digest in files):
            return value
    except Exception:
        pass
    value, read = build()
    from carecheck.store.files import write_private_bytes  # a miss only: its tempfile import costs every run otherwise

    try:
        files = [(str(path.resolve()), _digest(path)) for path in read]
        write_private_bytes(entry, pickle.dumps((files, value), protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:
        pass
    return value
