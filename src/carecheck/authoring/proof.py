"""`carecheck verify`'s proof: each soundness check decided by a solver over every answer set a questionnaire allows.

Each check is one question to z3 about the encoding (`encoding`) of the same compiled definitions the engine runs:
"is there an answer set where this invariant fails?" Unsatisfiable means proved for all of them; a model is a
counterexample, made minimal (fewest answers away from a calm baseline: every answer at its least severe, optional
ones unanswered) and confirmed by the engine itself before it is reported; a time-out is reported as unknown, never
as passed. Needs z3 (`pip install 'carecheck[verify]'`).
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable, Iterable
from itertools import pairwise
from typing import Any, NamedTuple

import z3

from carecheck.authoring.encoding import (
    FALSE,
    TRUE,
    Encoder,
    ItemVars,
    Space,
    Term,
    UnsupportedError,
    count_answer_sets,
)
from carecheck.authoring.verify import (
    CHECKS,
    COMPLETENESS,
    DEAD_RULE,
    FAILING,
    INVARIANTS,
    MONOTONICITY,
    SHADOWED_RULE,
    Violation,
    answers_yaml,
    said,
)
from carecheck.core.assessor import Assessor
from carecheck.core.conditions import FIRED
from carecheck.core.definitions import BooleanItem, ChoiceItem, IntegerItem, MultiChoiceItem
from carecheck.core.errors import AnswersError
from carecheck.core.items import kind_of
from carecheck.core.result import Result

PROVED, REFUTED, UNKNOWN = "proved", "refuted", "unknown"

DEFAULT_TIMEOUT = 20.0
"""Seconds the solver may spend on one question before the check is reported unknown."""

MINIMIZE_BUDGET = 8.0
"""Seconds spent making one counterexample minimal; after that the best one found so far is shown (confirmed)."""

DISTANCE_BUDGET = 0.5
"""Of those, at most this many on the second aim (numbers closest to the baseline), which is the slow one for z3."""

MINIMIZED_EXAMPLES = 3
"""Monotonicity counterexamples made minimal and shown in full; for further items the solver's first is confirmed
and reported (in full in JSON), which keeps a policy with many failing items quick to check."""


class Verdict(NamedTuple):
    """One check's outcome, and each subject's (an invariant, an ordered item, a placement rule)."""

    status: str
    """proved, refuted or unknown."""
    subjects: dict[str, str]
    """For invariants and monotonicity: proved, refuted or unknown; for rules: fires or dead, decides or shadowed."""


class Unknown(NamedTuple):
    check: str
    subject: str
    reason: str


class ProofReport(NamedTuple):
    """What the proof found: the same definitions always give an equal report."""

    answer_sets: int
    """The size of the answer space: every complete, valid answer set the questionnaire allows."""
    solver: str
    verdicts: dict[str, Verdict]
    violations: list[Violation]
    unknown: list[Unknown]

    def passed(self, strict: bool = False) -> bool:
        """No check refuted or left unknown; dead and shadowed rules are warnings unless `strict`."""
        for check, verdict in self.verdicts.items():
            if verdict.status == UNKNOWN or (verdict.status == REFUTED and (strict or check in FAILING)):
                return False
        return True


def solver_version() -> str:
    return "z3 " + str(z3.get_version_string())


# --- the calm baseline and one step more severe ------------------------------------------------------------------


def _least(item: ItemVars) -> Any:
    definition = item.item.definition
    return kind_of(definition).extreme(definition, most_severe=False)


class _Prover:
    def __init__(self, assessor: Assessor, timeout: float) -> None:
        self.assessor = assessor
        self.definitions = assessor.definitions
        self.timeout_ms = max(1, int(timeout * 1000))
        self.timeout = timeout
        self.encoder = Encoder(self.definitions)
        self.space = self.encoder.space("")
        self.decision = self.encoder.decide(self.space)
        self.solver = self._solver(self.space.constraints)
        self.ok = z3.Not(self.decision.raises)
        self.violations: list[Violation] = []
        self.unknown: list[Unknown] = []

    def _solver(self, constraints: Iterable[Term]) -> Any:
        solver = z3.Solver()
        solver.set("timeout", self.timeout_ms)
        solver.add(*constraints)
        return solver

    def ask(self, solver: Any, *goal: Term) -> tuple[str, Any]:
        """Whether some answer set meets `goal`: (refuted-style 'sat' as a model, unsat, unknown)."""
        result = solver.check(*goal)
        if result == z3.sat:
            return "sat", solver.model()
        if result == z3.unsat:
            return "unsat", None
        return "unknown", solver.reason_unknown()

    def minimal(self, constraints: Iterable[Term], goal: Term, spaces: Iterable[Space], model: Any) -> Any:
        """A model of `goal` close to the calm baseline: each answer in questionnaire order is put back at its least
        severe (or unanswered) if the goal still holds without it, then the numbers are brought closer; all within
        a time budget, after which the best model so far is kept."""
        changes, distance = self._departures(spaces)
        solver = z3.Solver()
        solver.add(*constraints, goal)
        deadline = time.monotonic() + min(MINIMIZE_BUDGET, self.timeout)
        best = model
        kept: list[Term] = []  # answers put back at the baseline for good
        for change in changes:
            calm = z3.Not(change)
            if not z3.is_true(best.eval(change, model_completion=True)):
                kept.append(calm)
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                return best
            solver.set("timeout", max(1, int(min(left, 1.0) * 1000)))
            if solver.check(*kept, calm) == z3.sat:
                best = solver.model()
                kept.append(calm)
        solver.add(*kept)
        deadline = min(deadline, time.monotonic() + DISTANCE_BUDGET)
        known_too_low = -1  # a bound no model meets
        bound = best.eval(distance, model_completion=True).as_long()
        while bound - known_too_low > 1:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            middle = (bound + known_too_low) // 2
            solver.set("timeout", max(1, int(left * 1000)))
            found = solver.check(distance <= middle)
            if found == z3.sat:
                best = solver.model()
                bound = best.eval(distance, model_completion=True).as_long()
            elif found == z3.unsat:
                known_too_low = middle
            else:
                break
        return best

    def _departures(self, spaces: Iterable[Space]) -> tuple[list[Term], Term]:
        """How many answers differ from the calm baseline (each ticked or unticked choice counts), and how far the
        numbers are from it."""
        changes: list[Term] = []
        distance: list[Term] = []
        for space in spaces:
            for item in space.items.values():
                definition = item.item.definition
                least = _least(item)
                if not definition.required:
                    changes.append(item.answered)
                elif isinstance(definition, MultiChoiceItem):
                    for choice, flag in zip(definition.choices, item.raw, strict=True):
                        changes.append(z3.And(item.present, flag != (str(choice.value) in least)))
                else:
                    changes.append(z3.And(item.present, z3.Not(self.encoder.equals(item, least))))
                if isinstance(definition, IntegerItem) or (
                    isinstance(definition, ChoiceItem) and isinstance(least, int) and not isinstance(least, bool)
                ):
                    gap = item.raw[0] - least
                    distance.append(z3.If(item.present, z3.If(gap >= 0, gap, -gap), 0))
        return changes, z3.Sum(distance) if distance else z3.IntVal(0)

    def not_confirmed(self, check: str, subject: str) -> None:
        self.unknown.append(
            Unknown(
                check,
                subject,
                "the engine does not confirm the solver's example: a fault in carecheck's encoding, please report it",
            )
        )

    def gave_up(self, check: str, subject: str, reason: str) -> None:
        why = f"the solver gave up within {self.timeout:g} s ({reason})" if reason else "the solver gave up"
        self.unknown.append(Unknown(check, subject, why + "; not proved"))

    # --- the engine's word on an answer file ---

    def result(self, answers: dict[str, Any]) -> Result | None:
        """The engine's result for a complete, valid answer file, or None when assessing it raises."""
        try:
            result = self.assessor.assess(answers)
        except AnswersError:
            raise AssertionError("the solver's answer file does not fit the questionnaire") from None
        except Exception:
            return None
        assert result.warnings == (), result.warnings
        return result

    def environment(self, answers: dict[str, Any]) -> dict[str, Any] | None:
        result = self.result(answers)
        if result is None:
            return None
        env = self.assessor.environment(result.answers)[0]
        env["level"] = result.level
        env["urgent"] = result.urgent
        env["screen_positive"] = result.screen_positive
        env[FIRED] = frozenset(reason.rule for reason in result.reasons)
        return env

    # --- the checks ---

    def invariants(self) -> Verdict:
        subjects: dict[str, str] = {}
        descriptions = {i.id: i.description for i in self.assessor.rules.rules.invariants}
        for invariant, when, expect in self.definitions.invariants:
            when_holds, when_raises = self.encoder.test(when.tree, self.decision)
            expect_holds, expect_raises = self.encoder.test(expect.tree, self.decision)
            broken = z3.And(self.ok, z3.Or(when_raises, z3.And(when_holds, z3.Or(expect_raises, z3.Not(expect_holds)))))
            status, model = self.ask(self.solver, broken)
            if status == "unknown":
                subjects[invariant] = UNKNOWN
                self.gave_up(INVARIANTS, invariant, model)
                continue
            if status == "unsat":
                subjects[invariant] = PROVED
                continue
            model = self.minimal(self.space.constraints, broken, [self.space], model)
            answers = self.encoder.answers(self.space, model)
            env = self.environment(answers)
            if env is None or not _breaks(when.holds, expect.holds, env):
                subjects[invariant] = UNKNOWN
                self.not_confirmed(INVARIANTS, invariant)
                continue
            subjects[invariant] = REFUTED
            result = self.assessor.assess(answers)
            message = (
                f"Invariant {invariant} does not hold. {descriptions[invariant]} Here `{when.source}` holds but "
                f"`{expect.source}` does not: the result is {result.level} ({_deciding(result)}), urgent "
                f"{'yes' if result.urgent else 'no'}."
            )
            self.violations.append(Violation(INVARIANTS, invariant, message, answers))
        return Verdict(_overall(subjects.values()), subjects)

    def completeness(self) -> Verdict:
        subject = self.assessor.rules.rules.id
        status, model = self.ask(self.solver, self.decision.raises)
        if status == "unknown":
            self.gave_up(COMPLETENESS, subject, model)
            return Verdict(UNKNOWN, {subject: UNKNOWN})
        if status == "unsat":
            return Verdict(PROVED, {subject: PROVED})
        model = self.minimal(self.space.constraints, self.decision.raises, [self.space], model)
        answers = self.encoder.answers(self.space, model)
        try:
            self.assessor.assess(answers)
        except Exception as error:  # what the check looks for: the engine cannot assess these answers
            message = f"These answers get no proper result: assessing them raises {type(error).__name__}: {error}."
            self.violations.append(Violation(COMPLETENESS, subject, message, answers))
            return Verdict(REFUTED, {subject: REFUTED})
        self.not_confirmed(COMPLETENESS, subject)
        return Verdict(UNKNOWN, {subject: UNKNOWN})

    def rules(self) -> tuple[Verdict, Verdict]:
        """Dead rules (proved never to fire) and shadowed ones (proved never to decide the level)."""
        dead: dict[str, str] = {}
        shadowed: dict[str, str] = {}
        for index, rule in enumerate(self.definitions.placement):
            fires = z3.And(self.ok, self.decision.fires[index])
            status, model = self.ask(self.solver, fires)
            if status == "unknown":
                dead[rule.id] = UNKNOWN
                self.gave_up(DEAD_RULE, rule.id, model)
                continue
            if status == "unsat":
                dead[rule.id] = "dead"
                message = (
                    f"Rule {rule.id} never fires: no answer set the questionnaire allows makes "
                    f"`{rule.condition.source}` hold (proved). It may read a question that is not asked when the rest "
                    "of it holds."
                )
                self.violations.append(Violation(DEAD_RULE, rule.id, message, {}))
                continue
            answers = self.encoder.answers(self.space, model)
            result = self.result(answers)
            if result is None or rule.id not in {reason.rule for reason in result.reasons}:
                dead[rule.id] = UNKNOWN
                self.not_confirmed(DEAD_RULE, rule.id)
                continue
            dead[rule.id] = "fires"
            decides = z3.And(self.ok, self.decision.deciding(index))
            status, found = self.ask(self.solver, decides)
            if status == "unknown":
                shadowed[rule.id] = UNKNOWN
                self.gave_up(SHADOWED_RULE, rule.id, found)
            elif status == "sat":
                shadowed[rule.id] = "decides"
            else:
                shadowed[rule.id] = self.shadowed(index, fires, model)
        dead_status = UNKNOWN if UNKNOWN in dead.values() else REFUTED if "dead" in dead.values() else PROVED
        shadow_status = (
            UNKNOWN if UNKNOWN in shadowed.values() else REFUTED if "shadowed" in shadowed.values() else PROVED
        )
        return Verdict(dead_status, dead), Verdict(shadow_status, shadowed)

    def shadowed(self, index: int, fires: Term, model: Any) -> str:
        rule = self.definitions.placement[index]
        model = self.minimal(self.space.constraints, fires, [self.space], model)
        answers = self.encoder.answers(self.space, model)
        result = self.result(answers)
        reason = None if result is None else next((r for r in result.reasons if r.rule == rule.id), None)
        if result is None or reason is None or reason.deciding:
            self.not_confirmed(SHADOWED_RULE, rule.id)
            return UNKNOWN
        message = (
            f"Rule {rule.id} never decides the level (proved): whenever it fires, another rule asks for more. Here, on "
            f"the simplest answers it fires on, it asks for {reason.level} and the result is {result.level} "
            f"({_deciding(result)}). Without it no level would change; it only adds a reason to the explanation."
        )
        self.violations.append(Violation(SHADOWED_RULE, rule.id, message, answers))
        return "shadowed"

    # --- monotonicity ---

    def monotonicity(self) -> Verdict:
        """For each item with a severity order and each answer set where it is answered: that answer one step more
        severe (other answers kept; questions it opens get their least severe answer, or any answer where none is
        less severe, optional ones none; questions it closes dropped) never lowers the level."""
        before, after = self.space, self.encoder.space("after:")
        later = self.encoder.decide(after)
        ordered = [item for item in self.definitions.items if item.definition.severity]
        if not ordered:
            return Verdict(PROVED, {})
        which = z3.Int("after:stepped")
        relation: list[Term] = [which >= 0, which < len(ordered)]
        position = {item.id: index for index, item in enumerate(ordered)}
        for item_id, old in before.items.items():
            new = after.items[item_id]
            carried = self._carried(old, new)
            if item_id in position:
                relation.append(z3.If(which == position[item_id], self._stepped(old, new), carried))
            else:
                relation.append(carried)
        constraints = [*before.constraints, *after.constraints, *relation]
        solver = self._solver(constraints)
        lowered = z3.And(self.ok, z3.Not(later.raises), later.final < self.decision.final)
        subjects = dict.fromkeys((item.id for item in ordered), PROVED)
        found: list[int] = []
        while True:
            excluded = [which != index for index in found]
            status, model = self.ask(solver, lowered, *excluded)
            if status == "unsat":
                break
            if status == "unknown":
                for item in ordered:
                    if subjects[item.id] == PROVED and position[item.id] not in found:
                        subjects[item.id] = UNKNOWN
                self.gave_up(MONOTONICITY, "one step more severe", model)
                break
            index = model.eval(which).as_long()
            found.append(index)
            item = ordered[index]
            if len(found) <= MINIMIZED_EXAMPLES:
                model = self.minimal(constraints, z3.And(lowered, which == index), [before], model)
            first, second = self.encoder.answers(before, model), self.encoder.answers(after, model)
            one, two = self.result(first), self.result(second)
            levels = self.definitions.level_index
            if one is None or two is None or levels[two.level] >= levels[one.level]:
                subjects[item.id] = UNKNOWN
                self.not_confirmed(MONOTONICITY, item.id)
                continue
            subjects[item.id] = REFUTED
            message = (
                f"A more severe answer to {item.id} ({said(first.get(item.id))} -> {said(second.get(item.id))}) "
                f"lowers the level from {one.level} ({_deciding(one)}) to {two.level} ({_deciding(two)})."
            )
            self.violations.append(Violation(MONOTONICITY, item.id, message, first, second))
        return Verdict(_overall(subjects.values()), subjects)

    def _carried(self, old: ItemVars, new: ItemVars) -> Term:
        """An item the step does not change: kept where asked both times; where newly asked, its least severe answer
        (any answer, where none is less severe; none, for an optional question); absent where no longer asked."""
        definition = old.item.definition
        same = [new.answered == old.answered, *(a == b for a, b in zip(old.raw, new.raw, strict=True))]
        if not definition.required:
            fresh = z3.Not(new.answered)
        elif definition.severity:
            fresh = self.encoder.equals(new, _least(new))
        else:
            fresh = TRUE
        return z3.And(
            z3.Implies(z3.And(old.asked, new.asked), z3.And(*same)),
            z3.Implies(z3.And(new.asked, z3.Not(old.asked)), fresh),
        )

    def _stepped(self, old: ItemVars, new: ItemVars) -> Term:
        """The item answered before, and its answer one step more severe after."""
        definition = old.item.definition
        up = definition.severity == "ascending"
        if isinstance(definition, IntegerItem):
            step = new.raw[0] == old.raw[0] + (1 if up else -1)
        elif isinstance(definition, BooleanItem):
            step = z3.And(old.raw[0] == (not up), new.raw[0] == up)
        elif isinstance(definition, ChoiceItem):
            values = [c.value for c in definition.choices]
            pairs = list(pairwise(values)) if up else [(high, low) for low, high in pairwise(values)]
            options = []
            for low, high in pairs:
                options.append(z3.And(self.encoder.equals(old, low), self.encoder.equals(new, high)))
            step = z3.Or(*options) if options else FALSE
        elif isinstance(definition, MultiChoiceItem):
            options = []
            for index in range(len(old.raw)):
                others = [old.raw[i] == new.raw[i] for i in range(len(old.raw)) if i != index]
                options.append(z3.And(old.raw[index] == (not up), new.raw[index] == up, *others))
            step = z3.Or(*options)
        else:
            step = FALSE  # a free-text answer is never more severe than another
        return z3.And(old.present, new.answered, step)


def _breaks(when: Callable[[Any], bool], expect: Callable[[Any], bool], env: dict[str, Any]) -> bool:
    try:
        return when(env) and not expect(env)
    except Exception:  # an invariant that cannot be evaluated does not hold
        return True


def _overall(statuses: Iterable[str]) -> str:
    found = set(statuses)
    return UNKNOWN if UNKNOWN in found else REFUTED if REFUTED in found else PROVED


def _deciding(result: Result) -> str:
    rules = [reason.rule for reason in result.reasons if reason.deciding]
    return ("decided by " + ", ".join(rules)) if rules else "no rule fired"


def prove(assessor: Assessor, timeout: float = DEFAULT_TIMEOUT) -> ProofReport:
    """Decide every check over all answer sets the questionnaire allows: invariants, monotonicity, completeness,
    dead and shadowed rules. Each finding comes with answers the engine confirms; a solver time-out (`timeout`
    seconds for one question) makes a check unknown, never passed."""
    verdicts: dict[str, Verdict] = {}
    try:
        prover = _Prover(assessor, timeout)
    except UnsupportedError as error:
        why = f"the condition language is used in a way the solver cannot state exactly: {error}"
        unknown = [Unknown(check, assessor.rules.rules.id, why) for check in CHECKS]
        verdicts = {check: Verdict(UNKNOWN, {}) for check in CHECKS}
        return ProofReport(count_answer_sets_of(assessor), solver_version(), verdicts, [], unknown)
    try:
        verdicts[INVARIANTS] = prover.invariants()
        verdicts[MONOTONICITY] = prover.monotonicity()
        verdicts[COMPLETENESS] = prover.completeness()
        verdicts[DEAD_RULE], verdicts[SHADOWED_RULE] = prover.rules()
    except UnsupportedError as error:
        why = f"the condition language is used in a way the solver cannot state exactly: {error}"
        for check in CHECKS:
            if check not in verdicts:
                verdicts[check] = Verdict(UNKNOWN, {})
                prover.unknown.append(Unknown(check, assessor.rules.rules.id, why))
    answer_sets = count_answer_sets(assessor.definitions, prover.encoder.strings)
    order = {check: index for index, check in enumerate(CHECKS)}
    violations = sorted(prover.violations, key=lambda v: order[v.check])
    return ProofReport(answer_sets, solver_version(), verdicts, violations, prover.unknown)


def count_answer_sets_of(assessor: Assessor) -> int:
    """The size of an assessor's answer space (see `encoding.count_answer_sets`)."""
    return count_answer_sets(assessor.definitions, Encoder(assessor.definitions).strings)


# --- presentation ---------------------------------------------------------------------------------------------------


def proof_dict(report: ProofReport, strict: bool = False) -> dict[str, Any]:
    """The report as plain data, for JSON."""
    return {
        "method": "proof",
        "solver": report.solver,
        "passed": report.passed(strict),
        "strict": strict,
        "answer_sets": report.answer_sets,
        "checks": {
            check: {"status": verdict.status, "subjects": dict(verdict.subjects)}
            for check, verdict in report.verdicts.items()
        },
        "violations": [violation._asdict() for violation in report.violations],
        "unknown": [entry._asdict() for entry in report.unknown],
    }


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _count(subjects: dict[str, str], status: str) -> list[str]:
    return [subject for subject, said in subjects.items() if said == status]


def _line(check: str, verdict: Verdict, everything: str) -> str:
    subjects = verdict.subjects
    total = len(subjects)
    if verdict.status == UNKNOWN:
        open_ = _count(subjects, UNKNOWN) or list(subjects)
        what = f" ({', '.join(open_)})" if open_ else ""
        return f"{check}: UNKNOWN: not proved, the solver could not decide it{what}"
    if check == INVARIANTS:
        if verdict.status == PROVED:
            return f"{check}: proved for all {everything} answer sets ({_plural(total, 'invariant')})"
        broken = _count(subjects, REFUTED)
        return f"{check}: REFUTED: invariants that fail: {len(broken)} of {total} ({', '.join(broken)})"
    if check == MONOTONICITY:
        if verdict.status == PROVED:
            return (
                f"{check}: proved for all {everything} answer sets ({total} ordered items, each one step more severe)"
            )
        broken = _count(subjects, REFUTED)
        items = f"{len(broken)} of {total} items: {', '.join(broken)}"
        return f"{check}: REFUTED: a more severe answer lowers the level ({items})"
    if check == COMPLETENESS:
        if verdict.status == PROVED:
            return f"{check}: proved for all {everything} answer sets (each gets exactly one level)"
        return f"{check}: REFUTED: some answer sets get no proper result"
    if check == DEAD_RULE:
        if verdict.status == PROVED:
            return f"{check}: proved: each of the {total} placement rules fires for some answer set"
        dead = _count(subjects, "dead")
        return f"{check}: review: placement rules that never fire, proved: {len(dead)} of {total} ({', '.join(dead)})"
    if verdict.status == PROVED:
        return f"{check}: proved: each of the {total} rules that fire decides the level for some answer set"
    shadowed = _count(subjects, "shadowed")
    return f"{check}: review: rules that never decide, proved: {len(shadowed)} of {total} ({', '.join(shadowed)})"


def proof_text(report: ProofReport, strict: bool = False) -> str:
    """The report in plain words: a line per check, then each finding with its answer file as YAML."""
    everything = f"{report.answer_sets:,}"
    lines = [f"Checked with a solver ({report.solver}) over every answer set the questionnaire allows: {everything}."]
    for check, verdict in report.verdicts.items():
        lines.append(_line(check, verdict, everything))
    shown: dict[str, int] = {}
    for violation in report.violations:
        lines += ["", f"{violation.check}: {violation.subject}"]
        lines += textwrap.wrap(violation.message, 100, initial_indent="  ", subsequent_indent="  ")
        shown[violation.check] = shown.get(violation.check, 0) + 1
        if shown[violation.check] > MINIMIZED_EXAMPLES:
            lines.append("  (Its answer files are in the --format json report.)")
            continue
        if violation.answers:
            lines += ["  Answers:", answers_yaml(violation.answers).rstrip("\n")]
        if violation.other is not None:
            lines += ["  The same, one answer more severe:", answers_yaml(violation.other).rstrip("\n")]
    for entry in report.unknown:
        lines += ["", f"{entry.check}: {entry.subject}: unknown"]
        lines += textwrap.wrap(entry.reason + ".", 100, initial_indent="  ", subsequent_indent="  ")
    lines.append("")
    if report.passed(strict):
        warned = any(v.status == REFUTED for c, v in report.verdicts.items() if c not in FAILING)
        lines.append("Passed, with warnings to review above." if warned else "Passed.")
    else:
        lines.append("Failed: the policy is not proved sound; see the findings above.")
    return "\n".join(lines) + "\n"
