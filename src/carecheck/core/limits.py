"""Every size limit carecheck puts on its input, in one place: what real files need is far below each of them.

They live in the core (pure constants) so that the core's own checks (conditions, answers), the loader and the
command line bound sizes by the same numbers; `docs/threats.md` lists them.
"""

from __future__ import annotations

MAX_FILE_BYTES = 5 * 1024 * 1024
"""An answer, definition or case file: larger ones are refused before parsing."""

MAX_NODES = 200_000
"""The values a YAML file may expand to, so alias bombs fail fast instead of eating memory."""

MAX_DEPTH = 64
"""Nesting of mappings and lists in a YAML or JSON file."""

MAX_INTEGER_DIGITS = 100
"""Digits of one integer in a file or an answer (decimal, hex or octal): no score, age or count needs more, and
Python refuses to turn integers of over 4,300 digits into text."""

MAX_RECORD_BYTES = 1024 * 1024
"""One `batch` record (a JSON line, or a CSV row): a longer one gets an error line of its own."""

BATCH_TASK_BYTES = 1024 * 1024
"""The records handed to one worker process at a time with `--jobs`, at most (besides LINES_PER_TASK)."""

MAX_SUGGESTED_KEYS = 20
"""Unknown keys that get a did-you-mean each; the rest are counted ("and N more unknown keys")."""

MAX_CONDITION_DEPTH = 400
"""Nesting in one condition, where a bracket, a list or a call counts 4 and a `not` 1 (100 brackets, or 400 `not`s):
the parser, the compiler and the generated code recurse, and each bracket takes the parser several steps."""
