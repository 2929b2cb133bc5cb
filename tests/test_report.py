"""The chart report: drawn from an intake record alone, crisis help first, both levels when overridden, printable,
self-contained, and every value from the record shown literally."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

from carecheck import Assessor
from carecheck.clinic.chart import chart_html, chart_markdown, chart_text, say_when
from carecheck.clinic.record import Override, build_record
from conftest import baseline_answers, with_alcohol, with_drugs

HOSTILE = "<script>alert(1)</script> **x** [y](javascript:z) \x1b[2J | # `c` &amp;"
SHA256 = re.compile(r"^[0-9a-f]{64}$")
UNESCAPED_TAG = re.compile(r"(?<!\\)<")


def record(
    assessor: Assessor,
    answers: dict[str, Any],
    *,
    override: Override | None = None,
    client: str = "C-1024",
    counselor: str | None = "J. Rivera",
    note: str | None = None,
) -> dict[str, Any]:
    """A stored intake record (id 7), as `build_record` makes it; `note` adds a clinician's free-text answer, as the
    counselor-intake questionnaire records one."""
    result = assessor.assess(answers)
    built = build_record(
        assessor,
        result,
        client=client,
        counselor=counselor,
        created="2026-11-26T19:30:12Z",
        override=override,
        carecheck_version="0.1.0",
    )
    built["id"] = 7
    if note is not None:
        built["answers"].append(
            {
                "id": "clinician_note",
                "section": "Clinician",
                "type": "text",
                "label": "clinician's note",
                "prompt": "Anything else the chart should say?",
                "value": note,
                "display": note,
            }
        )
    return built


def urgent_answers() -> dict[str, Any]:
    return with_alcohol(0, withdrawal_now=True, withdrawal_history="severe")


def iop_answers() -> dict[str, Any]:
    return with_drugs(7, drug="opioids", use_days=10) | {"phq9_1": 2, "phq9_2": 1}


def h2_headings(page: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", h)) for h in re.findall(r"<h2>(.*?)</h2>", page)]


# --- order and contents -------------------------------------------------------------------------------------------


def test_crisis_help_comes_before_the_header_when_urgent(assessor: Assessor) -> None:
    chart = record(assessor, urgent_answers())
    safety = chart["result"]["safety"]
    assert safety["urgent"] is True
    page = chart_html(chart)
    heading = page.index(html.escape(safety["heading"]))
    assert heading < page.index("<h1>") < page.index("Client")
    assert page.index('role="alert"') < page.index("<h1>")
    for contact in ("988", "911", "emergency room"):
        assert heading < page.index(contact) < page.index("<h1>")
    markdown = chart_markdown(chart)
    assert markdown.startswith("> **")
    assert markdown.index("988") < markdown.index("# Level-of-care screening: chart report")
    assert markdown.index("911") < markdown.index("# Level-of-care screening: chart report")


def test_without_a_safety_block_the_report_opens_with_the_header(assessor: Assessor) -> None:
    chart = record(assessor, iop_answers())
    assert chart["result"]["safety"] is None
    page = chart_html(chart)
    assert 'role="alert"' not in page
    assert page.index("<body>") < page.index("<h1>") < page.index("<h2>")
    assert chart_markdown(chart).startswith("# Level-of-care screening: chart report")


def test_the_header_names_client_date_counselor_and_record(assessor: Assessor) -> None:
    page = chart_html(record(assessor, iop_answers()))
    for label, value in [
        ("Client", "C-1024"),
        ("Date and time", "26 Nov 2026, 19:30 UTC"),
        ("Counselor", "J. Rivera"),
        ("Record", "7"),
    ]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in page
    markdown = chart_markdown(record(assessor, iop_answers(), counselor=None))
    assert "- **Counselor:** not recorded" in markdown
    assert "- **Date and time:** 26 Nov 2026, 19:30 UTC" in markdown


@pytest.mark.parametrize(
    ("created", "said"),
    [
        ("2026-11-26T19:30:12Z", "26 Nov 2026, 19:30 UTC"),
        ("2026-03-05T01:02:00+02:00", "4 Mar 2026, 23:02 UTC"),
        ("2026-01-09T08:05:00", "9 Jan 2026, 08:05"),
        ("yesterday", "yesterday"),
        (None, "not recorded"),
    ],
)
def test_the_intake_time_is_said_the_way_a_chart_says_it(created: str | None, said: str) -> None:
    assert say_when(created) == said


def test_an_override_shows_the_computed_level_the_placement_and_the_reason(assessor: Assessor) -> None:
    reason = "Daily use despite two attempts to stop; needs daily structure."
    chart = record(assessor, iop_answers(), override=Override("php", reason))
    assert chart["computed_level"] == "iop"
    page = chart_html(chart)
    assert "Computed by the screening: <strong>Intensive outpatient program (IOP)</strong>" in page
    # the apostrophe is escaped like every other text in the layout results share
    assert "Counselor&#x27;s placement: <strong>Partial hospitalization program (PHP)</strong>" in page
    assert f"Reason: {reason}" in page
    markdown = chart_markdown(chart)
    assert "- Computed by the screening: **Intensive outpatient program (IOP)**" in markdown
    assert "- Counselor's placement: **Partial hospitalization program (PHP)**" in markdown
    assert f"- Reason: {reason}" in markdown


def test_without_an_override_there_is_no_override_block(assessor: Assessor) -> None:
    chart = record(assessor, iop_answers())
    page = chart_html(chart)
    assert "Computed by the screening: <strong>Intensive outpatient program (IOP)</strong>" in page
    assert "the computed level, accepted" in page
    assert 'class="override"' not in page
    assert "Reason:" not in page
    markdown = chart_markdown(chart)
    assert "the computed level, accepted" in markdown
    assert "Reason:" not in markdown


def test_the_scores_table_has_each_instrument_with_its_total_and_band(assessor: Assessor) -> None:
    chart = record(assessor, iop_answers())
    scores = chart["explanation"]["scores"]
    assert len(scores) >= 3
    page = chart_html(chart)
    markdown = chart_markdown(chart)
    for line in scores:
        name, band = html.escape(line["instrument"]), html.escape(line["band"])
        # a screen that is not a sum (the ASQ) shows its result, never "n of 4"
        total = f"{line['total']} of {line['maximum']}" if line["show_total"] else "a screen, not a sum"
        assert f'<tr><td>{name}</td><td class="num">{total}</td><td>{band}</td></tr>' in page
        assert f"| {line['instrument']} | {total} | {line['band']} |" in markdown


def test_the_profile_is_an_accessible_svg_with_one_bar_per_area_and_its_values(assessor: Assessor) -> None:
    chart = record(assessor, iop_answers())
    profile = chart["explanation"]["profile"]
    page = chart_html(chart)
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert 'role="img"' in svg
    assert "<title" in svg
    assert "<desc" in svg
    areas = re.findall(r'<g class="area">(.*?)</g>', svg)
    assert len(areas) == len(profile) == len(re.findall(r'<rect class="bar"', svg))
    for drawn, line in zip(areas, profile, strict=True):
        assert f"{line['area']}: {line['value']} of {line['maximum']}" in drawn
        assert f">{line['value']} of {line['maximum']}</text>" in drawn
    markdown = chart_markdown(chart)
    for line in profile:
        assert f"| {line['area']} | {line['value']} of {line['maximum']} |" in markdown


def test_reasons_come_deciding_first_with_the_criteria_they_stand_on(assessor: Assessor) -> None:
    chart = record(assessor, with_alcohol(27, use_days=28, withdrawal_history="severe") | {"phq9_9": 1})
    explanation = chart["explanation"]
    assert explanation["deciding"]
    assert explanation["also_noted"]
    page = chart_html(chart)
    deciding, also = page.index("Deciding reasons"), page.index("Also noted")
    assert deciding < page.index(html.escape(explanation["deciding"][0]["text"])) < also
    assert also < page.index(html.escape(explanation["also_noted"][0]["text"]))
    citation = explanation["deciding"][0]["citations"][0]
    assert f"guide section “{html.escape(citation['section'])}”: {html.escape(citation['text'])}" in page
    markdown = chart_markdown(chart)
    assert markdown.index("### Deciding reasons") < markdown.index("### Also noted")


def test_care_to_consider_lists_programs_therapies_and_practical_notes(assessor: Assessor) -> None:
    chart = record(assessor, iop_answers() | {"hours_available": 4, "mh_diagnosis": True})
    explanation = chart["explanation"]
    assert explanation["programs"]
    assert explanation["modalities"]
    assert explanation["notes"]
    page = chart_html(chart)
    for entry in (*explanation["programs"], *explanation["modalities"]):
        assert f"<strong>{html.escape(entry['name'])}:</strong> {html.escape(entry['text'])}" in page
    for note in explanation["notes"]:
        assert html.escape(note) in page


def test_the_clinicians_note_has_its_own_section_and_stays_out_of_the_appendix(assessor: Assessor) -> None:
    note = "Engaged and open.\nPartner came along and is supportive."
    page = chart_html(record(assessor, iop_answers(), note=note))
    section = page.index("<h2>Clinician&#x27;s note</h2>")
    assert section < page.index("Engaged and open.") < page.index("Appendix: the answers")
    assert page.count("Partner came along") == 1
    assert "<h2>Clinician&#x27;s note</h2>" not in chart_html(record(assessor, iop_answers()))


def test_the_appendix_lists_answers_in_words_and_groups_numbered_questions(assessor: Assessor) -> None:
    chart = record(assessor, iop_answers())
    page = chart_html(chart)
    appendix = page[page.index("Appendix: the answers") :]
    assert "<tr><td>days of use in the past 30</td><td>10</td></tr>" in appendix
    assert "<td>phq9_1 to phq9_8</td><td>1: More than half the days · 2: Several days · 3: Not at all" in appendix
    markdown = chart_markdown(chart)
    assert "| Recent use and withdrawal | days of use in the past 30 | 10 |" in markdown


def test_versions_carry_the_full_fingerprints_of_both_definitions(assessor: Assessor) -> None:
    chart = record(assessor, iop_answers())
    page, markdown = chart_html(chart), chart_markdown(chart)
    versions = page[page.index("<h2>Versions</h2>") :]
    assert "carecheck version <code>0.1.0</code>" in versions
    for key in ("questionnaire", "rules"):
        ref = chart["result"][key]
        assert SHA256.match(ref["sha256"])
        assert f"<code>{ref['id']}</code> version <code>{ref['version']}</code>" in versions
        assert f"<code>{ref['sha256']}</code>" in versions
        assert ref["sha256"] in markdown


def test_signature_lines_and_the_screening_notice_close_the_report(assessor: Assessor) -> None:
    chart = record(assessor, iop_answers())
    page = chart_html(chart)
    assert page.index("Counselor signature") < page.index("Reviewed by (supervisor)") < page.index("not a diagnosis")
    assert page.index("<h2>Versions</h2>") < page.index("Counselor signature")
    assert "screening aid, not a diagnosis" in chart_markdown(chart)


# --- drawn from the record alone ----------------------------------------------------------------------------------


def test_the_report_is_drawn_from_the_record_not_from_todays_definitions(assessor: Assessor) -> None:
    chart = record(assessor, iop_answers())
    chart["level_names"]["iop"] = "IOP (as the 2026 policy named it)"
    chart["explanation"]["scores"][0]["band"] = "a band since renamed"
    page = chart_html(chart)
    assert "Computed by the screening: <strong>IOP (as the 2026 policy named it)</strong>" in page
    assert "a band since renamed" in page


def test_a_stored_record_read_back_from_json_gives_the_same_report(assessor: Assessor) -> None:
    chart = record(assessor, urgent_answers(), override=Override("php", "Reason."), note="Note.")
    stored = json.loads(json.dumps(chart))
    assert chart_html(stored) == chart_html(chart)
    assert chart_markdown(stored) == chart_markdown(chart)


def test_a_screen_negative_record_has_no_reasons_or_care_but_every_other_section(assessor: Assessor) -> None:
    page = chart_html(record(assessor, baseline_answers()))
    assert h2_headings(page) == [
        "Recommendation",
        "Instrument scores",
        "Severity profile",
        "Appendix: the answers",
        "Questionnaires used",
        "Versions",
        "Signatures",
    ]


def test_markdown_has_the_same_sections_in_the_same_order(assessor: Assessor) -> None:
    chart = record(assessor, with_alcohol(27, phq9_9=1), override=Override("php", "R."), note="N.")
    html_sections = h2_headings(chart_html(chart))
    markdown_sections = re.findall(r"^## (.*)$", chart_markdown(chart), flags=re.MULTILINE)
    assert chart["result"]["safety"] is not None  # the check-in: a heading in HTML, a quote in Markdown
    assert html_sections[0] == chart["result"]["safety"]["heading"]
    assert markdown_sections == html_sections[1:]
    assert "Reasons" in markdown_sections
    assert "Clinician's note" in markdown_sections


# --- the same report as text, for `records show` -------------------------------------------------------------------


def text_headings(text: str) -> list[str]:
    """Section headings of the text layout: a line underlined with dashes."""
    return re.findall(r"^(.+)\n-+$", text, flags=re.MULTILINE)


def test_the_text_report_has_every_section_of_the_html_in_the_same_order(assessor: Assessor) -> None:
    chart = record(assessor, with_alcohol(27, phq9_9=1), override=Override("php", "R."), note="N.")
    html_sections = h2_headings(chart_html(chart))
    assert text_headings(chart_text(chart)) == html_sections[1:]  # the check-in is set apart, not a section
    assert "Appendix: the answers" in html_sections
    assert "Signatures" in html_sections


def test_the_text_report_puts_crisis_help_first_then_both_levels_and_the_reason(assessor: Assessor) -> None:
    chart = record(assessor, urgent_answers(), override=Override("outpatient", "Lives with a sober partner."))
    text = chart_text(chart)
    assert text.startswith(f"!! {chart['result']['safety']['heading']} !!\n")
    assert text.index("988") < text.index("LEVEL-OF-CARE SCREENING: CHART REPORT")
    assert "- Computed by the screening: Inpatient or residential care\n" in text
    assert "- Counselor's placement: Outpatient counseling (a different level)\n" in text
    assert "- Reason: Lives with a sober partner.\n" in text


def test_the_text_report_shows_the_notes_answers_and_versions_the_printed_one_has(assessor: Assessor) -> None:
    chart = record(assessor, iop_answers(), note="Engaged and open.\r\nPartner came along.")
    text = chart_text(chart, width=100)
    assert "Clinician's note\n----------------\n\n  Engaged and open.\n  Partner came along.\n" in text
    assert "Recent use and withdrawal\n  - days of use in the past 30: 10\n" in text
    assert chart["result"]["rules"]["sha256"] in text
    assert f"Counselor: {'_' * 28}  Date: {'_' * 12}" in text
    assert text.rstrip().endswith("call or text 988, or call 911.")


@pytest.mark.parametrize("width", [60, 100])
def test_the_text_report_fits_the_terminal(assessor: Assessor, width: int) -> None:
    text = chart_text(record(assessor, urgent_answers(), override=Override("php", "R."), note="N."), width=width)
    assert width - 10 < max(len(line) for line in text.splitlines()) <= width


def test_the_text_report_for_a_screen_reader_says_the_profile_in_words(assessor: Assessor) -> None:
    chart = record(assessor, iop_answers())
    area = chart["explanation"]["profile"][0]
    said = f"- {area['area']}: {area['value']} of {area['maximum']}"
    assert said in chart_text(chart, plain=True)
    assert said not in chart_text(chart)
    assert "#" not in chart_text(chart, plain=True).split("Severity profile\n")[1].split("Reasons")[0]


def test_the_text_report_shows_hostile_values_literally_and_never_as_markup(assessor: Assessor) -> None:
    chart = record(assessor, iop_answers(), client=HOSTILE, override=Override("php", HOSTILE), note=HOSTILE)
    chart["counselor"] = HOSTILE
    chart["answers"][0]["display"] = HOSTILE
    text = chart_text(chart, width=200)
    assert "\x1b" not in text
    shown = "<script>alert(1)</script> **x** [y](javascript:z) \\x1b[2J | # `c` &amp;"
    assert f"- Client: {shown}\n" in text
    assert f"- Counselor: {shown}\n" in text
    assert f"- Reason: {shown}\n" in text
    assert f"  {shown}\n" in text  # the note
    assert f"  - age: {shown}\n" in text
    assert "\\|" not in text


# --- untrusted values ---------------------------------------------------------------------------------------------


def test_a_hostile_client_reason_and_note_are_shown_escaped(assessor: Assessor) -> None:
    chart = record(assessor, iop_answers(), client=HOSTILE, override=Override("php", HOSTILE), note=HOSTILE)
    chart["counselor"] = HOSTILE
    page = chart_html(chart)
    assert "<script" not in page
    assert "\x1b" not in page
    shown = "&lt;script&gt;alert(1)&lt;/script&gt; **x** [y](javascript:z) \\x1b[2J | # `c` &amp;amp;"
    assert page.count(shown) >= 4  # client (and title), counselor, reason, note
    assert f"<dt>Client</dt><dd>{shown}</dd>" in page
    markdown = chart_markdown(chart)
    assert not UNESCAPED_TAG.search(markdown)
    assert "\x1b" not in markdown
    escaped = r"\<script\>alert(1)\</script\> \*\*x\*\* \[y\](javascript:z) \\x1b\[2J \| \# \`c\` \&amp;"
    assert f"- **Client:** {escaped}" in markdown
    assert f"- Reason: {escaped}" in markdown
    assert f"> {escaped}" in markdown


def test_a_value_that_looks_like_a_list_marker_is_defused_wherever_it_stands(assessor: Assessor) -> None:
    chart = record(assessor, iop_answers(), client="- C-1", override=Override("php", "1. Lives alone"), note="+ x")
    markdown = chart_markdown(chart)
    assert "- **Client:** \\- C-1" in markdown
    assert "- Reason: 1\\. Lives alone" in markdown
    assert "> \\+ x" in markdown
    assert "- carecheck version 0\\.1.0" in markdown


def test_hostile_text_in_answers_and_explanation_is_escaped_too(assessor: Assessor) -> None:
    chart = record(assessor, iop_answers())
    chart["answers"][0]["display"] = HOSTILE
    chart["explanation"]["profile"][0]["area"] = HOSTILE
    chart["result"]["questionnaire"]["sha256"] = HOSTILE
    page = chart_html(chart)
    assert "<script" not in page
    assert "\x1b" not in page
    markdown = chart_markdown(chart)
    assert not UNESCAPED_TAG.search(markdown)
    assert "| About you | age | \\<script\\>" in markdown


# --- self-contained and printable ---------------------------------------------------------------------------------


def test_the_html_is_one_self_contained_file(assessor: Assessor) -> None:
    page = chart_html(record(assessor, urgent_answers(), override=Override("outpatient", "R."), note="N."))
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert '<meta charset="utf-8">' in page
    assert "<script" not in page.lower()
    assert not re.search(r"""\b(src|href)\s*=""", page, flags=re.IGNORECASE)
    assert not re.search(r"url\(|@import|@font-face|<link|<img|<iframe|<object", page, flags=re.IGNORECASE)
    assert not re.search(r"https?://", page)


def test_the_html_prints_on_either_paper_with_blocks_kept_whole(assessor: Assessor) -> None:
    page = chart_html(record(assessor, iop_answers()))
    style = page[page.index("<style>") : page.index("</style>")]
    at_page = re.search(r"@page\s*\{([^}]*)\}", style)
    assert at_page is not None
    assert "margin" in at_page.group(1)
    assert "size" not in at_page.group(1)  # the printer's paper, A4 or Letter
    assert "break-inside: avoid" in style
    assert re.search(r"body \{ font: 1[01]pt", style)
    assert "max-width" in style


def test_unlabelled_questions_of_two_instruments_in_one_section_get_a_row_each(assessor: Assessor) -> None:
    chart = record(assessor, iop_answers())
    chart["answers"] = [
        {"id": f"{stem}_{n}", "section": "Withdrawal", "type": "choice", "label": f"{stem}_{n}", "display": "mild"}
        for stem in ("ciwa", "cows")
        for n in (1, 2)
    ]
    markdown = chart_markdown(chart)
    assert "| Withdrawal | ciwa\\_1 to ciwa\\_2 | 1: mild · 2: mild |" in markdown
    assert "| Withdrawal | cows\\_1 to cows\\_2 | 1: mild · 2: mild |" in markdown


def test_a_criterion_cited_by_several_reasons_is_quoted_once(assessor: Assessor) -> None:
    chart = record(assessor, with_alcohol(27, phq9_9=1) | {"asq_1": True, "asq_5": False})
    reasons = [*chart["explanation"]["deciding"], *chart["explanation"]["also_noted"]]
    cited = [c["text"] for reason in reasons for c in reason["citations"]]
    repeats = len(cited) - len(set(cited))
    assert repeats > 0
    for page, escape in ((chart_html(chart), html.escape), (chart_markdown(chart), lambda text: text)):
        for text in set(cited):
            assert page.count(escape(text)) == 1
        assert page.count(": as cited above") == repeats
