"""An unreadable event segment (truncated, dropped in or damaged in place) is moved to the quarantine with a
log event naming it; crawl, replay and the build go on without it; replay restores the record events it held
and, for a fetch segment, the accepted fetches whose bodies are archived, so the marts equal a clean log's;
`fct_quarantined_segments` reports each one and what became of it."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from regtrail import settings
from regtrail.analyst.db import records
from regtrail.build import warehouse
from regtrail.crawl import recovery, runner
from regtrail.fetch.transport import latest_accepted
from regtrail.log import events, quarantine
from regtrail.mirror.site import Site, build_site
from regtrail.ops import airflow_env
from tests.support.fault_server import FaultServer
from tests.support.warehouse import snapshot

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


def build(home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[tuple]]:
    """The marts after a full build (staging keeps each event's run_key), without the quarantine report."""
    monkeypatch.setenv("REGTRAIL_HOME", str(home))
    monkeypatch.delenv("REGTRAIL_BUILD_DB", raising=False)
    assert warehouse.dbt_build(home, full_refresh=True) == 0
    return {name: rows for name, rows in snapshot(warehouse.build_path(home)).items()
            if name.startswith(("fct_", "dim_")) and name != REPORT}


def report(home_or_warehouse: Path) -> list[dict]:
    """fct_quarantined_segments of the last build of a home (or of a warehouse file), oldest first."""
    path = home_or_warehouse if home_or_warehouse.is_file() else warehouse.build_path(home_or_warehouse)
    with duckdb.connect(str(path), read_only=True) as con:
        return records(con, f"select * from {REPORT} order by quarantined_at, segment")


@pytest.fixture(scope="module")
def expected(clean: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    """The marts of the clean log (a full build of a copy)."""
    with pytest.MonkeyPatch.context() as patch:
        return build(copy(clean, tmp_path_factory.mktemp("reference")), patch)


def test_build_and_replay_go_on_without_it_and_replay_restores_the_records(
        clean: Path, expected: dict[str, list[tuple]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = copy(clean, tmp_path)
    kept = events.read_events(home, "records", SOURCE).num_rows
    dropped, cut = damage(home, "records")

    sizes = {str(p.relative_to(home)): p.stat().st_size for p in (dropped, cut)}
    partial = build(home, monkeypatch)  # the build quarantines before dbt reads the folders
    assert not dropped.exists() and not cut.exists()
    notes = quarantine.quarantined(home)
    assert sorted(n["segment"] for n in notes) == sorted(sizes) and all(n["problem"] for n in notes)
    assert {n["segment"]: n["size_bytes"] for n in notes} == sizes
    assert all(n["kind"] == "records" and n["run_key"].startswith("build:") for n in notes)
    assert (home / quarantine.QUARANTINE / cut.relative_to(home)).exists()
    assert partial != expected, "the damaged segment held records the marts lack"
    assert events.read_events(home, "records", SOURCE).num_rows < kept
    reported = report(home)
    assert [(r["segment"], r["status"], r["size_bytes"]) for r in reported] == sorted(
        (n["segment"], "awaiting_replay", n["size_bytes"]) for n in notes)

    monkeypatch.setenv("REGTRAIL_MIRROR", "http://127.0.0.1:9")  # nothing listens: replay must not fetch
    stats = runner.replay([SOURCE], root=home)[SOURCE]
    assert stats["new_record_events"] > 0 and stats["requests"] == 0
    assert events.read_events(home, "records", SOURCE).num_rows == kept
    assert build(home, monkeypatch) == expected
    reported = report(home)
    assert {r["status"] for r in reported} == {"restored"}
    assert {r["record_events_appended"] for r in reported} == {stats["new_record_events"]}
    assert runner.replay([SOURCE], root=home)[SOURCE]["new_record_events"] == 0
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


def test_a_quarantined_fetch_segment_is_recovered_from_the_archive(
        clean: Path, expected: dict[str, list[tuple]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The accepted fetches a lost fetch segment held come back (url, body) from the archive; the marts too."""
    home = copy(clean, tmp_path)
    folder = home / "events" / "fetch" / f"source={SOURCE}"
    target = max(folder.glob("*.parquet"), key=lambda p: p.stat().st_size)
    held = pq.read_table(target).to_pylist()
    accepted = {(r["url"], r["archive_path"]) for r in held if r["ok"] and r["archive_path"]}
    assert accepted, "the segment held accepted fetches"
    servable = set(latest_accepted(home, SOURCE))  # what replay (a newer parser, say) can re-read
    target.write_bytes(target.read_bytes()[: target.stat().st_size // 3])

    assert build(home, monkeypatch) == expected, "the records still hold every fact"
    assert not set(latest_accepted(home, SOURCE)) >= {url for url, _ in accepted}, "replay lost documents"
    [row] = report(home)
    assert (row["event_kind"], row["status"], row["declared_rows"]) == ("fetch", "awaiting_replay", None)

    monkeypatch.setenv("REGTRAIL_MIRROR", "http://127.0.0.1:9")
    stats = runner.replay([SOURCE], root=home)[SOURCE]
    assert stats["requests"] == 0 and stats["recovered_fetch_events"] > 0
    assert f"{stats['recovered_fetch_events']} fetch event(s) of quarantined segments recovered" in runner.outcome(
        "replay", {SOURCE: stats})[1]
    fetches = events.read_events(home, "fetch", SOURCE).to_pylist()
    recovered = [r for r in fetches if r["run_key"] == f"recovered:{row['quarantine_event_id']}"]
    assert len(recovered) == stats["recovered_fetch_events"]
    assert accepted <= {(r["url"], r["archive_path"]) for r in recovered if r["ok"]}
    assert {r["purpose"] for r in recovered} <= {recovery.RECOVERED_PURPOSE, "robots"}
    assert set(latest_accepted(home, SOURCE)) == servable, "replay serves every document again"
    assert build(home, monkeypatch) == expected
    [row] = report(home)
    assert (row["status"], row["fetch_events_recovered"]) == ("archived_fetches_recovered", len(recovered))
    again = runner.replay([SOURCE], root=home)[SOURCE]
    assert again["recovered_fetch_events"] == 0 and again["new_record_events"] == 0


@pytest.mark.slow
def test_the_next_warehouse_dag_run_goes_on_without_a_dropped_in_truncated_segment(
        clean: Path, expected: dict[str, list[tuple]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Airflow end to end (`airflow dags test regtrail_warehouse`): the run succeeds, publishes marts equal to a
    clean log's, and the published warehouse reports the quarantined file."""
    home = copy(clean, tmp_path)
    dropped = drop_truncated(home, "records")
    dropped_size = dropped.stat().st_size
    env = {**os.environ, **airflow_env.airflow_environ(home)}
    airflow = str(Path(sys.executable).parent / "airflow")
    for command in ([airflow, "db", "migrate"], [airflow, "dags", "test", "regtrail_warehouse", "2026-01-01"]):
        out = subprocess.run(command, env=env, cwd=settings.REPO_ROOT, capture_output=True, text=True, timeout=900)
        assert out.returncode == 0, (out.stdout[-3000:], out.stderr[-3000:])
    with sqlite3.connect(home / "airflow" / "airflow.db") as meta:
        assert meta.execute("select state from dag_run where dag_id = 'regtrail_warehouse'").fetchall() == [
            ("success",)]
    published = home / "warehouse.duckdb"
    marts = snapshot(published)  # the dbt marts, and those publish adds (fct_publication*: not compared)
    assert {name: marts[name] for name in expected} == expected
    [row] = report(published)
    assert (row["segment"], row["status"], row["size_bytes"]) == (
        str(dropped.relative_to(home)), "awaiting_replay", dropped_size)
    assert row["quarantined_by"].startswith("build:") and "magic bytes" in row["problem"]
    assert (home / row["quarantined_to"]).exists() and not dropped.exists()
