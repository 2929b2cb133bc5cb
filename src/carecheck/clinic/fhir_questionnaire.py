"""A carecheck questionnaire as a FHIR R5 Questionnaire with SDC extensions, which an SDC renderer can show and score.

Stable by construction: the canonical URL is the questionnaire's id (`core.fhirnames`), its version the file's
version, section groups and questions keep carecheck's ids as linkIds, and the same files give byte-identical JSON.
Questions and answers carry LOINC codes where `core.loinc` has a confirmed one; the "asked if" conditions become
`enableWhen` (or, where they need more than it can say, an SDC `enableWhenExpression` in FHIRPath); each instrument's
total is an SDC `calculatedExpression` over the answers' `itemWeight`s. Pure: no I/O.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from carecheck.core import loinc
from carecheck.core.compile import CompiledQuestionnaire
from carecheck.core.compiled import CompiledItem
from carecheck.core.conditions import Node
from carecheck.core.definitions import BooleanItem, Instrument, IntegerItem, LoadedQuestionnaire, TextItem
from carecheck.core.errors import CarecheckError
from carecheck.core.fhirnames import (
    CALCULATED_EXPRESSION,
    ENABLE_WHEN_EXPRESSION,
    ITEM_CONTROL,
    ITEM_WEIGHT,
    MAX_VALUE,
    MIN_VALUE,
    answer_coding,
    questionnaire_url,
    section_link_id,
    total_link_id,
)
from carecheck.core.items import kind_of
from carecheck.core.safetext import literal

FHIR_VERSION = "5.0.0"
QUESTIONNAIRE_HASH_SYSTEM = "urn:carecheck:questionnaire:sha256"
_HELP_CONTROL = {"system": "http://hl7.org/fhir/questionnaire-item-control", "code": "help"}
_XHTML = "http://www.w3.org/1999/xhtml"


# --- helpers shared with the record export -------------------------------------------------------------------------


def fhir_text(value: Any) -> str | None:
    """Text as a FHIR string: control characters made visible, None for nothing (FHIR has no empty string)."""
    if value is None:
        return None
    text = literal(str(value))
    return text if text.strip() else None


def compact(**fields: Any) -> dict[str, Any]:
    """A FHIR element without its absent fields: FHIR refuses nulls, empty strings and empty lists."""
    return {name: value for name, value in fields.items() if value is not None and value != [] and value != {}}


def narrative(title: str, lines: Sequence[str]) -> dict[str, Any]:
    """A resource's human-readable text (dom-6): a heading and a list, every piece escaped as XHTML."""
    body = "".join(f"<li>{html.escape(line, quote=False)}</li>" for line in lines if line)
    listed = f"<ul>{body}</ul>" if body else ""
    div = f'<div xmlns="{_XHTML}"><p><b>{html.escape(title, quote=False)}</b></p>{listed}</div>'
    return {"status": "generated", "div": div}


# --- the Questionnaire -----------------------------------------------------------------------------------------------


def questionnaire_json(compiled: CompiledQuestionnaire) -> str:
    """`carecheck export questionnaire --format fhir`: the Questionnaire as indented JSON, the same every time."""
    return json.dumps(fhir_questionnaire(compiled.questionnaire, compiled.items), ensure_ascii=False, indent=2) + "\n"


def fhir_questionnaire(loaded: LoadedQuestionnaire, items: Sequence[CompiledItem]) -> dict[str, Any]:
    """The questionnaire (with the items `compile` made of it) as an R5 Questionnaire.

    Raises CarecheckError naming the item when an "asked if" condition uses what FHIR cannot express here
    (an instrument's score or band, or a function other than `has_any`).
    """
    questionnaire = loaded.questionnaire
    instruments = {name: entry.instrument for name, entry in loaded.instruments.items()}
    coded = {name: _coded(instrument) for name, instrument in instruments.items()}
    by_section: dict[str, list[CompiledItem]] = {}
    for item in items:
        by_section.setdefault(item.section, []).append(item)
    kinds = {item.id: item for item in items}
    reverse = {item_id for instrument in instruments.values() for item_id in instrument.scoring.reverse}
    context = _Context(questionnaire.id, kinds, coded, reverse)
    groups = [
        _section(context, section.id, section.title, section.intro, by_section.get(section.id, []), instruments)
        for section in questionnaire.sections
    ]
    credits = [instruments[name].attribution for name in _used_instruments(items)]
    copyright_text = "\n\n".join(
        f"**{c.name}**. {c.credit} {c.terms} Source: {c.sources[0].document}"
        + (f" <{c.sources[0].url}>" if c.sources[0].url else "")
        for c in credits
    )
    summary = [f"{fhir_text(section.title)}" for section in questionnaire.sections]
    return compact(
        resourceType="Questionnaire",
        id=questionnaire.id,
        meta={"tag": [{"system": QUESTIONNAIRE_HASH_SYSTEM, "code": loaded.sha256}]},
        text=narrative(f"{questionnaire.title} (version {questionnaire.version})", summary),
        url=questionnaire_url(questionnaire.id),
        version=questionnaire.version,
        name=_computer_name(questionnaire.id),
        title=fhir_text(questionnaire.title),
        status="active",
        description=fhir_text(questionnaire.intro),
        copyright=fhir_text(copyright_text),
        item=groups,
    )


def _coded(instrument: Instrument) -> bool:
    panel = loinc.PANELS.get(instrument.id)
    if panel is None:
        return False
    values = {item.id: frozenset(c.value for c in kind_of(item).choices(item)) for item in instrument.items}
    return loinc.matches(panel, values)


def _used_instruments(items: Sequence[CompiledItem]) -> list[str]:
    return list(dict.fromkeys(item.instrument for item in items if item.instrument is not None))


def _computer_name(questionnaire_id: str) -> str:
    # cnl-0: a name usable as an identifier, so the kebab-case id in UpperCamelCase.
    return "".join(part.capitalize() for part in questionnaire_id.split("-"))


class _Context:
    def __init__(
        self,
        questionnaire_id: str,
        items: Mapping[str, CompiledItem],
        coded: Mapping[str, bool],
        reverse: set[str],
    ) -> None:
        self.questionnaire_id = questionnaire_id
        self.items = items
        self.coded = coded
        self.reverse = reverse

    def coding(self, item: CompiledItem, value: Any, label: str | None) -> dict[str, Any]:
        coded = item.instrument is not None and self.coded.get(item.instrument, False)
        return answer_coding(self.questionnaire_id, item.instrument, item.id, value, label, coded)


def _section(
    context: _Context,
    section_id: str,
    title: str,
    intro: str | None,
    items: list[CompiledItem],
    instruments: Mapping[str, Instrument],
) -> dict[str, Any]:
    children: list[dict[str, Any]] = []
    if intro:
        children.append(_display(f"{section_link_id(section_id)}-intro", intro))
    instrument_id = next((item.instrument for item in items if item.instrument is not None), None)
    instrument = instruments.get(instrument_id) if instrument_id else None
    if instrument is not None and instrument.instructions:
        children.append(_display(f"{instrument.id}-instructions", instrument.instructions))
    children += [_question(context, item) for item in items]
    code = None
    if instrument is not None:
        credit = instrument.attribution
        children.append(_display(f"{instrument.id}-credit", f"{credit.name}. {credit.credit} {credit.terms}"))
        children.append(_total(context, instrument))
        panel = loinc.PANELS.get(instrument.id)
        if panel is not None and panel.code and context.coded.get(instrument.id):
            code = [{"system": loinc.SYSTEM, "code": panel.code, "display": panel.display}]
    section_when = items[0].section_when if items else None
    return compact(
        linkId=section_link_id(section_id),
        code=code,
        text=fhir_text(title),
        type="group",
        **_enable(context, section_when.tree if section_when else None, f"section {section_id}"),
        item=children,
    )


def _display(link_id: str, text: str) -> dict[str, Any]:
    return {"linkId": link_id, "text": fhir_text(text), "type": "display"}


def _question(context: _Context, item: CompiledItem) -> dict[str, Any]:
    definition = item.definition
    kind = kind_of(definition)
    question = None
    if item.instrument is not None and context.coded.get(item.instrument):
        question = loinc.PANELS[item.instrument].items.get(item.id)
    fields: dict[str, Any] = {}
    extensions: list[dict[str, Any]] = []
    if isinstance(definition, IntegerItem):
        fields["type"] = "integer"
        extensions += [
            {"url": MIN_VALUE, "valueInteger": definition.min},
            {"url": MAX_VALUE, "valueInteger": definition.max},
        ]
    elif isinstance(definition, BooleanItem):
        fields["type"] = "boolean"
    elif isinstance(definition, TextItem):
        fields["type"] = "text"
        fields["maxLength"] = definition.max_length
    else:  # choice and multi: coded answers from a fixed list
        fields["type"] = "coding"
        fields["repeats"] = True if kind.takes_list else None
        fields["answerConstraint"] = "optionsOnly"
        weights = _weights(context, item)
        fields["answerOption"] = [
            compact(
                extension=[{"url": ITEM_WEIGHT, "valueDecimal": weights[choice.value]}]
                if choice.value in weights
                else None,
                valueCoding=context.coding(item, choice.value, fhir_text(choice.label)),
            )
            for choice in kind.choices(definition)
        ]
    own = item.own_when.tree if item.own_when is not None else None
    help_item = (
        {
            "linkId": f"{item.id}-help",
            "text": fhir_text(definition.help),
            "type": "display",
            "extension": [
                {
                    "url": ITEM_CONTROL,
                    "valueCodeableConcept": {"coding": [_HELP_CONTROL]},
                }
            ],
        }
        if definition.help
        else None
    )
    enable = _enable(context, own, f"item {item.id}")
    extensions += enable.pop("extension", [])
    return compact(
        extension=extensions or None,
        linkId=item.id,
        code=[{"system": loinc.SYSTEM, "code": question.code, "display": question.display}] if question else None,
        text=fhir_text(definition.prompt),
        type=fields.pop("type"),
        **enable,
        required=definition.required,
        **fields,
        item=[help_item] if help_item else None,
    )


def _weights(context: _Context, item: CompiledItem) -> dict[Any, int]:
    """The points each choice scores in its instrument's total (reverse-scored items the other way round)."""
    if item.instrument is None:
        return {}
    choices = kind_of(item.definition).choices(item.definition)
    if not all(isinstance(choice.value, int) and not isinstance(choice.value, bool) for choice in choices):
        return {}
    values = [int(choice.value) for choice in choices]
    if item.id in context.reverse:
        return {value: min(values) + max(values) - value for value in values}
    return {value: value for value in values}


def _total(context: _Context, instrument: Instrument) -> dict[str, Any]:
    scoring = instrument.scoring
    terms = [_points(context.items[item_id], item_id in scoring.reverse) for item_id in scoring.items]
    panel = loinc.PANELS.get(instrument.id)
    code = None
    if panel is not None and panel.total is not None:
        code = [{"system": loinc.SYSTEM, "code": panel.total[0], "display": panel.total[1]}]
    expression = {"language": "text/fhirpath", "expression": " + ".join(terms)}
    return compact(
        extension=[{"url": CALCULATED_EXPRESSION, "valueExpression": expression}],
        linkId=total_link_id(instrument.id),
        code=code,
        text=fhir_text(f"{instrument.name}: total score"),
        type="decimal",  # what itemWeights (decimals) sum to
        readOnly=True,
    )


_VALUE_OF_TYPE = {"boolean": "valueBoolean", "integer": "valueInteger", "choice": "valueCoding", "multi": "valueCoding"}


def _item_path(root: str, item: CompiledItem) -> str:
    # Questions sit right under their section's group, in the Questionnaire and in every response to it: a direct
    # path, which engines evaluate far faster than a search of the whole tree with repeat(item).
    return f"{root}.item.where(linkId = '{section_link_id(item.section)}').item.where(linkId = '{item.id}')"


def _answer_of(item: CompiledItem, typed: bool = True) -> str:
    """FHIRPath for an item's answer in the response. The value is named by its type (`valueCoding`), as the
    LHC-Forms PHQ-9 does: that needs no model of FHIR's choice types in the engine."""
    path = f"{_item_path('%resource', item)}.answer"
    kind = item.definition.type
    return f"{path}.{_VALUE_OF_TYPE[kind]}" if typed and kind in _VALUE_OF_TYPE else path


def _points(item: CompiledItem, reverse: bool) -> str:
    """A FHIRPath term for the points one answer scores; 0 when it is not answered, like carecheck's own total.

    A choice's points are its answerOption's itemWeight, looked up in the Questionnaire (`%questionnaire`) by the
    answer's code: what SDC's `weight()` does, written out, so that engines without `weight()` score it too.
    """
    definition = item.definition
    answer = _answer_of(item)
    if definition.type == "boolean":
        return f"iif({answer} = {'false' if reverse else 'true'}, 1, 0)"
    points = kind_of(definition).points(definition)
    if points is None:
        raise CarecheckError(f"item {item.id!r} is scored but has no points, so FHIR cannot sum it")
    low, high = points
    if definition.type == "choice":  # its answers' itemWeights are already the points, reverse-scored or not
        weight = (
            f"{_item_path('%questionnaire', item)}.answerOption"
            f".where(valueCoding.code = {answer}.code).extension.where(url = '{ITEM_WEIGHT}').valueDecimal"
        )
        return f"iif({answer}.exists(), {weight}, 0)"
    if reverse:
        return f"iif({answer}.exists(), {low + high} - {answer}, 0)"
    return f"iif({answer}.exists(), {answer}, 0)"


# --- "asked if" ------------------------------------------------------------------------------------------------------


def _enable(context: _Context, tree: Node | None, where: str) -> dict[str, Any]:
    """enableWhen (with enableBehavior) where the condition is a plain comparison or an all-and/all-or of them, else
    an SDC enableWhenExpression in FHIRPath with the same meaning (an item not asked is absent, and any comparison
    involving it is false, `!=` included)."""
    if tree is None:
        return {}
    for behavior, parts in (("all", _conjuncts(tree, "and")), ("any", _conjuncts(tree, "or"))):
        conditions: list[dict[str, Any]] = []
        for part in parts:
            simple = _simple(context, part)
            if simple is None or (behavior == "any" and len(simple) > 1):
                break
            conditions += simple
        else:
            return compact(enableWhen=conditions, enableBehavior=behavior if len(conditions) > 1 else None)
    expression = _fhirpath(context, tree, where)
    return {
        "extension": [
            {"url": ENABLE_WHEN_EXPRESSION, "valueExpression": {"language": "text/fhirpath", "expression": expression}}
        ]
    }


def _conjuncts(tree: Node, op: str) -> list[Node]:
    if tree.op == op:
        return [part for arg in tree.args for part in _conjuncts(arg, op)]
    if tree.op == "call" and tree.value == "has_any" and op == "or":
        return [Node("in", tree.column, args=(value, tree.args[0])) for value in tree.args[1:]]
    return [tree]


def _simple(context: _Context, node: Node) -> list[dict[str, Any]] | None:
    """The enableWhen entries that say exactly what one comparison says (all of them must hold), or None."""
    if node.op == "name" and node.value in context.items and context.items[node.value].definition.type == "boolean":
        return [{"question": node.value, "operator": "=", "answerBoolean": True}]
    if node.op not in ("==", "!=", "<", "<=", ">", ">=", "in") or len(node.args) != 2:
        return None
    left, right = node.args
    if node.op == "in":
        if left.op != "literal" or right.op != "name" or right.value not in context.items:
            return None
        item = context.items[right.value]
        if item.definition.type != "multi":
            return None
        return [{"question": item.id, "operator": "=", "answerCoding": context.coding(item, left.value, None)}]
    if right.op == "name" and left.op == "literal":
        left, right = right, left
    if left.op != "name" or right.op not in ("literal", "list") or left.value not in context.items:
        return None
    item = context.items[left.value]
    kind = item.definition.type
    if right.op == "list":  # `substances != []`: something was chosen
        if right.args or node.op != "!=":
            return None
        return [{"question": item.id, "operator": "exists", "answerBoolean": True}]
    answer = _answer(context, item, right.value)
    if answer is None or (kind == "choice" and node.op not in ("==", "!=")):
        return None
    entry = {"question": item.id, "operator": "=" if node.op == "==" else node.op, **answer}
    if node.op == "!=":
        # FHIR's `!=` holds for an unanswered question; carecheck's does not, so the answer must also exist.
        return [{"question": item.id, "operator": "exists", "answerBoolean": True}, entry]
    return [entry]


def _answer(context: _Context, item: CompiledItem, value: Any) -> dict[str, Any] | None:
    kind = item.definition.type
    if kind == "boolean" and isinstance(value, bool):
        return {"answerBoolean": value}
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return {"answerInteger": value}
    if kind == "choice":
        return {"answerCoding": context.coding(item, value, None)}
    return None


def _fhirpath(context: _Context, node: Node, where: str) -> str:
    """A condition as FHIRPath that is always true or false (never empty): `iif` turns an absent answer's empty
    comparison into false, as carecheck reads it."""
    if node.op in ("and", "or"):
        return "(" + f" {node.op} ".join(_fhirpath(context, arg, where) for arg in node.args) + ")"
    if node.op == "not":
        return f"({_fhirpath(context, node.args[0], where)}).not()"
    if node.op == "literal" and isinstance(node.value, bool):
        return "true" if node.value else "false"
    parts = _conjuncts(node, "or") if node.op == "call" else None
    if parts is not None and parts != [node]:
        return "(" + " or ".join(_fhirpath(context, part, where) for part in parts) + ")"
    simple = _simple(context, node)
    if simple is None:
        raise CarecheckError(
            f"the condition of {where} cannot be written in FHIR: use comparisons of items with fixed values, "
            "`in`, has_any(), and, or, not"
        )
    return "(" + " and ".join(_entry_path(context, entry) for entry in simple) + ")"


def _entry_path(context: _Context, entry: Mapping[str, Any]) -> str:
    item = context.items[str(entry["question"])]
    answer = _answer_of(item)
    if entry["operator"] == "exists":
        return f"{_answer_of(item, typed=False)}.exists()"
    if "answerCoding" in entry:
        coding = entry["answerCoding"]
        test = f"{answer}.where(system = '{coding['system']}' and code = '{coding['code']}').exists()"
        return test if entry["operator"] == "=" else f"({answer}.exists() and {test}.not())"
    value = entry.get("answerBoolean", entry.get("answerInteger"))
    literal_value = str(value).lower() if isinstance(value, bool) else str(value)
    return f"iif({answer} {entry['operator']} {literal_value}, true, false)"
