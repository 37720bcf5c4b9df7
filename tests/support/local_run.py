"""The marts a local run of the crawl DAG publishes from the bundled mirror, made once per test session.

tests/test_pipeline.py makes them (`airflow dags test` of the crawl DAG, then of the warehouse DAG) and records
them here; tests/test_celery.py compares the CeleryExecutor's run with them. Whoever needs them first holds the
lock while making them, so a reader waits for a run under way; a reader that finds none (test_celery alone)
makes them itself: the crawl DAG's sources crawled and built in its process.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import duckdb
from filelock import FileLock

from tests.support.warehouse import session_root

MARTS = ["fct_filings", "fct_timeline_events", "dim_entities", "fct_list_batches"]
Marts = dict[str, list[tuple]]


def marts(warehouse: Path) -> Marts:
    """Every mart's rows, without the columns that hold when the crawl ran (timestamps with a zone)."""
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for mart in MARTS:
            columns = [c for c, t in con.execute(
                "select column_name, data_type from information_schema.columns where table_name = ? "
                "order by ordinal_position", [mart]).fetchall() if t != "TIMESTAMP WITH TIME ZONE"]
            out[mart] = con.execute(f"select {', '.join(columns)} from {mart} order by all").fetchall()
    return out


class LocalRun:
    """The session's record of one local run's marts (`base`: a worker's `tmp_path_factory.getbasetemp()`)."""

    def __init__(self, base: Path) -> None:
        root = session_root(base)
        self.file = root / "local-run-marts.pickle"
        self.lock = FileLock(root / "local-run-marts.lock")

    def record(self, warehouse: Path) -> None:
        """Record the marts of `warehouse`, the published warehouse of a local run (call it holding `lock`)."""
        temporary = self.file.with_suffix(".tmp")
        temporary.write_bytes(pickle.dumps(marts(warehouse)))
        temporary.replace(self.file)

    def marts(self, make: Callable[[], Path]) -> Marts:
        """The recorded marts; when there are none, those of the warehouse `make()` publishes, recorded."""
        with self.lock:
            if not self.file.exists():
                self.record(make())
            return pickle.loads(self.file.read_bytes())  # noqa: S301 (written by this session)
