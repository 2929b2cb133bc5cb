"""Answer sets for the counselor-intake questionnaire: the self-assessment baseline plus the clinician items."""

from __future__ import annotations

from typing import Any

from conftest import baseline_answers, with_alcohol


def clinician(answers: dict[str, Any] | None = None, **items: Any) -> dict[str, Any]:
    """A self-assessment answer set with the clinician's findings: nothing observed unless given."""
    base = baseline_answers() if answers is None else answers
    return {**base, "intoxicated": False, "vitals_concern": False, **items}


def drinking(ciwa: int | None = None, **items: Any) -> dict[str, Any]:
    """A client who drinks (AUDIT 10), with a CIWA-Ar total when one is given."""
    extra = {} if ciwa is None else {"ciwa_total": ciwa}
    return clinician(with_alcohol(10), **extra, **items)


def opioids(cows: int | None = None, **items: Any) -> dict[str, Any]:
    """A client who uses opioids (DAST-10 of 2), with a COWS total when one is given."""
    from conftest import with_drugs

    extra = {} if cows is None else {"cows_total": cows}
    return clinician(with_drugs(2, drug="opioids"), **extra, **items)
