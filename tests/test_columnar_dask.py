"""A real scale-out: the columnar API on a Dask cluster of two worker processes gives what `carecheck batch` gives."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from carecheck import Assessor
from carecheck.data.columnar import assess_table
from conftest import run_carecheck
from test_columnar import as_table, expected_row, mixed_records

PARTS = 4
RECORDS = 2000


@pytest.mark.slow
def test_a_partitioned_data_set_scored_on_a_two_worker_cluster_equals_batch_row_for_row(
    assessor: Assessor, tmp_path: Path
) -> None:
    import distributed  # here, not at the top: it takes a second to import, and only this test needs it

    records = mixed_records(assessor, RECORDS, seed=31)
    data_set = tmp_path / "answers"
    data_set.mkdir()
    size = RECORDS // PARTS
    parts = [data_set / f"part-{n}.parquet" for n in range(PARTS)]
    for n, path in enumerate(parts):
        pq.write_table(as_table(assessor, records[n * size : (n + 1) * size]), path, row_group_size=size // 2)
    jsonl = tmp_path / "answers.jsonl"
    jsonl.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # Each worker reads its partitions and scores them; the definitions are compiled once in each worker.
        tables = client.map(pq.read_table, [str(path) for path in parts])
        scored = client.map(assess_table, tables)
        results = client.gather(scored)
        assert len(client.scheduler_info()["workers"]) == 2

    table = pa.concat_tables(results)
    batch = run_carecheck("batch", str(jsonl), expect_exit=1)
    expected = [expected_row(assessor, json.loads(line)) for line in batch.stdout.splitlines()]
    assert table.num_rows == RECORDS
    assert table.to_pylist() == expected
    assert 0 < table.column("error").null_count < RECORDS
