"""Random answer sets (core/sampling): every sampled answer lies inside its item's domain."""

from __future__ import annotations

import random
from pathlib import Path

from carecheck.api import load_questionnaire_only
from carecheck.core.sampling import random_answers


def test_short_text_items_are_sampled_within_their_length(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(
        "id: q\nversion: '1'\ntitle: Q\nsections:\n  - id: s\n    title: S\n    items:\n"
        "      - {id: note, type: text, max_length: 3, prompt: A note?}\n"
    )
    compiled = load_questionnaire_only(str(path))
    for seed in range(20):
        assert len(random_answers(compiled, random.Random(seed))["note"]) <= 3  # type: ignore[arg-type]
