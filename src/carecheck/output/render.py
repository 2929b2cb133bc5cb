"""Laying out results: plain text for people, Markdown and HTML documents to keep, JSON for programs.

Every renderer returns a string, so tests compare exact output. Text from answers and definitions is shown
literally: control characters are made visible, Markdown punctuation is escaped, HTML is escaped.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from carecheck.core.assessor import Assessor
from carecheck.core.result import Result, error_to_dict, result_to_dict
from carecheck.core.safetext import json_escaped, literal
from carecheck.core.wording import Credit, Explanation, ScoreLine, and_list, explain, safety_dict
from carecheck.output.formats import Format

# --- a small document model shared by the text, Markdown and HTML layouts -----------------------------------------


class Strong(NamedTuple):
    """Words set in bold where a layout can (Markdown, HTML); plain in text. Given as parts, each escaped on its own."""

    text: str | tuple[str, ...]

    def parts(self) -> tuple[str, ...]:
        return (self.text,) if isinstance(self.text, str) else self.text


class Code(NamedTuple):
    """A value to copy exactly (a version, a fingerprint): monospace in HTML, plain in text and in Markdown (inside a
    Markdown code span escapes do not work, so a value holding a backtick could break out of it)."""

    text: str


# A run of text: each part is escaped on its own (so a value at the start of a part is defused as if it stood alone),
# a `Strong` part is set in bold and a `Code` part in monospace.
Inline = str | tuple[str | Strong | Code, ...]


def _part_text(part: str | Strong | Code) -> str:
    return "".join(part.parts()) if isinstance(part, Strong) else part if isinstance(part, str) else part.text


def unstyled(text: Inline) -> str:
    """A run of text without its bold."""
    return text if isinstance(text, str) else "".join(map(_part_text, text))


class Heading(NamedTuple):
    text: str
    level: int = 2


class Paragraph(NamedTuple):
    text: Inline
    css_class: str = ""
    """A class HTML styles the paragraph by (`small muted` for a caption); the other layouts ignore it."""


class Bullets(NamedTuple):
    items: tuple[Inline, ...]


class Outline(NamedTuple):
    """Bullets, each with bullets of its own (a reason and what it stands on)."""

    items: tuple[tuple[Inline, tuple[Inline, ...]], ...]


class Table(NamedTuple):
    """Rows under column headings: a table in Markdown and HTML, one bullet a row in text.

    With `grouped`, the first column names a group: HTML gives each run of rows in one group a table of its own,
    captioned with the group's name and without headings; text puts the group's name above its rows."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Inline, ...], ...]
    numeric: tuple[int, ...] = ()
    """Columns of numbers (by index), kept on one line in HTML."""
    grouped: bool = False


class Quote(NamedTuple):
    """Someone's own words, kept line by line (a clinician's note)."""

    text: str


class Signatures(NamedTuple):
    """Lines to sign and date on paper, one per role."""

    roles: tuple[str, ...]
    captions: tuple[str, ...] = ()
    """The words printed under each line in HTML, one per role; by default the role and `signature`."""


class Chart(NamedTuple):
    """Bars of whole numbers out of a maximum: drawn in text, listed in words where bars cannot be seen."""

    heading: str
    rows: tuple[tuple[str, int, int], ...]


class Figure(NamedTuple):
    """A bar chart for a printed page: an accessible SVG figure under its caption in HTML, a table in Markdown, bars
    (or words, for screen readers) in text."""

    title: str
    caption: str
    rows: tuple[tuple[str, int, int], ...]
    columns: tuple[str, str] = ("Area", "Value")
    """The table's headings in Markdown."""
    html_id: str = "profile"
    """Prefix of the SVG's title and description ids (unique on the page)."""


class Header(NamedTuple):
    """A document's title and what it is about (who, when): a heading over a list of labelled values."""

    title: str
    fields: tuple[tuple[str, str], ...]


class Placement(NamedTuple):
    """A decision, line by line; a line marked True records a change made by a person (an override)."""

    lines: tuple[tuple[Inline, bool], ...]


class Reasons(NamedTuple):
    """A group of reasons under a heading and a short note on what they are, each reason with what it stands on."""

    heading: str
    note: str
    items: tuple[tuple[Inline, tuple[Inline, ...]], ...]


class Versions(NamedTuple):
    """The software that wrote a document, then the definitions it used."""

    software: Inline
    definitions: tuple[Inline, ...]


class Footer(NamedTuple):
    """The last words of a document (a notice), set apart in HTML."""

    text: Inline


class Section(NamedTuple):
    """Blocks under a heading; HTML keeps them in one `<section>` (so a printer keeps it whole when `css_class` is
    `block`), the other layouts show the heading and the blocks."""

    heading: str
    blocks: tuple[Block, ...]
    css_class: str = ""


class Box(NamedTuple):
    """Blocks HTML styles together (a `<div>` with `css_class`); the other layouts show the blocks alone."""

    blocks: tuple[Block, ...]
    css_class: str


class Alert(NamedTuple):
    """Crisis help or a safety check-in: first in every layout."""

    heading: str
    lines: tuple[Inline, ...]
    urgent: bool
    css_class: str = "alert"
    """The class HTML styles it by; a check-in (not urgent) adds `check-in`."""


# The blocks the plain layouts (text, Markdown) draw; each other block reads as some of these (`_plain`).
Simple = Heading | Paragraph | Bullets | Outline | Table | Quote | Signatures | Alert | Chart

Block = (
    Heading
    | Paragraph
    | Bullets
    | Outline
    | Table
    | Quote
    | Signatures
    | Alert
    | Chart
    | Figure
    | Header
    | Placement
    | Reasons
    | Versions
    | Footer
    | Section
    | Box
)


def _either(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def score_words(score: ScoreLine) -> str:
    """A score as people read it: `12 of 27 (Moderate: ...)`, or the result alone for a screen that is not a sum."""
    return f"{score.total} of {score.maximum} ({score.band})" if score.show_total else score.band


def credit_words(credit: Credit) -> str:
    return f"{credit.credit} {credit.terms}"


def instruments_used(credits: tuple[Credit, ...]) -> list[Block]:
    """The "Questionnaires used" section: each instrument asked, with its credit and terms of use."""
    if not credits:
        return []
    return [
        Heading("Questionnaires used"),
        Bullets(tuple((Strong((c.name, ":")), " ", credit_words(c)) for c in credits)),
    ]


def document(
    explanation: Explanation, title: str = "Your carecheck screening result", whose: str = "your"
) -> list[Block]:
    """The result as headed sections, in the order a person should read them, under `title`; `whose` answers they
    are ("your" for the person, "the client's" for a counselor)."""
    e = explanation
    blocks: list[Block] = []
    if e.safety is not None:
        lines = (e.safety.message, *(f"{c.name}: {c.how}" for c in e.safety.contacts))
        blocks.append(Alert(e.safety.heading, lines, e.safety.urgent))
    blocks.append(Heading(title, 1))
    if e.record_id is not None:
        blocks.append(Paragraph(f"Record: {e.record_id}"))
    blocks += [Heading(f"Suggested level of care: {e.level_name}"), Paragraph(e.summary)]
    blocks += [Paragraph((Strong("Important:"), " ", caution)) for caution in e.cautions]
    if e.deciding:
        blocks += [
            Heading("Why this level"),
            Bullets(
                tuple(f"{r.text} (Based on: {'; '.join(r.evidence)}.)" if r.evidence else r.text for r in e.deciding)
            ),
        ]
    if e.profile and e.screen_positive:
        blocks.append(
            Chart(
                f"Where {whose} answers point (0 = nothing to note, 3 = the most)",
                tuple((line.area, line.value, line.maximum) for line in e.profile),
            )
        )
    if e.lower_levels and e.deciding:
        blocks += [
            Heading("Why a lower level is not enough"),
            Bullets(
                tuple(
                    f"{_either(lower.names)}: not enough because of {and_list(lower.ruled_out_by)}."
                    for lower in e.lower_levels
                )
            ),
        ]
    if e.also_noted:
        blocks += [Heading("Also noted"), Bullets(tuple(r.text for r in e.also_noted))]
    detail = e.level_detail
    if e.later is not None:  # urgent: today's step only; what to expect, schedules and insurance can wait
        blocks += [Heading("After today"), Paragraph(e.later)]
    else:
        blocks += [
            Heading(f"What to expect: {e.level_name}"),
            Paragraph(detail.summary),
            Paragraph(f"Where: {detail.setting}"),
            Paragraph(f"A typical week: {detail.typical_week}"),
        ]
    if e.notes and e.later is None:
        blocks += [Heading("Fitting care into your life"), Bullets(e.notes)]
    if e.programs:
        blocks += [Heading("Kinds of program to ask about"), Bullets(tuple(f"{s.name}: {s.text}" for s in e.programs))]
    if e.modalities:
        blocks += [
            Heading("Therapies to ask about"),
            Bullets(tuple(f"{s.name}: {s.text}" for s in e.modalities)),
        ]
    blocks += [
        Heading("Your questionnaire scores"),
        Bullets(tuple(f"{s.instrument}: {score_words(s)}" for s in e.scores)),
    ]
    if e.later is None:
        blocks += [
            Heading("How to find care"),
            Paragraph(e.finding_care_intro),
            Bullets(e.finding_care_checklist),
            Bullets(tuple(f"{c.name}: {c.how}" for c in e.finding_care_contacts)),
        ]
    blocks += instruments_used(e.instruments_used)
    cited = {c.criterion: c for r in e.deciding for c in r.citations}
    cited.update({c.criterion: c for c in e.level_citations})
    blocks += [
        Heading("What this is based on"),
        Paragraph(f"The criteria below paraphrase sections of the guide “{e.guide_title}”."),
        Bullets(tuple(f"{c.text} (Guide section: “{c.section}”)" for c in cited.values())),
        Heading("Please keep in mind"),
        Paragraph(e.disclaimer),
    ]
    return blocks


# --- literal text -------------------------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")
_LINE_START = re.compile(r"^(\s*)([-+=>]|\d+[.)])")


def markdown_escape(text: str) -> str:
    """Text that Markdown shows as written: one line, punctuation escaped, no list or heading at its start."""
    flat = " ".join(literal(text).split("\n"))
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", flat)
    # A list marker is defused by escaping its punctuation (`1\.`, not `\1.`: Markdown escapes punctuation only,
    # so a backslash before a digit would show).
    return _LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], escaped)


# --- layouts ------------------------------------------------------------------------------------------------------


def _labelled(label: str, value: Inline) -> Inline:
    return (Strong((label, ":")), " ", *((value,) if isinstance(value, str) else value))


def _plain(blocks: list[Block] | tuple[Block, ...], markdown: bool) -> list[Simple]:
    """The blocks as the plain layouts (text, Markdown) show them: containers opened, blocks HTML styles its own way
    made of the simple blocks they read as."""
    out: list[Simple] = []
    for block in blocks:
        if isinstance(block, Section):
            out += [Heading(block.heading), *_plain(block.blocks, markdown)]
        elif isinstance(block, Box):
            out += _plain(block.blocks, markdown)
        elif isinstance(block, Header):
            out += [Heading(block.title, 1), Bullets(tuple(_labelled(label, value) for label, value in block.fields))]
        elif isinstance(block, Placement):
            out.append(Bullets(tuple(line for line, _ in block.lines)))
        elif isinstance(block, Reasons):
            note = f"{block.note[:1].upper()}{block.note[1:]}."
            out += [Heading(block.heading, 3), Paragraph(note), Outline(block.items)]
        elif isinstance(block, Versions):
            out.append(Bullets((block.software, *block.definitions)))
        elif isinstance(block, Footer):
            out.append(Paragraph(block.text))
        elif isinstance(block, Figure) and markdown:
            rows = tuple((label, f"{value} of {maximum}") for label, value, maximum in block.rows)
            out += [Paragraph(block.caption), Table(block.columns, rows)]
        elif isinstance(block, Figure):
            out.append(Chart(block.caption, block.rows))
        else:
            out.append(block)
    return out


_BOLD, _RED, _RESET = "\x1b[1m", "\x1b[1;31m", "\x1b[0m"


def layout_text(blocks: list[Block], width: int = 80, color: bool = False, plain: bool = False) -> str:
    """Linear text: no boxes, no cursor moves; ANSI bold/red only when `color`; with `plain` (for screen readers),
    charts are words rather than bars."""
    width = max(width, 30)
    out: list[str] = []

    def styled(text: str, style: str) -> str:
        return f"{style}{text}{_RESET}" if color else text

    def wrap(text: Inline, indent: str = "", first: str = "") -> list[str]:
        return textwrap.wrap(
            literal(unstyled(text)),
            width,
            initial_indent=first or indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
        ) or [first.rstrip()]

    for block in _plain(blocks, markdown=False):
        if isinstance(block, Alert):
            marker = "!!" if block.urgent else "**"
            heading = f"{marker} {literal(block.heading)} {marker}"
            out.append(styled(heading, _RED if block.urgent else _BOLD))
            out += wrap(block.lines[0])
            for line in block.lines[1:]:
                out += wrap(line, "  ", "- ")
        elif isinstance(block, Heading):
            text = literal(block.text)
            out += [styled(text, _BOLD) if block.level > 1 else styled(text.upper(), _BOLD)]
            # underlined = for a title, - for a section, ~ for a part of one, so the levels read apart without colour
            out.append({1: "=", 2: "-"}.get(block.level, "~") * min(len(text), width))
        elif isinstance(block, Paragraph):
            out += wrap(block.text)
        elif isinstance(block, Chart):
            out += wrap(block.heading)
            label_width = max(len(label) for label, _, _ in block.rows)
            for label, value, maximum in block.rows:
                if plain:
                    out += wrap(f"{label}: {value} of {maximum}", "  ", "- ")
                else:
                    bar = "#" * value + "." * (maximum - value)
                    out.append(f"  {literal(label).ljust(label_width)}  {bar}  {value} of {maximum}")
        elif isinstance(block, Outline):
            for item, subitems in block.items:
                out += wrap(item, "  ", "- ")
                for subitem in subitems:
                    out += wrap(subitem, "    ", "  - ")
        elif isinstance(block, Table) and block.grouped:
            group = None
            for name, *cells in block.rows:
                if unstyled(name) != group:
                    group = unstyled(name)
                    out += [styled(line, _BOLD) for line in wrap(name)]
                out += wrap(": ".join(unstyled(cell) for cell in cells), "    ", "  - ")
        elif isinstance(block, Table):
            for row in block.rows:
                out += wrap(
                    "; ".join(f"{column}: {unstyled(cell)}" for column, cell in zip(block.columns, row, strict=True)),
                    "  ",
                    "- ",
                )
        elif isinstance(block, Quote):
            for line in _lines(block.text):
                out += wrap(line, "  ") if line.strip() else [""]
        elif isinstance(block, Signatures):
            for role in block.roles:
                line = f"{literal(role)}: {'_' * 28}  Date: {'_' * 12}"
                # too wide for the terminal: the date goes on a line of its own, the name line fills the width
                out += (
                    [line]
                    if len(line) <= width
                    else [f"{literal(role)}: {'_' * max(width - len(literal(role)) - 2, 12)}", f"  Date: {'_' * 12}"]
                )
        else:
            for item in block.items:
                out += wrap(item, "  ", "- ")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").split("\n")


def _markdown_inline(text: Inline) -> str:
    if isinstance(text, str):
        return markdown_escape(text)
    return "".join(
        f"**{''.join(map(markdown_escape, part.parts()))}**"
        if isinstance(part, Strong)
        else markdown_escape(_part_text(part))
        for part in text
    )


def _markdown_row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cells) + " |"


def layout_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    md = _markdown_inline
    for block in _plain(blocks, markdown=True):
        if isinstance(block, Alert):
            out.append(f"> **{markdown_escape(block.heading)}**")
            out.append(">")
            out.append(f"> {md(block.lines[0])}")
            out.append(">")
            out += [f"> - {md(line)}" for line in block.lines[1:]]
        elif isinstance(block, Heading):
            out.append("#" * block.level + " " + markdown_escape(block.text))
        elif isinstance(block, Paragraph):
            out.append(md(block.text))
        elif isinstance(block, Chart):
            out.append(markdown_escape(block.heading))
            out.append("")
            out += [f"- {markdown_escape(label)}: {value} of {maximum}" for label, value, maximum in block.rows]
        elif isinstance(block, Outline):
            for item, subitems in block.items:
                out += [f"- {md(item)}", *(f"  - {md(subitem)}" for subitem in subitems)]
        elif isinstance(block, Table):
            out += [
                _markdown_row(tuple(markdown_escape(c) for c in block.columns)),
                _markdown_row(("---",) * len(block.columns)),
            ]
            out += [_markdown_row(tuple(md(cell) for cell in row)) for row in block.rows]
        elif isinstance(block, Quote):
            out += [f"> {markdown_escape(line)}" if line.strip() else ">" for line in _lines(block.text)]
        elif isinstance(block, Signatures):
            # A blank cell holds a space, so the row keeps its shape in viewers that collapse empty cells.
            out += [_markdown_row(("Role", "Name and signature", "Date")), _markdown_row(("---",) * 3)]
            out += [_markdown_row((markdown_escape(role), " ", " ")) for role in block.roles]
        else:
            out += [f"- {md(item)}" for item in block.items]
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


_STYLE = """body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;line-height:1.5;max-width:46rem;
margin:2rem auto;padding:0 1rem;color:#1a1a1a}h1{font-size:1.6rem}
h2{font-size:1.2rem;margin-top:1.6rem;border-bottom:1px solid #ccc}
.alert{border:3px solid #b00020;padding:.5rem 1rem;background:#fff4f4}.check-in{border-color:#555;background:#f6f6f6}
@media print{body{margin:0;max-width:none}}"""


def layout_html(blocks: list[Block], title: str, style: str = _STYLE) -> str:
    """A self-contained page (no scripts, nothing fetched) under `title`, styled by `style`."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(literal(title))}</title><style>{style}</style></head>",
        "<body>",
    ]
    for block in blocks:
        out += _html_block(block)
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def _esc(text: Inline) -> str:
    if isinstance(text, str):
        return html.escape(literal(text))
    return "".join(
        _esc(part)
        if isinstance(part, str)
        else f"<strong>{_esc(part.parts())}</strong>"
        if isinstance(part, Strong)
        else f"<code>{_esc(part.text)}</code>"
        for part in text
    )


def _attribute(name: str, value: str) -> str:
    return f' {name}="{html.escape(value)}"' if value else ""


def _cells(tag: str, row: tuple[Inline, ...], numeric: tuple[int, ...] = ()) -> str:
    return (
        "<tr>"
        + "".join(
            f"<{tag}{_attribute('class', 'num' if index in numeric else '')}>{_esc(cell)}</{tag}>"
            for index, cell in enumerate(row)
        )
        + "</tr>"
    )


def _html_table(block: Table) -> list[str]:
    if not block.grouped:
        body = "".join(_cells("td", row, block.numeric) for row in block.rows)
        return [f"<table><thead>{_cells('th', block.columns)}</thead><tbody>{body}</tbody></table>"]
    out: list[str] = []
    group: str | None = None
    for name, *cells in block.rows:
        if unstyled(name) != group:
            if group is not None:
                out.append("</tbody></table>")
            group = unstyled(name)
            out.append(f"<table><caption>{_esc(name)}</caption><tbody>")
        numeric = tuple(index - 1 for index in block.numeric)
        out.append(_cells("td", tuple(cells), numeric))
    return [*out, "</tbody></table>"] if out else out


def _fit_label(label: str, room: int) -> str:
    return label if len(label) <= room else label[: max(room - 1, 1)].rstrip() + "…"


def _bar_svg(figure: Figure) -> str:
    """Bars as an accessible inline SVG: one bar per row, its value also written out, the whole said in <desc>."""
    rows = figure.rows
    width, row_height, bar_height, font = 600, 18, 11, 11
    longest = max((len(label) for label, _, _ in rows), default=10)
    label_room = min(max(longest, 10), 42)  # characters; longer names are shortened here and given in full in <desc>
    label_width = round(label_room * 5.9) + 8
    value_width = 78
    bar_left, bar_width = label_width, width - label_width - value_width
    height = len(rows) * row_height + 4
    summary = "; ".join(f"{label}: {value} of {maximum}" for label, value, maximum in rows)
    ids = f"{figure.html_id}-title {figure.html_id}-desc"
    out = [
        f'<svg role="img" aria-labelledby="{html.escape(ids)}" viewBox="0 0 {width} {height}" '
        f'font-family="system-ui, Arial, sans-serif" font-size="{font}">',
        f'<title id="{html.escape(figure.html_id)}-title">{_esc(figure.title)}</title>',
        f'<desc id="{html.escape(figure.html_id)}-desc">{_esc(summary)}</desc>',
    ]
    for index, (label, shown_value, shown_maximum) in enumerate(rows):
        top = index * row_height + 4
        middle = top + bar_height / 2 + 3.5
        maximum = max(shown_maximum, 1)
        value = min(max(shown_value, 0), maximum)
        out.append(f'<g class="area"><title>{_esc(f"{label}: {shown_value} of {shown_maximum}")}</title>')
        out.append(f'<text x="0" y="{middle:g}">{_esc(_fit_label(label, label_room))}</text>')
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
        out.append(f'<text x="{width - value_width + 8}" y="{middle:g}">{shown_value} of {shown_maximum}</text></g>')
    out.append("</svg>")
    return "".join(out)


def _html_block(block: Block) -> list[str]:
    """One block as lines of HTML, every value escaped."""
    if isinstance(block, Alert):
        kind = block.css_class if block.urgent else f"{block.css_class} check-in"
        return [
            f'<section class="{html.escape(kind)}" role="alert"><h2>{_esc(block.heading)}</h2>'
            f"<p>{_esc(block.lines[0])}</p>",
            "<ul>" + "".join(f"<li>{_esc(line)}</li>" for line in block.lines[1:]) + "</ul></section>",
        ]
    if isinstance(block, Heading):
        return [f"<h{block.level}>{_esc(block.text)}</h{block.level}>"]
    if isinstance(block, Paragraph):
        return [f"<p{_attribute('class', block.css_class)}>{_esc(block.text)}</p>"]
    if isinstance(block, Chart):
        rows = "".join(
            f'<li>{_esc(label)}: <meter min="0" max="{maximum}" value="{value}"></meter> {value} of {maximum}</li>'
            for label, value, maximum in block.rows
        )
        return [f"<p>{_esc(block.heading)}</p><ul>{rows}</ul>"]
    if isinstance(block, Figure):
        caption = f'<figcaption class="small muted">{_esc(block.caption)}</figcaption>'
        return [f"<figure>{_bar_svg(block)}{caption}</figure>"]
    if isinstance(block, Outline):
        items = "".join(
            f"<li>{_esc(item)}<ul>{''.join(f'<li>{_esc(sub)}</li>' for sub in subitems)}</ul></li>"
            if subitems
            else f"<li>{_esc(item)}</li>"
            for item, subitems in block.items
        )
        return [f"<ul>{items}</ul>"]
    if isinstance(block, Reasons):
        out = [f'<h3>{_esc(block.heading)} <span class="small muted">({_esc(block.note)})</span></h3>']
        for item, subitems in block.items:
            out.append(f'<div class="reason"><p>{_esc(item)}</p>')
            if subitems:
                out.append(f'<ul class="evidence">{"".join(f"<li>{_esc(sub)}</li>" for sub in subitems)}</ul>')
            out.append("</div>")
        return out
    if isinstance(block, Table):
        return _html_table(block)
    if isinstance(block, Quote):
        # One paragraph that keeps the writer's line breaks (the page styles `.note` with `white-space: pre-line`).
        return [f'<p class="note">{_esc(chr(10).join(_lines(block.text)))}</p>']
    if isinstance(block, Signatures):
        captions = block.captions or tuple(f"{role} signature" for role in block.roles)
        signed = "".join(f"<div>{_esc(caption)}</div><div>Date</div>" for caption in captions)
        return [f'<div class="signatures">{signed}</div>']
    if isinstance(block, Header):
        fields = "".join(f"<dt>{_esc(label)}</dt><dd>{_esc(value)}</dd>" for label, value in block.fields)
        return [f"<header><h1>{_esc(block.title)}</h1>", f'<dl class="meta">{fields}</dl>', "</header>"]
    if isinstance(block, Placement):
        lines = [
            f"<p{_attribute('class', 'override' if changed else '')}>{_esc(line)}</p>" for line, changed in block.lines
        ]
        return ['<div class="placement">', *lines, "</div>"]
    if isinstance(block, Versions):
        items = "".join(f"<li>{_esc(line)}</li>" for line in block.definitions)
        return [f"<p>{_esc(block.software)}</p><ul>{items}</ul>"]
    if isinstance(block, Footer):
        return [f'<footer class="notice">{_esc(block.text)}</footer>']
    if isinstance(block, Section):
        inner = [line for child in block.blocks for line in _html_block(child)]
        return [f"<section{_attribute('class', block.css_class)}><h2>{_esc(block.heading)}</h2>", *inner, "</section>"]
    if isinstance(block, Box):
        inner = [line for child in block.blocks for line in _html_block(child)]
        return [f'<div class="{html.escape(block.css_class)}">', *inner, "</div>"]
    return ["<ul>" + "".join(f"<li>{_esc(item)}</li>" for item in block.items) + "</ul>"]


# --- results ------------------------------------------------------------------------------------------------------


def intake_blocks(record: Mapping[str, Any]) -> list[Block]:
    """Who, when, and the placement decision: the computed level is always shown, beside any override."""
    names = record["level_names"]
    computed = names.get(record["computed_level"], record["computed_level"])
    counselor = record["counselor"] or "not recorded"
    blocks: list[Block] = [
        Heading(f"Intake for client {record['client']}", 1),
        Paragraph(f"Record {record['id']}, {record['created']}, counselor: {counselor.rstrip('.')}."),
    ]
    override = record["override"]
    if override is None:
        return [*blocks, Paragraph(f"Placement: {computed}, as the screening computed.")]
    chosen = names.get(override["level"], override["level"])
    return [
        *blocks,
        Bullets(
            (
                f"Computed by the screening: {computed}",
                f"Counselor's placement: {chosen}",
                f"Reason: {override['reason']}",
            )
        ),
    ]


def render_intake_text(
    record: Mapping[str, Any],
    result: Result,
    assessor: Assessor,
    width: int = 80,
    color: bool = False,
    plain: bool = False,
) -> str:
    """An intake for the counselor's terminal: crisis help first, then the intake and its decision, then the result."""
    blocks = document(explain(result, assessor), "The screening result", whose="the client's")
    at = 1 if blocks and isinstance(blocks[0], Alert) else 0
    return layout_text([*blocks[:at], *intake_blocks(record), *blocks[at:]], width, color, plain)


def result_json(result: Result, assessor: Assessor) -> str:
    """The contract's result object as one line of JSON (byte-identical for the same inputs).

    For many results, `carecheck.output.jsonresult.JsonResultWriter` gives the same bytes faster.
    """
    payload = result_to_dict(result, safety_dict(result, assessor), assessor.rules.rules.disclaimer)
    return json_escaped(json.dumps(payload, ensure_ascii=False, separators=(",", ":")))


def error_json(kind: str, message: str, problems: list[dict[str, str]], record_id: Any = None) -> str:
    payload = error_to_dict(kind, message, problems, record_id)
    return json_escaped(json.dumps(payload, ensure_ascii=False, separators=(",", ":")))


def render_result(
    result: Result, assessor: Assessor, fmt: Format, width: int = 80, color: bool = False, plain: bool = False
) -> str:
    """The result in the chosen format; crisis help comes first in every one."""
    if fmt is Format.JSON:
        return result_json(result, assessor) + "\n"
    blocks = document(explain(result, assessor))
    layouts: dict[Format, Callable[[], str]] = {
        Format.TEXT: lambda: layout_text(blocks, width, color, plain),
        Format.MARKDOWN: lambda: layout_markdown(blocks),
        Format.HTML: lambda: layout_html(blocks, "carecheck screening result"),
    }
    return layouts[fmt]()
