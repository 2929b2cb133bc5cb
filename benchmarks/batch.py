"""Throughput and memory of `carecheck batch` against a floor, measured in one run.

    python benchmarks/batch.py [--records 30000] [--repeats 5] [--memory]

The floor is the same Python reading the same JSONL with json.loads and writing one small JSON object per line.
Both run as fresh processes on the same file, interleaved, and the medians are compared (the bar: at most 5x).
With --memory it also compares the peak memory of a batch of 200,000 records with one of 2,000 (the bar: within 10%).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = """
import json, sys
out = sys.stdout
for line in open(sys.argv[1], encoding="utf-8"):
    record = json.loads(line)
    out.write(json.dumps({"id": record.get("id"), "level": "outpatient"}) + "\\n")
"""
PEAK = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def write_records(path: Path, count: int, seed: int = 7) -> None:
    from carecheck import load_assessor
    from carecheck.core.sampling import random_answers

    assessor = load_assessor()
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as stream:
        for n in range(count):
            stream.write(json.dumps(random_answers(assessor, rng, f"r{n}")) + "\n")


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=False, env=env)
    return time.perf_counter() - started


def peak_kib(command: list[str], env: dict[str, str]) -> int:
    out = subprocess.run([sys.executable, "-c", PEAK, *command], capture_output=True, text=True, env=env, check=True)
    return int(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--memory", action="store_true", help="also compare peak memory at 2,000 and 200,000")
    args = parser.parse_args()
    compileall.compile_dir(ROOT / "src", quiet=1)
    # Neither side should run unbuffered or recompile its byte-code on every start, whatever this shell says.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")}
    carecheck = [sys.executable, "-m", "carecheck", "batch"]
    with tempfile.TemporaryDirectory() as folder:
        records = Path(folder) / "records.jsonl"
        write_records(records, args.records)
        batch = [*carecheck, str(records), "--jobs", str(args.jobs)]
        floor = [sys.executable, "-c", FLOOR, str(records)]
        timed(batch, env)  # warm the definitions cache and the file cache
        ours, theirs = [], []
        for _ in range(args.repeats):
            ours.append(timed(batch, env))
            theirs.append(timed(floor, env))
        mine, base = statistics.median(ours), statistics.median(theirs)
        print(f"records:           {args.records:,} (jobs {args.jobs})")
        print(f"carecheck batch:   {mine:.2f} s  ({args.records / mine:,.0f} records/s, median of {args.repeats})")
        print(f"floor (json only): {base:.2f} s  ({args.records / base:,.0f} records/s)")
        print(f"ratio:             {mine / base:.2f}x (bar 5x)")
        if args.memory:
            small, large = Path(folder) / "small.jsonl", Path(folder) / "large.jsonl"
            write_records(small, 2_000)
            write_records(large, 200_000)
            small_peak = peak_kib([*carecheck, str(small)], env)
            large_peak = peak_kib([*carecheck, str(large)], env)
            print(
                f"peak memory:       {small_peak / 1024:.1f} MiB at 2,000 records, {large_peak / 1024:.1f} MiB at "
                f"200,000 ({(large_peak / small_peak - 1) * 100:+.1f}%; bar within 10%)"
            )


if __name__ == "__main__":
    main()
