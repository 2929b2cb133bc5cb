"""Compiled definitions as solver terms: every answer set a questionnaire allows, and what the rules decide for it.

Built from the same `CompiledDefinitions` the engine runs, condition tree by condition tree, with the engine's own
semantics: an item not asked (or an optional one not answered) is absent; an absent value is falsy and makes every
comparison false, `!=` included; `and`/`or` stop at the first part that settles them; a derived value is the first
case that holds; the level is the highest any fired rule asks for. Python's own type errors (possible only where a
derived value mixes numbers and words) are kept as an `error` term, which the completeness check reads.

Needs z3 (`pip install 'carecheck[verify]'`); only `carecheck verify`'s proof imports this module.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import z3

from carecheck.core.compiled import CompiledDefinitions, CompiledDerived, CompiledItem
from carecheck.core.conditions import COMPARE, Kind, Node
from carecheck.core.definitions import BooleanItem, ChoiceItem, IntegerItem, MultiChoiceItem, TextItem
from carecheck.core.items import encodable, kind_of

Term = Any
"""A z3 expression (z3 ships no type information)."""

TRUE: Term = z3.BoolVal(True)
FALSE: Term = z3.BoolVal(False)


class UnsupportedError(Exception):
    """A condition the encoding cannot state exactly (say, ordering two free-text answers): the proof says unknown."""


def _and(*parts: Term) -> Term:
    kept = [part for part in parts if not z3.is_true(part)]
    if any(z3.is_false(part) for part in kept):
        return FALSE
    return TRUE if not kept else kept[0] if len(kept) == 1 else z3.And(*kept)


def _or(*parts: Term) -> Term:
    kept = [part for part in parts if not z3.is_false(part)]
    if any(z3.is_true(part) for part in kept):
        return TRUE
    return FALSE if not kept else kept[0] if len(kept) == 1 else z3.Or(*kept)


def _not(part: Term) -> Term:
    return FALSE if z3.is_true(part) else TRUE if z3.is_false(part) else z3.Not(part)


# --- values --------------------------------------------------------------------------------------------------------


class Strings:
    """Every word the definitions can hold or compare, sorted, so that a word's code orders as the word does. A
    free-text answer that is none of them has the code `other`."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = tuple(sorted({"", *words}))
        self.codes = {word: code for code, word in enumerate(self.words)}
        self.other = len(self.words)

    def code(self, word: str) -> int:
        return self.codes[word]


@dataclass(frozen=True)
class Sym:
    present: Term


@dataclass(frozen=True)
class Num(Sym):
    value: Term


@dataclass(frozen=True)
class Flag(Sym):
    value: Term


@dataclass(frozen=True)
class Text(Sym):
    code: Term
    free: bool = False
    """A free-text answer: it may be a text no condition names (code `Strings.other`)."""


@dataclass(frozen=True)
class Choices(Sym):
    members: tuple[tuple[str, Term], ...]
    """Each choice, in the item's order, with whether it is ticked: the engine's tuple holds the ticked ones."""


@dataclass(frozen=True)
class Const(Sym):
    value: Any


@dataclass(frozen=True)
class Cases(Sym):
    """A derived value whose cases mix kinds: which constant it is, case by case (none holding: absent)."""

    cases: tuple[tuple[Term, Any], ...]


def const(value: Any) -> Const:
    return Const(z3.BoolVal(value is not None), value)


Evaluated = tuple[Sym, Term]
"""A value and the condition under which computing it raises (Python's TypeError, in the engine)."""

_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _family(sym: Sym) -> str:
    if isinstance(sym, (Num, Flag)):
        return "number"
    if isinstance(sym, Text):
        return "text"
    if isinstance(sym, Choices):
        return "list"
    assert isinstance(sym, Const)
    value = sym.value
    return "number" if isinstance(value, (bool, int)) else "text" if isinstance(value, str) else "list"


class Values:
    """The engine's operations on values, as terms."""

    def __init__(self, strings: Strings) -> None:
        self.strings = strings

    def number(self, sym: Sym) -> Term:
        if isinstance(sym, Num):
            return sym.value
        if isinstance(sym, Flag):
            return z3.If(sym.value, z3.IntVal(1), z3.IntVal(0))
        assert isinstance(sym, Const)
        return z3.IntVal(int(sym.value))

    def code(self, sym: Sym) -> Term:
        if isinstance(sym, Text):
            return sym.code
        assert isinstance(sym, Const)
        return z3.IntVal(self.strings.code(sym.value))

    def truth(self, sym: Sym) -> Term:
        """Python's truth of the value (an absent one is falsy)."""
        if isinstance(sym, Const):
            return z3.BoolVal(bool(sym.value))
        if isinstance(sym, Cases):
            return _or(*(guard for guard, value in sym.cases if value))
        if isinstance(sym, Num):
            return _and(sym.present, sym.value != 0)
        if isinstance(sym, Flag):
            return _and(sym.present, sym.value)
        if isinstance(sym, Text):
            return _and(sym.present, sym.code != self.strings.code(""))
        assert isinstance(sym, Choices)
        return _and(sym.present, _or(*(ticked for _, ticked in sym.members)))

    def compare(self, op: str, left: Sym, right: Sym) -> tuple[Term, Term]:
        """(holds, raises) for `left op right`, as the engine's compiled closures compute it."""
        if isinstance(left, Cases):
            return self._expand(left, lambda value: self.compare(op, const(value), right))
        if isinstance(right, Cases):
            return self._expand(right, lambda value: self.compare(op, left, const(value)))
        if isinstance(left, Const) and isinstance(right, Const):
            if left.value is None or right.value is None:
                return FALSE, FALSE
            try:
                return z3.BoolVal(bool(COMPARE[op](left.value, right.value))), FALSE
            except TypeError:
                return FALSE, TRUE
        both = _and(left.present, right.present)
        if op in ("in", "not in"):
            holds, raises = self._contains(left, right)
            holds = holds if op == "in" else _not(holds)
        elif op in ("==", "!="):
            holds, raises = self._equal(left, right), FALSE
            holds = holds if op == "==" else _not(holds)
        else:
            holds, raises = self._order(op, left, right)
        return _and(both, holds), _and(both, raises)

    def _expand(self, cases: Cases, each: Callable[[Any], tuple[Term, Term]]) -> tuple[Term, Term]:
        holds, raises = [], []
        for guard, value in cases.cases:
            h, r = each(value)
            holds.append(_and(guard, h))
            raises.append(_and(guard, r))
        return _or(*holds), _or(*raises)

    def _equal(self, left: Sym, right: Sym) -> Term:
        family = _family(left)
        if family != _family(right):
            return FALSE
        if family == "number":
            return self.number(left) == self.number(right)
        if family == "text":
            if isinstance(left, Text) and isinstance(right, Text) and left.free and right.free:
                raise UnsupportedError("comparing two free-text answers with each other")
            return self.code(left) == self.code(right)
        if isinstance(left, Const):
            left, right = right, left
        if isinstance(right, Const):
            assert isinstance(left, Choices)
            wanted = tuple(right.value)
            names = [name for name, _ in left.members]
            if list(wanted) != [name for name in names if name in wanted] or len(set(wanted)) != len(wanted):
                return FALSE  # the engine's tuple follows the choices' order: no other list equals it
            return _and(*((ticked if name in wanted else _not(ticked)) for name, ticked in left.members))
        assert isinstance(left, Choices)
        assert isinstance(right, Choices)
        if [name for name, _ in left.members] != [name for name, _ in right.members]:
            raise UnsupportedError("comparing multiple-choice answers with different choices")
        return _and(*(a == b for (_, a), (_, b) in zip(left.members, right.members, strict=True)))

    def _order(self, op: str, left: Sym, right: Sym) -> tuple[Term, Term]:
        family = _family(left)
        if family != _family(right):
            return FALSE, TRUE  # Python cannot order a number and a word: the engine raises TypeError
        if family == "number":
            return _ORDER[op](self.number(left), self.number(right)), FALSE
        if family == "text":
            if any(isinstance(side, Text) and side.free for side in (left, right)):
                raise UnsupportedError("ordering a free-text answer")
            return _ORDER[op](self.code(left), self.code(right)), FALSE
        raise UnsupportedError("ordering lists")

    def _contains(self, element: Sym, container: Sym) -> tuple[Term, Term]:
        if isinstance(container, Choices):
            if isinstance(element, Const):
                ticked = dict(container.members)
                return ticked.get(element.value, FALSE) if isinstance(element.value, str) else FALSE, FALSE
            if isinstance(element, Text):
                return _or(*(_and(element.code == self.strings.code(n), t) for n, t in container.members)), FALSE
            return FALSE, FALSE
        if isinstance(container, Const) and isinstance(container.value, tuple):
            return _or(*(self._equal(element, const(value)) for value in container.value)), FALSE
        if isinstance(container, Const) and isinstance(container.value, str):
            if not isinstance(element, Text):
                return FALSE, TRUE
            if element.free:
                raise UnsupportedError("looking for a free-text answer inside a word")
            inside = [word for word in self.strings.words if word in container.value]
            return _or(*(element.code == self.strings.code(word) for word in inside)), FALSE
        if isinstance(container, Text):
            raise UnsupportedError("looking for a value inside a text answer")
        return FALSE, TRUE

    def has_any(self, target: Sym, wanted: frozenset[Any]) -> tuple[Term, Term]:
        if isinstance(target, Cases):
            return self._expand(target, lambda value: self.has_any(const(value), wanted))
        if isinstance(target, Const):
            if target.value is None:
                return FALSE, FALSE
            try:
                return z3.BoolVal(not wanted.isdisjoint(target.value)), FALSE
            except TypeError:
                return FALSE, TRUE
        if isinstance(target, Choices):
            return _and(target.present, _or(*(t for name, t in target.members if name in wanted))), FALSE
        if isinstance(target, Text):
            raise UnsupportedError("has_any() over a text answer")
        return FALSE, target.present


# --- conditions ----------------------------------------------------------------------------------------------------


class Conditions:
    """Condition trees as terms over an environment of values."""

    def __init__(self, values: Values, env: Mapping[str, Sym], fired: Mapping[str, Term] | None = None) -> None:
        self.values = values
        self.env = env
        self.fired = fired

    def test(self, node: Node) -> tuple[Term, Term]:
        """(truth, raises) of a condition."""
        sym, raises = self.node(node)
        return self.values.truth(sym), raises

    def node(self, node: Node) -> Evaluated:
        op = node.op
        if op == "literal":
            return const(node.value), FALSE
        if op == "list":
            return const(tuple(arg.value for arg in node.args)), FALSE
        if op == "name":
            return self.env[node.value], FALSE
        if op == "not":
            truth, raises = self.test(node.args[0])
            return Flag(TRUE, _not(truth)), raises
        if op in ("and", "or"):
            return self.chain(op, node.args)
        if op == "call":
            return self.call(node)
        left, left_raises = self.node(node.args[0])
        right, right_raises = self.node(node.args[1])
        holds, raises = self.values.compare(op, left, right)
        return Flag(TRUE, holds), _or(left_raises, right_raises, raises)

    def chain(self, op: str, args: Sequence[Node]) -> Evaluated:
        """`and`/`or`: each part is computed only while the ones before leave the answer open."""
        truth: Term = TRUE if op == "and" else FALSE
        raises: Term = FALSE
        for arg in args:
            part, part_raises = self.test(arg)
            reached = truth if op == "and" else _not(truth)
            raises = _or(raises, _and(reached, part_raises))
            truth = _and(truth, part) if op == "and" else _or(truth, part)
        return Flag(TRUE, truth), raises

    def call(self, node: Node) -> Evaluated:
        name, args = node.value, node.args
        if name == "asked":
            return Flag(TRUE, self.env[args[0].value].present), FALSE
        if name == "has_any":
            holds, raises = self.values.has_any(self.env[args[0].value], frozenset(arg.value for arg in args[1:]))
            return Flag(TRUE, holds), raises
        if name == "fired":
            assert self.fired is not None
            return Flag(TRUE, _or(*(self.fired[arg.value] for arg in args))), FALSE
        if name in ("any", "all"):
            return self.chain("or" if name == "any" else "and", args)
        assert name == "count", name
        parts = [self.test(arg) for arg in args]
        total = z3.Sum([z3.If(truth, z3.IntVal(1), z3.IntVal(0)) for truth, _ in parts])
        return Num(TRUE, total), _or(*(raises for _, raises in parts))


# --- answers -------------------------------------------------------------------------------------------------------


class ItemVars(NamedTuple):
    """One item in one copy of the answer space: whether it is asked and answered, and its value."""

    item: CompiledItem
    asked: Term
    answered: Term
    """Always true for a required item; a free choice for an optional one."""
    raw: tuple[Term, ...]
    """The solver's variables for the value (one per choice of a multiple choice)."""
    sym: Sym

    @property
    def present(self) -> Term:
        return self.sym.present


class Space(NamedTuple):
    """One copy of the answer space: the items' variables and the constraints that make them a valid answer set."""

    items: dict[str, ItemVars]
    constraints: list[Term]
    raises: Term
    """An asked-if condition raises (possible only in theory: they read items, whose kinds are fixed)."""


class Decision(NamedTuple):
    """What the rules decide for the answer sets of a `Space`, as terms."""

    env: dict[str, Sym]
    fires: tuple[Term, ...]
    levels: tuple[Term, ...]
    """Per placement rule: the level index it asks for (when it fires)."""
    final: Term
    urgent: Term
    safety_note: Term
    programs: tuple[Term, ...]
    modalities: tuple[Term, ...]
    notes: tuple[Term, ...]
    raises: Term
    """The engine raises for these answers (no proper result)."""

    def deciding(self, index: int) -> Term:
        return _and(self.fires[index], self.levels[index] == self.final)


def _words(node: Node) -> Iterable[str]:
    if node.op == "literal" and isinstance(node.value, str):
        yield node.value
    for arg in node.args:
        yield from _words(arg)


class Encoder:
    """Builds the answer space and the decision of compiled definitions as terms."""

    def __init__(self, definitions: CompiledDefinitions) -> None:
        self.definitions = definitions
        words: set[str] = set(definitions.levels)
        trees = [condition.tree for item in definitions.items for condition in item.conditions]
        trees += [band.condition.tree for i in definitions.instruments for band in i.bands if band.condition]
        for derived in (*definitions.derived, *definitions.profile):
            trees += [condition.tree for condition, _ in derived.cases] + ([derived.expr.tree] if derived.expr else [])
            words |= {v for _, v in derived.cases if isinstance(v, str)}
            words |= {derived.otherwise} if isinstance(derived.otherwise, str) else set()
        trees += [rule.condition.tree for rule in definitions.placement] + [definitions.suggest_when.tree]
        trees += [c.tree for _, c in (*definitions.programs, *definitions.modalities)]
        trees += [c.tree for _, c, _ in definitions.notes]
        trees += [c.tree for _, when, expect in definitions.invariants for c in (when, expect)]
        for tree in trees:
            words |= set(_words(tree))
        for item in definitions.items:
            words |= {str(c.value) for c in kind_of(item.definition).choices(item.definition)}
        for instrument in definitions.instruments:
            words |= {band.id for band in instrument.bands}
        self.strings = Strings(words)
        self.values = Values(self.strings)

    # --- the answer space ---

    def space(self, prefix: str) -> Space:
        """Fresh variables for every item, constrained to the answer sets the questionnaire allows. Values of absent
        items are pinned to one default, so that each answer set has exactly one model."""
        env: dict[str, Sym] = {}
        items: dict[str, ItemVars] = {}
        constraints: list[Term] = []
        raises: Term = FALSE
        for item in self.definitions.items:
            conditions = Conditions(self.values, env)
            asked: Term = TRUE
            for condition in item.conditions:  # all_of: the section's, then the item's own
                truth, fault = conditions.test(condition.tree)
                raises = _or(raises, _and(asked, fault))
                asked = _and(asked, truth)
            definition = item.definition
            answered = TRUE if definition.required else z3.Bool(f"{prefix}{item.id}?")
            present = _and(asked, answered)
            if not definition.required:
                constraints.append(z3.Implies(_not(asked), _not(answered)))
            raw, sym, domain, default = self._variables(prefix, item, present)
            constraints += domain
            constraints.append(z3.Implies(_not(present), default))
            items[item.id] = ItemVars(item, asked, answered, raw, sym)
            env[item.id] = sym
        return Space(items, constraints, raises)

    def _variables(
        self, prefix: str, item: CompiledItem, present: Term
    ) -> tuple[tuple[Term, ...], Sym, list[Term], Term]:
        definition = item.definition
        name = prefix + item.id
        if isinstance(definition, IntegerItem):
            value = z3.Int(name)
            domain = [value >= definition.min, value <= definition.max]
            return (value,), Num(present, value), domain, value == definition.min
        if isinstance(definition, BooleanItem):
            flag = z3.Bool(name)
            return (flag,), Flag(present, flag), [], _not(flag)
        if isinstance(definition, ChoiceItem):
            value = z3.Int(name)
            choices = [c.value for c in definition.choices]
            if isinstance(choices[0], str):
                codes = [self.strings.code(str(c)) for c in choices]
                return (value,), Text(present, value), [z3.Or([value == c for c in codes])], value == codes[0]
            return (value,), Num(present, value), [z3.Or([value == c for c in choices])], value == choices[0]
        if isinstance(definition, MultiChoiceItem):
            members = tuple((str(c.value), z3.Bool(f"{name}:{c.value}")) for c in definition.choices)
            flags = tuple(flag for _, flag in members)
            return flags, Choices(present, members), [], _and(*(_not(flag) for flag in flags))
        assert isinstance(definition, TextItem)
        value = z3.Int(name)
        codes = [self.strings.code(w) for w in self.fitting_words(definition)]
        if definition.max_length >= 1:
            codes.append(self.strings.other)
        return (value,), Text(present, value, free=True), [z3.Or([value == c for c in codes])], value == 0

    def fitting_words(self, definition: TextItem) -> list[str]:
        """The words conditions name that a free-text answer could be."""
        return [w for w in self.strings.words if len(w) <= definition.max_length and encodable(w)]

    # --- the decision ---

    def decide(self, space: Space) -> Decision:
        """Scores, derived values, placement with its hit policy, urgency, suggestions and notes, as the engine's
        `CompiledDefinitions.decide` computes them."""
        definitions, values = self.definitions, self.values
        env: dict[str, Sym] = {item_id: item.sym for item_id, item in space.items.items()}
        raises: Term = space.raises
        for instrument in definitions.instruments:
            given = [env[item_id] for item_id in instrument.scored]
            present = _or(*(sym.present for sym in given))
            parts = [z3.If(sym.present, values.number(sym), z3.IntVal(0)) for sym in given]
            for item_id, flip in instrument.reversed:
                sym = env[item_id]
                parts.append(z3.If(sym.present, flip - 2 * values.number(sym), z3.IntVal(0)))
            total = z3.Sum(parts)
            if instrument.band_by_total:
                band = self._band_by_total(total, instrument.minimum, instrument.band_by_total)
            else:
                conditions = Conditions(values, env)
                band = z3.IntVal(self.strings.other)  # no band holds: the engine raises AssertionError
                held: Term = FALSE
                reached_raises: list[Term] = []
                for spec in instrument.bands:
                    assert spec.condition is not None
                    truth, fault = conditions.test(spec.condition.tree)
                    reached_raises.append(_and(_not(held), fault))
                    held = _or(held, truth)
                for spec in reversed(instrument.bands):
                    assert spec.condition is not None
                    truth, _ = conditions.test(spec.condition.tree)
                    band = z3.If(truth, z3.IntVal(self.strings.code(spec.id)), band)
                raises = _or(raises, _and(present, _or(*reached_raises, _not(held))))
            total_sym = Num(present, total)
            env[instrument.id] = env[instrument.id + ".total"] = total_sym
            env[instrument.id + ".band"] = Text(present, band)
        for derived in definitions.derived:
            sym, fault = self._derived(derived, env, definitions.names[derived.id].kind)
            env[derived.id] = sym
            raises = _or(raises, fault)
        conditions = Conditions(values, env)
        fires, levels = [], []
        top = len(definitions.levels) - 1
        for rule in definitions.placement:
            truth, fault = conditions.test(rule.condition.tree)
            raises = _or(raises, fault)
            if rule.level is not None:
                fires.append(truth)
                levels.append(z3.IntVal(rule.level))
                continue
            source = env[rule.level_from or ""]
            assert isinstance(source, Text)
            level: Term = z3.IntVal(0)
            known: list[Term] = []
            for index, level_id in enumerate(definitions.levels):
                if level_id in self.strings.codes:
                    is_it = source.code == self.strings.code(level_id)
                    known.append(is_it)
                    level = z3.If(is_it, z3.IntVal(min(index + rule.step, top)), level)
            fires.append(_and(truth, source.present, _or(*known)))
            levels.append(level)
        final: Term = z3.IntVal(0)
        for fire, level in zip(fires, levels, strict=True):
            final = z3.If(_and(fire, level > final), level, final)
        urgent = _or(*(fire for fire, rule in zip(fires, definitions.placement, strict=True) if rule.urgent))
        safety = _or(*(fire for fire, rule in zip(fires, definitions.placement, strict=True) if rule.safety_note))
        level_code: Term = z3.IntVal(self.strings.code(definitions.levels[0]))
        for index, level_id in enumerate(definitions.levels[1:], 1):
            level_code = z3.If(final == index, z3.IntVal(self.strings.code(level_id)), level_code)
        env["level"] = Text(TRUE, level_code)
        env["screen_positive"] = Flag(TRUE, _or(*fires))
        env["urgent"] = Flag(TRUE, urgent)
        fired = {rule.id: fire for rule, fire in zip(definitions.placement, fires, strict=True)}
        outcome = Conditions(values, env, fired)
        suggest, fault = outcome.test(definitions.suggest_when.tree)
        raises = _or(raises, fault)
        suggestions: dict[str, list[Term]] = {"programs": [], "modalities": []}
        for kind, entries in (("programs", definitions.programs), ("modalities", definitions.modalities)):
            for _, condition in entries:
                truth, fault = outcome.test(condition.tree)
                raises = _or(raises, _and(suggest, fault))
                suggestions[kind].append(_and(suggest, truth))
        notes = []
        for _, condition, _ in definitions.notes:
            truth, fault = outcome.test(condition.tree)
            raises = _or(raises, fault)
            notes.append(truth)
        for area in definitions.profile:
            raises = _or(raises, self._derived(area, env, Kind.NUMBER)[1])
        return Decision(
            env,
            tuple(fires),
            tuple(levels),
            final,
            urgent,
            safety,
            tuple(suggestions["programs"]),
            tuple(suggestions["modalities"]),
            tuple(notes),
            raises,
        )

    def _band_by_total(self, total: Term, minimum: int, bands: tuple[str, ...]) -> Term:
        runs: list[tuple[int, str]] = []  # (highest total, band) for each run of totals in one band
        for offset, band in enumerate(bands):
            if runs and runs[-1][1] == band:
                runs[-1] = (minimum + offset, band)
            else:
                runs.append((minimum + offset, band))
        code: Term = z3.IntVal(self.strings.code(runs[-1][1]))
        for high, band in reversed(runs[:-1]):
            code = z3.If(total <= high, z3.IntVal(self.strings.code(band)), code)
        return code

    def _derived(self, derived: CompiledDerived, env: Mapping[str, Sym], kind: Kind) -> Evaluated:
        """The first case that holds gives the value, else `otherwise`; or an expression's truth."""
        conditions = Conditions(self.values, env)
        if derived.expr is not None:
            truth, fault = conditions.test(derived.expr.tree)
            return Flag(TRUE, truth), fault
        held: Term = FALSE
        raises: Term = FALSE
        cases: list[tuple[Term, Any]] = []
        for condition, value in derived.cases:
            truth, fault = conditions.test(condition.tree)
            raises = _or(raises, _and(_not(held), fault))
            cases.append((_and(_not(held), truth), value))
            held = _or(held, truth)
        if derived.otherwise is not None:
            cases.append((_not(held), derived.otherwise))
        present = _or(*(guard for guard, _ in cases))
        if kind is Kind.ANY:
            return Cases(present, tuple(cases)), raises

        def chain(term: Callable[[Any], Term], fallback: Term) -> Term:
            result = fallback
            for guard, value in reversed(cases):
                result = z3.If(guard, term(value), result)
            return result

        if kind is Kind.BOOL:
            return Flag(present, chain(z3.BoolVal, FALSE)), raises
        if kind is Kind.TEXT:
            return Text(present, chain(lambda v: z3.IntVal(self.strings.code(v)), z3.IntVal(0))), raises
        return Num(present, chain(z3.IntVal, z3.IntVal(0))), raises

    # --- conditions outside the decision ---

    def test(self, node: Node, decision: Decision) -> tuple[Term, Term]:
        """(truth, raises) of a condition over the outcome's names (an invariant's `when` or `expect`)."""
        fired = dict(zip((rule.id for rule in self.definitions.placement), decision.fires, strict=True))
        return Conditions(self.values, decision.env, fired).test(node)

    # --- between terms and answer files ---

    def equals(self, item: ItemVars, value: Any) -> Term:
        """The item's variables hold this answer (in answer-file form)."""
        definition = item.item.definition
        if isinstance(definition, MultiChoiceItem):
            chosen = set(value)
            return _and(
                *(
                    (flag if str(c.value) in chosen else _not(flag))
                    for c, flag in zip(definition.choices, item.raw, strict=True)
                )
            )
        if isinstance(definition, TextItem):
            return item.raw[0] == (self.strings.codes.get(value, self.strings.other))
        if isinstance(definition, ChoiceItem) and isinstance(value, str):
            return item.raw[0] == self.strings.code(value)
        return item.raw[0] == value

    def answer(self, item: ItemVars, model: Any) -> Any:
        """The item's answer in a model, as an answer file holds it (None where absent)."""
        if not z3.is_true(model.eval(item.present, model_completion=True)):
            return None
        definition = item.item.definition
        values = [model.eval(var, model_completion=True) for var in item.raw]
        if isinstance(definition, MultiChoiceItem):
            return [str(c.value) for c, v in zip(definition.choices, values, strict=True) if z3.is_true(v)]
        if isinstance(definition, BooleanItem):
            return z3.is_true(values[0])
        number = values[0].as_long()
        if isinstance(definition, TextItem):
            return self.strings.words[number] if number < self.strings.other else self.other_text(definition)
        if isinstance(definition, ChoiceItem) and isinstance(definition.choices[0].value, str):
            return self.strings.words[number]
        return number

    def other_text(self, definition: TextItem) -> str:
        """A text no condition names, short enough for the item."""
        return _text_not_in(self.strings, definition.max_length)

    def answers(self, space: Space, model: Any) -> dict[str, Any]:
        """The answer file a model stands for: every answered item, in questionnaire order."""
        found = {item_id: self.answer(item, model) for item_id, item in space.items.items()}
        return {item_id: value for item_id, value in found.items() if value is not None}


# --- the size of the answer space ----------------------------------------------------------------------------------


def count_answer_sets(definitions: CompiledDefinitions, strings: Strings) -> int:
    """How many complete, valid answer sets the questionnaire allows, branching honoured: an item not asked has one
    possibility (absent), an optional one its domain and no answer. A free-text answer counts as each text the
    conditions name, plus one for any other text (what the rules can tell apart)."""
    items = definitions.items
    read_later: list[frozenset[str]] = []
    needed: set[str] = set()
    for item in reversed(items):
        read_later.append(frozenset(needed))
        needed |= {name for condition in item.conditions for name in condition.names}
    read_later.reverse()
    memo: dict[tuple[int, tuple[tuple[str, Any], ...]], int] = {}

    def options(item: CompiledItem, values: Mapping[str, Any]) -> list[Any]:
        if not item.asked(values):
            return [None]
        found = _domain(item, strings)
        return found if item.definition.required else [*found, None]

    def count(index: int, state: tuple[tuple[str, Any], ...]) -> int:
        if index == len(items):
            return 1
        key = (index, state)
        if key in memo:
            return memo[key]
        item = items[index]
        values = dict(state)
        keep = read_later[index]
        kept = tuple((name, value) for name, value in state if name in keep)
        if item.id in keep:
            total = sum(count(index + 1, (*kept, (item.id, value))) for value in options(item, values))
        elif item.asked(values):
            size = _domain_size(item, strings)
            total = (size if item.definition.required else size + 1) * count(index + 1, kept)
        else:
            total = count(index + 1, kept)
        memo[key] = total
        return total

    return count(0, ())


def _domain_size(item: CompiledItem, strings: Strings) -> int:
    definition = item.definition
    if isinstance(definition, IntegerItem):
        return definition.max - definition.min + 1
    if isinstance(definition, MultiChoiceItem):
        return int(2 ** len(definition.choices))
    return len(_domain(item, strings))


def _domain(item: CompiledItem, strings: Strings) -> list[Any]:
    """Every answer an item takes, in normal form (as conditions read it)."""
    from itertools import combinations

    definition = item.definition
    if isinstance(definition, IntegerItem):
        return list(range(definition.min, definition.max + 1))
    if isinstance(definition, BooleanItem):
        return [False, True]
    if isinstance(definition, ChoiceItem):
        return [c.value for c in definition.choices]
    if isinstance(definition, MultiChoiceItem):
        names = [str(c.value) for c in definition.choices]
        return [combo for size in range(len(names) + 1) for combo in combinations(names, size)]
    assert isinstance(definition, TextItem)
    words = [w for w in strings.words if len(w) <= definition.max_length and encodable(w)]
    if definition.max_length >= 1:
        words.append(_text_not_in(strings, definition.max_length))
    return words


def _text_not_in(strings: Strings, limit: int) -> str:
    for length in range(1, limit + 1):
        for letter in "abcdefghijklmnopqrstuvwxyz":
            if letter * length not in strings.codes:
                return letter * length
    return "a" * limit
