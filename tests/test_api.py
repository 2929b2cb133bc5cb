"""The library's face: what the README shows a library user runs as shown, and the import paths it once documented
still work after the modules moved into folders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import baseline_answers

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_the_readme_library_examples_run_as_written() -> None:
    answers = baseline_answers() | {"id": "r1"}
    namespace: dict[str, Any] = {"answers": answers}
    for block in python_blocks():
        if "assess_table" in block:  # the data teams' example takes a table of answers
            import pyarrow

            namespace["answers"] = pyarrow.Table.from_pylist([answers])
        exec(compile(block, str(README), "exec"), namespace)
    assert namespace["results"].column("level").to_pylist() == ["outpatient"]
    lines = list(namespace["score_partition"]([answers, {"id": "bad", "age": 3}]))
    assert '"schema_version":"1","id":"r1","level":"outpatient"' in lines[0]
    assert lines[1]["id"] == "bad"


@pytest.mark.slow
def test_paths_the_readme_documented_before_the_layers_moved_still_work() -> None:
    code = (
        "import carecheck\n"
        "a = carecheck.load_assessor()\n"
        "w = carecheck.jsonresult.JsonResultWriter(a)\n"
        "assert w is not None and carecheck.JsonResultWriter is type(w)\n"
        "from carecheck import Assessor, Result, assess, explain, render_result, result_json\n"
        "from carecheck import AnswersError, CarecheckError, DefinitionError, UsageError, Format\n"
    )
    process = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert process.returncode == 0, process.stderr
