"""Start-up time of carecheck against the floors the batch issue names, measured in one run, interleaved.

    python benchmarks/startup.py [--repeats 21]

Ratios: `carecheck --version` / `python -c "import typer"` (bar 1.3), and a whole `carecheck assess --answers F
--format json` / `python -c "import typer, pydantic, yaml"` (bar 1.6). Medians of interleaved repeats, so that a
noisy machine slows both sides alike. Byte-code is compiled first: a fresh editable install has none.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    compileall.compile_dir(ROOT / "src", quiet=1)
    # Neither side should run unbuffered or recompile its byte-code on every start, whatever this shell says.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")}
    carecheck = [sys.executable, "-m", "carecheck"]
    answers = str(ROOT / "examples" / "weekend-drinker.yaml")
    commands = {
        "import typer": [sys.executable, "-c", "import typer"],
        "carecheck --version": [*carecheck, "--version"],
        "import typer, pydantic, yaml": [sys.executable, "-c", "import typer, pydantic, yaml"],
        "carecheck assess (warm cache)": [*carecheck, "assess", "--answers", answers, "--format", "json"],
        "carecheck assess (no cache)": [*carecheck, "assess", "--answers", answers, "--format", "json"],
    }
    no_cache = env | {"CARECHECK_CACHE": "off"}
    subprocess.run(commands["carecheck assess (warm cache)"], env=env, check=True, stdout=subprocess.DEVNULL)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeats):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(
                command,
                env=no_cache if "no cache" in name else env,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            times[name].append(time.perf_counter() - started)
    median = {name: statistics.median(values) for name, values in times.items()}
    for name, value in median.items():
        print(f"{name:32s} {value * 1000:7.1f} ms (median of {args.repeats})")
    print(
        f"--version / import typer:                {median['carecheck --version'] / median['import typer']:.2f}x"
        " (bar 1.3x)"
    )
    floor = median["import typer, pydantic, yaml"]
    print(
        f"assess, warm / import typer, pydantic, yaml: {median['carecheck assess (warm cache)'] / floor:.2f}x"
        " (bar 1.6x)"
    )
    print(f"assess, no cache / the same floor:        {median['carecheck assess (no cache)'] / floor:.2f}x")


if __name__ == "__main__":
    main()
