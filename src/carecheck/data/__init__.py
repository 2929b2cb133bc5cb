"""Carecheck on columnar data: Arrow tables and Parquet files (needs pyarrow: `carecheck[data]`)."""
