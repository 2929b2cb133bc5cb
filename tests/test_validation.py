"""Checking definition files: the pydantic models are made from the plain classes and agree with them exactly."""

from __future__ import annotations

import pickle

import pytest

from carecheck.core import definitions
from carecheck.core.definitions import Choice, ChoiceItem, Frozen, Section
from carecheck.load.models import models

CLASSES = [value for value in vars(definitions).values() if isinstance(value, type) and issubclass(value, Frozen)]


@pytest.mark.parametrize("cls", [cls for cls in CLASSES if cls is not Frozen], ids=lambda cls: cls.__name__)
def test_each_class_has_a_model_with_the_same_name_fields_defaults_and_checks(cls: type[Frozen]) -> None:
    model = models()[cls]
    assert model.__name__ == cls.__name__
    assert model.__doc__ == cls.__doc__
    assert list(model.model_fields) == list(cls._fields)
    for name, field in model.model_fields.items():
        assert field.is_required() == (name not in cls._defaults), name
        if name in cls._defaults:
            assert field.default == cls._defaults[name], name
    checks = {name for part in cls.__mro__ for name, member in vars(part).items() if _is_check(member)}
    declared = model.__pydantic_decorators__
    assert checks == {*declared.field_validators, *declared.model_validators}


def _is_check(member: object) -> bool:
    return "checks_fields" in getattr(getattr(member, "__func__", member), "__dict__", {})


def test_a_valid_document_comes_back_as_the_plain_classes() -> None:
    from carecheck.core.sources import SourceMap
    from carecheck.load.models import validate

    choices = [{"value": 1, "label": "one"}, {"value": 2, "label": "two"}]
    raw = {
        "id": "s",
        "title": "A section",
        "items": [{"id": "q", "prompt": "Which?", "type": "choice", "choices": choices}],
    }
    section = validate(Section, raw, SourceMap("s.yaml", {}))
    assert type(section) is Section
    item = section.items[0]
    assert type(item) is ChoiceItem
    assert item.choices == [Choice(value=1, label="one"), Choice(value=2, label="two")]
    assert item.required is True
    assert section.intro is None


def test_parts_are_immutable_comparable_and_pickle() -> None:
    choice = Choice(value="a", label="A")
    with pytest.raises(AttributeError):
        choice.label = "B"  # type: ignore[misc]
    assert choice == Choice(value="a", label="A") != Choice(value="a", label="B")
    assert hash(choice) == hash(Choice(value="a", label="A"))
    assert pickle.loads(pickle.dumps(choice)) == choice
    assert repr(choice) == "Choice(value='a', label='A')"


def test_defaults_are_not_shared_between_parts() -> None:
    first = Section(id="a", title="A", instrument="x")
    second = Section(id="b", title="B", instrument="x")
    assert first.items == []
    assert first.items is not second.items


def test_a_part_made_in_code_names_a_missing_or_unknown_field() -> None:
    with pytest.raises(TypeError, match="needs the field 'label'"):
        Choice(value="a")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="has no field 'colour'"):
        Choice(value="a", label="A", colour="red")  # type: ignore[call-arg]
