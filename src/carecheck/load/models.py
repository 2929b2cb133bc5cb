"""Checking a definition document against `definitions`, with pydantic: faults named `file:line`, in plain words.

Each class of `definitions` gets an equivalent pydantic model, made from it when a file is first checked: the same
name, fields, defaults, docstring and limits (its `Constraints` become pydantic `Field`s), with its checks as
validators. So the classes stay the one statement of what is valid, while a run that finds its definitions in the
cache imports no pydantic at all. A valid document comes back as the plain classes, not as models.
"""

from __future__ import annotations

import builtins
import inspect
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from carecheck.core import definitions
from carecheck.core.conditions import suggest
from carecheck.core.definitions import Constraints, Frozen
from carecheck.core.errors import DefinitionError
from carecheck.core.limits import MAX_SUGGESTED_KEYS
from carecheck.core.sources import SourceMap, dotted

_Part = TypeVar("_Part", bound=Frozen)

_UNION_TAGS = {"integer", "boolean", "choice", "multi", "text", "str", "int", "bool", "LevelFrom"}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


def _classes() -> list[type[Frozen]]:
    """The classes of `definitions`, in the order they are declared (a base before the classes built on it)."""
    return [
        value
        for value in vars(definitions).values()
        if isinstance(value, type) and issubclass(value, Frozen) and value is not Frozen
    ]


def _translated(hint: Any, model: Callable[[type[Frozen]], type[BaseModel]]) -> Any:
    """A type written with the plain classes and `Constraints`, written instead with the models and `Field`s."""
    if isinstance(hint, type) and issubclass(hint, Frozen):
        return model(hint)
    origin, args = get_origin(hint), get_args(hint)
    if origin is Annotated:
        marks = [Field(**mark.keywords) if isinstance(mark, Constraints) else mark for mark in hint.__metadata__]
        return Annotated[(_translated(args[0], model), *marks)]
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_translated(arg, model) for arg in args)]  # noqa: UP007 (built from a tuple)
    return hint


def _whole_check(check: Any) -> Any:
    def validate(self: BaseModel) -> BaseModel:
        check(self)
        return self

    return model_validator(mode="after")(validate)


def _fields_check(check: Any, fields: tuple[str, ...]) -> Any:
    def validate(model: type[BaseModel], value: Any) -> Any:
        check(value)
        return value

    return field_validator(*fields)(classmethod(validate))


def _validators(cls: type[Frozen]) -> dict[str, Any]:
    """The checks `cls` declares (not its bases', which its model inherits) as pydantic validators."""
    validators: dict[str, Any] = {}
    for name, member in cls.__dict__.items():
        function = getattr(member, "__func__", member)
        fields = getattr(function, "__dict__", {}).get("checks_fields")
        if fields is not None:
            validators[name] = _fields_check(function, fields) if fields else _whole_check(function)
    return validators


@cache
def models() -> dict[type[Frozen], type[BaseModel]]:
    """The pydantic model of each class of `definitions`."""
    classes = {cls.__name__: cls for cls in _classes()}
    made: dict[type[Frozen], type[BaseModel]] = {}

    class Names(dict[str, Any]):
        """How the text of an annotation reads here: a class's name stands for its model, an alias of `definitions`
        for its translation, and `Constraints(...)` for pydantic's `Field(...)`."""

        def __missing__(self, name: str) -> Any:
            if name in classes:
                return model(classes[name])
            if name == Constraints.__name__:
                return Field
            return _translated(vars(definitions)[name], model)  # a KeyError falls back to the builtins

    names = Names()

    def model(cls: type[Frozen]) -> type[BaseModel]:
        if cls not in made:
            bases = tuple(model(base) for base in cls.__bases__ if issubclass(base, Frozen) and base is not Frozen)
            own = inspect.get_annotations(cls)  # text: `definitions` has `from __future__ import annotations`
            namespace: dict[str, Any] = {
                "__module__": __name__,
                "__qualname__": cls.__qualname__,
                "__doc__": cls.__doc__,
                "__annotations__": {name: eval(text, {"__builtins__": builtins}, names) for name, text in own.items()},
                **{name: vars(cls)[name] for name in own if name in vars(cls)},
                **_validators(cls),
            }
            made[cls] = type(cls.__name__, bases or (_Model,), namespace)
        return made[cls]

    for cls in classes.values():
        model(cls)
    return made


def field_names() -> set[str]:
    """Every field name any part of a definition has (to suggest one for a misspelt key)."""
    return {name for cls in _classes() for name in cls._fields}


def _plain(value: Any, runtime: dict[type[BaseModel], type[Frozen]]) -> Any:
    if isinstance(value, BaseModel):
        cls = runtime[type(value)]
        return cls(**{name: _plain(getattr(value, name), runtime) for name in cls._fields})
    if isinstance(value, list):
        return [_plain(item, runtime) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item, runtime) for key, item in value.items()}
    return value


def validate(cls: type[_Part], raw: Any, source: SourceMap) -> _Part:
    """`raw` (a parsed document) as a `cls`; raises DefinitionError naming each fault's `file:line`."""
    made = models()
    try:
        model = made[cls].model_validate(raw)
    except ValidationError as error:
        raise DefinitionError(_validation_message(error, source)) from None
    part = _plain(model, {model: cls for cls, model in made.items()})
    assert isinstance(part, cls)
    return part


def _validation_message(error: ValidationError, source: SourceMap) -> str:
    lines = []
    unknown = 0
    for fault in error.errors(include_url=False, include_input=False):
        loc = fault["loc"]
        kept = [part for part in loc if (isinstance(part, int) or part not in _UNION_TAGS)]
        message = fault["msg"]
        if fault["type"] == "extra_forbidden":
            unknown += 1
            if unknown > MAX_SUGGESTED_KEYS:  # each did-you-mean compares with every field name: count the rest
                continue
            key = str(kept[-1])
            message = f"unknown key {key!r}{suggest(key, field_names())}: remove it or correct its spelling"
            kept = [*kept[:-1], key]
        elif fault["type"] == "missing":
            message = f"the key {kept[-1]!r} is required here"
        elif fault["type"] == "union_tag_invalid":
            message = "`type` must be one of integer, boolean, choice, multi, text"
        lines.append(f"{source.where(kept)}: {dotted(kept)}: {message}")
    if unknown > MAX_SUGGESTED_KEYS:
        lines.append(f"and {unknown - MAX_SUGGESTED_KEYS:,} more unknown keys")
    return "\n".join(lines)
