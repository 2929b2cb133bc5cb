"""One place per kind of item: what its answers may be, in words and as a JSON Schema; how an answer is coerced to
its normal form or refused; how it is sampled; which answers are more severe; how it is shown to a person.

A new kind of item is one more class here, and one more entry in `KINDS`; nothing else switches on the kind.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

from carecheck.core.conditions import Kind, NameInfo, suggest
from carecheck.core.definitions import BooleanItem, Choice, ChoiceItem, IntegerItem, Item, MultiChoiceItem, TextItem

YES_OR_NO = "true or false (yes or no)"
"""The one wording of a yes/no item's domain."""

YES_OR_NO_PATTERN = r"^\s*(?:[Yy][Ee][Ss]|[Nn][Oo]|[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\s*$"
"""The strings a yes/no item takes besides true and false, as a JSON Schema pattern."""

_YES = {"true": True, "yes": True, "false": False, "no": False}

TYPED_YES = frozenset({"yes", "y", "yeah", "yep", "yup", "ya", "yes please", "sure", "true"})
TYPED_NO = frozenset({"no", "n", "nope", "nah", "not really", "false"})
"""What a person may type at a terminal for yes and for no (files take only `_YES`'s words)."""

YES_NO_CHOICES = ("Yes", "No")
"""A yes/no question shown as choices, numbered from 1 like every other list."""


def _folded(text: str) -> str:
    return " ".join(text.lower().split())


def pick_typed(labels: list[str] | tuple[str, ...], typed: str) -> int:
    """The index of the choice a person typed: its number from 1, its words in any case, or the unique start of
    them ("some" for "Some withdrawal"); raises ValueError saying what may be typed."""
    text = _folded(typed)
    count = len(labels)
    allowed = f"a number from 1 to {count}, or the first words of a choice"
    if text.isdecimal() and text.isascii():
        if 1 <= int(text) <= count:
            return int(text) - 1
        raise ValueError(f"must be {allowed}, got {shown_briefly(typed.strip())}")
    folded = [_folded(label) for label in labels]
    if text in folded:
        return folded.index(text)
    starting = [index for index, label in enumerate(folded) if text and label.startswith(text)]
    if len(starting) == 1:
        return starting[0]
    if len(starting) > 1:
        numbers = ", ".join(str(index + 1) for index in starting)
        raise ValueError(f"could be more than one choice ({numbers}): type its number or more of its words")
    raise ValueError(f"must be {allowed}, got {shown_briefly(typed.strip())}")


def numbered(labels: list[str] | tuple[str, ...]) -> list[str]:
    """Choices as a terminal lists them: numbered from 1, with their words."""
    return [f"  {number}  {label}" for number, label in enumerate(labels, 1)]


class NormalForm(NamedTuple):
    """How to tell, without converting it, that a raw answer is already in normal form (for generated code)."""

    type_name: str
    """The exact Python type of such an answer: `int`, `str` or `bool`."""
    low: int | None = None
    high: int | None = None
    allowed: frozenset[Any] | None = None


def shown_briefly(value: Any) -> str:
    """A refused value as an error message quotes it: its repr, cut at 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def encodable(text: str) -> bool:
    """False for text holding lone surrogates, which no file or terminal can carry."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def as_int(value: Any) -> int | None:
    """A whole number given as a number or as ASCII digits; None for anything else (yes/no included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdecimal() and value.isascii():
        return int(value.strip())
    return None


class ItemKind:
    """The behaviour of one kind of item. Subclasses take their item's definition as the first argument."""

    takes_list: ClassVar[bool] = False
    """Its answer is a list (in CSV: choices separated by `;`)."""

    def describe(self, item: Any, write: Callable[[str | int], str] = str) -> str:
        """The answers it takes, in words: 'a whole number from 0 to 30'; `write` writes a choice's value (as
        YAML would need it quoted, say)."""
        raise NotImplementedError

    def coercer(self, item: Any) -> Callable[[Any], Any]:
        """A function that returns an answer in its normal form, or raises ValueError saying what is allowed."""
        raise NotImplementedError

    def name_info(self, item: Any) -> NameInfo:
        """What conditions may do with the item's value."""
        raise NotImplementedError

    def points(self, item: Any) -> tuple[int, int] | None:
        """The least and most points an answer scores in an instrument's total; None if it cannot be scored."""
        return None

    def normal_form(self, item: Any) -> NormalForm | None:
        """How a raw answer already in normal form looks; None where the coercer must always be called."""
        return None

    def json_schema(self, item: Any) -> dict[str, Any]:
        """The answers it takes, as JSON Schema (draft-07)."""
        raise NotImplementedError

    def choices(self, item: Any) -> tuple[Choice, ...]:
        """The choices a person picks from; none for a number, yes/no or text."""
        return ()

    def sample(self, item: Any, rng: random.Random) -> Any:
        """A random valid answer, as an answer file holds it, weighted as answers commonly fall."""
        raise NotImplementedError

    def sample_edges(self, item: Any, rng: random.Random) -> Any:
        """A random valid answer that favours the ends of the range (for checks that look for edges)."""
        raise NotImplementedError

    def extreme(self, item: Any, most_severe: bool) -> Any:
        """The least (or most) severe answer; for an unordered item the first choice or minimum (or the last)."""
        raise NotImplementedError

    def stepped(self, item: Any, value: Any, choice: str | None) -> Any:
        """`value` made one step more severe (for a multiple choice: with `choice` added, or removed where fewer
        is more severe); None where it cannot be."""
        return None

    def step_choices(self, item: Any, value: Any) -> list[str]:
        """For a multiple choice: the choices whose adding (or removing, where fewer is more severe) makes `value`
        one step more severe; none for other kinds, which step without one."""
        return []

    def typing_help(self, item: Any) -> list[str]:
        """Lines under a question asked in a terminal: how to type an answer."""
        return ["  Type your answer, or leave it empty."]

    def parse_typed(self, item: Any, coerce: Callable[[Any], Any], text: str) -> Any:
        """What a person typed, as an answer-file value; raises ValueError saying what is allowed."""
        value = coerce(text.strip())
        return list(value) if isinstance(value, tuple) else value

    def choice_labels(self, item: Any) -> tuple[str, ...]:
        """The words of the answers a person picks one of, in order (numbered from 1 on every screen); none
        where an answer is typed (a number, text) or several are picked."""
        return ()

    def choice_answers(self, item: Any) -> tuple[Any, ...]:
        """The answer-file values of `choice_labels`, in the same order."""
        return ()

    def in_words(self, item: Any, value: Any) -> str:
        """An answer (in normal form, not None) as a person reads it: a choice's label, yes or no, the number."""
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)


def _refuse(domain: str, value: Any) -> ValueError:
    return ValueError(f"must be {domain}, got {shown_briefly(value)}")


def _ascending(item: Item) -> bool:
    return item.severity != "descending"


class IntegerKind(ItemKind):
    def describe(self, item: IntegerItem, write: Callable[[str | int], str] = str) -> str:
        return f"a whole number from {item.min} to {item.max}"

    def coercer(self, item: IntegerItem) -> Callable[[Any], Any]:
        low, high, domain = item.min, item.max, self.describe(item)

        def integer(value: Any) -> int:
            if type(value) is int and low <= value <= high:
                return value
            number = as_int(value)
            if number is None or not low <= number <= high:
                raise _refuse(domain, value)
            return number

        return integer

    def name_info(self, item: IntegerItem) -> NameInfo:
        return NameInfo(Kind.NUMBER, depends_on=(item.id,))

    def points(self, item: IntegerItem) -> tuple[int, int]:
        return item.min, item.max

    def normal_form(self, item: IntegerItem) -> NormalForm:
        return NormalForm("int", item.min, item.max)

    def json_schema(self, item: IntegerItem) -> dict[str, Any]:
        # The tool takes a number written as text too ("3", as CSV cells and typed answers are): so does the schema,
        # with a pattern of exactly the numbers in range where there are few enough to list.
        number = {"type": "integer", "minimum": item.min, "maximum": item.max}
        if item.min < 0 or item.max - item.min > 1000:
            return {"anyOf": [number, {"type": "string", "pattern": r"^\s*-?[0-9]+\s*$"}]}
        listed = "|".join(str(value) for value in range(item.max, item.min - 1, -1))
        return {"anyOf": [number, {"type": "string", "pattern": rf"^\s*0*(?:{listed})\s*$"}]}

    def sample(self, item: IntegerItem, rng: random.Random) -> int:
        return rng.randint(item.min, item.max)

    def sample_edges(self, item: IntegerItem, rng: random.Random) -> int:
        return rng.choice((item.min, item.max, rng.randint(item.min, item.max)))

    def extreme(self, item: IntegerItem, most_severe: bool) -> int:
        return item.max if _ascending(item) == most_severe else item.min

    def typing_help(self, item: IntegerItem) -> list[str]:
        return [f"  A whole number from {item.min} to {item.max}."]

    def stepped(self, item: IntegerItem, value: Any, choice: str | None) -> int | None:
        new = int(value) + (1 if _ascending(item) else -1)
        return new if item.min <= new <= item.max else None


class BooleanKind(ItemKind):
    def describe(self, item: BooleanItem, write: Callable[[str | int], str] = str) -> str:
        return YES_OR_NO

    def coercer(self, item: BooleanItem) -> Callable[[Any], Any]:
        domain = self.describe(item)

        def boolean(value: Any) -> bool:
            if value is True or value is False:
                return value
            if isinstance(value, str) and value.strip().lower() in _YES:
                return _YES[value.strip().lower()]
            raise _refuse(domain, value)

        return boolean

    def name_info(self, item: BooleanItem) -> NameInfo:
        return NameInfo(Kind.BOOL, depends_on=(item.id,))

    def points(self, item: BooleanItem) -> tuple[int, int]:
        return 0, 1

    def normal_form(self, item: BooleanItem) -> NormalForm:
        return NormalForm("bool")

    def json_schema(self, item: BooleanItem) -> dict[str, Any]:
        return {"anyOf": [{"type": "boolean"}, {"type": "string", "pattern": YES_OR_NO_PATTERN}]}

    def sample(self, item: BooleanItem, rng: random.Random) -> bool:
        return rng.random() < 0.3

    def sample_edges(self, item: BooleanItem, rng: random.Random) -> bool:
        return rng.random() < 0.5

    def extreme(self, item: BooleanItem, most_severe: bool) -> bool:
        return _ascending(item) == most_severe

    def typing_help(self, item: BooleanItem) -> list[str]:
        return numbered(YES_NO_CHOICES)

    def choice_labels(self, item: BooleanItem) -> tuple[str, ...]:
        return YES_NO_CHOICES

    def choice_answers(self, item: BooleanItem) -> tuple[Any, ...]:
        return (True, False)

    def parse_typed(self, item: BooleanItem, coerce: Callable[[Any], Any], text: str) -> Any:
        typed = _folded(text).rstrip(".!")
        if typed in TYPED_YES:
            return True
        if typed in TYPED_NO:
            return False
        try:
            return (True, False)[pick_typed(YES_NO_CHOICES, text)]
        except ValueError:
            raise ValueError(f"must be yes or no (or 1 for yes, 2 for no), got {shown_briefly(text.strip())}") from None

    def stepped(self, item: BooleanItem, value: Any, choice: str | None) -> bool | None:
        up = _ascending(item)
        return up if value != up else None


class ChoiceKind(ItemKind):
    def describe(self, item: ChoiceItem, write: Callable[[str | int], str] = str) -> str:
        return "one of " + ", ".join(write(c.value) for c in item.choices)

    def coercer(self, item: ChoiceItem) -> Callable[[Any], Any]:
        domain = self.describe(item)
        allowed: dict[Any, Any] = {c.value: c.value for c in item.choices}
        numeric = isinstance(item.choices[0].value, int)
        if not numeric:
            allowed.update({str(c.value).lower(): c.value for c in item.choices})
        exact = {value: value for value in allowed.values() if not isinstance(value, bool)}

        def choice(value: Any) -> Any:
            if type(value) in (int, str) and value in exact:
                return exact[value]  # already in normal form: the common case in files and batches
            key = as_int(value) if numeric else value.strip().lower() if isinstance(value, str) else None
            if key is None or key not in allowed:
                hint = suggest(value, [str(c) for c in allowed]) if isinstance(value, str) and not numeric else ""
                raise ValueError(f"must be {domain}, got {shown_briefly(value)}{hint}")
            return allowed[key]

        return choice

    def name_info(self, item: ChoiceItem) -> NameInfo:
        kind = Kind.NUMBER if isinstance(item.choices[0].value, int) else Kind.TEXT
        return NameInfo(kind, frozenset(c.value for c in item.choices), (item.id,))

    def points(self, item: ChoiceItem) -> tuple[int, int] | None:
        numbers = [c.value for c in item.choices if isinstance(c.value, int)]
        return (min(numbers), max(numbers)) if len(numbers) == len(item.choices) else None

    def normal_form(self, item: ChoiceItem) -> NormalForm:
        type_name = "int" if isinstance(item.choices[0].value, int) else "str"
        return NormalForm(type_name, allowed=frozenset(c.value for c in item.choices))

    def json_schema(self, item: ChoiceItem) -> dict[str, Any]:
        return _choice_schema([choice.value for choice in item.choices])

    def choices(self, item: ChoiceItem) -> tuple[Choice, ...]:
        return tuple(item.choices)

    def sample(self, item: ChoiceItem, rng: random.Random) -> Any:
        return rng.choice(item.choices).value

    def sample_edges(self, item: ChoiceItem, rng: random.Random) -> Any:
        return rng.choice(item.choices).value

    def extreme(self, item: ChoiceItem, most_severe: bool) -> Any:
        return item.choices[-1 if _ascending(item) == most_severe else 0].value

    def typing_help(self, item: ChoiceItem) -> list[str]:
        # Numbered by position, never by score: "2" is the second choice on every screen.
        return numbered(self.choice_labels(item))

    def choice_labels(self, item: ChoiceItem) -> tuple[str, ...]:
        return tuple(c.label for c in item.choices)

    def choice_answers(self, item: ChoiceItem) -> tuple[Any, ...]:
        return tuple(c.value for c in item.choices)

    def parse_typed(self, item: ChoiceItem, coerce: Callable[[Any], Any], text: str) -> Any:
        names = {str(c.value).lower(): c.value for c in item.choices if isinstance(c.value, str)}
        if _folded(text) in names:
            return names[_folded(text)]  # a choice's own id, as an answer file writes it
        return item.choices[pick_typed(self.choice_labels(item), text)].value

    def stepped(self, item: ChoiceItem, value: Any, choice: str | None) -> Any:
        values = [c.value for c in item.choices]
        index = values.index(value) + (1 if _ascending(item) else -1)
        return values[index] if 0 <= index < len(values) else None

    def in_words(self, item: ChoiceItem, value: Any) -> str:
        return next((c.label for c in item.choices if c.value == value), str(value))


def _choice_schema(values: list[Any]) -> dict[str, Any]:
    """A choice as the tool reads it: its value, or as text in any letter case with spaces around ("Stable ");
    a numbered choice as text too ("3", as CSV cells and typed answers are)."""
    numbers = [value for value in values if isinstance(value, int) and not isinstance(value, bool)]
    words = [value for value in values if isinstance(value, str)]
    forms = [str(number) for number in sorted(numbers, reverse=True)]
    forms += [
        "".join(f"[{c.lower()}{c.upper()}]" if c.lower() != c.upper() else re.escape(c) for c in w) for w in words
    ]
    if not forms:
        return {"enum": values}
    leading_zeros = "0*" if numbers else ""
    pattern = rf"^\s*{leading_zeros}(?:{'|'.join(forms)})\s*$"
    return {"anyOf": [{"enum": values}, {"type": "string", "pattern": pattern}]}


class MultiChoiceKind(ItemKind):
    takes_list = True

    def describe(self, item: MultiChoiceItem, write: Callable[[str | int], str] = str) -> str:
        return "a list of any of " + ", ".join(write(c.value) for c in item.choices) + " ([] for none)"

    def coercer(self, item: MultiChoiceItem) -> Callable[[Any], Any]:
        domain = self.describe(item)
        order = {str(c.value): index for index, c in enumerate(item.choices)}
        lowered = {name.lower(): name for name in order}

        def multi(value: Any) -> tuple[str, ...]:
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list):
                raise _refuse(domain, value)
            chosen: set[str] = set()
            written: set[str] = set()
            for entry in values:
                name = lowered.get(entry.strip().lower()) if isinstance(entry, str) else None
                if name is None:
                    hint = suggest(entry, list(order)) if isinstance(entry, str) else ""
                    raise ValueError(f"must be {domain}; {shown_briefly(entry)} is not one of them{hint}")
                if entry in written:  # as the JSON Schema says (uniqueItems): the same entry twice is a slip
                    raise ValueError(f"names {name!r} twice; name each choice once")
                written.add(entry)
                chosen.add(name)
            return tuple(sorted(chosen, key=order.__getitem__))

        return multi

    def name_info(self, item: MultiChoiceItem) -> NameInfo:
        return NameInfo(Kind.LIST, frozenset(c.value for c in item.choices), (item.id,))

    def json_schema(self, item: MultiChoiceItem) -> dict[str, Any]:
        one = _choice_schema([choice.value for choice in item.choices])
        # As the tool reads them: one choice alone stands for a list of it.
        return {"anyOf": [{"type": "array", "items": one, "uniqueItems": True}, one]}

    def choices(self, item: MultiChoiceItem) -> tuple[Choice, ...]:
        return tuple(item.choices)

    def sample(self, item: MultiChoiceItem, rng: random.Random) -> list[str]:
        count = rng.choice((0, 0, 1, 1, 1, 2, 3))
        return sorted({str(c.value) for c in rng.sample(item.choices, min(count, len(item.choices)))})

    def sample_edges(self, item: MultiChoiceItem, rng: random.Random) -> list[str]:
        return [str(c.value) for c in item.choices if rng.random() < 0.3]

    def extreme(self, item: MultiChoiceItem, most_severe: bool) -> list[str]:
        return [str(c.value) for c in item.choices] if _ascending(item) == most_severe else []

    def typing_help(self, item: MultiChoiceItem) -> list[str]:
        lines = numbered([c.label for c in item.choices])
        return [*lines, "  Type the numbers of all that apply, separated by commas, or 0 for none."]

    def parse_typed(self, item: MultiChoiceItem, coerce: Callable[[Any], Any], text: str) -> Any:
        typed = text.strip()
        if typed.lower() in ("0", "none", "no", "nothing"):
            return []
        labels = [c.label for c in item.choices]
        names = {str(c.value).lower(): str(c.value) for c in item.choices}
        chosen = []
        for part in typed.replace(";", ",").split(","):
            token = part.strip()
            if not token:
                continue
            if token.lower() in names:
                chosen.append(names[token.lower()])
            else:
                chosen.append(str(item.choices[pick_typed(labels, token)].value))
        if not chosen:
            raise ValueError("choose at least one, or type 0 for none")
        return list(coerce(chosen))

    def step_choices(self, item: MultiChoiceItem, value: Any) -> list[str]:
        return [str(c.value) for c in item.choices if (c.value in value) != _ascending(item)]

    def stepped(self, item: MultiChoiceItem, value: Any, choice: str | None) -> list[str] | None:
        if choice is None or (choice in value) == _ascending(item):
            return None
        chosen = set(value) ^ {choice}
        return [str(c.value) for c in item.choices if c.value in chosen]

    def in_words(self, item: MultiChoiceItem, value: Any) -> str:
        labels = {c.value: c.label for c in item.choices}
        return ", ".join(labels.get(v, str(v)) for v in value) if value else "none"


class TextKind(ItemKind):
    def describe(self, item: TextItem, write: Callable[[str | int], str] = str) -> str:
        return f"text of at most {item.max_length} characters"

    def coercer(self, item: TextItem) -> Callable[[Any], Any]:
        limit, domain = item.max_length, self.describe(item)

        def text(value: Any) -> str:
            if not isinstance(value, str) or len(value) > limit or not encodable(value):
                raise _refuse(domain, value if isinstance(value, str) and len(value) <= 40 else type(value).__name__)
            return value

        return text

    def name_info(self, item: TextItem) -> NameInfo:
        return NameInfo(Kind.TEXT, depends_on=(item.id,))

    def json_schema(self, item: TextItem) -> dict[str, Any]:
        return {"type": "string", "maxLength": item.max_length}

    def sample(self, item: TextItem, rng: random.Random) -> str:
        return rng.choice(("", "a note", "ümlaut and emoji ✓"))[: item.max_length]

    def sample_edges(self, item: TextItem, rng: random.Random) -> str:
        return rng.choice(("", "a note"))[: item.max_length]

    def extreme(self, item: TextItem, most_severe: bool) -> str:
        return ""


KINDS: dict[type, ItemKind] = {
    IntegerItem: IntegerKind(),
    BooleanItem: BooleanKind(),
    ChoiceItem: ChoiceKind(),
    MultiChoiceItem: MultiChoiceKind(),
    TextItem: TextKind(),
}


def kind_of(item: Item) -> ItemKind:
    """The behaviour of an item's kind."""
    return KINDS[type(item)]
