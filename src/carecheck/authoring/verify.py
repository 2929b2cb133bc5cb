"""Soundness checks of a placement policy over sampled answer sets: invariants, monotonicity, completeness, and
placement rules that never fire (dead) or never decide (shadowed). Pure: deterministic for a seed, no I/O.
"""

from __future__ import annotations

import random
import textwrap
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import yaml

from carecheck.core.assessor import Assessor
from carecheck.core.compiled import CompiledItem
from carecheck.core.conditions import FIRED, Evaluate
from carecheck.core.definitions import Item
from carecheck.core.errors import UsageError
from carecheck.core.items import kind_of
from carecheck.core.result import Result
from carecheck.core.sampling import random_answers

INVARIANTS = "invariants"
MONOTONICITY = "monotonicity"
COMPLETENESS = "completeness"
DEAD_RULE = "dead-rule"
SHADOWED_RULE = "shadowed-rule"
CHECKS = (INVARIANTS, MONOTONICITY, COMPLETENESS, DEAD_RULE, SHADOWED_RULE)
FAILING = frozenset({INVARIANTS, MONOTONICITY, COMPLETENESS})
"""Checks whose violations make a policy unsound; dead and shadowed rules are advice for its author."""

_UNITS = {
    INVARIANTS: "answer sets an invariant applied to",
    MONOTONICITY: "one-step more severe answers",
    COMPLETENESS: "answer sets, sampled or one answer more severe",
    DEAD_RULE: "placement rules",
    SHADOWED_RULE: "placement rules that fired",
}


class Violation(NamedTuple):
    """One finding, with a minimal answer set that shows it (complete and valid: `carecheck assess` accepts it)."""

    check: str
    subject: str
    """The invariant, item or placement rule concerned."""
    message: str
    answers: dict[str, Any]
    other: dict[str, Any] | None = None
    """For monotonicity: the same answers with one answer made more severe."""


class Tally(NamedTuple):
    """How many cases one check looked at, and how many of them failed."""

    checked: int
    failed: int


class Report(NamedTuple):
    """What `verify` found: the same assessor, samples and seed always give an equal report."""

    samples: int
    seed: int
    checks: tuple[str, ...]
    violations: list[Violation]
    tallies: dict[str, Tally]
    """Per check: how many cases were checked and how many failed."""
    coverage: dict[str, int]
    """Per invariant: on how many sampled answer sets its `when` held (0 means it was never tested)."""

    @property
    def passed(self) -> bool:
        """True when no invariant, monotonicity or completeness check failed (dead or shadowed rules may remain)."""
        return not any(v.check in FAILING for v in self.violations)


# --- answers at the ends of each item's range, and one step along it ---------------------------------------------


def _least(item: Item) -> Any:
    return kind_of(item).extreme(item, most_severe=False)


def _move(item: Item, value: Any, rng: random.Random) -> tuple[str | None, Any] | None:
    """`value` made one step more severe, with the choice added (or, for a descending multiple choice, removed),
    picked at random; None when the answer is already the most severe."""
    kind = kind_of(item)
    choice = None
    if kind.takes_list:
        choices = kind.step_choices(item, value)
        if not choices:
            return None
        choice = rng.choice(choices)
    new = kind.stepped(item, value, choice)
    return None if new is None else (choice, new)


def said(value: Any) -> str:
    """An answer as verify's reports quote it: yes/no, a list in brackets, 'not asked' for an absent one."""
    if value is None:
        return "not asked"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    return str(value)


# --- the checker --------------------------------------------------------------------------------------------------

Answers = dict[str, Any]
Fill = Callable[[CompiledItem], Any]


class _Found(NamedTuple):
    """The first sample that showed a finding (and, for monotonicity, its more severe twin), and how often it showed."""

    answers: Answers
    other: Answers | None
    times: int


def _note(found: dict[Any, _Found], key: Any, answers: Answers, other: Answers | None = None) -> None:
    first = found.get(key)
    found[key] = _Found(answers, other, 1) if first is None else first._replace(times=first.times + 1)


class _Verifier:
    """One run of the checks: samples answer sets, judges them, and turns what it finds into minimal examples."""

    def __init__(self, assessor: Assessor, seed: int) -> None:
        self.assessor = assessor
        self.items = assessor.items
        self.rng = random.Random(seed)
        self.fill_rng = random.Random(self.rng.getrandbits(64))
        self.level_index = {level: index for index, level in enumerate(assessor.levels)}
        self.gating = frozenset(name for item in self.items for c in item.conditions for name in c.names)
        read = {item_id for rule in assessor.placement for item_id in rule.items}
        # An answer that no rule reads and no question depends on cannot change the level.
        self.stepped_items = tuple(
            item for item in self.items if item.definition.severity and (item.id in read or item.id in self.gating)
        )
        # The engine's own decision, as generated code: monotonicity asks for one per one-step change.
        self.decide = assessor.generated().decide
        groups: list[tuple[Any, list[tuple[CompiledItem, Evaluate | None]]]] = []
        for item in self.items:  # items grouped by section, so that a section's condition is read once
            if not groups or groups[-1][0] is not item.section_when:
                groups.append((item.section_when, []))
            groups[-1][1].append((item, item.own_when.evaluate if item.own_when else None))
        self.groups = tuple((when.evaluate if when else None, tuple(members)) for when, members in groups)
        # For each answer other questions depend on, one question per distinct asked-if: if none of these changes
        # whether it is asked, a new answer changes no question's being asked.
        self.guards: dict[str, tuple[CompiledItem, ...]] = {}
        for gate in self.gating:
            dependants = {item.conditions: item for item in reversed(self.items) if gate in _names(item)}
            self.guards[gate] = tuple(dependants.values())
        self.invariants = {invariant[0]: invariant for invariant in assessor.invariants}
        self.descriptions = {i.id: i.description for i in assessor.rules.rules.invariants}

    # --- answer sets ---

    def settle(self, answers: Mapping[str, Any], fill: Fill) -> tuple[Answers, dict[str, Any]]:
        """Answers made consistent with branching, in questionnaire order and normal form: items no longer asked are
        dropped, newly asked ones get `fill` (optional ones stay unanswered). Returns the answers and the values the
        engine reads."""
        raw: Answers = {}
        values: dict[str, Any] = {}
        for section_when, members in self.groups:
            section_asked = section_when is None or section_when(values)
            for item, own_when in members:
                value = None
                if section_asked and (own_when is None or own_when(values)):
                    value = answers[item.id] if item.id in answers else fill(item) if item.definition.required else None
                if value is None:
                    values[item.id] = None
                    continue
                # Answers here are in normal form already, but for a multiple choice's list (the engine reads a tuple).
                normal = item.coerce(value) if isinstance(value, list) else value
                values[item.id] = normal
                raw[item.id] = list(normal) if isinstance(normal, tuple) else normal
        return raw, values

    def least_fill(self, item: CompiledItem) -> Any:
        return _least(item.definition)

    def step_fill(self, item: CompiledItem) -> Any:
        """For a question a more severe answer opens: its least severe answer, or any answer if none is less severe."""
        definition = item.definition
        kind = kind_of(definition)
        return _least(definition) if definition.severity else kind.sample_edges(definition, self.fill_rng)

    def sample(self, index: int) -> Answers:
        """Half purely random answer sets. The other half are pushed to the ends of each range, so that rare
        combinations (acute suicide risk, severe withdrawal now) come up often: each answer is at its least or most
        severe, or random, with chances drawn afresh for each answer set, or, every other time, for each section
        (half of them quiet), so that one severe instrument also shows up on its own."""
        rng = self.rng
        if index % 2 == 0:
            return self.settle(random_answers(self.assessor, rng), self.least_fill)[0]
        whole = (rng.random(), rng.random() * 0.5) if index % 4 == 1 else None
        chances: dict[str, tuple[float, float]] = {}
        answers: Answers = {}
        values: dict[str, Any] = {}
        for item in self.items:
            definition = item.definition
            values[item.id] = None
            if whole is None and item.section not in chances:
                chances[item.section] = (0.0, 0.0) if rng.random() < 0.5 else (rng.random(), rng.random() * 0.5)
            severe, wild = whole or chances[item.section]
            if not item.asked(values) or (not definition.required and rng.random() < 0.5):
                continue
            draw = rng.random()
            if not definition.severity or draw < wild:
                value = kind_of(definition).sample_edges(definition, rng)
            elif draw < wild + (1 - wild) * severe:
                value = kind_of(definition).extreme(definition, most_severe=True)
            else:
                value = _least(definition)
            values[item.id] = item.coerce(value)
            answers[item.id] = list(values[item.id]) if kind_of(definition).takes_list else value
        return answers

    def step(
        self, answers: Answers, values: Mapping[str, Any], item: CompiledItem, choice: str | None, fill: Fill
    ) -> tuple[Answers, dict[str, Any]] | None:
        """The answers (and values) with `item` one step more severe, branching re-derived; None if it cannot move."""
        if item.id not in answers:
            return None
        new = kind_of(item.definition).stepped(item.definition, answers[item.id], choice)
        if new is None:
            return None
        changed = dict(answers)
        changed[item.id] = new
        if item.id in self.gating:
            return self.settle(changed, fill)
        changed_values = dict(values)
        changed_values[item.id] = item.coerce(new)
        return changed, changed_values

    # --- outcomes ---

    def outcome(self, answers: Answers) -> tuple[Result | None, dict[str, Any], str | None]:
        """The engine's result; the environment an invariant reads (answers, scores, derived values and, for
        `expect`, the outcome); and why the answers get no proper result, if they do not (completeness)."""
        assessor = self.assessor
        values = assessor.check(answers)[0]  # AnswersError here is a fault of verify's sampling: let it out
        try:
            result = assessor.evaluate(values)
            env = assessor.environment(values)[0]
        except Exception as error:
            return None, {}, f"assessing them raises {type(error).__name__}: {error}"
        env["level"] = result.level
        env["urgent"] = result.urgent
        env["screen_positive"] = result.screen_positive
        env[FIRED] = frozenset(reason.rule for reason in result.reasons)
        fault = None
        deciding = {reason.level for reason in result.reasons if reason.deciding}
        if result.level not in self.level_index:
            fault = f"the level {result.level!r} is not one of {', '.join(assessor.levels)}"
        elif deciding - {result.level} or (result.reasons and not deciding):
            fault = f"the deciding rules ask for {', '.join(sorted(deciding)) or 'no level'}, not {result.level}"
        return result, env, fault

    def broken(self, invariant: str, answers: Answers) -> bool:
        _, when, expect = self.invariants[invariant]
        result, env, _ = self.outcome(answers)
        return result is not None and when.holds(env) and not expect.holds(env)

    def lowered(self, answers: Answers, item: CompiledItem, choice: str | None) -> Answers | None:
        """The answers with `item` one step more severe, if that lowers the level (by the engine); else None."""
        values = self.assessor.check(answers)[0]
        after = self.step(answers, values, item, choice, self.least_fill)
        if after is None:
            return None
        before_level = self.level_index[self.assessor.evaluate(values).level]
        return after[0] if self.level_index[self.assessor.evaluate(after[1]).level] < before_level else None

    def shrink(self, answers: Answers, still: Callable[[Answers], bool]) -> Answers:
        """Greedily move each answer, in questionnaire order, to its simplest value (the least severe, the first
        choice or minimum, or no answer for an optional question) while the finding still holds; repeat until
        nothing changes."""
        current = answers
        for _ in range(len(self.items)):  # each pass that changes something moves an answer to its simplest for good
            changed = False
            for item in self.items:
                if item.id not in current:
                    continue
                candidate = dict(current)
                if item.definition.required:
                    simplest = _least(item.definition)
                    if current[item.id] == simplest:
                        continue
                    candidate[item.id] = simplest
                else:
                    del candidate[item.id]
                candidate = self.settle(candidate, self.least_fill)[0]
                if candidate != current and still(candidate):
                    current, changed = candidate, True
            if not changed:
                break
        self.assessor.check(current)  # still complete and valid
        return current

    # --- the run ---

    def run(self, samples: int, seed: int) -> Report:
        assessor = self.assessor
        coverage = dict.fromkeys(self.invariants, 0)
        broken: dict[str, _Found] = {}
        lowered: dict[tuple[str, str | None], _Found] = {}
        faults: dict[str, _Found] = {}
        fired = dict.fromkeys((rule.id for rule in assessor.placement), 0)
        decided = dict(fired)
        fired_on: dict[str, list[Answers]] = {}
        steps = 0
        for index in range(samples):
            answers = self.sample(index)
            result, env, fault = self.outcome(answers)
            if result is None or fault is not None:
                _note(faults, fault, answers)
                continue
            for reason in result.reasons:
                fired[reason.rule] += 1
                decided[reason.rule] += reason.deciding
                if not reason.deciding and len(fired_on.setdefault(reason.rule, [])) < 3:
                    fired_on[reason.rule].append(answers)
            for invariant, when, expect in assessor.invariants:
                if when.holds(env):
                    coverage[invariant] += 1
                    if not expect.holds(env):
                        _note(broken, invariant, answers)
            values = result.answers
            steps += self.steps(answers, values, self.level_index[result.level], lowered, faults)

        violations = [self.invariant_violation(invariant, found, samples) for invariant, found in broken.items()]
        for item in self.stepped_items:
            cases = [(choice, found) for (item_id, choice), found in lowered.items() if item_id == item.id]
            if cases:
                violations.append(self.monotonicity_violation(item, cases))
        for fault, found in faults.items():
            violations.append(self.completeness_violation(fault, found))
        for rule in assessor.placement:
            if not fired[rule.id]:
                message = (
                    f"No answer set of {samples} made rule {rule.id} fire: its condition `{rule.condition.source}` "
                    "may never hold (for example, it reads a question that is not asked when the rest of it holds), "
                    "or it holds only for rare answers."
                )
                violations.append(Violation(DEAD_RULE, rule.id, message, {}))
            elif not decided[rule.id]:
                shadowed = self.shadowed_violation(rule.id, fired[rule.id], fired_on[rule.id])
                if shadowed is None:
                    decided[rule.id] = 1
                else:
                    violations.append(shadowed)

        def failures(found: dict[Any, _Found]) -> int:
            return sum(f.times for f in found.values())

        tallies = {
            INVARIANTS: Tally(sum(coverage.values()), failures(broken)),
            MONOTONICITY: Tally(steps, failures(lowered)),
            COMPLETENESS: Tally(samples + steps, failures(faults)),
            DEAD_RULE: Tally(len(fired), sum(1 for count in fired.values() if not count)),
            SHADOWED_RULE: Tally(
                sum(1 for count in fired.values() if count), sum(1 for r in fired if fired[r] and not decided[r])
            ),
        }
        return Report(samples, seed, CHECKS, violations, tallies, coverage)

    def steps(
        self,
        answers: Answers,
        values: Mapping[str, Any],
        level: int,
        lowered: dict[Any, _Found],
        faults: dict[Any, _Found],
    ) -> int:
        """Make each answer in turn one step more severe; note those that lower the level (or that the engine cannot
        assess). Returns how many."""
        count = 0
        for item in self.stepped_items:
            move = _move(item.definition, answers[item.id], self.fill_rng) if item.id in answers else None
            if move is None:
                continue
            choice, new = move
            count += 1
            if item.id in self.gating and self.branches(values, item, new):
                after, after_values = self.settle(answers | {item.id: new}, self.step_fill)
                updates = {key: value for key, value in after_values.items() if values[key] != value}
            else:
                after, updates = answers | {item.id: new}, {item.id: item.coerce(new)}
            try:
                new_level = self.decide({**values, **updates}).final
            except Exception:
                fault = self.outcome(after)[2]
                if fault is None:
                    raise
                _note(faults, fault, after)
                continue
            if new_level < level:
                _note(lowered, (item.id, choice), answers, after)
        return count

    def branches(self, values: Mapping[str, Any], item: CompiledItem, new: Any) -> bool:
        """Whether this new answer changes which questions are asked."""
        changed = dict(values)
        changed[item.id] = item.coerce(new)
        return any(guard.asked(changed) != guard.asked(values) for guard in self.guards[item.id])

    # --- findings in words ---

    def invariant_violation(self, invariant: str, found: _Found, samples: int) -> Violation:
        minimal = self.shrink(found.answers, lambda answers: self.broken(invariant, answers))
        _, when, expect = self.invariants[invariant]
        result, _, _ = self.outcome(minimal)
        assert result is not None
        message = (
            f"Invariant {invariant} does not hold. {self.descriptions[invariant]} Here `{when.source}` holds but "
            f"`{expect.source}` does not: the result is {result.level} ({_deciding(result)}), urgent "
            f"{said(result.urgent)}. It failed on {found.times} of {samples} answer sets."
        )
        return Violation(INVARIANTS, invariant, message, minimal)

    def monotonicity_violation(self, item: CompiledItem, cases: list[tuple[str | None, _Found]]) -> Violation:
        choice, found = cases[0]
        minimal, after = found.answers, found.other
        if self.lowered(minimal, item, choice) is not None:  # else a question it opens needs the answer it was given
            minimal = self.shrink(minimal, lambda answers: self.lowered(answers, item, choice) is not None)
            after = self.lowered(minimal, item, choice)
        assert after is not None
        before, later = self.assessor.assess(minimal), self.assessor.assess(after)
        count = sum(found.times for _, found in cases)
        message = (
            f"A more severe answer to {item.id} ({said(minimal[item.id])} -> {said(after[item.id])}) lowers the "
            f"level from {before.level} ({_deciding(before)}) to {later.level} ({_deciding(later)}). "
            f"Seen in {count} one-step changes."
        )
        return Violation(MONOTONICITY, item.id, message, minimal, after)

    def completeness_violation(self, fault: str, found: _Found) -> Violation:
        minimal = self.shrink(found.answers, lambda answers: self.outcome(answers)[2] == fault)
        message = f"These answers get no proper result: {fault}. Seen in {found.times} answer sets."
        return Violation(COMPLETENESS, self.assessor.rules.rules.id, message, minimal)

    def shadowed_violation(self, rule_id: str, count: int, samples: list[Answers]) -> Violation | None:
        """A rule that fired but never decided in the samples, unless the simplest answers it fires on (everything
        else least severe) let it decide after all: random answers tend to set off higher rules alongside."""

        def fires(candidate: Answers) -> bool:
            return any(r.rule == rule_id for r in self.assessor.assess(candidate).reasons)

        for answers in samples:
            minimal = self.shrink(answers, fires)
            result = self.assessor.assess(minimal)
            reason = next(r for r in result.reasons if r.rule == rule_id)
            if reason.deciding:
                return None
        message = (
            f"Rule {rule_id} fired on {count} answer sets but never decided the level: each time, another rule asked "
            f"for more. Even on the simplest answers it fires on, here, it asks for {reason.level} and the result is "
            f"{result.level} ({_deciding(result)}). Without it no level would change; it only adds a reason to the "
            "explanation."
        )
        return Violation(SHADOWED_RULE, rule_id, message, minimal)


def _names(item: CompiledItem) -> set[str]:
    return {name for condition in item.conditions for name in condition.names}


def _deciding(result: Result) -> str:
    rules = [reason.rule for reason in result.reasons if reason.deciding]
    return ("decided by " + ", ".join(rules)) if rules else "no rule fired"


def verify(assessor: Assessor, samples: int = 3000, seed: int = 1) -> Report:
    """Check a policy over `samples` answer sets drawn with `seed`: its invariants hold, a more severe answer never
    lowers the level, every answer set gets one level, and which placement rules never fire or never decide.

    The same assessor, samples and seed always give the same report.
    """
    if samples < 1:
        raise ValueError("samples must be at least 1")
    return _Verifier(assessor, seed).run(samples, seed)


SOLVER_MISSING = (
    "carecheck verify proves with the z3 solver, which is not installed: pip install 'carecheck[verify]' "
    "(or check by sampling: --method sampling)"
)


def require_solver() -> None:
    """Raise a UsageError saying how to install z3, unless it can be imported (the proof needs it)."""
    try:
        import z3  # noqa: F401  # only to learn whether it is there
    except ImportError:
        raise UsageError(SOLVER_MISSING) from None


# --- presentation ---------------------------------------------------------------------------------------------------


def report_dict(report: Report) -> dict[str, Any]:
    """The report as plain data, for JSON."""
    return {
        "passed": report.passed,
        "samples": report.samples,
        "seed": report.seed,
        "checks": {
            check: {"checked": report.tallies[check].checked, "failed": report.tallies[check].failed}
            for check in report.checks
        },
        "invariant_coverage": dict(report.coverage),
        "violations": [violation._asdict() for violation in report.violations],
    }


def answers_yaml(answers: Mapping[str, Any]) -> str:
    text = yaml.safe_dump(dict(answers), sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)
    return "".join("    " + line for line in text.splitlines(keepends=True))


def report_text(report: Report) -> str:
    """The report in plain words: a line per check, then each finding with its minimal answer set as YAML."""
    lines = [f"Checked {report.samples} sampled answer sets (seed {report.seed})."]
    for check in report.checks:
        tally = report.tallies[check]
        verdict = "ok" if not tally.failed else "FAILED" if check in FAILING else "review"
        lines.append(
            f"{check}: {verdict}: {tally.checked - tally.failed} passed, {tally.failed} failed "
            f"({tally.checked} {_UNITS.get(check, 'cases')})"
        )
    untested = [invariant for invariant, count in report.coverage.items() if not count]
    if untested:
        lines.append(f"Never applied, so not tested: invariant {', '.join(untested)}.")
    for violation in report.violations:
        lines += ["", f"{violation.check}: {violation.subject}"]
        lines += textwrap.wrap(violation.message, 100, initial_indent="  ", subsequent_indent="  ")
        if violation.answers:
            lines += ["  Answers:", answers_yaml(violation.answers).rstrip("\n")]
        if violation.other is not None:
            lines += ["  The same, one answer more severe:", answers_yaml(violation.other).rstrip("\n")]
    lines.append("")
    lines.append("Passed." if report.passed else "Failed: the policy is not sound on the findings above.")
    return "\n".join(lines) + "\n"
