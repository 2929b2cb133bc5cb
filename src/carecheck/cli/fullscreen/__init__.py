"""The full-screen interview (Textual): chosen for a capable terminal, and loaded only when it is used.

`can_drive` decides without importing Textual, so `--version`, files and batches never pay for it.
"""

from __future__ import annotations

import importlib.util
import os
import sys

UNDRIVABLE_TERMS = frozenset({"", "dumb", "unknown", "emacs"})
"""Terminals that cannot draw a full screen: the line-by-line interview serves them (and screen readers)."""


def can_drive(plain: bool) -> bool:
    """Whether the full-screen interview can run here: not --plain; stdin, stdout and stderr (where Textual draws)
    all terminals; a TERM that can draw; and Textual installed."""
    if plain or not (sys.stdin.isatty() and sys.stdout.isatty() and sys.stderr.isatty()):
        return False
    if os.environ.get("TERM", "") in UNDRIVABLE_TERMS:
        return False
    return importlib.util.find_spec("textual") is not None
