"""The full-screen app: runs the interview, the result, or the counselor's decision, and hands back plain values.

The interview's order (what comes next, after back, after a change in the review) is the line-by-line
`Interview`'s own, used as the app's brain; leaving by any key, Ctrl-C or a closed terminal hands back what was
answered, as `Stopped`, for the caller to keep in a draft.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from carecheck.cli.fullscreen.screens import (
    CrisisScreen,
    DecisionScreen,
    QuestionScreen,
    ResultScreen,
    ReviewScreen,
    WelcomeScreen,
)
from carecheck.cli.interview import Interview, Stopped

if TYPE_CHECKING:
    from carecheck.clinic.record import Override
    from carecheck.core.assessor import Assessor
    from carecheck.core.compiled import CompiledItem
    from carecheck.core.result import Result

LEFT = "left"
"""What the app hands back when the person leaves before the end (a key, Ctrl-C, a closed terminal)."""


class Silent:
    """The brain's terminal: the screens do the talking."""

    def ask(self, prompt: str) -> str:
        raise EOFError

    def say(self, text: str = "") -> None:
        return None


class CarecheckApp(App[Any]):
    CSS_PATH = "carecheck.tcss"
    TITLE = "carecheck"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "leave", "Save and quit", priority=True),
        Binding("ctrl+c", "leave", "Save and quit", show=False, priority=True),
    ]

    def __init__(self, first: Callable[[CarecheckApp], Screen[Any]], brain: Interview | None = None) -> None:
        super().__init__()
        self.first = first
        self.brain = brain
        self.shown_urgent = False

    def on_mount(self) -> None:
        # A closed terminal (SIGHUP) leaves at once (no one is there to acknowledge a screen): the answers are kept.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.exit, LEFT)
        self.push_screen(self.first(self))
        if self.brain is not None and self.brain.urgent():
            # Carrying on after an urgent answer: crisis help comes before anything else, as it did then.
            self.shown_urgent = True
            self.push_screen(CrisisScreen(self.brain.assessor))

    # --- the interview ---

    def begin(self) -> None:
        self.next_pending()

    def next_pending(self) -> None:
        assert self.brain is not None
        item = self.brain.pending()
        if item is not None:
            self.show_question(item)
        elif self.brain.review:
            self.show_review()
        else:
            self.exit(self.brain.answers)

    def next_after(self, item_id: str) -> None:
        assert self.brain is not None
        item = self.brain.after(item_id)
        if item is None:
            self.next_pending()
        else:
            self.show_question(item)

    def show_question(self, item: CompiledItem) -> None:
        assert self.brain is not None
        self.brain.position = item.id
        _, asked = self.brain.candidates()
        number = next((n for n, candidate in enumerate(asked, 1) if candidate.id == item.id), len(asked))
        self.switch_screen(QuestionScreen(self.brain, item, number, len(asked)))

    def show_review(self) -> None:
        assert self.brain is not None
        self.switch_screen(ReviewScreen(self.brain))

    def answered(self, item: CompiledItem, value: Any) -> None:
        assert self.brain is not None
        self.brain.answers[item.id] = value
        self.brain.offered.add(item.id)
        if self.brain.urgent() and not self.shown_urgent:
            self.shown_urgent = True
            self.push_screen(CrisisScreen(self.brain.assessor), lambda _: self.next_after(item.id))
            return
        self.next_after(item.id)

    def finish(self) -> None:
        assert self.brain is not None
        if self.brain.pending() is not None:
            self.next_pending()  # a changed answer brought new questions: they come first
            return
        _values, asked = self.brain.assessor.partial(self.brain.answers)
        keep = {item.id for item in asked}
        if self.brain.only is None:
            self.exit({key: value for key, value in self.brain.answers.items() if key in keep or key == "id"})
        else:
            self.exit(self.brain.answers)

    # --- leaving ---

    def action_leave(self) -> None:
        """Save and quit: after an urgent answer, crisis help is the last screen before the app closes."""
        if isinstance(self.screen, CrisisScreen):
            return
        if self.brain is not None and self.brain.urgent():
            self.push_screen(CrisisScreen(self.brain.assessor, leaving=True), lambda _: self.exit(LEFT))
            return
        self.exit(LEFT)


def interview_app(
    assessor: Assessor,
    start: dict[str, Any],
    only: set[str] | None = None,
    review: bool = True,
    greeting: list[str] | None = None,
    counselor: bool = False,
) -> CarecheckApp:
    """The app for one interview: it hands back the answers (a dict), or LEFT when the person leaves."""
    brain = Interview(assessor, Silent(), start, only, review=review, counselor=counselor)

    def first(app: CarecheckApp) -> Screen[Any]:
        if greeting:
            return WelcomeScreen(greeting)
        item = brain.pending()
        if item is None:
            return ReviewScreen(brain) if review else WelcomeScreen(["There is nothing left to ask."])
        _, asked = brain.candidates()
        number = next((n for n, candidate in enumerate(asked, 1) if candidate.id == item.id), len(asked))
        brain.position = item.id
        return QuestionScreen(brain, item, number, len(asked))

    return CarecheckApp(first, brain)


def run_interview(
    assessor: Assessor,
    start: dict[str, Any],
    only: set[str] | None,
    review: bool,
    greeting: list[str] | None,
    counselor: bool,
) -> dict[str, Any]:
    """The answers from the full-screen interview; raises Stopped when the person leaves before the end."""
    app = interview_app(assessor, start, only, review, greeting, counselor)
    outcome = app.run()
    if isinstance(outcome, dict):
        return outcome
    assert app.brain is not None
    raise Stopped(app.brain.answers, app.brain.position, app.brain.urgent())


def result_app(result: Result, assessor: Assessor, save: Callable[[str], Path]) -> CarecheckApp:
    return CarecheckApp(lambda app: ResultScreen(result, assessor, save))


def decision_app(lines: list[str], assessor: Assessor, computed: str) -> CarecheckApp:
    names = dict(assessor.level_names)
    return CarecheckApp(lambda app: DecisionScreen(lines, list(assessor.levels), names, computed))


def run_result(result: Result, assessor: Assessor, save: Callable[[str], Path]) -> tuple[str, str | None]:
    """Show the result; ("saved", path), ("declined", None), or (LEFT, None) when the person left unanswered."""
    outcome = result_app(result, assessor, save).run()
    return outcome if isinstance(outcome, tuple) else (LEFT, None)


def run_decision(lines: list[str], assessor: Assessor, computed: str) -> Override | str | None:
    """The counselor's decision: an Override, None to accept the computed level, or LEFT."""
    outcome: Override | str | None = decision_app(lines, assessor, computed).run()
    return outcome
