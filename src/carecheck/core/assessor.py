"""The `Assessor`: compiled definitions, and the fastest way to apply them to one answer set or millions.

An Assessor holds one immutable `CompiledDefinitions` and one piece of state: after serving a couple of hundred
answer sets it writes and compiles straight-line code for its rules (`codegen`), which then checks and decides the
answer sets that need no conversion. Results are the same either way; tests hold the two paths to each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carecheck.core.answers import check_answers, partial_answers
from carecheck.core.codegen import Generated, generate
from carecheck.core.compile import compile_definitions
from carecheck.core.compiled import RECORD_ID, CompiledDefinitions, CompiledItem
from carecheck.core.definitions import LoadedQuestionnaire, LoadedRuleSet
from carecheck.core.result import Outcome, Reason, Result, Score

GENERATE_AFTER = 200
"""Assessments by closures before an Assessor generates its code: about as many as generating costs (some 20 ms,
at ~70 us saved each), so that however many answer sets it serves, it spends at most about twice the better choice."""


class Assessor:
    """A questionnaire and a rule set, checked against each other and compiled once; call `assess` many times.

    Safe to share between threads. Its only state after construction is when to generate code for its rules: a
    count of the answer sets served, and the generated functions once made. Both are written without a lock: two
    threads may both generate (either result serves, and both give the same results), and a lost count only makes
    generating a little later. Bulk callers call `generated()` up front to take the fast path from the start.
    """

    def __init__(self, questionnaire: LoadedQuestionnaire, rules: LoadedRuleSet) -> None:
        self.definitions: CompiledDefinitions = compile_definitions(questionnaire, rules)
        compiled = self.definitions
        self.questionnaire = questionnaire
        self.rules = rules
        self.items = compiled.items
        self.item_index = compiled.item_index
        self.instruments = compiled.instruments
        self.levels = compiled.levels
        self.level_names = compiled.level_names
        self.names = compiled.names
        self.derived = compiled.derived
        self.placement = compiled.placement
        self.profile = compiled.profile
        self.suggest_when = compiled.suggest_when
        self.programs = compiled.programs
        self.modalities = compiled.modalities
        self.notes = compiled.notes
        self.invariants = compiled.invariants
        self._generated: Generated | None = None
        self._uses = 0

    # --- answers ---

    def answers_from(self, answers: Mapping[str, Any]) -> Mapping[str, Any]:
        """Answers as item ids: a FHIR QuestionnaireResponse (R5 or R4, for carecheck's exported Questionnaire or
        LOINC-coded) is mapped to this questionnaire's items; an answer mapping is returned as it is.
        Raises AnswersError naming each linkId or code that cannot be mapped."""
        if "resourceType" not in answers:  # no item id can be `resourceType`: a mapping of item ids, as it is
            return answers
        from carecheck.core.fhiranswers import answers_from_fhir  # only for FHIR, so other runs do not load LOINC

        return answers_from_fhir(answers, self.questionnaire.questionnaire.id, self.items)

    def check(self, answers: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...], str | int | None]:
        """Check raw answers against the questionnaire.

        Returns the normal form of every item (None where not asked or not answered), warnings, and the record id.
        Raises AnswersError listing every faulty item.
        """
        return check_answers(self.definitions, answers)

    def partial(self, answers: Mapping[str, Any]) -> tuple[dict[str, Any], list[CompiledItem]]:
        """For an answer set still being filled in: the normal form of each valid answer (None elsewhere), and the
        items asked given those answers, in order. Invalid answers count as not yet given."""
        return partial_answers(self.definitions, answers)

    def safety(self, values: Mapping[str, Any]) -> tuple[bool, bool]:
        """(urgent, safety note) as far as the answers given so far reach: a rule fires only on answers it has."""
        return self.definitions.safety(values)

    # --- evaluation ---

    def generated(self) -> Generated:
        """The rules as generated functions, written and compiled on first use."""
        generated = self._generated
        if generated is None:  # two threads may both generate; either result serves
            generated = self._generated = generate(self.definitions)
        return generated

    def _generated_when_worth_it(self) -> Generated | None:
        # An assessor that serves a few answer sets (a command-line run) never pays for generating code; one that
        # serves many pays once (bulk callers such as `batch` ask for `generated()` up front).
        if self._generated is None:
            self._uses += 1
            if self._uses <= GENERATE_AFTER:
                return None
        return self.generated()

    def assess(self, answers: Mapping[str, Any]) -> Result:
        """Score one answer set (item ids to answers, or a FHIR QuestionnaireResponse): check it, then evaluate the
        rules. Raises AnswersError on bad answers."""
        answers = self.answers_from(answers)
        generated = self._generated_when_worth_it()
        if generated is None:
            values, warnings, record_id = self.check(answers)
            return self.make_result(values, self.definitions.decide(values), warnings, record_id)
        checked = generated.check_and_decide(answers, True)
        if checked is None:  # something to convert, warn about or refuse: the full check says what
            values, warnings, record_id = self.check(answers)
            return self.make_result(values, generated.decide(values), warnings, record_id)
        normal, outcome = checked
        assert normal is not None
        return self.make_result(normal, outcome, (), answers.get(RECORD_ID))

    def environment(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Score]]:
        """Every name the rules may read (answers, scores, derived values) for checked answers."""
        return self.definitions.environment(values)

    def evaluate(
        self, values: Mapping[str, Any], warnings: tuple[str, ...] = (), record_id: str | int | None = None
    ) -> Result:
        """The result for checked answers (every item present, None where not asked or not answered)."""
        return self.make_result(values, self.decide(values), warnings, record_id)

    def decide(self, values: Mapping[str, Any]) -> Outcome:
        """What the rules decide for checked answers."""
        generated = self._generated_when_worth_it()
        return generated.decide(values) if generated is not None else self.definitions.decide(values)

    def decide_by_closures(self, values: Mapping[str, Any]) -> Outcome:
        """What `decide` computes, by calling the compiled conditions: the reference the generated code must match."""
        return self.definitions.decide(values)

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
            questionnaire=self.definitions.ref_questionnaire,
            rules=self.definitions.ref_rules,
        )
