"""Shared fixtures: one compiled assessor, a screen-negative baseline to vary, and the installed command run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, overload

import pexpect
import pytest

# Tests, and the carecheck processes they start, keep their definitions cache out of the user's home.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="carecheck-test-cache-")

from carecheck import Assessor, load_assessor

_ASSESSOR = load_assessor()

# How the installed command is started: the same interpreter, so the tests see the package they import.
CARECHECK = ("-m", "carecheck")


@overload
def run_carecheck(
    *args: str,
    stdin: str = "",
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
    entry: Sequence[str] = CARECHECK,
    expect_exit: int | None = None,
) -> subprocess.CompletedProcess[str]: ...


@overload
def run_carecheck(
    *args: str,
    stdin: bytes,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
    entry: Sequence[str] = CARECHECK,
    expect_exit: int | None = None,
) -> subprocess.CompletedProcess[bytes]: ...


def run_carecheck(
    *args: str,
    stdin: str | bytes = "",
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
    entry: Sequence[str] = CARECHECK,
    expect_exit: int | None = None,
) -> subprocess.CompletedProcess[str] | subprocess.CompletedProcess[bytes]:
    """Run `carecheck ARGS` to the end: text in gives text out, bytes in gives bytes out; `env` adds to ours.

    With `expect_exit`, a different exit code fails the test at once, showing what the command wrote to stderr.
    """
    process = subprocess.run(
        [sys.executable, *entry, *args],
        input=stdin,
        capture_output=True,
        text=isinstance(stdin, str),
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )
    if expect_exit is not None:
        assert process.returncode == expect_exit, process.stderr
    return process


def _hear_ctrl_c() -> None:
    # A suite started in the background (nohup, some CI runners) ignores SIGINT, and children inherit that;
    # the tests that press Ctrl-C need the child to hear it, as it would at a person's terminal.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def spawn_carecheck(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    dimensions: tuple[int, int] = (24, 80),
    timeout: float = 30,
) -> pexpect.spawn:
    """Start `carecheck ARGS` in a pseudo-terminal, as a person would; `env` adds to ours."""
    child = pexpect.spawn(
        sys.executable,
        [*CARECHECK, *args],
        env={**os.environ, **(env or {})},
        cwd=None if cwd is None else str(cwd),
        encoding="utf-8",
        timeout=timeout,
        dimensions=dimensions,
        preexec_fn=_hear_ctrl_c,
    )
    child.delaybeforesend = None  # pexpect's default sleeps 50 ms before every send: a third of the suite's time
    return child


def baseline_answers() -> dict[str, Any]:
    """A 35-year-old who uses nothing and reports no symptoms: every required item, no rule fires."""
    answers: dict[str, Any] = {
        "age": 35,
        "substances": [],
        "medical_unstable": False,
        "psychosis": False,
        "self_care": True,
        "mh_diagnosis": False,
        "readiness": 8,
        "prior_treatment": "none",
        "housing": "stable",
        "home_use": False,
        "support": "strong",
        "hours_available": 15,
    }
    answers |= {f"phq9_{i}": 0 for i in range(1, 10)}
    answers |= {f"gad7_{i}": 0 for i in range(1, 8)}
    answers |= {f"asq_{i}": False for i in range(1, 5)}
    return answers


def with_alcohol(audit_total: int = 0, **extra: Any) -> dict[str, Any]:
    """Baseline plus alcohol use whose AUDIT adds up to `audit_total` (items 1-8 filled first, 4 points each)."""
    answers = baseline_answers() | {
        "substances": ["alcohol"],
        "use_days": 5,
        "withdrawal_history": "none",
        "withdrawal_now": False,
    }
    assert 0 <= audit_total <= 40
    overflow = max(0, audit_total - 32)
    overflow += overflow % 2  # items 9 and 10 score 0, 2 or 4
    answers["audit_9"], answers["audit_10"] = min(4, overflow), max(0, overflow - 4)
    remaining = audit_total - overflow
    for i in range(1, 9):
        answers[f"audit_{i}"] = min(4, remaining)
        remaining -= answers[f"audit_{i}"]
    return answers | extra


def with_drugs(dast_total: int = 0, drug: str = "cannabis", **extra: Any) -> dict[str, Any]:
    """Baseline plus drug use whose DAST-10 adds up to `dast_total` (item 3 answered 'yes', so it scores 0)."""
    answers = baseline_answers() | {
        "substances": [drug],
        "use_days": 5,
        "withdrawal_history": "none",
        "withdrawal_now": False,
    }
    others = [i for i in range(1, 11) if i != 3]
    for n, i in enumerate(others):
        answers[f"dast_{i}"] = n < dast_total
    answers["dast_3"] = True
    if dast_total == 10:
        answers["dast_3"] = False
    return answers | extra


def with_phq9(total: int, **extra: Any) -> dict[str, Any]:
    """Baseline with PHQ-9 items 1-8 adding up to `total` (item 9, self-harm thoughts, stays 0 unless given)."""
    answers = baseline_answers()
    remaining = total
    for i in range(1, 9):
        answers[f"phq9_{i}"] = min(3, remaining)
        remaining -= answers[f"phq9_{i}"]
    if remaining:
        answers["phq9_9"] = remaining
    return answers | extra


def with_gad7(total: int, **extra: Any) -> dict[str, Any]:
    answers = baseline_answers()
    remaining = total
    for i in range(1, 8):
        answers[f"gad7_{i}"] = min(3, remaining)
        remaining -= answers[f"gad7_{i}"]
    return answers | extra


@pytest.fixture(scope="session")
def assessor() -> Assessor:
    return _ASSESSOR


@pytest.fixture
def baseline() -> dict[str, Any]:
    return baseline_answers()
