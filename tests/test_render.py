"""Rendering: what a person reads, in every format, shown literally and in the right order."""

from __future__ import annotations

import json

import pytest

from carecheck import Assessor
from carecheck.core.wording import explain
from carecheck.output.render import (
    Block,
    Bullets,
    Format,
    Heading,
    Outline,
    Paragraph,
    Quote,
    Signatures,
    Strong,
    Table,
    layout_html,
    layout_markdown,
    layout_text,
    literal,
    render_result,
)
from conftest import baseline_answers, with_alcohol, with_drugs


def test_text_layout_is_linear_and_wraps_to_the_width() -> None:
    blocks = [Heading("Title", 1), Heading("Why"), Paragraph("one two three four five six"), Bullets(("a b c d e",))]
    assert layout_text(blocks, width=30) == ("TITLE\n=====\n\nWhy\n---\n\none two three four five six\n\n- a b c d e\n")
    narrow = layout_text([Paragraph("one two three four five six seven eight nine ten eleven")], width=30)
    assert all(len(line) <= 30 for line in narrow.splitlines())


def test_text_uses_ansi_only_when_asked() -> None:
    blocks = [Heading("Why")]
    assert "\x1b" not in layout_text(blocks, color=False)
    assert "\x1b[1m" in layout_text(blocks, color=True)


def test_markup_and_escape_sequences_in_an_id_are_shown_literally(assessor: Assessor) -> None:
    hostile = "[bold red]x[/] \x1b]8;;http://evil\x07link\x1b[2J *y* <b>z</b>"
    result = assessor.assess(baseline_answers() | {"id": hostile})
    text = render_result(result, assessor, Format.TEXT)
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "Record: [bold red]x[/] \\x1b]8;;http://evil\\x07link\\x1b[2J *y* <b>z</b>" in text
    markdown = render_result(result, assessor, Format.MARKDOWN)
    assert "\x1b" not in markdown
    assert "\\[bold red\\]x\\[/\\]" in markdown
    assert "\\*y\\*" in markdown
    assert "\\<b\\>" in markdown
    html = render_result(result, assessor, Format.HTML)
    assert "<b>z</b>" not in html
    assert "&lt;b&gt;z&lt;/b&gt;" in html
    assert json.loads(render_result(result, assessor, Format.JSON))["id"] == hostile


def test_literal_makes_control_and_bidi_characters_visible() -> None:
    assert literal("a\x1b[31mb\u202ec\n") == "a\\x1b[31mb\\u202ec\n"


def test_the_text_result_explains_level_reasons_lower_levels_and_next_steps(assessor: Assessor) -> None:
    text = render_result(assessor.assess(with_alcohol(25, use_days=25, housing="unstable")), assessor, Format.TEXT)
    order = [
        "Suggested level of care: Partial hospitalization program (PHP)",
        "Why this level",
        "Why a lower level is not enough",
        "Outpatient counseling:",
        "Intensive outpatient program (IOP):",
        "What to expect: Partial hospitalization program (PHP)",
        "A typical week:",
        "Therapies to ask about",
        "Your questionnaire scores",
        "How to find care",
        "1-800-662-4357",
        "findtreatment.gov",
        "What this is based on",
        "Guide section:",
        "screening aid, not a diagnosis",
    ]
    positions = [text.index(phrase) for phrase in order]
    assert positions == sorted(positions)
    assert "AUDIT" in text
    assert "25 of 40" in text


def test_practical_fit_notes_do_not_change_the_level(assessor: Assessor) -> None:
    answers = with_drugs(7, drug="opioids", hours_available=4, pregnant=True)
    result = assessor.assess(answers)
    assert result.level == assessor.assess(with_drugs(7, drug="opioids")).level == "iop"
    explanation = explain(result, assessor)
    assert any("9" in note for note in explanation.notes)
    assert any("pregnan" in note.lower() for note in explanation.cautions)  # a caution for safety, shown up front


def test_a_screen_negative_result_says_so_calmly(assessor: Assessor) -> None:
    text = render_result(assessor.assess(baseline_answers()), assessor, Format.TEXT)
    assert "do not point to a need for more than outpatient counseling" in text
    assert "Why this level" not in text


def test_markdown_is_a_document_to_keep(assessor: Assessor) -> None:
    markdown = layout_markdown([Heading("Result", 1), Paragraph("Plain."), Bullets(("one",))])
    assert markdown == "# Result\n\nPlain.\n\n- one\n"
    full = render_result(assessor.assess(with_alcohol(9)), assessor, Format.MARKDOWN)
    assert full.startswith("# Your carecheck screening result\n")
    assert "## How to find care" in full


def test_the_check_in_shows_988_calmly_for_non_acute_risk(assessor: Assessor) -> None:
    result = assessor.assess(baseline_answers() | {"phq9_9": 1})
    assert result.safety_note
    assert not result.urgent
    text = render_result(result, assessor, Format.TEXT)
    assert text.startswith("** Please look after your safety **")
    assert "988" in text.split("YOUR CARECHECK")[0]
    assert "911" not in text.split("YOUR CARECHECK")[0]


def test_the_severity_profile_is_a_chart_in_text_and_words_in_plain_mode(assessor: Assessor) -> None:
    result = assessor.assess(with_alcohol(25, use_days=25, housing="unstable"))
    assert dict(result.profile)["substance-use"] == 3
    assert dict(result.profile)["recovery-environment"] == 2
    text = render_result(result, assessor, Format.TEXT)
    assert "  Alcohol and drug use      ###  3 of 3" in text
    plain = render_result(result, assessor, Format.TEXT, plain=True)
    assert "- Alcohol and drug use: 3 of 3" in plain
    assert "###" not in plain
    assert json.loads(render_result(result, assessor, Format.JSON))["profile"]["substance-use"] == 3


def test_a_narrow_terminal_gets_lines_that_fit(assessor: Assessor) -> None:
    result = assessor.assess(baseline_answers() | {"asq_1": True, "asq_5": True})
    text = render_result(result, assessor, Format.TEXT, width=60)
    assert max(len(line) for line in text.splitlines()) <= 60


def test_lower_levels_ruled_out_by_the_same_reasons_share_one_line(assessor: Assessor) -> None:
    result = assessor.assess(baseline_answers() | {"medical_unstable": True})
    lower = explain(result, assessor).lower_levels
    assert len(lower) == 1
    assert lower[0].names == (
        "Outpatient counseling",
        "Intensive outpatient program (IOP)",
        "Partial hospitalization program (PHP)",
    )
    text = render_result(result, assessor, Format.TEXT, width=200)
    assert (
        "- Outpatient counseling, Intensive outpatient program (IOP) or Partial hospitalization program (PHP): " in text
    )


def test_reasons_quote_answers_by_their_short_names_not_their_ids(assessor: Assessor) -> None:
    result = assessor.assess(with_alcohol(9, use_days=25, withdrawal_history="severe"))
    text = render_result(result, assessor, Format.TEXT, width=300)
    assert "days of use in the past 30: 25" in text
    assert "withdrawal when cutting down before: Severe withdrawal;" in text  # the choice's label, not its id
    assert "use_days" not in text
    assert "withdrawal_history" not in text


@pytest.mark.parametrize(("text", "shown"), [("1.0.0", "1\\.0.0"), ("12) then", "12\\) then"), ("- a", "\\- a")])
def test_markdown_defuses_a_list_marker_by_escaping_its_punctuation(text: str, shown: str) -> None:
    from carecheck.output.render import markdown_escape

    assert markdown_escape(text) == shown


def test_markdown_shows_markup_in_an_id_as_text(assessor: Assessor) -> None:
    result = assessor.assess(baseline_answers() | {"id": "a\n# Heading\n- item\n---"})
    markdown = render_result(result, assessor, Format.MARKDOWN)
    assert "\n# Heading" not in markdown
    assert "\n- item" not in markdown
    assert "\n---" not in markdown
    assert "Record: a \\# Heading - item ---" in markdown


# --- the blocks a chart report is made of: exact output in every layout -------------------------------------------

BOLD_PARTS = Paragraph(("Reason: ", Strong(("-x", ":")), " 1. <b>"))
OUTLINE = Outline(((("Points to ", Strong("IOP")), ("Based on: a", "Criterion: b")), ("Alone", ())))
TABLE = Table(("Area", "Value"), (("Mood", ("2", " of ", "3")), ("a|b", "*c*")))
QUOTE = Quote("Tremor.\r\n\r\n# not a heading")
SIGNATURES = Signatures(("Counselor", "Reviewed by (supervisor)"))


@pytest.mark.parametrize(
    ("block", "text"),
    [
        (BOLD_PARTS, "Reason: -x: 1. <b>\n"),
        (OUTLINE, "- Points to IOP\n  - Based on: a\n  - Criterion: b\n- Alone\n"),
        (TABLE, "- Area: Mood; Value: 2 of 3\n- Area: a|b; Value: *c*\n"),
        (QUOTE, "  Tremor.\n\n  # not a heading\n"),
        (
            # too narrow for name and date on one line: the name line fills the width, the date goes below
            SIGNATURES,
            f"Counselor: {'_' * 29}\n  Date: {'_' * 12}\nReviewed by (supervisor): {'_' * 14}\n  Date: {'_' * 12}\n",
        ),
    ],
)
def test_each_chart_block_in_text(block: Block, text: str) -> None:
    assert layout_text([block], width=40) == text


def test_signature_lines_keep_name_and_date_on_one_line_where_they_fit() -> None:
    assert layout_text([SIGNATURES], width=80) == (
        f"Counselor: {'_' * 28}  Date: {'_' * 12}\nReviewed by (supervisor): {'_' * 28}  Date: {'_' * 12}\n"
    )


@pytest.mark.parametrize(
    ("block", "markdown"),
    [
        # each part is escaped on its own: a value that starts a part is defused as if it started the line
        (BOLD_PARTS, "Reason: **\\-x:** 1\\. \\<b\\>\n"),
        (OUTLINE, "- Points to **IOP**\n  - Based on: a\n  - Criterion: b\n- Alone\n"),
        (TABLE, "| Area | Value |\n| --- | --- |\n| Mood | 2 of 3 |\n| a\\|b | \\*c\\* |\n"),
        (QUOTE, "> Tremor.\n>\n> \\# not a heading\n"),
        (
            SIGNATURES,
            "| Role | Name and signature | Date |\n| --- | --- | --- |\n| Counselor |   |   |\n"
            "| Reviewed by (supervisor) |   |   |\n",
        ),
    ],
)
def test_each_chart_block_in_markdown(block: Block, markdown: str) -> None:
    assert layout_markdown([block]) == markdown


def html_body(blocks: list[Block]) -> str:
    page = layout_html(blocks, "t")
    return page[page.index("<body>\n") + len("<body>\n") : page.index("</body>")]


@pytest.mark.parametrize(
    ("block", "body"),
    [
        (BOLD_PARTS, "<p>Reason: <strong>-x:</strong> 1. &lt;b&gt;</p>\n"),
        (
            OUTLINE,
            "<ul><li>Points to <strong>IOP</strong><ul><li>Based on: a</li><li>Criterion: b</li></ul></li>"
            "<li>Alone</li></ul>\n",
        ),
        (
            TABLE,
            "<table><thead><tr><th>Area</th><th>Value</th></tr></thead><tbody><tr><td>Mood</td><td>2 of 3</td></tr>"
            "<tr><td>a|b</td><td>*c*</td></tr></tbody></table>\n",
        ),
        # one paragraph keeping the writer's line breaks (CRLF read as one), styled `white-space: pre-line`
        (QUOTE, '<p class="note">Tremor.\n\n# not a heading</p>\n'),
        (
            SIGNATURES,
            '<div class="signatures"><div>Counselor signature</div><div>Date</div>'
            "<div>Reviewed by (supervisor) signature</div><div>Date</div></div>\n",
        ),
    ],
)
def test_each_chart_block_in_html(block: Block, body: str) -> None:
    assert html_body([block]) == body


def test_bold_parts_are_escaped_in_html_and_shown_literally_in_text() -> None:
    hostile = Paragraph((Strong(("<i>", "\x1b[2J")), " & more"))
    assert html_body([hostile]) == "<p><strong>&lt;i&gt;\\x1b[2J</strong> &amp; more</p>\n"
    assert layout_text([hostile]) == "<i>\\x1b[2J & more\n"


def test_a_wrapped_outline_keeps_each_level_indented() -> None:
    outline = Outline(((" ".join("a" * 15), (" ".join("b" * 15),)),))
    assert layout_text([outline], width=30) == (
        "- a a a a a a a a a a a a a a\n  a\n  - b b b b b b b b b b b b b\n    b b\n"
    )
