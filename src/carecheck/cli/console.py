"""Where the command line's words go: the result to stdout or a private file, notes and errors to stderr, and the
width and colour a terminal gets."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def say_error(message: str) -> None:
    """A note or an error on stderr, after `carecheck: `."""
    from carecheck.core.safetext import literal  # messages may quote input: never let it drive the terminal

    sys.stderr.write(f"carecheck: {literal(message)}\n")


def warn(warnings: tuple[str, ...]) -> None:
    for warning in warnings:
        say_error(f"warning: {warning}")


def emit(text: str, output: Path | None) -> None:
    """The command's output: to stdout, or to `output` (written atomically, mode 0600)."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from carecheck.store.files import write_private

    write_private(output, text)


def screen(plain: bool, to_file: bool) -> tuple[int, bool]:
    """Width and colour for text: colour only on a terminal, never with NO_COLOR, --plain or TERM=dumb."""
    terminal = not to_file and sys.stdout.isatty()
    color = terminal and not plain and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    width = min(max(shutil.get_terminal_size((80, 24)).columns, 40), 100) if terminal else 80
    return width, color
