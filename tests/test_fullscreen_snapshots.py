"""What each full-screen screen looks like at 80x24 and 60x20, held by pytest-textual-snapshot
(`pytest tests/test_fullscreen_snapshots.py --snapshot-update` redraws them after an intended change)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carecheck import Assessor
from carecheck.cli.fullscreen.app import CarecheckApp, interview_app, result_app
from carecheck.cli.interview import welcome
from conftest import baseline_answers, with_alcohol

pytestmark = pytest.mark.slow  # each starts the app headless and draws it

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((60, 20), id="60x20")]


def no_save(kind: str) -> Path:
    raise AssertionError("a snapshot saves nothing")


def welcome_app(assessor: Assessor) -> CarecheckApp:
    return interview_app(assessor, {}, greeting=welcome(assessor, keys=None))


def question_app(assessor: Assessor) -> CarecheckApp:
    """The typical-day AUDIT question, first of its section: heading, the instrument's instructions and credit."""
    answers = {key: value for key, value in with_alcohol(9).items() if not key.startswith("audit_")}
    return interview_app(assessor, answers | {"audit_1": 2})


def crisis_app(assessor: Assessor) -> CarecheckApp:
    before = baseline_answers() | {"asq_1": True}
    return interview_app(assessor, {k: v for k, v in before.items() if k not in ("readiness", "support")})


def review_app(assessor: Assessor) -> CarecheckApp:
    return interview_app(assessor, baseline_answers() | {"pregnant": False})


def urgent_result_app(assessor: Assessor) -> CarecheckApp:
    return result_app(assessor.assess(with_alcohol(18) | {"asq_1": True, "asq_5": True}), assessor, no_save)


SCREENS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "welcome": (welcome_app, ()),
    "question": (question_app, ()),
    "crisis": (crisis_app, ("1",)),  # asq_5, "right now": yes
    "review": (review_app, ()),
    "result": (urgent_result_app, ()),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_each_screen_looks_as_held(screen: str, size: tuple[int, int], assessor: Assessor, snap_compare: Any) -> None:
    make, keys = SCREENS[screen]
    assert snap_compare(make(assessor), press=keys, terminal_size=size)
