"""Showing text from files and answers literally: nothing from input may drive the terminal."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u061c\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""What JSON encoders leave raw (they escape only C0 controls): DEL, C1 controls, bidi controls, line separators."""


def literal(text: str) -> str:
    """Text with control and bidi characters made visible (`\\x1b`), so input can never drive the terminal."""
    return _CONTROL.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text
    )


def json_escaped(text: str) -> str:
    """JSON text with DEL, C1, bidi controls and line separators written as `\\uXXXX`.

    These characters can only stand inside JSON strings, so the escape gives the same value to any JSON reader,
    while a terminal, an editor or a log viewer shows them instead of obeying them. Every JSON writer of carecheck
    applies it, so outputs stay byte-identical between writers.
    """
    if _JSON_UNSAFE.search(text) is None:
        return text
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
