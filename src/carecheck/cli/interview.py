"""The interactive self-assessment: one question at a time in a terminal, calm, safe, and losing nothing.

Linear text only (no cursor tricks), so it works with screen readers, at 60 columns, and under NO_COLOR. The
person can type `?` for help, `back` for the previous question, `skip` for an optional one; a review screen lets any
answer be changed before scoring. Crisis help is shown the moment the answers reach an urgent rule. Ctrl-C or the end
of input stops the interview: the caller saves a draft.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from carecheck.cli.terminal import Terminal
from carecheck.core.assessor import Assessor
from carecheck.core.compiled import CompiledItem
from carecheck.core.items import kind_of
from carecheck.core.safetext import literal

COMMANDS = (
    "Type the number or the first words of an answer. Type ? for help, back for the previous question, skip to"
    " leave out an optional question, review to see your answers so far, or quit to stop (your answers are kept"
    " and you can carry on later)."
)

QUIT = frozenset({"quit", "exit", "q", "stop"})
"""What stops the interview as Ctrl-C does: the answers are kept in a draft."""


def welcome(assessor: Assessor, counselor: bool = False, keys: str | None = COMMANDS) -> list[str]:
    """The first screen's words: what this is, how long it takes, where answers stay, the keys (`keys`, the
    line-by-line ones unless a screen shows its own), and 988."""
    questions = len(assessor.partial({})[1])
    if counselor:
        return [
            "carecheck intake: the client's screening and the clinician's items, scored into a suggested level of"
            " care. It is a screening aid for clinical judgement, never a diagnosis.",
            "Answers stay on this computer.",
            *([keys] if keys else []),
        ]
    return [
        "carecheck: a few questions about alcohol, drugs, mood and everyday life, to suggest a level of care."
        " It is a screening aid, not a diagnosis.",
        f"It takes about 10 minutes: about {questions} questions to start with, and some answers lead to a few more.",
        "Your answers stay on this computer.",
        *([keys] if keys else []),
        "If you need to talk to someone now, call or text 988 (the Suicide & Crisis Lifeline) at any time.",
    ]


class Stopped(Exception):
    """The person stopped (Ctrl-C, end of input, or quit) at `position`; `answers` holds everything typed so far;
    `urgent` says the answers reached an urgent rule, so crisis help is shown again on the way out."""

    def __init__(self, answers: dict[str, Any], position: str | None, urgent: bool = False) -> None:
        super().__init__("stopped")
        self.answers = answers
        self.position = position
        self.urgent = urgent


def crisis_lines(assessor: Assessor) -> list[str]:
    """The rules' own crisis help, as lines for a terminal (the words are the rule set's, never the interview's)."""
    text = assessor.rules.rules.safety
    lines = [f"!! {literal(text.crisis_heading)} !!", literal(text.crisis_message)]
    return lines + [f"- {literal(contact.name)}: {literal(contact.how)}" for contact in text.crisis_contacts]


def say_crisis(terminal: Terminal, assessor: Assessor) -> None:
    """Crisis help set apart by a blank line: at the moment an answer is urgent, and as the last thing on the screen
    however a person leaves after one."""
    terminal.say()
    for line in crisis_lines(assessor):
        terminal.say(line)


def _describe_choices(item: CompiledItem) -> list[str]:
    return kind_of(item.definition).typing_help(item.definition)


def parse_typed(item: CompiledItem, text: str) -> Any:
    """What the person typed, as an answer-file value; raises ValueError saying what is allowed."""
    return kind_of(item.definition).parse_typed(item.definition, item.coerce, text)


def _shown(item: CompiledItem, value: Any) -> str:
    return kind_of(item.definition).in_words(item.definition, value)


class Interview:
    """Asks `assessor`'s questions until every asked one has an answer, then offers a review.

    `only`, when given, limits the questions to those ids (for --ask-missing); `start` answers are kept.
    """

    def __init__(
        self,
        assessor: Assessor,
        terminal: Terminal,
        start: dict[str, Any] | None = None,
        only: set[str] | None = None,
        review: bool = True,
        greeting: list[str] | None = None,
        counselor: bool = False,
    ) -> None:
        self.greeting = greeting or []
        self.after_crisis = (
            "The client's answers reach the rule set's crisis threshold: see to the client's safety first."
            if counselor
            else "You can keep answering when you are ready; your answers help a clinician help you."
        )
        self.assessor = assessor
        self.terminal = terminal
        self.answers: dict[str, Any] = dict(start or {})
        self.only = only
        self.review = review
        self.offered: set[str] = set()
        self.shown_section: str | None = None
        self.shown_urgent = False
        self.shown_note = False
        self.reviewing = False
        self.revisiting = False
        self.position: str | None = None
        self.sections = {s.id: s for s in assessor.questionnaire.questionnaire.sections}
        self.instruments = assessor.questionnaire.instruments

    # --- what to ask ---

    def candidates(self) -> tuple[dict[str, Any], list[CompiledItem]]:
        values, asked = self.assessor.partial(self.answers)
        if self.only is not None:
            asked = [item for item in asked if item.id in self.only]
        return values, asked

    def pending(self) -> CompiledItem | None:
        values, asked = self.candidates()
        for item in asked:
            if values[item.id] is None and (item.definition.required or item.id not in self.offered):
                return item
        return None

    def after(self, item_id: str) -> CompiledItem | None:
        """The next question: after `back`, the one that follows in order (answered ones show their answer, kept
        with Enter) until the person is back where they were; otherwise the first one not yet answered."""
        if not self.revisiting:
            return self.pending()
        order = {item.id: index for index, item in enumerate(self.assessor.items)}
        values, asked = self.candidates()
        following = next((item for item in asked if order[item.id] > order[item_id]), None)
        if following is None or values[following.id] is None:
            self.revisiting = False
            return self.pending()
        return following

    def before(self, item_id: str) -> CompiledItem | None:
        order = {item.id: index for index, item in enumerate(self.assessor.items)}
        _, asked = self.candidates()
        earlier = [item for item in asked if order[item.id] < order[item_id]]
        return earlier[-1] if earlier else None

    # --- the conversation ---

    def run(self) -> dict[str, Any]:
        """The completed answers (only items that are asked); raises Stopped when the person stops."""
        try:
            for line in self.greeting:
                self.terminal.say(line)
            self.check_safety()
            while True:
                current = self.pending()
                while current is not None:
                    self.position = current.id
                    current = self.ask(current)
                if self.pending() is not None:
                    continue  # an answer changed which questions apply: ask the new ones first
                if not self.review or not self.review_screen():
                    break
        except (KeyboardInterrupt, EOFError):
            self.terminal.say()
            raise Stopped(self.answers, self.position, self.urgent()) from None
        if self.only is not None:
            return self.answers  # the file's own answers stay as given: check() warns about any not asked
        # Answers left behind by going back and changing course belong to questions no longer asked: drop them.
        _values, asked = self.assessor.partial(self.answers)
        keep = {item.id for item in asked}
        return {key: value for key, value in self.answers.items() if key in keep or key == "id"}

    def introduce(self, item: CompiledItem) -> None:
        if item.section == self.shown_section:
            return
        self.shown_section = item.section
        section = self.sections[item.section]
        say = self.terminal.say
        say()
        say(literal(section.title))
        say("-" * min(len(section.title), 60))
        instrument = self.instruments[item.instrument].instrument if item.instrument is not None else None
        if instrument is not None:  # the credit and terms head the items they go with (DAST-10's terms require it)
            credit = instrument.attribution
            say(literal(f"{credit.name}: {credit.credit} {credit.terms}"))
        if section.intro:
            say(literal(section.intro))
        if instrument is not None and instrument.instructions:
            say(literal(instrument.instructions))

    def ask(self, item: CompiledItem) -> CompiledItem | None:
        """Ask one question until it gets an answer or a command; returns the next question to ask."""
        self.introduce(item)
        _, asked = self.candidates()
        number = next((n for n, candidate in enumerate(asked, 1) if candidate.id == item.id), len(asked))
        say = self.terminal.say
        say()
        say(f"Question {number} of about {len(asked)}")
        say(literal(item.definition.prompt))
        for line in _describe_choices(item):
            say(literal(line))
        current = self.answers.get(item.id)
        keep = current is not None
        if keep:
            say(
                f"  Your answer so far: {literal(_shown(item, self.assessor.partial(self.answers)[0][item.id]))}."
                " Press Enter to keep it."
            )
        if not item.definition.required:
            say("  This question is optional: type skip to leave it out.")
        while True:
            typed = self.terminal.ask("> ")
            command = typed.strip().lower()
            if command in ("?", "help"):
                say(literal(item.definition.help or "There is no more to say about this question."))
                say(COMMANDS)
                continue
            if command in QUIT:
                raise KeyboardInterrupt  # kept in a draft, as Ctrl-C keeps it
            if command == "review" and self.review:
                self.review_screen(partway=True)
                return item  # back to the question that was on screen (or the one a change brought)
            if command == "skip" and item.definition.required:
                say("This question cannot be skipped: the suggestion needs its answer. Type ? for help with it.")
                continue
            if command == "back":
                previous = self.before(item.id)
                if previous is None:
                    say("This is the first question.")
                    continue
                self.revisiting = not self.reviewing
                return previous
            if command == "skip" and not item.definition.required:
                self.offered.add(item.id)
                self.answers.pop(item.id, None)
                return self.after(item.id)
            if command == "" and keep:
                return self.after(item.id)
            if command == "" and not item.definition.required:
                self.offered.add(item.id)
                return self.after(item.id)
            try:
                value = parse_typed(item, typed)
            except ValueError as fault:
                say(f"Sorry, that answer does not fit: it {literal(str(fault))}. Please try again.")
                continue
            self.answers[item.id] = value
            self.offered.add(item.id)
            self.check_safety()
            return self.after(item.id)

    def urgent(self) -> bool:
        values, _ = self.assessor.partial(self.answers)
        return self.assessor.safety(values)[0]

    def check_safety(self) -> None:
        """Crisis help the moment the answers reach an urgent rule; a calm 988 note for a safety note."""
        values, _ = self.assessor.partial(self.answers)
        urgent, note = self.assessor.safety(values)
        text = self.assessor.rules.rules.safety
        say = self.terminal.say
        if urgent and not self.shown_urgent:
            self.shown_urgent = True
            say_crisis(self.terminal, self.assessor)
            say(self.after_crisis)
        elif note and not urgent and not self.shown_note:
            self.shown_note = True
            say()
            say(literal(text.check_in_message))
            for contact in text.check_in_contacts:
                say(f"- {literal(contact.name)}: {literal(contact.how)}")

    def review_screen(self, partway: bool = False) -> bool:
        """List every answer; True when the person chose one to change (it is then asked again). `partway`: asked
        for with `review` before the end, so Enter goes back to the questions."""
        values, asked = self.candidates()
        say = self.terminal.say
        say()
        say("Your answers")
        say("------------")
        for number, item in enumerate(asked, 1):
            value = values[item.id]
            if value is None:
                shown = "(skipped)" if item.id in self.offered else "(not answered yet)"
            else:
                shown = _shown(item, value)
            # The whole question, wrapped by words: AUDIT's "How often during the last year..." items differ at the end.
            say(f"{number}. {literal(' '.join(item.definition.prompt.split()))}")
            say(f"   Answer: {literal(shown)}")
        while True:
            typed = self.terminal.ask(
                "Type a number to change that answer, or press Enter to go back to the questions: "
                if partway
                else "Type a number to change that answer, or press Enter to see your result: "
            )
            if not typed.strip():
                return False
            if typed.strip().isdecimal() and typed.strip().isascii() and 1 <= int(typed) <= len(asked):
                item = asked[int(typed) - 1]
                self.reviewing = True
                self.position = item.id
                next_item = self.ask(item)
                while next_item is not None:
                    self.position = next_item.id
                    next_item = self.ask(next_item)
                return True
            say(f"Please type a number from 1 to {len(asked)}, or press Enter.")


def interview(
    assessor: Assessor,
    terminal: Terminal,
    start: dict[str, Any] | None = None,
    only: set[str] | None = None,
    on_stop: Callable[[Stopped], None] | None = None,
    greeting: list[str] | None = None,
    counselor: bool = False,
) -> dict[str, Any]:
    """Run an interview to completion; on a stop, `on_stop` (which saves a draft) runs before Stopped propagates."""
    try:
        asking = Interview(assessor, terminal, start, only, review=only is None, greeting=greeting, counselor=counselor)
        return asking.run()
    except Stopped as stop:
        if on_stop is not None:
            on_stop(stop)
        raise
