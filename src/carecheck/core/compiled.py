"""What compiling a questionnaire and a rule set gives: one immutable value, and the reference evaluation of it.

`compile.compile_definitions` makes a `CompiledDefinitions`; the `Assessor` holds one, `codegen` writes code from
one, `carecheck verify` reads one. Its methods compute outcomes by calling the compiled conditions (closures): the
reference that generated code must match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from itertools import compress, repeat
from operator import is_not, itemgetter
from typing import Any, NamedTuple

from carecheck.core.conditions import FIRED, Compiled, Evaluate, NameInfo
from carecheck.core.definitions import Item, LoadedQuestionnaire, LoadedRuleSet
from carecheck.core.items import kind_of
from carecheck.core.result import DefinitionRef, Note, Outcome, Score

RECORD_ID = "id"
"""The optional answer key that labels a record; echoed in the result."""


# --- items and instruments ---------------------------------------------------------------------------------------


class CompiledItem(NamedTuple):
    """An item as the engine asks and checks it."""

    id: str
    definition: Item
    section: str
    instrument: str | None
    conditions: tuple[Compiled, ...]
    """All must hold for the item to be asked (the section's and the item's own)."""
    asked_when: Evaluate | None
    """The conditions joined into one evaluator; None when the item is always asked."""
    coerce: Callable[[Any], Any]
    section_when: Compiled | None
    own_when: Compiled | None

    @property
    def domain(self) -> str:
        return kind_of(self.definition).describe(self.definition)

    def asked(self, values: Mapping[str, Any]) -> bool:
        return self.asked_when is None or bool(self.asked_when(values))


class Band(NamedTuple):
    id: str
    low: int | None
    high: int | None
    condition: Compiled | None

    def holds(self, total: int, env: Mapping[str, Any]) -> bool:
        if self.condition is not None:
            return bool(self.condition.evaluate(env))
        return (self.low is None or total >= self.low) and (self.high is None or total <= self.high)


class CompiledInstrument(NamedTuple):
    id: str
    name: str
    bands: tuple[Band, ...]
    minimum: int
    maximum: int
    items: tuple[str, ...]
    band_by_total: tuple[str, ...]
    """For ranged bands: the band of each possible total, from `minimum` up (empty for condition bands)."""
    scored: tuple[str, ...]
    """The items whose points add up to the total."""
    read_scored: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    reversed: tuple[tuple[str, int], ...]
    """Reverse-scored items with (lowest + highest points): such an answer scores that minus its value."""

    def score(self, values: Mapping[str, Any]) -> Score | None:
        """The total and band, or None when none of the instrument's scored items was asked."""
        given = [value for value in self.read_scored(values) if value is not None]
        if not given:
            return None
        total = sum(given)  # yes counts 1, a choice its points; reversed items are corrected below
        for item_id, flip in self.reversed:
            value = values[item_id]
            if value is not None:
                total += flip - 2 * value
        if self.band_by_total:
            return Score(total, self.band_by_total[total - self.minimum])
        for band in self.bands:
            if band.holds(total, values):
                return Score(total, band.id)
        raise AssertionError(f"{self.id}: no band for total {total}; compile-time coverage check missed it")


# --- rules ----------------------------------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_.]*)\}")


def say_value(value: Any) -> str:
    """An answer or derived value in words: yes/no, a list joined, 'not answered' for an absent one."""
    if value is None:
        return "not answered"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(value) if value else "none"
    return str(value)


class Template(NamedTuple):
    """Text with `{name}` placeholders, checked at load time and filled from an assessment's values."""

    parts: tuple[str, ...]
    """Alternating literal text and names: text, name, text, name, ..., text."""

    def fill(self, env: Mapping[str, Any], say: Callable[[str, Any], str]) -> str:
        parts = self.parts
        if len(parts) == 1:
            return parts[0]
        out = [parts[0]]
        for index in range(1, len(parts), 2):
            out.append(say(parts[index], env.get(parts[index])))
            out.append(parts[index + 1])
        return "".join(out)


class CompiledRule(NamedTuple):
    id: str
    condition: Compiled
    level: int | None
    level_from: str | None
    step: int
    urgent: bool
    safety_note: bool
    reason: Template
    criteria: tuple[str, ...]
    items: tuple[str, ...]
    """Every answer the rule reads, directly or through scores and derived values, in questionnaire order."""
    read_items: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    """The values of `items`, as a tuple."""


class CompiledDerived(NamedTuple):
    id: str
    cases: tuple[tuple[Compiled, Any], ...]
    otherwise: Any
    expr: Compiled | None

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        if self.expr is not None:
            return bool(self.expr.evaluate(env))
        for condition, value in self.cases:
            if condition.evaluate(env):
                return value
        return self.otherwise


Step = tuple[str, Evaluate | None, Callable[[Any], Any], bool, CompiledItem]


def plan_checks(items: tuple[CompiledItem, ...]) -> tuple[tuple[Evaluate | None, tuple[Step, ...]], ...]:
    """Items grouped by their section's condition, in asking order, in the shape the check loop reads fastest."""
    groups: list[tuple[Compiled | None, list[Step]]] = []
    for item in items:
        if not groups or groups[-1][0] is not item.section_when:
            groups.append((item.section_when, []))
        own = item.own_when.evaluate if item.own_when is not None else None
        groups[-1][1].append((item.id, own, item.coerce, item.definition.required, item))
    return tuple((when.evaluate if when is not None else None, tuple(steps)) for when, steps in groups)


def tuple_getter(keys: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A function from a mapping to the tuple of its values at `keys` (itemgetter returns a bare value for one key)."""
    if len(keys) == 1:
        only = keys[0]
        return lambda mapping: (mapping[only],)
    if not keys:
        return lambda mapping: ()
    return itemgetter(*keys)


class CompiledDefinitions(NamedTuple):
    """A questionnaire and a rule set, checked against each other and compiled: immutable, safe to share."""

    questionnaire: LoadedQuestionnaire
    rules: LoadedRuleSet
    items: tuple[CompiledItem, ...]
    """Every item in asking order, instruments' items included."""
    instruments: tuple[CompiledInstrument, ...]
    levels: tuple[str, ...]
    """Level ids from the least to the most intensive."""
    level_names: dict[str, str]
    names: dict[str, NameInfo]
    """Every name a condition may read: items, scores, bands and derived values."""
    derived: tuple[CompiledDerived, ...]
    placement: tuple[CompiledRule, ...]
    profile: tuple[CompiledDerived, ...]
    suggest_when: Compiled
    programs: tuple[tuple[str, Compiled], ...]
    modalities: tuple[tuple[str, Compiled], ...]
    notes: tuple[tuple[str, Compiled, Template], ...]
    invariants: tuple[tuple[str, Compiled, Compiled], ...]
    """(id, when, expect): `when` reads answers, scores and derived values; `expect` the outcome too."""
    level_valued: frozenset[str]
    """Answers that name a level (a placement rule's `level.item`): said by the level's name."""
    ref_questionnaire: DefinitionRef
    ref_rules: DefinitionRef
    item_index: dict[str, CompiledItem]
    known_keys: frozenset[str]
    """The keys an answer set may have: every item's id and the record's `id`."""
    level_index: dict[Any, int]
    check_plan: tuple[tuple[Evaluate | None, tuple[Step, ...]], ...]
    """Items grouped for checking answers (see `check_plan`)."""

    def say(self, name: str, value: Any) -> str:
        """A value a reason or note quotes, in words: a level by its name, anything else as `say_value` says it."""
        if name in self.level_valued and value in self.level_names:
            return self.level_names[value]
        return say_value(value)

    def environment(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Score]]:
        """Every name the rules may read (answers, scores, derived values) for checked answers."""
        env = dict(values)
        scores: dict[str, Score] = {}
        for instrument in self.instruments:
            score = instrument.score(env)
            if score is None:
                env[instrument.id] = env[instrument.id + ".total"] = env[instrument.id + ".band"] = None
            else:
                scores[instrument.id] = score
                env[instrument.id] = env[instrument.id + ".total"] = score.total
                env[instrument.id + ".band"] = score.band
        for derived in self.derived:
            env[derived.id] = derived.evaluate(env)
        return env, scores

    def safety(self, values: Mapping[str, Any]) -> tuple[bool, bool]:
        """(urgent, safety note) as far as the answers given so far reach: a rule fires only on answers it has."""
        env, _ = self.environment(values)
        urgent = note = False
        for rule in self.placement:
            if (rule.urgent or rule.safety_note) and rule.condition.evaluate(env):
                urgent = urgent or rule.urgent
                note = note or rule.safety_note
        return urgent, note

    def decide(self, values: Mapping[str, Any]) -> Outcome:
        """What the rules decide for checked answers, by calling the compiled conditions."""
        env, scores = self.environment(values)
        fired: list[tuple[int, int, str, tuple[str, ...]]] = []
        final = 0
        urgent = safety_note = False
        level_index, say, top = self.level_index, self.say, len(self.levels) - 1
        for index, rule in enumerate(self.placement):
            if not rule.condition.evaluate(env):
                continue
            level = rule.level
            if level is None:  # read from an answer, such as the level of care received before
                base = level_index.get(env.get(rule.level_from or ""))
                if base is None:
                    continue
                level = min(base + rule.step, top)
            given = tuple(compress(rule.items, map(is_not, rule.read_items(values), repeat(None))))
            fired.append((index, level, rule.reason.fill(env, say), given))
            final = max(final, level)
            urgent = urgent or rule.urgent
            safety_note = safety_note or rule.safety_note
        env["level"] = self.levels[final]
        env["screen_positive"] = bool(fired)
        env["urgent"] = urgent
        env[FIRED] = frozenset([self.placement[entry[0]].id for entry in fired])
        programs: tuple[str, ...] = ()
        modalities: tuple[str, ...] = ()
        if self.suggest_when.evaluate(env):
            programs = tuple([code for code, condition in self.programs if condition.evaluate(env)])
            modalities = tuple([code for code, condition in self.modalities if condition.evaluate(env)])
        notes = tuple(
            [Note(code, text.fill(env, say)) for code, condition, text in self.notes if condition.evaluate(env)]
        )
        derived = {d.id: env[d.id] for d in self.derived}
        profile = tuple([(area.id, area.evaluate(env)) for area in self.profile])
        return Outcome(scores, derived, fired, final, urgent, safety_note, programs, modalities, notes, profile)
