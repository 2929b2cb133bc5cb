"""The counselor's chart report of an intake record: one self-contained, printable HTML file, or the same in Markdown.

Drawn from the stored record alone, never from the definitions in use today, so a report reads the same years later.
Pure: a record in, a string out. Every value in a record is untrusted and shown literally.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from carecheck.output.render import (
    Alert,
    Block,
    Box,
    Bullets,
    Code,
    Figure,
    Footer,
    Header,
    Heading,
    Inline,
    Paragraph,
    Placement,
    Quote,
    Reasons,
    Section,
    Signatures,
    Strong,
    Table,
    Versions,
    layout_html,
    layout_markdown,
    layout_text,
)

# --- what the report says, in the order a counselor reads it, drawn from the record ------------------------------

CHART_TITLE = "Level-of-care screening: chart report"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

PROFILE_CAPTION = (
    "Severity profile: how much each area of the client's life weighs in the screening (0 = nothing to note)"
)
DECIDING_INTRO = "these set the computed level"
ALSO_NOTED_INTRO = "these ask for the same or a lower level: worth knowing, but they did not decide"
SCORES_CAPTION = "Instrument scores: each questionnaire's total, and the band (the range of scores) it falls in"


class Citation(NamedTuple):
    section: str
    text: str
    repeated: bool = False
    """Cited by an earlier reason too: its text is shown once."""


class ReasonLine(NamedTuple):
    level_name: str
    text: str
    evidence: tuple[str, ...]
    citations: tuple[Citation, ...]


class ScoreRow(NamedTuple):
    instrument: str
    total: str
    maximum: str
    band: str
    show_total: bool = True
    """False for a screen read as its result (the ASQ): the chart shows the band, not `n of 4`."""


class ProfileRow(NamedTuple):
    area: str
    value: int
    maximum: int


class Suggestion(NamedTuple):
    name: str
    text: str


class AnswerRow(NamedTuple):
    section: str
    label: str
    display: str


class Definition(NamedTuple):
    kind: str
    title: str
    id: str
    version: str
    sha256: str


class Safety(NamedTuple):
    urgent: bool
    heading: str
    message: str
    contacts: tuple[tuple[str, str], ...]


class ChartView(NamedTuple):
    """Everything a chart report shows, as text taken from a record (not yet escaped)."""

    safety: Safety | None
    client: str
    when: str
    counselor: str
    record_id: str
    computed: str
    chosen: str
    override_reason: str | None
    warnings: tuple[str, ...]
    scores: tuple[ScoreRow, ...]
    profile: tuple[ProfileRow, ...]
    deciding: tuple[ReasonLine, ...]
    also_noted: tuple[ReasonLine, ...]
    programs: tuple[Suggestion, ...]
    modalities: tuple[Suggestion, ...]
    notes: tuple[str, ...]
    clinician_notes: tuple[tuple[str, str], ...]
    answers: tuple[AnswerRow, ...]
    carecheck_version: str
    definitions: tuple[Definition, ...]
    notice: str
    cautions: tuple[str, ...] = ()
    instruments_used: tuple[tuple[str, str], ...] = ()
    """Each instrument asked, with its credit and terms: (names, words)."""


def _text(value: Any, missing: str = "") -> str:
    """A value from a record as text; None (or absent) as `missing`."""
    return missing if value is None else str(value)


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any) -> int:
    """A whole number from a record; anything else counts as 0 (a chart bar cannot be drawn from words)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def say_when(created: Any) -> str:
    """An ISO timestamp as a counselor writes it: `26 Nov 2026, 19:30 UTC`; anything unreadable as it is."""
    text = _text(created, "not recorded")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:  # no zone recorded: say the time as written, without claiming one
        return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}, {moment:%H:%M}"
    moment = moment.astimezone(UTC)
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}, {moment:%H:%M} UTC"


def _display(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(part) for part in value) if value else "none"
    return _text(value)


def _shared_start(texts: list[str]) -> str:
    shared = texts[0]
    for text in texts[1:]:
        while not text.startswith(shared):
            shared = shared[:-1]
    return shared


def _answer_rows(entries: Iterable[Mapping[str, Any]]) -> tuple[AnswerRow, ...]:
    """One row per labelled answer; a run of unlabelled ones in a section (an instrument's numbered questions) shares
    one row, `phq9_1 to phq9_8` with `1: Not at all · 2: Several days · ...`, to keep the appendix short."""
    rows: list[AnswerRow] = []
    run: list[tuple[str, str]] = []
    section = ""

    def close() -> None:
        if len(run) == 1:
            rows.append(AnswerRow(section, *run[0]))
        elif run:
            ids = [item_id for item_id, _ in run]
            prefix = _shared_start(ids).rstrip("0123456789")
            parts = " · ".join(f"{item_id[len(prefix) :]}: {display}" for item_id, display in run)
            rows.append(AnswerRow(section, f"{ids[0]} to {ids[-1]}", parts))
        run.clear()

    for entry in entries:
        item_id, label = _text(entry.get("id")), _text(entry.get("label"))
        if _text(entry.get("section")) != section:
            close()
            section = _text(entry.get("section"))
        if label and label != item_id:
            close()
            rows.append(AnswerRow(section, label, _display(entry.get("display"))))
            continue
        if run and run[0][0].rstrip("0123456789") != item_id.rstrip("0123456789"):
            close()  # another instrument's questions start a row of their own
        run.append((item_id, _display(entry.get("display"))))
    close()
    return tuple(rows)


def _reasons(entries: Any, seen: set[tuple[str, str]]) -> tuple[ReasonLine, ...]:
    """Reasons in the record's order; a criterion already in `seen` (cited by an earlier reason) is marked repeated."""
    lines = []
    for entry in map(_map, _list(entries)):
        citations = []
        for cited in map(_map, _list(entry.get("citations"))):
            key = (_text(cited.get("section")), _text(cited.get("text")))
            citations.append(Citation(*key, repeated=key in seen))
            seen.add(key)
        evidence = tuple(_text(phrase) for phrase in _list(entry.get("evidence")))
        lines.append(ReasonLine(_text(entry.get("level_name")), _text(entry.get("text")), evidence, tuple(citations)))
    return tuple(lines)


def _said(citation: Citation) -> str:
    return "as cited above" if citation.repeated else citation.text


def _suggestions(entries: Any) -> tuple[Suggestion, ...]:
    return tuple(Suggestion(_text(e.get("name")), _text(e.get("text"))) for e in map(_map, _list(entries)))


def chart_view(record: Mapping[str, Any]) -> ChartView:
    """What the chart report of `record` says, in reading order, as plain (unescaped) text."""
    result = _map(record.get("result"))
    explanation = _map(record.get("explanation"))
    names = _map(record.get("level_names"))
    titles = _map(record.get("titles"))
    computed = _text(record.get("computed_level"))
    override = record.get("override")
    override_map = _map(override)
    chosen = _text(override_map.get("level")) if override else _text(record.get("chosen_level"), computed)

    safety = None
    if result.get("safety"):
        block = _map(result["safety"])
        contacts = tuple((_text(_map(c).get("name")), _text(_map(c).get("how"))) for c in _list(block.get("contacts")))
        safety = Safety(bool(block.get("urgent")), _text(block.get("heading")), _text(block.get("message")), contacts)

    answers = [_map(entry) for entry in _list(record.get("answers"))]
    cited: set[tuple[str, str]] = set()
    definitions = tuple(
        Definition(
            kind, _text(titles.get(key)), _text(ref.get("id")), _text(ref.get("version")), _text(ref.get("sha256"))
        )
        for kind, key, ref in (
            ("Questionnaire", "questionnaire", _map(result.get("questionnaire"))),
            ("Rule set", "rules", _map(result.get("rules"))),
        )
    )
    return ChartView(
        safety=safety,
        client=_text(record.get("client"), "not recorded"),
        when=say_when(record.get("created")),
        counselor=_text(record.get("counselor"), "not recorded") or "not recorded",
        record_id=_text(record.get("id"), "not stored yet"),
        computed=_text(names.get(computed), computed),
        chosen=_text(names.get(chosen), chosen),
        override_reason=_text(override_map.get("reason")) if override else None,
        warnings=tuple(_text(w) for w in _list(explanation.get("warnings"))),
        scores=tuple(
            ScoreRow(
                _text(s.get("instrument")),
                _text(s.get("total")),
                _text(s.get("maximum")),
                _text(s.get("band")),
                s.get("show_total") is not False,  # a record written before the field shows its total, as it did
            )
            for s in map(_map, _list(explanation.get("scores")))
        ),
        profile=tuple(
            ProfileRow(_text(p.get("area")), _int(p.get("value")), _int(p.get("maximum")))
            for p in map(_map, _list(explanation.get("profile")))
        ),
        deciding=_reasons(explanation.get("deciding"), cited),
        also_noted=_reasons(explanation.get("also_noted"), cited),
        programs=_suggestions(explanation.get("programs")),
        modalities=_suggestions(explanation.get("modalities")),
        notes=tuple(_text(note) for note in _list(explanation.get("notes"))),
        clinician_notes=tuple(
            (_text(a.get("label") or a.get("id")), _text(a.get("value"))) for a in answers if a.get("type") == "text"
        ),
        answers=_answer_rows(a for a in answers if a.get("type") != "text"),
        carecheck_version=_text(record.get("carecheck"), "not recorded"),
        definitions=definitions,
        notice=_text(result.get("notice")) or _text(explanation.get("disclaimer")),
        cautions=tuple(_text(caution) for caution in _list(explanation.get("cautions"))),
        instruments_used=tuple(
            (_text(c.get("name")), f"{_text(c.get('credit'))} {_text(c.get('terms'))}".strip())
            for c in map(_map, _list(explanation.get("instruments_used")))
        ),
    )


# --- the print style of the HTML layout -----------------------------------------------------------------------------

# Sizes in mm and pt fit the narrower printable area of A4 (210 mm wide) and Letter (279 mm tall) alike; @page sets
# margins only, so the printer's own paper size is used. Black on white; red only marks crisis help.
_STYLE = """
@page { margin: 13mm 14mm 14mm; }
html { background: #fff; color: #000; }
body { font: 10pt/1.25 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  max-width: 182mm; margin: 0 auto; padding: 8mm 4mm; color: #000; background: #fff; }
h1 { font-size: 14pt; margin: 0 0 1.5mm; }
h2 { font-size: 11pt; margin: 2.6mm 0 1mm; padding-bottom: 0.5mm; border-bottom: 0.3mm solid #000;
  break-after: avoid; page-break-after: avoid; }
h3 { font-size: 10pt; margin: 1.8mm 0 0.8mm; break-after: avoid; page-break-after: avoid; }
h3 .muted { font-weight: normal; }
p { margin: 0 0 1.5mm; }
ul { margin: 0 0 1.5mm; padding-left: 5mm; }
li { margin: 0 0 0.8mm; }
table { width: 100%; border-collapse: collapse; margin: 0 0 1.5mm; }
th, td { text-align: left; vertical-align: top; padding: 0.7mm 1.5mm 0.7mm 0; border-bottom: 0.2mm solid #999; }
th { font-weight: 600; border-bottom: 0.3mm solid #000; }
tr, .block, .reason, figure, .safety, .signatures, .versions { break-inside: avoid; page-break-inside: avoid; }
td.num { white-space: nowrap; }
.small, .citations, .evidence { font-size: 8.5pt; }
.care { font-size: 9pt; }
.muted { color: #333; }
.safety { border: 0.8mm solid #b00020; padding: 2mm 4mm; margin: 0 0 4mm; }
.safety.check-in { border-color: #000; border-width: 0.5mm; }
.safety h2 { border: 0; margin-top: 0; color: #b00020; }
.safety.check-in h2 { color: #000; }
.meta { display: grid; grid-template-columns: auto 1fr auto 1fr; gap: 0.5mm 3mm; margin: 0 0 2mm; }
.meta dt { font-weight: 600; }
.meta dd { margin: 0; overflow-wrap: anywhere; }
.placement { border-left: 1.2mm solid #000; padding: 1mm 0 1mm 3mm; margin: 0 0 2mm; }
.placement p { margin: 0 0 0.8mm; }
.reason { margin: 0 0 2mm; }
.reason p { margin: 0 0 0.5mm; }
.evidence, .citations { margin: 0 0 0.5mm; padding-left: 4mm; }
.evidence li, .citations li { margin: 0; }
figure { margin: 0 0 2mm; }
figure svg { display: block; width: 100%; height: auto; max-width: 182mm; }
.note { white-space: pre-line; overflow-wrap: anywhere; border: 0.2mm solid #999; padding: 1.5mm 2.5mm; }
.appendix { font-size: 7.5pt; line-height: 1.25; columns: 2; column-gap: 6mm; }
.appendix table { margin: 0 0 1mm; break-inside: avoid; page-break-inside: avoid; }
.appendix th, .appendix td { padding: 0.3mm 1mm 0.3mm 0; }
.appendix caption { text-align: left; font-weight: 600; padding-top: 1mm; break-after: avoid; }
.appendix td:first-child { width: 50%; }
.versions { font-size: 8pt; }
.versions code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 7.5pt;
  overflow-wrap: anywhere; word-break: break-all; }
.signatures { display: grid; grid-template-columns: 3fr 1fr 3fr 1fr; gap: 0 5mm; margin: 7mm 0 2.5mm; }
.signatures div { border-top: 0.3mm solid #000; padding-top: 0.8mm; font-size: 8.5pt; }
.notice { font-size: 9pt; border: 0.3mm solid #000; padding: 1.5mm 2.5mm; }
td, dd, li, p { overflow-wrap: anywhere; }
@media print { body { max-width: none; padding: 0; } }
"""


# --- the report as blocks, laid out by output/render ----------------------------------------------------------------


def _reasons_block(heading: str, note: str, reasons: tuple[ReasonLine, ...]) -> list[Block]:
    if not reasons:
        return []
    items = tuple(
        (
            (Strong(("Points to: ", reason.level_name, ".")), " ", reason.text),
            (
                *(("Based on: ", phrase) for phrase in reason.evidence),
                *(("Criterion, guide section “", c.section, "”: ", _said(c)) for c in reason.citations),
            ),
        )
        for reason in reasons
    )
    return [Reasons(heading, note, items)]


_SIGNATURE_CAPTIONS = ("Counselor signature", "Reviewed by (supervisor)")


def _labelled(name: str, text: str) -> Inline:
    return (Strong((name, ":")), " ", text)


def _recommendation(view: ChartView) -> Section:
    lines: list[tuple[Inline, bool]] = [(("Computed by the screening: ", Strong(view.computed)), False)]
    if view.override_reason is None:
        lines.append((("Counselor's placement: ", Strong(view.chosen), " (the computed level, accepted)"), False))
    else:
        lines.append((("Counselor's placement: ", Strong(view.chosen), " (a different level)"), True))
        lines.append((("Reason: ", view.override_reason), True))
    blocks: list[Block] = [Placement(tuple(lines))]
    blocks += [Paragraph((Strong("Important:"), " ", caution)) for caution in view.cautions]
    if view.warnings:
        blocks += [Paragraph((Strong("Warnings from the screening:"),)), Bullets(view.warnings)]
    return Section("Recommendation", tuple(blocks), "block")


def _care(view: ChartView) -> list[Block]:
    care: list[Block] = []
    for heading, suggestions in (
        ("Program types to consider", view.programs),
        ("Therapies (modalities) to consider", view.modalities),
    ):
        if suggestions:
            care += [Heading(heading, 3), Bullets(tuple(_labelled(s.name, s.text) for s in suggestions))]
    if view.notes:
        care += [Heading("Practical notes", 3), Bullets(view.notes)]
    return [Section("Care to consider", tuple(care), "care")] if care else []


def _versions(view: ChartView) -> Versions:
    definitions: list[Inline] = []
    for d in view.definitions:
        title = (" (", d.title, ")") if d.title else ()
        definitions.append(
            (d.kind, *title, ": ", Code(d.id), " version ", Code(d.version), ", SHA-256 fingerprint ", Code(d.sha256))
        )
    return Versions(("carecheck version ", Code(view.carecheck_version)), tuple(definitions))


def chart_blocks(view: ChartView) -> list[Block]:
    """The chart report as blocks: crisis help first, then who, when and the placement (the computed level always
    beside the counselor's), scores, profile, reasons, care to consider, the clinician's note, the answers, versions,
    signature lines and the notice. Sections marked `block` are kept whole on a printed page."""
    blocks: list[Block] = []
    if view.safety is not None:
        contacts = tuple(_labelled(name, how) for name, how in view.safety.contacts)
        blocks.append(Alert(view.safety.heading, (view.safety.message, *contacts), view.safety.urgent, "safety"))
    fields = (
        ("Client", view.client),
        ("Date and time", view.when),
        ("Counselor", view.counselor),
        ("Record", view.record_id),
    )
    blocks += [Header(CHART_TITLE, fields), _recommendation(view)]
    if view.scores:
        scores = tuple(
            (s.instrument, (s.total, " of ", s.maximum) if s.show_total else "a screen, not a sum", s.band)
            for s in view.scores
        )
        scored: tuple[Block, ...] = (
            Paragraph(f"{SCORES_CAPTION}.", "small muted"),
            Table(("Instrument", "Score", "Band"), scores, numeric=(1,)),
        )
    else:
        scored = (Paragraph("No instrument was scored in this intake."),)
    blocks.append(Section("Instrument scores", scored, "block"))
    profile = tuple((p.area, p.value, p.maximum) for p in view.profile)
    blocks.append(
        Section(
            "Severity profile",
            (Figure("Severity profile", f"{PROFILE_CAPTION}.", profile),)
            if profile
            else (Paragraph("This record has no severity profile."),),
            "block",
        )
    )
    if view.deciding or view.also_noted:
        reasons = _reasons_block("Deciding reasons", DECIDING_INTRO, view.deciding)
        reasons += _reasons_block("Also noted", ALSO_NOTED_INTRO, view.also_noted)
        blocks.append(Section("Reasons", tuple(reasons)))
    blocks += _care(view)
    if view.clinician_notes:
        notes: list[Block] = []
        for label, text in view.clinician_notes:
            if len(view.clinician_notes) > 1:
                notes.append(Heading(label, 3))
            notes.append(Quote(text))
        blocks.append(Section("Clinician's note", tuple(notes), "block"))
    answers: Block = (
        Table(
            ("Section", "Question", "Answer"),
            tuple((r.section, r.label, r.display) for r in view.answers),
            grouped=True,
        )
        if view.answers
        else Paragraph("No answers were recorded.")
    )
    blocks.append(Section("Appendix: the answers", (Box((answers,), "appendix"),)))
    if view.instruments_used:  # with the versions: where the questions came from, and on what terms
        credits = tuple(Paragraph(_labelled(name, words), "small muted") for name, words in view.instruments_used)
        blocks.append(Section("Questionnaires used", credits, "versions"))
    blocks += [
        Section("Versions", (_versions(view),), "versions"),
        Section("Signatures", (Signatures(("Counselor", "Reviewed by (supervisor)"), _SIGNATURE_CAPTIONS),), "block"),
        Footer(_labelled("Please keep in mind", view.notice)),
    ]
    return blocks


def chart_html(record: Mapping[str, Any]) -> str:
    """The chart report of an intake record as one self-contained HTML file that prints on A4 and Letter:
    `chart_blocks` in the HTML layout every result uses, with the print style above. No scripts and no external
    resources; every value from the record is HTML-escaped; the severity profile is an inline SVG chart."""
    view = chart_view(record)
    return layout_html(chart_blocks(view), f"Chart report: client {view.client}", _STYLE)


def chart_markdown(record: Mapping[str, Any]) -> str:
    """The chart report of an intake record in Markdown: `chart_blocks` in the layout every result uses; the same
    sections, in the same order, as `chart_html` (crisis help first; scores, profile and answers as tables). Every value
    from the record is Markdown-escaped, each on its own."""
    return layout_markdown(chart_blocks(chart_view(record)))


def chart_text(record: Mapping[str, Any], width: int = 80, color: bool = False, plain: bool = False) -> str:
    """The chart report as text for a terminal (`records show`): `chart_blocks` in the text layout every result uses,
    the whole report at the terminal's width (crisis help first; control characters in the record shown, not obeyed;
    with `plain`, the profile in words rather than bars)."""
    return layout_text(chart_blocks(chart_view(record)), width, color, plain)
