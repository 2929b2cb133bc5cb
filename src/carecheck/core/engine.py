"""The pure core: a questionnaire and a rule set compiled together into an `Assessor` that turns answers into results.

Compiling checks every cross-reference (items, choices, bands, criteria, guide sections, levels) and fails with
`file:line`; assessing does no I/O, reads no clock and is safe to share between threads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from itertools import compress, repeat
from operator import is_not, itemgetter
from typing import Any, NamedTuple

from carecheck.core.codegen import Generated, generate
from carecheck.core.conditions import (
    FIRED,
    Compiled,
    ConditionError,
    Evaluate,
    Kind,
    NameInfo,
    Scope,
    all_of,
    compile_condition,
    suggest,
)
from carecheck.core.definitions import (
    BooleanItem,
    ChoiceItem,
    IntegerItem,
    Item,
    LevelFrom,
    LoadedQuestionnaire,
    LoadedRuleSet,
    MultiChoiceItem,
    TextItem,
)
from carecheck.core.errors import AnswersError, DefinitionError, Problem
from carecheck.core.result import DefinitionRef, Note, Outcome, Reason, Result, Score
from carecheck.core.sources import SourceMap

RECORD_ID = "id"
"""The optional answer key that labels a record; echoed in the result."""

_NOT_GIVEN = object()
_GENERATE_AFTER = 200
"""Assessments by closures before an Assessor generates its code: about as many as generating costs (some 20 ms,
at ~70 us saved each), so that however many answer sets it serves, it spends at most about twice the better choice."""


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- items: what each answer may be -------------------------------------------------------------------------------


def _encodable(text: str) -> bool:
    """False for text holding lone surrogates, which no file or terminal can carry."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _describe(item: Item) -> str:
    if isinstance(item, IntegerItem):
        return f"a whole number from {item.min} to {item.max}"
    if isinstance(item, BooleanItem):
        return "true or false (yes or no)"
    if isinstance(item, ChoiceItem):
        return "one of " + ", ".join(str(c.value) for c in item.choices)
    if isinstance(item, MultiChoiceItem):
        return "a list of any of " + ", ".join(str(c.value) for c in item.choices) + " ([] for none)"
    return f"text of at most {item.max_length} characters"


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdecimal() and value.isascii():
        return int(value.strip())
    return None


_YES = {"true": True, "yes": True, "false": False, "no": False}


def _coercer(item: Item) -> Callable[[Any], Any]:
    """A function that returns the answer in its normal form or raises ValueError saying what is allowed."""
    domain = _describe(item)

    def refuse(value: Any) -> ValueError:
        return ValueError(f"must be {domain}, got {_shown(value)}")

    if isinstance(item, IntegerItem):
        low, high = item.min, item.max

        def integer(value: Any) -> int:
            if type(value) is int and low <= value <= high:
                return value
            number = _as_int(value)
            if number is None or not low <= number <= high:
                raise refuse(value)
            return number

        return integer
    if isinstance(item, BooleanItem):

        def boolean(value: Any) -> bool:
            if value is True or value is False:
                return value
            if isinstance(value, str) and value.strip().lower() in _YES:
                return _YES[value.strip().lower()]
            raise refuse(value)

        return boolean
    if isinstance(item, ChoiceItem):
        allowed = {c.value: c.value for c in item.choices}
        numeric = isinstance(item.choices[0].value, int)
        if not numeric:
            allowed.update({str(c.value).lower(): c.value for c in item.choices})

        exact = {value: value for value in allowed.values() if not isinstance(value, bool)}

        def choice(value: Any) -> Any:
            if type(value) in (int, str) and value in exact:
                return exact[value]  # already in normal form: the common case in files and batches
            key = _as_int(value) if numeric else value.strip().lower() if isinstance(value, str) else None
            if key is None or key not in allowed:
                hint = suggest(value, [str(c) for c in allowed]) if isinstance(value, str) and not numeric else ""
                raise ValueError(f"must be {domain}, got {_shown(value)}{hint}")
            return allowed[key]

        return choice
    if isinstance(item, MultiChoiceItem):
        order = {str(c.value): index for index, c in enumerate(item.choices)}
        lowered = {name.lower(): name for name in order}

        def multi(value: Any) -> tuple[str, ...]:
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list):
                raise refuse(value)
            chosen: set[str] = set()
            for entry in values:
                name = lowered.get(entry.strip().lower()) if isinstance(entry, str) else None
                if name is None:
                    hint = suggest(entry, list(order)) if isinstance(entry, str) else ""
                    raise ValueError(f"must be {domain}; {_shown(entry)} is not one of them{hint}")
                chosen.add(name)
            return tuple(sorted(chosen, key=order.__getitem__))

        return multi
    assert isinstance(item, TextItem)
    limit = item.max_length

    def text(value: Any) -> str:
        if not isinstance(value, str) or len(value) > limit or not _encodable(value):
            raise refuse(value if isinstance(value, str) and len(value) <= 40 else type(value).__name__)
        return value

    return text


def _kind_of(item: Item) -> NameInfo:
    if isinstance(item, IntegerItem):
        return NameInfo(Kind.NUMBER, depends_on=(item.id,))
    if isinstance(item, BooleanItem):
        return NameInfo(Kind.BOOL, depends_on=(item.id,))
    if isinstance(item, ChoiceItem):
        kind = Kind.NUMBER if isinstance(item.choices[0].value, int) else Kind.TEXT
        return NameInfo(kind, frozenset(c.value for c in item.choices), (item.id,))
    if isinstance(item, MultiChoiceItem):
        return NameInfo(Kind.LIST, frozenset(c.value for c in item.choices), (item.id,))
    return NameInfo(Kind.TEXT, depends_on=(item.id,))


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
        return _describe(self.definition)

    def asked(self, values: Mapping[str, Any]) -> bool:
        return self.asked_when is None or bool(self.asked_when(values))


class _Band(NamedTuple):
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
    bands: tuple[_Band, ...]
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


# --- compiling ----------------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_.]*)\}")


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


class Assessor:
    """A questionnaire and a rule set, checked against each other and compiled once; call `assess` many times.

    An Assessor holds no mutable state after construction, so one instance may serve many threads.
    """

    def __init__(self, questionnaire: LoadedQuestionnaire, rules: LoadedRuleSet) -> None:
        self.questionnaire = questionnaire
        self.rules = rules
        self.items, self.instruments = compile_questionnaire(questionnaire)
        self.item_index: dict[str, CompiledItem] = {item.id: item for item in self.items}
        self._known_keys = frozenset(self.item_index) | {RECORD_ID}
        self._plan = _check_plan(self.items)
        self.levels: tuple[str, ...] = tuple(level.id for level in rules.rules.levels)
        self._ref_questionnaire = DefinitionRef(
            questionnaire.questionnaire.id, questionnaire.questionnaire.version, questionnaire.sha256
        )
        self._ref_rules = DefinitionRef(rules.rules.id, rules.rules.version, rules.sha256)
        _RuleCompiler(self).run()
        self._generated: Generated | None = None
        self._uses = 0

    # Set by _RuleCompiler.
    names: dict[str, NameInfo]
    derived: tuple[CompiledDerived, ...]
    placement: tuple[CompiledRule, ...]
    profile: tuple[CompiledDerived, ...]
    suggest_when: Compiled
    programs: tuple[tuple[str, Compiled], ...]
    modalities: tuple[tuple[str, Compiled], ...]
    notes: tuple[tuple[str, Compiled, Template], ...]
    invariants: tuple[tuple[str, Compiled, Compiled], ...]
    """(id, when, expect): `when` reads answers, scores and derived values; `expect` the outcome too."""
    level_names: dict[str, str]

    # --- answers ---

    def check(self, answers: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...], str | int | None]:
        """Check raw answers against the questionnaire.

        Returns the normal form of every item (None where not asked or not answered), warnings, and the record id.
        Raises AnswersError listing every faulty item.
        """
        problems: list[Problem] = []
        record_id = answers.get(RECORD_ID)
        if record_id is not None and (
            isinstance(record_id, bool)
            or not isinstance(record_id, (str, int))
            or (isinstance(record_id, str) and not _encodable(record_id))
        ):
            problems.append(Problem(RECORD_ID, "must be text (valid Unicode) or a whole number"))
            record_id = None
        unknown = answers.keys() - self._known_keys
        # Sorted, so that the same answers give the same message whatever the order of their keys.
        for key in sorted(unknown, key=str):
            readable = isinstance(key, str) and key.strip() and _encodable(key)
            name = key if readable else repr(key)  # an empty key shows as '', a broken one escaped
            hint = suggest(name, self.item_index)
            problems.append(Problem(name, f"is not an item of this questionnaire{hint}"))
        values: dict[str, Any] = {}
        warnings: list[str] = []
        for section_when, steps in self._plan:
            # A section's condition names only earlier items, so it is decided once for all of its items.
            section_asked = section_when is None or section_when(values)
            for item_id, own_when, coerce, required, item in steps:
                raw = answers.get(item_id, _NOT_GIVEN)
                if not section_asked or (own_when is not None and not own_when(values)):
                    values[item_id] = None
                    if raw is not _NOT_GIVEN and raw is not None:  # an empty answer is no answer
                        reason = " and ".join(condition.source for condition in item.conditions)
                        warnings.append(f"{item_id}: ignored, since it is asked only when {reason}")
                    continue
                if raw is _NOT_GIVEN or raw is None:
                    values[item_id] = None
                    if required:
                        problems.append(Problem(item_id, f"is missing; answer with {item.domain}"))
                    continue
                try:
                    values[item_id] = coerce(raw)
                except ValueError as fault:
                    values[item_id] = None
                    problems.append(Problem(item_id, str(fault)))
        if problems:
            raise AnswersError(problems, record_id if isinstance(record_id, (str, int)) else None)
        return values, tuple(warnings), record_id

    def partial(self, answers: Mapping[str, Any]) -> tuple[dict[str, Any], list[CompiledItem]]:
        """For an answer set still being filled in: the normal form of each valid answer (None elsewhere), and the
        items asked given those answers, in order. Invalid answers count as not yet given."""
        values: dict[str, Any] = {}
        asked: list[CompiledItem] = []
        for item in self.items:
            if not item.asked(values):
                values[item.id] = None
                continue
            asked.append(item)
            raw = answers.get(item.id)
            try:
                values[item.id] = None if raw is None else item.coerce(raw)
            except ValueError:
                values[item.id] = None
        return values, asked

    def safety(self, values: Mapping[str, Any]) -> tuple[bool, bool]:
        """(urgent, safety note) as far as the answers given so far reach: a rule fires only on answers it has."""
        env, _ = self.environment(values)
        urgent = note = False
        for holds, rule in self._placement_plan:
            if (rule.urgent or rule.safety_note) and holds(env):
                urgent = urgent or rule.urgent
                note = note or rule.safety_note
        return urgent, note

    # --- evaluation ---

    def generated(self) -> Generated:
        """The rules as generated functions, written and compiled on first use."""
        generated = self._generated
        if generated is None:  # two threads may both generate; either result serves
            generated = self._generated = generate(self)
        return generated

    def _generated_when_worth_it(self) -> Generated | None:
        # An assessor that serves a few answer sets (a command-line run) never pays for generating code; one that
        # serves many pays once (bulk callers such as `batch` ask for `generated()` up front).
        if self._generated is None:
            self._uses += 1
            if self._uses <= _GENERATE_AFTER:
                return None
        return self.generated()

    def assess(self, answers: Mapping[str, Any]) -> Result:
        """Score one answer set: check it, then evaluate the rules. Raises AnswersError on bad answers."""
        generated = self._generated_when_worth_it()
        if generated is None:
            values, warnings, record_id = self.check(answers)
            return self.make_result(values, self.decide_by_closures(values), warnings, record_id)
        checked = generated.check_and_decide(answers, True)
        if checked is None:  # something to convert, warn about or refuse: the full check says what
            values, warnings, record_id = self.check(answers)
            return self.make_result(values, generated.decide(values), warnings, record_id)
        normal, outcome = checked
        assert normal is not None
        return self.make_result(normal, outcome, (), answers.get(RECORD_ID))

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

    def evaluate(
        self, values: Mapping[str, Any], warnings: tuple[str, ...] = (), record_id: str | int | None = None
    ) -> Result:
        """The result for checked answers (every item present, None where not asked or not answered)."""
        return self.make_result(values, self.decide(values), warnings, record_id)

    def decide(self, values: Mapping[str, Any]) -> Outcome:
        """What the rules decide for checked answers."""
        generated = self._generated_when_worth_it()
        return generated.decide(values) if generated is not None else self.decide_by_closures(values)

    def decide_by_closures(self, values: Mapping[str, Any]) -> Outcome:
        """What `decide` computes, by calling the compiled conditions: the reference the generated code must match."""
        env, scores = self.environment(values)
        fired: list[tuple[int, int, str, tuple[str, ...]]] = []
        final = 0
        urgent = safety_note = False
        for index, (holds, rule) in enumerate(self._placement_plan):
            if not holds(env):
                continue
            level = rule.level
            if level is None:  # read from an answer, such as the level of care received before
                base = self._level_index.get(env.get(rule.level_from or ""))
                if base is None:
                    continue
                level = min(base + rule.step, len(self.levels) - 1)
            given = tuple(compress(rule.items, map(is_not, rule.read_items(values), repeat(None))))
            fired.append((index, level, rule.reason.fill(env, self._say), given))
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
            [Note(code, text.fill(env, self._say)) for code, condition, text in self.notes if condition.evaluate(env)]
        )
        derived = {d.id: env[d.id] for d in self.derived}
        profile = tuple([(area.id, area.evaluate(env)) for area in self.profile])
        return Outcome(scores, derived, fired, final, urgent, safety_note, programs, modalities, notes, profile)

    def make_result(
        self, values: Mapping[str, Any], outcome: Outcome, warnings: tuple[str, ...], record_id: str | int | None
    ) -> Result:
        """The Result of an outcome, with a Reason for each rule that fired."""
        levels, placement, final = self.levels, self.placement, outcome.final
        reasons = []
        for index, level, text, given in outcome.fired:
            rule = placement[index]
            reasons.append(Reason(rule.id, levels[level], level == final, text, rule.criteria, given, rule.urgent))
        return Result(
            record_id=record_id,
            level=levels[final],
            urgent=outcome.urgent,
            safety_note=outcome.urgent or outcome.safety_note,
            screen_positive=bool(outcome.fired),
            scores=outcome.scores,
            program_types=outcome.programs,
            modalities=outcome.modalities,
            profile=outcome.profile,
            reasons=tuple(reasons),
            notes=outcome.notes,
            warnings=warnings,
            answers=values,
            derived=outcome.derived,
            questionnaire=self._ref_questionnaire,
            rules=self._ref_rules,
        )

    _level_index: dict[Any, int]

    def _say(self, name: str, value: Any) -> str:
        if name in self._level_valued and value in self.level_names:
            return self.level_names[value]
        return say_value(value)

    _level_valued: frozenset[str]
    _placement_plan: tuple[tuple[Evaluate, CompiledRule], ...]


_Step = tuple[str, Evaluate | None, Callable[[Any], Any], bool, CompiledItem]


def _check_plan(items: tuple[CompiledItem, ...]) -> tuple[tuple[Evaluate | None, tuple[_Step, ...]], ...]:
    """Items grouped by their section's condition, in asking order, in the shape the check loop reads fastest."""
    groups: list[tuple[Compiled | None, list[_Step]]] = []
    for item in items:
        if not groups or groups[-1][0] is not item.section_when:
            groups.append((item.section_when, []))
        own = item.own_when.evaluate if item.own_when is not None else None
        groups[-1][1].append((item.id, own, item.coerce, item.definition.required, item))
    return tuple((when.evaluate if when is not None else None, tuple(steps)) for when, steps in groups)


def _tuple_getter(keys: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A function from a mapping to the tuple of its values at `keys` (itemgetter returns a bare value for one key)."""
    if len(keys) == 1:
        only = keys[0]
        return lambda mapping: (mapping[only],)
    if not keys:
        return lambda mapping: ()
    return itemgetter(*keys)


def _compile_items(loaded: LoadedQuestionnaire) -> tuple[CompiledItem, ...]:
    """Flatten sections and included instruments into items in asking order, checking every asked-if condition."""
    questionnaire = loaded.questionnaire
    items: list[CompiledItem] = []
    names: dict[str, NameInfo] = {}
    for s_index, section in enumerate(questionnaire.sections):
        section_path = ("sections", s_index)
        section_when = None
        if section.when is not None:
            section_when = _compile_at(section.when, Scope(dict(names)), loaded.source, (*section_path, "when"))
        if section.instrument is not None:
            if section.instrument not in loaded.instruments:
                raise DefinitionError(
                    f"section {section.id!r} includes instrument {section.instrument!r}, which `instruments:` does "
                    f"not declare{suggest(section.instrument, loaded.instruments)}",
                    loaded.source.file,
                    loaded.source.line((*section_path, "instrument")),
                )
            included = loaded.instruments[section.instrument]
            batch: list[tuple[Item, SourceMap, tuple[Any, ...]]] = [
                (item, included.source, ("items", i)) for i, item in enumerate(included.instrument.items)
            ]
            instrument_id: str | None = section.instrument
        else:
            batch = []
            instrument_id = None
        batch += [(item, loaded.source, (*section_path, "items", i)) for i, item in enumerate(section.items)]
        for item, source, path in batch:
            if item.id in names or item.id == RECORD_ID:
                raise DefinitionError(
                    f"item id {item.id!r} is used twice (or is the reserved key `id`); give each item its own id",
                    source.file,
                    source.line((*path, "id")),
                )
            own_when = None
            if item.when is not None:
                own_when = _compile_at(item.when, Scope(dict(names)), source, (*path, "when"))
            conditions = tuple(c for c in (section_when, own_when) if c is not None)
            asked_when = all_of([c.evaluate for c in conditions]) if conditions else None
            items.append(
                CompiledItem(
                    item.id,
                    item,
                    section.id,
                    instrument_id,
                    conditions,
                    asked_when,
                    _coercer(item),
                    section_when,
                    own_when,
                )
            )
            names[item.id] = _kind_of(item)
    return tuple(items)


def _compile_at(source_text: str, scope: Scope, source: SourceMap, path: tuple[Any, ...]) -> Compiled:
    try:
        return compile_condition(source_text, scope)
    except ConditionError as error:
        column = f" (column {error.column})" if error.column else ""
        later = ""
        if "unknown name" in error.message:
            later = "; conditions can name only items asked before this point, scores and derived values above"
        raise DefinitionError(
            f"in `{source_text}`{column}: {error.message}{later}", source.file_of(path), source.line(path)
        ) from None


def _point_range(item: Item) -> tuple[int, int]:
    if isinstance(item, BooleanItem):
        return 0, 1
    if isinstance(item, ChoiceItem):
        numbers = [int(c.value) for c in item.choices]
        return min(numbers), max(numbers)
    assert isinstance(item, IntegerItem)
    return item.min, item.max


class CompiledQuestionnaire(NamedTuple):
    """A questionnaire compiled on its own, without a rule set: enough for templates and answer schemas."""

    questionnaire: LoadedQuestionnaire
    items: tuple[CompiledItem, ...]
    instruments: tuple[CompiledInstrument, ...]


def compile_questionnaire(
    loaded: LoadedQuestionnaire,
) -> tuple[tuple[CompiledItem, ...], tuple[CompiledInstrument, ...]]:
    """Check a questionnaire on its own (conditions, scoring keys, band coverage) and compile its items."""
    return _compile_items(loaded), _compile_instruments(loaded)


def _compile_instruments(loaded: LoadedQuestionnaire) -> tuple[CompiledInstrument, ...]:
    compiled: list[CompiledInstrument] = []
    included = [s.instrument for s in loaded.questionnaire.sections if s.instrument is not None]
    for instrument_id in dict.fromkeys(included):
        holder = loaded.instruments[instrument_id]
        instrument, source = holder.instrument, holder.source
        own = {item.id: item for item in instrument.items}
        low = high = 0
        for i, item_id in enumerate(instrument.scoring.items):
            item = own.get(item_id)
            where = source.line(("scoring", "items", i))
            if item is None:
                raise DefinitionError(
                    f"scored item {item_id!r} is not an item of this instrument{suggest(item_id, own)}",
                    source.file,
                    where,
                )
            if isinstance(item, (MultiChoiceItem, TextItem)) or (
                isinstance(item, ChoiceItem) and not isinstance(item.choices[0].value, int)
            ):
                raise DefinitionError(
                    f"scored item {item_id!r} must be yes/no, a number, or a choice with number values",
                    source.file,
                    where,
                )
            lowest, highest = _point_range(item)
            low, high = low + lowest, high + highest
        band_scope = Scope({item.id: _kind_of(item) for item in instrument.items})
        bands: list[_Band] = []
        for b_index, band in enumerate(instrument.scoring.bands):
            condition = None
            if band.when is not None:
                condition = _compile_at(band.when, band_scope, source, ("scoring", "bands", b_index, "when"))
            bands.append(_Band(band.id, band.min, band.max, condition))
        _check_band_coverage(instrument_id, bands, low, high, source)
        ranged = all(band.condition is None for band in bands)
        by_total = tuple(next(b.id for b in bands if b.holds(t, {})) for t in range(low, high + 1)) if ranged else ()
        compiled.append(
            CompiledInstrument(
                instrument_id,
                instrument.name,
                tuple(bands),
                low,
                high,
                tuple(item.id for item in instrument.items),
                by_total,
                tuple(instrument.scoring.items),
                _tuple_getter(tuple(instrument.scoring.items)),
                tuple((item_id, sum(_point_range(own[item_id]))) for item_id in instrument.scoring.reverse),
            )
        )
    return tuple(compiled)


def _check_band_coverage(instrument_id: str, bands: list[_Band], low: int, high: int, source: SourceMap) -> None:
    """Every possible total must fall in exactly one ranged band (condition bands are checked in order at runtime)."""
    if any(band.condition is not None for band in bands):
        if bands[-1].condition is None or bands[-1].condition.source.strip() != "true":
            raise DefinitionError(
                f'instrument {instrument_id!r}: the last band must have `when: "true"` so that every answer '
                "set gets a band",
                source.file,
                source.line(("scoring", "bands", len(bands) - 1)),
            )
        return
    for total in range(low, high + 1):
        holding = [band.id for band in bands if band.holds(total, {})]
        if len(holding) != 1:
            problem = "no band" if not holding else f"more than one band ({', '.join(holding)})"
            raise DefinitionError(
                f"instrument {instrument_id!r}: a total of {total} falls in {problem}; totals run from {low} "
                f"to {high}, and each must fall in exactly one band",
                source.file,
                source.line(("scoring", "bands")),
            )


class _RuleCompiler:
    """Checks a rule set against a questionnaire and fills in the Assessor's compiled rules."""

    def __init__(self, assessor: Assessor) -> None:
        self.assessor = assessor
        self.rules = assessor.rules.rules
        self.source = assessor.rules.source

    def fail(self, message: str, path: tuple[Any, ...]) -> DefinitionError:
        return DefinitionError(message, self.source.file_of(path), self.source.line(path))

    def condition(self, text: str, scope: Scope, path: tuple[Any, ...]) -> Compiled:
        return _compile_at(text, scope, self.source, path)

    def run(self) -> None:
        assessor, rules = self.assessor, self.rules
        level_ids = [level.id for level in rules.levels]
        assessor.level_names = {level.id: level.name for level in rules.levels}
        assessor._level_index = {level: index for index, level in enumerate(level_ids)}
        self.check_criteria()
        names: dict[str, NameInfo] = {item.id: _kind_of(item.definition) for item in assessor.items}
        for instrument in assessor.instruments:
            band_ids = frozenset(band.id for band in instrument.bands)
            deps = instrument.items
            for alias in (instrument.id, instrument.id + ".total"):
                self.claim(names, alias, NameInfo(Kind.NUMBER, depends_on=deps), ("derived",))
            names[instrument.id + ".band"] = NameInfo(Kind.TEXT, band_ids, deps)
        derived: list[CompiledDerived] = []
        for d_index, spec in enumerate(rules.derived):
            path = ("derived", d_index)
            scope = Scope(dict(names))
            if spec.expr is not None:
                expr = self.condition(spec.expr, scope, (*path, "expr"))
                compiled = CompiledDerived(spec.id, (), None, expr)
                info = NameInfo(Kind.BOOL, depends_on=self.depends(expr.names, names))
            else:
                cases = tuple(
                    (self.condition(case.when, scope, (*path, "cases", c_index, "when")), case.value)
                    for c_index, case in enumerate(spec.cases)
                )
                compiled = CompiledDerived(spec.id, cases, spec.otherwise, None)
                info = self.derived_info(spec.cases, spec.otherwise, [c for c, _ in cases], names)
            self.claim(names, spec.id, info, (*path, "id"))
            derived.append(compiled)
        assessor.derived = tuple(derived)
        assessor.names = names
        scope = Scope(dict(names))
        assessor.profile = tuple(
            CompiledDerived(
                area.id,
                tuple(
                    (self.condition(case.when, scope, ("profile", a_index, "cases", c_index, "when")), case.value)
                    for c_index, case in enumerate(area.cases)
                ),
                area.otherwise,
                None,
            )
            for a_index, area in enumerate(rules.profile)
        )
        self.compile_placement(names, level_ids)
        outcome = dict(names)
        outcome["level"] = NameInfo(Kind.TEXT, frozenset(level_ids))
        outcome["screen_positive"] = NameInfo(Kind.BOOL)
        outcome["urgent"] = NameInfo(Kind.BOOL)
        scope = Scope(outcome, rule_ids=frozenset(rule.id for rule in rules.placement))
        assessor.suggest_when = self.condition(rules.suggestions.when, scope, ("suggestions", "when"))
        assessor.programs = tuple(
            (p.id, self.condition(p.when, scope, ("suggestions", "programs", i, "when")))
            for i, p in enumerate(rules.suggestions.programs)
        )
        assessor.modalities = tuple(
            (m.id, self.condition(m.when, scope, ("suggestions", "modalities", i, "when")))
            for i, m in enumerate(rules.suggestions.modalities)
        )
        answers_scope = Scope(dict(names))
        assessor.invariants = tuple(
            (
                invariant.id,
                self.condition(invariant.when, answers_scope, ("invariants", i, "when")),
                self.condition(invariant.expect, scope, ("invariants", i, "expect")),
            )
            for i, invariant in enumerate(rules.invariants)
        )
        assessor.notes = tuple(
            (
                note.id,
                self.condition(note.when, scope, ("notes", i, "when")),
                self.template(note.text, outcome, ("notes", i, "text")),
            )
            for i, note in enumerate(rules.notes)
        )

    def claim(self, names: dict[str, NameInfo], name: str, info: NameInfo, path: tuple[Any, ...]) -> None:
        if name in names:
            raise self.fail(f"the name {name!r} is already an item, a score or a derived value; rename one", path)
        names[name] = info

    def depends(self, used: Iterable[str], names: Mapping[str, NameInfo]) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for name in used:
            seen.update(dict.fromkeys(names[name].depends_on))
        order = {item.id: i for i, item in enumerate(self.assessor.items)}
        return tuple(sorted(seen, key=lambda item: order.get(item, len(order))))

    def derived_info(
        self, cases: Any, otherwise: Any, conditions: list[Compiled], names: Mapping[str, NameInfo]
    ) -> NameInfo:
        values = [case.value for case in cases] + ([otherwise] if otherwise is not None else [])
        deps = self.depends((name for c in conditions for name in c.names), names)
        if all(isinstance(v, bool) for v in values):
            return NameInfo(Kind.BOOL, depends_on=deps)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return NameInfo(Kind.NUMBER, depends_on=deps)
        if all(isinstance(v, str) for v in values):
            return NameInfo(Kind.TEXT, frozenset(values), deps)
        return NameInfo(Kind.ANY, depends_on=deps)

    def template(self, text: str, names: Mapping[str, NameInfo], path: tuple[Any, ...]) -> Template:
        pieces = _PLACEHOLDER.split(text)
        for name in pieces[1::2]:
            if name not in names:
                raise self.fail(f"the placeholder {{{name}}} names nothing known{suggest(name, names)}", path)
        return Template(tuple(pieces))

    def check_criteria(self) -> None:
        rules = self.rules
        sections = set(rules.guide.sections)
        for i, criterion in enumerate(rules.criteria):
            if criterion.section not in sections:
                raise self.fail(
                    f"criterion {criterion.id!r} cites {criterion.section!r}, which is not a heading listed under "
                    f"guide.sections{suggest(criterion.section, sections)}",
                    ("criteria", i, "section"),
                )
        if rules.finding_care.section not in sections:
            raise self.fail(
                f"finding_care cites {rules.finding_care.section!r}, which is not under guide.sections",
                ("finding_care", "section"),
            )
        known = {criterion.id for criterion in rules.criteria}
        cited = [
            (("levels", i, "criteria", j), c) for i, lv in enumerate(rules.levels) for j, c in enumerate(lv.criteria)
        ]
        cited += [
            (("placement", i, "criteria", j), c)
            for i, r in enumerate(rules.placement)
            for j, c in enumerate(r.criteria)
        ]
        for path, criterion_id in cited:
            if criterion_id not in known:
                raise self.fail(f"no criterion is called {criterion_id!r}{suggest(criterion_id, known)}", path)

    def compile_placement(self, names: dict[str, NameInfo], level_ids: list[str]) -> None:
        assessor = self.assessor
        scope = Scope(dict(names))
        order = {item.id: i for i, item in enumerate(assessor.items)}
        compiled: list[CompiledRule] = []
        level_valued: set[str] = set()
        for i, rule in enumerate(self.rules.placement):
            path = ("placement", i)
            condition = self.condition(rule.when, scope, (*path, "when"))
            level: int | None = None
            level_from: str | None = None
            step = 0
            if isinstance(rule.level, LevelFrom):
                item = assessor.item_index.get(rule.level.item)
                if item is None or not isinstance(item.definition, ChoiceItem):
                    raise self.fail(
                        f"level.item {rule.level.item!r} must be a single-choice item whose choices are level ids"
                        f"{suggest(rule.level.item, assessor.item_index)}",
                        (*path, "level", "item"),
                    )
                if not any(choice.value in level_ids for choice in item.definition.choices):
                    raise self.fail(f"none of the choices of {rule.level.item!r} is a level id", (*path, "level"))
                level_from, step = rule.level.item, rule.level.step
                level_valued.add(level_from)
            elif rule.level in level_ids:
                level = level_ids.index(rule.level)
            else:
                raise self.fail(
                    f"level {rule.level!r} is not one of {', '.join(level_ids)}{suggest(rule.level, level_ids)}",
                    (*path, "level"),
                )
            used = list(condition.names) + ([level_from] if level_from else [])
            items = tuple(sorted(self.depends(used, names), key=lambda item: order.get(item, len(order))))
            compiled.append(
                CompiledRule(
                    rule.id,
                    condition,
                    level,
                    level_from,
                    step,
                    rule.urgent,
                    rule.safety_note,
                    self.template(rule.reason, names, (*path, "reason")),
                    tuple(rule.criteria),
                    items,
                    _tuple_getter(items),
                )
            )
        assessor.placement = tuple(compiled)
        assessor._placement_plan = tuple((rule.condition.evaluate, rule) for rule in compiled)
        assessor._level_valued = frozenset(level_valued)
