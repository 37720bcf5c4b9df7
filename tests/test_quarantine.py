"""An unreadable event segment (truncated, dropped in or damaged in place) is moved to the quarantine with a
log event naming it; crawl, replay and the build go on without it; replay restores the record events it held
and, for a fetch segment, the accepted fetches whose bodies are archived, so the marts equal a clean log's;
`fct_quarantined_segments` reports each one and what became of it.

The build, DAG and replay story runs on one home, with one dbt build where a step needs one (a build is what
costs here): an Airflow run of `regtrail_warehouse` over a dropped-in file (it builds from exactly the clean log's
events: the reference marts), a build after a fetch segment is lost, and the build after replay."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from regtrail.analyst.db import records
from regtrail.build import dbt_run, warehouse
from regtrail.crawl import recovery, runner
from regtrail.fetch.transport import latest_accepted
from regtrail.log import events, quarantine
from regtrail.mirror.site import Site, build_site
from tests.support import airflow
from tests.support.fault_server import FaultServer
from tests.support.warehouse import snapshot, with_saved_parse

pytestmark = pytest.mark.dbt
SOURCE = "cac_deep_synthesis"


@pytest.fixture(scope="module")
def site(shared: Path) -> Site:
    return build_site(shared.parent)


@pytest.fixture(scope="module")
def clean(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("clean") / "home"
    with FaultServer(site) as server, pytest.MonkeyPatch.context() as patch:
        patch.setenv("REGTRAIL_MIRROR", server.origin)
        patch.setenv("REGTRAIL_FLUSH_SECONDS", "0")  # one segment per document
        runner.crawl([SOURCE], run_key="clean", root=home)
    return home


def drop_truncated(home: Path, kind: str) -> Path:
    """Drop a truncated copy (the first half) of the biggest segment of `kind` beside it; its path."""
    folder = home / "events" / kind / f"source={SOURCE}"
    biggest = max(folder.glob("*.parquet"), key=lambda p: p.stat().st_size)
    dropped = folder / "20991231T000000000000-truncated.parquet"
    dropped.write_bytes(biggest.read_bytes()[: biggest.stat().st_size // 2])
    return dropped


def damage(home: Path, kind: str) -> tuple[Path, Path]:
    """Drop a truncated copy of a segment beside it and cut another segment in place; both paths."""
    segments = sorted((home / "events" / kind / f"source={SOURCE}").glob("*.parquet"), key=lambda p: p.stat().st_size)
    assert len(segments) >= 2
    dropped = drop_truncated(home, kind)
    cut = segments[-2]
    cut.write_bytes(cut.read_bytes()[:-100])
    return dropped, cut


def copy(clean: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(clean, home)
    return home


REPORT = "fct_quarantined_segments"
# The marts and seeds without dbt's data and unit tests: these builds are compared, never published; the
# DAG run below runs the whole `dbt build`, data tests included, over a log with quarantined segments.
MODELS_ONLY = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")


def build(home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[tuple]]:
    """The marts after a full build (staging keeps each event's run_key), without the quarantine report.

    `prepare_build` (which quarantines unreadable segments before dbt reads the folders), then dbt as
    `regtrail build` runs it (same profile, target and log folders under the home: later runs parse partially).
    """
    monkeypatch.setenv("REGTRAIL_HOME", str(home))
    monkeypatch.delenv("REGTRAIL_BUILD_DB", raising=False)
    path = warehouse.prepare_build(home, full_refresh=True)
    argv, env, cwd = dbt_run.command(["build", *MODELS_ONLY], with_saved_parse(home), home / "dbt", path)
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:]
    return {name: rows for name, rows in snapshot(path).items() if name.startswith(("fct_", "dim_")) and name != REPORT}


def report(home_or_warehouse: Path) -> list[dict]:
    """fct_quarantined_segments of the last build of a home (or of a warehouse file), oldest first."""
    path = home_or_warehouse if home_or_warehouse.is_file() else warehouse.build_path(home_or_warehouse)
    with duckdb.connect(str(path), read_only=True) as con:
        return records(con, f"select * from {REPORT} order by quarantined_at, segment")


def run_warehouse_dag(home: Path, base: Path) -> None:
    """`airflow dags test regtrail_warehouse` on `home` (its Airflow metadata ready); the run must succeed."""
    airflow.run(airflow.environ(with_saved_parse(home), base), "dags", "test", "regtrail_warehouse", "2026-01-01")
    with sqlite3.connect(home / "airflow" / "airflow.db") as meta:
        assert meta.execute("select state from dag_run where dag_id = 'regtrail_warehouse'").fetchall() == [
            ("success",)]


def relative(home: Path, path: Path) -> str:
    return str(path.relative_to(home))


def event_ids(home: Path, kind: str) -> set[str]:
    return set(events.read_events(home, kind, SOURCE, columns=["event_id"]).column("event_id").to_pylist())


@pytest.mark.slow
def test_builds_and_a_dag_run_go_on_without_unreadable_segments_and_replay_restores_what_they_held(
        clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """1. A truncated records segment dropped in: the next `regtrail_warehouse` DAG run (Airflow end to end)
    succeeds, builds from exactly the clean log's events (so its marts are the clean log's: the reference
    below) and the published report names the file. 2. A fetch segment cut short: the next build equals the
    reference (the records hold every fact). 3. A records segment cut in place: the next build quarantines it and
    the log lacks its records. 4. Replay, without fetching, restores the record events and the accepted fetches
    whose bodies are archived: the marts equal the reference again, the report says what became of each
    segment, and a second replay has nothing left to do."""
    home = copy(clean, tmp_path)
    clean_records, clean_fetches = event_ids(home, "records"), event_ids(home, "fetch")

    # 1. the DAG run over a dropped-in copy: the reference marts
    dropped = drop_truncated(home, "records")
    sizes = {relative(home, dropped): dropped.stat().st_size}
    run_warehouse_dag(home, tmp_path_factory.getbasetemp())
    published = home / "warehouse.duckdb"
    assert event_ids(home, "records") == clean_records and event_ids(home, "fetch") == clean_fetches
    with duckdb.connect(str(published), read_only=True) as con:
        staged = [i for (i,) in con.execute("select event_id from staging.stg_regtrail__record_events").fetchall()]
    assert len(staged) == len(clean_records) and set(staged) == clean_records, "built from the clean log's records"
    published_marts = snapshot(published)  # the dbt marts, and those publish adds (fct_publication*)
    [row] = report(published)
    assert (row["segment"], row["status"], row["size_bytes"]) == (
        relative(home, dropped), "awaiting_replay", sizes[relative(home, dropped)])
    assert row["quarantined_by"].startswith("build:") and "magic bytes" in row["problem"]
    assert (home / row["quarantined_to"]).exists() and not dropped.exists()

    # 2. a fetch segment whose documents are archived, cut short
    fetch_segment = max((home / "events" / "fetch" / f"source={SOURCE}").glob("*.parquet"),
                        key=lambda p: p.stat().st_size)
    held = pq.read_table(fetch_segment).to_pylist()
    accepted = {(r["url"], r["archive_path"]) for r in held if r["ok"] and r["archive_path"]}
    assert accepted, "the segment held accepted fetches"
    servable = set(latest_accepted(home, SOURCE))  # what replay (a newer parser, say) can re-read
    fetch_segment.write_bytes(fetch_segment.read_bytes()[: fetch_segment.stat().st_size // 3])
    sizes[relative(home, fetch_segment)] = fetch_segment.stat().st_size
    without_fetches = build(home, monkeypatch)
    expected = {name: published_marts[name] for name in without_fetches}
    assert without_fetches["fct_filings"] and without_fetches == expected, "the records still hold every fact"
    rows = {row["event_kind"]: row for row in report(home)}
    assert len(rows) == 2 and (rows["fetch"]["segment"], rows["fetch"]["status"], rows["fetch"]["declared_rows"]) == (
        relative(home, fetch_segment), "awaiting_replay", None)
    assert not set(latest_accepted(home, SOURCE)) >= {url for url, _ in accepted}, "replay lost documents"

    # 3. a records segment cut in place: the next build moves it aside before dbt reads the folders
    cut = sorted((home / "events" / "records" / f"source={SOURCE}").glob("*.parquet"),
                 key=lambda p: p.stat().st_size)[-2]
    cut.write_bytes(cut.read_bytes()[:-100])
    sizes[relative(home, cut)] = cut.stat().st_size
    warehouse.prepare_build(home, full_refresh=True)
    assert not cut.exists() and (home / quarantine.QUARANTINE / cut.relative_to(home)).exists()
    notes = quarantine.quarantined(home)
    assert {n["segment"]: n["size_bytes"] for n in notes} == sizes and len(notes) == 3
    assert all(n["problem"] and n["run_key"].startswith("build:") for n in notes)
    assert {n["segment"]: n["kind"] for n in notes} == {
        relative(home, dropped): "records", relative(home, fetch_segment): "fetch", relative(home, cut): "records"}
    assert event_ids(home, "records") < clean_records, "the damaged segment held records the log now lacks"

    # 4. replay restores the records and recovers the archived fetches, without fetching
    monkeypatch.setenv("REGTRAIL_MIRROR", "http://127.0.0.1:9")  # nothing listens: replay must not fetch
    stats = runner.replay([SOURCE], root=home)[SOURCE]
    assert stats["new_record_events"] > 0 and stats["requests"] == 0 and stats["recovered_fetch_events"] > 0
    assert f"{stats['recovered_fetch_events']} fetch event(s) of quarantined segments recovered" in runner.outcome(
        "replay", {SOURCE: stats})[1]
    assert event_ids(home, "records") == clean_records
    fetches = events.read_events(home, "fetch", SOURCE).to_pylist()
    recovered = [r for r in fetches if r["run_key"] == f"recovered:{rows['fetch']['quarantine_event_id']}"]
    assert len(recovered) == stats["recovered_fetch_events"]
    assert accepted <= {(r["url"], r["archive_path"]) for r in recovered if r["ok"]}
    assert {r["purpose"] for r in recovered} <= {recovery.RECOVERED_PURPOSE, "robots"}
    assert set(latest_accepted(home, SOURCE)) == servable, "replay serves every document again"

    assert build(home, monkeypatch) == expected
    reported = report(home)
    assert sorted((r["segment"], r["size_bytes"]) for r in reported) == sorted(sizes.items())
    for row in reported:
        if row["event_kind"] == "records":
            assert (row["status"], row["record_events_appended"]) == ("restored", stats["new_record_events"])
        else:
            assert (row["status"], row["fetch_events_recovered"]) == ("archived_fetches_recovered", len(recovered))
    again = runner.replay([SOURCE], root=home)[SOURCE]
    assert again["recovered_fetch_events"] == 0 and again["new_record_events"] == 0
    assert quarantine.awaiting_replay(home, SOURCE) == []


def test_crawl_goes_on_and_reports_the_quarantined_segments(
        site: Site, clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = copy(clean, tmp_path)
    damage(home, "records")
    (home / "events" / "fetch" / f"source={SOURCE}" / "20991231T000000000001-empty.parquet").write_bytes(b"")
    with FaultServer(site) as server:
        monkeypatch.setenv("REGTRAIL_MIRROR", server.origin)
        stats = runner.crawl([SOURCE], run_key="after-damage", root=home)[SOURCE]
    assert stats["quarantined_segments"] == 3 and stats["failed_urls"] == 0
    code, line = runner.outcome("crawl", {SOURCE: stats})
    assert "3 unreadable segment(s) moved to the quarantine" in line
    assert len(quarantine.quarantined(home)) == 3
    assert {n["run_key"] for n in quarantine.quarantined(home)} == {"after-damage"}


def test_a_segment_damaged_inside_is_caught_when_read(clean: Path, tmp_path: Path) -> None:
    """Footer intact, a data page broken: the read that fails quarantines it and reads the rest."""
    home = copy(clean, tmp_path)
    folder = home / "events" / "records" / f"source={SOURCE}"
    target = max(folder.glob("*.parquet"), key=lambda p: p.stat().st_size)
    data = bytearray(target.read_bytes())
    for i in range(200, 4200):
        data[i] ^= 0xFF
    target.write_bytes(bytes(data))
    assert quarantine.segment_problem(target, "records") is None, "the cheap check sees a good footer"
    table = events.read_events(home, "records", SOURCE)
    assert table.num_rows > 0 and not target.exists()
    [note] = quarantine.quarantined(home)
    assert note["segment"] == str(target.relative_to(home)) and note["declared_rows"] > 0
