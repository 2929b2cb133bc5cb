"""The screens of the full-screen interview, one class each: welcome, question, crisis help, review, result, and
the counselor's decision. They ask the core through plain calls (the assessor, the item kinds, the wording) and
keep no rules of their own; every text from a file is shown as literal text, never as markup."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, cast

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Collapsible, Footer, Input, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from carecheck.cli.interview import Interview, crisis_lines, welcome
from carecheck.core.definitions import IntegerItem, MultiChoiceItem, TextItem
from carecheck.core.items import kind_of
from carecheck.core.safetext import literal

if TYPE_CHECKING:
    from carecheck.core.assessor import Assessor
    from carecheck.core.compiled import CompiledItem
    from carecheck.core.result import Result

CRISIS_LINE = "Need to talk to someone now? Call or text 988, any time."
"""The frame's own line at the foot of every screen; the crisis help itself is the rule set's words."""


class InterviewHost(Protocol):
    """What the interview's screens ask of the app that runs them: where to go next."""

    def begin(self) -> None: ...
    def answered(self, item: CompiledItem, value: Any) -> None: ...
    def show_question(self, item: CompiledItem) -> None: ...
    def next_after(self, item_id: str) -> None: ...
    def show_review(self) -> None: ...
    def finish(self) -> None: ...


def text(value: str) -> Content:
    """Words from a file or an answer, shown as they are: escaped, never read as markup."""
    return Content(literal(value))


def numbered(number: str, words: str) -> Table:
    """A choice as a list shows it: its number, then its words wrapped by words under themselves."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    grid.add_row(Text(number), Text(literal(words)))
    return grid


def foot() -> ComposeResult:
    """The foot of every screen: the crisis line above the keys."""
    with Vertical(classes="foot"):
        yield Static(CRISIS_LINE, classes="crisis-line", markup=False)
        yield Footer()


class Shown(Static):
    """Literal text (from the definitions or an answer): markup is never parsed."""

    def __init__(self, value: str, classes: str = "", id: str | None = None) -> None:
        super().__init__(text(value), classes=classes, id=id, markup=False)


class WelcomeScreen(Screen[None]):
    """What this is, how long it takes, where the answers stay, the keys, and 988."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "begin", "Begin")]

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="welcome"):
            yield Static("Welcome to carecheck", classes="title", markup=False)
            for line in self.lines:
                yield Shown(line, classes="paragraph")
            yield Static(
                "Keys: pick an answer with the arrow keys and Enter, a click, or its number. "
                "F1 help, Esc back, F3 skip (where allowed), F4 review, Ctrl+Q save and quit.",
                classes="paragraph keys",
                markup=False,
            )
            yield Button("Begin", id="begin", variant="primary")
        yield from foot()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_begin()

    def action_begin(self) -> None:
        self.interview_app.begin()

    @property
    def interview_app(self) -> InterviewHost:
        return cast("InterviewHost", self.app)


class QuestionScreen(Screen[None]):
    """One question: its section's heading, instructions and credit when the section starts, progress, the
    question, and its answers (choices by their words, numbered from 1; numbers in an input that says the range)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help"),
        Binding("escape", "back", "Back"),
        Binding("f3", "skip", "Skip"),
        Binding("f4", "review", "Review"),
        *[Binding(str(n), f"pick({n})", show=False) for n in range(1, 10)],
    ]

    def __init__(self, brain: Interview, item: CompiledItem, number: int, about: int) -> None:
        super().__init__()
        self.brain = brain
        self.item = item
        self.number = number
        self.about = about
        self.kind = kind_of(item.definition)
        self.ticked: set[str] = set()

    # --- what it shows ---

    def compose(self) -> ComposeResult:
        definition = self.item.definition
        with VerticalScroll(id="question-area"):
            yield from self.section_intro()
            yield Static(f"Question {self.number} of about {self.about}", id="progress-label", markup=False)
            yield ProgressBar(total=self.about, show_eta=False, show_percentage=False, id="progress")
            yield Shown(" ".join(definition.prompt.split()), classes="prompt", id="prompt")
            yield from self.answer_widgets()
            yield Static("", id="feedback", markup=False)
            yield Shown(definition.help or "There is no more to say about this question.", id="help")
        yield from foot()

    def section_intro(self) -> ComposeResult:
        if self.item.section == self.brain.shown_section:
            return
        self.brain.shown_section = self.item.section
        section = self.brain.sections[self.item.section]
        yield Shown(section.title, classes="section-title")
        if section.intro:
            yield Shown(section.intro, classes="paragraph")
        if self.item.instrument is not None:
            instrument = self.brain.instruments[self.item.instrument].instrument
            if instrument.instructions:
                yield Shown(instrument.instructions, classes="paragraph instructions")
            credit = instrument.attribution
            yield Shown(f"{credit.name}: {credit.credit} {credit.terms}", classes="credit")

    def answer_widgets(self) -> ComposeResult:
        definition = self.item.definition
        current = self.current()
        labels = self.kind.choice_labels(definition)
        if labels:
            answers = self.kind.choice_answers(definition)
            options = [Option(numbered(f"{n} ", label)) for n, label in enumerate(labels, 1)]
            chosen = answers.index(current) if current in answers else 0
            yield OptionList(*options, id="choices", markup=False)
            self.call_after_refresh(self.highlight, chosen)
        elif isinstance(definition, MultiChoiceItem):
            self.ticked = {str(value) for value in current or ()}
            yield OptionList(*[Option(self.tick_label(n)) for n in range(len(definition.choices))], id="checklist")
            yield Static(
                "Enter or a number ticks an answer (again to untick); tick none for none. Then Done (Tab, Enter).",
                classes="hint",
                markup=False,
            )
            yield Button("Done", id="done", variant="primary")
        else:
            hint = self.kind.typing_help(definition)[0].strip() if isinstance(definition, IntegerItem) else ""
            if isinstance(definition, TextItem):
                hint = f"Up to {definition.max_length} characters; leave it empty if there is nothing to add."
            yield Static(hint, classes="hint", markup=False)
            yield Input(
                value="" if current is None else str(current),
                type="integer" if isinstance(definition, IntegerItem) else "text",
                id="typed",
            )

    def tick_label(self, index: int) -> Table:
        assert isinstance(self.item.definition, MultiChoiceItem)
        choice = self.item.definition.choices[index]
        mark = "[x]" if str(choice.value) in self.ticked else "[ ]"
        return numbered(f"{mark} {index + 1} ", choice.label)

    def tick(self, index: int) -> None:
        assert isinstance(self.item.definition, MultiChoiceItem)
        value = str(self.item.definition.choices[index].value)
        self.ticked ^= {value}
        self.query_one("#checklist", OptionList).replace_option_prompt_at_index(index, self.tick_label(index))

    def highlight(self, index: int) -> None:
        self.query_one("#choices", OptionList).highlighted = index

    def on_mount(self) -> None:
        self.query_one("#progress", ProgressBar).update(progress=self.number - 1)
        self.query_one("#help").display = False
        for selector in ("#choices", "#checklist", "#typed"):
            for widget in self.query(selector):
                widget.focus()

    def current(self) -> Any:
        return self.brain.assessor.partial(self.brain.answers)[0][self.item.id]

    # --- answering ---

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if isinstance(self.item.definition, MultiChoiceItem):
            self.tick(event.option_index)
            return
        self.answered(self.kind.choice_answers(self.item.definition)[event.option_index])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        typed = event.value
        if not typed.strip() and not self.item.definition.required:
            self.action_skip()
            return
        try:
            value = self.kind.parse_typed(self.item.definition, self.item.coerce, typed)
        except ValueError as fault:
            self.say(f"That answer does not fit: it {literal(str(fault))}.")
            return
        self.answered(value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "done" and isinstance(self.item.definition, MultiChoiceItem):
            self.answered([str(c.value) for c in self.item.definition.choices if str(c.value) in self.ticked])

    def action_pick(self, number: int) -> None:
        if isinstance(self.item.definition, MultiChoiceItem):
            if 1 <= number <= len(self.item.definition.choices):
                self.tick(number - 1)
            return
        answers = self.kind.choice_answers(self.item.definition)
        if 1 <= number <= len(answers):
            self.answered(answers[number - 1])

    def answered(self, value: Any) -> None:
        self.interview_app.answered(self.item, value)

    def say(self, words: str) -> None:
        self.query_one("#feedback", Static).update(text(words))

    # --- the footer's keys ---

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "skip" and self.item.definition.required)  # no Skip where it cannot be left out

    def action_help(self) -> None:
        shown = self.query_one("#help")
        shown.display = not shown.display

    def action_back(self) -> None:
        previous = self.brain.before(self.item.id)
        if previous is None:
            self.say("This is the first question.")
            return
        self.brain.revisiting = not self.brain.reviewing
        self.interview_app.show_question(previous)

    def action_skip(self) -> None:
        if self.item.definition.required:
            self.say("This question cannot be skipped: the suggestion needs its answer. F1 shows help with it.")
            return
        self.brain.offered.add(self.item.id)
        self.brain.answers.pop(self.item.id, None)
        self.interview_app.next_after(self.item.id)

    def action_review(self) -> None:
        self.interview_app.show_review()

    @property
    def interview_app(self) -> InterviewHost:
        return cast("InterviewHost", self.app)


class CrisisScreen(ModalScreen[None]):
    """Crisis help, in the rule set's words, that the person acknowledges; it says the answers are saved."""

    BINDINGS: ClassVar[list[BindingType]] = []

    def __init__(self, assessor: Assessor, leaving: bool = False) -> None:
        super().__init__()
        self.assessor = assessor
        self.leaving = leaving

    def compose(self) -> ComposeResult:
        with Vertical(id="crisis-box"):
            lines = crisis_lines(self.assessor)
            yield Shown(lines[0].strip("! "), classes="crisis-title")
            with VerticalScroll(id="crisis"):
                yield Shown(lines[1], classes="paragraph")
                for line in lines[2:]:
                    yield Shown(line, classes="contact")
            kept = (
                "Your answers are saved on this computer; carecheck assess --resume carries on later."
                if self.leaving
                else "Your answers so far are kept. Reaching out comes first; the questions can wait."
            )
            yield Static(kept, classes="kept", markup=False)
            yield Button("I have read this", id="read", variant="error")
        yield Footer()

    def on_mount(self) -> None:
        # The heading and the first lines stay in view: the button sits below the text, not at its end.
        self.query_one("#read", Button).focus(scroll_visible=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)


class ReviewScreen(Screen[None]):
    """Every question asked, in full, with its answer; choosing one changes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "finish", "See the result"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, brain: Interview) -> None:
        super().__init__()
        self.brain = brain
        values, self.asked = brain.candidates()
        self.values = values

    def compose(self) -> ComposeResult:
        yield Static("Your answers: choose one to change it", classes="section-title", markup=False)
        options = []
        for number, item in enumerate(self.asked, 1):
            value = self.values[item.id]
            if value is None:
                shown = "(skipped)" if item.id in self.brain.offered else "(not answered yet)"
            else:
                shown = kind_of(item.definition).in_words(item.definition, value)
            prompt = " ".join(item.definition.prompt.split())
            options.append(Option(numbered(f"{number}.", f"{prompt}\nAnswer: {shown}")))
        yield OptionList(*options, id="answers", markup=False)
        with Horizontal(id="review-buttons"):
            yield Button("See the result", id="finish", variant="primary")
        yield from foot()

    def on_mount(self) -> None:
        self.query_one("#answers", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.brain.reviewing = True
        self.interview_app.show_question(self.asked[event.option_index])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_finish()

    def action_finish(self) -> None:
        self.interview_app.finish()

    def action_back(self) -> None:
        if self.asked:
            self.interview_app.show_question(self.asked[-1])

    @property
    def interview_app(self) -> InterviewHost:
        return cast("InterviewHost", self.app)


class ResultScreen(Screen[None]):
    """The result: crisis help and the level first, a short summary, then sections to open; then the choice to
    save it as Markdown or HTML, asked until it is answered."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "save('markdown')", "Markdown"),
        Binding("h", "save('html')", "HTML"),
        Binding("n", "decline", "Don't save"),
    ]

    def __init__(self, result: Result, assessor: Assessor, save: Callable[[str], Path]) -> None:
        super().__init__()
        self.result = result
        self.assessor = assessor
        self.save = save

    def compose(self) -> ComposeResult:
        from carecheck.core.wording import explain

        e = explain(self.result, self.assessor)
        with VerticalScroll(id="result"):
            if e.safety is not None:
                with Vertical(classes="alert urgent" if e.safety.urgent else "alert"):
                    yield Shown(e.safety.heading, classes="crisis-title")
                    yield Shown(e.safety.message, classes="paragraph")
                    for contact in e.safety.contacts:
                        yield Shown(f"{contact.name}: {contact.how}", classes="paragraph")
            yield Shown(f"Suggested level of care: {e.level_name}", classes="level")
            yield Shown(e.summary, classes="paragraph")
            if e.deciding:
                with Collapsible(title="Why this level"):
                    for reason in e.deciding:
                        yield Shown(f"- {reason.text} (Based on: {'; '.join(reason.evidence)}.)")
            with Collapsible(title="Your questionnaire scores"):
                for score in e.scores:
                    yield Shown(f"- {score.instrument}: {score.total} of {score.maximum} ({score.band})")
            with Collapsible(title="What to expect"):
                detail = e.level_detail
                yield Shown(detail.summary, classes="paragraph")
                yield Shown(f"Where: {detail.setting}", classes="paragraph")
                yield Shown(f"A typical week: {detail.typical_week}", classes="paragraph")
            with Collapsible(title="How to find care"):
                yield Shown(e.finding_care_intro, classes="paragraph")
                for step in e.finding_care_checklist:
                    yield Shown(f"- {step}")
                for contact in e.finding_care_contacts:
                    yield Shown(f"- {contact.name}: {contact.how}")
            yield Shown(e.disclaimer, classes="paragraph disclaimer")
        yield Static("Save this result to keep or print? Choose one to go on.", id="save-question", markup=False)
        with Horizontal(id="save-buttons"):
            yield Button("Save as Markdown", id="markdown")
            yield Button("Save as HTML", id="html")
            yield Button("Don't save", id="decline")
        yield from foot()

    def on_mount(self) -> None:
        self.query_one("#result", VerticalScroll).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "decline":
            self.action_decline()
        elif event.button.id in ("markdown", "html"):
            self.action_save(event.button.id)

    def action_save(self, kind: str) -> None:
        path = self.save(kind)
        self.app.exit(("saved", str(path)))

    def action_decline(self) -> None:
        self.app.exit(("declined", None))


class DecisionScreen(Screen[None]):
    """The counselor's decision: the computed level with its reasons and scores first, then the levels (the
    computed one accepts it); another level opens the reason field, which can be cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel override"),
        *[Binding(str(n), f"pick({n})", show=False) for n in range(1, 10)],
    ]

    def __init__(self, lines: list[str], levels: list[str], names: dict[str, str], computed: str) -> None:
        super().__init__()
        self.lines = lines
        self.levels = levels
        self.names = names
        self.computed = computed
        self.chosen: str | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="decision"):
            yield Static("The placement decision", classes="section-title", markup=False)
            for line in self.lines:
                if not line.lstrip()[:1].isdigit() and line != "Levels of care:":  # the list below shows them
                    yield Shown(line)
            yield Static("Accept the computed level, or choose another and say why:", classes="paragraph", markup=False)
            yield OptionList(
                *[
                    Option(
                        text(
                            f"{n}  {self.names[level]}"
                            + ("  (computed by the screening: accept it)" if level == self.computed else "")
                        )
                    )
                    for n, level in enumerate(self.levels, 1)
                ],
                id="levels",
                markup=False,
            )
            with Vertical(id="reason-box"):
                yield Static("", id="reason-label", markup=False)
                yield Input(placeholder="Why does this client need that level? (required)", id="reason")
                yield Static("", id="reason-feedback", markup=False)
                with Horizontal():
                    yield Button("Keep this override", id="keep", variant="primary")
                    yield Button("Cancel", id="cancel")
        yield from foot()

    def on_mount(self) -> None:
        self.query_one("#reason-box").display = False
        levels = self.query_one("#levels", OptionList)
        levels.focus()
        self.call_after_refresh(setattr, levels, "highlighted", self.levels.index(self.computed))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.choose(event.option_index)

    def action_pick(self, number: int) -> None:
        if 1 <= number <= len(self.levels) and self.chosen is None:
            self.query_one("#levels", OptionList).highlighted = number - 1
            self.choose(number - 1)

    def choose(self, index: int) -> None:
        level = self.levels[index]
        if level == self.computed:
            self.app.exit(None)
            return
        self.chosen = level
        box = self.query_one("#reason-box")
        box.display = True
        self.query_one("#reason-label", Static).update(
            text(f"{self.names[level]} rather than {self.names[self.computed]}: why does this client need it?")
        )
        self.query_one("#reason", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.keep()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.action_cancel()
        else:
            self.keep()

    def keep(self) -> None:
        from carecheck.clinic.record import Override, check_reason
        from carecheck.core.errors import UsageError

        if self.chosen is None:
            return
        try:
            reason = check_reason(self.query_one("#reason", Input).value)
        except UsageError as fault:
            message = fault.message.replace("--override needs --reason: ", "A reason is needed: ")
            self.query_one("#reason-feedback", Static).update(text(message))
            return
        self.app.exit(Override(self.chosen, reason))

    def action_cancel(self) -> None:
        """Drop the override: no reason is kept, and the levels are offered again."""
        self.chosen = None
        reason = self.query_one("#reason", Input)
        reason.value = ""
        self.query_one("#reason-feedback", Static).update("")
        self.query_one("#reason-box").display = False
        self.query_one("#levels", OptionList).focus()


__all__ = [
    "CrisisScreen",
    "DecisionScreen",
    "QuestionScreen",
    "ResultScreen",
    "ReviewScreen",
    "WelcomeScreen",
    "welcome",
]
