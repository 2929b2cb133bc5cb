"""`carecheck template`: an answer-file skeleton for a questionnaire, every item with its domain and the condition
under which it is asked, as comments. Filled in, it scores; items left empty count as not answered."""

from __future__ import annotations

import textwrap

import yaml

from carecheck.core.assessor import Assessor
from carecheck.core.compile import CompiledQuestionnaire
from carecheck.core.compiled import CompiledItem
from carecheck.core.items import kind_of


def _domain(item: CompiledItem) -> str:
    return kind_of(item.definition).describe(item.definition, write=_as_written)


def _as_written(value: str | int) -> str:
    """A choice as it must be typed in YAML: quoted where YAML would read it as something else (yes, 1.0, null)."""
    if isinstance(value, int) or yaml.safe_load(value) == value:
        return str(value)
    return f"'{value}'"


def answer_template(assessor: Assessor | CompiledQuestionnaire) -> str:
    """The skeleton as YAML text: `id:` then one `item:` line per item, in the questionnaire's order."""
    questionnaire = assessor.questionnaire.questionnaire
    lines = [
        f"# Answers for {questionnaire.title} ({questionnaire.id} {questionnaire.version}).",
        "# Fill in each answer after its colon. Leave an answer empty where its question is not asked",
        "# (see 'asked if'), or where an optional question is left out. Check it with:",
        "#   carecheck assess --answers THIS_FILE",
        "id:   # optional: a label for this record, echoed in the result",
    ]
    section = None
    for item in assessor.items:
        if item.section != section:
            section = item.section
            shown = next(s for s in questionnaire.sections if s.id == section)
            lines += ["", f"# --- {' '.join(shown.title.split())} ---"]
            # the section's own words (the AUDIT's "drink" is defined there) and the instrument's credit, as asked
            said = [shown.intro or ""]
            if shown.instrument is not None:
                attribution = assessor.questionnaire.instruments[shown.instrument].instrument.attribution
                said.append(f"{attribution.credit} {attribution.terms}")
            lines += [f"# {line}" for text in said if text for line in textwrap.wrap(" ".join(text.split()), 110)]
        prompt = " ".join(item.definition.prompt.split())  # one comment line, however the prompt was written
        lines.append(f"# {prompt[:110]}{'...' if len(prompt) > 110 else ''}")
        notes = [_domain(item)]
        if item.conditions:
            notes.append("asked if " + " and ".join(c.source for c in item.conditions))
        if not item.definition.required:
            notes.append("optional")
        lines.append(f"{item.id}:   # {'; '.join(notes)}")
    return "\n".join(lines) + "\n"
