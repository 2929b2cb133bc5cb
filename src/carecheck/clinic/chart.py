"""The counselor's chart report of an intake record: one self-contained, printable HTML file, or the same in Markdown.

Drawn from the stored record alone, never from the definitions in use today, so a report reads the same years later.
Pure: a record in, a string out. Every value in a record is untrusted and shown literally.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from carecheck.core.safetext import literal
from carecheck.output.render import (
    Alert,
    Block,
    Bullets,
    Chart,
    Heading,
    Inline,
    Outline,
    Paragraph,
    Quote,
    Signatures,
    Strong,
    Table,
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
            ScoreRow(_text(s.get("instrument")), _text(s.get("total")), _text(s.get("maximum")), _text(s.get("band")))
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
    )


# --- HTML ---------------------------------------------------------------------------------------------------------

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


def _esc(value: str) -> str:
    """Untrusted text as HTML that shows it literally, control characters made visible."""
    return html.escape(literal(value), quote=True)


def _html_reasons(heading: str, intro: str, reasons: tuple[ReasonLine, ...]) -> list[str]:
    if not reasons:
        return []
    out = [f'<h3>{heading} <span class="small muted">({intro})</span></h3>']
    for reason in reasons:
        out.append('<div class="reason">')
        out.append(f"<p><strong>Points to: {_esc(reason.level_name)}.</strong> {_esc(reason.text)}</p>")
        items = [f"<li>Based on: {_esc(phrase)}</li>" for phrase in reason.evidence]
        items += [f"<li>Criterion, guide section “{_esc(c.section)}”: {_esc(_said(c))}</li>" for c in reason.citations]
        if items:
            out.append(f'<ul class="evidence">{"".join(items)}</ul>')
        out.append("</div>")
    return out


def _fit_label(label: str, room: int) -> str:
    return label if len(label) <= room else label[: max(room - 1, 1)].rstrip() + "…"


def profile_svg(rows: tuple[ProfileRow, ...]) -> str:
    """The severity profile as an accessible inline SVG bar chart: one bar per area, its value also written out."""
    width, row_height, bar_height, font = 600, 18, 11, 11
    longest = max((len(row.area) for row in rows), default=10)
    label_room = min(max(longest, 10), 42)  # characters; longer names are shortened here and given in full in <desc>
    label_width = round(label_room * 5.9) + 8
    value_width = 78
    bar_left, bar_width = label_width, width - label_width - value_width
    height = len(rows) * row_height + 4
    summary = "; ".join(f"{row.area}: {row.value} of {row.maximum}" for row in rows)
    out = [
        f'<svg role="img" aria-labelledby="profile-title profile-desc" viewBox="0 0 {width} {height}" '
        f'font-family="system-ui, Arial, sans-serif" font-size="{font}">',
        '<title id="profile-title">Severity profile</title>',
        f'<desc id="profile-desc">{_esc(summary)}</desc>',
    ]
    for index, row in enumerate(rows):
        top = index * row_height + 4
        middle = top + bar_height / 2 + 3.5
        maximum = max(row.maximum, 1)
        value = min(max(row.value, 0), maximum)
        said = f"{row.area}: {row.value} of {row.maximum}"
        out.append(f'<g class="area"><title>{_esc(said)}</title>')
        out.append(f'<text x="0" y="{middle:g}">{_esc(_fit_label(row.area, label_room))}</text>')
        out.append(
            f'<rect class="track" x="{bar_left}" y="{top}" width="{bar_width}" height="{bar_height}" '
            'fill="#fff" stroke="#000" stroke-width="0.8"/>'
        )
        filled = bar_width * value / maximum
        out.append(f'<rect class="bar" x="{bar_left}" y="{top}" width="{filled:g}" height="{bar_height}" fill="#444"/>')
        if maximum <= 10:  # a few steps: mark each, so "2 of 3" can be read off the bar
            for step in range(1, maximum):
                x = bar_left + bar_width * step / maximum
                out.append(
                    f'<line x1="{x:g}" y1="{top}" x2="{x:g}" y2="{top + bar_height}" stroke="#000" stroke-width="0.8"/>'
                )
        out.append(f'<text x="{width - value_width + 8}" y="{middle:g}">{row.value} of {row.maximum}</text></g>')
    out.append("</svg>")
    return "".join(out)


def _html_meta(view: ChartView) -> str:
    pairs = (
        ("Client", view.client),
        ("Date and time", view.when),
        ("Counselor", view.counselor),
        ("Record", view.record_id),
    )
    return '<dl class="meta">' + "".join(f"<dt>{k}</dt><dd>{_esc(v)}</dd>" for k, v in pairs) + "</dl>"


def _html_placement(view: ChartView) -> list[str]:
    out = ['<section class="block"><h2>Recommendation</h2><div class="placement">']
    out.append(f"<p>Computed by the screening: <strong>{_esc(view.computed)}</strong></p>")
    if view.override_reason is None:
        out.append(f"<p>Counselor's placement: <strong>{_esc(view.chosen)}</strong> (the computed level, accepted)</p>")
    else:
        out.append(
            f'<p class="override">Counselor\'s placement: <strong>{_esc(view.chosen)}</strong> (a different level)</p>'
        )
        out.append(f'<p class="override">Reason: {_esc(view.override_reason)}</p>')
    out.append("</div>")
    if view.warnings:
        out.append("<p><strong>Warnings from the screening:</strong></p><ul>")
        out += [f"<li>{_esc(w)}</li>" for w in view.warnings]
        out.append("</ul>")
    out.append("</section>")
    return out


def _html_scores(view: ChartView) -> list[str]:
    out = ['<section class="block"><h2>Instrument scores</h2>']
    if not view.scores:
        return [*out, "<p>No instrument was scored in this intake.</p></section>"]
    out.append(f'<p class="small muted">{_esc(SCORES_CAPTION)}.</p>')
    out.append("<table><thead><tr><th>Instrument</th><th>Score</th><th>Band</th></tr></thead><tbody>")
    for s in view.scores:
        out.append(
            f'<tr><td>{_esc(s.instrument)}</td><td class="num">{_esc(s.total)} of {_esc(s.maximum)}</td>'
            f"<td>{_esc(s.band)}</td></tr>"
        )
    out.append("</tbody></table></section>")
    return out


def _html_suggestions(view: ChartView) -> list[str]:
    groups = (
        ("Program types to consider", view.programs),
        ("Therapies (modalities) to consider", view.modalities),
    )
    out: list[str] = []
    for heading, suggestions in groups:
        if suggestions:
            out.append(f"<h3>{heading}</h3><ul>")
            out += [f"<li><strong>{_esc(s.name)}:</strong> {_esc(s.text)}</li>" for s in suggestions]
            out.append("</ul>")
    if view.notes:
        out.append("<h3>Practical notes</h3><ul>")
        out += [f"<li>{_esc(note)}</li>" for note in view.notes]
        out.append("</ul>")
    return ['<section class="care"><h2>Care to consider</h2>', *out, "</section>"] if out else []


def _grouped(rows: Iterable[AnswerRow]) -> list[tuple[str, list[AnswerRow]]]:
    groups: list[tuple[str, list[AnswerRow]]] = []
    for row in rows:
        if not groups or groups[-1][0] != row.section:
            groups.append((row.section, []))
        groups[-1][1].append(row)
    return groups


def _html_answers(view: ChartView) -> list[str]:
    out = ["<section><h2>Appendix: the answers</h2>", '<div class="appendix">']
    for section, rows in _grouped(view.answers):
        out.append(f"<table><caption>{_esc(section)}</caption><tbody>")
        out += [f"<tr><td>{_esc(r.label)}</td><td>{_esc(r.display)}</td></tr>" for r in rows]
        out.append("</tbody></table>")
    if not view.answers:
        out.append("<p>No answers were recorded.</p>")
    out.append("</div></section>")
    return out


def _html_versions(view: ChartView) -> list[str]:
    out = [
        f'<section class="versions"><h2>Versions</h2><p>carecheck version <code>{_esc(view.carecheck_version)}</code>'
    ]
    out.append("</p><ul>")
    for d in view.definitions:
        title = f" ({_esc(d.title)})" if d.title else ""
        out.append(
            f"<li>{d.kind}{title}: <code>{_esc(d.id)}</code> version <code>{_esc(d.version)}</code>, "
            f"SHA-256 fingerprint <code>{_esc(d.sha256)}</code></li>"
        )
    out.append("</ul></section>")
    return out


def chart_html(record: Mapping[str, Any]) -> str:
    """The chart report of an intake record as one self-contained HTML file that prints on A4 and Letter.

    Crisis help (when the record has any) comes first; then who, when and the placement, with the computed level
    always shown beside the counselor's; scores, the severity profile as an inline SVG chart, the reasons and the
    criteria they stand on, care to consider, the clinician's note, the answers, versions, signature lines and the
    notice. No scripts and no external resources; every value from the record is HTML-escaped.
    """
    view = chart_view(record)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Chart report: client {_esc(view.client)}</title>",
        f"<style>{_STYLE}</style></head>",
        "<body>",
    ]
    if view.safety is not None:
        kind = "safety" if view.safety.urgent else "safety check-in"
        out.append(f'<section class="{kind}" role="alert"><h2>{_esc(view.safety.heading)}</h2>')
        out.append(f"<p>{_esc(view.safety.message)}</p><ul>")
        out += [f"<li><strong>{_esc(name)}:</strong> {_esc(how)}</li>" for name, how in view.safety.contacts]
        out.append("</ul></section>")
    out += [f"<header><h1>{CHART_TITLE}</h1>", _html_meta(view), "</header>"]
    out += _html_placement(view)
    out += _html_scores(view)
    out.append('<section class="block"><h2>Severity profile</h2>')
    if view.profile:
        out.append(f'<figure>{profile_svg(view.profile)}<figcaption class="small muted">')
        out.append(f"{_esc(PROFILE_CAPTION)}.</figcaption></figure>")
    else:
        out.append("<p>This record has no severity profile.</p>")
    out.append("</section>")
    if view.deciding or view.also_noted:
        out.append("<section><h2>Reasons</h2>")
        out += _html_reasons("Deciding reasons", DECIDING_INTRO, view.deciding)
        out += _html_reasons(
            "Also noted",
            ALSO_NOTED_INTRO,
            view.also_noted,
        )
        out.append("</section>")
    out += _html_suggestions(view)
    if view.clinician_notes:
        out.append('<section class="block"><h2>Clinician\'s note</h2>')
        for label, text in view.clinician_notes:
            if len(view.clinician_notes) > 1:
                out.append(f"<h3>{_esc(label)}</h3>")
            out.append(f'<p class="note">{_esc(text.replace(chr(13) + chr(10), chr(10)))}</p>')
        out.append("</section>")
    out += _html_answers(view)
    out += _html_versions(view)
    out.append(
        '<section class="block"><h2>Signatures</h2><div class="signatures">'
        "<div>Counselor signature</div><div>Date</div>"
        "<div>Reviewed by (supervisor)</div><div>Date</div></div></section>"
    )
    out.append(f'<footer class="notice"><strong>Please keep in mind:</strong> {_esc(view.notice)}</footer>')
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


# --- the report as blocks, laid out by output/render ----------------------------------------------------------------


def _reason_blocks(heading: str, intro: str, reasons: tuple[ReasonLine, ...]) -> list[Block]:
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
    return [Heading(heading, 3), Paragraph(f"{intro[0].upper()}{intro[1:]}."), Outline(items)]


def _labelled(name: str, text: str) -> Inline:
    return (Strong((name, ":")), " ", text)


def chart_blocks(view: ChartView) -> list[Block]:
    """The chart report as blocks: crisis help first, then who, when and the placement (the computed level always
    beside the counselor's), scores, profile, reasons, care to consider, the clinician's note, the answers, versions,
    signature lines and the notice."""
    blocks: list[Block] = []
    if view.safety is not None:
        contacts = tuple(_labelled(name, how) for name, how in view.safety.contacts)
        blocks.append(Alert(view.safety.heading, (view.safety.message, *contacts), view.safety.urgent))
    placement: list[Inline] = [("Computed by the screening: ", Strong(view.computed))]
    if view.override_reason is None:
        placement.append(("Counselor's placement: ", Strong(view.chosen), " (the computed level, accepted)"))
    else:
        placement.append(("Counselor's placement: ", Strong(view.chosen), " (a different level)"))
        placement.append(("Reason: ", view.override_reason))
    blocks += [
        Heading(CHART_TITLE, 1),
        Bullets(
            tuple(
                _labelled(label, value)
                for label, value in (
                    ("Client", view.client),
                    ("Date and time", view.when),
                    ("Counselor", view.counselor),
                    ("Record", view.record_id),
                )
            )
        ),
        Heading("Recommendation"),
        Bullets(tuple(placement)),
    ]
    if view.warnings:
        blocks += [Paragraph("Warnings from the screening:"), Bullets(view.warnings)]
    blocks.append(Heading("Instrument scores"))
    if view.scores:
        scores = tuple((s.instrument, (s.total, " of ", s.maximum), s.band) for s in view.scores)
        blocks += [Paragraph(f"{SCORES_CAPTION}."), Table(("Instrument", "Score", "Band"), scores)]
    else:
        blocks.append(Paragraph("No instrument was scored in this intake."))
    blocks.append(Heading("Severity profile"))
    if view.profile:
        profile = tuple((p.area, f"{p.value} of {p.maximum}") for p in view.profile)
        blocks += [Paragraph(f"{PROFILE_CAPTION}."), Table(("Area", "Value"), profile)]
    else:
        blocks.append(Paragraph("This record has no severity profile."))
    if view.deciding or view.also_noted:
        blocks.append(Heading("Reasons"))
        blocks += _reason_blocks("Deciding reasons", DECIDING_INTRO, view.deciding)
        blocks += _reason_blocks("Also noted", ALSO_NOTED_INTRO, view.also_noted)
    care: list[Block] = []
    for heading, suggestions in (
        ("Program types to consider", view.programs),
        ("Therapies (modalities) to consider", view.modalities),
    ):
        if suggestions:
            care += [Heading(heading, 3), Bullets(tuple(_labelled(s.name, s.text) for s in suggestions))]
    if view.notes:
        care += [Heading("Practical notes", 3), Bullets(view.notes)]
    if care:
        blocks += [Heading("Care to consider"), *care]
    if view.clinician_notes:
        blocks.append(Heading("Clinician's note"))
        for label, text in view.clinician_notes:
            if len(view.clinician_notes) > 1:
                blocks.append(Heading(label, 3))
            blocks.append(Quote(text))
    blocks.append(Heading("Appendix: the answers"))
    if view.answers:
        answers = tuple((r.section, r.label, r.display) for r in view.answers)
        blocks.append(Table(("Section", "Question", "Answer"), answers))
    else:
        blocks.append(Paragraph("No answers were recorded."))
    versions: list[Inline] = [("carecheck version ", view.carecheck_version)]
    for d in view.definitions:
        title = (" (", d.title, ")") if d.title else ()
        versions.append((d.kind, *title, ": ", d.id, " version ", d.version, ", SHA-256 fingerprint ", d.sha256))
    blocks += [
        Heading("Versions"),
        Bullets(tuple(versions)),
        Heading("Signatures"),
        Signatures(("Counselor", "Reviewed by (supervisor)")),
        Paragraph(_labelled("Please keep in mind", view.notice)),
    ]
    return blocks


def chart_markdown(record: Mapping[str, Any]) -> str:
    """The chart report of an intake record in Markdown: `chart_blocks` in the layout every result uses; the same
    sections, in the same order, as `chart_html` (crisis help first; scores, profile and answers as tables). Every value
    from the record is Markdown-escaped, each on its own."""
    return layout_markdown(chart_blocks(chart_view(record)))


def _text_reasons(heading: str, reasons: tuple[ReasonLine, ...]) -> list[Block]:
    if not reasons:
        return []
    lines = []
    for reason in reasons:
        cited = "; ".join(f"guide section “{c.section}”: {_said(c)}" for c in reason.citations)
        lines.append(f"Points to {reason.level_name}. {reason.text} (Based on: {'; '.join(reason.evidence)}. {cited})")
    return [Heading(heading), Bullets(tuple(lines))]


def chart_text(record: Mapping[str, Any], width: int = 80, color: bool = False, plain: bool = False) -> str:
    """The chart report as text for a terminal (`records show`): the same content as `chart_markdown`, in the text
    layout every result uses (crisis help first; control characters in the record shown, not obeyed)."""
    view = chart_view(record)
    blocks: list[Block] = []
    if view.safety is not None:
        lines = (view.safety.message, *(f"{name}: {how}" for name, how in view.safety.contacts))
        blocks.append(Alert(view.safety.heading, lines, view.safety.urgent))
    placement = [f"Computed by the screening: {view.computed}", f"Counselor's placement: {view.chosen}"]
    placement[-1] += " (a different level)" if view.override_reason is not None else " (the computed level, accepted)"
    if view.override_reason is not None:
        placement.append(f"Reason: {view.override_reason}")
    blocks += [
        Heading(f"Intake record {view.record_id}: client {view.client}", 1),
        Paragraph(f"{view.when}; counselor: {view.counselor}."),
        Heading("Recommendation"),
        Bullets(tuple(placement)),
    ]
    if view.warnings:
        blocks += [Heading("Warnings from the screening"), Bullets(view.warnings)]
    blocks += [
        Heading("Instrument scores"),
        Bullets(tuple(f"{s.instrument}: {s.total} of {s.maximum} ({s.band})" for s in view.scores))
        if view.scores
        else Paragraph("No instrument was scored in this intake."),
    ]
    if view.profile:
        blocks.append(
            Chart("Severity profile (0 = nothing to note)", tuple((p.area, p.value, p.maximum) for p in view.profile))
        )
    blocks += _text_reasons("Deciding reasons", view.deciding) + _text_reasons("Also noted", view.also_noted)
    care = [f"{s.name}: {s.text}" for s in (*view.programs, *view.modalities)] + list(view.notes)
    if care:
        blocks += [Heading("Care to consider"), Bullets(tuple(care))]
    if view.clinician_notes:
        blocks += [Heading("Clinician's note"), *(Paragraph(text) for _, text in view.clinician_notes)]
    blocks += [
        Heading("The answers"),
        Bullets(tuple(f"{r.section}: {r.label}: {r.display}" for r in view.answers)),
        Heading("Versions"),
        Bullets(
            (
                f"carecheck {view.carecheck_version}",
                *(f"{d.kind} {d.id} {d.version}, SHA-256 {d.sha256}" for d in view.definitions),
            )
        ),
        Paragraph(view.notice),
    ]
    return layout_text(blocks, width, color, plain)
