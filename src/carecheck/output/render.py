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

from carecheck.core.engine import Assessor
from carecheck.core.result import Result, error_to_dict, result_to_dict
from carecheck.core.safetext import literal
from carecheck.core.wording import Explanation, explain, safety_dict
from carecheck.output.formats import Format

# --- a small document model shared by the text, Markdown and HTML layouts -----------------------------------------


class Strong(NamedTuple):
    """Words set in bold where a layout can (Markdown, HTML); plain in text. Given as parts, each escaped on its own."""

    text: str | tuple[str, ...]

    def parts(self) -> tuple[str, ...]:
        return (self.text,) if isinstance(self.text, str) else self.text


# A run of text: each part is escaped on its own (so a value at the start of a part is defused as if it stood alone),
# and a `Strong` part is set in bold.
Inline = str | tuple[str | Strong, ...]


def unstyled(text: Inline) -> str:
    """A run of text without its bold."""
    return (
        text
        if isinstance(text, str)
        else "".join(part if isinstance(part, str) else "".join(part.parts()) for part in text)
    )


class Heading(NamedTuple):
    text: str
    level: int = 2


class Paragraph(NamedTuple):
    text: Inline


class Bullets(NamedTuple):
    items: tuple[Inline, ...]


class Outline(NamedTuple):
    """Bullets, each with bullets of its own (a reason and what it stands on)."""

    items: tuple[tuple[Inline, tuple[Inline, ...]], ...]


class Table(NamedTuple):
    """Rows under column headings: a table in Markdown and HTML, one bullet a row in text."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Inline, ...], ...]


class Quote(NamedTuple):
    """Someone's own words, kept line by line (a clinician's note)."""

    text: str


class Signatures(NamedTuple):
    """Lines to sign and date on paper, one per role."""

    roles: tuple[str, ...]


class Chart(NamedTuple):
    """Bars of whole numbers out of a maximum: drawn in text, listed in words where bars cannot be seen."""

    heading: str
    rows: tuple[tuple[str, int, int], ...]


class Alert(NamedTuple):
    """Crisis help or a safety check-in: first in every layout."""

    heading: str
    lines: tuple[Inline, ...]
    urgent: bool


Block = Heading | Paragraph | Bullets | Outline | Table | Quote | Signatures | Alert | Chart


def _either(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def document(explanation: Explanation, title: str = "Your carecheck screening result") -> list[Block]:
    """The result as headed sections, in the order a person should read them, under `title`."""
    e = explanation
    blocks: list[Block] = []
    if e.safety is not None:
        lines = (e.safety.message, *(f"{c.name}: {c.how}" for c in e.safety.contacts))
        blocks.append(Alert(e.safety.heading, lines, e.safety.urgent))
    blocks.append(Heading(title, 1))
    if e.record_id is not None:
        blocks.append(Paragraph(f"Record: {e.record_id}"))
    blocks += [Heading(f"Suggested level of care: {e.level_name}"), Paragraph(e.summary)]
    if e.deciding:
        blocks += [
            Heading("Why this level"),
            Bullets(tuple(f"{r.text} (Based on: {'; '.join(r.evidence)}.)" for r in e.deciding)),
        ]
    if e.profile and e.screen_positive:
        blocks.append(
            Chart(
                "Where your answers point (0 = nothing to note, 3 = the most)",
                tuple((line.area, line.value, line.maximum) for line in e.profile),
            )
        )
    if e.lower_levels and e.deciding:
        blocks += [
            Heading("Why a lower level is not enough"),
            Bullets(tuple(f"{_either(lower.names)}: {' '.join(lower.ruled_out_by)}" for lower in e.lower_levels)),
        ]
    if e.also_noted:
        blocks += [Heading("Also noted"), Bullets(tuple(r.text for r in e.also_noted))]
    detail = e.level_detail
    blocks += [
        Heading(f"What to expect: {e.level_name}"),
        Paragraph(detail.summary),
        Paragraph(f"Where: {detail.setting}"),
        Paragraph(f"A typical week: {detail.typical_week}"),
    ]
    if e.notes:
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
        Bullets(tuple(f"{s.instrument}: {s.total} of {s.maximum} ({s.band})" for s in e.scores)),
        Heading("How to find care"),
        Paragraph(e.finding_care_intro),
        Bullets(e.finding_care_checklist),
        Bullets(tuple(f"{c.name}: {c.how}" for c in e.finding_care_contacts)),
    ]
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

    for block in blocks:
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
            out.append(("=" if block.level == 1 else "-") * min(len(text), width))
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
            out += [f"{literal(role)}: {'_' * 28}  Date: {'_' * 12}" for role in block.roles]
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
        markdown_escape(part) if isinstance(part, str) else f"**{''.join(map(markdown_escape, part.parts()))}**"
        for part in text
    )


def _markdown_row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cells) + " |"


def layout_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    md = _markdown_inline
    for block in blocks:
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


def layout_html(blocks: list[Block], title: str) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>",
        "<body>",
    ]

    def esc(text: Inline) -> str:
        if isinstance(text, str):
            return html.escape(literal(text))
        return "".join(esc(part) if isinstance(part, str) else f"<strong>{esc(part.parts())}</strong>" for part in text)

    def cells(tag: str, row: tuple[Inline, ...]) -> str:
        return "<tr>" + "".join(f"<{tag}>{esc(cell)}</{tag}>" for cell in row) + "</tr>"

    for block in blocks:
        if isinstance(block, Alert):
            kind = "alert" if block.urgent else "alert check-in"
            out.append(
                f'<section class="{kind}" role="alert"><h2>{esc(block.heading)}</h2><p>{esc(block.lines[0])}</p>'
            )
            out.append("<ul>" + "".join(f"<li>{esc(line)}</li>" for line in block.lines[1:]) + "</ul></section>")
        elif isinstance(block, Heading):
            out.append(f"<h{block.level}>{esc(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            out.append(f"<p>{esc(block.text)}</p>")
        elif isinstance(block, Chart):
            rows = "".join(
                f'<li>{esc(label)}: <meter min="0" max="{maximum}" value="{value}"></meter> {value} of {maximum}</li>'
                for label, value, maximum in block.rows
            )
            out.append(f"<p>{esc(block.heading)}</p><ul>{rows}</ul>")
        elif isinstance(block, Outline):
            items = "".join(
                f"<li>{esc(item)}<ul>{''.join(f'<li>{esc(sub)}</li>' for sub in subitems)}</ul></li>"
                if subitems
                else f"<li>{esc(item)}</li>"
                for item, subitems in block.items
            )
            out.append(f"<ul>{items}</ul>")
        elif isinstance(block, Table):
            body = "".join(cells("td", row) for row in block.rows)
            out.append(f"<table><thead>{cells('th', block.columns)}</thead><tbody>{body}</tbody></table>")
        elif isinstance(block, Quote):
            out.append(f"<blockquote><p>{'<br>'.join(esc(line) for line in _lines(block.text))}</p></blockquote>")
        elif isinstance(block, Signatures):
            lines = "".join(f"<div>{esc(role)} signature</div><div>Date</div>" for role in block.roles)
            out.append(f'<div class="signatures">{lines}</div>')
        else:
            out.append("<ul>" + "".join(f"<li>{esc(item)}</li>" for item in block.items) + "</ul>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


# --- results ------------------------------------------------------------------------------------------------------


def intake_blocks(record: Mapping[str, Any]) -> list[Block]:
    """Who, when, and the placement decision: the computed level is always shown, beside any override."""
    names = record["level_names"]
    computed = names.get(record["computed_level"], record["computed_level"])
    counselor = record["counselor"] or "not recorded"
    blocks: list[Block] = [
        Heading(f"Intake for client {record['client']}", 1),
        Paragraph(f"Record {record['id']}, {record['created']}, counselor: {counselor}."),
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
    blocks = document(explain(result, assessor), "The screening result")
    at = 1 if blocks and isinstance(blocks[0], Alert) else 0
    return layout_text([*blocks[:at], *intake_blocks(record), *blocks[at:]], width, color, plain)


def result_json(result: Result, assessor: Assessor) -> str:
    """The contract's result object as one line of JSON (byte-identical for the same inputs).

    For many results, `carecheck.output.jsonresult.JsonResultWriter` gives the same bytes faster.
    """
    payload = result_to_dict(result, safety_dict(result, assessor), assessor.rules.rules.disclaimer)
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def error_json(kind: str, message: str, problems: list[dict[str, str]], record_id: Any = None) -> str:
    return json.dumps(error_to_dict(kind, message, problems, record_id), ensure_ascii=False, separators=(",", ":"))


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
