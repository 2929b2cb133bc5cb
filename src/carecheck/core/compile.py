"""Compiling definitions: a questionnaire on its own, or with a rule set, into one immutable compiled value.

Compiling checks every cross-reference (items, choices, bands, criteria, guide sections, levels) and fails with
`file:line`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from carecheck.core.compiled import (
    PLACEHOLDER,
    RECORD_ID,
    Band,
    CompiledDefinitions,
    CompiledDerived,
    CompiledInstrument,
    CompiledItem,
    CompiledRule,
    Template,
    plan_checks,
    tuple_getter,
)
from carecheck.core.conditions import (
    Compiled,
    ConditionError,
    Kind,
    NameInfo,
    Scope,
    all_of,
    compile_condition,
    suggest,
)
from carecheck.core.definitions import Item, LevelFrom, LoadedQuestionnaire, LoadedRuleSet
from carecheck.core.errors import DefinitionError
from carecheck.core.items import kind_of
from carecheck.core.result import DefinitionRef
from carecheck.core.sources import SourceMap


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
                    kind_of(item).coercer(item),
                    section_when,
                    own_when,
                )
            )
            names[item.id] = kind_of(item).name_info(item)
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
            points = kind_of(item).points(item)
            if points is None:
                raise DefinitionError(
                    f"scored item {item_id!r} must be yes/no, a number, or a choice with number values",
                    source.file,
                    where,
                )
            if item.required and item.when is None:
                low, high = low + points[0], high + points[1]
            else:  # an answer left out adds nothing: the totals the bands must cover reach down (or up) to that
                low, high = low + min(points[0], 0), high + max(points[1], 0)
        band_scope = Scope({item.id: kind_of(item).name_info(item) for item in instrument.items})
        bands: list[Band] = []
        for b_index, band in enumerate(instrument.scoring.bands):
            condition = None
            if band.when is not None:
                condition = _compile_at(band.when, band_scope, source, ("scoring", "bands", b_index, "when"))
            bands.append(Band(band.id, band.min, band.max, condition))
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
                tuple_getter(tuple(instrument.scoring.items)),
                tuple((item_id, _points_sum(own[item_id])) for item_id in instrument.scoring.reverse),
            )
        )
    return tuple(compiled)


def _points_sum(item: Item) -> int:
    """Lowest plus highest points: a reverse-scored answer scores that minus its value."""
    points = kind_of(item).points(item)
    assert points is not None  # scored items were checked to have points
    return points[0] + points[1]


def _check_band_coverage(instrument_id: str, bands: list[Band], low: int, high: int, source: SourceMap) -> None:
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


def compile_definitions(questionnaire: LoadedQuestionnaire, rules: LoadedRuleSet) -> CompiledDefinitions:
    """Check a questionnaire, then a rule set against it, and compile both into one immutable value."""
    items, instruments = compile_questionnaire(questionnaire)
    return _RuleCompiler(questionnaire, rules, items, instruments).run()


class _RuleCompiler:
    """Checks a rule set against a compiled questionnaire and compiles its rules."""

    def __init__(
        self,
        questionnaire: LoadedQuestionnaire,
        loaded: LoadedRuleSet,
        items: tuple[CompiledItem, ...],
        instruments: tuple[CompiledInstrument, ...],
    ) -> None:
        self.questionnaire = questionnaire
        self.loaded = loaded
        self.rules = loaded.rules
        self.source = loaded.source
        self.items = items
        self.instruments = instruments
        self.item_index = {item.id: item for item in items}

    def fail(self, message: str, path: tuple[Any, ...]) -> DefinitionError:
        return DefinitionError(message, self.source.file_of(path), self.source.line(path))

    def condition(self, text: str, scope: Scope, path: tuple[Any, ...]) -> Compiled:
        return _compile_at(text, scope, self.source, path)

    def run(self) -> CompiledDefinitions:
        rules = self.rules
        level_ids = [level.id for level in rules.levels]
        self.check_criteria()
        names: dict[str, NameInfo] = {
            item.id: kind_of(item.definition).name_info(item.definition) for item in self.items
        }
        for instrument in self.instruments:
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
        scope = Scope(dict(names))
        profile = tuple(
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
        placement, level_valued = self.compile_placement(names, level_ids)
        outcome = dict(names)
        outcome["level"] = NameInfo(Kind.TEXT, frozenset(level_ids))
        outcome["screen_positive"] = NameInfo(Kind.BOOL)
        outcome["urgent"] = NameInfo(Kind.BOOL)
        scope = Scope(outcome, rule_ids=frozenset(rule.id for rule in rules.placement))
        suggest_when = self.condition(rules.suggestions.when, scope, ("suggestions", "when"))
        programs = tuple(
            (p.id, self.condition(p.when, scope, ("suggestions", "programs", i, "when")))
            for i, p in enumerate(rules.suggestions.programs)
        )
        modalities = tuple(
            (m.id, self.condition(m.when, scope, ("suggestions", "modalities", i, "when")))
            for i, m in enumerate(rules.suggestions.modalities)
        )
        answers_scope = Scope(dict(names))
        invariants = tuple(
            (
                invariant.id,
                self.condition(invariant.when, answers_scope, ("invariants", i, "when")),
                self.condition(invariant.expect, scope, ("invariants", i, "expect")),
            )
            for i, invariant in enumerate(rules.invariants)
        )
        notes = tuple(
            (
                note.id,
                self.condition(note.when, scope, ("notes", i, "when")),
                self.template(note.text, outcome, ("notes", i, "text")),
            )
            for i, note in enumerate(rules.notes)
        )
        questionnaire = self.questionnaire
        return CompiledDefinitions(
            questionnaire=questionnaire,
            rules=self.loaded,
            items=self.items,
            instruments=self.instruments,
            levels=tuple(level_ids),
            level_names={level.id: level.name for level in rules.levels},
            names=names,
            derived=tuple(derived),
            placement=placement,
            profile=profile,
            suggest_when=suggest_when,
            programs=programs,
            modalities=modalities,
            notes=notes,
            invariants=invariants,
            level_valued=level_valued,
            ref_questionnaire=DefinitionRef(
                questionnaire.questionnaire.id, questionnaire.questionnaire.version, questionnaire.sha256
            ),
            ref_rules=DefinitionRef(rules.id, rules.version, self.loaded.sha256),
            item_index=self.item_index,
            known_keys=frozenset(self.item_index) | {RECORD_ID},
            level_index={level: index for index, level in enumerate(level_ids)},
            check_plan=plan_checks(self.items),
        )

    def claim(self, names: dict[str, NameInfo], name: str, info: NameInfo, path: tuple[Any, ...]) -> None:
        if name in names:
            raise self.fail(f"the name {name!r} is already an item, a score or a derived value; rename one", path)
        names[name] = info

    def depends(self, used: Iterable[str], names: Mapping[str, NameInfo]) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for name in used:
            seen.update(dict.fromkeys(names[name].depends_on))
        order = {item.id: i for i, item in enumerate(self.items)}
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
        pieces = PLACEHOLDER.split(text)
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

    def compile_placement(
        self, names: dict[str, NameInfo], level_ids: list[str]
    ) -> tuple[tuple[CompiledRule, ...], frozenset[str]]:
        scope = Scope(dict(names))
        order = {item.id: i for i, item in enumerate(self.items)}
        compiled: list[CompiledRule] = []
        level_valued: set[str] = set()
        for i, rule in enumerate(self.rules.placement):
            path = ("placement", i)
            condition = self.condition(rule.when, scope, (*path, "when"))
            level: int | None = None
            level_from: str | None = None
            step = 0
            if isinstance(rule.level, LevelFrom):
                item = self.item_index.get(rule.level.item)
                if item is None or item.definition.type != "choice":
                    fitting = [
                        candidate.id
                        for candidate in self.items
                        if candidate.definition.type == "choice"
                        and any(
                            c.value in level_ids for c in kind_of(candidate.definition).choices(candidate.definition)
                        )
                    ]
                    raise self.fail(
                        f"level.item {rule.level.item!r} must be a single-choice item whose choices are level ids"
                        f"{suggest(rule.level.item, fitting)}",
                        (*path, "level", "item"),
                    )
                if not any(choice.value in level_ids for choice in kind_of(item.definition).choices(item.definition)):
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
                    tuple_getter(items),
                )
            )
        return tuple(compiled), frozenset(level_valued)
