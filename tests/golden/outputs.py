"""Every output carecheck gives for a fixed set of inputs, by name: the golden files hold them as they were.

Used two ways: `python tests/golden/outputs.py --write` makes the golden files (once, before a change meant to
keep every output), and tests/test_golden.py compares what the code gives now with them, byte for byte. Only the
public API (`carecheck.load_assessor`, `render_result`, `Format`) and the command line are used, so that the
comparison holds while the modules behind them move.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import yaml

import carecheck
from carecheck import Format

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
RANDOM_ANSWERS = HERE / "random-answers.jsonl"
HASHES = HERE / "random-outputs.sha256"
FILES = HERE / "files"
FORMATS = (Format.JSON, Format.TEXT, Format.MARKDOWN, Format.HTML)
SUFFIX = {Format.JSON: "json", Format.TEXT: "txt", Format.MARKDOWN: "md", Format.HTML: "html"}
FIXED_TIME = "2026-01-02T03:04:05Z"


def _rendered(assessor: carecheck.Assessor, answers: dict[str, object]) -> dict[str, str]:
    result = assessor.assess(answers)
    rendered = {fmt: carecheck.render_result(result, assessor, fmt) for fmt in FORMATS}
    rendered_plain = carecheck.render_result(result, assessor, Format.TEXT, width=60, plain=True)
    return {SUFFIX[fmt]: text for fmt, text in rendered.items()} | {"plain60.txt": rendered_plain}


def named_answer_sets() -> Iterator[tuple[str, str | None, dict[str, object]]]:
    """(name, rules, answers) for every example and every worked case."""
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        yield f"example-{path.stem}", None, yaml.safe_load(path.read_text())
    for path in sorted((ROOT / "tests" / "cases").glob("*.yaml")):
        yield f"case-{path.stem}", None, yaml.safe_load(path.read_text())["answers"]
    for path in sorted((ROOT / "tests" / "cases" / "intake").glob("*.yaml")):
        yield f"intake-case-{path.stem}", "counselor-intake", yaml.safe_load(path.read_text())["answers"]


def named_outputs() -> dict[str, str]:
    outputs: dict[str, str] = {}
    for name, rules, answers in named_answer_sets():
        assessor = carecheck.load_assessor(rules=rules)
        for suffix, text in _rendered(assessor, answers).items():
            outputs[f"{name}.{suffix}"] = text
    outputs |= clinic_outputs()
    return outputs


def random_output_hashes() -> list[str]:
    """One line per random answer set: the sha256 of each format's output."""
    assessor = carecheck.load_assessor()
    lines = []
    for line in RANDOM_ANSWERS.read_text().splitlines():
        rendered = _rendered(assessor, json.loads(line))
        lines.append(" ".join(hashlib.sha256(rendered[key].encode()).hexdigest()[:16] for key in sorted(rendered)))
    return lines


def _carecheck(*args: str, env: dict[str, str]) -> str:
    process = subprocess.run(
        [sys.executable, "-m", "carecheck", *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert process.returncode == 0, process.stderr
    return process.stdout


def clinic_outputs() -> dict[str, str]:
    """A fixed intake with an override, stored, its time set to FIXED_TIME, then exported in every format."""
    answers = yaml.safe_load((ROOT / "tests" / "cases" / "intake" / "ciwa-severe.yaml").read_text())["answers"]
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "records.sqlite3"
        answer_file = Path(folder) / "intake.json"
        answer_file.write_text(json.dumps(answers))
        env = os.environ | {"XDG_DATA_HOME": folder, "NO_COLOR": "1"}
        _carecheck(
            "intake", "--client", "C-1", "--counselor", "R. Diaz", "--answers", str(answer_file), "--override",
            "php", "--reason", "Client declines inpatient; daily medical check-ins arranged.", "--db", str(db),
            "--format", "json", env=env,
        )  # fmt: skip
        with sqlite3.connect(db) as connection:
            (document,) = connection.execute("SELECT document FROM intake").fetchone()
            record = json.loads(document)
            record["created"] = FIXED_TIME
            connection.execute("UPDATE intake SET created = ?, document = ?", (FIXED_TIME, json.dumps(record)))
        connection.close()
        return {
            f"intake-record.{suffix}": _carecheck("records", "export", "1", "--format", fmt, "--db", str(db), env=env)
            for fmt, suffix in (("json", "json"), ("markdown", "md"), ("html", "html"), ("fhir", "fhir.json"))
        }


def write() -> None:
    import random

    from carecheck.core.sampling import random_answers  # the sampler only makes the inputs, once

    assessor = carecheck.load_assessor()
    rng = random.Random(600)
    RANDOM_ANSWERS.write_text("".join(json.dumps(random_answers(assessor, rng, f"g{n}")) + "\n" for n in range(600)))
    FILES.mkdir(exist_ok=True)
    for name, text in named_outputs().items():
        (FILES / name).write_text(text)
    HASHES.write_text("\n".join(random_output_hashes()) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/golden/outputs.py --write")
    write()
