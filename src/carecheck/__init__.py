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
    "Assessor": "carecheck.core.assessor",
    "Result": "carecheck.core.result",
    "explain": "carecheck.core.wording",
    "result_json": "carecheck.output.render",
    "render_result": "carecheck.output.render",
    "Format": "carecheck.output.formats",
    "JsonResultWriter": "carecheck.output.jsonresult",
    "CarecheckError": "carecheck.core.errors",
    "AnswersError": "carecheck.core.errors",
    "DefinitionError": "carecheck.core.errors",
    "UsageError": "carecheck.core.errors",
}

__all__ = [
    "AnswersError",
    "Assessor",
    "CarecheckError",
    "DefinitionError",
    "Format",
    "JsonResultWriter",
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
    from carecheck.core.assessor import Assessor
    from carecheck.core.errors import AnswersError, CarecheckError, DefinitionError, UsageError
    from carecheck.core.result import Result
    from carecheck.core.wording import explain
    from carecheck.output.formats import Format
    from carecheck.output.jsonresult import JsonResultWriter
    from carecheck.output.render import render_result, result_json


_MOVED_MODULES = {"jsonresult": "carecheck.output.jsonresult"}
"""Modules the README once documented at the top of the package, before the layers had folders."""


def __getattr__(name: str) -> Any:
    import importlib

    if name in _MOVED_MODULES:
        return importlib.import_module(_MOVED_MODULES[name])
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'carecheck' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
