"""Moving code keeps every output: the examples, the worked cases, 600 random answer sets and a stored intake's
chart report and FHIR export give the bytes the golden files hold (made by `tests/golden/outputs.py --write`)."""

from __future__ import annotations

import pytest

from golden.outputs import FILES, HASHES, named_outputs, random_output_hashes


def test_every_named_output_is_the_golden_one() -> None:
    outputs = named_outputs()
    assert sorted(outputs) == sorted(path.name for path in FILES.iterdir())
    for name, text in outputs.items():
        assert text == (FILES / name).read_text(), name


@pytest.mark.slow
def test_600_random_answer_sets_render_as_before_in_every_format() -> None:
    assert random_output_hashes() == HASHES.read_text().splitlines()
