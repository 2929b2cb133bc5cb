"""Where the answers come from: a file, piped input, a draft, or the person at the terminal (edge, not core).

Precedence: `--resume` > `--answers FILE` (with `--ask-missing`, the terminal fills the gaps) > piped standard
input > the interactive interview. With standard input not a terminal, or `--no-input`, nothing is ever asked.
"""

from __future__ import annotations

import contextlib
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from carecheck.core.assessor import Assessor
from carecheck.core.errors import AnswersError, CarecheckError, UsageError
from carecheck.load.loader import read_answers

if TYPE_CHECKING:  # the interview and drafts are loaded only when a person is asked: files start faster
    from carecheck.cli.interview import Stopped
    from carecheck.cli.terminal import Terminal
    from carecheck.store.drafts import Draft


def _absolute(name: str | None) -> str | None:
    if name is None or not ("/" in name or Path(name).suffix):
        return name  # a built-in name
    return str(Path(name).resolve())


class Interrupted(Exception):
    """The person stopped; their answers are in the draft at `path` (exit 130)."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class Gathered(NamedTuple):
    answers: dict[str, Any]
    interactive: bool
    draft: Draft | None
    can_ask: bool
    """Whether more may be asked at this terminal (a counselor's decision, say): a terminal, and no --no-input."""
    fullscreen: bool = False
    """Whether the asking is done by the full-screen app (else line by line)."""


def resume_command(client: str | None) -> str:
    """What to type to carry on from a saved draft: a person's own assessment, or a counselor's intake of a client."""
    if client is None:
        return "carecheck assess --resume"
    return f"carecheck intake --client {shlex.quote(client)} --resume"


def keep_answers(
    gathered: Gathered, definitions: tuple[str | None, str | None], terminal: Terminal, client: str | None = None
) -> str:
    """Keep what was typed in a draft when the assessment cannot be finished after the interview; returns its path.
    Paths are kept absolute, so that --resume from another folder uses the same definitions."""
    from carecheck.store.drafts import save_draft

    questionnaire, rules = (_absolute(name) for name in definitions)
    draft_id = gathered.draft.id if gathered.draft else None
    kept = save_draft(gathered.answers, None, questionnaire, rules, draft_id=draft_id, client=client)
    terminal.say(f"Your answers are kept in {kept.path}; `{resume_command(client)}` carries on.")
    return str(kept.path)


class Gatherer:
    def __init__(
        self,
        assessor: Assessor,
        terminal: Terminal,
        can_ask: bool,
        definitions: tuple[str | None, str | None],
        client: str | None = None,
        fullscreen: bool = False,
    ) -> None:
        self.fullscreen = fullscreen
        self.client = client
        self.assessor = assessor
        self.terminal = terminal
        self.can_ask = can_ask
        self.definitions = definitions
        self.draft: Draft | None = None

    def save(self, stop: Stopped) -> NoReturn:
        from carecheck.store.drafts import save_draft
        from carecheck.store.files import WriteError

        # Paths are kept absolute, so that --resume from another folder uses the same definitions.
        questionnaire, rules = (_absolute(name) for name in self.definitions)
        try:
            self.draft = save_draft(
                stop.answers,
                stop.position,
                questionnaire,
                rules,
                draft_id=self.draft.id if self.draft else None,
                client=self.client,
            )
        except WriteError as fault:  # a full disk, say: the person must know that nothing was kept
            with contextlib.suppress(OSError):  # after a hang-up there is no terminal left to tell
                self.terminal.say(f"Your answers could not be kept: {fault.message}")
                self.terminal.say("Nothing was saved; free some space (or fix the folder) before you start again.")
                self._crisis_last(stop)
            raise Interrupted("") from None
        with contextlib.suppress(OSError):  # after a hang-up there is no terminal left to tell
            self.terminal.say(f"Your answers so far are saved in {self.draft.path}.")
            self.terminal.say(f"To carry on later, run: {resume_command(self.client)}")
            self._crisis_last(stop)
        raise Interrupted(str(self.draft.path))

    def _crisis_last(self, stop: Stopped) -> None:
        """Whoever leaves after an urgent answer leaves with crisis help as the last thing on the screen."""
        if stop.urgent:
            from carecheck.cli.interview import say_crisis

            say_crisis(self.terminal, self.assessor)

    def ask(self, start: dict[str, Any], only: set[str] | None = None, greet: bool = False) -> dict[str, Any]:
        from carecheck.cli.interview import COMMANDS, Stopped, interview, welcome

        greeting = welcome(self.assessor, self.client is not None) if greet else [COMMANDS]
        if self.fullscreen:
            greeting = welcome(self.assessor, self.client is not None, keys=None)
            from carecheck.cli.fullscreen.app import run_interview

            try:
                return run_interview(
                    self.assessor, start, only, only is None, greeting if greet else None, self.client is not None
                )
            except Stopped as stop:
                self.save(stop)
        return interview(
            self.assessor,
            self.terminal,
            start,
            only,
            on_stop=self.save,
            greeting=greeting,
            counselor=self.client is not None,
        )

    def fill_gaps(self, answers: dict[str, Any], ask_optional: bool = False) -> dict[str, Any]:
        """Ask only for what the file lacks or gets wrong, saying why, until the answers are complete; with
        `ask_optional`, then also for the optional questions that apply and are not in the file (a counselor's
        withdrawal scores), each of which can be skipped."""
        while True:
            try:
                values = self.assessor.check(answers)[0]
                break
            except AnswersError as error:
                known = [p for p in error.problems if p.item in self.assessor.item_index]
                if len(known) != len(error.problems):
                    raise  # unknown ids are a fault in the file: the person fixes the file
                for problem in known:
                    if problem.item in answers:
                        self.terminal.say(f"The answer file's {problem.item} {problem.message}; it is asked again.")
                        answers.pop(problem.item)
                answers = self.ask(answers, {p.item for p in known})
        if not ask_optional:
            return answers
        absent = {
            item.id
            for item in self.assessor.items
            if not item.definition.required and item.id not in answers and item.asked(values)
        }
        return self.ask(answers, absent) if absent else answers


def gather(
    assessor: Assessor,
    terminal: Terminal,
    *,
    source: str | None,
    resume: Draft | None,
    ask_missing: bool,
    no_input: bool,
    definitions: tuple[str | None, str | None],
    client: str | None = None,
    ask_optional: bool = False,
    fullscreen: bool = False,
) -> Gathered:
    """The answers for one assessment, asking the person only where that is allowed and needed. A counselor's
    intake names its `client` (its drafts are that client's) and asks for the optional questions too."""
    can_ask = not no_input and sys.stdin.isatty()
    fullscreen = fullscreen and can_ask
    if can_ask:
        _hang_up_as_ctrl_c()
    gatherer = Gatherer(assessor, terminal, can_ask, definitions, client, fullscreen)
    if resume is not None:
        if not can_ask:
            raise UsageError("resuming a draft needs a terminal to answer in; run it without --no-input or a pipe")
        gatherer.draft = resume
        terminal.say(f"Carrying on from your answers saved on {gatherer.draft.saved_at}.")
        return Gathered(gatherer.ask(dict(gatherer.draft.answers)), True, gatherer.draft, can_ask, fullscreen)
    if source is not None:
        answers = dict(assessor.answers_from(read_answers(source)))  # a FHIR response becomes item ids here
        if ask_missing and not can_ask:
            why = "--no-input forbids asking" if no_input else "standard input is not a terminal"
            where = "the piped answers" if source == "-" else source
            terminal.say(f"carecheck: --ask-missing cannot ask here ({why}): every answer must be in {where}.")
        if ask_missing and can_ask:
            return Gathered(gatherer.fill_gaps(answers, ask_optional), True, gatherer.draft, can_ask, fullscreen)
        return Gathered(answers, False, None, can_ask and source != "-", fullscreen and source != "-")
    if not sys.stdin.isatty():
        return Gathered(read_answers("-"), False, None, False)
    if no_input:
        raise UsageError("no answers were given and --no-input forbids asking: pass --answers FILE")
    return Gathered(gatherer.ask({}, greet=True), True, gatherer.draft, can_ask, fullscreen)


def _hang_up_as_ctrl_c() -> None:
    """A closed terminal (SIGHUP) stops the interview as Ctrl-C does, so the answers are kept in a draft."""
    import signal

    def hang_up(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, hang_up)


def start(
    questionnaire: str | None, rules: str | None, *, resume: bool, draft_id: str | None, client: str | None = None
) -> tuple[Assessor, Draft | None, tuple[str | None, str | None]]:
    """The assessor to use and the draft to carry on from (a counselor's only of the same client): a draft's own
    definitions win unless others are named."""
    from carecheck.api import load_assessor

    draft = None
    if resume or draft_id is not None:
        from carecheck.store.drafts import find_draft

        draft = find_draft(draft_id, client)
        questionnaire, rules = questionnaire or draft.questionnaire, rules or draft.rules
    return load_assessor(questionnaire, rules), draft, (questionnaire, rules)


def deliver(
    gathered: Gathered,
    definitions: tuple[str | None, str | None],
    terminal: Terminal,
    write: Callable[[], None],
    finished: bool = True,
) -> None:
    """Write the result. If that fails after an interview, keep what the person typed in a draft; once the result
    is written and `finished` (nothing more is offered), the draft is deleted (it would only be a copy of health
    data lying about)."""
    try:
        write()
    except CarecheckError:
        if gathered.interactive:
            keep_answers(gathered, definitions, terminal)
        raise
    if finished:
        forget_draft(gathered)


def forget_draft(gathered: Gathered) -> None:
    """Delete the draft of answers whose result is now kept (written, saved, or declined by the person)."""
    if gathered.draft is not None:
        from carecheck.store.drafts import delete_draft

        delete_draft(gathered.draft)
