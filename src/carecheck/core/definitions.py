"""The shapes of questionnaires, instruments and rule sets: what a valid definition file may say.

These classes check each file on its own. Cross-references (a rule naming an item, a criterion naming a guide
section) are checked when a questionnaire and a rule set are compiled together, in `compile`.

They are built on the standard library alone, so that a run whose definitions come from the cache never imports
pydantic: `validation` makes an equivalent pydantic model of each class (same names, fields, limits and checks),
which checks a file when it is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal, NamedTuple, TypeVar, dataclass_transform

from carecheck.core.sources import SourceMap


class Constraints:
    """What a value must also satisfy: the keywords of pydantic's `Field` (patterns, lengths, bounds, the tag that
    tells a union's branches apart). Only `validation` reads them, turning each into that `Field`."""

    def __init__(
        self,
        *,
        pattern: str | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        ge: int | None = None,
        le: int | None = None,
        discriminator: str | None = None,
    ) -> None:
        given = {
            "pattern": pattern,
            "min_length": min_length,
            "max_length": max_length,
            "ge": ge,
            "le": le,
            "discriminator": discriminator,
        }
        self.keywords: dict[str, Any] = {name: value for name, value in given.items() if value is not None}

    def __repr__(self) -> str:
        return f"Constraints({', '.join(f'{name}={value!r}' for name, value in self.keywords.items())})"


_Check = TypeVar("_Check", bound=Callable[..., None])


def check(*fields: str) -> Callable[[_Check], _Check]:
    """Mark a method as a validity check, run when a file is loaded: on the whole part when no fields are named
    (a method of the part), else on those fields' values (a static method, applied beneath `@staticmethod`).
    A check raises ValueError in words meant for the file's author."""

    def mark(function: _Check) -> _Check:
        function.__dict__["checks_fields"] = fields
        return function

    return mark


@dataclass_transform(kw_only_default=True, frozen_default=True)
class Frozen:
    """A part of a definition: immutable once made, with the fields its class annotations declare (a class
    attribute is a field's default). Safe to share between threads; pickles cheaply (the definitions cache)."""

    _fields: ClassVar[tuple[str, ...]] = ()
    """The field names, base classes' first, in declaration order."""
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = [name for name in cls.__annotations__ if name not in cls._fields]
        cls._fields = (*cls._fields, *own)
        cls._defaults = cls._defaults | {name: cls.__dict__[name] for name in own if name in cls.__dict__}

    def __init__(self, **values: Any) -> None:
        for name in self._fields:
            if name in values:
                value = values.pop(name)
            elif name in self._defaults:
                value = self._defaults[name]
                value = value.copy() if isinstance(value, (list, dict)) else value
            else:
                raise TypeError(f"{type(self).__name__}() needs the field {name!r}")
            object.__setattr__(self, name, value)
        if values:
            raise TypeError(f"{type(self).__name__}() has no field {sorted(values)[0]!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and isinstance(other, Frozen) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({shown})"


Identifier = Annotated[str, Constraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
"""An item, instrument or derived-value id: usable as a name in conditions."""

Code = Annotated[str, Constraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]
"""A kebab-case code: rule ids, levels, bands, criteria, programs, modalities."""

Condition = Annotated[str, Constraints(min_length=1, max_length=2000)]
"""Source text in the condition language (see `conditions`)."""

Prose = Annotated[str, Constraints(min_length=1, max_length=4000)]


def _unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} is listed twice")
        seen.add(value)


# --- questionnaires and instruments -------------------------------------------------------------------------------


class Choice(Frozen):
    value: str | int
    """What the answer file holds for this choice."""
    label: Prose
    """What a person reads."""


Severity = Literal["ascending", "descending"]
"""Which way an answer is more severe, for `carecheck verify`'s monotonicity check: `ascending` means a higher
number, a later choice in the list, yes rather than no, or more choices ticked; `descending` the opposite."""


class _Item(Frozen):
    id: Identifier
    label: Annotated[str, Constraints(min_length=1, max_length=80)] | None = None
    """A short name a person can read, used where a result quotes the answer ("days of use in the past month")."""
    prompt: Prose
    help: Prose | None = None
    required: bool = True
    when: Condition | None = None
    """The item is asked only when this holds; otherwise it is absent."""
    severity: Severity | None = None
    """Which answers are more severe; None where no answer is more severe than another (age, free text)."""


class IntegerItem(_Item):
    type: Literal["integer"]
    min: int
    max: int
    unit: str | None = None

    @check()
    def _range(self) -> None:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")


class BooleanItem(_Item):
    type: Literal["boolean"]


class ChoiceItem(_Item):
    type: Literal["choice"]
    choices: Annotated[list[Choice], Constraints(min_length=2)]

    @staticmethod
    @check("choices")
    def _distinct(choices: list[Choice]) -> None:
        _unique([str(c.value) for c in choices], "choice")
        kinds = {type(c.value) for c in choices}
        if len(kinds) > 1:
            raise ValueError("choices must all be numbers or all be words, not a mix")


class MultiChoiceItem(_Item):
    type: Literal["multi"]
    choices: Annotated[list[Choice], Constraints(min_length=1)]

    @staticmethod
    @check("choices")
    def _words(choices: list[Choice]) -> None:
        _unique([str(c.value) for c in choices], "choice")
        if any(not isinstance(c.value, str) for c in choices):
            raise ValueError("the choices of a multiple-choice item must be words")


class TextItem(_Item):
    type: Literal["text"]
    max_length: Annotated[int, Constraints(ge=1, le=100_000)] = 2000


Item = Annotated[IntegerItem | BooleanItem | ChoiceItem | MultiChoiceItem | TextItem, Constraints(discriminator="type")]


class Band(Frozen):
    """A named range of an instrument's total, or a condition over its items (the first that holds wins)."""

    id: Code
    label: Prose
    min: int | None = None
    max: int | None = None
    when: Condition | None = None

    @check()
    def _one_form(self) -> None:
        ranged = self.min is not None or self.max is not None
        if ranged == (self.when is not None):
            raise ValueError("a band has either min/max or a when condition, not both and not neither")


class Scoring(Frozen):
    items: Annotated[list[Identifier], Constraints(min_length=1)]
    """The items whose points add up to the total."""
    reverse: list[Identifier] = []
    """Items scored the other way round (a 'no' scores a point; the lowest choice scores the most)."""
    bands: Annotated[list[Band], Constraints(min_length=1)]
    show_total: bool = True
    """Whether people are shown the total ("12 of 27"); false for a screen read as its band alone (the ASQ is not
    a sum: one yes and four yeses are both a positive screen). The JSON result keeps the total either way."""

    @check()
    def _consistent(self) -> None:
        _unique(self.items, "scored item")
        _unique([b.id for b in self.bands], "band")
        for item in self.reverse:
            if item not in self.items:
                raise ValueError(f"reverse-scored item {item!r} is not among the scored items")


class Publication(Frozen):
    """A published work an instrument file takes its text or numbers from."""

    document: Prose
    """The citation: authors, title, and the journal or publisher."""
    year: Annotated[int, Constraints(ge=1900, le=2100)] | None = None
    """The year of publication; a web page without a date has none, and then needs its `url`."""
    edition: Prose | None = None
    url: str | None = None
    gives: Prose
    """What the file takes from it, e.g. `items, answer choices, instructions, scoring and bands`."""

    @check()
    def _findable(self) -> None:
        if self.year is None and self.url is None:
            raise ValueError("a source needs a year of publication or a url, so that a reader can find it")


class Attribution(Frozen):
    name: Prose
    authors: Prose
    credit: Prose
    """One line naming who holds or made the instrument, shown wherever its items or results are shown."""
    sources: Annotated[list[Publication], Constraints(min_length=1)]
    """Where the wording, choices, instructions, scoring and bands come from."""
    terms: Prose
    """The terms of use, as the holder states them (shown with the credit)."""


class Instrument(Frozen):
    id: Identifier
    name: Prose
    version: str = "1"
    instructions: Prose | None = None
    """Shown before the instrument's items, in the instrument's own words."""
    attribution: Attribution
    items: Annotated[list[Item], Constraints(min_length=1)]
    scoring: Scoring


class Section(Frozen):
    id: Identifier
    title: Prose
    intro: Prose | None = None
    when: Condition | None = None
    """Every item of the section is asked only when this holds."""
    instrument: Identifier | None = None
    """Include an instrument's items here (declared under `instruments`)."""
    items: list[Item] = []

    @check()
    def _content(self) -> None:
        if self.instrument is None and not self.items:
            raise ValueError("a section needs items or an instrument")


class Questionnaire(Frozen):
    id: Code
    version: str
    title: Prose
    intro: Prose | None = None
    instruments: dict[Identifier, str] = {}
    """Instrument id -> file path, relative to the questionnaire file."""
    sections: Annotated[list[Section], Constraints(min_length=1)]
    extends: str | None = None
    """A questionnaire this one builds on (a built-in name or a path relative to this file): its instruments and
    sections are included, a section with the same id replaces the base's, new ones are added after, and top-level
    settings given here win. Resolved when the file loads."""


# --- rule sets ----------------------------------------------------------------------------------------------------


class GuideSource(Frozen):
    title: Prose
    sections: Annotated[list[Prose], Constraints(min_length=1)]
    """The headings criteria may cite."""


class Criterion(Frozen):
    id: Code
    section: Prose
    """A heading of the guide this criterion paraphrases."""
    text: Prose


class Level(Frozen):
    id: Code
    name: Prose
    summary: Prose
    setting: Prose
    typical_week: Prose
    hours_per_week: Annotated[int, Constraints(ge=0, le=168)] = 0
    """The usual weekly commitment; a person with fewer hours free is told so (the level does not change)."""
    criteria: list[Code] = []


class Case(Frozen):
    when: Condition
    value: int | str | bool


class Derived(Frozen):
    """A value computed from answers and scores: the first case that holds gives it, else `otherwise`."""

    id: Identifier
    description: Prose
    cases: list[Case] = []
    otherwise: int | str | bool | None = None
    expr: Condition | None = None
    """A condition whose truth is the value (instead of cases)."""

    @check()
    def _one_form(self) -> None:
        if (self.expr is None) == (not self.cases):
            raise ValueError("a derived value has either `expr` or `cases`, not both and not neither")
        if self.expr is not None and self.otherwise is not None:
            raise ValueError("`otherwise` goes with `cases`, not with `expr`")


class ProfileArea(Frozen):
    """One bar of the severity profile shown with a result: how strongly the answers point to needs in one area.

    Display only: the profile never changes the level. The first case that holds gives the value.
    """

    id: Code
    name: Prose
    cases: Annotated[list[Case], Constraints(min_length=1)]
    otherwise: int = 0
    maximum: Annotated[int, Constraints(ge=1, le=10)] = 3

    @check()
    def _in_range(self) -> None:
        for value in [case.value for case in self.cases] + [self.otherwise]:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= self.maximum:
                raise ValueError(f"profile values are whole numbers from 0 to {self.maximum}, not {value!r}")


class LevelFrom(Frozen):
    """A level read from a choice item whose choices are level ids, optionally stepped up."""

    item: Identifier
    step: Annotated[int, Constraints(ge=0, le=3)] = 0


class PlacementRule(Frozen):
    id: Code
    name: Prose | None = None
    """A short name for the reason (`severe withdrawal before, with daily drinking`), used where a result lists the
    reasons again (why a lower level is not enough) rather than repeating their sentences; the id when not given."""
    when: Condition
    level: Code | LevelFrom
    urgent: bool = False
    """Crisis help (988, 911, the nearest emergency room) comes first, before anything else."""
    safety_note: bool = False
    """Show 988 calmly and ask the person to talk with a clinician about safety soon."""
    safety_message: Prose | None = None
    """What this rule found, said at the head of the crisis help or the safety check-in, so that the message names the
    trigger; without one, the rule set's `crisis_message` or `check_in_message` is used."""
    reason: Prose
    """Plain words; `{name}` is replaced by that value (an item, a score, a derived value)."""
    criteria: Annotated[list[Code], Constraints(min_length=1)]


class Suggestion(Frozen):
    id: Code
    name: Prose
    when: Condition
    text: Prose
    """One line on what it is."""


class Suggestions(Frozen):
    when: Condition
    """Suggestions are offered only when this holds."""
    programs: list[Suggestion] = []
    modalities: list[Suggestion] = []


class Note(Frozen):
    id: Code
    when: Condition
    text: Prose
    caution: bool = False
    """A caution for the person's safety (do not stop a substance suddenly): shown right under the headline, and on
    an urgent result too, where practical notes are left out."""


class Invariant(Frozen):
    """A safety property the policy must keep over every possible answer set; `carecheck verify` checks it.

    `when` reads answers, scores and derived values; `expect` may also read the outcome: `level`, `urgent` and
    `screen_positive`.
    """

    id: Code
    description: Prose
    when: Condition
    expect: Condition


class Contact(Frozen):
    name: Prose
    how: Prose


class SafetyText(Frozen):
    crisis_heading: Prose
    crisis_message: Prose
    """Said when no fired urgent rule has a `safety_message` of its own (and while answers are still being given)."""
    crisis_contacts: Annotated[list[Contact], Constraints(min_length=1)]
    crisis_close: Prose | None = None
    """Said once after the fired rules' own messages (`contact one of these now`), however many there are."""
    crisis_later: Prose | None = None
    """On an urgent result, said in place of what to expect at the level and how to find a program (schedules,
    insurance): those can wait until the person is safe."""
    check_in_message: Prose
    check_in_contacts: Annotated[list[Contact], Constraints(min_length=1)]


class FindingCare(Frozen):
    intro: Prose
    checklist: Annotated[list[Prose], Constraints(min_length=1)]
    contacts: Annotated[list[Contact], Constraints(min_length=1)]
    section: Prose
    """The guide heading this advice paraphrases."""


class RuleSet(Frozen):
    id: Code
    version: str
    title: Prose
    description: Prose | None = None
    disclaimer: Prose
    guide: GuideSource
    criteria: Annotated[list[Criterion], Constraints(min_length=1)]
    levels: Annotated[list[Level], Constraints(min_length=2)]
    """Lowest to highest; the first is the result when no rule fires."""
    derived: list[Derived] = []
    placement: Annotated[list[PlacementRule], Constraints(min_length=1)]
    profile: list[ProfileArea] = []
    suggestions: Suggestions
    notes: list[Note] = []
    invariants: list[Invariant] = []
    safety: SafetyText
    finding_care: FindingCare
    questionnaire: str = "self-assessment"
    """The questionnaire this rule set is written for: a built-in name, or a path relative to this file."""
    extends: str | None = None
    """A rule set this one builds on (a built-in name or a path relative to this file): entries with the same id
    replace the base's, new ones are added, and top-level settings given here win. Resolved when the file loads."""

    @check()
    def _distinct_ids(self) -> None:
        _unique([c.id for c in self.criteria], "criterion")
        _unique([lv.id for lv in self.levels], "level")
        _unique([d.id for d in self.derived], "derived value")
        _unique([r.id for r in self.placement], "placement rule")
        _unique([s.id for s in self.suggestions.programs], "program")
        _unique([s.id for s in self.suggestions.modalities], "modality")
        _unique([n.id for n in self.notes], "note")
        _unique([a.id for a in self.profile], "profile area")
        _unique([i.id for i in self.invariants], "invariant")
        _unique(self.guide.sections, "guide section")


# --- definitions as loaded, with where they came from ---------------------------------------------------------------


class LoadedInstrument(NamedTuple):
    instrument: Instrument
    source: SourceMap


class LoadedQuestionnaire(NamedTuple):
    """A questionnaire with the instruments it includes, where each came from, and a hash of all their bytes."""

    questionnaire: Questionnaire
    source: SourceMap
    instruments: dict[str, LoadedInstrument]
    sha256: str
    bases: tuple[str, ...] = ()
    """The files of the questionnaires it extends, nearest first (their changes must refresh caches too)."""


class LoadedRuleSet(NamedTuple):
    rules: RuleSet
    source: SourceMap
    sha256: str
    bases: tuple[str, ...] = ()
    """The files of the rule sets it extends, nearest first (their changes must refresh caches too)."""
