"""Health data stays private: no network, no answer values where they do not belong, no locals in tracebacks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import baseline_answers, run_carecheck, with_alcohol

# Runs carecheck with an audit hook that stops the process at the first attempt to open or use a socket.
NO_NETWORK = """
import sys
def refuse(event, args):
    if event.startswith(("socket.", "http.", "urllib.", "ftplib.", "smtplib.")):
        sys.stderr.write("NETWORK: " + event + "\\n")
        sys.stderr.flush()
        import os
        os._exit(99)
sys.addaudithook(refuse)
sys.argv = ["carecheck", *sys.argv[1:]]
from carecheck.cli.app import main
main()
"""


def carecheck_offline(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_carecheck(*args, stdin=stdin, entry=("-c", NO_NETWORK))


@pytest.mark.slow
def test_no_command_opens_a_socket(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(yaml.safe_dump(with_alcohol(30, id="x")))
    records = "".join(json.dumps(with_alcohol(t, id=str(t))) + "\n" for t in range(0, 40, 3))
    runs = [carecheck_offline("assess", "--answers", str(answers), "--format", fmt) for fmt in ("text", "json", "html")]
    runs.append(carecheck_offline("validate"))
    runs.append(carecheck_offline("batch", "-", stdin=records))
    runs.append(carecheck_offline("batch", "-", "--jobs", "2", stdin=records))
    runs.append(carecheck_offline("assess", "--answers", str(tmp_path / "missing.yaml")))
    for run in runs:
        assert "NETWORK" not in run.stderr, run.stderr
        assert run.returncode in (0, 2), run.stderr
    assert [run.returncode for run in runs] == [0, 0, 0, 0, 0, 0, 2]  # only the missing answer file is refused


@pytest.mark.slow
def test_an_error_message_quotes_only_the_faulty_items_own_value(tmp_path: Path) -> None:
    answers = baseline_answers() | {"id": "client-4471", "age": 7, "hours_available": 77, "readiness": 3}
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(answers))
    process = run_carecheck("assess", "--answers", str(path))
    assert process.returncode == 2
    assert "age: must be a whole number from 12 to 120, got 7" in process.stderr
    for other in ("77", "client-4471", "readiness"):
        assert other not in process.stderr


@pytest.mark.slow
def test_warnings_name_items_not_values(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(baseline_answers() | {"dast_1": True, "audit_3": 4}))
    process = run_carecheck("assess", "--answers", str(path), "--format", "json")
    assert process.returncode == 0
    warnings = [line for line in process.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 2
    assert not any("True" in line or ": 4" in line for line in warnings)


@pytest.mark.slow
def test_escape_sequences_in_messages_never_reach_the_terminal_raw(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(json.dumps(baseline_answers() | {"\x1b]0;owned\x07": 1, "housing": "\x1b[2Jgone"}))
    process = run_carecheck("assess", "--answers", str(path))
    assert process.returncode == 2
    assert "\x1b" not in process.stderr
    assert "\x07" not in process.stderr
    assert "\\x1b]0;owned\\x07: is not an item" in process.stderr
