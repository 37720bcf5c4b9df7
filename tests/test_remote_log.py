"""The event log on an object store: segments on S3 (moto's server on loopback), via fsspec.

The root is a URL (`s3://bucket/prefix`); the S3 endpoint comes from the environment
(`AWS_ENDPOINT_URL`), as it would on an Airflow worker. The server (the `s3` fixture in conftest.py)
is started by the test on 127.0.0.1 with an ephemeral port and stopped afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from regtrail.log import events
from regtrail.mirror import synthetic_events

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")

REPO_ROOT = Path(__file__).resolve().parent.parent


def _record(n: int, source: str = "cac_deep_synthesis") -> dict:
    return events.RecordEvent(
        source=source, record_type="filing", record_key=f"网信算备11010882348390123{n:04d}号", payload={"n": n},
        document_url="https://www.cac.gov.cn/x.htm", document_digest="sha256:ab", observed_at=events.utcnow(),
        parser="cac_docx_list", parser_version="1", published_at=date(2023, 9, 1), published_precision="day",
    ).row()


def test_segments_on_s3_are_written_once_and_read_back(s3) -> None:
    s3, root = s3
    rows = [_record(n) for n in range(5)]
    segment, written = events.write_segment(root, "records", "cac_deep_synthesis", rows + rows[:2])
    assert written == 5 and str(segment).startswith(f"{root}/events/records/source=cac_deep_synthesis/")
    assert events.write_segment(root, "records", "cac_deep_synthesis", rows) == (None, 0)
    _, more = events.write_segment(root, "records", "cac_deep_synthesis", rows + [_record(99)])
    assert more == 1

    files = events.segment_files(root, "records")
    assert len(files) == 2 and all(f.startswith(f"{root}/") and f.endswith(".parquet") for f in files)
    # nothing else under the prefix: no temporary objects
    assert s3.find(root.removeprefix("s3://")) == sorted(f.removeprefix("s3://") for f in files)
    table = events.read_events(root, "records")
    assert table.num_rows == 6 and len(set(table.column("event_id").to_pylist())) == 6
    with s3.open(files[0].removeprefix("s3://"), "rb") as handle:
        assert pq.read_schema(handle).equals(events.RECORD_SCHEMA)
    assert events.read_events(root, "fetch").num_rows == 0


def test_a_segment_written_by_another_worker_is_seen(s3) -> None:
    """Deduplication reads a fresh listing: another process's segment counts at once."""
    _, root = s3
    events.write_segment(root, "records", "cac_deep_synthesis", [_record(1)])
    assert len(events.existing_ids(root, "records", "cac_deep_synthesis")) == 1  # the listing is now cached
    rows = json.dumps([_record(n) for n in (2, 3)], default=str)
    code = (
        "import json, sys; from datetime import date, datetime; from regtrail.log import events\n"
        "rows = json.loads(sys.argv[1])\n"
        "for r in rows: r['observed_at'] = datetime.fromisoformat(r['observed_at']); "
        "r['published_at'] = date.fromisoformat(r['published_at'])\n"
        f"print(events.write_segment({root!r}, 'records', 'cac_deep_synthesis', rows)[1])\n"
    )
    worker = subprocess.run([sys.executable, "-c", code, rows], cwd=REPO_ROOT, env=dict(os.environ),
                            capture_output=True, text=True, timeout=120)
    assert worker.returncode == 0 and worker.stdout.strip() == "2", worker.stderr[-2000:]
    assert events.write_segment(root, "records", "cac_deep_synthesis", [_record(n) for n in (1, 2, 3)]) == (None, 0)
    assert events.read_events(root, "records").num_rows == 3


def test_synthetic_log_on_s3_matches_the_local_one(s3, tmp_path: Path) -> None:
    s3, root = s3
    synthetic_events.write_log(tmp_path / "local", 1500)
    synthetic_events.write_log(root, 1500)
    local = events.read_events(tmp_path / "local", "records").sort_by("event_id")
    remote = events.read_events(root, "records").sort_by("event_id")
    assert remote.num_rows == local.num_rows > 1500
    assert remote.column("event_id").equals(local.column("event_id"))
    assert remote.column("payload").equals(local.column("payload"))
    assert s3.exists(f"{root.removeprefix('s3://')}/synthetic.json")


def test_duckdb_reads_the_segments_through_fsspec(s3) -> None:
    """No httpfs extension is needed: DuckDB reads s3:// through the registered fsspec filesystem."""
    s3, root = s3
    events.write_segment(root, "records", "cac_deep_synthesis", [_record(n) for n in range(4)])
    events.write_segment(root, "records", "cac_algo_recommendation", [_record(7, "cac_algo_recommendation")])
    with duckdb.connect() as con:
        con.register_filesystem(s3)
        counts = con.execute(
            f"select source, count(*) from read_parquet('{root}/events/records/**/*.parquet', "
            "union_by_name = true, hive_partitioning = false) group by source order by source"
        ).fetchall()
    assert counts == [("cac_algo_recommendation", 1), ("cac_deep_synthesis", 4)]


# The models that read the event log (the staging models over its three sources) and a table over each: every
# other model reads only these, inside DuckDB, wherever the log lives. dbt's data tests are not what is compared.
READS_THE_LOG = ("--select", "+stg_regtrail__record_events", "+fct_list_batches", "+fct_fetch_failures",
                 "+fct_quarantined_segments",
                 "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")

LOG_VIEWS = ("stg_regtrail__fetch_events", "stg_regtrail__log_events")


@pytest.mark.dbt
def test_dbt_builds_the_same_warehouse_from_the_s3_log(s3, tmp_path: Path) -> None:
    """dbt-duckdb registers the fsspec filesystem (profile `filesystems:`): the build reads s3:// directly, and the
    models reading the log (what differs between the two) hold the same rows as when it reads a local log."""
    from tests.support.warehouse import snapshot

    fs, root = s3
    synthetic_events.write_log(root, 2500)
    synthetic_events.write_log(tmp_path / "local", 2500)
    profile = (REPO_ROOT / "dbt_project" / "profiles.yml").read_text(encoding="utf-8")
    assert "      settings:\n" in profile
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    with_s3 = profile.replace("      settings:\n", "      filesystems:\n        - fs: s3\n      settings:\n", 1)
    (profiles / "profiles.yml").write_text(with_s3, encoding="utf-8")
    builds = {}
    for name, home in (("s3", root), ("local", str(tmp_path / "local"))):
        build_file = tmp_path / name / "build.duckdb"
        env = dict(os.environ, REGTRAIL_HOME=home, REGTRAIL_LOG=home, REGTRAIL_BUILD_DB=str(build_file),
                   DBT_SEND_ANONYMOUS_USAGE_STATS="false")
        command = [str(Path(sys.executable).with_name("dbt")), "build", "--project-dir", "dbt_project",
                   "--profiles-dir", str(profiles), "--target-path", str(tmp_path / name / "target"),
                   "--log-path", str(tmp_path / name / "logs"), *READS_THE_LOG]
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-4000:]
        builds[name] = snapshot(build_file)
        with duckdb.connect(str(build_file), read_only=True) as con:  # the staging views read the log when queried
            con.register_filesystem(fs)
            for view in LOG_VIEWS:
                builds[name][view] = sorted(con.execute(f"select * from staging.{view}").fetchall(), key=repr)
    assert len(builds["s3"]["stg_regtrail__record_events"]) > 2500 and builds["s3"]["stg_regtrail__fetch_events"]
    assert builds["s3"]["fct_list_batches"], "the batches, and what was fetched of each"
    assert {"fct_fetch_failures", "fct_quarantined_segments"} <= set(builds["s3"])
    assert builds["s3"] == builds["local"]
