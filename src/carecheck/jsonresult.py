"""The contract's JSON result, written fast: constant fragments (rule texts, criteria, the notice, the definition
references, the safety blocks) are encoded once per rule set, and each result only joins them with its few
variable parts. The output is byte-identical to `json.dumps(result_to_dict(...))` with compact separators, which
tests check over many random answer sets.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from carecheck.engine import Assessor
from carecheck.explanation import safety_dict_for
from carecheck.result import Reason, Result

_MEMO_LIMIT = 50_000
"""Encoded reasons kept at most; past it the memo starts afresh, so memory stays flat over any batch."""

encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""The one JSON encoding of carecheck's output: UTF-8 text, compact, keys in the order given."""


class _Quoted(dict[str, str]):
    """A memo of encoded strings; unknown strings are encoded on first use."""

    def __missing__(self, key: str) -> str:
        value = self[key] = encode(key)
        return value


class JsonResultWriter:
    """Encodes results of one Assessor; may be shared by threads."""

    def __init__(self, assessor: Assessor) -> None:
        rules = assessor.rules.rules
        self._quoted = quoted = _Quoted()
        self._safety = {
            (urgent, note): encode(safety_dict_for(urgent, note, rules.safety))
            for urgent in (True, False)
            for note in (True, False)
        }
        self._reason_head: dict[str, str] = {}
        self._reason_text: dict[str, str | None] = {}
        self._reason_tail: dict[str, str] = {}
        for rule in assessor.placement:
            self._reason_head[rule.id] = '{"rule":' + quoted[rule.id] + ',"level":'
            constant = rule.reason.parts[0] if len(rule.reason.parts) == 1 else None
            self._reason_text[rule.id] = encode(constant) if constant is not None else None
            self._reason_tail[rule.id] = ',"criteria":' + encode(list(rule.criteria)) + ',"items":'
        self._reasons: dict[Reason, str] = {}
        questionnaire, rule_set = assessor._ref_questionnaire, assessor._ref_rules
        self._tail = (
            ',"notice":'
            + encode(rules.disclaimer)
            + ',"questionnaire":'
            + encode(questionnaire.as_dict())
            + ',"rules":'
            + encode(rule_set.as_dict())
            + "}"
        )

    def _list(self, values: Iterable[str]) -> str:
        quoted = self._quoted
        return "[" + ",".join([quoted[value] for value in values]) + "]"

    def _reason(self, reason: Reason) -> str:
        text = self._reason_text[reason.rule] or encode(reason.text)
        return (
            self._reason_head[reason.rule]
            + self._quoted[reason.level]
            + (',"deciding":true,"text":' if reason.deciding else ',"deciding":false,"text":')
            + text
            + self._reason_tail[reason.rule]
            + self._list(reason.items)
            + "}"
        )

    def write(self, result: Result) -> str:
        """One result as one line of JSON (without the newline)."""
        quoted = self._quoted
        # Reasons repeat across records (the same rule, level and answers given): each is encoded once. The memo
        # is a plain dict shared by threads; a race only encodes a fragment twice, to the same text.
        memo = self._reasons
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        reasons = []
        for reason in result.reasons:
            fragment = memo.get(reason)
            if fragment is None:
                fragment = memo[reason] = self._reason(reason)
            reasons.append(fragment)
        scores = ",".join(
            [
                quoted[name] + ':{"total":' + str(score.total) + ',"band":' + quoted[score.band] + "}"
                for name, score in result.scores.items()
            ]
        )
        notes = ",".join(['{"id":' + quoted[note.id] + ',"text":' + encode(note.text) + "}" for note in result.notes])
        record_id = result.record_id
        return (
            '{"safety":'
            + self._safety[(result.urgent, result.safety_note)]
            + ',"schema_version":"1","id":'
            + ("null" if record_id is None else encode(record_id))
            + ',"level":'
            + quoted[result.level]
            + ',"urgent":'
            + ("true" if result.urgent else "false")
            + ',"screen_positive":'
            + ("true" if result.screen_positive else "false")
            + ',"scores":{'
            + scores
            + "}"
            + ',"program_types":'
            + self._list(result.program_types)
            + ',"modalities":'
            + self._list(result.modalities)
            + ',"profile":{'
            + ",".join([quoted[area] + ":" + str(value) for area, value in result.profile])
            + "}"
            + ',"reasons":['
            + ",".join(reasons)
            + "]"
            + ',"notes":['
            + notes
            + "]"
            + ',"warnings":'
            + encode(list(result.warnings))
            + self._tail
        )
