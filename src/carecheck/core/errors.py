"""One error tree for carecheck: every fault a person can fix carries words meant for that person."""

from __future__ import annotations

from typing import NamedTuple


class CarecheckError(Exception):
    """The root of every error carecheck raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(CarecheckError):
    """The command line or the answers given to it are wrong (exit 2)."""

    exit_code = 2
    kind = "usage"


class Problem(NamedTuple):
    """One fault in an answer set, tied to the item it concerns."""

    item: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"item": self.item, "message": self.message}


class AnswersError(UsageError):
    """An answer set does not fit the questionnaire; `problems` names each faulty item."""

    kind = "invalid-answers"

    def __init__(self, problems: list[Problem], record_id: str | int | None = None) -> None:
        self.problems = problems
        self.record_id = record_id
        lines = [f"{p.item}: {p.message}" for p in problems]
        head = "the answers do not fit the questionnaire" if len(problems) != 1 else "an answer does not fit"
        super().__init__(head + ":\n  " + "\n  ".join(lines))


class AnswerFileError(UsageError):
    """An answer file cannot be read or parsed (missing, empty, not a mapping, bad syntax)."""

    kind = "unreadable-answers"


class DefinitionError(CarecheckError):
    """A questionnaire, instrument or rule file is wrong (exit 3); the message names file:line."""

    exit_code = 3
    kind = "invalid-definition"

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}: " if path and line else f"{path}: " if path else ""
        super().__init__(where + message)
