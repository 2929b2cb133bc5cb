"""carecheck: a level-of-care screening aid for substance use and mental health. Not a diagnosis.

    >>> import carecheck
    >>> assessor = carecheck.load_assessor()              # the built-in questionnaire and policy, compiled once
    >>> result = assessor.assess({"age": 35, ...})         # cheap; safe to share between threads
    >>> carecheck.result_json(result, assessor)            # the contract's JSON object

Names are imported on first use, so that `carecheck --version` starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "assess": "carecheck.api",
    "load_assessor": "carecheck.api",
    "Assessor": "carecheck.engine",
    "Result": "carecheck.result",
    "explain": "carecheck.explanation",
    "result_json": "carecheck.render",
    "render_result": "carecheck.render",
    "Format": "carecheck.formats",
    "CarecheckError": "carecheck.errors",
    "AnswersError": "carecheck.errors",
    "DefinitionError": "carecheck.errors",
    "UsageError": "carecheck.errors",
}

__all__ = [
    "AnswersError",
    "Assessor",
    "CarecheckError",
    "DefinitionError",
    "Format",
    "Result",
    "UsageError",
    "__version__",
    "assess",
    "explain",
    "load_assessor",
    "render_result",
    "result_json",
]

if TYPE_CHECKING:
    from carecheck.api import assess, load_assessor
    from carecheck.engine import Assessor
    from carecheck.errors import AnswersError, CarecheckError, DefinitionError, UsageError
    from carecheck.explanation import explain
    from carecheck.formats import Format
    from carecheck.render import render_result, result_json
    from carecheck.result import Result


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'carecheck' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
