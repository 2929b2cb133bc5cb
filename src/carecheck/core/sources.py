"""Where definitions came from: the line of every key, so that any fault can name `file:line`.

This module is pure data; reading files is `loading`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

Path = tuple[str | int, ...]


class SourceMap(NamedTuple):
    """The file a definition came from and the line of each key in it (paths as tuples of keys and indices)."""

    file: str
    lines: Mapping[Path, int]
    files: Mapping[Path, str] = {}
    """Parts of the document that came from another file (a rule set it extends), by path."""

    def file_of(self, path: Sequence[Any]) -> str:
        """The file the deepest known part of `path` came from."""
        found = self.file
        for end in range(1, len(path) + 1):
            found = self.files.get(tuple(path[:end]), found)
        return found

    def line(self, path: Sequence[Any]) -> int | None:
        """The line of the deepest known part of `path` (pydantic's extra path parts are skipped)."""
        known: Path = ()
        best = self.lines.get(known)
        for part in path:
            candidate = (*known, part)
            if candidate in self.lines:
                known = candidate
                best = self.lines[candidate]
        return best

    def where(self, path: Sequence[Any]) -> str:
        line = self.line(path)
        file = self.file_of(path)
        return f"{file}:{line}" if line else file


def dotted(path: Sequence[Any]) -> str:
    """A path as a person reads it: `sections[2].items[0].when`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
