"""The condition language: a small, safe expression language, parsed and type-checked once, evaluated many times.

    withdrawal_now and withdrawal_history == 'severe'
    'alcohol' in substances and use_days >= 20
    has_any(substances, 'cannabis', 'opioids') or asq.band != 'negative'

Names are items, instrument scores (`audit` is the total, `audit.band` its band) and derived values. An item that
was not asked is absent: it is falsy, and any comparison that involves it is false (`!=` included). Conditions are
compiled to closures over an environment mapping; no text is ever handed to Python's `eval`. For many answer sets,
`codegen` also writes the checked trees out as straight-line Python, which these closures are the reference for.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from enum import StrEnum
from typing import Any, NamedTuple

from carecheck.core.limits import MAX_CONDITION_DEPTH, MAX_INTEGER_DIGITS

Env = Mapping[str, Any]
Evaluate = Callable[[Env], Any]

FIRED = "@fired"
"""The environment key holding the set of placement rules that fired (read by `fired(...)`)."""


class ConditionError(ValueError):
    """A condition cannot be parsed or does not fit the names it uses."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


class Kind(StrEnum):
    NUMBER = "number"
    TEXT = "text"
    BOOL = "yes/no"
    LIST = "list"
    ANY = "any"


class NameInfo(NamedTuple):
    """What a condition may know about a name: its kind and, for choices and bands, the values it can take."""

    kind: Kind
    values: frozenset[str | int] | None = None
    depends_on: tuple[str, ...] = ()
    """The answers this name is computed from, for explanations."""


class Scope(NamedTuple):
    names: Mapping[str, NameInfo]
    rule_ids: Collection[str] | None = None
    """Placement rule ids `fired(...)` may name; None where `fired` is not available."""


class Compiled(NamedTuple):
    source: str
    evaluate: Evaluate
    names: tuple[str, ...]
    """Every name the condition reads, in order of first appearance."""
    tree: Node
    """The parsed tree, checked against the scope: what `codegen` turns into straight-line Python."""

    def holds(self, env: Env) -> bool:
        return bool(self.evaluate(env))


# --- parsing ------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+)
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)
      | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false"}
_COMPARISONS = {"==", "!=", "<", "<=", ">", ">=", "in", "not in"}


class _Token(NamedTuple):
    kind: str
    text: str
    column: int


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    stripped_end = len(source.rstrip())
    while pos < stripped_end:
        match = _TOKEN.match(source, pos)
        if match is None or match.end() == pos:
            column = pos + len(source[pos:]) - len(source[pos:].lstrip()) + 1
            bad = source[column - 1]
            hint = " (use 'single quotes' around words)" if bad in "`\u2018\u2019\u201c\u201d" else ""
            hint = " (use `==` to compare)" if bad == "=" else hint
            raise ConditionError(f"unexpected character {bad!r}{hint}", column)
        kind = match.lastgroup or ""
        text = match.group(kind)
        if kind == "name" and text in _KEYWORDS:
            kind = text
        tokens.append(_Token(kind, text, match.start(match.lastgroup or "") + 1))
        pos = match.end()
    tokens.append(_Token("end", "", len(source) + 1))
    return tokens


class Node(NamedTuple):
    op: str
    """literal, name, list, not, and, or, a comparison operator, or call."""
    column: int
    value: Any = None
    """The literal's value, the name, or the called function's name."""
    args: tuple[Node, ...] = ()


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokenize(source)
        self.pos = 0
        self.depth = 0

    def deeper(self, column: int, weight: int) -> None:
        """One level more of brackets, lists, calls (`weight` 4: each takes several steps of the parser) or `not`
        (1): a bounded parse, compile and generated code however the condition is written."""
        self.depth += weight
        if self.depth > MAX_CONDITION_DEPTH:
            raise ConditionError(
                f"the condition nests too deeply (at most {MAX_CONDITION_DEPTH // 4} brackets, or "
                f"{MAX_CONDITION_DEPTH} `not`s, one inside another); simplify it",
                column,
            )

    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def take(self, kind: str | None = None) -> _Token:
        token = self.tokens[self.pos]
        if kind is not None and token.kind != kind and token.text != kind:
            found = "the end of the condition" if token.kind == "end" else repr(token.text)
            raise ConditionError(f"expected {kind!r}, found {found}", token.column)
        self.pos += 1
        return token

    def close(self, closing: str, after: str) -> None:
        """Take the bracket that ends a list or a call, or say that a comma may be missing."""
        token = self.peek()
        if token.text != closing:
            found = "the end of the condition" if token.kind == "end" else repr(token.text)
            raise ConditionError(f"expected `,` or `{closing}` after {after}, found {found}", token.column)
        self.take()

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ConditionError("the condition is empty", 1)
        node = self.or_expr()
        token = self.peek()
        if token.kind != "end":
            raise ConditionError(f"unexpected {token.text!r} (missing `and` or `or`?)", token.column)
        return node

    def or_expr(self) -> Node:
        return self._chain("or", self.and_expr)

    def and_expr(self) -> Node:
        return self._chain("and", self.not_expr)

    def _chain(self, op: str, part: Callable[[], Node]) -> Node:
        first = part()
        parts = [first]
        while self.peek().kind == op:
            self.take()
            parts.append(part())
        return first if len(parts) == 1 else Node(op, first.column, args=tuple(parts))

    def not_expr(self) -> Node:
        if self.peek().kind == "not":
            token = self.take()
            self.deeper(token.column, 1)
            node = Node("not", token.column, args=(self.not_expr(),))
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Node:
        left = self.operand()
        token = self.peek()
        op = token.text if token.kind in ("op", "in") and token.text in _COMPARISONS else None
        if token.kind == "not" and self.tokens[self.pos + 1].kind == "in":
            self.take()
            op = "not in"
        if op is None:
            return left
        self.take()
        right = self.operand()
        follow = self.peek()
        if follow.text in _COMPARISONS and follow.kind in ("op", "in"):
            raise ConditionError("comparisons cannot be chained: join them with `and`", follow.column)
        return Node(op, token.column, args=(left, right))

    def operand(self) -> Node:
        self.deeper(self.peek().column, 4)
        node = self._operand()
        self.depth -= 4
        return node

    def _operand(self) -> Node:
        token = self.take()
        if token.kind == "number":
            if len(token.text) > MAX_INTEGER_DIGITS:
                raise ConditionError(
                    f"a number of {len(token.text):,} digits; carecheck reads numbers of at most "
                    f"{MAX_INTEGER_DIGITS} digits",
                    token.column,
                )
            return Node("literal", token.column, int(token.text))
        if token.kind == "string":
            return Node("literal", token.column, token.text[1:-1])
        if token.kind in ("true", "false"):
            return Node("literal", token.column, token.kind == "true")
        if token.kind == "op" and token.text == "(":
            inner = self.or_expr()
            self.take(")")
            return inner
        if token.kind == "op" and token.text == "[":
            items: list[Node] = []
            while self.peek().text != "]":
                item = self.operand()
                if item.op != "literal":
                    raise ConditionError("a list holds only numbers and 'words'", item.column)
                items.append(item)
                if self.peek().text != ",":
                    break
                self.take(",")
            self.close("]", "a list item")
            return Node("list", token.column, args=tuple(items))
        if token.kind == "name":
            if self.peek().text == "(":
                self.take("(")
                args: list[Node] = []
                while self.peek().text != ")":
                    args.append(self.or_expr())
                    if self.peek().text != ",":
                        break
                    self.take(",")
                self.close(")", f"an argument of {token.text}()")
                return Node("call", token.column, token.text, tuple(args))
            return Node("name", token.column, token.text)
        found = "the end of the condition" if token.kind == "end" else repr(token.text)
        raise ConditionError(f"expected a name, a number or a 'word', found {found}", token.column)


def parse(source: str) -> Node:
    """Parse condition text into a tree; raises ConditionError with the column of the fault."""
    return _Parser(source).parse()


# --- checking and compiling ---------------------------------------------------------------------------------------


def suggest(name: str, candidates: Collection[str]) -> str:
    """A ' (did you mean X?)' hint for a misspelt name, or ''."""
    import difflib  # only errors need it; kept out of start-up

    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


_FUNCTIONS = {"any", "all", "count", "asked", "has_any", "fired"}


class _Compiler:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.names: dict[str, None] = {}

    def info(self, node: Node) -> NameInfo:
        if node.op == "name":
            return self.scope.names[node.value]
        if node.op == "literal":
            value = node.value
            kind = Kind.BOOL if isinstance(value, bool) else Kind.NUMBER if isinstance(value, int) else Kind.TEXT
            return NameInfo(kind)
        if node.op == "list":
            return NameInfo(Kind.LIST)
        if node.op == "call" and node.value == "count":
            return NameInfo(Kind.NUMBER)
        return NameInfo(Kind.BOOL)

    def compile(self, node: Node) -> Evaluate:
        method: Callable[[Node], Evaluate] = getattr(self, "_" + _METHOD.get(node.op, node.op))
        return method(node)

    def _literal(self, node: Node) -> Evaluate:
        value = node.value
        return lambda env: value

    def _list(self, node: Node) -> Evaluate:
        values = tuple(arg.value for arg in node.args)
        return lambda env: values

    def _name(self, node: Node) -> Evaluate:
        name: str = node.value
        if name not in self.scope.names:
            if name in ("True", "False"):
                raise ConditionError(f"unknown name {name!r} (did you mean {name.lower()!r}?)", node.column)
            hint = suggest(name, self.scope.names)
            raise ConditionError(f"unknown name {name!r}{hint}", node.column)
        self.names[name] = None
        return lambda env: env.get(name)

    def _not(self, node: Node) -> Evaluate:
        inner = self.compile(node.args[0])
        return lambda env: not inner(env)

    def _and(self, node: Node) -> Evaluate:
        return all_of([self.compile(arg) for arg in node.args])

    def _or(self, node: Node) -> Evaluate:
        return any_of([self.compile(arg) for arg in node.args])

    def _compare(self, node: Node) -> Evaluate:
        left_node, right_node = node.args
        left_fn, right_fn = self.compile(left_node), self.compile(right_node)
        self._check_compare(node.op, left_node, right_node)
        test = COMPARE[node.op]
        # The common shapes get closures of their own: rules are evaluated for every record of a batch.
        if left_node.op == "name" and right_node.op in ("literal", "list"):
            name, constant = left_node.value, right_fn({})
            if node.op in ("in", "not in"):
                members = frozenset(constant)
                wanted = node.op == "in"
                return lambda env: (value := env.get(name)) is not None and (value in members) is wanted
            return lambda env: (value := env.get(name)) is not None and test(value, constant)
        if left_node.op == "literal" and right_node.op == "name" and node.op in ("in", "not in"):
            name, constant = right_node.value, left_node.value
            wanted = node.op == "in"
            return lambda env: (value := env.get(name)) is not None and (constant in value) is wanted
        if right_node.op in ("literal", "list"):
            constant = right_fn({})

            def compare_constant(env: Env) -> bool:
                left = left_fn(env)
                return left is not None and test(left, constant)

            return compare_constant

        def compare(env: Env) -> bool:
            left, right = left_fn(env), right_fn(env)
            return left is not None and right is not None and test(left, right)

        return compare

    def _check_compare(self, op: str, left: Node, right: Node) -> None:
        a, b = self.info(left), self.info(right)
        if op in ("in", "not in"):
            if b.kind not in (Kind.LIST, Kind.ANY):
                raise ConditionError(f"`{op}` needs a list on its right, such as a multiple-choice item", right.column)
            if a.kind == Kind.LIST:
                raise ConditionError(f"`{op}` tests one value: use has_any(list, ...) for lists", left.column)
            self._check_values(b, left, right)
            if right.op == "list":
                for element in right.args:
                    self._check_values(a, element, left)
            return
        if Kind.ANY in (a.kind, b.kind):
            return
        if op in ("<", "<=", ">", ">=") and (a.kind != Kind.NUMBER or b.kind != Kind.NUMBER):
            raise ConditionError(f"`{op}` compares numbers, not {a.kind} with {b.kind}", left.column)
        if a.kind != b.kind:
            raise ConditionError(f"`{op}` compares a {a.kind} value with a {b.kind} value", right.column)
        self._check_values(a, right, left)
        self._check_values(b, left, right)

    def _check_values(self, info: NameInfo, literal: Node, named: Node) -> None:
        """A literal compared with a choice item or a band must be one of its values."""
        if info.values is None or literal.op != "literal" or isinstance(literal.value, bool):
            return
        if literal.value not in info.values:
            shown = ", ".join(repr(v) for v in sorted(info.values, key=str))
            hint = suggest(str(literal.value), [str(v) for v in info.values])
            raise ConditionError(
                f"{literal.value!r} is not a value of {named.value!r}{hint}; it can be {shown}", literal.column
            )

    def _call(self, node: Node) -> Evaluate:
        name: str = node.value
        if name not in _FUNCTIONS:
            hint = suggest(name, _FUNCTIONS)
            raise ConditionError(f"unknown function {name!r}{hint}", node.column)
        if not node.args:
            raise ConditionError(f"{name}() needs at least one argument", node.column)
        if name == "fired":
            return self._fired(node)
        if name == "asked":
            if len(node.args) != 1 or node.args[0].op != "name":
                raise ConditionError("asked() takes one name", node.column)
            inner = self.compile(node.args[0])
            return lambda env: inner(env) is not None
        if name == "has_any":
            return self._has_any(node)
        parts = [self.compile(arg) for arg in node.args]
        if name == "any":
            return any_of(parts)
        if name == "all":
            return all_of(parts)
        return lambda env: sum(1 for part in parts if part(env))

    def _has_any(self, node: Node) -> Evaluate:
        target, *wanted = node.args
        if target.op != "name" or not wanted:
            raise ConditionError("has_any() takes a multiple-choice item and the values to look for", node.column)
        list_fn = self.compile(target)
        info = self.info(target)
        if info.kind not in (Kind.LIST, Kind.ANY):
            raise ConditionError(f"has_any() needs a list, and {target.value!r} is not one", target.column)
        for value in wanted:
            if value.op != "literal":
                raise ConditionError("has_any() looks for fixed 'words'", value.column)
            self._check_values(info, value, target)
        values = frozenset(value.value for value in wanted)

        def has_any(env: Env) -> bool:
            present = list_fn(env)
            return present is not None and not values.isdisjoint(present)

        return has_any

    def _fired(self, node: Node) -> Evaluate:
        if self.scope.rule_ids is None:
            raise ConditionError("fired() is only available in suggestions and notes", node.column)
        ids: set[str] = set()
        for arg in node.args:
            if arg.op != "literal" or not isinstance(arg.value, str):
                raise ConditionError("fired() takes placement rule ids in quotes", arg.column)
            if arg.value not in self.scope.rule_ids:
                hint = suggest(arg.value, self.scope.rule_ids)
                raise ConditionError(f"no placement rule is called {arg.value!r}{hint}", arg.column)
            ids.add(arg.value)
        wanted = frozenset(ids)
        return lambda env: not wanted.isdisjoint(env[FIRED])


def all_of(parts: Sequence[Evaluate]) -> Evaluate:
    """An evaluator that holds when every part holds (short-circuit, without a generator per call)."""
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        first, second = parts
        return lambda env: bool(first(env) and second(env))
    head, tail = parts[0], all_of(parts[1:])
    return lambda env: bool(head(env) and tail(env))


def any_of(parts: Sequence[Evaluate]) -> Evaluate:
    """An evaluator that holds when any part holds."""
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        first, second = parts
        return lambda env: bool(first(env) or second(env))
    head, tail = parts[0], any_of(parts[1:])
    return lambda env: bool(head(env) or tail(env))


_METHOD = dict.fromkeys(_COMPARISONS, "compare")
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}


def compile_condition(source: str, scope: Scope) -> Compiled:
    """Parse and check `source` against the names in `scope`; raises ConditionError naming the fault and column."""
    tree = parse(source)
    compiler = _Compiler(scope)
    evaluate = compiler.compile(tree)
    return Compiled(source, evaluate, tuple(compiler.names), tree)


# --- tracing, for `carecheck explain` -----------------------------------------------------------------------------


def unparse(node: Node) -> str:
    """A condition tree back as text, with parentheses only where they are needed."""
    op = node.op
    if op == "literal":
        value = node.value
        return ("true" if value else "false") if isinstance(value, bool) else repr(value)
    if op == "name":
        return str(node.value)
    if op == "list":
        return "[" + ", ".join(unparse(arg) for arg in node.args) + "]"
    if op == "call":
        return f"{node.value}(" + ", ".join(unparse(arg) for arg in node.args) + ")"
    if op == "not":
        inner = node.args[0]
        text = unparse(inner)
        return f"not ({text})" if inner.op in ("and", "or") else f"not {text}"
    if op in ("and", "or"):
        parts = []
        for arg in node.args:
            text = unparse(arg)
            parts.append(f"({text})" if arg.op in ("and", "or") and arg.op != op else text)
        return f" {op} ".join(parts)
    left, right = node.args
    return f"{unparse(left)} {op} {unparse(right)}"


class Trace(NamedTuple):
    """One part of a condition, its value for one answer set, and its own parts."""

    text: str
    value: Any
    parts: tuple[Trace, ...]


def trace(source: str, scope: Scope, env: Env) -> Trace:
    """Every part of a condition with its value, evaluated with the same semantics as the compiled form."""
    return _trace(parse(source), scope, env)


def _trace(node: Node, scope: Scope, env: Env) -> Trace:
    parts: tuple[Trace, ...] = ()
    if node.op in ("and", "or", "not") or (node.op == "call" and node.value in ("any", "all", "count")):
        parts = tuple(_trace(arg, scope, env) for arg in node.args)
    elif node.op in _COMPARISONS:
        parts = tuple(_trace(arg, scope, env) for arg in node.args if arg.op == "name")
    value = compile_condition(unparse(node), scope).evaluate(env) if node.op != "name" else env.get(node.value)
    return Trace(unparse(node), value, parts)
