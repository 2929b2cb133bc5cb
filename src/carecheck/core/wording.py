"""Turning a result into plain sentences: what was decided, why, what lower levels lack, what to expect, where to go.

The explanation is data (headings, paragraphs, lists); renderers only lay it out.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from carecheck.core.assessor import Assessor
from carecheck.core.compiled import say_value
from carecheck.core.definitions import Level, SafetyText
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
    """The first sentence of each reason that asks for more than this level."""


class Suggestion(NamedTuple):
    name: str
    text: str


class ScoreLine(NamedTuple):
    instrument: str
    total: int
    maximum: int
    band: str


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


def safety_block(result: Result, assessor: Assessor) -> SafetyBlock | None:
    """Crisis help for an urgent result, a safety check-in for a safety note, or nothing."""
    return safety_block_for(result.urgent, result.safety_note, assessor.rules.rules.safety)


def safety_block_for(urgent: bool, safety_note: bool, text: SafetyText) -> SafetyBlock | None:
    if urgent:
        contacts = tuple(Contact(c.name, c.how) for c in text.crisis_contacts)
        return SafetyBlock(True, text.crisis_heading, text.crisis_message, contacts)
    if safety_note:
        contacts = tuple(Contact(c.name, c.how) for c in text.check_in_contacts)
        return SafetyBlock(False, "Please look after your safety", text.check_in_message, contacts)
    return None


def safety_dict(result: Result, assessor: Assessor) -> dict[str, Any] | None:
    """The safety block as the JSON result carries it (first key), or None."""
    return safety_dict_for(result.urgent, result.safety_note, assessor.rules.rules.safety)


def safety_dict_for(urgent: bool, safety_note: bool, text: SafetyText) -> dict[str, Any] | None:
    block = safety_block_for(urgent, safety_note, text)
    if block is None:
        return None
    return {
        "urgent": block.urgent,
        "heading": block.heading,
        "message": block.message,
        "contacts": [{"name": c.name, "how": c.how} for c in block.contacts],
    }


def _first_sentence(text: str) -> str:
    for end in (". ", "? ", "! "):
        if end in text:
            return text.split(end, 1)[0] + end.strip()
    return text


class _Explainer:
    def __init__(self, result: Result, assessor: Assessor) -> None:
        self.result = result
        self.assessor = assessor
        self.rules = assessor.rules.rules
        self.direct_names = {rule.id: rule.condition.names for rule in assessor.placement}
        self.criteria = {c.id: c for c in self.rules.criteria}
        self.levels = {level.id: level for level in self.rules.levels}

    def citations(self, ids: tuple[str, ...] | list[str]) -> tuple[Citation, ...]:
        return tuple(Citation(c, self.criteria[c].section, self.criteria[c].text) for c in ids)

    def band_label(self, instrument_id: str, band: str) -> str:
        loaded = self.assessor.questionnaire.instruments[instrument_id].instrument
        return next(b.label for b in loaded.scoring.bands if b.id == band)

    def evidence(self, reason: Reason) -> tuple[str, ...]:
        """Answers the rule names itself are quoted; answers it reads through a score are shown as that score."""
        direct = set(self.direct_names.get(reason.rule, ()))
        phrases: list[str] = []
        seen_instruments: set[str] = set()
        for item_id in reason.items:
            item = self.assessor.item_index[item_id]
            instrument = item.instrument
            if item_id not in direct and instrument is not None and instrument in self.result.scores:
                if instrument not in seen_instruments:
                    seen_instruments.add(instrument)
                    phrases.append(self.score_phrase(instrument))
                continue
            value = self.result.answers.get(item_id)
            definition = item.definition
            kind = kind_of(definition)
            label = kind.in_words(definition, value) if kind.choices(definition) and not kind.takes_list else None
            name = definition.label or item_id  # a person reads the short name; a program reads `items`
            phrases.append(f"{name}: {say_value(value)}" + (f" ({label})" if label and label != str(value) else ""))
        return tuple(phrases)

    def score_phrase(self, instrument_id: str) -> str:
        score = self.result.scores[instrument_id]
        compiled = next(i for i in self.assessor.instruments if i.id == instrument_id)
        return f"{compiled.name}: {score.total} of {compiled.maximum} ({self.band_label(instrument_id, score.band)})"

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
        count = len(result.deciding)
        because = _first_sentence(result.deciding[0].text) if result.deciding else ""
        more = f" {count - 1} more of your answers point the same way." if count > 1 else ""
        return f"The level of care that fits your answers best is {level.name}. {because}{more}"

    def lower_levels(self, final: str) -> tuple[LowerLevel, ...]:
        order = [level.id for level in self.rules.levels]
        final_index = order.index(final)
        out: list[LowerLevel] = []
        for lower in order[:final_index]:
            index = order.index(lower)
            above = [r for r in self.result.reasons if order.index(r.level) > index]
            sentences = tuple(dict.fromkeys(_first_sentence(r.text) for r in above))
            name = self.levels[lower].name
            if out and out[-1].ruled_out_by == sentences:  # same reasons: one line, not the same text twice
                out[-1] = LowerLevel((*out[-1].names, name), sentences)
            else:
                out.append(LowerLevel((name,), sentences))
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
                lines.append(ScoreLine(instrument.name, score.total, instrument.maximum, label))
        return tuple(lines)

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
            notes=tuple(note.text for note in result.notes),
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
        )


def explain(result: Result, assessor: Assessor) -> Explanation:
    """The plain-language explanation of `result`, which `assessor` produced."""
    return _Explainer(result, assessor).build()
