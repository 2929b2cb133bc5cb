"""Time from starting `carecheck assess` in a pseudo-terminal to its first screen, in both interview modes.

    python benchmarks/interview_startup.py [--repeats 7]

Plain (`--plain`): until the first question ("How old are you") is on screen. Full screen: until the welcome
("Welcome to carecheck"), the first screen a person sees there. Each run is a fresh process; medians are printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import pexpect


def seconds_to(args: list[str], shown: str, env: dict[str, str]) -> float:
    began = time.perf_counter()
    command = ["-m", "carecheck", "assess", *args]
    child = pexpect.spawn(sys.executable, command, env=env, encoding="utf-8", timeout=30, dimensions=(40, 100))
    child.expect(shown)
    took = time.perf_counter() - began
    child.terminate(force=True)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    repeats = parser.parse_args().repeats
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "XDG_DATA_HOME": data, "TERM": "xterm-256color"}
        for mode, args, shown in (("plain", ["--plain"], "How old are you"), ("full screen", [], "Welcome to")):
            times = [seconds_to(args, shown, env) for _ in range(repeats)]
            print(f"{mode}: median {statistics.median(times):.3f} s, fastest {min(times):.3f} s ({repeats} runs)")


if __name__ == "__main__":
    main()
