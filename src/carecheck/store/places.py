"""Where carecheck keeps its files on each system: the data folder (drafts, the records database) and the cache.

platformdirs knows each system's convention (Linux's XDG folders, macOS's Library, Windows' AppData), so carecheck
does not guess them by hand. Two rules come first, so that nothing a person already has is lost or moved:
$XDG_DATA_HOME / $XDG_CACHE_HOME, when set to an absolute path, are used on every system; and a data folder that
carecheck made before it followed each system's convention (~/.local/share/carecheck, on macOS and Windows too)
is kept and read in place for as long as it exists. $CARECHECK_DB still names the database anywhere (`records`).
"""

from __future__ import annotations

import os
from pathlib import Path

LEGACY_DATA_BASE = (".local", "share")
"""Under the home folder: where every carecheck before 0.2 kept its data, whatever the system."""


def _named(variable: str) -> Path | None:
    # The XDG spec says to ignore a relative path: never a folder relative to wherever carecheck happens to run.
    named = os.environ.get(variable, "")
    return Path(named) if os.path.isabs(named) else None


def data_base() -> Path:
    """The folder that holds carecheck's data folder (`<base>/carecheck`): $XDG_DATA_HOME; else the folder an
    earlier carecheck used, if it holds carecheck's data; else the system's own (platformdirs)."""
    named = _named("XDG_DATA_HOME")
    if named is not None:
        return named
    legacy = Path(os.path.expanduser("~"), *LEGACY_DATA_BASE)
    if (legacy / "carecheck").is_dir():
        return legacy
    import platformdirs  # here: a run that never touches the data folder does not pay for importing it

    system = platformdirs.user_data_path()
    return system if system.is_absolute() else legacy  # platformdirs passes on a relative $XDG_DATA_HOME as it is


def cache_base() -> Path:
    """The folder that holds carecheck's cache folder: $XDG_CACHE_HOME, else the system's own (platformdirs). The
    cache is only definitions, rebuilt on a miss, so an old one elsewhere is simply left behind."""
    named = _named("XDG_CACHE_HOME")
    if named is not None:
        return named
    import platformdirs

    system = platformdirs.user_cache_path()
    return system if system.is_absolute() else Path(os.path.expanduser("~"), ".cache")
