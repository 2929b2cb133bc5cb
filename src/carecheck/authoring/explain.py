"""`carecheck explain`: the whole trace of one assessment — every rule, fired or not, each part of its condition with
its value, the derived values, and why the final level won."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from carecheck.core.assessor import Assessor
from carecheck.core.conditions import Scope, Trace, trace
from carecheck.core.result import Result
from carecheck.core.safetext import literal


class DerivedTrace(NamedTuple):
    id: str
    value: Any
    because: str
    """The case that gave the value, or the expression, or 'no case held'."""


class RuleTrace(NamedTuple):
    rule: str
    fired: bool
    level: str | None
    deciding: bool
    condition: Trace


class ExplainReport(NamedTuple):
    result: Result
    scores: dict[str, tuple[int, str]]
    derived: tuple[DerivedTrace, ...]
    rules: tuple[RuleTrace, ...]
    why: str


def explain_answers(assessor: Assessor, answers: Mapping[str, Any]) -> ExplainReport:
    """Assess `answers` and trace how the result came about. Raises AnswersError like `assess`."""
    result = assessor.assess(answers)
    env, _ = assessor.environment(result.answers)
    scope = Scope(assessor.names)
    derived = []
    for spec in assessor.derived:
        if spec.expr is not None:
            because = spec.expr.source
        else:
            because = next((c.source for c, _ in spec.cases if c.evaluate(env)), "no case held: the default")
        derived.append(DerivedTrace(spec.id, env[spec.id], because))
    fired = {reason.rule: reason for reason in result.reasons}
    rules = tuple(
        RuleTrace(
            rule.id,
            rule.id in fired,
            fired[rule.id].level if rule.id in fired else None,
            fired[rule.id].deciding if rule.id in fired else False,
            trace(rule.condition.source, scope, env),
        )
        for rule in assessor.placement
    )
    deciding = [r.rule for r in result.reasons if r.deciding]
    if deciding:
        why = (
            f"The result is {result.level}: the highest level any fired rule asks for, asked by "
            f"{', '.join(deciding)}; no fired rule asks for more."
        )
    else:
        why = f"No placement rule fired, so the result is the lowest level, {result.level}, and the screen is negative."
    scores = {name: (score.total, score.band) for name, score in result.scores.items()}
    return ExplainReport(result, scores, tuple(derived), rules, why)


def _trace_dict(node: Trace) -> dict[str, Any]:
    value = list(node.value) if isinstance(node.value, tuple) else node.value
    return {"condition": node.text, "value": value, "parts": [_trace_dict(part) for part in node.parts]}


def report_dict(report: ExplainReport) -> dict[str, Any]:
    """The complete trace as JSON-ready data."""
    result = report.result
    return {
        "id": result.record_id,
        "level": result.level,
        "urgent": result.urgent,
        "screen_positive": result.screen_positive,
        "why": report.why,
        "scores": {name: {"total": total, "band": band} for name, (total, band) in report.scores.items()},
        "derived": [{"id": d.id, "value": d.value, "because": d.because} for d in report.derived],
        "rules": [
            {
                "rule": r.rule,
                "fired": r.fired,
                "level": r.level,
                "deciding": r.deciding,
                "trace": _trace_dict(r.condition),
            }
            for r in report.rules
        ],
        "program_types": list(result.program_types),
        "modalities": list(result.modalities),
        "warnings": list(result.warnings),
    }


def _shown(value: Any) -> str:
    if value is None:
        return "absent"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return literal(str(value))


def _lines(node: Trace, depth: int, limit: int) -> list[str]:
    lines = [f"{'    ' * depth}{literal(node.text)}  ->  {_shown(node.value)}"]
    if depth < limit:
        for part in node.parts:
            lines += _lines(part, depth + 1, limit)
    return lines


def report_text(report: ExplainReport, depth: int = 3) -> str:
    """A bounded, readable trace: fired rules in full, rules that did not fire with their condition and value."""
    out = [report.why, "", "Scores:"]
    out += [f"  {name}: {total} ({band})" for name, (total, band) in report.scores.items()]
    out += ["", "Derived values:"]
    out += [f"  {d.id} = {_shown(d.value)}   because {literal(d.because)}" for d in report.derived]
    out += ["", "Rules that fired:"]
    for rule in (r for r in report.rules if r.fired):
        mark = "decides" if rule.deciding else "fired"
        out.append(f"  {rule.rule} -> {rule.level} ({mark})")
        out += ["      " + line for line in _lines(rule.condition, 0, depth)]
    out += ["", "Rules that did not fire:"]
    for rule in (r for r in report.rules if not r.fired):
        if rule.condition.value:  # the condition held, but the level it reads from the answers is not a level
            out.append(f"  {rule.rule}: {literal(rule.condition.text)}  ->  true, but its level answer is not a level")
        else:
            out.append(f"  {rule.rule}: {literal(rule.condition.text)}  ->  false")
    result = report.result
    if result.warnings:
        out += ["", "Warnings:", *(f"  {literal(warning)}" for warning in result.warnings)]
    out += ["", f"Program types: {', '.join(result.program_types) or 'none'}"]
    out.append(f"Modalities: {', '.join(result.modalities) or 'none'}")
    return "\n".join(out) + "\n"
