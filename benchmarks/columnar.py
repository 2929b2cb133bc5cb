"""Records a second on each path to carecheck's scoring: JSON lines, Parquet, the columnar API, and a Dask cluster.

    python benchmarks/columnar.py [--records 100000] [--repeats 3] [--memory] [--memory-only]

Every path scores the same seeded random records (one in ten spoiled, so errors are written in place too):
`carecheck batch` on JSON lines and on Parquet, each with one process and with --jobs 2, as fresh processes (their
start-up included); `assess_table` in this process on the Parquet file (reading it included); and a Dask
LocalCluster of two worker processes over the same records as a data set of four Parquet files (started before the
clock runs: a cluster is started once and kept). Medians of the repeats, wall clock, and for the commands also CPU
seconds, which a busy machine does not inflate. With --memory it compares the peak memory of `carecheck batch` on a
Parquet file of 1,000,000 rows with one of 20,000 (the bar: within 10%).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
PEAK = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def write_answers(folder: Path, count: int) -> tuple[Path, Path, list[Path]]:
    """The records as JSON lines, as one Parquet file, and as a data set of four Parquet files."""
    import pyarrow.parquet as pq

    from carecheck import load_assessor
    from test_columnar import as_table, mixed_records

    assessor = load_assessor()
    records = mixed_records(assessor, count, seed=41)
    jsonl, parquet = folder / "answers.jsonl", folder / "answers.parquet"
    with jsonl.open("w", encoding="utf-8") as stream:
        for record in records:
            stream.write(json.dumps(record) + "\n")
    table = as_table(assessor, records)
    pq.write_table(table, parquet, row_group_size=65536)
    quarter = -(-count // 4)
    parts = [folder / f"part-{n}.parquet" for n in range(4)]
    for n, path in enumerate(parts):
        pq.write_table(table.slice(n * quarter, quarter), path)
    return jsonl, parquet, parts


def run_command(command: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user and system) of one run of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def in_process(function: Callable[[], object]) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory", action="store_true", help="also peak memory: 1,000,000 Parquet rows vs 20,000")
    parser.add_argument("--memory-only", action="store_true", help="only the peak memory, not the speed")
    args = parser.parse_args()
    compileall.compile_dir(ROOT / "src", quiet=1)
    carecheck = [sys.executable, "-m", "carecheck", "batch"]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        jsonl, parquet, parts = write_answers(folder, args.records)
        if args.memory_only:
            _memory(folder, carecheck)
            return
        out = str(folder / "results.parquet")
        paths: dict[str, Callable[[], tuple[float, float]]] = {
            "batch JSONL -> JSON, 1 process": lambda: run_command([*carecheck, str(jsonl)]),
            "batch JSONL -> JSON, --jobs 2": lambda: run_command([*carecheck, str(jsonl), "--jobs", "2"]),
            "batch Parquet -> Parquet, 1 process": lambda: run_command(
                [*carecheck, str(parquet), "-f", "parquet", "-o", out]
            ),
            "batch Parquet -> Parquet, --jobs 2": lambda: run_command(
                [*carecheck, str(parquet), "-f", "parquet", "-o", out, "--jobs", "2"]
            ),
            "assess_table, in process": lambda: in_process(lambda: _score_file(parquet)),
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in paths}
        dask = _DaskRun(parts)
        times["Dask LocalCluster, 2 workers"] = []
        try:
            for _ in range(args.repeats):
                for path, run in paths.items():
                    times[path].append(run())
                times["Dask LocalCluster, 2 workers"].append((dask.run(), float("nan")))
        finally:
            dask.close()
        print(f"{args.records:,} records ({os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}):")
        print(f"{'path':40s} {'records/s':>10s} {'per CPU-second':>15s}")
        rate: dict[str, float] = {}
        for path, values in times.items():
            wall = statistics.median(value[0] for value in values)
            cpu = statistics.median(value[1] for value in values)
            rate[path] = args.records / wall
            per_cpu = "" if cpu != cpu else f"{args.records / cpu:15,.0f}"
            print(f"{path:40s} {rate[path]:10,.0f} {per_cpu}")
        columnar, lines = rate["batch Parquet -> Parquet, 1 process"], rate["batch JSONL -> JSON, 1 process"]
        print(f"columnar path / JSONL path (one process): {columnar / lines:.2f}x")
        if args.memory:
            _memory(folder, carecheck)


def _score_file(path: Path) -> None:
    import pyarrow.parquet as pq

    from carecheck.data.columnar import assess_table

    assess_table(pq.read_table(path))


class _DaskRun:
    """A two-worker cluster, started once; each run scores every part and gathers the results here."""

    def __init__(self, parts: list[Path]) -> None:
        import distributed

        self.parts = [str(path) for path in parts]
        self.cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        )
        self.client = distributed.Client(self.cluster)
        self.run()  # warm: each worker imports carecheck and compiles the definitions once, as a long job would

    def run(self) -> float:
        import pyarrow.parquet as pq

        from carecheck.data.columnar import assess_table

        started = time.perf_counter()
        tables = self.client.map(pq.read_table, self.parts, pure=False)
        self.client.gather(self.client.map(assess_table, tables, pure=False))
        return time.perf_counter() - started

    def close(self) -> None:
        self.client.close()
        self.cluster.close()


def _memory(folder: Path, carecheck: list[str]) -> None:
    import pyarrow.parquet as pq

    small, large = folder / "small.parquet", folder / "large.parquet"
    table = pq.read_table(folder / "answers.parquet").slice(0, 20_000)
    assert table.num_rows == 20_000, "--memory needs --records of at least 20000"
    pq.write_table(table, small)
    with pq.ParquetWriter(large, table.schema) as writer:
        for _ in range(50):
            writer.write_table(table)  # 1,000,000 rows in row groups of 20,000
    peaks = {}
    for path in (small, large):
        command = [*carecheck, str(path), "-f", "parquet", "-o", str(folder / "memory.parquet")]
        peaks[path.name] = int(
            subprocess.run([sys.executable, "-c", PEAK, *command], capture_output=True, text=True, check=True).stdout
        )
    ratio = peaks["large.parquet"] / peaks["small.parquet"]
    print(
        f"peak memory: 20,000 rows {peaks['small.parquet'] / 1024:.1f} MiB, 1,000,000 rows"
        f" {peaks['large.parquet'] / 1024:.1f} MiB: {ratio:.3f}x (bar: within 10%)"
    )


if __name__ == "__main__":
    main()
