"""Straight-line Python generated from checked condition trees: for compiled definitions, one function checks
answers already in normal form, one decides the outcome. A batch then pays no closure call per part of a condition.

Only trees that `conditions` has parsed and checked are translated. Every name becomes a local variable whose name
is a prefix and an identifier the definitions have validated; literals are written with `repr`; anything else (sets,
coercers, tables) is handed to the generated code as a constant. No text from a definition file or an answer is
ever compiled as code. The closures in `conditions` and `answers.check_answers` stay the reference: tests check
that the generated functions agree with them.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Iterable, Mapping
from itertools import compress
from typing import TYPE_CHECKING, Any, NamedTuple

from carecheck.core.compiled import say_value
from carecheck.core.conditions import FIRED, Compiled, Node
from carecheck.core.items import kind_of
from carecheck.core.result import Note, Outcome, Score

if TYPE_CHECKING:
    from carecheck.core.compiled import CompiledDefinitions, Template

_OPERATORS = {"==", "!=", "<", "<=", ">", ">=", "in", "not in"}
_HELPERS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda left, right: left is not None and right is not None and left == right,
    "!=": lambda left, right: left is not None and right is not None and left != right,
    "<": lambda left, right: left is not None and right is not None and left < right,
    "<=": lambda left, right: left is not None and right is not None and left <= right,
    ">": lambda left, right: left is not None and right is not None and left > right,
    ">=": lambda left, right: left is not None and right is not None and left >= right,
    "in": lambda left, right: left is not None and right is not None and left in right,
    "not in": lambda left, right: left is not None and right is not None and left not in right,
}
"""Comparisons of two computed values: both sides are evaluated before either is tested, as the closures do."""


class _Code:
    """Python source being written, with the constants it refers to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self._temps = 0

    def constant(self, value: Any) -> str:
        name = f"_k{len(self.constants)}"
        self.constants[name] = value
        return name

    def temp(self) -> str:
        self._temps += 1
        return f"_t{self._temps}"

    def add(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def run(self) -> dict[str, Any]:
        """The namespace the code defines its functions in."""
        namespace = dict(self.constants)
        # The source holds only what this module wrote: prefixed identifiers, repr'd literals and constant names.
        exec(compile("\n".join(self.lines) + "\n", "<carecheck generated>", "exec"), namespace)
        return namespace


def _local(prefix: str, name: str) -> str:
    """A local variable for a validated id; the prefix keeps it clear of keywords and of the generated helpers."""
    local = prefix + name
    if not local.isidentifier() or keyword.iskeyword(local):
        raise AssertionError(f"{name!r} is not a checked identifier")
    return local


def _literal(value: Any) -> str:
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, tuple) and all(isinstance(v, (bool, int, str)) for v in value):
        return repr(value)
    raise AssertionError(f"{value!r} is not a literal of the condition language")


class _Expressions:
    """Turns checked condition trees into Python expressions with exactly the closures' values."""

    def __init__(self, code: _Code, local: Mapping[str, str], fired: Mapping[str, str] | None = None) -> None:
        self.code = code
        self.local = local
        self.fired = fired
        """A local for each placement rule, true once it has fired; without them, `fired()` reads a set of ids."""

    def truth(self, node: Node) -> str:
        """An expression exactly as true or false as the node, for where only that counts (an `if`): `and`, `or`,
        `any` and `all` keep Python's own values there rather than turning each into a bool."""
        op = node.op
        if op == "call" and node.value in ("any", "all"):
            op = "or" if node.value == "any" else "and"
        if op in ("and", "or"):
            return "(" + f" {op} ".join(self.truth(arg) for arg in node.args) + ")"
        if op == "not":
            return f"(not {self.truth(node.args[0])})"
        return self.node(node)

    def node(self, node: Node) -> str:
        op = node.op
        if op == "literal":
            return _literal(node.value)
        if op == "list":
            return _literal(tuple(arg.value for arg in node.args))
        if op == "name":
            return self.local[node.value]
        if op == "not":
            return f"(not {self.node(node.args[0])})"
        if op in ("and", "or"):
            return self.chain(op, node.args)
        if op in _OPERATORS:
            return self.compare(node)
        assert op == "call", op
        return self.call(node)

    def chain(self, op: str, args: Iterable[Node]) -> str:
        parts = [self.node(arg) for arg in args]
        return parts[0] if len(parts) == 1 else "bool(" + f" {op} ".join(parts) + ")"

    def compare(self, node: Node) -> str:
        # The same shapes, in the same order, as conditions._Compiler._compare.
        op = node.op
        left, right = node.args
        if left.op == "name" and right.op in ("literal", "list"):
            value = self.local[left.value]
            if op in ("in", "not in"):
                members = self.code.constant(frozenset(self.constant_of(right)))
                return f"({value} is not None and {value} {op} {members})"
            return f"({value} is not None and {value} {op} {_literal(self.constant_of(right))})"
        if left.op == "literal" and right.op == "name" and op in ("in", "not in"):
            value = self.local[right.value]
            return f"({value} is not None and {_literal(left.value)} {op} {value})"
        if right.op in ("literal", "list"):
            temp = self.code.temp()
            return f"(({temp} := {self.node(left)}) is not None and {temp} {op} {_literal(self.constant_of(right))})"
        helper = self.code.constant(_HELPERS[op])
        return f"{helper}({self.node(left)}, {self.node(right)})"

    @staticmethod
    def constant_of(node: Node) -> Any:
        return tuple(arg.value for arg in node.args) if node.op == "list" else node.value

    def call(self, node: Node) -> str:
        name, args = node.value, node.args
        if name == "asked":
            return f"({self.node(args[0])} is not None)"
        if name == "has_any":
            present = self.local[args[0].value]
            wanted = self.code.constant(frozenset(arg.value for arg in args[1:]))
            return f"({present} is not None and not {wanted}.isdisjoint({present}))"
        if name == "fired":
            if self.fired is not None:
                return "(" + " or ".join(self.fired[rule] for rule in dict.fromkeys(arg.value for arg in args)) + ")"
            wanted = self.code.constant(frozenset(arg.value for arg in args))
            return f"(not {wanted}.isdisjoint({self.local[FIRED]}))"
        if name == "any":
            return self.chain("or", args)
        if name == "all":
            return self.chain("and", args)
        assert name == "count", name
        return "(" + " + ".join(f"(1 if {self.node(arg)} else 0)" for arg in args) + ")"


def evaluator(condition: Compiled, *, as_test: bool = False) -> Callable[[Mapping[str, Any]], Any]:
    """One condition as a generated function of an environment, for tests that hold it to the closures: their
    values, or only their truth (`as_test`, as the generated functions read conditions)."""
    code = _Code()
    local = {name: _local(f"n{index}_", name.replace(".", "_")) for index, name in enumerate(condition.names)}
    local[FIRED] = "o_fired"
    code.add(0, "def evaluate(env):")
    for name, variable in local.items():
        code.add(1, f"{variable} = env.get({_literal(name)})")
    expressions = _Expressions(code, local)
    code.add(1, f"return {expressions.truth(condition.tree) if as_test else expressions.node(condition.tree)}")
    function: Callable[[Mapping[str, Any]], Any] = code.run()["evaluate"]
    return function


# --- the functions for compiled definitions ---------------------------------------------------------------------------


class Generated(NamedTuple):
    """Compiled definitions' rules as generated functions."""

    check_and_decide: Callable[[Mapping[str, Any], bool], tuple[dict[str, Any] | None, Outcome] | None]
    """For answers that need no conversion and give no problem or warning (every key known, every asked answer
    already in its normal form, nothing given that was not asked): the checked values (when asked for) and the
    outcome. None for any other answers: `answers.check_answers` says what is wrong, and converts "yes" and "3"."""
    decide: Callable[[Mapping[str, Any]], Outcome]
    """The outcome for checked values, as `CompiledDefinitions.decide` computes it."""


def generate(definitions: CompiledDefinitions) -> Generated:
    """Write and compile the functions for compiled definitions (a few milliseconds: worth it for many answer sets)."""
    try:
        writer = _DefinitionsWriter(definitions)
        writer.code.add(0, "def check_and_decide(answers, with_values):")
        writer.check()
        values = "{" + ", ".join(f"{_literal(item.id)}: {writer.local[item.id]}" for item in definitions.items) + "}"
        writer.decide(f"({values} if with_values else None), ")
        writer.code.add(0, "def decide(values):")
        writer.code.add(1, "get = values.get")
        for item in definitions.items:
            writer.code.add(1, f"{writer.local[item.id]} = get({_literal(item.id)})")
        writer.decide("")
        namespace = writer.code.run()
    except (SyntaxError, RecursionError, MemoryError):
        # Conditions may nest deeper than Python's compiler allows (200 parentheses): such rules keep to the
        # closures, which are slower but give the same results.
        return Generated(_never_normal, definitions.decide)
    return Generated(namespace["check_and_decide"], namespace["decide"])


def _never_normal(answers: Mapping[str, Any], with_values: bool) -> None:
    return None


class _DefinitionsWriter:
    def __init__(self, definitions: CompiledDefinitions) -> None:
        self.definitions = definitions
        self.code = code = _Code()
        local: dict[str, str] = {item.id: _local("i_", item.id) for item in definitions.items}
        for instrument in definitions.instruments:
            local[instrument.id] = local[instrument.id + ".total"] = _local("t_", instrument.id)
            local[instrument.id + ".band"] = _local("b_", instrument.id)
        for derived in definitions.derived:
            local[derived.id] = _local("d_", derived.id)
        local |= {"level": "o_level", "urgent": "o_urgent", "screen_positive": "o_screen_positive"}
        self.local = local
        self.fired = {rule.id: f"f_{index}" for index, rule in enumerate(definitions.placement)}
        self.expressions = _Expressions(code, local, self.fired)
        # Values that may name a level are said by its name; the rest as say_value says them.
        self.say = {name: code.constant(definitions.say) for name in definitions.level_valued}
        self.say_value = code.constant(say_value)

    def check(self) -> None:
        """Statements that set a local for every item from `answers`, or return None where the full check must say
        what is wrong or convert an answer."""
        code, local, definitions = self.code, self.local, self.definitions
        code.add(1, f"if not {code.constant(definitions.known_keys)}.issuperset(answers):")
        code.add(2, "return None")
        code.add(1, "get = answers.get")
        code.add(1, "record_id = get('id')")
        code.add(1, "if record_id is not None and type(record_id) is not int:")
        code.add(2, "if type(record_id) is not str or not record_id.isascii():")
        code.add(3, "return None")
        code.add(1, "try:")
        section: Compiled | None = None
        group: list[str] = []

        def close_section() -> None:
            if section is not None:  # the section was not asked: none of its items may be answered
                code.add(2, "else:")
                for item_id in group:
                    code.add(3, f"if get({_literal(item_id)}) is not None:")
                    code.add(4, "return None")
                    code.add(3, f"{local[item_id]} = None")

        for item in definitions.items:
            if item.section_when is not section or not group:
                close_section()
                section, group = item.section_when, []
                code.add(2, "if True:" if section is None else f"if {self.expressions.truth(section.tree)}:")
            group.append(item.id)
            depth = 3
            value = local[item.id]
            code.add(depth, f"_r = get({_literal(item.id)})")
            if item.own_when is not None:
                code.add(depth, f"if not {self.expressions.truth(item.own_when.tree)}:")
                code.add(depth + 1, "if _r is not None:")
                code.add(depth + 2, "return None")
                code.add(depth + 1, f"{value} = None")
                code.add(depth, "else:")
                depth += 1
            definition = item.definition
            code.add(depth, "if _r is None:")
            code.add(depth + 1, "return None" if definition.required else f"{value} = None")
            normal = kind_of(definition).normal_form(definition)
            if normal is None:  # lists and text: the item's own coercer, which raises ValueError on anything else
                code.add(depth, "else:")
                code.add(depth + 1, f"{value} = {code.constant(item.coerce)}(_r)")
                continue
            if normal.type_name == "bool":
                code.add(depth, "elif _r is True or _r is False:")
            elif normal.allowed is not None:
                allowed = code.constant(normal.allowed)
                code.add(depth, f"elif type(_r) is {normal.type_name} and _r in {allowed}:")
            else:
                code.add(depth, f"elif type(_r) is {normal.type_name} and {normal.low!r} <= _r <= {normal.high!r}:")
            code.add(depth + 1, f"{value} = _r")
            code.add(depth, "else:")
            code.add(depth + 1, "return None")
        close_section()
        code.add(1, "except ValueError:")
        code.add(2, "return None")

    def decide(self, returned: str) -> None:
        """Statements that compute the outcome from the items' locals and return `returned` followed by it."""
        code, local, definitions, expressions = self.code, self.local, self.definitions, self.expressions
        score, note = code.constant(Score), code.constant(Note)
        code.add(1, "scores = {}")
        for instrument in definitions.instruments:
            total, band = local[instrument.id], local[instrument.id + ".band"]
            scored = [local[item_id] for item_id in instrument.scored]
            code.add(1, "if " + " and ".join(f"{value} is None" for value in scored) + ":")
            code.add(2, f"{total} = {band} = None")
            code.add(1, "else:")
            # Yes counts 1 and a choice its points, as sum() counts them; reversed items are corrected after.
            code.add(2, f"{total} = 0 + " + " + ".join(f"({value} or 0)" for value in scored))
            for item_id, flip in instrument.reversed:
                code.add(2, f"if {local[item_id]} is not None:")
                code.add(3, f"{total} += {flip!r} - 2 * {local[item_id]}")
            if instrument.band_by_total:
                # A ranged band follows from the total: one Score for each possible total, made here, once.
                bands = code.constant(instrument.band_by_total)
                made = code.constant(
                    tuple(Score(instrument.minimum + i, band) for i, band in enumerate(instrument.band_by_total))
                )
                code.add(2, f"{band} = {bands}[{total} - {instrument.minimum!r}]")
                code.add(2, f"scores[{_literal(instrument.id)}] = {made}[{total} - {instrument.minimum!r}]")
                continue
            for index, spec in enumerate(instrument.bands):
                assert spec.condition is not None
                code.add(2, f"{'if' if index == 0 else 'elif'} {expressions.truth(spec.condition.tree)}:")
                code.add(3, f"{band} = {_literal(spec.id)}")
            code.add(2, "else:")
            code.add(3, f"raise AssertionError({_literal(instrument.id + ': no band for this total')})")
            code.add(2, f"scores[{_literal(instrument.id)}] = {score}({total}, {band})")
        for derived in definitions.derived:
            if derived.expr is not None:
                code.add(1, f"{local[derived.id]} = bool({expressions.truth(derived.expr.tree)})")
            else:
                self.cases(local[derived.id], derived.cases, derived.otherwise)
        code.add(1, "fired = []")
        code.add(1, " = ".join(self.fired.values()) + " = False")
        code.add(1, "final = 0")
        code.add(1, "urgent = safety_note = False")
        levels = len(definitions.levels)
        for index, rule in enumerate(definitions.placement):
            text = self.template(rule.reason)
            code.add(1, f"if {expressions.truth(rule.condition.tree)}:")
            depth = 2
            if rule.level is None:  # read from an answer, such as the level of care received before
                code.add(2, f"_level = {code.constant(definitions.level_index)}.get({local[rule.level_from or '']})")
                code.add(2, "if _level is not None:")
                code.add(3, f"_level = min(_level + {rule.step!r}, {levels - 1!r})")
                depth = 3
            else:
                code.add(2, f"_level = {rule.level!r}")
            code.add(depth, f"fired.append(({index!r}, _level, {text}, {_given(code, local, rule.items)}))")
            code.add(depth, f"{self.fired[rule.id]} = True")
            code.add(depth, "if _level > final:")
            code.add(depth + 1, "final = _level")
            if rule.urgent:
                code.add(depth, "urgent = True")
            if rule.safety_note:
                code.add(depth, "safety_note = True")
        code.add(1, f"o_level = {code.constant(definitions.levels)}[final]")
        code.add(1, "o_screen_positive = bool(fired)")
        code.add(1, "o_urgent = urgent")
        code.add(1, "programs = []")
        code.add(1, "modalities = []")
        code.add(1, f"if {expressions.truth(definitions.suggest_when.tree)}:")
        code.add(2, "pass")
        for target, suggestions in (("programs", definitions.programs), ("modalities", definitions.modalities)):
            for suggestion_id, condition in suggestions:
                code.add(2, f"if {expressions.truth(condition.tree)}:")
                code.add(3, f"{target}.append({_literal(suggestion_id)})")
        code.add(1, "notes = []")
        for note_id, condition, template in definitions.notes:
            code.add(1, f"if {expressions.truth(condition.tree)}:")
            code.add(2, f"notes.append({note}({_literal(note_id)}, {self.template(template)}))")
        for index, area in enumerate(definitions.profile):
            self.cases(f"p_{index}", area.cases, area.otherwise)
        profile = "".join(f"({_literal(area.id)}, p_{index}), " for index, area in enumerate(definitions.profile))
        derived_values = ", ".join(f"{_literal(d.id)}: {local[d.id]}" for d in definitions.derived)
        code.add(
            1,
            f"return {returned}{code.constant(Outcome)}(scores, {{{derived_values}}}, fired, final, urgent, "
            f"safety_note, tuple(programs), tuple(modalities), tuple(notes), ({profile}))",
        )

    def template(self, template: Template) -> str:
        """An expression for a filled template: its text pieces as literals, each placeholder's value in words."""
        parts = template.parts
        pieces = [_literal(parts[0])] if parts[0] else []
        for index in range(1, len(parts), 2):
            name = parts[index]
            if name in self.say:
                pieces.append(f"{self.say[name]}({_literal(name)}, {self.local[name]})")
            else:
                pieces.append(f"{self.say_value}({self.local[name]})")
            if parts[index + 1]:
                pieces.append(_literal(parts[index + 1]))
        return " + ".join(pieces) if pieces else "''"

    def cases(self, target: str, cases: Iterable[tuple[Compiled, Any]], otherwise: Any) -> None:
        """The first case that holds gives the value, else `otherwise`."""
        keyword_ = "if"
        for condition, value in cases:
            self.code.add(1, f"{keyword_} {self.expressions.truth(condition.tree)}:")
            self.code.add(2, f"{target} = {_literal(value)}")
            keyword_ = "elif"
        if keyword_ == "if":
            self.code.add(1, f"{target} = {_literal(otherwise)}")
        else:
            self.code.add(1, "else:")
            self.code.add(2, f"{target} = {_literal(otherwise)}")


def _given(code: _Code, local: Mapping[str, str], items: tuple[str, ...]) -> str:
    """An expression for the items among `items` that were answered, in order."""
    if len(items) == 1:
        return f"({_literal(items[0])},) if {local[items[0]]} is not None else ()"
    answered = ", ".join(f"{local[item]} is not None" for item in items)
    return f"tuple({code.constant(compress)}({_literal(items)}, ({answered},)))"
