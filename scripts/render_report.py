"""Render a sample intake's chart report to HTML and, where Chromium is installed, to a PNG and to PDF on A4 and Letter.

    python scripts/render_report.py [--out DIR]

The sample is a realistic intake built with the library: the `opioids-stable-home` example with some low mood and
worry added (and, with the counselor-intake definitions, a COWS score and a clinician's note), computed at IOP and
placed at PHP by the counselor. Prints the files written and the PDF page counts
(a typical intake should print on two pages on either paper). Without Chromium it says so and exits 0.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

import carecheck
from carecheck.clinic.chart import chart_html, chart_markdown
from carecheck.clinic.record import Override, build_record

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "opioids-stable-home.yaml"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
PAPERS = {"A4": "A4", "Letter": "letter"}
SAMPLE_NOTE = (
    "Client arrived on time, was open and engaged. Reports using oxycodone daily for about a year after a back "
    "injury; last use yesterday evening. Lives with partner, who is supportive and came to the appointment.\n"
    "Works night shifts, so a daytime program needs a word with the employer."
)


def sample_assessor() -> tuple[carecheck.Assessor, dict[str, Any]]:
    """The counselor-intake definitions with a COWS score and a note, or (where they are not installed) the
    self-assessment alone."""
    try:
        return carecheck.load_assessor(rules="counselor-intake"), {
            "cows_total": 9,
            "intoxicated": False,
            "vitals_concern": False,
            "clinician_note": SAMPLE_NOTE,
        }
    except carecheck.UsageError:
        return carecheck.load_assessor(), {}


def sample_record() -> dict[str, Any]:
    """An intake record as a counselor's intake stores it: computed IOP, placed at PHP, with a clinician's note."""
    assessor, clinician = sample_assessor()
    answers = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    answers |= {"phq9_1": 2, "phq9_2": 2, "phq9_3": 1, "phq9_4": 2, "gad7_1": 1, "gad7_2": 2, "gad7_3": 1}
    result = assessor.assess(answers | clinician)
    record = build_record(
        assessor,
        result,
        client="C-1024",
        counselor="J. Rivera, LADC",
        created="2026-11-26T19:30:12Z",
        override=Override("php", "Daily use despite two attempts to stop; needs daily structure while MOUD starts."),
        carecheck_version=carecheck.__version__,
    )
    record["id"] = 42
    if not clinician:
        print("No counselor-intake definitions here: the self-assessment, with a stand-in clinician's note.")
        record["answers"].append(
            {
                "id": "clinician_note",
                "section": "Clinician: observations",
                "type": "text",
                "label": "clinician's note",
                "prompt": "A short note for the chart (optional).",
                "value": SAMPLE_NOTE,
                "display": SAMPLE_NOTE,
            }
        )
    return record


def find_browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def run_browser(browser: str, *args: str) -> None:
    with tempfile.TemporaryDirectory(prefix="carecheck-chromium-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *args,
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=120)


def count_pages(pdf: Path) -> int:
    """Page objects in a PDF (`/Type /Page`, not the `/Pages` tree nodes)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf.read_bytes()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="folder for the files (default: a new temporary folder)")
    options = parser.parse_args()
    out: Path = options.out or Path(tempfile.mkdtemp(prefix="carecheck-report-"))
    out.mkdir(parents=True, exist_ok=True)

    record = sample_record()
    page = chart_html(record)
    html_path = out / "chart.html"
    html_path.write_text(page, encoding="utf-8")
    (out / "chart.md").write_text(chart_markdown(record), encoding="utf-8")
    print(f"HTML:     {html_path}")
    print(f"Markdown: {out / 'chart.md'}")

    browser = find_browser()
    if browser is None:
        print(f"No Chromium on PATH (looked for {', '.join(BROWSERS)}): no PNG or PDF made.")
        return 0
    png = out / "chart.png"
    run_browser(browser, "--window-size=900,1400", f"--screenshot={png}", html_path.as_uri())
    print(f"PNG:      {png}")
    for paper, size in PAPERS.items():
        sized = out / f"chart-{paper}.html"
        sized.write_text(page.replace("</style>", f"@page {{ size: {size}; }}</style>", 1), encoding="utf-8")
        pdf = out / f"chart-{paper}.pdf"
        run_browser(browser, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", sized.as_uri())
        print(f"PDF {paper}: {count_pages(pdf)} pages, {pdf}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
