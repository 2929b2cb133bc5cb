"""Turning a result into plain sentences: what was decided, why, what lower levels lack, what to expect, where to go.

The explanation is data (headings, paragraphs, lists); renderers only lay it out.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from carecheck.core.assessor import Assessor
from carecheck.core.conditions import Node, Scope, compile_condition, parse, unparse
from carecheck.core.definitions import Level, RuleSet, SafetyText
from carecheck.core.items import kind_of
from carecheck.core.result import Reason, Result


class Contact(NamedTuple):
    name: str
    how: str


class SafetyBlock(NamedTuple):
    """Crisis help (urgent) or a calm safety check-in; shown before anything else."""

    urgent: bool
    heading: str
    message: str
    contacts: tuple[Contact, ...]


class Citation(NamedTuple):
    criterion: str
    section: str
    text: str


class ReasonView(NamedTuple):
    rule: str
    level_name: str
    text: str
    evidence: tuple[str, ...]
    """The answers behind the reason, as short phrases: `AUDIT (alcohol use): 27 of 40, ...`, `housing: none`."""
    citations: tuple[Citation, ...]


class LowerLevel(NamedTuple):
    names: tuple[str, ...]
    """The lower levels these reasons rule out (several, when the same reasons rule out each)."""
    ruled_out_by: tuple[str, ...]
    """The short name of each rule that asks for more than this level (its sentences are said once, above)."""


class Suggestion(NamedTuple):
    name: str
    text: str


class ScoreLine(NamedTuple):
    instrument: str
    total: int
    maximum: int
    band: str
    show_total: bool = True
    """False for a screen read as its result alone (the ASQ): people see the band, never `n of 4`."""


class Credit(NamedTuple):
    """An instrument whose items were asked: its name, who made or holds it, and its terms of use."""

    name: str
    credit: str
    terms: str


class ProfileLine(NamedTuple):
    area: str
    value: int
    maximum: int


class Explanation(NamedTuple):
    record_id: str | int | None
    safety: SafetyBlock | None
    level: str
    level_name: str
    screen_positive: bool
    summary: str
    deciding: tuple[ReasonView, ...]
    also_noted: tuple[ReasonView, ...]
    lower_levels: tuple[LowerLevel, ...]
    level_detail: Level
    level_citations: tuple[Citation, ...]
    programs: tuple[Suggestion, ...]
    modalities: tuple[Suggestion, ...]
    notes: tuple[str, ...]
    scores: tuple[ScoreLine, ...]
    profile: tuple[ProfileLine, ...]
    finding_care_intro: str
    finding_care_checklist: tuple[str, ...]
    finding_care_contacts: tuple[Contact, ...]
    finding_care_section: str
    guide_title: str
    disclaimer: str
    warnings: tuple[str, ...]
    cautions: tuple[str, ...] = ()
    """Notes for the person's safety (do not stop suddenly), shown under the headline, urgent or not."""
    instruments_used: tuple[Credit, ...] = ()
    later: str | None = None
    """On an urgent result: what to expect and how to find a program are left out, and this says they can wait."""


def safety_messages(fired: tuple[str, ...] | list[str], urgent: bool, rules: RuleSet) -> tuple[str, ...]:
    """What the fired rules found, in their own words: the urgent rules' for crisis help, else the safety notes'."""
    by_id = {rule.id: rule for rule in rules.placement}
    chosen = (by_id[rule] for rule in fired if rule in by_id)
    messages = (
        rule.safety_message
        for rule in chosen
        if rule.safety_message is not None and (rule.urgent if urgent else rule.safety_note)
    )
    return tuple(dict.fromkeys(messages))


def safety_block(result: Result, assessor: Assessor) -> SafetyBlock | None:
    """Crisis help for an urgent result, a safety check-in for a safety note, or nothing; the message names what the
    answers showed."""
    rules = assessor.rules.rules
    messages = safety_messages([r.rule for r in result.reasons], result.urgent, rules)
    return safety_block_for(result.urgent, result.safety_note, rules.safety, messages)


def safety_block_for(
    urgent: bool, safety_note: bool, text: SafetyText, messages: tuple[str, ...] = ()
) -> SafetyBlock | None:
    if urgent:
        contacts = tuple(Contact(c.name, c.how) for c in text.crisis_contacts)
        said = " ".join((*messages, text.crisis_close or "")).strip() if messages else text.crisis_message
        return SafetyBlock(True, text.crisis_heading, said, contacts)
    if safety_note:
        contacts = tuple(Contact(c.name, c.how) for c in text.check_in_contacts)
        message = " ".join(messages) or text.check_in_message
        return SafetyBlock(False, "Please look after your safety", message, contacts)
    return None


def safety_dict(result: Result, assessor: Assessor) -> dict[str, Any] | None:
    """The safety block as the JSON result carries it (first key), or None."""
    rules = assessor.rules.rules
    messages = safety_messages([r.rule for r in result.reasons], result.urgent, rules)
    return safety_dict_for(result.urgent, result.safety_note, rules.safety, messages)


def safety_dict_for(
    urgent: bool, safety_note: bool, text: SafetyText, messages: tuple[str, ...] = ()
) -> dict[str, Any] | None:
    block = safety_block_for(urgent, safety_note, text, messages)
    if block is None:
        return None
    return {
        "urgent": block.urgent,
        "heading": block.heading,
        "message": block.message,
        "contacts": [{"name": c.name, "how": c.how} for c in block.contacts],
    }


def and_list(phrases: tuple[str, ...] | list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return phrases[0] if len(phrases) == 1 else f"{', '.join(phrases[:-1])} and {phrases[-1]}"


def _names_in(node: Node) -> list[str]:
    if node.op == "name":
        return [node.value]
    return [name for arg in node.args for name in _names_in(arg)]


class _Explainer:
    def __init__(self, result: Result, assessor: Assessor) -> None:
        self.result = result
        self.assessor = assessor
        self.rules = assessor.rules.rules
        self.criteria = {c.id: c for c in self.rules.criteria}
        self.levels = {level.id: level for level in self.rules.levels}
        self.rule_names = {rule.id: rule.name or rule.id for rule in self.rules.placement}
        self.note_cautions = {note.id for note in self.rules.notes if note.caution}
        self.scope = Scope(assessor.names)
        self.derived = {spec.id: spec for spec in assessor.derived}
        self._env: dict[str, Any] | None = None

    @property
    def env(self) -> dict[str, Any]:
        if self._env is None:
            self._env, _ = self.assessor.environment(self.result.answers)
        return self._env

    def holding(self, node: Node) -> list[str]:
        """The names in the parts of a condition that hold: what made it true, not all it read. A derived value is
        followed into its own expression (or the case that gave its value)."""
        if node.op == "not":
            return []
        env = self.env
        value = env.get(node.value) if node.op == "name" else compile_condition(unparse(node), self.scope).holds(env)
        if not value:
            return []  # a part that does not hold made nothing true, whatever its own parts say
        if node.op in ("and", "or"):
            return [name for arg in node.args for name in self.holding(arg)]
        out: list[str] = []
        for name in _names_in(node):
            spec = self.derived.get(name)
            if spec is None:
                out.append(name)
            elif spec.expr is not None:
                out += self.holding(parse(spec.expr.source))
            else:
                case = next((c for c, _ in spec.cases if c.evaluate(env)), None)
                out += self.holding(parse(case.source)) if case is not None else []
        return out

    def citations(self, ids: tuple[str, ...] | list[str]) -> tuple[Citation, ...]:
        return tuple(Citation(c, self.criteria[c].section, self.criteria[c].text) for c in ids)

    def band_label(self, instrument_id: str, band: str) -> str:
        loaded = self.assessor.questionnaire.instruments[instrument_id].instrument
        return next(b.label for b in loaded.scoring.bands if b.id == band)

    def evidence(self, reason: Reason) -> tuple[str, ...]:
        """What made the rule hold, in words: each answer it turned on by its label, each score it turned on as that
        score. Answers the rule read that did not count toward it (`housing: stable`) are left out."""
        rule = next(r for r in self.assessor.placement if r.id == reason.rule)
        names = list(dict.fromkeys(self.holding(parse(rule.condition.source))))
        scored = {name.split(".", 1)[0] for name in names} & set(self.result.scores)
        items = self.assessor.item_index
        phrases: list[str] = []
        for name in names:
            instrument = name.split(".", 1)[0]
            if instrument in scored:
                phrases.append(self.score_phrase(instrument))
            elif name in items and items[name].instrument not in scored:  # not said again beside its score
                phrases.append(self.answer_phrase(name))
        return tuple(dict.fromkeys(phrases))

    def answer_phrase(self, item_id: str) -> str:
        definition = self.assessor.item_index[item_id].definition
        value = self.result.answers.get(item_id)
        kind = kind_of(definition)
        words = "not answered" if value is None else kind.in_words(definition, value)
        if kind.choices(definition) and not kind.takes_list:
            words = words.split(": ", 1)[0]  # a choice labelled `Severe withdrawal: seizures ...` is said by its head
        return f"{definition.label or item_id}: {words}"  # a person reads the short name; a program reads `items`

    def score_phrase(self, instrument_id: str) -> str:
        score = self.result.scores[instrument_id]
        compiled = next(i for i in self.assessor.instruments if i.id == instrument_id)
        label = self.band_label(instrument_id, score.band)
        if self.shows_total(instrument_id):
            return f"{compiled.name}: {score.total} of {compiled.maximum} ({label})"
        items = self.assessor.item_index
        said_yes = [items[item].definition.label or item for item in compiled.scored if self.result.answers.get(item)]
        return f"{compiled.name}: {label}" + (f"; yes to: {'; '.join(said_yes)}" if said_yes else "")

    def shows_total(self, instrument_id: str) -> bool:
        return self.assessor.questionnaire.instruments[instrument_id].instrument.scoring.show_total

    def view(self, reason: Reason) -> ReasonView:
        return ReasonView(
            reason.rule,
            self.levels[reason.level].name,
            reason.text,
            self.evidence(reason),
            self.citations(list(reason.criteria)),
        )

    def summary(self, level: Level) -> str:
        result = self.result
        if not result.screen_positive:
            return (
                f"Your answers do not point to a need for more than {level.name.lower()} right now. "
                "If something still worries you, a talk with a doctor or counselor is a good next step, "
                "and it is never too early to ask for support."
            )
        because = and_list([self.rule_names[r.rule] for r in result.deciding])
        return f"The level of care that fits your answers best is {level.name}, because of {because}."

    def lower_levels(self, final: str) -> tuple[LowerLevel, ...]:
        order = [level.id for level in self.rules.levels]
        final_index = order.index(final)
        out: list[LowerLevel] = []
        for lower in order[:final_index]:
            index = order.index(lower)
            above = [r for r in self.result.reasons if order.index(r.level) > index]
            names = tuple(dict.fromkeys(self.rule_names[r.rule] for r in above))
            name = self.levels[lower].name
            if out and out[-1].ruled_out_by == names:  # the same rules: one line, not the same names twice
                out[-1] = LowerLevel((*out[-1].names, name), names)
            else:
                out.append(LowerLevel((name,), names))
        return tuple(out)

    def suggestions(self) -> tuple[tuple[Suggestion, ...], tuple[Suggestion, ...]]:
        spec = self.rules.suggestions
        programs = {p.id: p for p in spec.programs}
        modalities = {m.id: m for m in spec.modalities}
        return (
            tuple(Suggestion(programs[c].name, programs[c].text) for c in self.result.program_types),
            tuple(Suggestion(modalities[c].name, modalities[c].text) for c in self.result.modalities),
        )

    def scores(self) -> tuple[ScoreLine, ...]:
        lines = []
        for instrument in self.assessor.instruments:
            score = self.result.scores.get(instrument.id)
            if score is not None:
                label = self.band_label(instrument.id, score.band)
                shown = self.shows_total(instrument.id)
                lines.append(ScoreLine(instrument.name, score.total, instrument.maximum, label, shown))
        return tuple(lines)

    def instruments_used(self) -> tuple[Credit, ...]:
        """Each instrument with a score (its items were asked), in the questionnaire's order, with its credit."""
        loaded = self.assessor.questionnaire.instruments
        by_words: dict[tuple[str, str], list[str]] = {}  # one line for instruments with the same credit (PHQ-9, GAD-7)
        for instrument in self.assessor.instruments:
            if instrument.id in self.result.scores:
                attribution = loaded[instrument.id].instrument.attribution
                by_words.setdefault((attribution.credit, attribution.terms), []).append(attribution.name)
        return tuple(Credit(and_list(names), said, terms) for (said, terms), names in by_words.items())

    def build(self) -> Explanation:
        result, rules = self.result, self.rules
        level = self.levels[result.level]
        programs, modalities = self.suggestions()
        care = rules.finding_care
        return Explanation(
            record_id=result.record_id,
            safety=safety_block(result, self.assessor),
            level=result.level,
            level_name=level.name,
            screen_positive=result.screen_positive,
            summary=self.summary(level),
            deciding=tuple(self.view(r) for r in result.reasons if r.deciding),
            also_noted=tuple(self.view(r) for r in result.reasons if not r.deciding),
            lower_levels=self.lower_levels(result.level),
            level_detail=level,
            level_citations=self.citations(level.criteria),
            programs=programs,
            modalities=modalities,
            notes=tuple(note.text for note in result.notes if note.id not in self.note_cautions),
            scores=self.scores(),
            profile=tuple(
                ProfileLine(area.name, value, area.maximum)
                for area, (_, value) in zip(rules.profile, result.profile, strict=True)
            ),
            finding_care_intro=care.intro,
            finding_care_checklist=tuple(care.checklist),
            finding_care_contacts=tuple(Contact(c.name, c.how) for c in care.contacts),
            finding_care_section=care.section,
            guide_title=rules.guide.title,
            disclaimer=rules.disclaimer,
            warnings=result.warnings,
            cautions=tuple(note.text for note in result.notes if note.id in self.note_cautions),
            instruments_used=self.instruments_used(),
            later=rules.safety.crisis_later if result.urgent else None,
        )


def explain(result: Result, assessor: Assessor) -> Explanation:
    """The plain-language explanation of `result`, which `assessor` produced."""
    return _Explainer(result, assessor).build()
