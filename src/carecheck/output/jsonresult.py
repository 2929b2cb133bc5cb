"""The contract's JSON result, written fast: constant fragments (rule texts, criteria, the notice, the definition
references, the safety blocks) are encoded once per rule set, and each result only joins them with its few
variable parts. The output is byte-identical to `json.dumps(result_to_dict(...))` with compact separators, which
tests check over many random answer sets.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from carecheck.core.assessor import Assessor
from carecheck.core.result import Note, Outcome, Result, Score
from carecheck.core.safetext import json_escaped
from carecheck.core.wording import safety_dict_for, safety_messages

_MEMO_LIMIT = 50_000
"""Encoded fragments kept at most in each memo; past it a memo starts afresh, so memory stays flat over any batch."""

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def encode(value: Any) -> str:
    """The one JSON encoding of carecheck's output: UTF-8 text, compact, keys in the order given, controls that
    could drive a terminal escaped (`safetext.json_escaped`)."""
    return json_escaped(_encode(value))


class _Memo(dict[Any, str]):
    """Encoded fragments by what they encode: unknown keys are encoded on first use, and past _MEMO_LIMIT entries
    the memo starts afresh, so memory stays flat over any batch. A plain dict, so a hit costs one lookup; shared by
    threads, a race only encodes a fragment twice, to the same text."""

    def __init__(self, encode_key: Callable[[Any], str]) -> None:
        super().__init__()
        self.encode_key = encode_key

    def __missing__(self, key: Any) -> str:
        if len(self) >= _MEMO_LIMIT:
            self.clear()
        value = self[key] = self.encode_key(key)
        return value


class JsonResultWriter:
    """Encodes results of one Assessor, from a Result or straight from an Outcome; may be shared by threads."""

    def __init__(self, assessor: Assessor) -> None:
        rules = assessor.rules.rules
        self._quoted = quoted = _Memo(encode)
        # The safety block names what the fired rules found, so it is keyed by those of them that say something.
        self._says = frozenset(rule.id for rule in rules.placement if rule.safety_message is not None)
        self._safety = _Memo(
            lambda key: encode(safety_dict_for(key[0], key[1], rules.safety, safety_messages(key[2], key[0], rules)))
        )
        self._levels = assessor.levels
        self._placement = assessor.placement
        self._reason_head: dict[str, str] = {}
        self._reason_text: dict[str, str | None] = {}
        self._reason_tail: dict[str, str] = {}
        for rule in assessor.placement:
            self._reason_head[rule.id] = '{"rule":' + quoted[rule.id] + ',"level":'
            constant = rule.reason.parts[0] if len(rule.reason.parts) == 1 else None
            self._reason_text[rule.id] = encode(constant) if constant is not None else None
            self._reason_tail[rule.id] = ',"criteria":' + encode(list(rule.criteria)) + ',"items":'
        # Most of a result repeats across records: each part is encoded once for each value it takes.
        self._reasons = _Memo(
            lambda reason: self._reason(reason.rule, reason.level, reason.deciding, reason.text, reason.items)
        )
        self._fired = _Memo(self._fired_reason)
        self._lists = _Memo(self._list)
        self._scores = {instrument.id: _Memo(self._score_encoder(instrument.id)) for instrument in assessor.instruments}
        self._profiles = _Memo(lambda profile: ",".join(quoted[area] + ":" + str(value) for area, value in profile))
        self._notes = _Memo(lambda note: '{"id":' + quoted[note.id] + ',"text":' + encode(note.text) + "}")
        questionnaire, rule_set = assessor.definitions.ref_questionnaire, assessor.definitions.ref_rules
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

    def _reason(self, rule: str, level: str, deciding: bool, text: str, items: tuple[str, ...]) -> str:
        return (
            self._reason_head[rule]
            + self._quoted[level]
            + (',"deciding":true,"text":' if deciding else ',"deciding":false,"text":')
            + (self._reason_text[rule] or encode(text))
            + self._reason_tail[rule]
            + self._list(items)
            + "}"
        )

    def _score_encoder(self, instrument: str) -> Callable[[Score], str]:
        head = self._quoted[instrument] + ':{"total":'
        return lambda score: head + str(score.total) + ',"band":' + self._quoted[score.band] + "}"

    def _scores_text(self, scores: Mapping[str, Score]) -> str:
        memos = self._scores
        return ",".join([memos[name][score] for name, score in scores.items()])

    def _fired_reason(self, key: tuple[int, int, bool, str, tuple[str, ...]]) -> str:
        index, level, deciding, text, items = key
        return self._reason(self._placement[index].id, self._levels[level], deciding, text, items)

    def write(self, result: Result) -> str:
        """One result as one line of JSON (without the newline)."""
        return self._line(
            self._safety[
                (result.urgent, result.safety_note, tuple(r.rule for r in result.reasons if r.rule in self._says))
            ],
            result.record_id,
            result.level,
            result.urgent,
            result.screen_positive,
            self._scores_text(result.scores),
            result.program_types,
            result.modalities,
            result.profile,
            [self._reasons[reason] for reason in result.reasons],
            result.notes,
            result.warnings,
        )

    def write_outcome(self, outcome: Outcome, record_id: str | int | None, warnings: tuple[str, ...] = ()) -> str:
        """What `write` gives for the Result of this outcome, without building the Result."""
        final, urgent = outcome.final, outcome.urgent
        fired = self._fired
        return self._line(
            self._safety[
                (
                    urgent,
                    urgent or outcome.safety_note,
                    tuple(rule for rule in (self._placement[f[0]].id for f in outcome.fired) if rule in self._says),
                )
            ],
            record_id,
            self._levels[final],
            urgent,
            bool(outcome.fired),
            self._scores_text(outcome.scores),
            outcome.programs,
            outcome.modalities,
            outcome.profile,
            [fired[(index, level, level == final, text, given)] for index, level, text, given in outcome.fired],
            outcome.notes,
            warnings,
        )

    def _line(
        self,
        safety: str,
        record_id: str | int | None,
        level: str,
        urgent: bool,
        screen_positive: bool,
        scores: str,
        programs: tuple[str, ...],
        modalities: tuple[str, ...],
        profile: tuple[tuple[str, int], ...],
        reasons: list[str],
        notes: tuple[Note, ...],
        warnings: tuple[str, ...],
    ) -> str:
        lists, note_text = self._lists, self._notes
        # One join, not a chain of +: the result is a few kilobytes, and each + would copy it again.
        return "".join(
            [
                '{"safety":',
                safety,
                ',"schema_version":"1","id":',
                "null" if record_id is None else encode(record_id),
                ',"level":',
                self._quoted[level],
                ',"urgent":true' if urgent else ',"urgent":false',
                ',"screen_positive":true,"scores":{' if screen_positive else ',"screen_positive":false,"scores":{',
                scores,
                '},"program_types":',
                lists[programs],
                ',"modalities":',
                lists[modalities],
                ',"profile":{',
                self._profiles[profile],
                '},"reasons":[',
                ",".join(reasons),
                '],"notes":[',
                ",".join([note_text[note] for note in notes]),
                '],"warnings":',
                encode(list(warnings)) if warnings else "[]",
                self._tail,
            ]
        )
