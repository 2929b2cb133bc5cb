"""The terminal an interview talks through: linear text on stderr, so that stdout carries only the result."""

from __future__ import annotations

import sys
import textwrap
from typing import Protocol


class Terminal(Protocol):
    def ask(self, prompt: str) -> str:
        """One line typed by the person; raises EOFError or KeyboardInterrupt when they stop."""

    def say(self, text: str = "") -> None: ...


class PlainTerminal:
    """Lines on stderr wrapped to the width, answers read with input()."""

    def __init__(self, width: int = 80, color: bool = False) -> None:
        self.width = max(40, width)
        self.color = color

    def ask(self, prompt: str) -> str:
        # The conversation goes to stderr, so that stdout carries only the result (`> result.json` works).
        sys.stderr.write(prompt)
        sys.stderr.flush()
        return input()

    def say(self, text: str = "") -> None:
        lines = []
        for paragraph in text.split("\n"):
            indent = paragraph[: len(paragraph) - len(paragraph.lstrip())]
            wrapped = textwrap.wrap(
                paragraph,
                self.width,
                subsequent_indent=indent + ("   " if paragraph.lstrip()[:1].isdigit() else ""),
                break_on_hyphens=False,
            )
            lines += wrapped or [""]
        sys.stderr.write("\n".join(lines) + "\n")
        sys.stderr.flush()


__all__ = ["PlainTerminal", "Terminal"]
