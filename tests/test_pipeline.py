"""End to end: `airflow dags test` of the real DAG against the bundled mirror, then the warehouse.

Expectations are computed independently from the real CSV conversions in ../shared/cac_data/csv,
not from the pipeline's own output.
"""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from regtrail import settings
from regtrail.log import events
from regtrail.mirror.server import start_mirror
from regtrail.mirror.site import Site, build_site
from tests.support import airflow
from tests.support.local_run import MARTS, LocalRun
from tests.support.mirror import expected_lists
from tests.support.warehouse import with_saved_parse

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
CRAWL_DAG = "regtrail_crawl_daily"


@dataclass
class Pipeline:
    home: Path
    env: dict[str, str]
    site: Site
    first_build: subprocess.CompletedProcess | None = None

    def airflow(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        out = subprocess.run([str(BIN / "airflow"), *args], env={**self.env, **(env or {})}, cwd=settings.REPO_ROOT,
                             capture_output=True, text=True, timeout=1200)
        assert out.returncode == 0, (out.stdout[-4000:], out.stderr[-4000:])
        return out

    def dag_test(self, dag_id: str, logical_date: str, **env: str) -> subprocess.CompletedProcess:
        return self.airflow("dags", "test", dag_id, logical_date, env=env)

    def crawl(self, logical_date: str) -> subprocess.CompletedProcess:
        return self.dag_test(CRAWL_DAG, logical_date)

    def event_log_updates(self) -> int:
        """Asset events of the event log so far (one per crawl run that appended record events)."""
        with sqlite3.connect(self.home / "airflow" / "airflow.db") as meta:
            return meta.execute("select count(*) from asset_event e join asset a on a.id = e.asset_id "
                                "where a.name = 'regtrail-event-log'").fetchone()[0]

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(sql).fetchall()

    def marts(self) -> dict[str, list[tuple]]:
        return {m: self.query(f"select * from {m} order by all") for m in MARTS}

    def event_counts(self) -> tuple[int, int]:
        return events.read_events(self.home, "fetch").num_rows, events.read_events(self.home, "records").num_rows


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[Pipeline]:
    home = with_saved_parse(tmp_path_factory.mktemp("pipeline"))
    site = build_site(shared.parent)
    local = LocalRun(tmp_path_factory.getbasetemp())
    with start_mirror(site) as mirror:
        env = {**airflow.environ(home, tmp_path_factory.getbasetemp()), "REGTRAIL_MIRROR": mirror.origin}
        run = Pipeline(home, env, site)
        with local.lock:  # tests/test_celery.py compares its run with this one's marts: it waits for them
            run.crawl("2026-01-01")
            assert run.event_log_updates() == 1, "the first crawl appended records: one event-log update"
            run.first_build = run.dag_test("regtrail_warehouse", "2026-01-01")  # one `dbt build` task (the default)
            local.record(home / "warehouse.duckdb")
        yield run


def _csv_rows(shared: Path) -> list[dict[str, str]]:
    rows = []
    for path in sorted((shared / "csv").glob("*.csv")):
        with open(path, encoding="utf-8") as handle:
            rows += list(csv.DictReader(handle))
    return rows


def test_every_real_list_is_in_the_warehouse_and_reconciles(pipeline: Pipeline, shared: Path) -> None:
    rows = _csv_rows(shared)
    per_list: dict[tuple[str, str], int] = {}
    for row in rows:
        per_list[(row["list_type"], row["batch_label"])] = per_list.get((row["list_type"], row["batch_label"]), 0) + 1
    batches = {(t, b): (n, e, ok) for t, b, n, e, ok in pipeline.query(
        "select list_type, batch_label, parsed_rows, expected_count, reconciled from fct_list_batches "
        "where status = 'parsed'")}
    assert {k: v[0] for k, v in batches.items()} == per_list
    assert all(ok for _, _, ok in batches.values())
    assert all(n == e for n, e, _ in batches.values() if e is not None)

    filings = pipeline.query("select count(*), count(distinct filing_number) from fct_filings"
                             " where known_from = 'list'")[0]
    assert filings[0] == filings[1] == len({r["备案编号"] for r in rows})
    # the rest are known only from a cancellation notice: named by a notice, in no list served
    notice_only = {c.filing_number for n in pipeline.site.cancellation_notices for c in n.rows} - {
        r["备案编号"] for r in rows}
    assert {n for (n,) in pipeline.query("select filing_number from fct_filings where known_from <> 'list'")} == (
        notice_only)
    listed = pipeline.query("select count(*) from fct_timeline_events where event_type = 'filing_listed'")[0][0]
    assert listed == len({(r["备案编号"], r["list_type"], r["batch_label"]) for r in rows})
    cancelled = {r["备案编号"] for r in rows if "已注销" in r["备注"]}
    cancelled |= {c.filing_number for notice in pipeline.site.cancellation_notices for c in notice.rows}
    status = dict(pipeline.query("select filing_number, status from fct_filings where status = 'cancelled'"))
    assert set(status) == cancelled


def test_recurring_filing_numbers_keep_their_first_listing(pipeline: Pipeline, shared: Path) -> None:
    rows = _csv_rows(shared)
    first_deep = ("deep_synthesis", "2023年6月")
    deep_2023_06 = {r["备案编号"] for r in rows if (r["list_type"], r["batch_label"]) == first_deep}
    earlier = {r["备案编号"] for r in rows if r["list_type"] == "algo_recommendation"}
    recurring = deep_2023_06 & earlier
    assert len(recurring) >= 10, "the real lists repeat 2022 algorithm filings in the 2023-06 list"
    found = pipeline.query(
        "select filing_number, first_list_id, lists_count from fct_filings "
        "where filing_number in (select filing_number from fct_timeline_events "
        "                        where list_id = 'deep_synthesis:2023年6月') and lists_count > 1"
    )
    assert {f for f, _, _ in found} == recurring
    assert all(first.startswith("algo_recommendation:2022") for _, first, _ in found)
    per_filing = pipeline.query(
        "select filing_number, count(*) from fct_timeline_events where event_type = 'filing_listed' "
        "group by all having count(*) > 1"
    )
    assert {f for f, _ in per_filing} >= recurring


def test_missing_attachments_are_recorded_failures(pipeline: Pipeline, shared: Path) -> None:
    failures = pipeline.query("select error_kind, count(*) from fct_fetch_failures group by all")
    available = {p.stem for p in (shared / "original_docx").glob("*.docx")}
    announced = pipeline.query("select list_type, batch_label, status, failure_kind from fct_list_batches")
    missing = [(t, b, s, k) for t, b, s, k in announced if s != "parsed"]
    expected = {**{("deep_synthesis", k): v for k, v in expected_lists("deep_synthesis").items()},
                **{("algo_recommendation", k): v for k, v in expected_lists("algo_recommendation").items()}}
    assert {(t, b) for t, b, _, _ in announced} == set(expected)  # every list the configs and ../shared name
    assert len(missing) == len(expected) - len(available) == sum(1 for v in expected.values() if not v)
    assert failures == [("http_status", len(missing))]
    assert {k for _, _, _, k in missing} == {"http_status"}


def test_changes_are_dated_by_the_regulator_never_by_the_crawl(pipeline: Pipeline) -> None:
    """A change or 已注销 first shown by a list is dated by that list's publication (or the 备注 month),
    no earlier than the previous list showing the filing; none is dated after the latest list."""
    assert pipeline.query("select count(*) from fct_timeline_events where date_basis = 'observed' and "
                          "event_type in ('filing_changed', 'filing_cancelled', 'filing_listed')") == [(0,)]
    latest = pipeline.query("select max(published_at) from fct_list_batches")[0][0]
    changes = pipeline.query("""
        select e.date_basis, e.event_date, e.event_date_earliest, e.event_date_latest, b.published_at,
               v.previous_published_at, b.published_latest
        from fct_timeline_events as e
        join fct_list_batches as b using (list_id)
        join intermediate.int_filing_versions as v using (filing_number, list_id)
        where e.event_type = 'filing_changed'""")
    assert len(changes) > 100 and all(event_date <= latest for _, event_date, *_ in changes)
    published = [c for c in changes if c[0] == "published"]
    # dated by the list; a month-precise list's window runs to the month's last day
    assert published and all(c[1] == c[4] and c[3] == c[6] and c[2] == c[5] for c in published)
    assert any(c[3] > c[1] for c in published), "changes first shown by a month-only list span its month"
    remarks = [c for c in changes if c[0] == "remark"]
    assert remarks and all(c[2] == c[1] and c[1].day == 1 and c[3] >= c[1] for c in remarks)


def test_filings_and_approvals_have_a_province_from_the_code_table(pipeline: Pipeline) -> None:
    """The province is the code table's (cpca, read here from the package), by the number's first two
    digits; at least 99% of filings and approvals have one, and every one without is listed."""
    from regtrail.build.admin_codes import package_table

    table = {r["adcode"]: r["name"] for r in package_table()}
    filings = pipeline.query("select filing_number, province from fct_filings")
    expected = {n: table.get(n[4:6] + "0000") for n, _ in filings}
    assert dict(filings) == expected
    placed = sum(1 for _, province in filings if province)
    assert placed / len(filings) >= 0.99
    unresolved = pipeline.query("select region_ref, filings_count from fct_unresolved_regions "
                                "where resolution = 'unresolved' and ref_kind = 'adcode'")
    assert sum(n for _, n in unresolved) == len(filings) - placed
    approvals = pipeline.query("select count(*), count(province) from fct_timeline_events "
                               "where event_type = 'approval_announced'")[0]
    assert approvals[1] / approvals[0] >= 0.99
    missing = pipeline.query("select count(*) from fct_timeline_events where event_type = 'approval_announced' "
                             "and province is null")[0][0]
    listed = pipeline.query("select coalesce(sum(approvals_count), 0) from fct_unresolved_regions "
                            "where ref_kind = 'province_name'")[0][0]
    assert missing == listed


def test_published_warehouse_has_no_wal_and_build_file_is_gone(pipeline: Pipeline) -> None:
    assert (pipeline.home / "warehouse.duckdb").exists()
    assert not (pipeline.home / "warehouse.duckdb.wal").exists()
    assert not (pipeline.home / "build" / "warehouse.duckdb").exists()


def test_rerun_adds_no_events_and_builds_nothing(pipeline: Pipeline) -> None:
    before_counts, before_marts = pipeline.event_counts(), pipeline.marts()
    pipeline.crawl("2026-01-01")  # the same run again: not even fetch events
    assert pipeline.event_counts() == before_counts
    crawl = pipeline.crawl("2026-01-02")  # a new run over unchanged pages
    fetch, records = pipeline.event_counts()
    assert records == before_counts[1], "a new run over unchanged pages adds no record events"
    assert fetch > before_counts[0], "every HTTP attempt of a new run is on record"
    assert "no asset event, no warehouse build" in crawl.stdout + crawl.stderr
    assert pipeline.event_log_updates() == 1, "a crawl that appended no records does not update the event log"
    assert pipeline.marts() == before_marts
    # An incremental build with nothing new changes nothing: tests/test_incremental.py (dbt) and, through Airflow,
    # one Cosmos task per model from the installed package: tests/test_wheel.py.


def test_the_default_build_is_one_task_with_per_model_results_in_its_log(pipeline: Pipeline) -> None:
    first = pipeline.first_build.stdout + pipeline.first_build.stderr
    assert "task_id=dbt_build" in first and "task_id=dbt.fct_filings" not in first
    assert "model.regtrail.fct_filings" in first, "per-model results in the task log"
