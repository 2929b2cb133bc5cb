"""The built wheel carries the questionnaires and rules, and an installed carecheck works from any folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import baseline_answers, run_carecheck

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(out.glob("carecheck-*.whl"))


@pytest.mark.slow
def test_the_wheel_ships_every_definition_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [p.relative_to(ROOT).as_posix() for p in (ROOT / "questionnaires").rglob("*.yaml")]
    shipped += [p.relative_to(ROOT).as_posix() for p in (ROOT / "rules").glob("*.yaml")]
    assert shipped
    for relative in shipped:
        assert f"carecheck/{relative}" in names
    assert "carecheck/NOTICE" in names  # the instruments' own terms travel with them


def test_notice_names_each_shipped_instrument_and_its_terms_and_the_readme_points_to_it() -> None:
    notice = " ".join((ROOT / "NOTICE").read_text().split())
    assert "MIT" in notice
    for path in sorted((ROOT / "questionnaires" / "instruments").glob("*.yaml")):
        assert f"questionnaires/instruments/{path.name}" in notice or path.name in notice, path.name
    for terms in (
        "not for sale or for use in conjunction with commercial purposes",  # AUDIT, WHO's own notice
        "Centre for Addiction and Mental Health",  # DAST-10's second holder
        "non-commercial use",
        "free resource",  # ASQ: NIMH's words, no public-domain claim
        "no permission required to reproduce",  # PHQ-9, GAD-7
    ):
        assert terms in notice
    assert "government work" not in notice  # said of the ASQ before, with no source
    assert "[NOTICE](NOTICE)" in (ROOT / "README.md").read_text()


@pytest.mark.slow
def test_the_installed_package_assesses_from_an_empty_folder(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump(baseline_answers()))
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    installed = ("-c", "from carecheck.cli.app import main; main()")  # the console script's entry point
    process = run_carecheck(
        "assess", "--answers", str(answers), "--format", "json", cwd=empty, env=env, entry=installed
    )
    assert process.returncode == 0, process.stderr
    assert json.loads(process.stdout)["level"] == "outpatient"
    located = subprocess.run(
        [sys.executable, "-c", "import carecheck.load.loader as l; print(l.builtin_folder('rules'))"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert located.returncode == 0, located.stderr
    assert located.stdout.strip().startswith(str(target))
    assert list(empty.iterdir()) == []
