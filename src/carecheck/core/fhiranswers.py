"""A FHIR QuestionnaireResponse (R5 or R4) read as carecheck answers, by linkId or by LOINC code.

Two kinds of response are read. One that answers carecheck's own exported Questionnaire (its `questionnaire` is
`urn:carecheck:questionnaire:ID`) is read by linkId: linkIds of questions are item ids, groups and display items are
walked through, computed totals are skipped (carecheck computes its own). Any other response (an EHR's own PHQ-9 form,
say) is read by LOINC code: an item whose linkId or definition ends in a LOINC code of a question carecheck asks
(`core.loinc`) answers that item; panel, total and known but unasked codes are skipped. R4 and R5 name answers the
same way (`valueCoding`, `valueInteger`, ...); R4's single `identifier` and R5's list are both read. What cannot be
mapped is an `AnswersError` whose problems name the linkId (and the code) at fault.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from carecheck.core import loinc
from carecheck.core.compiled import RECORD_ID, CompiledItem
from carecheck.core.errors import AnswersError, Problem
from carecheck.core.fhirnames import QUESTIONNAIRE_PREFIX, answer_system, loinc_answers, total_link_id
from carecheck.core.items import kind_of

_LOINC_CODE = re.compile(r"(?:^|[/#:|=])([0-9]{1,7}-[0-9])$")
"""A LOINC code at the end of a linkId (`/44250-9`, `44250-9`) or of a definition (`http://loinc.org/...#44250-9`)."""

_NOT_AN_ITEM = object()


def answers_from_fhir(
    resource: Mapping[str, Any], questionnaire_id: str, items: Sequence[CompiledItem]
) -> dict[str, Any]:
    """The answers (item id -> answer, as an answer file holds them) in a QuestionnaireResponse, or a Bundle that
    holds exactly one. Raises AnswersError naming every linkId or code that cannot be mapped."""
    response = _response(resource)
    reader = _Reader(questionnaire_id, items)
    canonical = response.get("questionnaire")
    own = isinstance(canonical, str) and canonical.startswith(QUESTIONNAIRE_PREFIX)
    if own:
        answered = str(canonical)[len(QUESTIONNAIRE_PREFIX) :].split("|")[0]
        if answered != questionnaire_id:
            raise AnswersError(
                [
                    Problem(
                        "questionnaire",
                        f"the response answers carecheck's {answered!r} questionnaire, and this assessment uses "
                        f"{questionnaire_id!r}: pass --questionnaire {answered} (or the rules written for it)",
                    )
                ]
            )
    for item in _walk(response.get("item")):
        reader.read(item, own)
    if reader.problems:
        raise AnswersError(reader.problems, _record_id(response))
    answers = reader.answers
    record_id = _record_id(response)
    if record_id is not None:
        answers[RECORD_ID] = record_id
    return answers


def _response(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    kind = resource.get("resourceType")
    if kind == "QuestionnaireResponse":
        return resource
    if kind == "Bundle":
        entries = resource.get("entry")
        found: list[Mapping[str, Any]] = [
            entry["resource"]
            for entry in (entries if isinstance(entries, list) else [])
            if isinstance(entry, Mapping)
            and isinstance(entry.get("resource"), Mapping)
            and entry["resource"].get("resourceType") == "QuestionnaireResponse"
        ]
        if len(found) == 1:
            return found[0]
        message = f"the Bundle holds {len(found)} QuestionnaireResponses; carecheck reads one at a time"
        raise AnswersError([Problem("resourceType", message)])
    raise AnswersError(
        [Problem("resourceType", f"is {kind!r}; carecheck reads a QuestionnaireResponse (or a Bundle holding one)")]
    )


def _record_id(response: Mapping[str, Any]) -> str | None:
    identifier = response.get("identifier")
    first = identifier[0] if isinstance(identifier, list) and identifier else identifier  # R5 a list, R4 one
    value = first.get("value") if isinstance(first, Mapping) else None
    return value if isinstance(value, str) and value.strip() else None


def _walk(items: Any) -> Iterator[Mapping[str, Any]]:
    """Every item at any depth, under groups and under answers alike, in document order."""
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        yield item
        yield from _walk(item.get("item"))
        for answer in item.get("answer") or []:
            if isinstance(answer, Mapping):
                yield from _walk(answer.get("item"))


class _Reader:
    def __init__(self, questionnaire_id: str, items: Sequence[CompiledItem]) -> None:
        self.questionnaire_id = questionnaire_id
        self.items = {item.id: item for item in items}
        self.totals = {total_link_id(item.instrument) for item in items if item.instrument is not None}
        self.by_code: dict[str, CompiledItem] = {}
        self.skipped: set[str] = set()
        for panel_id, panel in loinc.PANELS.items():
            self.skipped |= panel.not_asked | {panel.code or "", (panel.total or ("", ""))[0]}
            for item_id, question in panel.items.items():
                item = self.items.get(item_id)
                if item is not None and item.instrument == panel_id:
                    self.by_code[question.code] = item
        self.answers: dict[str, Any] = {}
        self.problems: list[Problem] = []

    def read(self, entry: Mapping[str, Any], own: bool) -> None:
        link_id = str(entry.get("linkId", ""))
        answers = [answer for answer in entry.get("answer") or [] if isinstance(answer, Mapping)]
        item = self._item(entry, link_id, own, bool(answers))
        if item is None:
            return
        if item.id in self.answers:
            self.problems.append(Problem(link_id, f"answers {item.id!r} a second time"))
            return
        value = self._value(item, link_id, answers)
        if value is not _NOT_AN_ITEM:
            self.answers[item.id] = value

    def _item(self, entry: Mapping[str, Any], link_id: str, own: bool, answered: bool) -> CompiledItem | None:
        if own:
            if link_id in self.items:
                return self.items[link_id]
            if answered and link_id not in self.totals:
                self.problems.append(
                    Problem(link_id, f"is not an item of carecheck's {self.questionnaire_id!r} questionnaire")
                )
            return None
        code = _loinc_code(link_id) or _loinc_code(str(entry.get("definition", "")))
        if code is not None and code in self.by_code:
            return self.by_code[code]
        if not answered or (code is not None and code in self.skipped):
            return None  # a group, or a code carecheck knows and does not ask (a total it computes itself)
        why = (
            f"LOINC {code} is not a question carecheck asks"
            if code
            else "has no LOINC code in its linkId or definition, so carecheck cannot tell which item it answers"
        )
        self.problems.append(Problem(link_id or "(no linkId)", why))
        return None

    def _value(self, item: CompiledItem, link_id: str, answers: list[Mapping[str, Any]]) -> Any:
        kind = item.definition.type
        if kind == "multi":
            codes = [self._code(item, link_id, answer) for answer in answers]
            return _NOT_AN_ITEM if _NOT_AN_ITEM in codes else codes
        if not answers:
            return None
        if len(answers) > 1:
            self.problems.append(Problem(link_id, f"has {len(answers)} answers; {item.id!r} takes one"))
            return _NOT_AN_ITEM
        answer = answers[0]
        if kind == "choice":
            return self._code(item, link_id, answer)
        if kind == "integer":
            number = answer.get("valueInteger", answer.get("valueDecimal"))
            if isinstance(number, float) and number.is_integer():
                number = int(number)
            if isinstance(number, int) and not isinstance(number, bool):
                return number
        elif kind == "boolean" and isinstance(answer.get("valueBoolean"), bool):
            return answer["valueBoolean"]
        elif kind == "text" and isinstance(answer.get("valueString"), str):
            return answer["valueString"]
        wanted = {"integer": "valueInteger", "boolean": "valueBoolean", "text": "valueString"}[kind]
        given = ", ".join(key for key in answer if key.startswith("value")) or "no value"
        self.problems.append(Problem(link_id, f"answers {item.id!r} with {given}; it takes {wanted}"))
        return _NOT_AN_ITEM

    def _code(self, item: CompiledItem, link_id: str, answer: Mapping[str, Any]) -> Any:
        coding = answer.get("valueCoding")
        if not isinstance(coding, Mapping):
            given = ", ".join(key for key in answer if key.startswith("value")) or "no value"
            self.problems.append(Problem(link_id, f"answers {item.id!r} with {given}; it takes valueCoding"))
            return _NOT_AN_ITEM
        system, code = coding.get("system"), coding.get("code")
        if system == loinc.SYSTEM:
            value = loinc_answers(item.instrument, item.id).get(str(code))
            if value is not None:
                return value
        elif system == answer_system(self.questionnaire_id, item.id):
            for choice in kind_of(item.definition).choices(item.definition):
                if str(choice.value) == code:
                    return choice.value
        self.problems.append(Problem(link_id, f"the answer {system}#{code} is not one of the answers of {item.id!r}"))
        return _NOT_AN_ITEM


def _loinc_code(text: str) -> str | None:
    found = _LOINC_CODE.search(text.strip())
    return found.group(1) if found else None
